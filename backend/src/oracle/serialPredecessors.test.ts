import fc from "fast-check";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { carbonCreditAbi } from "../chain/abis";
import { ledgerActions, startTestChain, testBatchInfo, type LedgerActions, type TestChain } from "../testing";
import { SerialPredecessors } from "./serialPredecessors";

let chain: TestChain;
let ledger: LedgerActions;
let namespace: Hex;
const owner = () => chain.users[0].address;

async function onChain(start: bigint): Promise<bigint> {
  return BigInt(await chain.publicClient.readContract({ address: chain.deployment.contracts.credit, abi: carbonCreditAbi, functionName: "serialPredecessor", args: [namespace, start] }));
}

beforeAll(async () => {
  chain = await startTestChain();
  ledger = ledgerActions(chain);
  await ledger.kyc(owner());
  const info = testBatchInfo(1n, 1n);
  namespace = await chain.publicClient.readContract({ address: chain.deployment.contracts.credit, abi: carbonCreditAbi, functionName: "serialNamespace", args: [info.registry, info.serialScope] });
  for (const start of [100n, 300n]) await ledger.tokenize(testBatchInfo(start, start + 9n), owner());
}, 60_000);

afterAll(async () => {
  await chain?.close();
});

describe("SerialPredecessors", () => {
  it("answers as serialPredecessor does, through blocks others insert and a reverted chain", async () => {
    const hints = new SerialPredecessors(chain.publicClient, chain.deployment.contracts.credit);
    expect(await hints.of(namespace, 50n)).toBe(0n);
    expect(await hints.of(namespace, 200n)).toBe(100n);
    expect(await hints.of(namespace, 400n)).toBe(300n);
    // Someone else inserts between what the cache knows and the new start: it walks forward.
    await ledger.tokenize(testBatchInfo(350n, 359n), owner());
    expect(await hints.of(namespace, 400n)).toBe(350n);
    // A block the cache was told about disappears with a chain revert: it starts over from the chain.
    const snapshot = await chain.snapshot();
    await ledger.tokenize(testBatchInfo(500n, 509n), owner());
    hints.inserted(namespace, [500n]);
    expect(await hints.of(namespace, 600n)).toBe(500n);
    await chain.revert(snapshot);
    expect(await hints.of(namespace, 600n)).toBe(350n);
  }, 60_000);

  it("equals serialPredecessor for any start", async () => {
    const hints = new SerialPredecessors(chain.publicClient, chain.deployment.contracts.credit);
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 1n, max: 1_000n }), async (start) => {
        expect(await hints.of(namespace, start)).toBe(await onChain(start));
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it("ofMany equals serialPredecessor for every start of a batch, cached or not, known blocks gone or not", async () => {
    const hints = new SerialPredecessors(chain.publicClient, chain.deployment.contracts.credit);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.bigInt({ min: 1n, max: 1_000n }), { minLength: 1, maxLength: 12 }), fc.boolean(), async (starts, forgetFirst) => {
        if (forgetFirst) hints.forget(namespace);
        // A block the cache believes in but the chain never had: its hint must not be trusted.
        else hints.inserted(namespace, [777n]);
        const answers = await hints.ofMany(starts.map((serialStart) => ({ namespace, serialStart })));
        expect(answers).toEqual(await Promise.all(starts.map(onChain)));
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});
