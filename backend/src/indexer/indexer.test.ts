import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAddress, type Chain, type PublicClient, type Transport } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { carbonCreditAbi } from "../chain/abis";
import { withTransaction } from "../db";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import { ledgerActions, startTestChain, testBatchInfo, type LedgerActions, type TestChain } from "../testing";
import {
  acquireLease,
  carbonCreditModule,
  DeepReorgError,
  dumpReadModel,
  fenceLease,
  indexOnce,
  LEDGER_CONTRACTS,
  leaseHolder,
  LeaseLostError,
  queries,
  releaseLease,
  resetReadModel,
  runIndexer,
  type IndexedContract,
  type IndexOnceOptions,
  type IndexPassResult,
  type RunIndexerOptions,
} from "./index";
import { splitAtBlocks } from "./indexer";
import type { LedgerLog } from "./logSource";
import { runLedgerScenario, type ScenarioResult } from "./testScenario";

/** Polls `condition` every 25 ms for up to `timeoutMs`. */
async function eventually(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(25);
  }
}

describe("splitAtBlocks", () => {
  const log = (blockNumber: bigint, logIndex: number) => ({ blockNumber, logIndex }) as LedgerLog;
  const shape = (runs: ReturnType<typeof splitAtBlocks>) => runs.map((run) => [run.logs.map((l) => `${l.blockNumber}:${l.logIndex}`), run.last]);

  it("keeps whole blocks together within the limit, a bigger block alone, and returns one run for no logs", () => {
    const logs = [log(1n, 0), log(1n, 1), log(2n, 0), log(3n, 0), log(3n, 1), log(3n, 2), log(3n, 3), log(4n, 0)];
    expect(shape(splitAtBlocks(logs, 3))).toEqual([
      [["1:0", "1:1", "2:0"], false],
      [["3:0", "3:1", "3:2", "3:3"], false],
      [["4:0"], true],
    ]);
    expect(shape(splitAtBlocks([], 3))).toEqual([[[], true]]);
  });
});

describe("indexer", () => {
  let chain: TestChain;
  let db: TestDatabase;
  let ledger: LedgerActions;
  let scenario: ScenarioResult;
  /** The read model of the whole scenario, indexed in one go. */
  let fullIndex: Record<string, unknown[]>;

  const options = (overrides: Partial<IndexOnceOptions> = {}): IndexOnceOptions => ({
    pool: db.pool,
    publicClient: chain.publicClient,
    deployment: chain.deployment,
    confirmations: 0,
    batchSize: 1_000,
    custodyAddresses: [scenario.custody.address],
    ...overrides,
  });
  const chainId = () => chain.chainId;

  beforeAll(async () => {
    [chain, db] = await Promise.all([startTestChain(), openTestDatabase()]);
    ledger = ledgerActions(chain);
    scenario = await runLedgerScenario(chain);
  });
  afterAll(async () => {
    await Promise.all([chain?.close(), db?.close()]);
  });

  it("projects tokenize → transfer → retire → verdicts → redeem → reject/restore into balances, batches, retirements and custody events", async () => {
    const result = await indexOnce(options({ confirmations: 3 }));
    expect(result).toMatchObject({ status: "indexed", indexedBlock: await chain.blockNumber(), batches: 1 });
    const { alice, bob, carol, custody, batchA } = scenario;

    // Balances per state agree with the chain and with the scenario's arithmetic.
    const balanceOf = async (wallet: string) => (await queries.walletBalances(db.pool, chainId(), wallet)).find((b) => b.batchId === batchA);
    expect(await balanceOf(alice.address)).toEqual({ batchId: batchA, available: 55n, reserved: 0n, retired: 0n, redeemedPending: 0n, redeemedConfirmed: 5n });
    expect(await balanceOf(bob.address)).toEqual({ batchId: batchA, available: 18n, reserved: 0n, retired: 10n, redeemedPending: 0n, redeemedConfirmed: 0n });
    expect(await balanceOf(carol.address)).toEqual({ batchId: batchA, available: 3n, reserved: 0n, retired: 3n, redeemedPending: 0n, redeemedConfirmed: 0n });
    expect(await balanceOf(custody.address)).toEqual({ batchId: batchA, available: 0n, reserved: 6n, retired: 0n, redeemedPending: 0n, redeemedConfirmed: 0n });
    for (const wallet of [alice, bob, carol, custody]) {
      const onChain = await ledger.balanceOf(wallet.address, batchA);
      const indexed = await balanceOf(wallet.address);
      expect(indexed!.available + indexed!.reserved).toBe(onChain);
    }

    // The batch: every BatchInfo field, cursors and supply.
    const batch = await queries.batchById(db.pool, chainId(), batchA);
    expect(batch).toMatchObject({
      registry: "VERRA",
      projectId: "1340",
      methodology: "VM0042",
      serialScope: 0n,
      serialStart: 1_000n,
      serialEnd: 1_099n,
      vintageStart: 20200101,
      vintageEnd: 20201231,
      country: "ET",
      jurisdiction: null,
      labels: 1,
      correspondingAdjustment: 0,
      mrvDatasetId: null,
      serialNumber: "19385-1000-1099-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1",
      initialOwner: alice.address,
      lockRef: scenario.tokenizeA.lockRef,
      tokenizeAttestation: scenario.tokenizeA.attestation,
      transferRule: { jurisdiction: null, entityTypeMask: 0 },
      minted: 100n,
      retired: 13n,
      redeemedPending: 0n,
      redeemedConfirmed: 5n,
      onChainSupply: 82n,
      nextRetireSerial: 1_013n,
      redeemFloor: 1_095n,
      createdTx: scenario.tokenizeA.tx,
    });
    const totalSupply = await chain.publicClient.readContract({ address: chain.deployment.contracts.credit, abi: carbonCreditAbi, functionName: "totalSupply", args: [batchA] });
    expect(batch!.onChainSupply).toBe(totalSupply);
    expect(await queries.batchById(db.pool, chainId(), scenario.batchB)).toMatchObject({ registry: "GOLD_STANDARD", projectId: "GS11603", labels: 3 });

    // Retirements with claim fields, serial ranges and registry status.
    const bobRetirements = await queries.retirementsOf(db.pool, chainId(), { beneficiary: bob.address.toLowerCase() });
    expect(bobRetirements).toHaveLength(1);
    expect(bobRetirements[0]).toMatchObject({
      certificateId: scenario.bobRetirement.certificateId,
      batchId: batchA,
      holder: bob.address,
      beneficiary: bob.address,
      beneficiaryName: "Bob GmbH",
      beneficiaryCommitment: null,
      reason: "Corporate Emissions Inventory Accounting",
      periodStart: 20250101,
      periodEnd: 20251231,
      consumptionCountry: "US",
      firstSerial: 1_000n,
      lastSerial: 1_009n,
      quantity: 10n,
      registryStatus: "registry-confirmed",
      registryRef: scenario.bobRetirement.confirmation.registryRef,
      statusAttestation: scenario.bobRetirement.confirmation.attestation,
      txHash: scenario.bobRetirement.tx,
    });
    const certificate = await chain.publicClient.readContract({
      address: chain.deployment.contracts.certificate,
      abi: (await import("../chain/abis")).retirementCertificateAbi,
      functionName: "certificate",
      args: [scenario.bobRetirement.certificateId],
    });
    expect(bobRetirements[0].detailsHash).toBe(certificate.detailsHash);
    const carolRetirements = await queries.retirementsOf(db.pool, chainId(), { beneficiary: carol.address, period: { from: 20240101, to: 20241231 } });
    expect(carolRetirements).toMatchObject([{ beneficiaryName: null, beneficiaryCommitment: `0x${"ab".repeat(32)}`, registryStatus: "registry-rejected", firstSerial: 1_010n, lastSerial: 1_012n }]);
    expect(await queries.retirementsOf(db.pool, chainId(), { beneficiaryName: "Bob GmbH", period: { from: 20240101, to: 20241231 } })).toEqual([]);
    await expect(queries.retirementsOf(db.pool, chainId(), {})).rejects.toThrow(/beneficiary/);

    // Redemptions.
    expect(await queries.redemptionById(db.pool, chainId(), scenario.acceptedRedemption.redemptionId)).toMatchObject({
      status: "registry-confirmed",
      firstSerial: 1_095n,
      lastSerial: 1_099n,
      registryRef: scenario.acceptedRedemption.registryRef,
      resultAttestation: scenario.acceptedRedemption.attestation,
    });
    expect(await queries.redemptionById(db.pool, chainId(), scenario.rejectedRedemption.redemptionId)).toMatchObject({
      status: "registry-rejected",
      firstSerial: 1_088n,
      lastSerial: 1_094n,
      registryAccount: "VCS-ALICE-2",
    });

    // The custody chain of batch A, one row per custody change, with its evidence.
    const events = await queries.custodyEventsOfBatch(db.pool, chainId(), batchA);
    expect(events.map((e) => e.kind)).toEqual([
      "tokenized",
      "transferred",
      "reserved",
      "released",
      "forced_transfer",
      "retired",
      "retirement_confirmed",
      "retired",
      "retirement_rejected",
      "redemption_requested",
      "redemption_confirmed",
      "redemption_requested",
      "redemption_rejected",
    ]);
    expect(events[0]).toMatchObject({
      to: alice.address,
      amount: 100n,
      firstSerial: 1_000n,
      lastSerial: 1_099n,
      attestationDigest: scenario.tokenizeA.attestation,
      registryRef: scenario.tokenizeA.lockRef,
      txHash: scenario.tokenizeA.tx,
    });
    expect(events[1]).toMatchObject({ from: alice.address, to: bob.address, amount: 30n, txHash: scenario.transferTx, firstSerial: null });
    expect(events[4]).toMatchObject({ from: bob.address, to: carol.address, amount: 2n, reason: "lost keys, court order 7/2025", txHash: scenario.forcedTx });
    expect(events[6]).toMatchObject({
      certificateId: scenario.bobRetirement.certificateId,
      attestationDigest: scenario.bobRetirement.confirmation.attestation,
      registryRef: scenario.bobRetirement.confirmation.registryRef,
      txHash: scenario.bobRetirement.confirmation.tx,
    });
    expect(events[9]).toMatchObject({ redemptionId: scenario.acceptedRedemption.redemptionId, registryAccount: "VCS-HOLDER-ACCOUNT-1", amount: 5n });
    expect(events[12]).toMatchObject({
      to: alice.address,
      amount: 7n,
      firstSerial: 1_088n,
      lastSerial: 1_094n,
      redemptionId: scenario.rejectedRedemption.redemptionId,
      attestationDigest: scenario.rejectedRedemption.attestation,
      registryRef: scenario.rejectedRedemption.registryRef,
      txHash: scenario.rejectedRedemption.tx,
    });

    // Custody chain of one serial: only events whose serial range contains it.
    const ofSerial = await queries.custodyEventsOfSerial(db.pool, chainId(), { registry: "VERRA", serial: 1_005n });
    expect(ofSerial.map((e) => e.kind)).toEqual(["tokenized", "retired", "retirement_confirmed"]);
    const ofRestoredSerial = await queries.custodyEventsOfSerial(db.pool, chainId(), { registry: "VERRA", serialScope: 0n, serial: 1_090n });
    expect(ofRestoredSerial.map((e) => e.kind)).toEqual(["tokenized", "redemption_requested", "redemption_rejected"]);
    expect(await queries.custodyEventsOfSerial(db.pool, chainId(), { registry: "GOLD_STANDARD", serial: 1_005n })).toEqual([]);

    // Of a wallet, with keyset paging.
    const ofCarol = await queries.custodyEventsOfWallet(db.pool, chainId(), carol.address);
    expect(ofCarol.map((e) => e.kind)).toEqual(["released", "forced_transfer", "retired", "retirement_rejected", "tokenized"]);
    const firstPage = await queries.custodyEventsOfWallet(db.pool, chainId(), carol.address, { limit: 2 });
    const secondPage = await queries.custodyEventsOfWallet(db.pool, chainId(), carol.address, { after: firstPage[1], limit: 10 });
    expect([...firstPage, ...secondPage]).toEqual(ofCarol);
    await expect(queries.custodyEventsOfWallet(db.pool, chainId(), "0x1234")).rejects.toThrow(/Address/);

    // Attestations, signer sets, identities, freezes, roles, pause flag.
    const { rows: attestations } = await db.pool.query<{ purpose: string; subject: string; epoch: string; signers: string[] }>(
      "SELECT purpose, subject, epoch, signers FROM attestations WHERE chain_id = $1 ORDER BY block_number",
      [chainId()],
    );
    expect(attestations.map((a) => a.purpose)).toEqual([
      "tokenize",
      "tokenize",
      "retirement-confirmation",
      "retirement-confirmation",
      "redemption-result",
      "redemption-result",
      "tokenize",
    ]);
    expect(attestations[0]).toMatchObject({ subject: `batch:${batchA}`, epoch: "1" });
    expect(attestations[0].signers).toEqual(chain.oracleKeys.slice(0, 2).map((k) => privateKeyToAccount(k).address.toLowerCase()));
    expect(attestations[6]).toMatchObject({ subject: `batch:${scenario.batchC}`, epoch: "2" });
    const { rows: signerSets } = await db.pool.query<{ epoch: string; signers: string[]; threshold: number }>(
      "SELECT epoch, signers, threshold FROM signer_sets WHERE chain_id = $1 ORDER BY epoch",
      [chainId()],
    );
    expect(signerSets.map((s) => [s.epoch, s.threshold])).toEqual([["1", 2], ["2", 2], ["3", 2]]);
    expect(signerSets[1].signers.map((s) => getAddress(s))).toEqual([...scenario.epoch2Signers].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)));
    expect(await queries.identityOf(db.pool, chainId(), carol.address)).toMatchObject({
      status: "Verified",
      entityType: "Individual",
      country: "US",
      sanctionsCleared: true,
      frozen: false,
      lastChange: "unfrozen",
      lastReason: "false positive",
    });
    const { rows: freezes } = await db.pool.query("SELECT reason, unfreeze_reason FROM freezes WHERE chain_id = $1", [chainId()]);
    expect(freezes).toEqual([{ reason: "sanctions screening hit", unfreeze_reason: "false positive" }]);
    const { rows: pause } = await db.pool.query("SELECT paused FROM contract_pause_states WHERE chain_id = $1", [chainId()]);
    expect(pause).toEqual([{ paused: false }]);
    const { rows: bridgeRole } = await db.pool.query(
      "SELECT account FROM role_members WHERE chain_id = $1 AND contract_address = $2 AND account = $3",
      [chainId(), chain.deployment.contracts.credit.toLowerCase(), chain.deployment.contracts.bridge.toLowerCase()],
    );
    expect(bridgeRole).toHaveLength(1);

    // Every log is in chain_logs, decoded.
    const { rows: undecoded } = await db.pool.query("SELECT count(*)::int AS n FROM chain_logs WHERE chain_id = $1 AND event_name IS NULL", [chainId()]);
    expect(undecoded).toEqual([{ n: 0 }]);

    // Mining past the confirmation depth finalizes everything: undo snapshots and old headers are pruned.
    await chain.mine(3);
    await indexOnce(options({ confirmations: 3 }));
    const { rows: undo } = await db.pool.query("SELECT count(*)::int AS n FROM indexer_undo WHERE chain_id = $1", [chainId()]);
    expect(undo).toEqual([{ n: 0 }]);
    fullIndex = await dumpReadModel(db.pool, chainId());
  });

  it("rebuilds identical tables from block 0, whatever the batch and transaction sizes and whether blocks are final", async () => {
    // confirmations 0: every block final, balances summed per transaction (set-based writes);
    // confirmations 10,000: every block reversible, balances written per log after an undo snapshot.
    const variants = [{ batchSize: 1_000 }, { batchSize: 4 }, { batchSize: 1_000, maxLogsPerTransaction: 3 }, { batchSize: 5, confirmations: 10_000 }];
    for (const sizes of variants) {
      await resetReadModel(db.pool, chainId());
      const result = await indexOnce(options(sizes));
      expect(result.indexedBlock).toBe(await chain.blockNumber());
      expect(await dumpReadModel(db.pool, chainId())).toEqual(fullIndex);
    }
  });

  it("resumes from its checkpoint after a crash between or inside batches, without duplicates", async () => {
    await resetReadModel(db.pool, chainId());
    const partial = await indexOnce(options({ batchSize: 7, maxBatches: 2 }));
    expect(partial.indexedBlock).toBe(13n);

    // The RPC fails on the second range read: the pass dies between batches.
    let reads = 0;
    const failingClient = new Proxy(chain.publicClient, {
      get(target, property, receiver) {
        if (property === "getLogs") {
          return (...args: Parameters<typeof target.getLogs>) => {
            reads += 1;
            if (reads === 2) return Promise.reject(new Error("connection reset"));
            return target.getLogs(...args);
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    }) as PublicClient<Transport, Chain>;
    await expect(indexOnce(options({ batchSize: 7, publicClient: failingClient }))).rejects.toThrow(/connection reset/);
    expect((await queries.indexerProgress(db.pool, chainId()))!.indexedBlock).toBe(20n);

    // A projection dies inside a batch's transaction: nothing of that batch is kept.
    let applied = 0;
    const crashingCredit: IndexedContract = {
      ...carbonCreditModule,
      project: async (event, ctx) => {
        if (++applied === 5) throw new Error("process killed");
        return carbonCreditModule.project(event, ctx);
      },
    };
    const contracts = LEDGER_CONTRACTS.map((c) => (c === carbonCreditModule ? crashingCredit : c));
    await expect(indexOnce(options({ batchSize: 7, contracts }))).rejects.toThrow(/process killed/);
    const checkpoint = (await queries.indexerProgress(db.pool, chainId()))!.indexedBlock;
    expect(checkpoint).toBeGreaterThanOrEqual(20n);
    expect((checkpoint - 20n) % 7n).toBe(0n); // a batch boundary
    expect(checkpoint).toBeLessThan(await chain.blockNumber());
    const { rows: logsAfterCrash } = await db.pool.query<{ b: string }>("SELECT max(block_number)::text AS b FROM chain_logs WHERE chain_id = $1", [chainId()]);
    expect(BigInt(logsAfterCrash[0].b)).toBeLessThanOrEqual(checkpoint);

    await indexOnce(options({ batchSize: 7 }));
    expect(await dumpReadModel(db.pool, chainId())).toEqual(fullIndex);

    // Replaying already-applied blocks (checkpoint moved back by hand) changes nothing.
    await db.pool.query("UPDATE indexer_checkpoints SET indexed_block = 10, indexed_block_hash = NULL WHERE chain_id = $1", [chainId()]);
    await indexOnce(options({ batchSize: 7 }));
    expect(await dumpReadModel(db.pool, chainId())).toEqual(fullIndex);
  });

  it("rolls back above the fork point after a reorg and then equals a fresh index of the new chain", async () => {
    const { alice, bob, carol, batchA } = scenario;
    await resetReadModel(db.pool, chainId());
    await indexOnce(options({ confirmations: 10 }));
    const forkBase = await chain.blockNumber();
    const snapshot = await chain.snapshot();

    // Branch 1, indexed while unfinalized.
    await ledger.transfer(alice, bob.address, batchA, 1n);
    await ledger.retire(bob, batchA, 2n);
    const dropped = await ledger.tokenize(testBatchInfo(3_000n, 3_049n), alice.address);
    await ledger.redeem(alice, batchA, 4n);
    await ledger.freeze(bob.address, "branch 1 only");
    expect((await indexOnce(options({ confirmations: 10 }))).reorg).toBeUndefined();
    expect(await queries.batchById(db.pool, chainId(), dropped.batchId)).toBeDefined();

    // Branch 2 replaces it.
    await chain.revert(snapshot);
    await ledger.transfer(alice, carol.address, batchA, 3n);
    const replacement = await ledger.tokenize(testBatchInfo(3_000n, 3_019n, { projectId: "9999" }), carol.address);
    await chain.mine(4);
    const result = await indexOnce(options({ confirmations: 10 }));
    expect(result.reorg).toMatchObject({ forkBlock: forkBase + 1n });
    expect(result.indexedBlock).toBe(await chain.blockNumber());
    expect(replacement.batchId).toBe(dropped.batchId);
    expect(await queries.batchById(db.pool, chainId(), replacement.batchId)).toMatchObject({ projectId: "9999", serialEnd: 3_019n, initialOwner: carol.address });
    expect((await queries.identityOf(db.pool, chainId(), bob.address))!.frozen).toBe(false);
    const afterReorg = await dumpReadModel(db.pool, chainId());

    await resetReadModel(db.pool, chainId());
    await indexOnce(options({ confirmations: 10 }));
    expect(afterReorg).toEqual(await dumpReadModel(db.pool, chainId()));
  });

  it("refuses to follow a reorg deeper than the confirmation depth", async () => {
    const { alice, bob, carol, batchA } = scenario;
    await resetReadModel(db.pool, chainId());
    const snapshot = await chain.snapshot();
    await ledger.transfer(alice, bob.address, batchA, 1n);
    await ledger.transfer(alice, bob.address, batchA, 1n);
    await ledger.transfer(alice, bob.address, batchA, 1n);
    await indexOnce(options({ confirmations: 1 }));
    await chain.revert(snapshot);
    await ledger.transfer(alice, carol.address, batchA, 1n);
    await chain.mine(3);
    await expect(indexOnce(options({ confirmations: 1 }))).rejects.toThrow(DeepReorgError);
    await resetReadModel(db.pool, chainId());
  });

  it("refuses a read model built from other sources", async () => {
    await resetReadModel(db.pool, chainId());
    await indexOnce(options());
    await expect(indexOnce(options({ custodyAddresses: [] }))).rejects.toThrow(/rebuild/);
  });

  describe("lease", () => {
    it("is held by one holder until it expires, and fences a holder that lost it", async () => {
      const a = { name: "lease-unit", holder: "A", ttlMs: 1_500 };
      const b = { name: "lease-unit", holder: "B", ttlMs: 1_500 };
      expect(await acquireLease(db.pool, a)).toBe(true);
      expect(await acquireLease(db.pool, b)).toBe(false);
      expect(await acquireLease(db.pool, a)).toBe(true); // renewal
      await withTransaction(db.pool, (tx) => fenceLease(tx, a));
      await expect(withTransaction(db.pool, (tx) => fenceLease(tx, b))).rejects.toThrow(LeaseLostError);

      await sleep(1_600); // A stops renewing
      expect(await acquireLease(db.pool, b)).toBe(true);
      expect((await leaseHolder(db.pool, "lease-unit"))?.holder).toBe("B");
      await expect(withTransaction(db.pool, (tx) => fenceLease(tx, a))).rejects.toThrow(LeaseLostError);
      expect(await acquireLease(db.pool, a)).toBe(false);

      await releaseLease(db.pool, a); // not A's: no effect
      expect((await leaseHolder(db.pool, "lease-unit"))?.holder).toBe("B");
      await releaseLease(db.pool, b);
      expect(await leaseHolder(db.pool, "lease-unit")).toBeUndefined();
    });

    it("keeps a second indexer on standby, which takes over when the first stops", async () => {
      await resetReadModel(db.pool, chain.chainId);
      const ledger = ledgerActions(chain);
      const passes: Record<string, IndexPassResult[]> = { A: [], B: [] };
      const base: Omit<RunIndexerOptions, "holderId" | "signal"> = {
        pool: db.pool,
        publicClient: chain.publicClient,
        deployment: chain.deployment,
        confirmations: 0,
        pollIntervalMs: 20,
        leaseTtlMs: 5_000,
      };
      const stopA = new AbortController();
      const stopB = new AbortController();
      const runA = runIndexer({ ...base, holderId: "A", signal: stopA.signal, onPass: (r) => passes.A.push(r) });
      await eventually(async () => passes.A.length > 0);
      const runB = runIndexer({ ...base, holderId: "B", signal: stopB.signal, onPass: (r) => passes.B.push(r) });

      await ledger.kyc(chain.users[0].address);
      const head = await chain.blockNumber();
      await eventually(async () => (await queries.indexerProgress(db.pool, chain.chainId))?.indexedBlock === head);
      await eventually(async () => passes.B.length >= 3);
      expect((await queries.indexerProgress(db.pool, chain.chainId))?.updatedBy).toBe("A");
      expect(passes.B.every((p) => p.status === "standby" && p.activeHolder === "A")).toBe(true);
      expect(passes.A.every((p) => p.status === "indexed")).toBe(true);

      stopA.abort();
      await runA; // releases the lease
      await ledger.kyc(chain.users[1].address);
      const nextHead = await chain.blockNumber();
      await eventually(async () => (await queries.indexerProgress(db.pool, chain.chainId))?.indexedBlock === nextHead);
      expect((await queries.indexerProgress(db.pool, chain.chainId))?.updatedBy).toBe("B");
      expect(await queries.identityOf(db.pool, chain.chainId, chain.users[1].address)).toMatchObject({ status: "Verified" });

      stopB.abort();
      await runB;
      expect(await leaseHolder(db.pool, `indexer:${chain.chainId}`)).toBeUndefined();
    });

    it("waits out the lease of a crashed holder, then takes over", async () => {
      const name = `indexer:${chain.chainId}`;
      expect(await acquireLease(db.pool, { name, holder: "crashed", ttlMs: 2_500 })).toBe(true);
      const standby = await indexOnce({ pool: db.pool, publicClient: chain.publicClient, deployment: chain.deployment, confirmations: 0, holderId: "C" });
      expect(standby).toMatchObject({ status: "standby", activeHolder: "crashed", batches: 0 });

      await ledgerActions(chain).kyc(chain.users[2].address);
      const stop = new AbortController();
      const passes: IndexPassResult[] = [];
      const run = runIndexer({
        pool: db.pool,
        publicClient: chain.publicClient,
        deployment: chain.deployment,
        confirmations: 0,
        pollIntervalMs: 20,
        leaseTtlMs: 2_000,
        holderId: "C",
        signal: stop.signal,
        onPass: (r) => passes.push(r),
      });
      const head = await chain.blockNumber();
      await eventually(async () => (await queries.indexerProgress(db.pool, chain.chainId))?.indexedBlock === head);
      expect(passes[0].status).toBe("standby");
      expect((await queries.indexerProgress(db.pool, chain.chainId))?.updatedBy).toBe("C");
      stop.abort();
      await run;
    });

    it("rejects a poll interval the lease would not survive", async () => {
      await expect(
        runIndexer({ pool: db.pool, publicClient: chain.publicClient, deployment: chain.deployment, pollIntervalMs: 10_000, leaseTtlMs: 15_000 }),
      ).rejects.toThrow(/half of leaseTtlMs/);
    });
  });
});
