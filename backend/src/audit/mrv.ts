/**
 * MRV dataset checks of the audit (when the deployment has an MRVRegistry): every attested
 * dataset's stored claim equals its `DatasetAttested` event and its id is the registry's id for
 * (project, period); a quorum attestation's digest was consumed by the quorum for the registry;
 * every batch that names an MRV dataset names an attested one; and sample records, with their
 * Merkle proofs (published by the project, e.g. from the MRV API), prove into the attested root
 * (OpenZeppelin StandardMerkleTree leaf encoding and sorted-pair proofs).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { z } from "zod";
import type { Address, Hex } from "viem";
import { mRVRegistryAbi } from "../chain/abis";
import type { AnyPublicClient, ChainEvent } from "./chainReader";

export const RECORD_LEAF_TYPES = ["bytes32", "uint256", "string", "string", "uint64", "string", "string"] as const;

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex string");

/** Sample records with their proofs, as an auditor receives them. */
export const mrvSamplesSchema = z.array(
  z.object({
    datasetId: bytes32,
    leaf: z.object({
      index: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]),
      sensorId: z.string(),
      parameter: z.string(),
      timestampMs: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]),
      quantity: z.string(),
      unit: z.string(),
    }),
    proof: z.array(bytes32),
  }),
);
export type MrvSamples = z.infer<typeof mrvSamplesSchema>;

export interface MrvFindings {
  readonly checked: number;
  readonly failures: string[];
  readonly notes: string[];
}

export async function checkMrv(
  client: AnyPublicClient,
  mrv: Address,
  headBlock: bigint,
  ledgerEvents: readonly ChainEvent[],
  samples: MrvSamples,
): Promise<MrvFindings> {
  const failures: string[] = [];
  let checked = 0;
  const expect = (ok: boolean, failure: () => string) => {
    checked += 1;
    if (!ok) failures.push(failure());
  };
  const attested = await client.getContractEvents({ address: mrv, abi: mRVRegistryAbi, eventName: "DatasetAttested", fromBlock: 0n, toBlock: headBlock });
  const roots = new Map<string, Hex>();
  const consumed = new Set(
    ledgerEvents
      .filter((e) => e.eventName === "AttestationConsumed" && (e.args.consumer as string).toLowerCase() === mrv.toLowerCase())
      .map((e) => (e.args.digest as string).toLowerCase()),
  );
  for (const event of attested) {
    const a = event.args;
    const id = a.datasetId as Hex;
    roots.set(id.toLowerCase(), a.merkleRoot as Hex);
    const stored = await client.readContract({ address: mrv, abi: mRVRegistryAbi, functionName: "dataset", args: [id], blockNumber: headBlock });
    const claim = stored.claim;
    expect(
      claim.merkleRoot === a.merkleRoot && claim.totalTco2e === a.totalTco2e && claim.recordCount === a.recordCount && claim.projectId === a.projectId,
      () => `dataset ${id}: stored claim (root ${claim.merkleRoot}, ${claim.recordCount} records) differs from its DatasetAttested event (root ${a.merkleRoot}, ${a.recordCount} records)`,
    );
    const expectedId = await client.readContract({
      address: mrv,
      abi: mRVRegistryAbi,
      functionName: "datasetIdOf",
      args: [a.projectId as string, a.periodStart as number, a.periodEnd as number],
      blockNumber: headBlock,
    });
    expect(expectedId === id, () => `dataset ${id}: id is not the registry's id for project ${a.projectId} ${a.periodStart}-${a.periodEnd} (${expectedId})`);
    const digest = (a.quorumDigest as string).toLowerCase();
    if (!/^0x0{64}$/.test(digest)) {
      expect(consumed.has(digest), () => `dataset ${id}: quorum digest ${digest} was never consumed by the quorum for the MRV registry`);
    }
  }
  for (const e of ledgerEvents.filter((x) => x.contract === "CarbonCredit" && x.eventName === "BatchCreated")) {
    const datasetId = ((e.args.info as { mrvDatasetId: Hex }).mrvDatasetId ?? "0x").toLowerCase();
    if (/^0x0{64}$/.test(datasetId)) continue;
    expect(roots.has(datasetId), () => `batch ${String(e.args.batchId)} was issued against MRV dataset ${datasetId}, which is not attested in the MRV registry`);
  }
  for (const [i, sample] of samples.entries()) {
    const root = roots.get(sample.datasetId.toLowerCase());
    if (root === undefined) {
      expect(false, () => `sample ${i}: dataset ${sample.datasetId} is not attested`);
      continue;
    }
    const leaf = [sample.datasetId, String(sample.leaf.index), sample.leaf.sensorId, sample.leaf.parameter, String(sample.leaf.timestampMs), sample.leaf.quantity, sample.leaf.unit];
    let ok = false;
    try {
      ok = StandardMerkleTree.verify(root, [...RECORD_LEAF_TYPES], leaf, sample.proof);
    } catch {
      ok = false;
    }
    expect(ok, () => `sample ${i} (dataset ${sample.datasetId}, record ${sample.leaf.index}, ${sample.leaf.sensorId} ${sample.leaf.parameter}): its proof does not lead to the attested root ${root}`);
  }
  const notes = attested.length === 0 ? ["no dataset is attested in the MRV registry"] : [];
  if (samples.length === 0 && attested.length > 0) notes.push("no sample records given: roots and batch links checked, record proofs not sampled");
  return { checked, failures, notes };
}
