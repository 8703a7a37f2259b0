import { SimpleMerkleTree, StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeAbiParameters, keccak256, parseAbiParameters } from "viem";
import { z } from "zod";
import { type NormalizedRecord, NormalizedRecordSchema } from "./records";

/**
 * Merkle root over a dataset's normalized records, in @openzeppelin/merkle-tree's "standard"
 * format, so that a record can be proven on-chain with OpenZeppelin's MerkleProof.
 *
 * Leaf encoding (ABI types, in order):
 *   bytes32 datasetId   binds every leaf to its dataset: a proof for one dataset fails for another
 *   uint256 index       position in the canonical order: identical readings stay distinct leaves
 *   string  sensorId
 *   string  parameter   what was measured, e.g. "EG_export"
 *   uint64  timestampMs UTC milliseconds since the Unix epoch
 *   string  quantity    canonical decimal in `unit` (exact; no fixed-point scaling to agree on)
 *   string  unit        the base unit: "J", "m3" or "kg"
 * Leaf hash, as StandardMerkleTree and OpenZeppelin's docs define it:
 *   keccak256(bytes.concat(keccak256(abi.encode(datasetId, index, sensorId, parameter, timestampMs, quantity, unit))))
 *
 * The provenance of a record (file, row, content hash) and its as-measured value are not in the
 * leaf: the same readings uploaded in another layout give the same root.
 *
 * Canonical order: by timestampMs, then sensorId, parameter, unit, quantity (plain code-unit
 * comparison, no locale), so the same set of records always gives the same indexes and root,
 * whatever order the source file listed them in.
 *
 * The tree is StandardMerkleTree's exactly (same leaf hash, sorted leaves, sorted-pair keccak
 * nodes; the tests compare roots), built as a SimpleMerkleTree over leaf hashes computed once
 * with viem's ABI encoder: StandardMerkleTree.of hashes every leaf twice with a slower encoder,
 * which is several times slower on datasets of a million readings. Proofs are verified with
 * StandardMerkleTree.verify, an independent path from the encoding used to build.
 */

export const RECORD_LEAF_ENCODING = ["bytes32", "uint256", "string", "string", "uint64", "string", "string"] as const;
const LEAF_PARAMETERS = parseAbiParameters("bytes32, uint256, string, string, uint64, string, string");

export type Hex = `0x${string}`;

export const Bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x and 64 hex digits")
  .transform((s) => s.toLowerCase() as Hex);

/** [datasetId, index, sensorId, parameter, timestampMs, quantity, unit]; integers as decimal strings. */
export type RecordLeaf = [datasetId: Hex, index: string, sensorId: string, parameter: string, timestampMs: string, quantity: string, unit: string];

const RecordLeafSchema = z.tuple([
  Bytes32Schema,
  z.string().regex(/^\d+$/),
  z.string(),
  z.string(),
  z.string().regex(/^\d+$/),
  z.string(),
  z.string(),
]);

const ProofSchema = z.array(Bytes32Schema);

export class MerkleDatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MerkleDatasetError";
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The records in canonical order (a new array; the input is left as it is). */
export function canonicalOrder(records: readonly NormalizedRecord[]): NormalizedRecord[] {
  return records
    .map((record) => ({ record, time: Date.parse(record.timestamp) }))
    .sort(
      (a, b) =>
        a.time - b.time ||
        compareText(a.record.sensorId, b.record.sensorId) ||
        compareText(a.record.parameter, b.record.parameter) ||
        compareText(a.record.unit, b.record.unit) ||
        compareText(a.record.quantity, b.record.quantity),
    )
    .map(({ record }) => record);
}

export function recordLeaf(datasetId: string, index: number, record: NormalizedRecord): RecordLeaf {
  const time = Date.parse(record.timestamp);
  if (!Number.isSafeInteger(time) || time < 0) {
    throw new MerkleDatasetError(`record at ${record.timestamp} is before 1970 and cannot be encoded as uint64 milliseconds`);
  }
  return [Bytes32Schema.parse(datasetId), String(index), record.sensorId, record.parameter, String(time), record.quantity, record.unit];
}

/** keccak256(bytes.concat(keccak256(abi.encode(leaf...)))), as StandardMerkleTree and MerkleProof define it. */
export function recordLeafHash(leaf: RecordLeaf): Hex {
  const [datasetId, index, sensorId, parameter, timestampMs, quantity, unit] = leaf;
  return keccak256(keccak256(encodeAbiParameters(LEAF_PARAMETERS, [datasetId, BigInt(index), sensorId, parameter, BigInt(timestampMs), quantity, unit])));
}

export interface DatasetMerkleTree {
  readonly datasetId: Hex;
  readonly root: Hex;
  readonly leafEncoding: readonly string[];
  /** The records in canonical order: index i is leaf i. */
  readonly records: readonly NormalizedRecord[];
  leaf(index: number): RecordLeaf;
  proofFor(index: number): Hex[];
}

/** Builds the dataset's tree. Records are validated and put in canonical order first. */
export function buildDatasetTree(datasetId: string, records: readonly NormalizedRecord[]): DatasetMerkleTree {
  const id = Bytes32Schema.parse(datasetId);
  if (records.length === 0) throw new MerkleDatasetError("a dataset needs at least one record to have a Merkle root");
  const ordered = canonicalOrder(records.map((record) => NormalizedRecordSchema.parse(record)));
  const leaves = ordered.map((record, index) => recordLeaf(id, index, record));
  const tree = SimpleMerkleTree.of(leaves.map(recordLeafHash));
  const checkIndex = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= tree.length) {
      throw new MerkleDatasetError(`no record ${index}: the dataset has ${tree.length} record(s)`);
    }
  };
  return {
    datasetId: id,
    root: tree.root as Hex,
    leafEncoding: RECORD_LEAF_ENCODING,
    records: ordered,
    leaf(index) {
      checkIndex(index);
      return leaves[index];
    },
    proofFor(index) {
      checkIndex(index);
      return tree.getProof(index) as Hex[];
    },
  };
}

/** Whether `leaf` with `proof` hashes up to `root`. Throws on a malformed leaf or proof. */
export function verifyProof(root: string, leaf: RecordLeaf, proof: readonly string[]): boolean {
  return StandardMerkleTree.verify(Bytes32Schema.parse(root), [...RECORD_LEAF_ENCODING], RecordLeafSchema.parse(leaf), ProofSchema.parse(proof));
}
