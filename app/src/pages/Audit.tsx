import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { Hex } from "viem";
import { useSession } from "../session";
import { loadCustodyChain, serialStatus } from "../chain/custody";
import { datasetOfBatch, loadDataset, parseRecordProof, verifyRecord } from "../chain/mrv";
import { CERTIFICATE_STATUS } from "../chain/retire";
import { ErrorBox } from "../components/ErrorBox";
import { formatDay, formatTonnes, shortAddress } from "../format";

/** Custody chain of a batch or serial, and an MRV dataset with record proofs, read from the chain. */
export function Audit() {
  return (
    <section>
      <h2>Audit</h2>
      <CustodyAudit />
      <MrvAudit />
    </section>
  );
}

function CustodyAudit() {
  const { info, publicClient } = useSession();
  const [form, setForm] = useState({ batchId: "", serial: "" });
  const [target, setTarget] = useState<{ batchId: bigint; serial?: bigint }>();
  const [inputError, setInputError] = useState<string>();
  const chain = useQuery({
    queryKey: ["custody", target?.batchId.toString(), target?.serial?.toString()],
    enabled: target !== undefined,
    retry: false,
    queryFn: async () => ({
      steps: await loadCustodyChain(publicClient, info, target!.batchId),
      serial: target!.serial === undefined ? undefined : await serialStatus(publicClient, info, target!.batchId, target!.serial),
    }),
  });
  const show = () => {
    if (!/^\d+$/.test(form.batchId)) return setInputError("The batch is a number (its token id).");
    if (form.serial !== "" && !/^\d+$/.test(form.serial)) return setInputError("A serial is a whole number inside the batch's serial block.");
    setInputError(undefined);
    setTarget({ batchId: BigInt(form.batchId), serial: form.serial === "" ? undefined : BigInt(form.serial) });
  };
  return (
    <fieldset>
      <legend>Custody chain</legend>
      <label>batch <input name="custodyBatch" value={form.batchId} onChange={(e) => setForm({ ...form, batchId: e.target.value.trim() })} /></label>
      <label>serial (optional) <input name="custodySerial" value={form.serial} onChange={(e) => setForm({ ...form, serial: e.target.value.trim() })} /></label>
      <button onClick={show}>Show custody</button>
      {inputError && <p className="error">{inputError}</p>}
      {chain.isFetching && <p className="pending">Reading the ledger…</p>}
      {chain.isError && <ErrorBox error={chain.error} />}
      {chain.data?.serial && (
        <p data-testid="serial-status">
          Serial {chain.data.serial.serial.toString()}:{" "}
          {!chain.data.serial.inBlock
            ? "not in this batch's serial block."
            : chain.data.serial.certificateId === undefined
              ? "tokenized and not retired (units of a batch are fungible until retirement assigns serials)."
              : `retired under certificate ${chain.data.serial.certificateId} (${CERTIFICATE_STATUS[chain.data.serial.certificateStatus ?? 0]}).`}
        </p>
      )}
      {chain.data && (
        <table data-testid="custody-chain">
          <thead><tr><th>block</th><th>event</th><th>from</th><th>to</th><th>quantity</th><th>detail</th></tr></thead>
          <tbody>
            {chain.data.steps.map((s) => (
              <tr key={`${s.tx}-${s.kind}-${s.from}-${s.to}`}>
                <td title={s.tx}>{s.block.toString()}</td>
                <td>{s.kind}</td>
                <td title={s.from}>{s.from ? shortAddress(s.from) : "—"}</td>
                <td title={s.to}>{s.to ? shortAddress(s.to) : "—"}</td>
                <td>{formatTonnes(s.quantity)}</td>
                <td>{s.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </fieldset>
  );
}

function MrvAudit() {
  const { info, publicClient } = useSession();
  const [input, setInput] = useState("");
  const [datasetId, setDatasetId] = useState<Hex>();
  const [proofText, setProofText] = useState("");
  const [verdict, setVerdict] = useState<{ ok: boolean } | { error: unknown }>();
  const [inputError, setInputError] = useState<string>();
  const dataset = useQuery({
    queryKey: ["dataset", datasetId],
    enabled: datasetId !== undefined,
    retry: false,
    queryFn: () => loadDataset(publicClient, info, datasetId!),
  });
  const show = async () => {
    setInputError(undefined);
    try {
      if (/^0x[0-9a-fA-F]{64}$/.test(input)) setDatasetId(input as Hex);
      else if (/^\d+$/.test(input)) {
        const found = await datasetOfBatch(publicClient, info, BigInt(input));
        if (/^0x0{64}$/.test(found.datasetId)) throw new Error(`Batch ${input} was issued without an MRV dataset.`);
        setDatasetId(found.datasetId);
      } else throw new Error("Enter a dataset id (0x + 64 hex digits) or a batch number.");
    } catch (error) {
      setInputError((error as Error).message);
    }
  };
  const verify = async () => {
    try {
      const { leaf, proof } = parseRecordProof(proofText);
      setVerdict({ ok: await verifyRecord(publicClient, info, leaf, proof) });
    } catch (error) {
      setVerdict({ error });
    }
  };
  const claim = dataset.data?.claim;
  return (
    <fieldset>
      <legend>MRV dataset and record proofs</legend>
      <label>dataset id or batch <input value={input} onChange={(e) => setInput(e.target.value.trim())} /></label>
      <button onClick={show}>Show dataset</button>
      {inputError && <p className="error">{inputError}</p>}
      {dataset.isError && <ErrorBox error={dataset.error} />}
      {claim && (
        <dl>
          <dt>project</dt><dd>{claim.projectId}</dd>
          <dt>period</dt><dd>{formatDay(claim.periodStart)} to {formatDay(claim.periodEnd)}</dd>
          <dt>records</dt><dd>{claim.recordCount.toString()}</dd>
          <dt>Merkle root</dt><dd>{claim.merkleRoot}</dd>
          <dt>attested by</dt><dd>{dataset.data!.attester}{dataset.data!.quorumDigest !== `0x${"0".repeat(64)}` ? " (oracle quorum)" : " (verifier)"}</dd>
        </dl>
      )}
      <label>
        record with proof (JSON)
        <textarea rows={4} cols={70} value={proofText} onChange={(e) => setProofText(e.target.value)} placeholder='{"record": {"datasetId": "0x…", "index": 0, "sensorId": "…", "parameter": "…", "timestampMs": 0, "quantity": "…", "unit": "J"}, "proof": ["0x…"]}' />
      </label>
      <button onClick={verify} disabled={proofText === ""}>Verify on-chain</button>
      {verdict && "ok" in verdict && (
        <p className={verdict.ok ? "ok" : "error"}>{verdict.ok ? "✓ The record belongs to the attested dataset." : "✗ The proof does not lead to the attested Merkle root."}</p>
      )}
      {verdict && "error" in verdict && <ErrorBox error={verdict.error} />}
    </fieldset>
  );
}
