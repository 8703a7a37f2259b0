import fc from "fast-check";
import { encodeAbiParameters, parseAbiParameters } from "viem";
import { describe, expect, it } from "vitest";
import { buildDatasetTree, recordLeafHash, verifyProof } from "./merkle";
import { LeafHashCollector, buildFlatTree, encodeRecordLeaf, hexToBytes32, recordLeafHashBytes } from "./merkleTree";
import { normalizeReading } from "./records";

const DATASET = `0x${"ab".repeat(32)}` as const;
const LEAF = parseAbiParameters("bytes32, uint256, string, string, uint64, string, string");

describe("flat Merkle tree", () => {
  it("encodes the leaf tuple exactly as viem's ABI encoder does, for any strings", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.string({ unit: "grapheme", maxLength: 80 }),
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 0, max: 2 ** 52 }),
        fc.string({ maxLength: 70 }),
        fc.constantFrom("J", "m3", "kg"),
        (index, sensor, parameter, time, quantity, unit) => {
          const ours = encodeRecordLeaf(hexToBytes32(DATASET), index, sensor, parameter, time, quantity, unit);
          const viem = encodeAbiParameters(LEAF, [DATASET, BigInt(index), sensor, parameter, BigInt(time), quantity, unit]);
          expect(`0x${ours.toString("hex")}`).toBe(viem);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses what a uint64 leaf field cannot hold", () => {
    expect(() => encodeRecordLeaf(hexToBytes32(DATASET), -1, "s", "p", 0, "1", "J")).toThrow(/invalid leaf index/);
    expect(() => encodeRecordLeaf(hexToBytes32(DATASET), 0, "s", "p", -5, "1", "J")).toThrow(/uint64/);
    expect(() => hexToBytes32("0x12")).toThrow(/64 hex digits/);
  });

  it("has StandardMerkleTree's root and proofs, for 1 to 40 leaves", () => {
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
        collector.add(recordLeafHashBytes(hexToBytes32(DATASET), i, r.sensorId, r.parameter, Date.parse(r.timestamp), r.quantity, r.unit)),
      );
      const flat = buildFlatTree(collector.sorted());
      expect(flat.root).toBe(reference.root);
      for (let i = 0; i < n; i++) {
        const leafHash = hexToBytes32(recordLeafHash(reference.leaf(i)));
        expect(flat.proofFor(leafHash)).toEqual(reference.proofFor(i));
        expect(verifyProof(flat.root, reference.leaf(i), flat.proofFor(leafHash))).toBe(true);
      }
    }
  });

  it("refuses an empty tree and a leaf that is not in it", () => {
    expect(() => buildFlatTree(Buffer.alloc(0))).toThrow(/at least one record/);
    const collector = new LeafHashCollector();
    collector.add(new Uint8Array(32).fill(1));
    expect(() => buildFlatTree(collector.sorted()).proofFor(new Uint8Array(32).fill(2))).toThrow(/not in the dataset/);
    expect(() => collector.add(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});
