"use strict";
/**
 * Worker thread of parallelLeafHasher.ts: hashes batches of ABI-encoded record leaves,
 * keccak256(keccak256(leaf)) each, with hash-wasm's WebAssembly keccak. Plain CommonJS so Node
 * loads it the same way under tsx, vitest or compiled code. Message in: { data: ArrayBuffer of
 * encoded leaves back to back, offsets: ArrayBuffer of count + 1 uint32 boundaries, count };
 * message out: { hashes: ArrayBuffer of count × 32 bytes }, in the order the batches came.
 */
const { parentPort } = require("node:worker_threads");
const { createKeccak } = require("hash-wasm");

const ready = createKeccak(256);
let queue = Promise.resolve();

parentPort.on("message", (message) => {
  queue = queue.then(async () => {
    const keccak = await ready;
    const bytes = new Uint8Array(message.data);
    const ends = new Uint32Array(message.offsets);
    const out = new Uint8Array(message.count * 32);
    for (let i = 0; i < message.count; i++) {
      const inner = keccak.init().update(bytes.subarray(ends[i], ends[i + 1])).digest("binary");
      out.set(keccak.init().update(inner).digest("binary"), i * 32);
    }
    parentPort.postMessage({ hashes: out.buffer }, [out.buffer]);
  });
});
