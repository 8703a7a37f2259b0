import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Wallet } from "ethers";
import { deploySuite, latestTime, verraBatch, type Suite } from "./helpers/fixtures";
import type { MRVRegistry } from "../typechain-types";
import { MRVRegistry__factory } from "../typechain-types";
import { buildDatasetTree, recordLeafHash, type DatasetMerkleTree, type RecordLeaf } from "../backend/src/mrv/merkle";
import { normalizeReading } from "../backend/src/mrv/records";
import { datasetIdFor } from "../backend/src/mrv/dataset";
import { DATASET_ATTESTATION_TYPES, datasetClaimOf } from "../backend/src/mrv/attestation";

const PROJECT = "VCS-1340";
const PERIOD = { start: "2024-01-01", end: "2024-01-31" };
const LIBRARY_HASH = ethers.id("2025.1");

interface Claim {
  datasetId: string;
  projectId: string;
  periodStart: number;
  periodEnd: number;
  merkleRoot: string;
  totalTco2e: bigint;
  libraryVersionHash: string;
  recordCount: bigint;
}

function datasetTree(datasetId: string, count = 7): DatasetMerkleTree {
  const records = Array.from({ length: count }, (_, i) =>
    normalizeReading(
      { file: "m.csv", row: i + 2, timestamp: new Date(Date.UTC(2024, 0, 1 + i, 6)), value: `${1000 + i}.5`, unit: "kWh", sensorId: `INV-${i % 2}`, parameter: "EG_export" },
      "a".repeat(64),
    ),
  );
  return buildDatasetTree(datasetId, records);
}

function leafOf([datasetId, index, sensorId, parameter, timestampMs, quantity, unit]: RecordLeaf) {
  return { datasetId, index: BigInt(index), sensorId, parameter, timestampMs: BigInt(timestampMs), quantity, unit };
}

async function fixture() {
  const s: Suite = await deploySuite({ oracles: 3, threshold: 2 });
  const [, , verifier, outsider, relayer] = await ethers.getSigners();
  const registry = await new MRVRegistry__factory(s.admin).deploy(s.admin.address, await s.quorum.getAddress(), await s.credit.getAddress());
  await registry.grantRole(await registry.VERIFIER_ROLE(), verifier.address);
  await s.quorum.grantRole(await s.quorum.CONSUMER_ROLE(), await registry.getAddress());
  const datasetId = datasetIdFor(PROJECT, PERIOD);
  const tree = datasetTree(datasetId);
  const claim: Claim = datasetClaimOf({ datasetId, projectId: PROJECT, period: PERIOD, merkleRoot: tree.root, netReductionsTco2e: "8514.429", libraryVersion: "2025.1", recordCount: 7 });
  return { s, registry, verifier, outsider, relayer, datasetId, tree, claim };
}

async function signDataset(s: Suite, registry: MRVRegistry, claim: Claim, opts: { signers?: Wallet[]; deadline?: number; registryAddress?: string } = {}) {
  const epoch = await s.quorum.epoch();
  const deadline = opts.deadline ?? (await latestTime()) + 3600;
  const value = { registry: opts.registryAddress ?? (await registry.getAddress()), ...claim, epoch, deadline };
  const signers = [...(opts.signers ?? s.oracles.slice(0, 2))].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const types = DATASET_ATTESTATION_TYPES as unknown as Record<string, Array<{ name: string; type: string }>>;
  const signatures = ethers.concat(await Promise.all(signers.map((w) => w.signTypedData(s.domain, types, value))));
  return { epoch, deadline, signatures, value };
}

describe("MRVRegistry", () => {
  it("derives the same dataset id and EIP-712 struct hash as the backend", async () => {
    const { registry, datasetId, claim, s } = await loadFixture(fixture);
    expect(await registry.datasetIdOf(PROJECT, 20240101, 20240131)).to.equal(datasetId);
    const { value, epoch, deadline } = await signDataset(s, registry, claim);
    const types = DATASET_ATTESTATION_TYPES as unknown as Record<string, Array<{ name: string; type: string }>>;
    expect(await registry.hashDatasetAttestation(claim, epoch, deadline)).to.equal(ethers.TypedDataEncoder.hashStruct("DatasetAttestation", types, value));
    expect(claim.totalTco2e).to.equal(8514429000n);
  });

  it("a verifier attests a dataset once; anyone reads it", async () => {
    const { registry, verifier, claim, datasetId } = await loadFixture(fixture);
    expect(await registry.isAttested(datasetId)).to.equal(false);
    await expect(registry.dataset(datasetId)).to.be.revertedWithCustomError(registry, "DatasetNotAttested").withArgs(datasetId);
    await expect(registry.connect(verifier).attest(claim))
      .to.emit(registry, "DatasetAttested")
      .withArgs(datasetId, PROJECT, 20240101, 20240131, claim.merkleRoot, claim.totalTco2e, LIBRARY_HASH, 7n, verifier.address, ethers.ZeroHash);
    const stored = await registry.dataset(datasetId);
    expect(stored.claim.merkleRoot).to.equal(claim.merkleRoot);
    expect(stored.attester).to.equal(verifier.address);
    expect(stored.attestedAt).to.equal(BigInt(await latestTime()));
    await expect(registry.connect(verifier).attest(claim)).to.be.revertedWithCustomError(registry, "DatasetAlreadyAttested").withArgs(datasetId);
  });

  it("refuses attestations from anyone without VERIFIER_ROLE", async () => {
    const { registry, outsider, claim } = await loadFixture(fixture);
    await expect(registry.connect(outsider).attest(claim))
      .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
      .withArgs(outsider.address, await registry.VERIFIER_ROLE());
  });

  it("verifies every record of an attested dataset on-chain, and refuses tampered ones", async () => {
    const { registry, verifier, claim, datasetId, tree } = await loadFixture(fixture);
    await registry.connect(verifier).attest(claim);
    for (let i = 0; i < tree.records.length; i++) {
      expect(await registry.verifyRecord(leafOf(tree.leaf(i)), tree.proofFor(i))).to.equal(true);
    }
    const leaf = leafOf(tree.leaf(3));
    const proof = tree.proofFor(3);
    expect(await registry.verifyRecord({ ...leaf, quantity: "999999" }, proof)).to.equal(false);
    expect(await registry.verifyRecord({ ...leaf, index: 4n }, proof)).to.equal(false);
    expect(await registry.verifyRecord(leaf, tree.proofFor(2))).to.equal(false);
    expect(await registry.verifyRecord(leaf, [])).to.equal(false);
    const leafHash = await registry.recordLeafHash(leaf);
    expect(leafHash).to.equal(recordLeafHash(tree.leaf(3)));
    expect(await registry.verifyLeaf(datasetId, leafHash, proof)).to.equal(true);
    // the same record proven against another dataset: the dataset id is inside the leaf
    const otherId = datasetIdFor(PROJECT, { start: "2024-02-01", end: "2024-02-29" });
    await expect(registry.verifyRecord({ ...leaf, datasetId: otherId }, proof)).to.be.revertedWithCustomError(registry, "DatasetNotAttested");
    const other = datasetTree(otherId);
    await registry.connect(verifier).attest({ ...claim, datasetId: otherId, periodStart: 20240201, periodEnd: 20240229, merkleRoot: other.root });
    expect(await registry.verifyRecord({ ...leaf, datasetId: otherId }, proof)).to.equal(false);
    await expect(registry.verifyLeaf(ethers.ZeroHash, leafHash, proof)).to.be.revertedWithCustomError(registry, "DatasetNotAttested");
  });

  it("an oracle quorum attests through OracleQuorum; the attestation works once", async () => {
    const { s, registry, relayer, claim, datasetId } = await loadFixture(fixture);
    const { epoch, deadline, signatures, value } = await signDataset(s, registry, claim);
    const types = DATASET_ATTESTATION_TYPES as unknown as Record<string, Array<{ name: string; type: string }>>;
    const digest = ethers.TypedDataEncoder.hash(s.domain, types, value);
    await expect(registry.connect(relayer).attestByQuorum(claim, epoch, deadline, signatures))
      .to.emit(registry, "DatasetAttested")
      .withArgs(datasetId, PROJECT, 20240101, 20240131, claim.merkleRoot, claim.totalTco2e, LIBRARY_HASH, 7n, await s.quorum.getAddress(), digest);
    const stored = await registry.dataset(datasetId);
    expect(stored.attester).to.equal(await s.quorum.getAddress());
    expect(stored.quorumDigest).to.equal(digest);
    await expect(registry.connect(relayer).attestByQuorum(claim, epoch, deadline, signatures)).to.be.revertedWithCustomError(registry, "DatasetAlreadyAttested");
  });

  it("refuses a quorum attestation that is short, expired, tampered with or signed for another registry", async () => {
    const { s, registry, claim } = await loadFixture(fixture);
    const one = await signDataset(s, registry, claim, { signers: s.oracles.slice(0, 1) });
    await expect(registry.attestByQuorum(claim, one.epoch, one.deadline, one.signatures)).to.be.revertedWithCustomError(s.quorum, "InsufficientSignatures");
    const expired = await signDataset(s, registry, claim, { deadline: (await latestTime()) - 1 });
    await expect(registry.attestByQuorum(claim, expired.epoch, expired.deadline, expired.signatures)).to.be.revertedWithCustomError(s.quorum, "AttestationExpired");
    const good = await signDataset(s, registry, claim);
    await expect(registry.attestByQuorum({ ...claim, totalTco2e: claim.totalTco2e + 1n }, good.epoch, good.deadline, good.signatures)).to.be.reverted;
    const elsewhere = await signDataset(s, registry, claim, { registryAddress: s.admin.address });
    await expect(registry.attestByQuorum(claim, elsewhere.epoch, elsewhere.deadline, elsewhere.signatures)).to.be.reverted;
    expect(await registry.isAttested(claim.datasetId)).to.equal(false);
    // a registry the quorum does not serve cannot consume attestations
    const rogue = await new MRVRegistry__factory(s.admin).deploy(s.admin.address, await s.quorum.getAddress(), await s.credit.getAddress());
    const forRogue = await signDataset(s, rogue, claim);
    await expect(rogue.attestByQuorum(claim, forRogue.epoch, forRogue.deadline, forRogue.signatures)).to.be.revertedWithCustomError(s.quorum, "AccessControlUnauthorizedAccount");
  });

  it("validates the claim: id bound to project and period, calendar-shaped dates, non-empty root, records and library", async () => {
    const { registry, verifier, claim } = await loadFixture(fixture);
    const v = registry.connect(verifier);
    await expect(v.attest({ ...claim, projectId: "VCS-9999" })).to.be.revertedWithCustomError(registry, "DatasetIdMismatch");
    const withPeriod = (start: number, end: number) => ({ ...claim, periodStart: start, periodEnd: end, datasetId: ethers.ZeroHash });
    for (const [start, end] of [
      [19691231, 20240131],
      [100000101, 100000101],
      [20241301, 20241301],
      [20240001, 20240131],
      [20240100, 20240131],
      [20240132, 20240201],
      [20240101, 20241301],
      [20240201, 20240101],
    ]) {
      const c = withPeriod(start, end);
      c.datasetId = await registry.datasetIdOf(c.projectId, start, end);
      await expect(v.attest(c)).to.be.revertedWithCustomError(registry, "InvalidPeriod").withArgs(start, end);
    }
    await expect(v.attest({ ...claim, merkleRoot: ethers.ZeroHash })).to.be.revertedWithCustomError(registry, "EmptyMerkleRoot");
    await expect(v.attest({ ...claim, recordCount: 0n })).to.be.revertedWithCustomError(registry, "EmptyDataset");
    await expect(v.attest({ ...claim, libraryVersionHash: ethers.ZeroHash })).to.be.revertedWithCustomError(registry, "EmptyLibraryVersion");
  });

  it("tells which attested dataset a credit batch was issued against", async () => {
    const { s, registry, verifier, claim, datasetId } = await loadFixture(fixture);
    await s.kyc(s.users[0]);
    const backed = await s.tokenize(verraBatch(1n, 100n, { mrvDatasetId: datasetId }), s.users[0]);
    const unbacked = await s.tokenize(verraBatch(101n, 200n), s.users[0]);
    expect(await registry.datasetOfBatch(backed)).to.deep.equal([datasetId, false]);
    await registry.connect(verifier).attest(claim);
    expect(await registry.datasetOfBatch(backed)).to.deep.equal([datasetId, true]);
    expect(await registry.datasetOfBatch(unbacked)).to.deep.equal([ethers.ZeroHash, false]);
  });

  it("refuses zero addresses at construction", async () => {
    const { s } = await loadFixture(fixture);
    const f = new MRVRegistry__factory(s.admin);
    const q = await s.quorum.getAddress();
    const c = await s.credit.getAddress();
    await expect(f.deploy(ethers.ZeroAddress, q, c)).to.be.revertedWithCustomError(f, "ZeroAddress");
    await expect(f.deploy(s.admin.address, ethers.ZeroAddress, c)).to.be.revertedWithCustomError(f, "ZeroAddress");
    await expect(f.deploy(s.admin.address, q, ethers.ZeroAddress)).to.be.revertedWithCustomError(f, "ZeroAddress");
  });
});
