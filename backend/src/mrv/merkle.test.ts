import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { encodeAbiParameters, keccak256, parseAbiParameters } from "viem";
import { describe, expect, it } from "vitest";
import { RECORD_LEAF_ENCODING, type RecordLeaf, buildDatasetTree, canonicalOrder, verifyProof } from "./merkle";
import type { Reading } from "./parsers/mapping";
import { type NormalizedRecord, normalizeReading, sumRecords } from "./records";

const SHA = "a".repeat(64);
const DATASET = `0x${"12".repeat(32)}`;
const OTHER_DATASET = `0x${"34".repeat(32)}`;

function reading(row: number, overrides: Partial<Reading> = {}): Reading {
  return {
    file: "meter.csv",
    row,
    timestamp: new Date(Date.UTC(2024, 2, 1, 0, 15 * row)),
    value: `${1000 + row}.25`,
    unit: "kWh",
    sensorId: "INV-1",
    parameter: "EG_export",
    ...overrides,
  };
}

const records = (count: number) => Array.from({ length: count }, (_, i) => normalizeReading(reading(i + 2), SHA));

describe("normalized records", () => {
  it("normalizes into the base unit exactly and keeps the measured value and its provenance", () => {
    expect(normalizeReading(reading(7, { value: "1.5", unit: "MWh", page: 2 }), SHA)).toEqual({
      sensorId: "INV-1",
      parameter: "EG_export",
      timestamp: "2024-03-01T01:45:00.000Z",
      quantity: "5400000000",
      unit: "J",
      measured: { value: "1.5", unit: "MWh" },
      source: { file: "meter.csv", sha256: SHA, row: 7, page: 2 },
    });
    expect(normalizeReading(reading(2, { value: "2", unit: "US gal" }), SHA)).toMatchObject({ quantity: "0.007570823568", unit: "m3" });
    expect(normalizeReading(reading(2, { value: "3", unit: "short ton" }), SHA)).toMatchObject({ quantity: "2721.55422", unit: "kg" });
  });

  it("rejects a bad content hash", () => {
    expect(() => normalizeReading(reading(2), "not-a-hash")).toThrow(/SHA-256/);
  });

  it("sums a parameter exactly in any unit, with optional sensor and time filters", () => {
    const mixed = [
      normalizeReading(reading(2, { value: "500", unit: "kWh" }), SHA),
      normalizeReading(reading(3, { value: "0.25", unit: "MWh" }), SHA),
      normalizeReading(reading(4, { value: "0.1", unit: "kWh", sensorId: "INV-2" }), SHA),
      normalizeReading(reading(5, { value: "9", unit: "m3", parameter: "water" }), SHA),
    ];
    const total = sumRecords(mixed, { parameter: "EG_export" }, "MWh");
    expect([total.value.toString(), total.unit, total.count]).toEqual(["0.7501", "MWh", 3]);
    expect(sumRecords(mixed, { parameter: "EG_export", sensorIds: ["INV-1"] }, "kWh").value.toString()).toBe("750");
    expect(sumRecords(mixed, { parameter: "EG_export", from: "2024-03-01T00:45:00Z" }, "kWh").value.toString()).toBe("250.1");
  });
});

describe("dataset Merkle root", () => {
  it("uses the declared leaf encoding, and every record's proof verifies against the root", () => {
    const tree = buildDatasetTree(DATASET, records(25));
    expect(tree.leafEncoding).toEqual(["bytes32", "uint256", "string", "string", "uint64", "string", "string"]);
    expect(tree.root).toMatch(/^0x[0-9a-f]{64}$/);
    for (let i = 0; i < 25; i++) expect(verifyProof(tree.root, tree.leaf(i), tree.proofFor(i))).toBe(true);
    expect(tree.leaf(0)).toEqual([DATASET, "0", "INV-1", "EG_export", String(Date.UTC(2024, 2, 1, 0, 30)), "3608100000", "J"]);
  });

  it("hashes leaves as OpenZeppelin's MerkleProof expects: keccak256(keccak256(abi.encode(...)))", () => {
    const tree = buildDatasetTree(DATASET, records(1));
    const [datasetId, index, sensorId, parameter, timestampMs, quantity, unit] = tree.leaf(0);
    const encoded = encodeAbiParameters(parseAbiParameters(RECORD_LEAF_ENCODING.join(", ")), [
      datasetId,
      BigInt(index),
      sensorId,
      parameter,
      BigInt(timestampMs),
      quantity,
      unit,
    ]);
    // a one-leaf tree's root is the leaf hash
    expect(tree.root).toBe(keccak256(keccak256(encoded)));
  });

  it("builds exactly StandardMerkleTree's tree for the declared encoding", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.nat(), (count, offset) => {
        const tree = buildDatasetTree(DATASET, records(count).map((r, i) => ({ ...r, quantity: String(offset + i) })));
        const standard = StandardMerkleTree.of(Array.from({ length: count }, (_, i) => tree.leaf(i)), [...RECORD_LEAF_ENCODING]);
        expect(tree.root).toBe(standard.root);
        expect(tree.proofFor(count - 1)).toEqual(standard.getProof(count - 1));
      }),
      { numRuns: 15 },
    );
  });

  it("is deterministic: the same records in any order give the same root and indexes", () => {
    const base = records(12);
    base.push({ ...base[3] }); // an identical reading stays a separate leaf
    const root = buildDatasetTree(DATASET, base).root;
    fc.assert(
      fc.property(fc.shuffledSubarray(base, { minLength: base.length, maxLength: base.length }), (shuffled) => {
        const tree = buildDatasetTree(DATASET, shuffled);
        expect(tree.root).toBe(root);
        expect(tree.records).toEqual(canonicalOrder(base));
      }),
      { numRuns: 20 },
    );
  });

  it("ignores provenance (file, row, as-measured unit) but not the normalized values", () => {
    const base = records(5);
    const root = buildDatasetTree(DATASET, base).root;
    const relocated = base.map((r) => ({ ...r, source: { ...r.source, file: "other.xlsx", row: r.source.row + 10 } }));
    expect(buildDatasetTree(DATASET, relocated).root).toBe(root);
    const changed: NormalizedRecord[] = base.map((r, i) => (i === 2 ? { ...r, quantity: "1" } : r));
    expect(buildDatasetTree(DATASET, changed).root).not.toBe(root);
    expect(buildDatasetTree(OTHER_DATASET, base).root).not.toBe(root);
  });

  it("rejects a tampered leaf, a wrong proof and another dataset's root", () => {
    const tree = buildDatasetTree(DATASET, records(8));
    const leaf = tree.leaf(3);
    const tampered: RecordLeaf = [...leaf];
    tampered[5] = "9999999999";
    expect(verifyProof(tree.root, tampered, tree.proofFor(3))).toBe(false);
    expect(verifyProof(tree.root, leaf, tree.proofFor(4))).toBe(false);
    const other = buildDatasetTree(OTHER_DATASET, records(8));
    expect(verifyProof(other.root, leaf, tree.proofFor(3))).toBe(false);
  });

  it("fails clearly on bad input", () => {
    expect(() => buildDatasetTree(DATASET, [])).toThrow(/at least one record/);
    expect(() => buildDatasetTree("0x1234", records(1))).toThrow(/64 hex digits/);
    expect(() => buildDatasetTree(DATASET, records(2)).proofFor(2)).toThrow(/no record 2: the dataset has 2 record/);
    expect(() => buildDatasetTree(DATASET, [{ ...records(1)[0], quantity: "1.50" }])).toThrow(/canonical decimal/);
    expect(() => verifyProof("0xzz", records(1) as unknown as RecordLeaf, [])).toThrow();
  });
});
