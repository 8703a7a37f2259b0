"use strict";
/**
 * Worker thread of parallelLeafHasher.ts: hashes batches of record leaves, keccak256(keccak256(leaf))
 * each, with hash-wasm's WebAssembly keccak. Plain CommonJS so Node loads it the same way under
 * tsx, vitest or compiled code. Messages in, processed in order:
 *  - { data: ArrayBuffer of ABI-encoded leaves back to back, offsets: ArrayBuffer of count + 1
 *    uint32 boundaries, count } (leaves encoded by the caller);
 *  - { records: { datasetId: Uint8Array(32), firstIndex, count, words: string[], sensorId,
 *    parameter, unit: Uint32Array codes into words, timeMs: Float64Array, quantities: the
 *    quantities concatenated, quantityLengths: Uint32Array of their lengths }, keep?: boolean }
 *    (leaves encoded here: the same encoding as
 *    merkleTree.ts's RecordLeafEncoder, which the tests compare); with keep, the worker also keeps
 *    the hashes for a later { root: true };
 *  - { keep: ArrayBuffer of 32-byte hashes }: hashes computed elsewhere, kept for the next root;
 *  - { recycle: ArrayBuffer }: a buffer of hashes sent earlier, which the caller no longer needs:
 *    reused for a later batch of the same size, so the caller's thread is not left with dead
 *    buffers waiting for a full garbage collection;
 *  - { root: true }: the Merkle root over every hash kept since the last root message (sorted by
 *    byte order, the flat tree of merkleTree.ts: sortLeafHashes then merkleRootOfSorted, which the
 *    tests compare), computed here so that the caller's thread does not have to; the kept hashes
 *    are then dropped.
 * message out: { hashes: ArrayBuffer of count × 32 bytes } per hashing message, { root:
 * ArrayBuffer(32) | null, count } per root message (null: nothing was kept), in the order they
 * came, or { error: message }.
 */
const { Buffer } = require("node:buffer");
const { parentPort } = require("node:worker_threads");
const { createKeccak } = require("hash-wasm");

const WORD = 32;
const HEAD_WORDS = 7;
const TWO_POW_32 = 2 ** 32;

/**
 * abi.encode(bytes32 datasetId, uint256 index, string sensorId, string parameter, uint64 timestampMs,
 * string quantity, string unit) into a reused buffer. The head words other than the dataset id only
 * ever hold these uint values, so their high bytes stay zero; a string's tail (length word, bytes,
 * zero padding) is copied from a segment made once per batch for the repeating fields (sensor,
 * parameter, unit), and the quantity is written byte by byte when it is ASCII.
 */
function leafEncoder(datasetId) {
  let buffer = Buffer.alloc(4096);
  const id = Buffer.from(datasetId);
  id.copy(buffer, 0);
  /** Low 8 bytes of the word at `offset` (the high 24 are zero). */
  const uintLow = (offset, value) => {
    const high = Math.floor(value / TWO_POW_32);
    const low = value >>> 0;
    const b = buffer;
    b[offset + 24] = high >>> 24;
    b[offset + 25] = (high >>> 16) & 0xff;
    b[offset + 26] = (high >>> 8) & 0xff;
    b[offset + 27] = high & 0xff;
    b[offset + 28] = low >>> 24;
    b[offset + 29] = (low >>> 16) & 0xff;
    b[offset + 30] = (low >>> 8) & 0xff;
    b[offset + 31] = low & 0xff;
  };
  /** A string's tail: its length word, its UTF-8 bytes, zero padding to a whole word. */
  const segmentOf = (text) => {
    const bytes = Buffer.from(text, "utf8");
    const segment = new Uint8Array(WORD + Math.ceil(bytes.length / WORD) * WORD);
    const view = new DataView(segment.buffer);
    view.setUint32(WORD - 8, Math.floor(bytes.length / TWO_POW_32));
    view.setUint32(WORD - 4, bytes.length >>> 0);
    segment.set(bytes, WORD);
    return segment;
  };
  const string = (head, tail, segment) => {
    uintLow(head * WORD, tail);
    buffer.set(segment, tail);
    return tail + segment.length;
  };
  /** The quantity `text.slice(from, to)` written in place, without making the string when it is ASCII. */
  const directSlice = (head, tail, text, from, to) => {
    uintLow(head * WORD, tail);
    const b = buffer;
    const n = to - from;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(from + i);
      if (c > 0x7f) {
        ascii = false;
        break;
      }
      b[tail + WORD + i] = c;
    }
    const length = ascii ? n : b.write(text.slice(from, to), tail + WORD, "utf8");
    b.fill(0, tail, tail + WORD);
    uintLow(tail, length);
    const end = tail + WORD + Math.ceil(length / WORD) * WORD;
    for (let i = tail + WORD + length; i < end; i++) b[i] = 0;
    return end;
  };
  /** A leaf whose strings come as segments (see segmentOf) and a quantity slice of `quantities`. */
  const encodeCoded = (index, sensorSegment, parameterSegment, timestampMs, quantities, from, to, unitSegment) => {
    if (!Number.isSafeInteger(index) || index < 0) throw new Error(`invalid leaf index ${index}`);
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) throw new Error(`timestamp ${timestampMs} cannot be encoded as uint64 milliseconds`);
    const bound = (HEAD_WORDS + 8) * WORD + sensorSegment.length + parameterSegment.length + unitSegment.length + 3 * (to - from);
    if (bound > buffer.length) {
      buffer = Buffer.alloc(2 * bound);
      id.copy(buffer, 0);
    }
    uintLow(WORD, index);
    uintLow(4 * WORD, timestampMs);
    let tail = HEAD_WORDS * WORD;
    tail = string(2, tail, sensorSegment);
    tail = string(3, tail, parameterSegment);
    tail = directSlice(5, tail, quantities, from, to);
    tail = string(6, tail, unitSegment);
    return buffer.subarray(0, tail);
  };
  return { encodeCoded, segmentOf };
}

/**
 * Hashes kept for a root: appended in segments of SEGMENT hashes (no large copies as it grows),
 * then ranked (not moved) and turned into the tree's root in place, so a million leaves cost
 * their 32 MB plus 8 MB of sort keys (then positions) on this thread.
 */
const SEGMENT_BITS = 15;
const SEGMENT = 2 ** SEGMENT_BITS;
const SEGMENT_MASK = SEGMENT - 1;

class HashStore {
  constructor() {
    this.segments = [];
    this.length = 0;
  }

  append(hashes) {
    for (let at = 0; at < hashes.length; ) {
      const offset = this.length & SEGMENT_MASK;
      if (offset === 0) this.segments.push(new Uint8Array(SEGMENT * WORD));
      const take = Math.min(SEGMENT - offset, (hashes.length - at) / WORD);
      this.segments[this.segments.length - 1].set(hashes.subarray(at, at + take * WORD), offset * WORD);
      this.length += take;
      at += take * WORD;
    }
  }

  /** The first 4 bytes of hash i, big-endian. */
  prefix(i) {
    const b = this.segments[i >>> SEGMENT_BITS];
    const at = (i & SEGMENT_MASK) * WORD;
    return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }

  /** Byte order of hashes i and j. */
  compare(i, j) {
    const x = this.segments[i >>> SEGMENT_BITS];
    const y = this.segments[j >>> SEGMENT_BITS];
    const a = (i & SEGMENT_MASK) * WORD;
    const b = (j & SEGMENT_MASK) * WORD;
    for (let k = 0; k < WORD; k++) {
      const d = x[a + k] - y[b + k];
      if (d !== 0) return d;
    }
    return 0;
  }

  /** Copies hash i to `out` at byte `at`. */
  read(i, out, at) {
    const x = this.segments[i >>> SEGMENT_BITS];
    const a = (i & SEGMENT_MASK) * WORD;
    for (let k = 0; k < WORD; k++) out[at + k] = x[a + k];
  }

  /** Copies 32 bytes of `from` at byte `at` into hash i. */
  write(i, from, at) {
    const x = this.segments[i >>> SEGMENT_BITS];
    const a = (i & SEGMENT_MASK) * WORD;
    for (let k = 0; k < WORD; k++) x[a + k] = from[at + k];
  }

  /**
   * The positions of the hashes in byte order (merkleTree.ts's sortLeafHashes: 4-byte prefix and
   * position as one native sort key, ties by the whole hash); the hashes stay where they are.
   */
  sortedOrder() {
    const n = this.length;
    let order;
    if (n <= SMALL_SORT) {
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = this.prefix(i) * SMALL_SORT + i;
      keys.sort();
      // the positions go over the keys' own memory: position i (bytes 4i..4i+3) overwrites only
      // keys already read (key floor(i/2) <= i)
      order = new Uint32Array(keys.buffer, 0, n);
      for (let i = 0; i < n; i++) {
        const key = keys[i];
        order[i] = key - Math.floor(key / SMALL_SORT) * SMALL_SORT;
      }
    } else {
      const keys = new BigUint64Array(n);
      for (let i = 0; i < n; i++) keys[i] = (BigInt(this.prefix(i)) << 32n) | BigInt(i);
      keys.sort();
      order = new Uint32Array(keys.buffer, 0, n);
      for (let i = 0; i < n; i++) order[i] = Number(keys[i] & 0xffffffffn);
    }
    // runs with the same 4-byte prefix: order them by the whole hash
    for (let start = 0; start < n; ) {
      const prefix = this.prefix(order[start]);
      let end = start + 1;
      while (end < n && this.prefix(order[end]) === prefix) end++;
      if (end - start > 1) order.subarray(start, end).sort((a, b) => this.compare(a, b));
      start = end;
    }
    return order;
  }

  /**
   * merkleTree.ts's merkleRootOfSorted over the hashes in byte order, computed in place: leaf
   * position p of the flat tree is the (2n-2-p)-th hash in byte order, found through `order`;
   * inner node i (children 2i+1, 2i+2) is written over the (n-2-i)-th, which an earlier node
   * (n-2-floor((n-2-i)/2), no later than i) already used, and inner children sit at lower ranks,
   * written earlier and not overwritten since. The hashes are consumed. Null for no hashes.
   */
  rootInPlace(keccak) {
    const n = this.length;
    if (n === 0) return null;
    const root = new Uint8Array(WORD);
    if (n === 1) {
      this.read(0, root, 0);
      return root;
    }
    const order = this.sortedOrder();
    const pair = new Uint8Array(2 * WORD);
    for (let i = n - 2; i >= 0; i--) {
      const l = 2 * i + 1;
      const r = 2 * i + 2;
      const lAt = order[l < n - 1 ? n - 2 - l : 2 * n - 2 - l];
      const rAt = order[r < n - 1 ? n - 2 - r : 2 * n - 2 - r];
      const leftFirst = this.compare(lAt, rAt) <= 0;
      this.read(lAt, pair, leftFirst ? 0 : WORD);
      this.read(rAt, pair, leftFirst ? WORD : 0);
      this.write(order[n - 2 - i], keccak.init().update(pair).digest("binary"), 0);
    }
    this.read(order[n - 2], root, 0);
    return root;
  }
}

const SMALL_SORT = 2 ** 21;

const ready = createKeccak(256);
let queue = Promise.resolve();
/** Hashes kept for the next root message. */
let kept = new HashStore();
/** Buffers of hashes the caller handed back (recycle), reused for the next batches of the same size. */
const recycled = [];
const MAX_RECYCLED = 16;
let encoders = { datasetId: undefined, encoder: undefined };

function encoderFor(datasetId) {
  const id = Buffer.from(datasetId);
  if (encoders.datasetId === undefined || !encoders.datasetId.equals(id)) encoders = { datasetId: id, encoder: leafEncoder(id) };
  return encoders.encoder;
}

parentPort.on("message", (message) => {
  queue = queue.then(async () => {
    const keccak = await ready;
    const leafHash = (leaf, out, at) => {
      const inner = keccak.init().update(leaf).digest("binary");
      out.set(keccak.init().update(inner).digest("binary"), at);
    };
    try {
      if (message.recycle !== undefined) {
        if (recycled.length < MAX_RECYCLED) recycled.push(message.recycle);
        return;
      }
      if (message.keep !== undefined && message.records === undefined) {
        kept.append(new Uint8Array(message.keep));
        return;
      }
      if (message.root === true) {
        const store = kept;
        kept = new HashStore();
        const root = store.rootInPlace(keccak);
        const count = store.length;
        if (root === null) parentPort.postMessage({ root: null, count });
        else parentPort.postMessage({ root: root.buffer, count }, [root.buffer]);
        return;
      }
      if (message.records !== undefined) {
        const r = message.records;
        const { encodeCoded, segmentOf } = encoderFor(r.datasetId);
        const segments = r.words.map(segmentOf);
        const spare = recycled.pop();
        const out = spare !== undefined && spare.byteLength === r.count * 32 ? new Uint8Array(spare) : new Uint8Array(r.count * 32);
        let at = 0;
        for (let i = 0; i < r.count; i++) {
          const to = at + r.quantityLengths[i];
          leafHash(encodeCoded(r.firstIndex + i, segments[r.sensorId[i]], segments[r.parameter[i]], r.timeMs[i], r.quantities, at, to, segments[r.unit[i]]), out, i * 32);
          at = to;
        }
        if (at !== r.quantities.length) throw new Error("internal: quantity lengths do not add up");
        if (message.keep === true) {
          kept.append(out);
        }
        parentPort.postMessage({ hashes: out.buffer }, [out.buffer]);
        return;
      }
      const bytes = new Uint8Array(message.data);
      const ends = new Uint32Array(message.offsets);
      const out = new Uint8Array(message.count * 32);
      for (let i = 0; i < message.count; i++) leafHash(bytes.subarray(ends[i], ends[i + 1]), out, i * 32);
      parentPort.postMessage({ hashes: out.buffer }, [out.buffer]);
    } catch (error) {
      parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
    }
  });
});
