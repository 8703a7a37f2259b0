/**
 * The chain indexer: every ledger contract event into a Postgres read model (balances per state,
 * batches, retirements and certificates, redemptions, attestations, identities, signer sets and
 * the unified custody event log), reorg-safe, resumable and single-writer across processes.
 *
 * Entry points: {@link runIndexer} (long-running), {@link indexOnce} (one pass, for tests and
 * tools), the read API in `./queries`, and {@link resetReadModel} to rebuild from scratch.
 */
export {
  indexOnce,
  runIndexer,
  IndexerSourcesChangedError,
  DEFAULT_BATCH_SIZE,
  DEFAULT_CONFIRMATIONS,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_MAX_LOGS_PER_TRANSACTION,
  DEFAULT_POLL_INTERVAL_MS,
} from "./indexer";
export type { IndexerOptions, IndexOnceOptions, IndexPassResult, RunIndexerOptions } from "./indexer";
export { defineContractModule } from "./contractModule";
export type { ContractModule, DecodedEvent, EventArgs, EventHandlers, IndexedContract, ProjectionContext, ProjectionSources } from "./contractModule";
export {
  LEDGER_CONTRACTS,
  CUSTODY_EVENT_KINDS,
  ProjectionError,
  accessControlHandlers,
  pausableHandlers,
  carbonCreditModule,
  identityRegistryModule,
  oracleQuorumModule,
  registryBridgeModule,
  retirementCertificateModule,
} from "./projections";
export type { CustodyEventKind } from "./projections";
export { addToBalance, annotateCustodyEvent, moveHeldUnits, recordCustodyEvent } from "./projections/custody";
export { attestationConsumedInTransaction, linkAttestation } from "./projections/oracleQuorum";
export { ChainChangedError, ledgerLogSource } from "./logSource";
export type { BlockHeader, FetchedRange, LedgerLog, LogSource } from "./logSource";
export { DeepReorgError, findForkPoint, rollBackFrom } from "./reorg";
export { acquireLease, fenceLease, leaseHolder, releaseLease, LeaseLostError } from "./lease";
export type { Lease, LeaseHolder } from "./lease";
export { dumpReadModel, resetReadModel, READ_MODEL_TABLES } from "./store/readModel";
export { rememberRow, MUTABLE_TABLES } from "./store/undo";
export type { MutableTable } from "./store/undo";
export * as queries from "./queries";
