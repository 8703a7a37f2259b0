/**
 * The attestation submitter against a real Hardhat chain: several attestations per transaction
 * (with predecessor hints computed inside the batch), bad attestations isolated from good ones,
 * exactly-once effect, a nonce gap in front of the submitting key, and a transaction that vanishes
 * from the mempool.
 */
import { createWalletClient, http, type Address, type Hash, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { carbonCreditAbi } from "../chain/abis";
import { walletClientFor } from "../chain/clients";
import { ledgerActions, startTestChain, testBatchInfo, testRef, type LedgerActions, type TestChain } from "../testing";
import type { CollectedQuorum } from "./aggregator";
import { AttestationSubmitter } from "./submitter";

let chain: TestChain;
let ledger: LedgerActions;
let owner: Address;

beforeAll(async () => {
  chain = await startTestChain();
  ledger = ledgerActions(chain);
  owner = chain.users[0].address;
  await ledger.kyc(owner);
}, 60_000);

afterAll(async () => {
  await chain.close();
});

const submitterFor = (index: number, receiptTimeoutMs = 15_000) =>
  new AttestationSubmitter({
    walletClient: walletClientFor(chain.rpcUrl, chain.chainId, chain.users[index]),
    publicClient: chain.publicClient,
    deployment: chain.deployment,
    receiptTimeoutMs,
    pollingIntervalMs: 20,
  });

async function tokenizeQuorum(start: bigint, end: bigint, options: { signers?: readonly Hex[]; deadline?: bigint } = {}): Promise<CollectedQuorum> {
  const batch = testBatchInfo(start, end);
  const lockRef = testRef(`submitter-lock-${start}`);
  const signed = await ledger.attest("TokenizeAttestation", { batch, owner, lockRef }, { signers: options.signers, deadline: options.deadline });
  return { attestation: { kind: "TokenizeAttestation", message: signed.message }, digest: signed.digest, signatures: signed.signatures, signers: [] };
}

async function batchOfLock(start: bigint): Promise<bigint[]> {
  const logs = await chain.publicClient.getContractEvents({
    address: chain.deployment.contracts.credit,
    abi: carbonCreditAbi,
    eventName: "BatchCreated",
    args: { lockRef: testRef(`submitter-lock-${start}`) },
    fromBlock: 0n,
  });
  return logs.map((log) => log.args.batchId as bigint);
}

describe("AttestationSubmitter", () => {
  it("sends many tokenizations of one serial namespace in one transaction, in any order", async () => {
    const starts = [500_000n, 100_000n, 300_000n, 900_000n, 700_000n];
    const items = await Promise.all(starts.map(async (s) => ({ key: String(s), quorum: await tokenizeQuorum(s, s + 9n) })));
    const outcomes = await submitterFor(1).submit(items);
    expect(outcomes.map((o) => o.status)).toEqual(starts.map(() => "applied"));
    const hashes = new Set(outcomes.map((o) => (o.status === "applied" ? o.transactionHash : "")));
    expect(hashes.size).toBe(1);
    for (const s of starts) expect(await batchOfLock(s)).toHaveLength(1);

    // Everything again: already done, nothing minted twice.
    const again = await submitterFor(1).submit(items);
    expect(again.map((o) => o.status)).toEqual(starts.map(() => "already-done"));
    for (const s of starts) expect(await batchOfLock(s)).toHaveLength(1);
  }, 30_000);

  it("answers each item of a batch that mixes consumed and new attestations by its own state", async () => {
    const done = await Promise.all([2_000_000n, 2_200_000n].map(async (s) => ({ key: `done-${s}`, quorum: await tokenizeQuorum(s, s + 9n) })));
    expect((await submitterFor(1).submit(done)).map((o) => o.status)).toEqual(["applied", "applied"]);
    const fresh = await Promise.all([2_100_000n, 2_300_000n].map(async (s) => ({ key: `fresh-${s}`, quorum: await tokenizeQuorum(s, s + 9n) })));
    // Interleaved, so an answer given to the wrong position would show.
    const outcomes = await submitterFor(1).submit([done[0], fresh[0], done[1], fresh[1]]);
    const statusOf = new Map(outcomes.map((o) => [o.key, o.status]));
    expect(Object.fromEntries(statusOf)).toEqual({
      "done-2000000": "already-done",
      "fresh-2100000": "applied",
      "done-2200000": "already-done",
      "fresh-2300000": "applied",
    });
    for (const s of [2_000_000n, 2_100_000n, 2_200_000n, 2_300_000n]) expect(await batchOfLock(s)).toHaveLength(1);
  }, 30_000);

  it("answers already-done for a fresh attestation of a lock that is tokenized (another digest, same lock)", async () => {
    const first = await tokenizeQuorum(2_500_000n, 2_500_009n);
    expect((await submitterFor(1).submit([{ key: "first", quorum: first }])).map((o) => o.status)).toEqual(["applied"]);
    // The same lock attested again with another deadline: a digest never consumed.
    const again = await tokenizeQuorum(2_500_000n, 2_500_009n, { deadline: (await chain.latestTimestamp()) + 7_200n });
    expect(again.digest).not.toBe(first.digest);
    const outcomes = await submitterFor(1).submit([{ key: "again", quorum: again }]);
    expect(outcomes).toEqual([{ key: "again", status: "already-done", reason: expect.stringMatching(/is already tokenized/) }]);
    expect(await batchOfLock(2_500_000n)).toHaveLength(1);
  }, 30_000);

  it("refuses at construction a submitting account that cannot sign by itself (a JSON-RPC account)", () => {
    const walletClient = createWalletClient({ account: chain.users[1].address, chain: walletClientFor(chain.rpcUrl, chain.chainId, chain.users[1]).chain, transport: http(chain.rpcUrl) });
    expect(() => new AttestationSubmitter({ walletClient, publicClient: chain.publicClient, deployment: chain.deployment })).toThrow(/must be a local account/);
  });

  it("isolates an attestation the chain refuses; the others still go through", async () => {
    const good = await tokenizeQuorum(1_100_000n, 1_100_009n);
    const outsider = `0x${"11".repeat(32)}` as Hex;
    const forged = await tokenizeQuorum(1_200_000n, 1_200_009n, { signers: [outsider, chain.oracleKeys[0]] });
    const alsoGood = await tokenizeQuorum(1_300_000n, 1_300_009n);
    const outcomes = await submitterFor(1).submit([
      { key: "good", quorum: good },
      { key: "forged", quorum: forged },
      { key: "also-good", quorum: alsoGood },
    ]);
    const byKey = Object.fromEntries(outcomes.map((o) => [o.key, o]));
    expect(byKey.good.status).toBe("applied");
    expect(byKey["also-good"].status).toBe("applied");
    expect(byKey.forged).toMatchObject({ status: "failed", reason: "UnknownSigner" });
    expect(await batchOfLock(1_200_000n)).toHaveLength(0);
  }, 30_000);

  it("fills a nonce gap in front of the submitting key instead of stalling behind it", async () => {
    const key = chain.users[2];
    const wallet = walletClientFor(chain.rpcUrl, chain.chainId, key);
    const latest = await chain.publicClient.getTransactionCount({ address: key.address, blockTag: "latest" });
    // A transaction of the same key with nonce latest+1 waits in the mempool for the missing nonce
    // (Hardhat queues future nonces only while automining is off).
    await chain.request("evm_setAutomine", [false]);
    const queued = await wallet.sendTransaction({ to: key.address, value: 0n, nonce: latest + 1, gas: 21_000n });
    await chain.request("evm_setAutomine", [true]);
    const outcomes = await submitterFor(2).submit([{ key: "gap", quorum: await tokenizeQuorum(1_400_000n, 1_400_009n) }]);
    expect(outcomes).toEqual([expect.objectContaining({ key: "gap", status: "applied" })]);
    expect(await batchOfLock(1_400_000n)).toHaveLength(1);
    await chain.mine();
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: queued, pollingInterval: 20, timeout: 5_000 });
    expect(receipt.status).toBe("success");
    expect(await chain.publicClient.getTransactionCount({ address: key.address, blockTag: "latest" })).toBe(latest + 2);
  }, 30_000);

  it("sends again when its transaction vanishes from the mempool (stuck), with exactly one effect", async () => {
    const key = chain.users[3];
    const before = await chain.publicClient.getTransactionCount({ address: key.address, blockTag: "latest" });
    await chain.request("evm_setAutomine", [false]);
    let automine = false;
    try {
      const submission = submitterFor(3, 400).submit([{ key: "stuck", quorum: await tokenizeQuorum(1_500_000n, 1_500_009n) }]);
      // Wait for the transaction to sit in the mempool, then make it vanish.
      let pending: Hash[] = [];
      for (let i = 0; i < 200 && pending.length === 0; i++) {
        const block = (await chain.request("eth_getBlockByNumber", ["pending", false])) as { transactions: Hash[] };
        pending = block.transactions;
        if (pending.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(pending).toHaveLength(1);
      expect(await chain.request("hardhat_dropTransaction", [pending[0]])).toBe(true);
      await chain.request("evm_setAutomine", [true]);
      automine = true;
      const outcomes = await submission;
      expect(outcomes).toEqual([expect.objectContaining({ key: "stuck", status: "applied" })]);
      expect(outcomes[0].status === "applied" && outcomes[0].transactionHash).not.toBe(pending[0]);
    } finally {
      if (!automine) await chain.request("evm_setAutomine", [true]);
    }
    expect(await batchOfLock(1_500_000n)).toHaveLength(1);
    expect(await chain.publicClient.getTransactionCount({ address: key.address, blockTag: "latest" })).toBe(before + 1);
  }, 30_000);
});
