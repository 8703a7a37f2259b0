/**
 * Persistence of reconciliation runs, open differences and incidents (migration 403). Everything
 * a run found is written in one transaction before the run reports it.
 */
import type pg from "pg";
import { withTransaction, type Queryable } from "../db";
import type { Difference, DifferenceKind, ReconciliationPolicy, Severity } from "./differences";

export interface RunRecord {
  readonly chainId: number;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly headBlock: bigint;
  readonly indexedBlock: bigint | null;
  readonly batches: number;
  readonly errors: readonly string[];
}

export interface Incident {
  readonly id: string;
  readonly chainId: number;
  readonly differenceKey: string;
  readonly kind: DifferenceKind;
  readonly severity: Severity;
  readonly message: string;
  readonly details: Record<string, unknown>;
  readonly since: Date;
  readonly ageMs: number;
  readonly slaMs: number;
  readonly raisedAt: Date;
  readonly resolvedAt: Date | null;
}

/** First observation time of every open difference of `chainId`. */
export async function openDifferenceTimes(db: Queryable, chainId: number): Promise<Map<string, Date>> {
  const { rows } = await db.query<{ difference_key: string; first_seen_at: Date }>(
    "SELECT difference_key, first_seen_at FROM reconciliation_differences WHERE chain_id = $1",
    [chainId],
  );
  return new Map(rows.map((r) => [r.difference_key, r.first_seen_at]));
}

/**
 * Stores a run: upserts the observed differences, drops the ones no longer observed and resolves
 * their incidents, and raises an incident for each difference past its SLA without an open one.
 * @returns the incidents raised by this run.
 */
export async function recordRun(pool: pg.Pool, run: RunRecord, differences: readonly Difference[], policy: ReconciliationPolicy): Promise<Incident[]> {
  return withTransaction(pool, async (client) => {
    const now = run.finishedAt;
    const keys = differences.map((d) => d.key);
    for (const d of differences) {
      await client.query(
        `INSERT INTO reconciliation_differences (chain_id, difference_key, kind, severity, message, details, since, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $8)
         ON CONFLICT (chain_id, difference_key) DO UPDATE SET
           kind = EXCLUDED.kind, severity = EXCLUDED.severity, message = EXCLUDED.message, details = EXCLUDED.details,
           since = EXCLUDED.since, last_seen_at = EXCLUDED.last_seen_at`,
        [run.chainId, d.key, d.kind, d.severity, d.message, JSON.stringify(d.details), d.since, now],
      );
    }
    await client.query("DELETE FROM reconciliation_differences WHERE chain_id = $1 AND NOT (difference_key = ANY($2::text[]))", [run.chainId, keys]);
    await client.query(
      "UPDATE reconciliation_incidents SET resolved_at = $3 WHERE chain_id = $1 AND resolved_at IS NULL AND NOT (difference_key = ANY($2::text[]))",
      [run.chainId, keys, now],
    );
    const raised: Incident[] = [];
    for (const d of differences.filter((x) => x.pastSla)) {
      const { rows } = await client.query<Record<string, unknown>>(
        `INSERT INTO reconciliation_incidents (chain_id, difference_key, kind, severity, message, details, since, age_ms, sla_ms, raised_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)
         ON CONFLICT (chain_id, difference_key) WHERE resolved_at IS NULL DO NOTHING
         RETURNING *`,
        [run.chainId, d.key, d.kind, d.severity, d.message, JSON.stringify(d.details), d.since, d.ageMs, policy.slaMs[d.kind], now],
      );
      if (rows[0] !== undefined) raised.push(toIncident(rows[0]));
    }
    await client.query(
      `INSERT INTO reconciliation_runs (chain_id, started_at, finished_at, head_block, indexed_block, batches, differences, incidents_raised, errors)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
      [
        run.chainId,
        run.startedAt,
        run.finishedAt,
        run.headBlock.toString(),
        run.indexedBlock === null ? null : run.indexedBlock.toString(),
        run.batches,
        differences.length,
        raised.length,
        JSON.stringify(run.errors),
      ],
    );
    return raised;
  });
}

function toIncident(r: Record<string, unknown>): Incident {
  return {
    id: String(r.id),
    chainId: Number(r.chain_id),
    differenceKey: r.difference_key as string,
    kind: r.kind as DifferenceKind,
    severity: r.severity as Severity,
    message: r.message as string,
    details: r.details as Record<string, unknown>,
    since: r.since as Date,
    ageMs: Number(r.age_ms),
    slaMs: Number(r.sla_ms),
    raisedAt: r.raised_at as Date,
    resolvedAt: (r.resolved_at as Date | null) ?? null,
  };
}

export interface IncidentFilter {
  /** open (default), resolved or all. */
  readonly status?: "open" | "resolved" | "all";
  readonly kind?: DifferenceKind;
  /** Default 100, at most 1000. */
  readonly limit?: number;
}

/** Incidents of `chainId`, newest first. */
export async function listIncidents(db: Queryable, chainId: number, filter: IncidentFilter = {}): Promise<Incident[]> {
  const limit = filter.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new RangeError(`limit must be an integer in 1..1000 (got ${limit})`);
  const status = filter.status ?? "open";
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT * FROM reconciliation_incidents
      WHERE chain_id = $1
        AND ($2 = 'all' OR ($2 = 'open' AND resolved_at IS NULL) OR ($2 = 'resolved' AND resolved_at IS NOT NULL))
        AND ($3::text IS NULL OR kind = $3)
      ORDER BY raised_at DESC, id DESC LIMIT $4`,
    [chainId, status, filter.kind ?? null, limit],
  );
  return rows.map(toIncident);
}
