import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useSession } from "../session";
import { CERTIFICATE_STATUS, loadCertificate } from "../chain/retire";
import { ErrorBox } from "../components/ErrorBox";
import { formatDay, formatTonnes, formatVintage, shortText } from "../format";

/** A registry reference stored as right-padded ASCII prints as text; anything else as hex. */
function readableRef(ref: `0x${string}`): string {
  const text = shortText(ref);
  return /^[\x20-\x7e]+$/.test(text) ? text : ref;
}

export function Certificate({ certificateId }: { certificateId: bigint }) {
  const { info, publicClient, api } = useSession();
  const [downloadError, setDownloadError] = useState<unknown>();
  const cert = useQuery({
    queryKey: ["certificate", certificateId.toString()],
    queryFn: () => loadCertificate(publicClient, info, certificateId),
    refetchInterval: (q) => (q.state.data?.view.status === 1 ? 2000 : false), // until the registry answers
  });
  if (cert.isPending) return <p className="pending">Loading certificate…</p>;
  if (cert.isError) return <ErrorBox error={cert.error} />;
  const { view, claim, meta } = cert.data;
  const status = CERTIFICATE_STATUS[view.status] ?? String(view.status);
  // The certificate's PDF is the claims report of its beneficiary for its exact reporting period.
  const download = async () => {
    setDownloadError(undefined);
    try {
      if (claim === undefined) throw new Error("The retirement's claim is not on-chain yet; try again in a moment.");
      const beneficiary = claim.beneficiaryName !== "" ? claim.beneficiaryName : view.owner;
      const query = new URLSearchParams({ beneficiary, from: formatDay(claim.periodStart), to: formatDay(claim.periodEnd), format: "pdf" });
      const blob = await api.blob(`/v1/reports/claims?${query}`);
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = `certificate-${certificateId}.pdf`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setDownloadError(err);
    }
  };
  return (
    <section>
      <h2>Retirement certificate {certificateId.toString()}</h2>
      <p>
        Registry confirmation: <strong data-testid="certificate-status" className={view.status === 2 ? "ok" : view.status === 3 ? "error" : "pending"}>{status}</strong>
      </p>
      <dl>
        <dt>serial range</dt>
        <dd data-testid="serial-range">{view.firstSerial.toString()}–{view.lastSerial.toString()} ({formatTonnes(view.quantity)})</dd>
        <dt>batch</dt>
        <dd>{view.batchId.toString()} — {shortText(meta.registry)} project {shortText(meta.projectId)}, vintage {formatVintage(meta.vintageStart, meta.vintageEnd)}</dd>
        <dt>owner</dt><dd>{view.owner}</dd>
        {claim && (
          <>
            <dt>beneficiary</dt><dd>{claim.beneficiaryName}</dd>
            <dt>reason</dt><dd>{claim.reason}</dd>
            <dt>reporting period</dt><dd>{formatDay(claim.periodStart)} to {formatDay(claim.periodEnd)}</dd>
          </>
        )}
        {view.status >= 2 && <><dt>registry reference</dt><dd title={view.registryRef}>{readableRef(view.registryRef)}</dd></>}
      </dl>
      <button onClick={download}>Download PDF</button> <span className="muted">(claims report for this beneficiary and reporting period)</span>
      <ErrorBox error={downloadError} />
    </section>
  );
}
