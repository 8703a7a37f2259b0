/** What a three-way reconciliation reports, and the policy that decides severities, lags and SLAs. */

export const DIFFERENCE_KINDS = ["ghost_credit", "orphan_token", "balance_mismatch", "stale_read_model"] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];
export type Severity = "critical" | "high" | "warning";

export interface Difference {
  /** Stable identity across runs (kind + subject), e.g. `ghost_credit:3:1001-1010`. */
  readonly key: string;
  readonly kind: DifferenceKind;
  readonly severity: Severity;
  readonly message: string;
  /** Subject and figures, JSON-safe (integers as decimal strings). */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  /** When the difference began: an on-chain time when one applies, else its first observation. */
  readonly since: Date;
  readonly ageMs: number;
  /** Older than the SLA of its kind: an incident is (or was already) raised. */
  readonly pastSla: boolean;
}

export interface ReconciliationPolicy {
  /** How long the registry may lag an on-chain retirement before it is a ghost credit (default 6 h). */
  readonly registryLagMs: number;
  /** Blocks the read model may trail the chain head before it is stale (default 20). */
  readonly staleReadModelBlocks: number;
  /** Age after which a difference raises an incident, per kind. */
  readonly slaMs: Readonly<Record<DifferenceKind, number>>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_POLICY: ReconciliationPolicy = {
  registryLagMs: 6 * HOUR,
  staleReadModelBlocks: 20,
  slaMs: {
    // past the lag already; another day without the registry catching up is an incident
    ghost_credit: 24 * HOUR,
    // tokens without a registry lock behind them: an incident at once
    orphan_token: 0,
    balance_mismatch: 15 * MINUTE,
    stale_read_model: 10 * MINUTE,
  },
};

export const SEVERITY: Readonly<Record<DifferenceKind, Severity>> = {
  ghost_credit: "critical",
  orphan_token: "critical",
  balance_mismatch: "high",
  stale_read_model: "warning",
};

export function differenceOf(
  input: { key: string; kind: DifferenceKind; message: string; details: Difference["details"]; since: Date },
  now: Date,
  policy: ReconciliationPolicy,
): Difference {
  const ageMs = Math.max(0, now.getTime() - input.since.getTime());
  return { ...input, severity: SEVERITY[input.kind], ageMs, pastSla: ageMs >= policy.slaMs[input.kind] };
}
