import { useQuery } from "@tanstack/react-query";
import { useSession } from "../session";
import { loadPortfolio } from "../chain/portfolio";
import { HoldingsChart } from "../components/HoldingsChart";
import { ErrorBox } from "../components/ErrorBox";
import { formatTonnes, formatUsd, formatVintage, labelNames } from "../format";

export function Portfolio() {
  const { info, publicClient, address } = useSession();
  const portfolio = useQuery({
    queryKey: ["portfolio", address],
    queryFn: () => loadPortfolio(publicClient, info, address!),
    enabled: address !== undefined,
    refetchInterval: 4000,
  });
  if (address === undefined) return <p>Connect a wallet to see its portfolio.</p>;
  if (portfolio.isPending) return <p className="pending">Loading portfolio…</p>;
  if (portfolio.isError) return <ErrorBox error={portfolio.error} />;
  const { batches, series } = portfolio.data;
  const value = batches.reduce((sum, b) => sum + (b.lastPrice ?? 0n) * (b.available + b.reserved), 0n);
  return (
    <section>
      <h2>Portfolio</h2>
      <p>
        Estimated value at last traded prices: <strong data-testid="portfolio-value">{formatUsd(value)}</strong>
      </p>
      <table data-testid="holdings">
        <thead>
          <tr>
            <th>batch</th><th>registry</th><th>project</th><th>vintage</th><th>serial block</th><th>labels</th>
            <th>available</th><th>reserved</th><th>retired</th><th>last price</th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => (
            <tr key={b.batchId.toString()}>
              <td>{b.batchId.toString()}</td>
              <td>{b.registry}</td>
              <td>{b.projectId} <span className="muted">({[b.methodology, b.country].filter((x) => x !== "").join(", ")})</span></td>
              <td>{formatVintage(b.vintageStart, b.vintageEnd)}</td>
              <td>{b.serialStart.toString()}–{b.serialEnd.toString()}</td>
              <td>{labelNames(b.labels).join(", ") || "—"}</td>
              <td data-testid={`available-${b.batchId}`}>{formatTonnes(b.available)}</td>
              <td>{formatTonnes(b.reserved)}</td>
              <td>{formatTonnes(b.retired)}</td>
              <td>{b.lastPrice === undefined ? "—" : `${formatUsd(b.lastPrice)}/t`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Holdings and retirements over time</h3>
      <HoldingsChart series={series} />
    </section>
  );
}
