/** The verifier audit: chain events and public registry exports only, never the platform database. */
export { runAudit } from "./audit";
export type { AuditCheck, AuditDeps, AuditReport, CheckStatus } from "./audit";
export { simulatorExportSources, loadRegistryExports } from "./registryExports";
export type { ExportSources, ExportedBlock } from "./registryExports";
export { readLedgerEvents, blockTimes, tokenizedBatches, chainRetirements } from "./chainReader";
export type { ChainEvent, AnyPublicClient } from "./chainReader";
export { verifyAttestations } from "./attestations";
export type { AttestationVerdict } from "./attestations";
