/**
 * `sync_operations`: the registry operations the platform must carry to the chain, one row per
 * (registry, operation id) whatever told us about it (webhook, duplicate webhook, change feed), and
 * what became of it. Parameterised SQL only.
 */
import type pg from "pg";
import type { RegistryId } from "../domain";

export interface OperationRef {
  readonly registry: RegistryId;
  readonly operationId: string;
}

export interface SettledOperation extends OperationRef {
  /** When the registry settled it (ISO timestamp of the change). */
  readonly confirmedAt: string;
}

export type OperationState = "queued" | "applied" | "already-done" | "refused" | "failed";

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

/** Inserts the operations not yet known; @returns those that were new. */
export async function recordOperations(db: Queryable, operations: readonly SettledOperation[], source: "webhook" | "poll"): Promise<OperationRef[]> {
  if (operations.length === 0) return [];
  const result = await db.query<{ registry: RegistryId; operation_id: string }>(
    `INSERT INTO sync_operations (registry, operation_id, source, registry_confirmed_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
     ON CONFLICT (registry, operation_id) DO NOTHING
     RETURNING registry, operation_id`,
    [operations.map((o) => o.registry), operations.map((o) => o.operationId), operations.map(() => source), operations.map((o) => o.confirmedAt)],
  );
  return result.rows.map((row) => ({ registry: row.registry, operationId: row.operation_id }));
}

export interface OperationUpdate extends OperationRef {
  readonly state: OperationState;
  readonly kind?: string;
  readonly transactionHash?: string;
  readonly error?: string;
}

/**
 * Records what became of each operation (and counts the attempt). An operation recorded `applied`
 * stays applied: a later pass that finds its effect already on-chain (a duplicate job) does not
 * rewrite it to `already-done`. @returns registry confirmation times of the updated ones.
 */
export async function updateOperations(db: Queryable, updates: readonly OperationUpdate[]): Promise<Map<string, { confirmedAt: Date; kind: string | null }>> {
  const out = new Map<string, { confirmedAt: Date; kind: string | null }>();
  if (updates.length === 0) return out;
  const result = await db.query<{ registry: string; operation_id: string; registry_confirmed_at: Date; kind: string | null }>(
    `UPDATE sync_operations AS o SET
       state = CASE WHEN o.state = 'applied' THEN o.state ELSE u.state END,
       kind = COALESCE(u.kind, o.kind),
       transaction_hash = COALESCE(u.transaction_hash, o.transaction_hash),
       last_error = CASE WHEN o.state = 'applied' THEN o.last_error ELSE u.error END,
       attempts = o.attempts + 1,
       updated_at = now(),
       applied_at = CASE WHEN o.state = 'applied' THEN o.applied_at WHEN u.state = 'applied' THEN now() ELSE o.applied_at END
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
          AS u(registry, operation_id, state, kind, transaction_hash, error)
     WHERE o.registry = u.registry AND o.operation_id = u.operation_id
     RETURNING o.registry, o.operation_id, o.registry_confirmed_at, o.kind`,
    [
      updates.map((u) => u.registry),
      updates.map((u) => u.operationId),
      updates.map((u) => u.state),
      updates.map((u) => u.kind ?? null),
      updates.map((u) => u.transactionHash ?? null),
      updates.map((u) => u.error ?? null),
    ],
  );
  for (const row of result.rows) out.set(operationKey(row.registry, row.operation_id), { confirmedAt: row.registry_confirmed_at, kind: row.kind });
  return out;
}

/** Operations still queued whose last change is older than `olderThanMs` (their job may be lost). */
export async function staleQueuedOperations(db: Queryable, olderThanMs: number, limit = 1000): Promise<OperationRef[]> {
  const result = await db.query<{ registry: RegistryId; operation_id: string }>(
    `SELECT registry, operation_id FROM sync_operations
     WHERE state = 'queued' AND updated_at < now() - ($1::double precision * interval '1 millisecond')
     ORDER BY updated_at LIMIT $2`,
    [olderThanMs, limit],
  );
  return result.rows.map((row) => ({ registry: row.registry, operationId: row.operation_id }));
}

/** Marks queued operations as touched now (so the sweeper does not re-enqueue them at once). */
export async function touchOperations(db: Queryable, operations: readonly OperationRef[]): Promise<void> {
  if (operations.length === 0) return;
  await db.query(
    `UPDATE sync_operations AS o SET updated_at = now()
     FROM unnest($1::text[], $2::text[]) AS u(registry, operation_id)
     WHERE o.registry = u.registry AND o.operation_id = u.operation_id AND o.state = 'queued'`,
    [operations.map((o) => o.registry), operations.map((o) => o.operationId)],
  );
}

/** How many operations are in each state (states with none are 0). */
export async function countOperations(db: Queryable): Promise<Record<OperationState, number>> {
  const result = await db.query<{ state: OperationState; n: string }>("SELECT state, count(*) AS n FROM sync_operations GROUP BY state");
  const counts: Record<OperationState, number> = { queued: 0, applied: 0, "already-done": 0, refused: 0, failed: 0 };
  for (const row of result.rows) counts[row.state] = Number(row.n);
  return counts;
}

export interface OperationRow {
  readonly registry: string;
  readonly operationId: string;
  readonly state: OperationState;
  readonly source: string;
  readonly kind: string | null;
  readonly attempts: number;
  readonly transactionHash: string | null;
  readonly lastError: string | null;
  readonly registryConfirmedAt: Date;
  /** When the platform first heard of it (webhook intake or reconciliation). */
  readonly firstSeenAt: Date;
  readonly appliedAt: Date | null;
}

/** Every operation, oldest first (for inspection and tests). */
export async function listOperations(db: Queryable, filter: { state?: OperationState; limit?: number } = {}): Promise<OperationRow[]> {
  const result = await db.query<{
    registry: string;
    operation_id: string;
    state: OperationState;
    source: string;
    kind: string | null;
    attempts: number;
    transaction_hash: string | null;
    last_error: string | null;
    registry_confirmed_at: Date;
    first_seen_at: Date;
    applied_at: Date | null;
  }>(
    `SELECT registry, operation_id, state, source, kind, attempts, transaction_hash, last_error, registry_confirmed_at, first_seen_at, applied_at
     FROM sync_operations WHERE ($1::text IS NULL OR state = $1) ORDER BY first_seen_at, operation_id LIMIT $2`,
    [filter.state ?? null, filter.limit ?? 10_000],
  );
  return result.rows.map((row) => ({
    registry: row.registry,
    operationId: row.operation_id,
    state: row.state,
    source: row.source,
    kind: row.kind,
    attempts: row.attempts,
    transactionHash: row.transaction_hash,
    lastError: row.last_error,
    registryConfirmedAt: row.registry_confirmed_at,
    firstSeenAt: row.first_seen_at,
    appliedAt: row.applied_at,
  }));
}

export function operationKey(registry: string, operationId: string): string {
  return `${registry}:${operationId}`;
}
