import { keccak256 } from "viem";
import { type Hex, MerkleDatasetError } from "./merkle";

/**
 * The dataset Merkle tree of `merkle.ts` (OpenZeppelin StandardMerkleTree layout: leaves sorted
 * by hash, stored right to left at the end of a flat array, nodes = keccak256 of the sorted pair),
 * held in flat byte buffers instead of hex strings, so a dataset of a million records costs
 * 32 bytes per node (64 MB for 1,000,000 leaves) and is built from leaf hashes streamed out of the
 * database in canonical order. The tests check that roots and proofs equal StandardMerkleTree's and
 * that OpenZeppelin's MerkleProof (MRVRegistry.verifyRecord) accepts them.
 *
 * The leaf hash is computed with a hand-rolled ABI encoder for the one fixed leaf tuple
 * (bytes32, uint256, string, string, uint64, string, string): viem's general encoder is the
 * bottleneck at a million leaves. The tests compare it with viem's encodeAbiParameters.
 */

const WORD = 32;
const LEAF_HEAD_WORDS = 7;

function utf8(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

function paddedLength(length: number): number {
  return Math.ceil(length / WORD) * WORD;
}

function writeUint(buffer: Buffer, offset: number, value: bigint | number): void {
  // values here fit in 64 bits; the rest of the word stays zero
  buffer.writeBigUInt64BE(BigInt(value), offset + WORD - 8);
}

/** abi.encode(bytes32 datasetId, uint256 index, string sensorId, string parameter, uint64 timestampMs, string quantity, string unit). */
export function encodeRecordLeaf(datasetId: Uint8Array, index: number, sensorId: string, parameter: string, timestampMs: number, quantity: string, unit: string): Buffer {
  if (datasetId.length !== WORD) throw new MerkleDatasetError("dataset id must be 32 bytes");
  if (!Number.isSafeInteger(index) || index < 0) throw new MerkleDatasetError(`invalid leaf index ${index}`);
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) throw new MerkleDatasetError(`timestamp ${timestampMs} cannot be encoded as uint64 milliseconds`);
  const strings = [utf8(sensorId), utf8(parameter), utf8(quantity), utf8(unit)];
  const tailSize = strings.reduce((sum, s) => sum + WORD + paddedLength(s.length), 0);
  const out = Buffer.alloc(LEAF_HEAD_WORDS * WORD + tailSize);
  out.set(datasetId, 0);
  writeUint(out, WORD, index);
  writeUint(out, 4 * WORD, timestampMs);
  let tail = LEAF_HEAD_WORDS * WORD;
  const heads = [2, 3, 5, 6];
  strings.forEach((s, i) => {
    writeUint(out, heads[i] * WORD, tail);
    writeUint(out, tail, s.length);
    out.set(s, tail + WORD);
    tail += WORD + paddedLength(s.length);
  });
  return out;
}

/** keccak256(bytes.concat(keccak256(abi.encode(leaf)))), 32 bytes. */
export function recordLeafHashBytes(datasetId: Uint8Array, index: number, sensorId: string, parameter: string, timestampMs: number, quantity: string, unit: string): Uint8Array {
  return keccak256(keccak256(encodeRecordLeaf(datasetId, index, sensorId, parameter, timestampMs, quantity, unit), "bytes"), "bytes");
}

export function hexToBytes32(hex: string): Buffer {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new MerkleDatasetError(`expected 0x and 64 hex digits, got ${JSON.stringify(hex)}`);
  return Buffer.from(hex.slice(2), "hex");
}

const toHex = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;

/** Collects leaf hashes (any order) into one buffer. */
export class LeafHashCollector {
  private buffer: Buffer;
  private count = 0;

  constructor(expected = 1024) {
    this.buffer = Buffer.alloc(Math.max(1, expected) * WORD);
  }

  add(hash: Uint8Array): void {
    if (hash.length !== WORD) throw new MerkleDatasetError("a leaf hash is 32 bytes");
    if ((this.count + 1) * WORD > this.buffer.length) {
      const grown = Buffer.alloc(this.buffer.length * 2);
      this.buffer.copy(grown);
      this.buffer = grown;
    }
    this.buffer.set(hash, this.count * WORD);
    this.count += 1;
  }

  get length(): number {
    return this.count;
  }

  /** The hashes sorted as StandardMerkleTree sorts its leaves (byte order). */
  sorted(): Buffer {
    return sortLeafHashes(this.buffer.subarray(0, this.count * WORD));
  }
}

/** Sorts 32-byte hashes by byte order (a new buffer). */
export function sortLeafHashes(hashes: Buffer): Buffer {
  const n = hashes.length / WORD;
  const order = new Uint32Array(n);
  const prefix = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
    prefix[i] = hashes.readUInt32BE(i * WORD);
  }
  order.sort((a, b) => {
    const pa = prefix[a];
    const pb = prefix[b];
    if (pa !== pb) return pa < pb ? -1 : 1;
    return Buffer.compare(hashes.subarray(a * WORD, (a + 1) * WORD), hashes.subarray(b * WORD, (b + 1) * WORD));
  });
  const out = Buffer.alloc(hashes.length);
  for (let i = 0; i < n; i++) hashes.copy(out, i * WORD, order[i] * WORD, (order[i] + 1) * WORD);
  return out;
}

/** keccak256 of the two 32-byte nodes in ascending byte order (OpenZeppelin's commutative node hash). */
function hashPair(tree: Buffer, left: number, right: number, pair: Buffer): Uint8Array {
  const a = tree.subarray(left * WORD, (left + 1) * WORD);
  const b = tree.subarray(right * WORD, (right + 1) * WORD);
  if (Buffer.compare(a, b) <= 0) {
    a.copy(pair, 0);
    b.copy(pair, WORD);
  } else {
    b.copy(pair, 0);
    a.copy(pair, WORD);
  }
  return keccak256(pair, "bytes");
}

export interface FlatMerkleTree {
  readonly root: Hex;
  readonly length: number;
  /** Proof for a leaf hash of the tree (siblings from the leaf up), as StandardMerkleTree.getProof gives it. */
  proofFor(leafHash: Uint8Array): Hex[];
  /** The sorted leaf hashes (what is stored to rebuild the tree). */
  readonly sortedLeaves: Buffer;
}

/** Builds the tree over leaf hashes already in byte order (see {@link sortLeafHashes}). */
export function buildFlatTree(sortedLeaves: Buffer): FlatMerkleTree {
  const n = sortedLeaves.length / WORD;
  if (!Number.isInteger(n) || n === 0) throw new MerkleDatasetError("a dataset needs at least one record to have a Merkle root");
  const size = 2 * n - 1;
  const tree = Buffer.alloc(size * WORD);
  for (let i = 0; i < n; i++) sortedLeaves.copy(tree, (size - 1 - i) * WORD, i * WORD, (i + 1) * WORD);
  const pair = Buffer.alloc(2 * WORD);
  for (let i = size - 1 - n; i >= 0; i--) tree.set(hashPair(tree, 2 * i + 1, 2 * i + 2, pair), i * WORD);
  const node = (i: number) => tree.subarray(i * WORD, (i + 1) * WORD);
  const positionOf = (hash: Uint8Array): number => {
    let lo = 0;
    let hi = n - 1;
    const target = Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength);
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = Buffer.compare(sortedLeaves.subarray(mid * WORD, (mid + 1) * WORD), target);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  return {
    root: toHex(node(0)),
    length: n,
    sortedLeaves,
    proofFor(leafHash) {
      const position = positionOf(leafHash);
      if (position < 0) throw new MerkleDatasetError(`leaf ${toHex(leafHash)} is not in the dataset's tree`);
      const proof: Hex[] = [];
      let index = size - 1 - position;
      while (index > 0) {
        const sibling = index % 2 === 1 ? index + 1 : index - 1;
        proof.push(toHex(node(sibling)));
        index = Math.floor((index - 1) / 2);
      }
      return proof;
    },
  };
}
