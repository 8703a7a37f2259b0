/**
 * Polling reconciliation, the safety net under webhooks: walk the registry's change feed
 * (`GET {registry}/v1/changes?after=<cursor>`) from the cursor stored in `sync_cursors`, record
 * every operation it reports settled that the platform has not heard of (a lost webhook), and hand
 * those to the pipeline; also re-enqueue operations whose job went missing (queued for longer than
 * `staleAfterMs` and with no job waiting, retrying or running — an operation in flight is never
 * queued twice). The cursor is stored after the operations it covers: a crash re-reads a page,
 * never skips one.
 */
import type { Logger } from "pino";
import type pg from "pg";
import { changesPageSchema } from "../registry/simulator/wire";
import { registryIdSchema, type RegistryId } from "../domain";
import type { FetchLike } from "../registry";
import { recordOperations, staleQueuedOperations, type OperationRef, type SettledOperation } from "./operations";

export interface ReconcilerOptions {
  readonly pool: pg.Pool;
  /** Registry server root serving `/v1/changes`. */
  readonly registryUrl: string;
  /** Name of this feed's cursor. */
  readonly feed: string;
  readonly enqueue: (operations: readonly OperationRef[]) => Promise<void>;
  /**
   * Re-queues operations queued for longer than `staleAfterMs` whose job is gone; @returns those
   * re-queued. Default: `enqueue` them all (only right when nothing else could be holding a job).
   */
  readonly requeue?: (operations: readonly OperationRef[]) => Promise<readonly OperationRef[]>;
  readonly logger: Logger;
  readonly pageSize?: number;
  /** Queued operations untouched for this long are enqueued again. Default 30 000 ms. */
  readonly staleAfterMs?: number;
  readonly fetch?: FetchLike;
}

export interface ReconcileReport {
  readonly changesRead: number;
  readonly recovered: number;
  readonly requeued: number;
  readonly cursor: number;
}

/** One reconciliation pass. @throws when the registry cannot be read (the next pass retries from the stored cursor). */
export async function reconcileOnce(options: ReconcilerOptions): Promise<ReconcileReport> {
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const pageSize = options.pageSize ?? 500;
  let cursor = await readCursor(options.pool, options.feed);
  let changesRead = 0;
  let recovered = 0;
  for (;;) {
    const url = `${options.registryUrl.replace(/\/+$/, "")}/v1/changes?after=${cursor}&limit=${pageSize}`;
    const response = await fetchFn(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
    if (response.status === 400 && cursor > 0) {
      // The feed is shorter than our cursor: the registry was reset. Start over (recording is idempotent).
      options.logger.warn({ feed: options.feed, cursor }, "sync: change feed is behind the stored cursor; restarting from the beginning");
      cursor = 0;
      await writeCursor(options.pool, options.feed, 0);
      continue;
    }
    if (!response.ok) throw new Error(`change feed ${url} answered HTTP ${response.status}`);
    const page = changesPageSchema.parse(await response.json());
    const settled: SettledOperation[] = [];
    for (const change of page.changes) {
      if (change.type !== "operation.updated") continue;
      const registry = registryIdSchema.safeParse(change.data.registry);
      const operationId = change.data.operationId;
      const status = change.data.status;
      if (!registry.success || typeof operationId !== "string" || (status !== "COMPLETED" && status !== "REJECTED")) continue;
      settled.push({ registry: registry.data as RegistryId, operationId, confirmedAt: change.timestamp });
    }
    const created = await recordOperations(options.pool, settled, "poll");
    if (created.length > 0) await options.enqueue(created);
    recovered += created.length;
    changesRead += page.changes.length;
    if (page.nextCursor !== null) {
      cursor = Number(page.nextCursor);
      await writeCursor(options.pool, options.feed, cursor);
    }
    if (!page.hasMore || page.changes.length === 0) break;
  }
  const stale = await staleQueuedOperations(options.pool, options.staleAfterMs ?? 30_000);
  let requeued = 0;
  if (stale.length > 0) {
    if (options.requeue === undefined) {
      await options.enqueue(stale);
      requeued = stale.length;
    } else requeued = (await options.requeue(stale)).length;
  }
  return { changesRead, recovered, requeued, cursor };
}

async function readCursor(pool: pg.Pool, feed: string): Promise<number> {
  const result = await pool.query<{ cursor: string }>("SELECT cursor FROM sync_cursors WHERE feed = $1", [feed]);
  return result.rows.length === 0 ? 0 : Number(result.rows[0].cursor);
}

async function writeCursor(pool: pg.Pool, feed: string, cursor: number): Promise<void> {
  await pool.query(
    `INSERT INTO sync_cursors (feed, cursor) VALUES ($1, $2)
     ON CONFLICT (feed) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
    [feed, cursor],
  );
}

/** Runs `reconcileOnce` every `intervalMs` (never two at once) until stopped. */
export function startReconciler(options: ReconcilerOptions & { intervalMs: number }): { runNow(): Promise<ReconcileReport | undefined>; stop(): void } {
  let running: Promise<ReconcileReport | undefined> | undefined;
  let stopped = false;
  const run = (): Promise<ReconcileReport | undefined> => {
    running ??= reconcileOnce(options)
      .catch((error: unknown) => {
        options.logger.warn({ err: error, feed: options.feed }, "sync: reconciliation pass failed; retrying on the next tick");
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) void run();
  }, options.intervalMs);
  timer.unref();
  return {
    runNow: run,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
