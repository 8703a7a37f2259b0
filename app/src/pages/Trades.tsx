import { useQuery } from "@tanstack/react-query";
import { useSession } from "../session";
import { loadTrades } from "../chain/trades";
import { ErrorBox } from "../components/ErrorBox";
import { formatTime, formatTonnes, formatUsd, shortAddress } from "../format";

export function Trades() {
  const { info, publicClient, address } = useSession();
  const trades = useQuery({
    queryKey: ["trades", address],
    enabled: address !== undefined,
    queryFn: () => loadTrades(publicClient, info, address!),
    refetchInterval: 3000, // the timeline updates live
  });
  if (address === undefined) return <p>Connect a wallet to see your trades.</p>;
  if (trades.isPending) return <p className="pending">Loading trades…</p>;
  if (trades.isError) return <ErrorBox error={trades.error} />;
  if (trades.data.length === 0) return <section><h2>Trades</h2><p className="muted">No trades yet.</p></section>;
  return (
    <section>
      <h2>Trades</h2>
      {trades.data.map((t) => (
        <article key={t.id} className="trade" data-testid="trade" data-status={t.status}>
          <h3>
            {t.side} {formatTonnes(t.quantity)} of batch {t.batchId.toString()} for {formatUsd(t.amount)} — {t.status}
          </h3>
          <p className="muted">
            {t.mode === "atomic" ? "atomic settlement (one transaction)" : "escrow settlement"} · counterparty {shortAddress(t.counterparty)}
            {t.releaseDeadline !== undefined && t.status !== "settled" && <> · refundable after {formatTime(t.releaseDeadline)}</>}
          </p>
          <ol className="timeline">
            {t.steps.map((s) => (
              <li key={s.name} className={s.time === undefined ? "todo" : "done"}>
                <strong>{s.name}</strong> {s.time === undefined ? "…waiting" : formatTime(s.time)}
              </li>
            ))}
          </ol>
        </article>
      ))}
    </section>
  );
}
