/** prom-client metrics of the reconciliation, registered on the registry the caller passes (no global registry). */
import { Counter, Gauge, type Registry } from "prom-client";
import { DIFFERENCE_KINDS, type Difference, type DifferenceKind } from "./differences";
import type { Incident } from "./store";

export interface ReconciliationMetrics {
  observe(differences: readonly Difference[], raised: readonly Incident[], finishedAt: Date): void;
}

function existingOr<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function reconciliationMetrics(registry: Registry): ReconciliationMetrics {
  const differences = existingOr(
    registry,
    "carbonclear_reconciliation_differences",
    () => new Gauge({ name: "carbonclear_reconciliation_differences", help: "Differences found by the latest reconciliation run, by kind", labelNames: ["kind"], registers: [registry] }),
  );
  const incidents = existingOr(
    registry,
    "carbonclear_reconciliation_incidents_total",
    () =>
      new Counter({
        name: "carbonclear_reconciliation_incidents_total",
        help: "Incidents raised by differences past their SLA",
        labelNames: ["kind", "severity"],
        registers: [registry],
      }),
  );
  const lastRun = existingOr(
    registry,
    "carbonclear_reconciliation_last_run_timestamp_seconds",
    () => new Gauge({ name: "carbonclear_reconciliation_last_run_timestamp_seconds", help: "Unix time the latest reconciliation run finished", registers: [registry] }),
  );
  return {
    observe(found, raised, finishedAt) {
      const counts = new Map<DifferenceKind, number>(DIFFERENCE_KINDS.map((k) => [k, 0]));
      for (const d of found) counts.set(d.kind, (counts.get(d.kind) ?? 0) + 1);
      for (const [kind, n] of counts) differences.set({ kind }, n);
      for (const incident of raised) incidents.inc({ kind: incident.kind, severity: incident.severity });
      lastRun.set(finishedAt.getTime() / 1000);
    },
  };
}
