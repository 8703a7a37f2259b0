/**
 * Test support for custody, reconciliation, audit and reports: a test chain, a registry simulator
 * and a migrated database side by side, and helpers that keep the chain and the registry in step
 * the way the platform does (lock in registry custody → tokenize with that lock; retire on-chain →
 * retire the exact range at the registry → record the registry's verdict on-chain).
 */
import type { Address, Hex } from "viem";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import { toBatchInfo, type RegistryId } from "../domain";
import { indexOnce } from "../indexer";
import { DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS, type RunningRegistrySimulator } from "../registry/simulator";
import { seedHolding, startTestSimulator, type SimulatorClient } from "../registry/simulator/testing";
import { ledgerActions, startTestChain, testClaim, testRef, type Actor, type LedgerActions, type TestChain } from "../testing";
import type { RetirementClaimInput } from "../domain";
import { toRetirementClaimTuple } from "../domain";
import { registryAdaptersFor, type RegistryAdapters } from "./registryView";

export interface TokenizedBlock {
  readonly batchId: bigint;
  readonly registry: RegistryId;
  readonly serialNumber: string;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
  readonly lockRef: Hex;
  readonly holderAccount: string;
}

export interface TestWorld {
  readonly chain: TestChain;
  readonly db: TestDatabase;
  readonly sim: RunningRegistrySimulator;
  readonly client: SimulatorClient;
  readonly registries: RegistryAdapters;
  readonly ledger: LedgerActions;
  /** Issues `quantity` credits at the registry, locks them into platform custody and tokenizes them to `owner` (KYC'd here). */
  lockAndTokenize(owner: Address, quantity?: number, registry?: RegistryId): Promise<TokenizedBlock>;
  /** Retires `amount` on-chain for `holder`; with `atRegistry` also at the registry, and then records the verdict on-chain. */
  retire(
    holder: Actor,
    block: TokenizedBlock,
    amount: bigint,
    options?: { atRegistry?: boolean; confirmOnChain?: boolean; claim?: Partial<RetirementClaimInput> },
  ): Promise<{ certificateId: bigint; firstSerial: bigint; lastSerial: bigint }>;
  /** Indexes the chain up to its head into the read model. */
  index(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestWorld(): Promise<TestWorld> {
  const [chain, db, { sim, client }] = await Promise.all([startTestChain(), openTestDatabase(), startTestSimulator()]);
  const registries = registryAdaptersFor(sim.url, { timeoutMs: 5_000 });
  const ledger = ledgerActions(chain);
  const kycDone = new Set<string>();

  const world: TestWorld = {
    chain,
    db,
    sim,
    client,
    registries,
    ledger,
    async lockAndTokenize(owner, quantity = 100, registry = "VERRA") {
      if (!kycDone.has(owner)) {
        await ledger.kyc(owner, registry === "CCTS" ? { country: "IN" } : {});
        kycDone.add(owner);
      }
      const { account, issuance } = await seedHolding(client, registry, quantity);
      const adapter = registries(registry);
      if (adapter === undefined) throw new Error(`no adapter for ${registry}`);
      const lockRef = testRef(`lock-${issuance.id}`);
      await adapter.submitLock({
        requestId: `lock-${issuance.id}`,
        serial: issuance.serialNumber,
        fromAccount: account.id,
        custodyAccount: DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS[registry],
        lockRef,
        owner,
        chainId: chain.chainId,
      });
      sim.control.tick();
      const status = await adapter.getSerialBlockStatus(issuance.serialNumber);
      if (status?.status !== "LOCKED") throw new Error(`lock of ${issuance.serialNumber} did not complete: ${JSON.stringify(status)}`);
      const serial = adapter.parseSerial(issuance.serialNumber);
      const batch = adapter.toBatch(serial, { methodology: "VM0042", labels: ["CCP"] });
      const { batchId } = await ledger.tokenize(toBatchInfo(batch), owner, { lockRef });
      return {
        batchId,
        registry,
        serialNumber: issuance.serialNumber,
        serialStart: serial.serialStart,
        serialEnd: serial.serialEnd,
        lockRef,
        holderAccount: status.holderAccount,
      };
    },
    async retire(holder, block, amount, options = {}) {
      const claimInput: RetirementClaimInput = {
        beneficiaryName: "Acme Corp",
        reason: "Corporate Emissions Inventory Accounting",
        periodStart: "2025-01-01",
        periodEnd: "2025-12-31",
        consumptionCountry: "US",
        ...options.claim,
      };
      const retired = await ledger.retire(holder, block.batchId, amount, options.claim === undefined ? testClaim() : toRetirementClaimTuple(claimInput));
      if (options.atRegistry ?? true) {
        const adapter = registries(block.registry);
        if (adapter === undefined) throw new Error(`no adapter for ${block.registry}`);
        const operation = await adapter.submitRetirement({
          requestId: `retire-${retired.certificateId}`,
          serial: block.serialNumber,
          range: { first: String(retired.firstSerial), last: String(retired.lastSerial) },
          custodyAccount: block.holderAccount,
          beneficiaryName: claimInput.beneficiaryName ?? null,
          beneficiaryCommitment: claimInput.beneficiaryName == null ? (claimInput.beneficiaryCommitment ?? null) : null,
          reason: claimInput.reason,
          periodStart: claimInput.periodStart,
          periodEnd: claimInput.periodEnd,
          consumptionCountry: claimInput.consumptionCountry,
          certificateId: String(retired.certificateId),
          chainId: chain.chainId,
        });
        sim.control.tick();
        const done = await adapter.getOperation(operation.operationId);
        if (done?.status !== "COMPLETED") throw new Error(`registry retirement did not complete: ${JSON.stringify(done)}`);
        if (options.confirmOnChain ?? true) {
          await ledger.confirmRetirement(retired.certificateId, { registryRef: testRef(operation.operationId) });
        }
      }
      return { certificateId: retired.certificateId, firstSerial: retired.firstSerial, lastSerial: retired.lastSerial };
    },
    async index() {
      await indexOnce({ pool: db.pool, publicClient: chain.publicClient, deployment: chain.deployment, confirmations: 0 });
    },
    async close() {
      await Promise.allSettled([chain.close(), db.close(), sim.close()]);
    },
  };
  return world;
}
