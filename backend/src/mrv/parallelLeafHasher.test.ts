import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadKeccak256 } from "./keccak";
import { LeafHashCollector, RecordLeafEncoder, buildFlatTree, merkleRootOfSorted, sortLeafHashes } from "./merkleTree";
import { ParallelLeafHasher } from "./parallelLeafHasher";
import { prefixTiedLeafHash } from "./testing";

const leafArbitrary = fc.record({
  sensor: fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }),
  parameter: fc.string({ minLength: 1, maxLength: 12 }),
  time: fc.integer({ min: 0, max: 2 ** 48 }),
  quantity: fc.oneof(fc.stringMatching(/^-?\d{1,12}(\.\d{1,8})?$/), fc.string({ maxLength: 3000 })),
  unit: fc.constantFrom("J", "m3", "kg"),
});

type Leaf = typeof leafArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function hashInParallel(id: Uint8Array, leaves: readonly Leaf[]): Promise<LeafHashCollector> {
  const hasher = new ParallelLeafHasher(id, 1);
  try {
    for (const [i, l] of leaves.entries()) await hasher.add(i, l.sensor, l.parameter, l.time, l.quantity, l.unit);
    return await hasher.finish();
  } finally {
    await hasher.close();
  }
}

describe("parallel leaf hashing", () => {
  it("gives the same leaf hashes and root as hashing on this thread", async () => {
    const keccak = await loadKeccak256();
    await fc.assert(
      fc.asyncProperty(fc.array(leafArbitrary, { minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), async (leaves, id) => {
        const encoder = new RecordLeafEncoder(id);
        const expected = new LeafHashCollector(1);
        leaves.forEach((l, i) => expected.add(encoder.hash(keccak, i, l.sensor, l.parameter, l.time, l.quantity, l.unit)));
        const parallel = await hashInParallel(id, leaves);
        expect(parallel.sorted().equals(expected.sorted())).toBe(true);
        expect(buildFlatTree(parallel.sorted(), keccak).root).toBe(buildFlatTree(expected.sorted(), keccak).root);
      }),
      { numRuns: 15 },
    );
  });

  it("leaves queued as columns (encoded on the worker) hash exactly as on this thread, in index order", async () => {
    const keccak = await loadKeccak256();
    await fc.assert(
      fc.asyncProperty(fc.array(leafArbitrary, { minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat({ max: 2 ** 40 }), async (leaves, id, first) => {
        const encoder = new RecordLeafEncoder(id);
        const expected = Buffer.concat(leaves.map((l, i) => Buffer.from(encoder.hash(keccak, first + i, l.sensor, l.parameter, l.time, l.quantity, l.unit))));
        const hasher = new ParallelLeafHasher(id, 1);
        try {
          const half = Math.floor(leaves.length / 2);
          const columns = (part: readonly Leaf[]) => ({ sensorId: part.map((l) => l.sensor), parameter: part.map((l) => l.parameter), timeMs: part.map((l) => l.time), quantity: part.map((l) => l.quantity), unit: part.map((l) => l.unit) });
          await hasher.addColumns(first, columns(leaves.slice(0, half)));
          await hasher.addColumns(first + half, columns(leaves.slice(half)));
          expect((await hasher.finish()).hashes().equals(expected)).toBe(true);
        } finally {
          await hasher.close();
        }
      }),
      { numRuns: 15 },
    );
  });

  it("hashes many batches with back-pressure, every leaf once", async () => {
    const keccak = await loadKeccak256();
    const id = new Uint8Array(32).fill(7);
    const encoder = new RecordLeafEncoder(id);
    const hasher = new ParallelLeafHasher(id);
    const expected = new LeafHashCollector();
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const quantity = String(i * 3600000);
      await hasher.add(i, `INV-${i % 20}`, "EG_export", 1_704_067_200_000 + i * 3000, quantity, "J");
      expected.add(encoder.hash(keccak, i, `INV-${i % 20}`, "EG_export", 1_704_067_200_000 + i * 3000, quantity, "J"));
    }
    const hashed = await hasher.finish();
    expect(hashed.length).toBe(n);
    expect(hashed.sorted().equals(expected.sorted())).toBe(true);
  });

  it("roots the leaves it kept on the worker exactly as merkleRootOfSorted over sortLeafHashes does, round after round", async () => {
    const keccak = await loadKeccak256();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(leafArbitrary, { minLength: 0, maxLength: 30 }), { minLength: 1, maxLength: 3 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), async (rounds, id) => {
        const encoder = new RecordLeafEncoder(id);
        const hasher = new ParallelLeafHasher(id, 1, { keep: false, rootOnWorker: true });
        try {
          let first = 0;
          for (const leaves of rounds) {
            const expected = Buffer.concat(leaves.map((l, i) => Buffer.from(encoder.hash(keccak, first + i, l.sensor, l.parameter, l.time, l.quantity, l.unit))));
            const half = Math.floor(leaves.length / 2);
            const columns = (part: readonly Leaf[]) => ({ sensorId: part.map((l) => l.sensor), parameter: part.map((l) => l.parameter), timeMs: part.map((l) => l.time), quantity: part.map((l) => l.quantity), unit: part.map((l) => l.unit) });
            await hasher.addColumns(first, columns(leaves.slice(0, half)));
            await hasher.addColumns(first + half, columns(leaves.slice(half)));
            const kept = await hasher.rootOfKept();
            expect(kept.count).toBe(leaves.length);
            if (leaves.length === 0) expect(kept.root).toBeNull();
            else expect(`0x${Buffer.from(kept.root as Uint8Array).toString("hex")}`).toBe(merkleRootOfSorted(sortLeafHashes(expected), keccak));
            expect(Buffer.concat(hasher.takeHashes().map((h) => Buffer.from(h))).equals(expected)).toBe(true);
            first += leaves.length;
          }
        } finally {
          await hasher.close();
        }
      }),
      { numRuns: 20 },
    );
  });

  it("roots kept hashes that share their first bytes, across the worker's storage segments, as merkleRootOfSorted does", async () => {
    const keccak = await loadKeccak256();
    // many ties on the 4-byte sort prefix, and more hashes than one 32,768-hash segment
    await fc.assert(
      fc.asyncProperty(fc.array(prefixTiedLeafHash, { minLength: 1, maxLength: 70 }), fc.nat({ max: 3 }), async (hashes, parts) => {
        const all = Buffer.concat(hashes);
        const hasher = new ParallelLeafHasher(new Uint8Array(32), 1, { keep: false, rootOnWorker: true });
        try {
          const cut = Math.floor((hashes.length * parts) / 4) * 32;
          hasher.keepHashes(all.subarray(0, cut));
          hasher.keepHashes(all.subarray(cut));
          const kept = await hasher.rootOfKept();
          expect(kept.count).toBe(hashes.length);
          expect(`0x${Buffer.from(kept.root as Uint8Array).toString("hex")}`).toBe(merkleRootOfSorted(sortLeafHashes(all), keccak));
        } finally {
          await hasher.close();
        }
      }),
      { numRuns: 30 },
    );
    const many = Buffer.concat(Array.from({ length: 70_001 }, (_, i) => Buffer.from(keccak.hash(Buffer.from(`leaf ${i % 40_000} ${i >= 40_000 ? "b" : "a"}`)))));
    many.writeUInt32BE(0x01020304, 5 * 32);
    many.writeUInt32BE(0x01020304, 50_000 * 32);
    const hasher = new ParallelLeafHasher(new Uint8Array(32), 1, { keep: false, rootOnWorker: true });
    try {
      hasher.keepHashes(many.subarray(0, 10_000 * 32));
      hasher.keepHashes(many.subarray(10_000 * 32));
      const kept = await hasher.rootOfKept();
      expect(kept.count).toBe(70_001);
      expect(`0x${Buffer.from(kept.root as Uint8Array).toString("hex")}`).toBe(merkleRootOfSorted(sortLeafHashes(many), keccak));
    } finally {
      await hasher.close();
    }
  });

  it("reuses the buffers handed back (recycle) for later batches, with the right hashes in them", async () => {
    const keccak = await loadKeccak256();
    const id = new Uint8Array(32).fill(3);
    const encoder = new RecordLeafEncoder(id);
    const hasher = new ParallelLeafHasher(id, 1, { keep: false });
    try {
      const batch = (first: number) => ({
        sensorId: Array.from({ length: 50 }, (_, i) => `S-${(first + i) % 7}`),
        parameter: Array.from({ length: 50 }, () => "EG_export"),
        timeMs: Array.from({ length: 50 }, (_, i) => 1_704_067_200_000 + (first + i) * 60_000),
        quantity: Array.from({ length: 50 }, (_, i) => String((first + i) * 3_600_000)),
        unit: Array.from({ length: 50 }, () => "J"),
      });
      for (let round = 0; round < 4; round++) {
        const first = round * 50;
        const columns = batch(first);
        await hasher.addColumns(first, columns);
        await hasher.drain();
        const [hashes] = hasher.takeHashes();
        const expected = Buffer.concat(columns.timeMs.map((t, i) => Buffer.from(encoder.hash(keccak, first + i, columns.sensorId[i], columns.parameter[i], t, columns.quantity[i], "J"))));
        expect(Buffer.from(hashes).equals(expected)).toBe(true);
        hasher.recycle(hashes);
        expect(hashes.byteLength).toBe(0); // transferred back to the worker
      }
    } finally {
      await hasher.close();
    }
  });

  it("refuses a leaf it cannot encode, on the caller's thread", async () => {
    const hasher = new ParallelLeafHasher(new Uint8Array(32));
    try {
      expect(() => hasher.add(0, "s", "p", -1, "1", "J")).toThrow(/uint64/);
    } finally {
      await hasher.close();
    }
  });
});
