"use strict";
/**
 * Worker thread of parallelLeafHasher.ts: hashes batches of record leaves, keccak256(keccak256(leaf))
 * each, with hash-wasm's WebAssembly keccak. Plain CommonJS so Node loads it the same way under
 * tsx, vitest or compiled code. Messages in, processed in order:
 *  - { data: ArrayBuffer of ABI-encoded leaves back to back, offsets: ArrayBuffer of count + 1
 *    uint32 boundaries, count } (leaves encoded by the caller);
 *  - { records: { datasetId: Uint8Array(32), firstIndex, sensorId[], parameter[], timeMs[],
 *    quantity[], unit[] } } (leaves encoded here: the same encoding as merkleTree.ts's
 *    RecordLeafEncoder, which the tests compare);
 * message out: { hashes: ArrayBuffer of count × 32 bytes } per message, in the order they came,
 * or { error: message }.
 */
const { Buffer } = require("node:buffer");
const { parentPort } = require("node:worker_threads");
const { createKeccak } = require("hash-wasm");

const WORD = 32;
const HEAD_WORDS = 7;
const TWO_POW_32 = 2 ** 32;

/** abi.encode(bytes32 datasetId, uint256 index, string sensorId, string parameter, uint64 timestampMs, string quantity, string unit) into a reused buffer. */
function leafEncoder(datasetId) {
  let buffer = Buffer.alloc(4096);
  const id = Buffer.from(datasetId);
  id.copy(buffer, 0);
  const uintWord = (offset, value) => {
    buffer.fill(0, offset, offset + WORD - 8);
    buffer.writeUInt32BE(Math.floor(value / TWO_POW_32), offset + WORD - 8);
    buffer.writeUInt32BE(value >>> 0, offset + WORD - 4);
  };
  const string = (head, tail, text) => {
    uintWord(head * WORD, tail);
    const length = buffer.write(text, tail + WORD, "utf8");
    uintWord(tail, length);
    const end = tail + WORD + Math.ceil(length / WORD) * WORD;
    buffer.fill(0, tail + WORD + length, end);
    return end;
  };
  return (index, sensorId, parameter, timestampMs, quantity, unit) => {
    if (!Number.isSafeInteger(index) || index < 0) throw new Error(`invalid leaf index ${index}`);
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) throw new Error(`timestamp ${timestampMs} cannot be encoded as uint64 milliseconds`);
    const bound = (HEAD_WORDS + 8) * WORD + 3 * (sensorId.length + parameter.length + quantity.length + unit.length);
    if (bound > buffer.length) {
      buffer = Buffer.alloc(2 * bound);
      id.copy(buffer, 0);
    }
    uintWord(WORD, index);
    uintWord(4 * WORD, timestampMs);
    let tail = HEAD_WORDS * WORD;
    tail = string(2, tail, sensorId);
    tail = string(3, tail, parameter);
    tail = string(5, tail, quantity);
    tail = string(6, tail, unit);
    return buffer.subarray(0, tail);
  };
}

const ready = createKeccak(256);
let queue = Promise.resolve();

parentPort.on("message", (message) => {
  queue = queue.then(async () => {
    const keccak = await ready;
    const leafHash = (leaf, out, at) => {
      const inner = keccak.init().update(leaf).digest("binary");
      out.set(keccak.init().update(inner).digest("binary"), at);
    };
    try {
      if (message.records !== undefined) {
        const r = message.records;
        const encode = leafEncoder(r.datasetId);
        const out = new Uint8Array(r.timeMs.length * 32);
        for (let i = 0; i < r.timeMs.length; i++) leafHash(encode(r.firstIndex + i, r.sensorId[i], r.parameter[i], r.timeMs[i], r.quantity[i], r.unit[i]), out, i * 32);
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
