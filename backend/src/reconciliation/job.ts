/**
 * The scheduled reconciliation: a run every `intervalMs` (the next one starts `intervalMs` after
 * the previous finished, so runs never overlap in a process). A failed run is logged and the
 * schedule goes on. Several processes may run it: every run is idempotent (differences are
 * upserted by key, at most one open incident per difference).
 */
import { reconcile, type ReconcileDeps, type ReconciliationReport } from "./reconcile";

export interface ReconciliationJobOptions extends ReconcileDeps {
  /** Pause between runs (default 5 minutes, at least 1 s). */
  readonly intervalMs?: number;
  /** Called after each successful run. */
  readonly onRun?: (report: ReconciliationReport) => void;
}

export interface ReconciliationJob {
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

export const DEFAULT_RECONCILIATION_INTERVAL_MS = 5 * 60_000;

export function startReconciliationJob(options: ReconciliationJobOptions): ReconciliationJob {
  const intervalMs = options.intervalMs ?? DEFAULT_RECONCILIATION_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs < 1000) throw new RangeError(`intervalMs must be at least 1000 (got ${intervalMs})`);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const runOnce = async () => {
    try {
      const report = await reconcile(options);
      options.onRun?.(report);
    } catch (error) {
      options.log?.error({ err: error }, "reconciliation run failed");
    }
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined;
        schedule(intervalMs);
      });
    }, delay);
  };
  schedule(0);
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
