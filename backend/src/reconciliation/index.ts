/** Three-way reconciliation of registry, chain and read model: runs, differences, incidents, schedule. */
export { reconcile } from "./reconcile";
export type { ReconcileDeps, ReconciliationReport } from "./reconcile";
export { startReconciliationJob, DEFAULT_RECONCILIATION_INTERVAL_MS } from "./job";
export type { ReconciliationJob, ReconciliationJobOptions } from "./job";
export { DEFAULT_POLICY, DIFFERENCE_KINDS, SEVERITY } from "./differences";
export type { Difference, DifferenceKind, ReconciliationPolicy, Severity } from "./differences";
export { listIncidents } from "./store";
export type { Incident, IncidentFilter } from "./store";
export { reconciliationMetrics } from "./metrics";
export type { ReconciliationMetrics } from "./metrics";
