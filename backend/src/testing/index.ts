/**
 * Shared backend test harness: a throw-away chain with the ledger deployed ({@link startTestChain}),
 * viem helpers that act on it ({@link ledgerActions}) and test data in on-chain shapes.
 */
export { startTestChain, testOracleKeys } from "./testChain";
export type { SnapshotId, StartTestChainOptions, TestChain } from "./testChain";
export { ledgerActions } from "./ledgerActions";
export type { Actor, AttestOptions, AttestationBody, KycOptions, LedgerActions, LedgerChain, RegistryVerdict, SignedAttestation } from "./ledgerActions";
export { testBatchInfo, testClaim, testRef } from "./fixtures";
export { createInProcessNetwork, loadHardhatRuntime } from "./hardhat";
export type { InProcessNetwork } from "./hardhat";
