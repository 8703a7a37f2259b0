/**
 * End to end with real parts: a Hardhat chain with the ledger (2-of-3 quorum), the registry
 * simulator (manual cycles), three oracle node servers on 127.0.0.1 (one per quorum key), the
 * aggregator and the submitter sending RegistryBridge.tokenize.
 */
import { randomUUID } from "node:crypto";
import express from "express";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { keccak256, stringToHex, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { carbonCreditAbi, oracleQuorumAbi, settlementEscrowAbi } from "../chain/abis";
import { walletClientFor } from "../chain/clients";
import { createRegistryAdapter, registryApiBaseUrl, type FetchLike, type RegistryAdapter } from "../registry";
import { DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS, type RunningRegistrySimulator } from "../registry/simulator";
import { seedHolding, startTestSimulator, type SimulatorClient } from "../registry/simulator/testing";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import { toBatchInfo } from "../domain";
import { registryAccountsHash } from "../onboarding/workflow/identity-writer";
import { registryAccountsOfWallet } from "../onboarding/workflow/wallet-accounts";
import { settlementActions, type LockedTrade } from "../settlement/testSupport";
import { ledgerActions, startTestChain, testRef, type TestChain } from "../testing";
import { collectQuorum, collectQuorums, QuorumNotReachedError, type CollectQuorumsOptions, type QuorumRequest } from "./aggregator";
import { createOracleNode, type WalletRegistryAccounts } from "./node";
import {
  WALLET_DIRECTORY_HEADERS,
  databaseWalletDirectory,
  httpWalletDirectory,
  unconfiguredWalletDirectory,
  walletDirectoryMessage,
} from "./walletDirectory";
import { startApiForTest } from "../api/testing";
import { onboardingApi } from "../onboarding/api";
import { AttestationSubmitter } from "./submitter";
import { startOracleNodeServer, type RunningOracleNodeServer } from "./server";
import { startHttpServer } from "../api/server";

let chain: TestChain;
let db: TestDatabase;
let sim: RunningRegistrySimulator;
let client: SimulatorClient;
let verra: RegistryAdapter;
let nodes: RunningOracleNodeServer[];
let outsider: RunningOracleNodeServer;
const outsiderKey = generatePrivateKey();
let quorumSigners: Address[];
const closers: (() => Promise<void>)[] = [];

function nodeFor(key: Hex, registryServerUrl = sim.url, walletRegistryAccounts: WalletRegistryAccounts = databaseWalletDirectory(db.pool)) {
  return createOracleNode({
    account: privateKeyToAccount(key),
    walletRegistryAccounts,
    registries: { VERRA: createRegistryAdapter("VERRA", { baseUrl: registryApiBaseUrl(registryServerUrl, "VERRA"), timeoutMs: 2_000 }) },
    custodyAccounts: { VERRA: DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS.VERRA },
    publicClient: chain.publicClient,
    deployment: chain.deployment,
    now: () => BigInt(Math.floor(Date.now() / 1000)),
  });
}

function startNode(key: Hex, registryServerUrl = sim.url): Promise<RunningOracleNodeServer> {
  return startOracleNodeServer(nodeFor(key, registryServerUrl));
}

/** What onboarding's approval leaves in the database: a `set_identity` chain write listing the wallet's registry accounts. */
async function recordIdentityWrite(wallet: Address, registryAccounts: readonly string[], options: { status?: "confirmed" | "sent"; purpose?: string } = {}) {
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO onboarding_applicants (id, wallet_address, kind, display_name, country, declared, state, state_reason)
     VALUES ($1, $2, 'organisation', 'Trader Ltd', 'DE', '{}'::jsonb, 'approved', 'test')
     ON CONFLICT (wallet_address) DO UPDATE SET updated_at = now() RETURNING id`,
    [randomUUID(), wallet.toLowerCase()],
  );
  await db.pool.query(
    `INSERT INTO onboarding_chain_writes (applicant_id, wallet_address, action, purpose, reason, payload, status)
     VALUES ($1, $2, 'set_identity', $3, 'approved', $4::jsonb, $5)`,
    [rows[0].id, wallet.toLowerCase(), options.purpose ?? "approval", JSON.stringify({ kind: "organisation", country: "DE", kycExpiry: "0", registryAccounts }), options.status ?? "confirmed"],
  );
}

beforeAll(async () => {
  chain = await startTestChain();
  closers.push(() => chain.close());
  db = await openTestDatabase();
  closers.push(() => db.close());
  ({ sim, client } = await startTestSimulator());
  closers.push(() => sim.close());
  verra = createRegistryAdapter("VERRA", { baseUrl: registryApiBaseUrl(sim.url, "VERRA"), timeoutMs: 2_000 });
  nodes = await Promise.all(chain.oracleKeys.map((key) => startNode(key)));
  outsider = await startNode(outsiderKey);
  for (const server of [...nodes, outsider]) closers.push(() => server.close());
  quorumSigners = [
    ...(await chain.publicClient.readContract({ address: chain.deployment.contracts.quorum, abi: oracleQuorumAbi, functionName: "signers" })),
  ];
}, 60_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

const submitter = () => walletClientFor(chain.rpcUrl, chain.chainId, chain.admin);

async function lockIntoCustody(owner: Address, options: { custodyAccount?: string; tick?: boolean } = {}) {
  const { account, issuance } = await seedHolding(client, "VERRA", 1000);
  const operation = await verra.submitLock({
    requestId: `lock-${issuance.id}`,
    serial: issuance.serialNumber,
    fromAccount: account.id,
    custodyAccount: options.custodyAccount ?? DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS.VERRA,
    lockRef: testRef(`lock-${issuance.id}`),
    owner,
    chainId: chain.chainId,
  });
  if (options.tick ?? true) sim.control.tick();
  return { issuance, operation };
}

async function quorumRequest(operationId: string): Promise<QuorumRequest> {
  return { registry: "VERRA", operationId, deadline: (await chain.latestTimestamp()) + 600n };
}

function collect(nodeUrls: string[], request: QuorumRequest) {
  return collectQuorum({
    nodeUrls,
    request,
    threshold: chain.threshold,
    signers: quorumSigners,
    chainId: chain.chainId,
    quorumAddress: chain.deployment.contracts.quorum,
    timeoutMs: 5_000,
  });
}

function collectBatch(nodeUrls: string[], requests: QuorumRequest[], extra: Partial<CollectQuorumsOptions> = {}) {
  return collectQuorums({
    nodeUrls,
    requests,
    threshold: chain.threshold,
    signers: quorumSigners,
    chainId: chain.chainId,
    quorumAddress: chain.deployment.contracts.quorum,
    timeoutMs: 5_000,
    ...extra,
  });
}

async function postToNode(url: string, body: unknown) {
  const response = await fetch(`${url}/v1/attestations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
}

describe("tokenization through the oracle quorum", () => {
  it("mints a completed custody lock to the memo's wallet, exactly once", async () => {
    const owner = chain.users[0].address;
    await ledgerActions(chain).kyc(owner);
    const { issuance, operation } = await lockIntoCustody(owner, { tick: false });
    const request = await quorumRequest(operation.operationId);

    // Still queued at the registry: the nodes refuse, no quorum (settled once two of three refused).
    expect(await postToNode(nodes[0].url, { ...request, deadline: String(request.deadline) })).toMatchObject({ status: 409, body: { error: { code: "NOT_COMPLETED" } } });
    const queued = await collect(nodes.map((n) => n.url), request).catch((e: unknown) => e);
    expect(queued).toBeInstanceOf(QuorumNotReachedError);
    expect((queued as QuorumNotReachedError).failures.map((f) => f.code)).toEqual(["NOT_COMPLETED", "NOT_COMPLETED"]);

    sim.control.tick();
    const collected = await collect(nodes.map((n) => n.url), request);
    expect(collected.signers).toHaveLength(2);
    expect([...collected.signers].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))).toEqual(collected.signers);
    expect(collected.signatures).toHaveLength(2 + 2 * 65 * 2);
    expect(collected.attestation).toMatchObject({ kind: "TokenizeAttestation", message: { owner, lockRef: testRef(`lock-${issuance.id}`) } });

    const submitterOf = new AttestationSubmitter({ walletClient: submitter(), publicClient: chain.publicClient, deployment: chain.deployment });
    const [result] = await submitterOf.submit([{ key: "lock", quorum: collected }]);
    expect(result).toMatchObject({ key: "lock", status: "applied" });
    const credit = chain.deployment.contracts.credit;
    const read = chain.publicClient;
    const batchId = await read.readContract({ address: credit, abi: carbonCreditAbi, functionName: "batchCount" });
    expect(await read.readContract({ address: credit, abi: carbonCreditAbi, functionName: "balanceOf", args: [owner, batchId] })).toBe(1000n);
    expect(await read.readContract({ address: credit, abi: carbonCreditAbi, functionName: "serialState", args: [batchId] })).toMatchObject({
      serialStart: BigInt(issuance.serialStart),
      serialEnd: BigInt(issuance.serialEnd),
    });

    // The same quorum again changes nothing.
    expect(await submitterOf.submit([{ key: "again", quorum: collected }])).toEqual([{ key: "again", status: "already-done", reason: "attestation already consumed" }]);
    expect(await read.readContract({ address: credit, abi: carbonCreditAbi, functionName: "balanceOf", args: [owner, batchId] })).toBe(1000n);
  }, 30_000);

  it("refuses a lock into a custody account that is not the platform's", async () => {
    const other = await client.createAccount({ registry: "VERRA", kind: "custody", name: "Another custodian" });
    const { operation } = await lockIntoCustody(chain.users[1].address, { custodyAccount: other.id });
    expect(await verra.getOperation(operation.operationId)).toMatchObject({ status: "COMPLETED" });
    const request = await quorumRequest(operation.operationId);
    expect(await postToNode(nodes[1].url, { ...request, deadline: String(request.deadline) })).toMatchObject({
      status: 409,
      body: { error: { code: "WRONG_CUSTODY_ACCOUNT" } },
    });
    const refused = await collect(nodes.map((n) => n.url), request).catch((e: unknown) => e);
    expect((refused as QuorumNotReachedError).failures.map((f) => f.code)).toEqual(["WRONG_CUSTODY_ACCOUNT", "WRONG_CUSTODY_ACCOUNT"]);
  });

  it("answers 400 to bad input, 409 to what it cannot attest, 503 when the registry is unreachable", async () => {
    const deadline = String((await chain.latestTimestamp()) + 600n);
    expect(await postToNode(nodes[0].url, { registry: "NOPE", operationId: "x", deadline })).toMatchObject({ status: 400 });
    expect(await postToNode(nodes[0].url, { registry: "VERRA", operationId: "x", deadline: 5 })).toMatchObject({ status: 400 });
    expect(await postToNode(nodes[0].url, { registry: "GOLD_STANDARD", operationId: "op-1", deadline })).toMatchObject({
      status: 409,
      body: { error: { code: "UNKNOWN_REGISTRY" } },
    });
    expect(await postToNode(nodes[0].url, { registry: "VERRA", operationId: "no-such-op", deadline })).toMatchObject({
      status: 409,
      body: { error: { code: "OPERATION_NOT_FOUND" } },
    });
    expect(await postToNode(nodes[0].url, { registry: "VERRA", operationId: "no-such-op", deadline: "1" })).toMatchObject({
      status: 409,
      body: { error: { code: "DEADLINE_OUT_OF_RANGE" } },
    });

    const deadRegistry = await startNode(chain.oracleKeys[0]);
    await deadRegistry.close();
    const cutOff = await startNode(chain.oracleKeys[0], deadRegistry.url);
    try {
      expect(await postToNode(cutOff.url, { registry: "VERRA", operationId: "op-1", deadline })).toMatchObject({
        status: 503,
        body: { error: { code: "REGISTRY_UNAVAILABLE" } },
      });
    } finally {
      await cutOff.close();
    }

    const health = await fetch(`${nodes[0].url}/health`);
    expect(await health.json()).toEqual({ status: "ok", signer: privateKeyToAccount(chain.oracleKeys[0]).address });
  });

  describe("batches", () => {
    it("a node answers a batch in order: signatures for what it can attest, refusals in place; bad batches get 400", async () => {
      const [a, b] = [await lockIntoCustody(chain.users[3].address), await lockIntoCustody(chain.users[3].address)];
      const pending = await lockIntoCustody(chain.users[3].address, { tick: false });
      const deadline = String((await chain.latestTimestamp()) + 600n);
      const ids = [a.operation.operationId, "no-such-operation", pending.operation.operationId, b.operation.operationId];
      const response = await fetch(`${nodes[0].url}/v1/attestations/batch`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ requests: ids.map((operationId) => ({ registry: "VERRA", operationId, deadline })) }),
      });
      expect(response.status).toBe(200);
      const { results } = (await response.json()) as { results: { ok: boolean; attestation?: { message: { lockRef: string } }; error?: { code: string } }[] };
      expect(results.map((r) => (r.ok ? "signed" : r.error?.code))).toEqual(["signed", "OPERATION_NOT_FOUND", "NOT_COMPLETED", "signed"]);
      expect(results[0].attestation?.message.lockRef).toBe(testRef(`lock-${a.issuance.id}`));
      expect(results[3].attestation?.message.lockRef).toBe(testRef(`lock-${b.issuance.id}`));

      for (const body of [{ requests: [] }, { requests: [{ registry: "VERRA", operationId: "x", deadline: "-1" }] }, { request: [] }]) {
        const bad = await fetch(`${nodes[0].url}/v1/attestations/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("INVALID_REQUEST");
      }
      sim.control.tick();
    });

    it("collects a quorum per request from whole-batch answers, with one node down, and submits them in one transaction", async () => {
      const owner = chain.users[4].address;
      await ledgerActions(chain).kyc(owner);
      const locks = [await lockIntoCustody(owner), await lockIntoCustody(owner), await lockIntoCustody(owner)];
      const deadline = (await chain.latestTimestamp()) + 600n;
      const down = await startNode(chain.oracleKeys[2]);
      await down.close();
      const requests: QuorumRequest[] = [...locks.map((l) => ({ registry: "VERRA" as const, operationId: l.operation.operationId, deadline })), { registry: "VERRA", operationId: "no-such-operation", deadline }];
      const outcomes = await collectBatch([nodes[0].url, nodes[1].url, down.url], requests);
      expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false]);
      const refused = outcomes[3];
      // Settled as soon as the nodes left could no longer make a quorum (the dead node's failure may come first).
      expect(!refused.ok && refused.error).toBeInstanceOf(QuorumNotReachedError);
      expect(!refused.ok && refused.error.failures.some((f) => f.code === "OPERATION_NOT_FOUND")).toBe(true);
      const ready = outcomes.flatMap((o, i) => (o.ok ? [{ key: `lock-${i}`, quorum: o.quorum }] : []));
      expect(ready.every((r) => r.quorum.signers.length === chain.threshold)).toBe(true);
      const submitted = await new AttestationSubmitter({ walletClient: submitter(), publicClient: chain.publicClient, deployment: chain.deployment }).submit(ready);
      expect(submitted.map((o) => o.status)).toEqual(["applied", "applied", "applied"]);
      expect(new Set(submitted.map((o) => (o.status === "applied" ? o.transactionHash : "")).values()).size).toBe(1);
    });
  });

  describe("aggregation against faulty nodes", () => {
    let request: QuorumRequest;

    beforeAll(async () => {
      const { operation } = await lockIntoCustody(chain.users[2].address);
      request = await quorumRequest(operation.operationId);
    });

    it("reaches 2 of 3 with one node down", async () => {
      const down = await startNode(chain.oracleKeys[2]);
      await down.close();
      const collected = await collect([down.url, nodes[0].url, nodes[1].url], request);
      expect(collected.signers).toEqual(chain.oracleKeys.slice(0, 2).map((k) => privateKeyToAccount(k).address));
    });

    it("ignores a signer outside the quorum's set, and counts a signer once", async () => {
      const withOutsider = await collect([outsider.url, nodes[0].url, nodes[2].url], request);
      expect(withOutsider.signers).not.toContain(privateKeyToAccount(outsiderKey).address);
      expect(withOutsider.signers).toEqual([chain.oracleKeys[0], chain.oracleKeys[2]].map((k) => privateKeyToAccount(k).address));

      const short = await collect([outsider.url, nodes[0].url, nodes[0].url], request).catch((e: unknown) => e);
      expect(short).toBeInstanceOf(QuorumNotReachedError);
      const reasons = (short as QuorumNotReachedError).failures.map((f) => f.reason).join(" | ");
      expect(reasons).toMatch(/is not in the quorum's signer set/);
      expect(reasons).toMatch(/duplicate signer/);
    });

    it("rejects a node whose returned message differs from what it signed", async () => {
      const tampering = await startTamperingProxy(nodes[1].url, (body) => ({ ...body, message: { ...body.message, owner: chain.users[9].address } }));
      try {
        const collected = await collect([tampering.url, nodes[0].url, nodes[2].url], request);
        expect(collected.attestation.message).toMatchObject({ owner: chain.users[2].address });
        expect(collected.signers).not.toContain(privateKeyToAccount(chain.oracleKeys[1]).address);

        const short = await collect([tampering.url, nodes[0].url], request).catch((e: unknown) => e);
        expect(short).toBeInstanceOf(QuorumNotReachedError);
        expect((short as QuorumNotReachedError).failures).toEqual([expect.objectContaining({ nodeUrl: tampering.url, reason: expect.stringMatching(/does not match the message/) })]);
      } finally {
        await tampering.close();
      }
    });
  });
});

describe("asking M of N nodes first", () => {
  let requests: QuorumRequest[];

  beforeAll(async () => {
    const locks = [await lockIntoCustody(chain.users[2].address), await lockIntoCustody(chain.users[2].address)];
    const deadline = (await chain.latestTimestamp()) + 600n;
    requests = locks.map((l) => ({ registry: "VERRA", operationId: l.operation.operationId, deadline }));
  });

  /** `fetch` that records the node each batch request goes to, and holds the ones to `slowUrl` for `slowMs` (until aborted). */
  function recordingFetch(slow?: { url: string; ms: number }) {
    const asked: string[] = [];
    const fetchFn: FetchLike = async (input, init) => {
      const url = String(input);
      asked.push(url.replace(/\/v1\/attestations\/batch$/, ""));
      if (slow !== undefined && url.startsWith(slow.url)) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, slow.ms);
          init?.signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new Error("aborted"));
          });
        });
      }
      return fetch(input, init);
    };
    return { asked, fetchFn };
  }

  const batch = (nodeUrls: string[], extra: Partial<CollectQuorumsOptions>) => collectBatch(nodeUrls, requests, extra);
  const address = (key: Hex) => privateKeyToAccount(key).address;

  it("asks only M nodes when they sign, starting where told (load rotates)", async () => {
    const urls = nodes.map((n) => n.url);
    for (const firstNode of [0, 1, 2]) {
      const { asked, fetchFn } = recordingFetch();
      const outcomes = await batch(urls, { firstNode, fetch: fetchFn });
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(asked).toEqual([urls[firstNode], urls[(firstNode + 1) % 3]]);
      const expected = [chain.oracleKeys[firstNode], chain.oracleKeys[(firstNode + 1) % 3]].map(address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      for (const o of outcomes) expect(o.ok && o.quorum.signers).toEqual(expected);
    }
    // "all" asks every node at once, as before.
    const { asked, fetchFn } = recordingFetch();
    expect((await batch(urls, { fanOut: "all", fetch: fetchFn })).every((o) => o.ok)).toBe(true);
    expect(asked.sort()).toEqual([...urls].sort());
  });

  it("asks the next node at once when an answer leaves requests short (a node down)", async () => {
    const down = await startNode(chain.oracleKeys[2]);
    await down.close();
    const { asked, fetchFn } = recordingFetch();
    const started = Date.now();
    const outcomes = await batch([down.url, nodes[0].url, nodes[1].url], { firstNode: 0, fetch: fetchFn, hedgeAfterMs: 60_000 });
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(asked).toEqual([down.url, nodes[0].url, nodes[1].url]);
    for (const o of outcomes) expect(o.ok && o.quorum.signers).toEqual(chain.oracleKeys.slice(0, 2).map(address));
    // Not after the hedge delay: the failure itself brought the third node in.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("asks another node after hedgeAfterMs when one is slow, and does not wait for it", async () => {
    const { asked, fetchFn } = recordingFetch({ url: nodes[0].url, ms: 20_000 });
    const started = Date.now();
    const outcomes = await batch(nodes.map((n) => n.url), { firstNode: 0, fetch: fetchFn, hedgeAfterMs: 200 });
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(asked).toEqual([nodes[0].url, nodes[1].url, nodes[2].url]);
    for (const o of outcomes) expect(o.ok && o.quorum.signers).toEqual([chain.oracleKeys[1], chain.oracleKeys[2]].map(address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("brings in the next node on a refusal, and settles as refused once the nodes left cannot make a quorum", async () => {
    const { asked, fetchFn } = recordingFetch();
    const missing = { registry: "VERRA" as const, operationId: "no-such-operation", deadline: requests[0].deadline };
    const outcomes = await collectBatch(nodes.map((n) => n.url), [missing], { firstNode: 1, fetch: fetchFn });
    expect(outcomes[0].ok).toBe(false);
    // Two refusals of three settle it: the third node's answer, if any, is not waited for.
    expect(!outcomes[0].ok && outcomes[0].error.failures.map((f) => f.code)).toEqual(["OPERATION_NOT_FOUND", "OPERATION_NOT_FOUND"]);
    expect(asked).toEqual([nodes[1].url, nodes[2].url, nodes[0].url]);
  });
});

describe("escrow trade delivery through the oracle quorum", () => {
  // Seller and buyer of escrow trades, their VERRA accounts, and a tokenized batch of the seller's
  // registry block: a trade is delivered by transferring part of that block in the registry.
  const seller = () => chain.users[5];
  const buyer = () => chain.users[6];
  let sellerAccount: string;
  /** Another registry account of the seller. */
  let sellerSecondAccount: string;
  let buyerAccount: string;
  let sellerBlock: { serial: string; next: bigint };
  let batchId: bigint;

  beforeAll(async () => {
    const ledger = ledgerActions(chain);
    const settle = settlementActions(chain);
    const { account, issuance } = await seedHolding(client, "VERRA", 1000);
    sellerAccount = account.id;
    sellerSecondAccount = (await client.createAccount({ registry: "VERRA", name: "Seller GmbH, second account" })).id;
    buyerAccount = (await client.createAccount({ registry: "VERRA", name: "Buyer AG" })).id;
    sellerBlock = { serial: issuance.serialNumber, next: BigInt(issuance.serialStart) };
    const sellerAccounts = [`VERRA:${sellerSecondAccount}`, `VERRA:${sellerAccount}`];
    await recordIdentityWrite(seller().address, sellerAccounts);
    await recordIdentityWrite(buyer().address, [`VERRA:${buyerAccount}`]);
    await ledger.kyc(seller().address, { registryAccountsHash: registryAccountsHash(sellerAccounts) });
    await ledger.kyc(buyer().address, { registryAccountsHash: registryAccountsHash([`VERRA:${buyerAccount}`]) });
    ({ batchId } = await ledger.tokenize(toBatchInfo(verra.toBatch(verra.parseSerial(issuance.serialNumber))), seller().address));
    await settle.approveEscrow(seller());
    await settle.fund(buyer(), 10n ** 15n);
  }, 30_000);

  /** An escrow-mode order of the seller for `quantity`, agreed in full by the buyer: the trade is locked on chain. */
  async function lockTrade(quantity = 100n, buyerAccount = buyer()): Promise<LockedTrade> {
    const settle = settlementActions(chain);
    const order = await settle.order(seller().address, batchId, { mode: "escrow", quantity });
    return settle.agree(buyerAccount, order, await settle.sign(seller(), order), quantity);
  }

  /** Transfers the seller's next `quantity` serials in the registry (one processing cycle). */
  async function transfer(memo: string, quantity: bigint, accounts: { from?: string; to?: string } = {}) {
    const first = sellerBlock.next;
    sellerBlock.next += quantity;
    const submitted = await verra.submitTransfer({
      requestId: `transfer-${first}`,
      serial: sellerBlock.serial,
      range: { first: String(first), last: String(first + quantity - 1n) },
      fromAccount: accounts.from ?? sellerAccount,
      toAccount: accounts.to ?? buyerAccount,
      memo,
    });
    sim.control.tick();
    return verra.getOperation(submitted.operationId);
  }

  /** The distinct refusal codes the nodes answer for `operationId` (no quorum is reached). */
  async function refusals(operationId: string): Promise<string[]> {
    return [...new Set((await failures(operationId)).map((f) => f.code ?? f.reason))];
  }

  async function failures(operationId: string) {
    const refused = await collect(nodes.map((n) => n.url), await quorumRequest(operationId)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QuorumNotReachedError);
    return (refused as QuorumNotReachedError).failures;
  }

  it("releases a locked trade on a quorum confirming the registry transfer seller -> buyer: the buyer holds the credits, the seller is paid", async () => {
    const settle = settlementActions(chain);
    const locked = await lockTrade(100n);
    const sellerFunds = await settle.stableBalance(seller().address);
    const operation = await transfer(`trade ${locked.tradeId}`, 100n);
    expect(operation).toMatchObject({ status: "COMPLETED", fromAccount: sellerAccount, toAccount: buyerAccount, quantity: "100" });

    const collected = await collect(nodes.map((n) => n.url), await quorumRequest(operation!.operationId));
    expect(collected.attestation).toMatchObject({ kind: "TradeConfirmation", message: { tradeId: locked.tradeId } });
    const [result] = await new AttestationSubmitter({ walletClient: submitter(), publicClient: chain.publicClient, deployment: chain.deployment }).submit([
      { key: "trade", quorum: collected },
    ]);
    expect(result).toMatchObject({ key: "trade", status: "applied" });
    const read = chain.publicClient;
    expect(await read.readContract({ address: chain.deployment.contracts.credit, abi: carbonCreditAbi, functionName: "balanceOf", args: [buyer().address, batchId] })).toBe(100n);
    expect(await settle.stableBalance(seller().address)).toBe(sellerFunds + locked.trade.amount - locked.trade.fee);
    // The trade is over: released trades cannot be released (or refunded) again.
    await expect(
      read.simulateContract({ account: buyer(), address: settle.escrow, abi: settlementEscrowAbi, functionName: "refund", args: [locked.trade] }),
    ).rejects.toThrow();
  }, 30_000);

  it("refuses a transfer of another quantity than the trade's", async () => {
    const locked = await lockTrade(100n);
    const operation = await transfer(`trade ${locked.tradeId}`, 99n);
    expect(operation).toMatchObject({ status: "COMPLETED", quantity: "99" });
    expect(await refusals(operation!.operationId)).toEqual(["QUANTITY_MISMATCH"]);
  }, 30_000);

  it("refuses a transfer the registry rejected", async () => {
    const locked = await lockTrade(100n);
    sim.control.rejectNext("transfer", "account under review");
    const operation = await transfer(`trade ${locked.tradeId}`, 100n);
    expect(operation).toMatchObject({ status: "REJECTED" });
    expect(await refusals(operation!.operationId)).toEqual(["TRANSFER_REJECTED"]);
  }, 30_000);

  it("refuses a transfer whose memo names a trade the escrow never locked", async () => {
    const operation = await transfer(`trade ${keccak256(stringToHex("no such trade"))}`, 100n);
    expect(operation).toMatchObject({ status: "COMPLETED" });
    expect(await refusals(operation!.operationId)).toEqual(["UNKNOWN_ON_CHAIN"]);
  }, 30_000);

  describe("the transfer must go from the seller's registry accounts to the buyer's", () => {
    it("refuses a transfer between two of the seller's own accounts, naming the buyer and the account", async () => {
      const locked = await lockTrade(100n);
      const operation = await transfer(`trade ${locked.tradeId}`, 100n, { to: sellerSecondAccount });
      expect(operation).toMatchObject({ status: "COMPLETED", quantity: "100" });
      const refused = await failures(operation!.operationId);
      expect([...new Set(refused.map((f) => f.code))]).toEqual(["WRONG_ACCOUNT"]);
      expect(refused[0].reason).toContain(`to VERRA:${sellerSecondAccount}, which is not a registry account of the buyer ${buyer().address}`);
    }, 30_000);

    it("refuses a transfer to an account that is nobody's on the platform", async () => {
      const locked = await lockTrade(100n);
      const stranger = await client.createAccount({ registry: "VERRA", name: "Stranger Ltd" });
      const operation = await transfer(`trade ${locked.tradeId}`, 100n, { to: stranger.id });
      expect(await refusals(operation!.operationId)).toEqual(["WRONG_ACCOUNT"]);
    }, 30_000);

    it("accepts a delivery from any of the seller's accounts", async () => {
      // The seller first moves serials to their second account (no trade memo: nothing to attest)...
      const first = sellerBlock.next;
      const moved = await transfer("internal move", 100n, { to: sellerSecondAccount });
      expect(await refusals(moved!.operationId)).toEqual(["NOT_ATTESTABLE"]);
      // ...then delivers them from there.
      const locked = await lockTrade(100n);
      const submitted = await verra.submitTransfer({
        requestId: `delivery-from-second-${first}`,
        serial: moved!.resultSerial!,
        fromAccount: sellerSecondAccount,
        toAccount: buyerAccount,
        memo: `trade ${locked.tradeId}`,
      });
      sim.control.tick();
      const collected = await collect(nodes.map((n) => n.url), await quorumRequest(submitted.operationId));
      expect(collected.attestation).toMatchObject({ kind: "TradeConfirmation", message: { tradeId: locked.tradeId } });
    }, 30_000);

    it("refuses when the directory's list does not hash to the wallet's on-chain registry accounts", async () => {
      const locked = await lockTrade(100n);
      const operation = await transfer(`trade ${locked.tradeId}`, 100n, { to: sellerSecondAccount });
      // A directory claiming the seller's second account for the buyer: the chain's hash gives it away.
      const real = databaseWalletDirectory(db.pool);
      const lying: WalletRegistryAccounts = async (wallet) =>
        wallet === buyer().address ? [`VERRA:${buyerAccount}`, `VERRA:${sellerSecondAccount}`] : real(wallet);
      const request = await quorumRequest(operation!.operationId);
      const refusal = await nodeFor(chain.oracleKeys[0], sim.url, lying).attest(request).catch((e: unknown) => e);
      expect(refusal).toMatchObject({ code: "ACCOUNTS_UNVERIFIED", message: expect.stringContaining(`for the buyer ${buyer().address}`) });

      // A directory that cannot answer now is unavailability (retryable), not a verdict.
      const down: WalletRegistryAccounts = () => Promise.reject(new Error("connection refused"));
      const unavailable = await nodeFor(chain.oracleKeys[0], sim.url, down).attest(request).catch((e: unknown) => e);
      expect(unavailable).toMatchObject({ name: "RegistryUnavailableError", message: expect.stringContaining("connection refused") });

      // A node process started without PLATFORM_API_URL refuses, saying so.
      const unconfigured = await nodeFor(chain.oracleKeys[0], sim.url, unconfiguredWalletDirectory("this oracle node has no PLATFORM_API_URL")).attest(request).catch((e: unknown) => e);
      expect(unconfigured).toMatchObject({ code: "ACCOUNTS_UNVERIFIED", message: expect.stringContaining("has no PLATFORM_API_URL") });
    }, 30_000);

    it("refuses a trade whose buyer has no confirmed identity write in the platform database", async () => {
      const latecomer = chain.users[7];
      const accounts = [`VERRA:${(await client.createAccount({ registry: "VERRA", name: "Latecomer" })).id}`];
      await recordIdentityWrite(latecomer.address, accounts, { status: "sent" });
      await ledgerActions(chain).kyc(latecomer.address, { registryAccountsHash: registryAccountsHash(accounts) });
      await settlementActions(chain).fund(latecomer, 10n ** 12n);
      const locked = await lockTrade(100n, latecomer);
      const operation = await transfer(`trade ${locked.tradeId}`, 100n, { to: accounts[0].slice("VERRA:".length) });
      const refused = await failures(operation!.operationId);
      expect([...new Set(refused.map((f) => f.code))]).toEqual(["ACCOUNTS_UNVERIFIED"]);
      expect(refused[0].reason).toContain(`knows no registry accounts of the buyer ${latecomer.address}`);
    }, 30_000);
  });

  it("node processes read the directory from the platform API: GET /v1/wallets/:address/registry-accounts", async () => {
    const api = await startApiForTest({
      modules: [onboardingApi({ pool: db.pool, config: { screeningThreshold: 0.7 }, publicClient: chain.publicClient, deployment: chain.deployment })],
      pool: db.pool,
      withAuth: false,
    });
    try {
      const oracle = privateKeyToAccount(chain.oracleKeys[0]);
      const now = () => Math.floor(Date.now() / 1000);
      const signed = async (wallet: Address, signer = oracle, issuedAt = now()) => ({
        [WALLET_DIRECTORY_HEADERS.signer]: signer.address,
        [WALLET_DIRECTORY_HEADERS.issuedAt]: String(issuedAt),
        [WALLET_DIRECTORY_HEADERS.signature]: await signer.signMessage({ message: walletDirectoryMessage(wallet, chain.chainId, issuedAt) }),
      });
      const get = async (wallet: string, headers: Record<string, string> = {}) => {
        const response = await fetch(`${api.url}/v1/wallets/${wallet}/registry-accounts`, { headers });
        return { status: response.status, body: (await response.json()) as unknown };
      };
      expect(await get(buyer().address, await signed(buyer().address))).toEqual({
        status: 200,
        body: { wallet: buyer().address.toLowerCase(), registryAccounts: [`VERRA:${buyerAccount}`] },
      });
      const nobody = chain.users[12].address;
      expect(await get(nobody, await signed(nobody))).toMatchObject({ status: 404, body: { error: { code: "WALLET_UNKNOWN", message: expect.stringContaining(nobody.toLowerCase()) } } });
      expect(await get("0x1234")).toMatchObject({
        status: 400,
        body: { error: { code: "INVALID_REQUEST", message: expect.stringContaining("params.address: must be a 20-byte 0x wallet address") } },
      });
      // oracle signers only: no headers, a stale time, a signature for another wallet, a key outside the quorum
      expect(await get(buyer().address)).toMatchObject({ status: 401, body: { error: { code: "UNAUTHENTICATED", message: expect.stringContaining("oracle nodes only") } } });
      expect(await get(buyer().address, await signed(buyer().address, oracle, now() - 120))).toMatchObject({
        status: 401,
        body: { error: { message: expect.stringContaining("more than 60 s from now") } },
      });
      expect(await get(buyer().address, await signed(seller().address))).toMatchObject({
        status: 401,
        body: { error: { message: expect.stringContaining("was not made by") } },
      });
      const stranger = privateKeyToAccount(generatePrivateKey());
      expect(await get(buyer().address, await signed(buyer().address, stranger))).toMatchObject({
        status: 403,
        body: { error: { code: "FORBIDDEN", message: expect.stringContaining("not in the oracle quorum's current signer set") } },
      });

      const directory = httpWalletDirectory({ apiUrl: `${api.url}/`, account: oracle, chainId: chain.chainId });
      expect(await directory(seller().address)).toEqual([`VERRA:${sellerSecondAccount}`, `VERRA:${sellerAccount}`]);
      expect(await directory(nobody)).toBeNull();
      await expect(httpWalletDirectory({ apiUrl: `${api.url}/elsewhere`, account: oracle, chainId: chain.chainId })(seller().address)).rejects.toThrow(
        /HTTP 404 \(NOT_FOUND\); is PLATFORM_API_URL the platform API\?/,
      );
      await expect(httpWalletDirectory({ apiUrl: api.url, account: stranger, chainId: chain.chainId })(seller().address)).rejects.toThrow(/HTTP 403/);

      // A node with the HTTP directory confirms a delivery seller -> buyer like the in-process ones.
      const locked = await lockTrade(100n);
      const operation = await transfer(`trade ${locked.tradeId}`, 100n);
      const attestation = await nodeFor(chain.oracleKeys[1], sim.url, directory).attest(await quorumRequest(operation!.operationId));
      expect(attestation).toMatchObject({ kind: "TradeConfirmation", message: { tradeId: locked.tradeId } });
    } finally {
      await api.close();
    }
  }, 30_000);

  it("the database directory answers the registry accounts of the wallet's latest confirmed identity write", async () => {
    const wallet = chain.users[8].address;
    expect(await registryAccountsOfWallet(db.pool, wallet)).toBeNull();
    await recordIdentityWrite(wallet, ["VERRA:old"]);
    await recordIdentityWrite(wallet, ["GOLD_STANDARD:new", "VERRA:old"], { purpose: "case:1" });
    await recordIdentityWrite(wallet, ["VERRA:unconfirmed"], { purpose: "case:2", status: "sent" });
    expect(await registryAccountsOfWallet(db.pool, wallet)).toEqual(["GOLD_STANDARD:new", "VERRA:old"]);
    expect(await registryAccountsOfWallet(db.pool, wallet.toLowerCase() as Address)).toEqual(["GOLD_STANDARD:new", "VERRA:old"]);
  });
});

interface NodeAnswer {
  signer: string;
  signature: string;
  message: Record<string, unknown>;
}

/** A node stand-in that forwards batch requests to `target` and rewrites each attestation it answers. */
async function startTamperingProxy(target: string, rewrite: (body: NodeAnswer) => NodeAnswer): Promise<RunningOracleNodeServer> {
  const app = express();
  app.use(express.json());
  app.post("/v1/attestations/batch", async (req, res) => {
    const answer = await fetch(`${target}/v1/attestations/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(req.body) });
    const body = (await answer.json()) as { results: ({ ok: true; attestation: NodeAnswer } | { ok: false })[] };
    res.status(answer.status).json({ results: body.results.map((r) => (r.ok ? { ...r, attestation: rewrite(r.attestation) } : r)) });
  });
  return startHttpServer(app);
}
