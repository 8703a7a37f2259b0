/** Holdings and cumulative retirements over time: a small hand-drawn SVG step chart. */
import type { PortfolioPoint } from "../chain/portfolio";

const W = 560;
const H = 180;
const PAD = 32;

function path(points: PortfolioPoint[], pick: (p: PortfolioPoint) => bigint, x: (t: number) => number, y: (v: number) => number): string {
  let d = "";
  points.forEach((p, i) => {
    const px = x(p.time);
    const py = y(Number(pick(p)));
    d += i === 0 ? `M${px},${py}` : `H${px}V${py}`;
  });
  return d + `H${W - PAD}`;
}

export function HoldingsChart({ series }: { series: PortfolioPoint[] }) {
  if (series.length === 0) return <p className="muted">No credits have moved through this wallet yet.</p>;
  const t0 = series[0].time;
  const t1 = Math.max(series[series.length - 1].time, t0 + 1);
  const max = Math.max(1, ...series.map((p) => Math.max(Number(p.holdings), Number(p.retired))));
  const x = (t: number) => PAD + ((t - t0) / (t1 - t0)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD + 8 - (v / max) * (H - 2 * PAD);
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Holdings and retirements over time">
      <line x1={PAD} y1={y(0)} x2={W - PAD} y2={y(0)} stroke="#999" />
      <line x1={PAD} y1={y(0)} x2={PAD} y2={y(max)} stroke="#999" />
      <text x={PAD - 4} y={y(max) + 4} textAnchor="end" fontSize="10">{max}</text>
      <text x={PAD - 4} y={y(0) + 4} textAnchor="end" fontSize="10">0</text>
      <path d={path(series, (p) => p.holdings, x, y)} fill="none" stroke="#1b7f4b" strokeWidth="2" />
      <path d={path(series, (p) => p.retired, x, y)} fill="none" stroke="#b35c00" strokeWidth="2" strokeDasharray="4 3" />
      <text x={W - PAD} y={14} textAnchor="end" fontSize="11" fill="#1b7f4b">— holdings (t)</text>
      <text x={W - PAD} y={28} textAnchor="end" fontSize="11" fill="#b35c00">- - retired (t)</text>
      <text x={PAD} y={H - 4} fontSize="10">{new Date(t0 * 1000).toISOString().slice(0, 16).replace("T", " ")}</text>
      <text x={W - PAD} y={H - 4} textAnchor="end" fontSize="10">{new Date(t1 * 1000).toISOString().slice(0, 16).replace("T", " ")}</text>
    </svg>
  );
}
