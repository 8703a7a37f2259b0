import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { custodyChain, InvalidCursorError } from "./custodyChain";
import { registryAdaptersFor } from "./registryView";
import { startTestWorld, type TestWorld, type TokenizedBlock } from "./testWorld";

describe("custody chain", () => {
  let world: TestWorld;
  let block: TokenizedBlock;
  let retired: { certificateId: bigint; firstSerial: bigint; lastSerial: bigint };
  const deps = () => ({ db: world.db.pool, chainId: world.chain.chainId, registries: world.registries });

  beforeAll(async () => {
    world = await startTestWorld();
    const [alice, bob] = world.chain.users;
    block = await world.lockAndTokenize(alice.address, 100);
    await world.ledger.kyc(bob.address);
    await world.ledger.transfer(alice, bob.address, block.batchId, 30n);
    retired = await world.retire(bob, block, 10n);
    await world.index();
  }, 120_000);
  afterAll(() => world?.close());

  it("follows a batch from the registry lock through tokenization, transfer, retirement and the registry's confirmation", async () => {
    const [alice, bob] = world.chain.users;
    const chain = await custodyChain(deps(), { kind: "batch", batchId: block.batchId });
    expect(chain).toBeDefined();
    if (chain === undefined) return;
    expect(chain.steps.map((s) => s.kind)).toEqual(["tokenized", "transferred", "retired", "retirement_confirmed"]);
    const [tokenized, transferred, retirement, confirmation] = chain.steps;
    expect(tokenized).toMatchObject({ to: alice.address, amount: 100n, firstSerial: block.serialStart, lastSerial: block.serialEnd, registryRef: block.lockRef });
    expect(tokenized.attestation).toMatchObject({ epoch: 1n, purpose: "tokenize" });
    expect(tokenized.attestation?.signers).toHaveLength(world.chain.threshold);
    expect(transferred).toMatchObject({ from: alice.address, to: bob.address, amount: 30n, attestation: null });
    expect(retirement).toMatchObject({ from: bob.address, amount: 10n, firstSerial: block.serialStart, lastSerial: block.serialStart + 9n, certificateId: retired.certificateId });
    expect(confirmation.attestation?.purpose).toBe("retirement-confirmation");
    expect(confirmation.registryRef).not.toBeNull();
    for (const step of chain.steps) {
      expect(step.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(step.blockTime).toBeInstanceOf(Date);
    }
    // The registry side: the lock the chain recorded, and the block split by the registry retirement.
    expect(chain.registry).toHaveLength(1);
    const side = chain.registry[0];
    expect(side).toMatchObject({ serialNumber: block.serialNumber, lockRef: block.lockRef });
    expect(side.view.found).toBe(true);
    if (!side.view.found) return;
    expect(side.view.pieces.map((p) => [p.status, p.first, p.last])).toEqual([
      ["RETIRED", block.serialStart, block.serialStart + 9n],
      ["LOCKED", block.serialStart + 10n, block.serialEnd],
    ]);
    expect(side.view.pieces[1].lockRef).toBe(block.lockRef.toLowerCase());
  });

  it("gives a serial only the steps whose serial range holds it", async () => {
    const inRetired = await custodyChain(deps(), { kind: "serial", registry: "VERRA", serialScope: 0n, serial: block.serialStart + 3n });
    expect(inRetired?.steps.map((s) => s.kind)).toEqual(["tokenized", "retired", "retirement_confirmed"]);
    expect(inRetired?.notes.length).toBe(1);
    const live = await custodyChain(deps(), { kind: "serial", registry: "VERRA", serialScope: 0n, serial: block.serialEnd });
    expect(live?.steps.map((s) => s.kind)).toEqual(["tokenized"]);
    expect(await custodyChain(deps(), { kind: "serial", registry: "VERRA", serialScope: 0n, serial: block.serialEnd + 1n })).toBeUndefined();
    expect(await custodyChain(deps(), { kind: "serial", registry: "GOLD_STANDARD", serialScope: 0n, serial: block.serialStart })).toBeUndefined();
  });

  it("lists a wallet's custody changes in chain order and pages through them", async () => {
    const [, bob] = world.chain.users;
    const all = await custodyChain(deps(), { kind: "wallet", wallet: bob.address.toLowerCase() });
    expect(all?.steps.map((s) => s.kind)).toEqual(["transferred", "retired", "retirement_confirmed"]);
    const first = await custodyChain(deps(), { kind: "wallet", wallet: bob.address }, { limit: 1 });
    expect(first?.steps.map((s) => s.kind)).toEqual(["transferred"]);
    expect(first?.next).not.toBeNull();
    const second = await custodyChain(deps(), { kind: "wallet", wallet: bob.address }, { limit: 1, after: first?.next ?? undefined });
    expect(second?.steps.map((s) => s.kind)).toEqual(["retired"]);
    const empty = await custodyChain(deps(), { kind: "wallet", wallet: world.chain.users[9].address });
    expect(empty?.steps).toEqual([]);
    expect(empty?.next).toBeNull();
  });

  it("rejects bad input with a clear error and answers undefined for an unknown batch", async () => {
    expect(await custodyChain(deps(), { kind: "batch", batchId: 999n })).toBeUndefined();
    await expect(custodyChain(deps(), { kind: "batch", batchId: block.batchId }, { after: "12;x" })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(custodyChain(deps(), { kind: "batch", batchId: block.batchId }, { limit: 0 })).rejects.toThrow(/limit must be an integer in 1..5000/);
    await expect(custodyChain(deps(), { kind: "wallet", wallet: "0x1234" })).rejects.toThrow(/Address "0x1234" is invalid/);
  });

  it("still shows the on-chain steps when the registry cannot be reached, and says why the registry side is missing", async () => {
    const offline = registryAdaptersFor("http://127.0.0.1:1", { timeoutMs: 500 });
    const chain = await custodyChain({ ...deps(), registries: offline }, { kind: "batch", batchId: block.batchId });
    expect(chain?.steps).toHaveLength(4);
    expect(chain?.registry[0].view).toMatchObject({ found: false, reason: expect.stringMatching(/^registry unavailable: /) });
    const unconnected = await custodyChain({ db: world.db.pool, chainId: world.chain.chainId }, { kind: "batch", batchId: block.batchId });
    expect(unconnected?.registry[0].view).toMatchObject({ found: false, reason: "the platform is not connected to a registry" });
  });
});
