import type { Keccak256 } from "./keccak";
import { type Hex, MerkleDatasetError } from "./merkle";

/**
 * The dataset Merkle tree of `merkle.ts` (OpenZeppelin StandardMerkleTree layout: leaves sorted
 * by hash, stored right to left at the end of a flat array, nodes = keccak256 of the sorted pair),
 * held in flat byte buffers instead of hex strings, so a dataset of a million records costs
 * 32 bytes per node (64 MB for 1,000,000 leaves) and is built from leaf hashes streamed out of the
 * database in canonical order. The tests check that roots and proofs equal StandardMerkleTree's and
 * that OpenZeppelin's MerkleProof (MRVRegistry.verifyRecord) accepts them.
 *
 * Hashing is hash-wasm's WebAssembly keccak256 (see keccak.ts), handed in by the caller. The leaf
 * is encoded by a hand-rolled ABI encoder for the one fixed leaf tuple (bytes32, uint256, string,
 * string, uint64, string, string) into one reused buffer: viem's general encoder is the bottleneck
 * at a million leaves. The tests compare it with viem's encodeAbiParameters.
 */

const WORD = 32;
const LEAF_HEAD_WORDS = 7;
const TWO_POW_32 = 2 ** 32;

function paddedLength(length: number): number {
  return Math.ceil(length / WORD) * WORD;
}

/**
 * A uint word (the value is a safe integer: below 2^53). `clear`: zero the word's first 24 bytes;
 * not needed for the head words, which sit at fixed places in the reused buffer that only ever
 * hold these words (their high bytes stay as allocated: zero).
 */
function writeUintWord(buffer: Buffer, offset: number, value: number, clear = true): void {
  if (clear) buffer.fill(0, offset, offset + WORD - 8);
  buffer.writeUInt32BE(Math.floor(value / TWO_POW_32), offset + WORD - 8);
  buffer.writeUInt32BE(value >>> 0, offset + WORD - 4);
}

/**
 * Encodes record leaves, abi.encode(bytes32 datasetId, uint256 index, string sensorId, string
 * parameter, uint64 timestampMs, string quantity, string unit), into one buffer reused from leaf to
 * leaf, and hashes them.
 */
export class RecordLeafEncoder {
  private buffer = Buffer.alloc(2048);
  private readonly datasetId: Buffer;

  constructor(datasetId: Uint8Array) {
    if (datasetId.length !== WORD) throw new MerkleDatasetError("dataset id must be 32 bytes");
    this.datasetId = Buffer.from(datasetId);
    // the first head word is the dataset id in every leaf: written once (and again when the buffer grows)
    this.datasetId.copy(this.buffer, 0);
  }

  /** Encodes one leaf; the result is a view of the internal buffer, valid until the next call. */
  encode(index: number, sensorId: string, parameter: string, timestampMs: number, quantity: string, unit: string): Buffer {
    if (!Number.isSafeInteger(index) || index < 0) throw new MerkleDatasetError(`invalid leaf index ${index}`);
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) throw new MerkleDatasetError(`timestamp ${timestampMs} cannot be encoded as uint64 milliseconds`);
    // UTF-8 takes at most 3 bytes per UTF-16 code unit
    const bound = (LEAF_HEAD_WORDS + 8) * WORD + 3 * (sensorId.length + parameter.length + quantity.length + unit.length);
    if (bound > this.buffer.length) {
      this.buffer = Buffer.alloc(2 * bound);
      this.datasetId.copy(this.buffer, 0);
    }
    const out = this.buffer;
    writeUintWord(out, WORD, index, false);
    writeUintWord(out, 4 * WORD, timestampMs, false);
    let tail = LEAF_HEAD_WORDS * WORD;
    tail = this.writeString(2, tail, sensorId);
    tail = this.writeString(3, tail, parameter);
    tail = this.writeString(5, tail, quantity);
    tail = this.writeString(6, tail, unit);
    return out.subarray(0, tail);
  }

  /** keccak256(bytes.concat(keccak256(abi.encode(leaf)))), 32 bytes. */
  hash(keccak: Keccak256, index: number, sensorId: string, parameter: string, timestampMs: number, quantity: string, unit: string): Uint8Array {
    return keccak.hash(keccak.hash(this.encode(index, sensorId, parameter, timestampMs, quantity, unit)));
  }

  /** Writes a string's offset into head word `head` and its length and padded bytes at `tail`; returns the new tail. */
  private writeString(head: number, tail: number, text: string): number {
    const out = this.buffer;
    writeUintWord(out, head * WORD, tail, false);
    const length = out.write(text, tail + WORD, "utf8");
    writeUintWord(out, tail, length);
    const end = tail + WORD + paddedLength(length);
    out.fill(0, tail + WORD + length, end);
    return end;
  }
}

/** abi.encode(bytes32 datasetId, uint256 index, string sensorId, string parameter, uint64 timestampMs, string quantity, string unit). */
export function encodeRecordLeaf(datasetId: Uint8Array, index: number, sensorId: string, parameter: string, timestampMs: number, quantity: string, unit: string): Buffer {
  return Buffer.from(new RecordLeafEncoder(datasetId).encode(index, sensorId, parameter, timestampMs, quantity, unit));
}

/** keccak256(bytes.concat(keccak256(abi.encode(leaf)))), 32 bytes. For many leaves, reuse a RecordLeafEncoder. */
export function recordLeafHashBytes(keccak: Keccak256, datasetId: Uint8Array, index: number, sensorId: string, parameter: string, timestampMs: number, quantity: string, unit: string): Uint8Array {
  return new RecordLeafEncoder(datasetId).hash(keccak, index, sensorId, parameter, timestampMs, quantity, unit);
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

  /** Adds every 32-byte hash of `hashes` (a multiple of 32 bytes) at once. */
  addAll(hashes: Uint8Array): void {
    if (hashes.length % WORD !== 0) throw new MerkleDatasetError("leaf hashes are 32 bytes each");
    const needed = this.count * WORD + hashes.length;
    if (needed > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown);
      this.buffer = grown;
    }
    this.buffer.set(hashes, this.count * WORD);
    this.count += hashes.length / WORD;
  }

  get length(): number {
    return this.count;
  }

  /** The hashes in the order they were added (a view, not a copy). */
  hashes(): Buffer {
    return this.buffer.subarray(0, this.count * WORD);
  }

  /** The hashes sorted as StandardMerkleTree sorts its leaves (byte order). */
  sorted(): Buffer {
    return sortLeafHashes(this.buffer.subarray(0, this.count * WORD));
  }
}

/** Byte-order comparison of the 32-byte words at word positions a and b of `data`. */
function compareWords(data: Buffer, a: number, b: number): number {
  return data.compare(data, b * WORD, (b + 1) * WORD, a * WORD, (a + 1) * WORD);
}

/** Up to this many hashes, sort keys are doubles (2^32 prefixes × 2^21 positions = 2^53). */
const SMALL_SORT = 2 ** 21;

/**
 * Sorts 32-byte hashes by byte order (a new buffer). The first 4 bytes of each hash and its
 * position are packed into one 64-bit key and sorted natively; the rare hashes that share those
 * 4 bytes are then ordered by their full 32 bytes.
 */
export function sortLeafHashes(hashes: Buffer): Buffer {
  const n = hashes.length / WORD;
  if (!Number.isInteger(n)) throw new MerkleDatasetError("leaf hashes are 32 bytes each");
  if (n >= TWO_POW_32) throw new MerkleDatasetError("too many leaves");
  const order = new Uint32Array(n);
  const prefixes = new Uint32Array(n);
  if (n <= SMALL_SORT) {
    // prefix × 2^21 + position is below 2^53: exact in a double, sorted natively with no BigInt
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = hashes.readUInt32BE(i * WORD) * SMALL_SORT + i;
    keys.sort();
    for (let i = 0; i < n; i++) {
      const key = keys[i];
      const prefix = Math.floor(key / SMALL_SORT);
      prefixes[i] = prefix;
      order[i] = key - prefix * SMALL_SORT;
    }
  } else {
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (BigInt(hashes.readUInt32BE(i * WORD)) << 32n) | BigInt(i);
    keys.sort();
    for (let i = 0; i < n; i++) {
      order[i] = Number(keys[i] & 0xffffffffn);
      prefixes[i] = Number(keys[i] >> 32n);
    }
  }
  // runs with the same 4-byte prefix: order them by the whole hash
  for (let start = 0; start < n; ) {
    const prefix = prefixes[start];
    let end = start + 1;
    while (end < n && prefixes[end] === prefix) end++;
    if (end - start > 1) order.subarray(start, end).sort((a, b) => compareWords(hashes, a, b));
    start = end;
  }
  const out = Buffer.alloc(hashes.length);
  const from = words(hashes);
  const to = words(out);
  for (let i = 0; i < n; i++) copyWord(from, order[i], to, i);
  return out;
}

/** keccak256 of the two 32-byte nodes in ascending byte order (OpenZeppelin's commutative node hash). */
function hashPair(keccak: Keccak256, tree: Buffer, treeWords: Uint32Array, left: number, right: number, pair: Buffer, pairWords: Uint32Array): Uint8Array {
  const leftFirst = compareWords(tree, left, right) <= 0;
  copyWord(treeWords, left, pairWords, leftFirst ? 0 : 1);
  copyWord(treeWords, right, pairWords, leftFirst ? 1 : 0);
  return keccak.hash(pair);
}

/**
 * `buffer` as 32-bit words over the same memory; a copy when it is not 4-byte aligned (only ever
 * for inputs: the buffers written through these views come from Buffer.alloc, which is aligned).
 */
function words(buffer: Uint8Array): Uint32Array {
  if (buffer.byteOffset % 4 === 0) return new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / 4);
  return new Uint32Array(Uint8Array.from(buffer).buffer);
}

/** Copies 32-byte word `fromWord` of `from` to word `toWord` of `to` (both as 32-bit words). */
function copyWord(from: Uint32Array, fromWord: number, to: Uint32Array, toWord: number): void {
  const f = fromWord * 8;
  const t = toWord * 8;
  to[t] = from[f];
  to[t + 1] = from[f + 1];
  to[t + 2] = from[f + 2];
  to[t + 3] = from[f + 3];
  to[t + 4] = from[f + 4];
  to[t + 5] = from[f + 5];
  to[t + 6] = from[f + 6];
  to[t + 7] = from[f + 7];
}

export interface FlatMerkleTree {
  readonly root: Hex;
  readonly length: number;
  /** Proof for a leaf hash of the tree (siblings from the leaf up), as StandardMerkleTree.getProof gives it. */
  proofFor(leafHash: Uint8Array): Hex[];
  /** The sorted leaf hashes (what is stored to rebuild the tree). */
  readonly sortedLeaves: Buffer;
}

/**
 * The root {@link buildFlatTree} gives for the same sorted leaves, keeping only the inner nodes
 * (the leaves are read where they are): half the memory, for sealing, which needs only the root.
 */
export function merkleRootOfSorted(sortedLeaves: Buffer, keccak: Keccak256): Hex {
  const n = sortedLeaves.length / WORD;
  if (!Number.isInteger(n) || n === 0) throw new MerkleDatasetError("a dataset needs at least one record to have a Merkle root");
  if (n === 1) return toHex(sortedLeaves.subarray(0, WORD));
  const size = 2 * n - 1;
  const inner = Buffer.alloc((n - 1) * WORD);
  const pair = Buffer.alloc(2 * WORD);
  // node j of the flat tree: inner node j, or leaf size - 1 - j of the sorted leaves
  for (let i = n - 2; i >= 0; i--) {
    const l = 2 * i + 1;
    const r = 2 * i + 2;
    const lBuffer = l < n - 1 ? inner : sortedLeaves;
    const lAt = (l < n - 1 ? l : size - 1 - l) * WORD;
    const rBuffer = r < n - 1 ? inner : sortedLeaves;
    const rAt = (r < n - 1 ? r : size - 1 - r) * WORD;
    const leftFirst = lBuffer.compare(rBuffer, rAt, rAt + WORD, lAt, lAt + WORD) <= 0;
    lBuffer.copy(pair, leftFirst ? 0 : WORD, lAt, lAt + WORD);
    rBuffer.copy(pair, leftFirst ? WORD : 0, rAt, rAt + WORD);
    inner.set(keccak.hash(pair), i * WORD);
  }
  return toHex(inner.subarray(0, WORD));
}

/** Builds the tree over leaf hashes already in byte order (see {@link sortLeafHashes}). */
export function buildFlatTree(sortedLeaves: Buffer, keccak: Keccak256): FlatMerkleTree {
  const n = sortedLeaves.length / WORD;
  if (!Number.isInteger(n) || n === 0) throw new MerkleDatasetError("a dataset needs at least one record to have a Merkle root");
  const size = 2 * n - 1;
  const tree = Buffer.alloc(size * WORD);
  const treeWords = words(tree);
  const leafWords = words(sortedLeaves);
  for (let i = 0; i < n; i++) copyWord(leafWords, i, treeWords, size - 1 - i);
  const pair = Buffer.alloc(2 * WORD);
  const pairWords = words(pair);
  for (let i = size - 1 - n; i >= 0; i--) tree.set(hashPair(keccak, tree, treeWords, 2 * i + 1, 2 * i + 2, pair, pairWords), i * WORD);
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
