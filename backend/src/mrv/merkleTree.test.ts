import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { encodeAbiParameters, keccak256, parseAbiParameters } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { type Keccak256, loadKeccak256 } from "./keccak";
import { RECORD_LEAF_ENCODING, type RecordLeaf, buildDatasetTree, recordLeafHash, verifyProof } from "./merkle";
import { LeafHashCollector, RecordLeafEncoder, buildFlatTree, encodeRecordLeaf, hexToBytes32, merkleRootOfSorted, recordLeafHashBytes, sortLeafHashes } from "./merkleTree";
import { normalizeReading } from "./records";
import { prefixTiedLeafHash } from "./testing";

const DATASET = `0x${"ab".repeat(32)}` as const;
const LEAF = parseAbiParameters("bytes32, uint256, string, string, uint64, string, string");
const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

let keccak: Keccak256;
beforeAll(async () => {
  keccak = await loadKeccak256();
});

describe("keccak256 (hash-wasm)", () => {
  it("equals viem's keccak256 for any bytes, with one hasher reused", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        expect(hex(keccak.hash(bytes))).toBe(keccak256(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

describe("flat Merkle tree", () => {
  it("merkleRootOfSorted gives buildFlatTree's root, 1 to 70 leaves", () => {
    for (let n = 1; n <= 70; n++) {
      const leaves = Buffer.concat(Array.from({ length: n }, (_, i) => Buffer.from(keccak.hash(Buffer.from(`leaf ${n} ${i}`)))));
      const sorted = sortLeafHashes(leaves);
      expect(merkleRootOfSorted(sorted, keccak)).toBe(buildFlatTree(sorted, keccak).root);
    }
  });

  it("encodes the leaf tuple exactly as viem's ABI encoder does, for any strings, reusing one buffer", () => {
    const encoder = new RecordLeafEncoder(hexToBytes32(DATASET));
    fc.assert(
      fc.property(
        fc.nat(),
        fc.string({ unit: "grapheme", maxLength: 80 }),
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 0, max: 2 ** 52 }),
        fc.string({ unit: "binary", maxLength: 700 }),
        fc.constantFrom("J", "m3", "kg"),
        (index, sensor, parameter, time, quantity, unit) => {
          const viem = encodeAbiParameters(LEAF, [DATASET, BigInt(index), sensor, parameter, BigInt(time), quantity, unit]);
          expect(`0x${encodeRecordLeaf(hexToBytes32(DATASET), index, sensor, parameter, time, quantity, unit).toString("hex")}`).toBe(viem);
          // the reused buffer holds longer leaves from earlier runs: padding must still be zero
          expect(`0x${encoder.encode(index, sensor, parameter, time, quantity, unit).toString("hex")}`).toBe(viem);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses what a uint64 leaf field cannot hold", () => {
    expect(() => encodeRecordLeaf(hexToBytes32(DATASET), -1, "s", "p", 0, "1", "J")).toThrow(/invalid leaf index/);
    expect(() => encodeRecordLeaf(hexToBytes32(DATASET), 0, "s", "p", -5, "1", "J")).toThrow(/uint64/);
    expect(() => encodeRecordLeaf(new Uint8Array(31), 0, "s", "p", 5, "1", "J")).toThrow(/32 bytes/);
    expect(() => hexToBytes32("0x12")).toThrow(/64 hex digits/);
  });

  it("has StandardMerkleTree's root and proofs for random leaves, and its proofs verify", () => {
    const leafArbitrary = fc.record({
      sensor: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
      parameter: fc.string({ minLength: 1, maxLength: 12 }),
      time: fc.integer({ min: 0, max: 2 ** 48 }),
      quantity: fc.stringMatching(/^-?\d{1,12}(\.\d{1,8})?$/),
      unit: fc.constantFrom("J", "m3", "kg"),
    });
    fc.assert(
      fc.property(fc.array(leafArbitrary, { minLength: 1, maxLength: 60 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (leaves, id) => {
        const datasetId = hex(id) as `0x${string}`;
        const values: RecordLeaf[] = leaves.map((l, i) => [datasetId, String(i), l.sensor, l.parameter, String(l.time), l.quantity, l.unit]);
        const reference = StandardMerkleTree.of(values, [...RECORD_LEAF_ENCODING]);
        const encoder = new RecordLeafEncoder(id);
        const collector = new LeafHashCollector(1);
        leaves.forEach((l, i) => collector.add(encoder.hash(keccak, i, l.sensor, l.parameter, l.time, l.quantity, l.unit)));
        const flat = buildFlatTree(collector.sorted(), keccak);
        expect(flat.root).toBe(reference.root);
        for (const [i, value] of reference.entries()) {
          const proof = flat.proofFor(hexToBytes32(reference.leafHash(value)));
          expect(proof).toEqual(reference.getProof(i));
          expect(StandardMerkleTree.verify(flat.root, [...RECORD_LEAF_ENCODING], value, proof)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("has buildDatasetTree's root and proofs for normalized records, 1 to 40 leaves", () => {
    for (let n = 1; n <= 40; n++) {
      const records = Array.from({ length: n }, (_, i) =>
        normalizeReading(
          { file: "m.csv", row: i + 2, timestamp: new Date(Date.UTC(2024, 0, 1, 0, i)), value: `${i}.5`, unit: "kWh", sensorId: `S${i % 3}`, parameter: "EG_export" },
          "a".repeat(64),
        ),
      );
      const reference = buildDatasetTree(DATASET, records);
      const collector = new LeafHashCollector(1);
      reference.records.forEach((r, i) =>
        collector.add(recordLeafHashBytes(keccak, hexToBytes32(DATASET), i, r.sensorId, r.parameter, Date.parse(r.timestamp), r.quantity, r.unit)),
      );
      const flat = buildFlatTree(collector.sorted(), keccak);
      expect(flat.root).toBe(reference.root);
      for (let i = 0; i < n; i++) {
        const leafHash = hexToBytes32(recordLeafHash(reference.leaf(i)));
        expect(flat.proofFor(leafHash)).toEqual(reference.proofFor(i));
        expect(verifyProof(flat.root, reference.leaf(i), flat.proofFor(leafHash))).toBe(true);
      }
    }
  });

  it("sorts hashes by byte order, also when many share their first bytes", () => {
    // many hashes tie on the first 4 bytes (see prefixTiedLeafHash)
    fc.assert(
      fc.property(fc.array(prefixTiedLeafHash, { maxLength: 80 }), (hashes) => {
        const sorted = sortLeafHashes(Buffer.concat(hashes));
        const expected = Buffer.concat([...hashes].sort(Buffer.compare));
        expect(sorted.equals(expected)).toBe(true);
      }),
    );
  });

  it("refuses an empty tree and a leaf that is not in it", () => {
    expect(() => buildFlatTree(Buffer.alloc(0), keccak)).toThrow(/at least one record/);
    const collector = new LeafHashCollector();
    collector.add(new Uint8Array(32).fill(1));
    expect(() => buildFlatTree(collector.sorted(), keccak).proofFor(new Uint8Array(32).fill(2))).toThrow(/not in the dataset/);
    expect(() => collector.add(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});
