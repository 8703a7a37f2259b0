import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useSession } from "../session";
import { ErrorBox } from "../components/ErrorBox";
import { KeyValues } from "../components/KeyValues";

/** Custody chain of a batch or serial, and an MRV dataset with its record proofs, from the audit read model. */
export function Audit() {
  const { api } = useSession();
  const [custodyQuery, setCustodyQuery] = useState<{ batchId: string; serial: string } | undefined>();
  const [datasetId, setDatasetId] = useState<string | undefined>();
  const [form, setForm] = useState({ batchId: "", serial: "", dataset: "" });
  const custody = useQuery({
    queryKey: ["custody", custodyQuery],
    enabled: custodyQuery !== undefined,
    retry: false,
    queryFn: () =>
      api.get<unknown>(
        custodyQuery!.serial === ""
          ? `/v1/custody/batches/${encodeURIComponent(custodyQuery!.batchId)}`
          : `/v1/custody/batches/${encodeURIComponent(custodyQuery!.batchId)}/serials/${encodeURIComponent(custodyQuery!.serial)}`,
      ),
  });
  const dataset = useQuery({
    queryKey: ["dataset", datasetId],
    enabled: datasetId !== undefined,
    retry: false,
    queryFn: () => api.get<unknown>(`/v1/mrv/datasets/${encodeURIComponent(datasetId!)}`),
  });
  const [inputError, setInputError] = useState<string>();
  return (
    <section>
      <h2>Audit</h2>
      <fieldset>
        <legend>Custody chain</legend>
        <label>batch <input value={form.batchId} onChange={(e) => setForm({ ...form, batchId: e.target.value.trim() })} /></label>
        <label>serial (optional) <input value={form.serial} onChange={(e) => setForm({ ...form, serial: e.target.value.trim() })} /></label>
        <button
          onClick={() => {
            if (!/^\d+$/.test(form.batchId)) return setInputError("The batch is a number (its token id).");
            if (form.serial !== "" && !/^\d+$/.test(form.serial)) return setInputError("A serial is a whole number inside the batch's serial block.");
            setInputError(undefined);
            setCustodyQuery({ batchId: form.batchId, serial: form.serial });
          }}
        >
          Show custody
        </button>
        {inputError && <p className="error">{inputError}</p>}
        {custody.isFetching && <p className="pending">Loading…</p>}
        {custody.isError && <ErrorBox error={custody.error} />}
        {custody.data !== undefined && <KeyValues value={custody.data} />}
      </fieldset>
      <fieldset>
        <legend>MRV dataset and record proofs</legend>
        <label>dataset id <input value={form.dataset} onChange={(e) => setForm({ ...form, dataset: e.target.value.trim() })} /></label>
        <button onClick={() => setDatasetId(form.dataset)} disabled={form.dataset === ""}>Show dataset</button>
        {dataset.isFetching && <p className="pending">Loading…</p>}
        {dataset.isError && <ErrorBox error={dataset.error} />}
        {dataset.data !== undefined && <KeyValues value={dataset.data} />}
      </fieldset>
    </section>
  );
}
