/**
 * Registry synchronisation end to end, with real parts only: the registry simulator (manual cycles,
 * webhooks signed per Standard Webhooks with a compressed retry schedule), three oracle node HTTP
 * servers (2-of-3), the Hardhat chain with the ledger, Postgres (PGlite, or TEST_DATABASE_URL) with
 * pg-boss, and the webhook intake over HTTP. Every scenario ends by comparing the chain with the
 * registry.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Webhook } from "standardwebhooks";
import type { Address, Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { carbonCreditAbi, registryBridgeAbi, retirementCertificateAbi } from "../chain/abis";
import { walletClientFor } from "../chain/clients";
import { openDatabase, runMigrations } from "../db";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import { createRegistryAdapter, registryApiBaseUrl, type RegistryAdapter } from "../registry";
import { DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS, type RunningRegistrySimulator } from "../registry/simulator";
import { seedHolding, startTestSimulator, waitFor, type SimulatorClient } from "../registry/simulator/testing";
import { ledgerActions, startTestChain, testRef, type LedgerActions, type TestChain } from "../testing";
import type { RunningOracleNodeServer } from "../oracle/server";
import { listOperations } from "./operations";
import { databaseWalletDirectory } from "../oracle/walletDirectory";
import { startOracleNode, startSyncPlatform, type RunningSyncPlatform } from "./platform";
import { createRegistryInstructionForwarder, type RegistryInstructionForwarder } from "./registryInstructions";

const SECRET = `whsec_${Buffer.from("carbonclear-sync-test-secret").toString("base64")}`;
const CUSTODY = DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS.VERRA;

let chain: TestChain;
let ledger: LedgerActions;
let sim: RunningRegistrySimulator;
let client: SimulatorClient;
let verra: RegistryAdapter;
let db: TestDatabase;
let platform: RunningSyncPlatform;
let nodes: RunningOracleNodeServer[];
let nodePorts: number[];
let forwarder: RegistryInstructionForwarder;
const closers: (() => Promise<void>)[] = [];

const startNode = (index: number, port = 0) =>
  startOracleNode({
    key: chain.oracleKeys[index],
    registryUrl: sim.url,
    publicClient: chain.publicClient,
    deployment: chain.deployment,
    walletRegistryAccounts: databaseWalletDirectory(db.pool),
    port,
    registryTimeoutMs: 1_000,
  });

beforeAll(async () => {
  chain = await startTestChain();
  closers.push(() => chain.close());
  ledger = ledgerActions(chain);
  ({ sim, client } = await startTestSimulator({ webhookTimeFactor: 0.0005, webhookAttemptTimeoutMs: 2_000 }));
  closers.push(() => sim.close());
  verra = createRegistryAdapter("VERRA", { baseUrl: registryApiBaseUrl(sim.url, "VERRA"), timeoutMs: 2_000 });
  db = await openTestDatabase();
  closers.push(() => db.close());
  nodes = await Promise.all([0, 1, 2].map((i) => startNode(i)));
  nodePorts = nodes.map((n) => Number(new URL(n.url).port));
  closers.push(() => Promise.all(nodes.map((n) => n.close())).then(() => undefined));
  platform = await startTestSyncPlatform(db, chain.users[9], { queueSchema: db.schema, receiptTimeoutMs: 2_000 });
  forwarder = createRegistryInstructionForwarder({ publicClient: chain.publicClient, deployment: chain.deployment, registryUrl: sim.url, custodyAccounts: DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS });
  closers.push(() => platform.close());
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
}, 60_000);

async function lockIntoCustody(owner: Address, quantity = 100) {
  const { account, issuance } = await seedHolding(client, "VERRA", quantity);
  const operation = await verra.submitLock({
    requestId: `lock-${issuance.id}`,
    serial: issuance.serialNumber,
    fromAccount: account.id,
    custodyAccount: CUSTODY,
    lockRef: testRef(`lock-${issuance.id}`),
    owner,
    chainId: chain.chainId,
  });
  return { issuance, operation };
}

/** The sync worker over `database`, relaying with `submitter`, asking the test's oracle nodes. */
function startTestSyncPlatform(database: Parameters<typeof startSyncPlatform>[0]["db"], submitter: TestChain["users"][number], extra: { queueSchema?: string; receiptTimeoutMs?: number } = {}) {
  return startSyncPlatform({
    db: database,
    ...extra,
    publicClient: chain.publicClient,
    deployment: chain.deployment,
    submitterWallet: walletClientFor(chain.rpcUrl, chain.chainId, submitter),
    registryUrl: sim.url,
    remoteNodeUrls: nodes.map((n) => n.url),
    webhookSecret: SECRET,
    logger: pino({ level: "silent" }),
    reconcileIntervalMs: 60_000,
    retryDelaySeconds: 1,
  });
}

/** 100 credits locked at the registry and tokenized to `user`, then `amount` of them redeemed on-chain to a new registry account. */
async function tokenizeThenRedeem(user: TestChain["users"][number], amount: bigint) {
  const owner = user.address;
  await ledger.kyc(owner);
  const { issuance } = await lockIntoCustody(owner, 100);
  sim.control.tick();
  const batchId = await expectTokenizedOnce(testRef(`lock-${issuance.id}`), owner, issuance);
  const holder = await client.createAccount({ registry: "VERRA" });
  const redeemed = await ledger.redeem(user, batchId, amount, holder.id);
  return { owner, batchId, issuance, redeemed };
}

async function batchOfLock(lockRef: Hex): Promise<bigint | undefined> {
  const logs = await chain.publicClient.getContractEvents({
    address: chain.deployment.contracts.credit,
    abi: carbonCreditAbi,
    eventName: "BatchCreated",
    args: { lockRef },
    fromBlock: 0n,
  });
  return logs.length === 0 ? undefined : (logs.length === 1 ? logs[0].args.batchId : -1n);
}

async function operationState(operationId: string) {
  const rows = await listOperations(db.pool);
  return rows.find((r) => r.operationId === operationId);
}

const balance = (owner: Address, batchId: bigint) =>
  chain.publicClient.readContract({ address: chain.deployment.contracts.credit, abi: carbonCreditAbi, functionName: "balanceOf", args: [owner, batchId] });

/** The chain holds exactly one batch for `lockRef`, minted to `owner`, with the registry block's serial range. */
async function expectTokenizedOnce(lockRef: Hex, owner: Address, issuance: { serialStart: string; serialEnd: string; quantity: string }) {
  const batchId = await waitFor(() => batchOfLock(lockRef), 20_000, `tokenization of ${lockRef}`);
  expect(batchId).toBeGreaterThan(0n);
  expect(await balance(owner, batchId)).toBe(BigInt(issuance.quantity));
  const state = await chain.publicClient.readContract({ address: chain.deployment.contracts.credit, abi: carbonCreditAbi, functionName: "serialState", args: [batchId] });
  expect([state.serialStart, state.serialEnd]).toEqual([BigInt(issuance.serialStart), BigInt(issuance.serialEnd)]);
  return batchId;
}

describe("registry events carried to the chain", () => {
  it("issuance locked in the registry → batch tokenized to its owner, from the webhook alone", async () => {
    const owner = chain.users[0].address;
    await ledger.kyc(owner);
    const { issuance, operation } = await lockIntoCustody(owner, 250);
    sim.control.tick();
    await expectTokenizedOnce(testRef(`lock-${issuance.id}`), owner, issuance);
    const row = await waitFor(async () => ((await operationState(operation.operationId))?.state === "applied" ? operationState(operation.operationId) : undefined), 5_000);
    expect(row).toMatchObject({ source: "webhook", kind: "TokenizeAttestation", state: "applied" });
    expect((await verra.getSerialBlockStatus(issuance.serialNumber))?.status).toBe("LOCKED");
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(/carbonclear_sync_confirmation_latency_seconds_count\{kind="TokenizeAttestation"\} [1-9]/);
  }, 30_000);

  it("retirement on-chain → registry retirement → certificate registry-confirmed", async () => {
    const owner = chain.users[1].address;
    await ledger.kyc(owner);
    const { issuance } = await lockIntoCustody(owner, 100);
    sim.control.tick();
    const batchId = await expectTokenizedOnce(testRef(`lock-${issuance.id}`), owner, issuance);
    const retired = await ledger.retire(chain.users[1], batchId, 30n);
    // The forwarder carries the on-chain retirement to the registry (idempotently: a second pass submits nothing).
    const forwarded = await forwarder.runOnce();
    expect(forwarded.retirements).toEqual([expect.objectContaining({ id: retired.certificateId, registry: "VERRA", requestId: `retire-${retired.certificateId}` })]);
    expect((await forwarder.runOnce()).retirements).toEqual([]);
    const registryRetirement = forwarded.retirements[0];
    sim.control.tick();
    const certificate = await waitFor(async () => {
      const c = await chain.publicClient.readContract({ address: chain.deployment.contracts.certificate, abi: retirementCertificateAbi, functionName: "certificate", args: [retired.certificateId] });
      return c.status === 2 ? c : undefined;
    }, 20_000, "certificate confirmation");
    const completed = await verra.getOperation(registryRetirement.operationId);
    expect(completed?.status).toBe("COMPLETED");
    expect(certificate.registryRef).not.toBe(`0x${"0".repeat(64)}`);
    // The on-chain effect comes first, the pipeline's record of it right after.
    const row = await waitFor(async () => {
      const found = await operationState(registryRetirement.operationId);
      return found?.state === "applied" ? found : undefined;
    }, 5_000, "the operation recorded as applied");
    expect(row).toMatchObject({ state: "applied", kind: "RetirementConfirmation" });
  }, 30_000);

  it("redemption on-chain → forwarded to the registry → completed there and settled on-chain", async () => {
    const { owner, batchId, redeemed } = await tokenizeThenRedeem(chain.users[3], 25n);
    const { redemptions } = await forwarder.runOnce();
    expect(redemptions.map((r) => r.id)).toEqual([redeemed.redemptionId]);
    sim.control.tick();
    await waitFor(async () => {
      const r = await chain.publicClient.readContract({ address: chain.deployment.contracts.bridge, abi: registryBridgeAbi, functionName: "redemption", args: [redeemed.redemptionId] });
      return r.status === 2 ? r : undefined; // Confirmed
    }, 20_000, "redemption confirmed on-chain");
    expect((await verra.getOperation(redemptions[0].operationId))?.status).toBe("COMPLETED");
    expect(await balance(owner, batchId)).toBe(75n);
  }, 30_000);

  it("redemption rejected by the registry → credits restored to the holder", async () => {
    const { owner, batchId, issuance, redeemed } = await tokenizeThenRedeem(chain.users[2], 40n);
    expect(await balance(owner, batchId)).toBe(60n);
    sim.control.rejectNext("redemption", "destination account under review");
    const forwarded = await forwarder.runOnce();
    expect(forwarded.redemptions).toEqual([expect.objectContaining({ id: redeemed.redemptionId, registry: "VERRA", requestId: `redeem-${redeemed.redemptionId}` })]);
    const registryRedemption = forwarded.redemptions[0];
    sim.control.tick();
    await waitFor(async () => ((await balance(owner, batchId)) === 100n ? true : undefined), 20_000, "credits restored");
    const onChain = await chain.publicClient.readContract({ address: chain.deployment.contracts.bridge, abi: registryBridgeAbi, functionName: "redemption", args: [redeemed.redemptionId] });
    expect(onChain.status).toBe(3); // Rejected
    expect((await verra.getOperation(registryRedemption.operationId))?.status).toBe("REJECTED");
    expect((await verra.getSerialBlockStatus(issuance.serialNumber))?.status).toBe("LOCKED");
  }, 30_000);
});

describe("faults", () => {
  it("refuses a forged or stale webhook and stores nothing", async () => {
    const body = JSON.stringify({ type: "operation.updated", timestamp: new Date().toISOString(), data: { registry: "VERRA", operationId: "forged-1", status: "COMPLETED" } });
    const forger = new Webhook(`whsec_${Buffer.from("not-the-registry-secret").toString("base64")}`);
    const now = new Date();
    const post = (headers: Record<string, string>, payload = body) => fetch(platform.webhookUrl, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: payload });
    const forged = await post({ "webhook-id": "msg_forged", "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": forger.sign("msg_forged", now, body) });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: { code: "INVALID_SIGNATURE" } });

    const real = new Webhook(SECRET);
    const old = new Date(Date.now() - 10 * 60_000);
    const stale = await post({ "webhook-id": "msg_stale", "webhook-timestamp": String(Math.floor(old.getTime() / 1000)), "webhook-signature": real.sign("msg_stale", old, body) });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { code: "STALE_TIMESTAMP" } });

    const tampered = await post(
      { "webhook-id": "msg_tampered", "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": real.sign("msg_tampered", now, body) },
      body.replace("forged-1", "forged-2"),
    );
    expect(tampered.status).toBe(401);
    const missing = await post({});
    expect(missing.status).toBe(401);
    const stored = await db.pool.query("SELECT count(*)::int AS n FROM sync_webhook_events WHERE webhook_id IN ('msg_forged', 'msg_stale', 'msg_tampered')");
    expect(stored.rows[0].n).toBe(0);
    expect(await operationState("forged-1")).toBeUndefined();
    expect(await operationState("forged-2")).toBeUndefined();
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(/carbonclear_sync_webhook_failures_total\{reason="INVALID_SIGNATURE"\} [3-9]/);
  });

  it("duplicated and reordered webhooks: every lock tokenized exactly once", async () => {
    sim.control.setWebhookChaos({ duplicateRate: 1, reorderRate: 1 });
    try {
      const owner = chain.users[3].address;
      await ledger.kyc(owner);
      const locks = [];
      for (let i = 0; i < 4; i++) locks.push(await lockIntoCustody(owner, 10 + i));
      sim.control.tick();
      for (const { issuance } of locks) await expectTokenizedOnce(testRef(`lock-${issuance.id}`), owner, issuance);
      await sim.control.whenWebhooksIdle();
      const duplicates = await db.pool.query("SELECT count(*)::int AS n FROM sync_webhook_events");
      expect(duplicates.rows[0].n).toBeGreaterThan(0);
      for (const { issuance } of locks) expect(await batchOfLock(testRef(`lock-${issuance.id}`))).toBeGreaterThan(0n);
    } finally {
      sim.control.setWebhookChaos({ duplicateRate: 0, reorderRate: 0 });
    }
  }, 40_000);

  it("dropped webhooks: polling reconciliation catches the lost events", async () => {
    sim.control.setWebhookChaos({ dropDeliveryRate: 1 });
    try {
      const owner = chain.users[4].address;
      await ledger.kyc(owner);
      const { issuance, operation } = await lockIntoCustody(owner, 77);
      sim.control.tick();
      await sim.control.whenWebhooksIdle();
      expect(await operationState(operation.operationId)).toBeUndefined();
      const report = await platform.reconcile();
      expect(report?.recovered).toBeGreaterThanOrEqual(1);
      await expectTokenizedOnce(testRef(`lock-${issuance.id}`), owner, issuance);
      expect(await operationState(operation.operationId)).toMatchObject({ source: "poll" });
      // A second pass finds nothing new.
      expect((await platform.reconcile())?.recovered).toBe(0);
    } finally {
      sim.control.setWebhookChaos({ dropDeliveryRate: 0 });
    }
  }, 30_000);

  it("registry answering 503 for a while: the job retries with backoff until the nodes can read it", async () => {
    const owner = chain.users[5].address;
    await ledger.kyc(owner);
    const { issuance, operation } = await lockIntoCustody(owner, 33);
    sim.control.setApiFaults([{ mode: "error", status: 503, pathPrefix: "/registries", durationMs: 2_500 }]);
    sim.control.tick();
    await waitFor(async () => ((await operationState(operation.operationId))?.lastError ? true : undefined), 10_000, "a failed attempt");
    expect(await batchOfLock(testRef(`lock-${issuance.id}`))).toBeUndefined();
    await expectTokenizedOnce(testRef(`lock-${issuance.id}`), owner, issuance);
    const row = await waitFor(async () => {
      const found = await operationState(operation.operationId);
      return found?.state === "applied" ? found : undefined;
    }, 5_000, "the operation recorded as applied");
    expect(row?.attempts).toBeGreaterThanOrEqual(2);
    expect(row?.state).toBe("applied");
  }, 40_000);

  it("oracle nodes killed mid-stream and restarted: no quorum meanwhile, then exactly one mint", async () => {
    const owner = chain.users[6].address;
    await ledger.kyc(owner);
    await nodes[0].close();
    await nodes[1].close();
    const { issuance, operation } = await lockIntoCustody(owner, 44);
    sim.control.tick();
    await waitFor(async () => ((await operationState(operation.operationId))?.lastError?.includes("quorum not reached") ? true : undefined), 10_000, "a failed quorum");
    expect(await batchOfLock(testRef(`lock-${issuance.id}`))).toBeUndefined();
    nodes[0] = await startNode(0, nodePorts[0]);
    nodes[1] = await startNode(1, nodePorts[1]);
    await expectTokenizedOnce(testRef(`lock-${issuance.id}`), owner, issuance);
  }, 40_000);
});

describe("restarts", () => {
  it("database and sync worker restarted while the registry confirms: the work is recovered from Postgres, minted once", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "carbonclear-sync-restart-"));
    const start = async () => {
      const database = await openDatabase({ pgliteInMemory: false, dataDir, databasePoolMax: 1 });
      await runMigrations(database.pool);
      const running = await startTestSyncPlatform(database, chain.users[8]);
      return { database, running };
    };
    try {
      const owner = chain.users[7].address;
      await ledger.kyc(owner);
      // First life: reconcile once (the cursor is stored), then everything goes down.
      await client.createAccount({ registry: "VERRA" });
      const first = await start();
      await first.running.reconcile();
      const cursorBefore = await first.database.pool.query("SELECT cursor FROM sync_cursors");
      expect(cursorBefore.rows).toHaveLength(1);
      await first.running.close();
      await first.database.close();

      // While the worker and its database are down, the registry confirms a lock (and no webhook
      // reaches anyone, so only the restarted worker's reconciliation can find it).
      sim.control.setWebhookChaos({ dropDeliveryRate: 1 });
      const { issuance, operation } = await lockIntoCustody(owner, 55);
      sim.control.tick();

      // Second life on the same data: the stored cursor leads the reconciler to the missed event.
      const second = await start();
      try {
        const cursor = await second.database.pool.query("SELECT cursor FROM sync_cursors");
        expect(cursor.rows).toEqual(cursorBefore.rows);
        await second.running.reconcile();
        await expectTokenizedOnce(testRef(`lock-${issuance.id}`), owner, issuance);
        const row = await waitFor(async () => {
          const rows = await listOperations(second.database.pool);
          const found = rows.find((r) => r.operationId === operation.operationId);
          return found?.state === "applied" ? found : undefined;
        }, 10_000);
        expect(row).toMatchObject({ state: "applied", kind: "TokenizeAttestation" });
      } finally {
        await second.running.close();
        await second.database.close();
      }
    } finally {
      sim.control.setWebhookChaos({ dropDeliveryRate: 0 });
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
