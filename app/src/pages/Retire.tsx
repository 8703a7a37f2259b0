import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSession } from "../session";
import { loadPortfolio } from "../chain/portfolio";
import { retire } from "../chain/retire";
import { useTransaction } from "../useTransaction";
import { TxStatus } from "../components/TxStatus";
import { formatTonnes, formatVintage, parseDay } from "../format";

export function Retire({ onRetired }: { onRetired(certificateId: bigint): void }) {
  const { info, publicClient, walletClient, address } = useSession();
  const queryClient = useQueryClient();
  const portfolio = useQuery({
    queryKey: ["portfolio", address],
    enabled: address !== undefined,
    queryFn: () => loadPortfolio(publicClient, info, address!),
  });
  const year = new Date().getUTCFullYear();
  const [form, setForm] = useState({
    batchId: "",
    quantity: "",
    beneficiaryName: "",
    reason: "",
    periodStart: `${year}-01-01`,
    periodEnd: `${year}-12-31`,
    country: "",
  });
  const tx = useTransaction();
  if (address === undefined) return <p>Connect a wallet to retire credits.</p>;
  const holdings = (portfolio.data?.batches ?? []).filter((b) => b.available > 0n);
  const set = (name: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value });
  const onRetire = () =>
    tx.run(async (progress) => {
      if (walletClient === undefined) throw new Error("Connect a wallet first.");
      if (form.batchId === "") throw new Error("Choose the batch to retire from.");
      if (!/^\d+$/.test(form.quantity) || BigInt(form.quantity) === 0n) throw new Error("Quantity must be a whole number of tonnes above zero.");
      if (form.beneficiaryName.trim() === "") throw new Error("Name the beneficiary of the retirement.");
      if (form.reason.trim() === "") throw new Error("Give the reason for the retirement (e.g. the emissions it offsets).");
      const periodStart = parseDay(form.periodStart);
      const periodEnd = parseDay(form.periodEnd);
      if (periodStart === undefined || periodEnd === undefined) throw new Error("The reporting period needs a start and an end date (YYYY-MM-DD).");
      if (periodEnd < periodStart) throw new Error("The reporting period ends before it starts.");
      if (!/^[A-Z]{2}$/.test(form.country)) throw new Error("Give the country where the offset is claimed as a two-letter ISO code, e.g. DE.");
      const certificateId = await retire(
        publicClient,
        walletClient,
        info,
        address,
        {
          batchId: BigInt(form.batchId),
          quantity: BigInt(form.quantity),
          beneficiaryName: form.beneficiaryName.trim(),
          reason: form.reason.trim(),
          periodStart,
          periodEnd,
          consumptionCountry: form.country,
        },
        progress,
      );
      await queryClient.invalidateQueries();
      onRetired(certificateId);
      return `Retired; certificate ${certificateId} issued.`;
    });
  return (
    <section>
      <h2>Retire credits</h2>
      <fieldset>
        <label>
          batch{" "}
          <select name="batchId" value={form.batchId} onChange={set("batchId")}>
            <option value="">choose…</option>
            {holdings.map((b) => (
              <option key={b.batchId.toString()} value={b.batchId.toString()}>
                {b.batchId.toString()} — {b.registry} {b.projectId}, vintage {formatVintage(b.vintageStart, b.vintageEnd)} ({formatTonnes(b.available)} available)
              </option>
            ))}
          </select>
        </label>
        <label>tonnes <input name="quantity" value={form.quantity} onChange={set("quantity")} /></label>
        <label>beneficiary <input name="beneficiaryName" value={form.beneficiaryName} onChange={set("beneficiaryName")} /></label>
        <label>reason <input name="reason" value={form.reason} onChange={set("reason")} /></label>
        <label>reporting period from <input name="periodStart" type="date" value={form.periodStart} onChange={set("periodStart")} /></label>
        <label>to <input name="periodEnd" type="date" value={form.periodEnd} onChange={set("periodEnd")} /></label>
        <label>country of consumption <input name="country" placeholder="e.g. DE" value={form.country} onChange={set("country")} /></label>
        <button onClick={onRetire} disabled={tx.state.phase === "pending"}>Retire</button>
        <TxStatus state={tx.state} />
      </fieldset>
    </section>
  );
}
