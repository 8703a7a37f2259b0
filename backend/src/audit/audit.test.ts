import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWorld, type TestWorld } from "../custody/testWorld";
import { runLedgerScenario } from "../indexer/testScenario";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256, toBytes } from "viem";
import { mRVRegistryAbi } from "../chain/abis";
import { walletClientFor } from "../chain/clients";
import { startTestChain, type TestChain } from "../testing";
import { RECORD_LEAF_TYPES } from "./mrv";
import { readLedgerEvents, runAudit, simulatorExportSources, verifyAttestations, type AuditReport } from "./index";

const statuses = (report: AuditReport) => Object.fromEntries(report.checks.map((c) => [c.name, c.status]));

describe("verifier audit over every custody path", () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await startTestChain();
    await runLedgerScenario(chain);
  }, 120_000);
  afterAll(() => chain?.close());

  it("recomputes balances, serial cursors, certificates and every attestation across signer-set rotations, and they all hold", async () => {
    const report = await runAudit({ publicClient: chain.publicClient, deployment: chain.deployment });
    expect(statuses(report)).toEqual({
      balances: "pass",
      "serials-and-supply": "pass",
      certificates: "pass",
      "attestation-signatures": "pass",
      "registry-exports": "skipped",
      "mrv-datasets": "pass",
    });
    expect(report.passed).toBe(true);
    const checked = Object.fromEntries(report.checks.map((c) => [c.name, c.checked]));
    expect(checked.balances).toBeGreaterThanOrEqual(5);
    expect(checked.certificates).toBe(4); // two certificates: id form + contract state each
    // 3 tokenizations (one signed by epoch 2), 2 retirement verdicts, 2 redemption verdicts
    expect(checked["attestation-signatures"]).toBe(7);
  });

  it("checks MRV dataset claims and sample record proofs against the attested root", async () => {
    const mrv = chain.deployment.contracts.mrv;
    expect(mrv).toBeDefined();
    if (mrv === undefined) return;
    const wallet = walletClientFor(chain.rpcUrl, chain.chainId, chain.admin);
    const read = chain.publicClient;
    const role = await read.readContract({ address: mrv, abi: mRVRegistryAbi, functionName: "VERIFIER_ROLE" });
    await read.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: mrv, abi: mRVRegistryAbi, functionName: "grantRole", args: [role, wallet.account.address] }) });
    const datasetId = await read.readContract({ address: mrv, abi: mRVRegistryAbi, functionName: "datasetIdOf", args: ["1340", 20250101, 20250131] });
    const records = [0, 1, 2].map((i) => [datasetId, String(i), `meter-${i}`, "EG_export", String(1735689600000 + i * 3_600_000), `${1200 + i}.5`, "J"]);
    const tree = StandardMerkleTree.of(records, [...RECORD_LEAF_TYPES]);
    const claim = {
      datasetId,
      projectId: "1340",
      periodStart: 20250101,
      periodEnd: 20250131,
      merkleRoot: tree.root as `0x${string}`,
      totalTco2e: 1_000_000n,
      libraryVersionHash: keccak256(toBytes("2025.1")),
      recordCount: 3n,
    };
    await read.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: mrv, abi: mRVRegistryAbi, functionName: "attest", args: [claim] }) });
    const samples = records.map((r, i) => ({
      datasetId,
      leaf: { index: r[1], sensorId: r[2], parameter: r[3], timestampMs: r[4], quantity: r[5], unit: r[6] },
      proof: tree.getProof(i),
    }));
    const good = (await runAudit({ publicClient: read, deployment: chain.deployment, mrvSamples: samples })).checks.find((c) => c.name === "mrv-datasets");
    expect(good).toMatchObject({ status: "pass", checked: 5, failed: 0 });
    const tampered = samples.map((s, i) => (i === 1 ? { ...s, leaf: { ...s.leaf, quantity: "9999.5" } } : s));
    const bad = (await runAudit({ publicClient: read, deployment: chain.deployment, mrvSamples: tampered })).checks.find((c) => c.name === "mrv-datasets");
    expect(bad?.status).toBe("fail");
    expect(bad?.failures).toEqual([expect.stringMatching(/^sample 1 \(dataset 0x[0-9a-f]{64}, record 1, meter-1 EG_export\): its proof does not lead to the attested root 0x[0-9a-f]{64}$/)]);
  });

  it("fails an attestation whose epoch's signer set does not contain its signers", async () => {
    const events = await readLedgerEvents(chain.publicClient, chain.deployment);
    const verdicts = await verifyAttestations(chain.publicClient, chain.deployment, events);
    expect(verdicts.every((v) => v.outcome === "ok")).toBe(true);
    const epoch2 = verdicts.find((v) => v.epoch === 2n);
    expect(epoch2?.kind).toBe("TokenizeAttestation");
    // The same chain history with epoch 2's set swapped for epoch 1's signers.
    const epoch1Set = events.find((e) => e.eventName === "SignerSetUpdated" && e.args.epoch === 1n);
    const forged = events.map((e) => (e.eventName === "SignerSetUpdated" && e.args.epoch === 2n ? { ...e, args: { ...e.args, signers: epoch1Set?.args.signers } } : e));
    const failed = (await verifyAttestations(chain.publicClient, chain.deployment, forged)).filter((v) => v.outcome === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0].problem).toMatch(/^signer 0x[0-9a-f]{40} is not in the signer set of epoch 2$/);
    const withoutSet = events.filter((e) => !(e.eventName === "SignerSetUpdated" && e.args.epoch === 2n));
    expect((await verifyAttestations(chain.publicClient, chain.deployment, withoutSet)).find((v) => v.epoch === 2n)?.problem).toBe("no SignerSetUpdated event for epoch 2");
  });
});

describe("verifier audit against the registry's public exports", () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await startTestWorld();
  }, 120_000);
  afterAll(() => world?.close());

  const audit = () => runAudit({ publicClient: world.chain.publicClient, deployment: world.chain.deployment, registryExports: simulatorExportSources(world.sim.url) });

  it("passes when chain and registry agree, and a tampered read model changes nothing (the audit never reads it)", async () => {
    const [alice] = world.chain.users;
    const block = await world.lockAndTokenize(alice.address, 100);
    await world.retire(alice, block, 10n);
    await world.index();
    const before = await audit();
    expect(statuses(before)).toMatchObject({ balances: "pass", certificates: "pass", "attestation-signatures": "pass", "registry-exports": "pass" });
    expect(before.passed).toBe(true);

    // Tamper with every read-model table a lazy audit might trust.
    await world.db.pool.query("UPDATE balances SET available = available + 1000 WHERE chain_id = $1", [world.chain.chainId]);
    await world.db.pool.query("UPDATE certificates SET registry_status = 'registry-rejected' WHERE chain_id = $1", [world.chain.chainId]);
    await world.db.pool.query("DELETE FROM retirements WHERE chain_id = $1", [world.chain.chainId]);
    const after = await audit();
    expect(after.checks).toEqual(before.checks);
  });

  it("fails when the chain says registry-confirmed but the registry's export shows the serials still active", async () => {
    const [, bob] = world.chain.users;
    const block = await world.lockAndTokenize(bob.address, 40);
    // Retired and "confirmed" on-chain by a quorum, but the registry never retired the serials.
    const { certificateId } = await world.retire(bob, block, 4n, { atRegistry: false });
    await world.ledger.confirmRetirement(certificateId);
    const report = await audit();
    expect(report.passed).toBe(false);
    const registry = report.checks.find((c) => c.name === "registry-exports");
    expect(registry?.status).toBe("fail");
    expect(registry?.failures).toEqual([
      `certificate ${certificateId}: registry-confirmed on-chain, but serials ${block.serialStart}-${block.serialStart + 3n} are not retired in the VERRA export`,
    ]);
    // The chain itself is consistent: only the chain-vs-registry check fails.
    expect(statuses(report)).toMatchObject({ balances: "pass", certificates: "pass", "attestation-signatures": "pass" });
  });

  it("fails a token the registry shows retired while it is still held on-chain", async () => {
    const [, , carol] = world.chain.users;
    const block = await world.lockAndTokenize(carol.address, 30);
    const adapter = world.registries("VERRA");
    await adapter?.submitRetirement({
      requestId: `rogue-retirement-${block.batchId}`,
      serial: block.serialNumber,
      range: { first: String(block.serialEnd - 1n), last: String(block.serialEnd) },
      custodyAccount: block.holderAccount,
      beneficiaryName: "Someone Else",
      beneficiaryCommitment: null,
      reason: "double claim",
      periodStart: "2025-01-01",
      periodEnd: "2025-12-31",
      consumptionCountry: "US",
      certificateId: "1",
      chainId: world.chain.chainId,
    });
    world.sim.control.tick();
    const registry = (await audit()).checks.find((c) => c.name === "registry-exports");
    expect(registry?.failures).toContain(
      `batch ${block.batchId} (${block.serialNumber}): serials ${block.serialEnd - 1n}-${block.serialEnd} are held on-chain but not issued-and-unretired in the VERRA export`,
    );
  });
});
