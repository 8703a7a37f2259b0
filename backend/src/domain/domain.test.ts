import fs from "node:fs";
import path from "node:path";
import { decodeAbiParameters, encodeAbiParameters, parseAbiParameters } from "viem";
import { describe, expect, it } from "vitest";
import {
  ALL_LABELS_MASK,
  CORRESPONDING_ADJUSTMENTS,
  DomainValidationError,
  ISO_3166_ALPHA2,
  LABEL_BITS,
  asciiToBytes16,
  attestationEnvelopeSchema,
  bytes16ToAscii,
  correspondingAdjustmentFromUint8,
  countryCodeSchema,
  fromBatchInfo,
  fromDdmmyyyy,
  fromYyyymmdd,
  isCountryCode,
  labelsFromBitmask,
  labelsToBitmask,
  packSignatures,
  serialBlockContains,
  serialBlockQuantity,
  serialBlocksOverlap,
  toBatchInfo,
  toDdmmyyyy,
  toIsoDate,
  toRetirementClaimTuple,
  toYyyymmdd,
  type BatchInput,
  type RetirementClaimInput,
  type IsoDate,
  type SerialBlock,
} from "./index";

const contractsDir = path.resolve(__dirname, "../../../contracts");
const iCarbonCredit = fs.readFileSync(path.join(contractsDir, "interfaces/ICarbonCredit.sol"), "utf8");
const carbonCredit = fs.readFileSync(path.join(contractsDir, "token/CarbonCredit.sol"), "utf8");

const BATCH_INFO_ABI = parseAbiParameters(
  "(bytes16 registry, bytes16 projectId, bytes16 methodology, uint64 serialScope, uint64 serialStart, uint64 serialEnd, uint32 vintageStart, uint32 vintageEnd, bytes2 country, bytes2 jurisdiction, uint16 labels, uint8 correspondingAdjustment, bytes32 mrvDatasetId, string serialNumber)",
);

const date = (value: string) => value as IsoDate;

const verraBatch: BatchInput = {
  registry: "VERRA",
  projectId: "1340",
  methodology: "VM0015",
  serialScope: 0n,
  serialStart: 941467007n,
  serialEnd: 941467431n,
  vintageStart: date("2020-01-01"),
  vintageEnd: date("2020-12-31"),
  country: "ET",
  labels: ["CCP", "ARTICLE6_AUTHORIZED"],
  correspondingAdjustment: "Pending",
  serialNumber: "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1",
};

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainValidationError) return error.field;
    throw error;
  }
  throw new Error("expected a DomainValidationError");
}

describe("countries", () => {
  it("holds the 249 officially assigned ISO 3166-1 alpha-2 codes, each a known region", () => {
    expect(ISO_3166_ALPHA2).toHaveLength(249);
    expect(new Set(ISO_3166_ALPHA2).size).toBe(249);
    expect([...ISO_3166_ALPHA2]).toEqual([...ISO_3166_ALPHA2].sort());
    const names = new Intl.DisplayNames(["en"], { type: "region" });
    for (const code of ISO_3166_ALPHA2) expect(names.of(code), code).not.toBe(code);
  });

  it("rejects look-alikes with a precise message", () => {
    expect(isCountryCode("ET")).toBe(true);
    for (const code of ["XK", "EU", "UK", "ZZ"]) expect(isCountryCode(code)).toBe(false);
    expect(countryCodeSchema.safeParse("XX").error?.issues[0].message).toBe('"XX" is not an ISO 3166-1 alpha-2 country code');
    expect(countryCodeSchema.safeParse("et").error?.issues[0].message).toBe('"et" must be two upper-case letters (ISO 3166-1 alpha-2)');
  });
});

describe("dates", () => {
  it("accepts real dates only", () => {
    expect(toIsoDate("2024-02-29")).toBe("2024-02-29");
    expect(toIsoDate("2023-02-29")).toBeUndefined();
    expect(toIsoDate("1900-02-29")).toBeUndefined();
    expect(toIsoDate("2000-02-29")).toBe("2000-02-29");
    expect(toIsoDate("2020-13-01")).toBeUndefined();
    expect(toIsoDate("2020-1-01")).toBeUndefined();
  });

  it("converts DDMMYYYY and YYYYMMDD", () => {
    expect(fromDdmmyyyy("31122020")).toBe("2020-12-31");
    expect(fromDdmmyyyy("31022020")).toBeUndefined();
    expect(toDdmmyyyy(date("2020-01-01"))).toBe("01012020");
    expect(toYyyymmdd(date("2020-12-31"))).toBe(20201231);
    expect(fromYyyymmdd(20200101)).toBe("2020-01-01");
    expect(fromYyyymmdd(20200230)).toBeUndefined();
  });
});

describe("labels and corresponding adjustment match the contracts", () => {
  it("uses CarbonCredit's label bits", () => {
    const bit = (name: string) => Number(new RegExp(`${name} = (\\d+);`).exec(carbonCredit)?.[1]);
    expect(LABEL_BITS).toEqual({ CCP: bit("LABEL_CCP"), CORSIA: bit("LABEL_CORSIA"), ARTICLE6_AUTHORIZED: bit("LABEL_ARTICLE6") });
    expect(ALL_LABELS_MASK).toBe(bit("_ALL_LABELS"));
    expect(labelsToBitmask(["CORSIA", "CCP"])).toBe(3);
    expect(labelsFromBitmask(5)).toEqual(["CCP", "ARTICLE6_AUTHORIZED"]);
    expect(() => labelsFromBitmask(8)).toThrow(/labels bitmask 8 is not an integer in 0..7/);
  });

  it("uses ICarbonCredit's enum order", () => {
    const body = /enum CorrespondingAdjustment \{([^}]*)\}/.exec(iCarbonCredit)?.[1] ?? "";
    const members = body.split(",").map((m) => m.trim()).filter((m) => m !== "");
    expect([...CORRESPONDING_ADJUSTMENTS]).toEqual(members);
    expect(correspondingAdjustmentFromUint8(4)).toBe("Completed");
    expect(() => correspondingAdjustmentFromUint8(5)).toThrow(/not an integer in 0..4/);
  });
});

describe("toBatchInfo", () => {
  it("produces the exact on-chain tuple", () => {
    const info = toBatchInfo(verraBatch);
    expect(info).toEqual({
      registry: "0x56455252410000000000000000000000",
      projectId: "0x31333430000000000000000000000000",
      methodology: "0x564d3030313500000000000000000000",
      serialScope: 0n,
      serialStart: 941467007n,
      serialEnd: 941467431n,
      vintageStart: 20200101,
      vintageEnd: 20201231,
      country: "0x4554",
      jurisdiction: "0x0000",
      labels: 5,
      correspondingAdjustment: 3,
      mrvDatasetId: `0x${"00".repeat(32)}`,
      serialNumber: verraBatch.serialNumber,
    });
    // It ABI-encodes as ICarbonCredit.BatchInfo and decodes back unchanged.
    const encoded = encodeAbiParameters(BATCH_INFO_ABI, [info]);
    expect(decodeAbiParameters(BATCH_INFO_ABI, encoded)[0]).toEqual(info);
  });

  it("fills defaults and encodes jurisdiction and MRV dataset", () => {
    const info = toBatchInfo({
      registry: "CCTS",
      projectId: "ALUM0007",
      serialScope: 2025n,
      serialStart: "1",
      serialEnd: 1000,
      vintageStart: date("2025-04-01"),
      vintageEnd: date("2026-03-31"),
      country: "IN",
      jurisdiction: "IN",
      mrvDatasetId: `0x${"AB".repeat(32)}`,
      serialNumber: "IN-CCC-2025-ALUM0007-1-1000",
    });
    expect(info).toMatchObject({
      registry: asciiToBytes16("CCTS"),
      methodology: `0x${"00".repeat(16)}`,
      serialStart: 1n,
      serialEnd: 1000n,
      jurisdiction: "0x494e",
      labels: 0,
      correspondingAdjustment: 0,
      mrvDatasetId: `0x${"ab".repeat(32)}`,
    });
  });

  it.each<[string, Partial<Record<keyof BatchInput, unknown>>]>([
    ["registry", { registry: "APX" }],
    ["projectId", { projectId: "" }],
    ["projectId", { projectId: "P".repeat(17) }],
    ["projectId", { projectId: "projet-é" }],
    ["methodology", { methodology: "AMS-III.AR. Substituting fossil fuel" }],
    ["serialStart", { serialStart: 0n }],
    ["serialEnd", { serialEnd: 941467006n }],
    ["serialEnd", { serialEnd: 2n ** 64n - 1n }],
    ["serialScope", { serialScope: -1n }],
    ["vintage", { vintageStart: date("2021-01-01") }],
    ["vintageStart", { vintageStart: "2020-02-30" }],
    ["country", { country: "XX" }],
    ["jurisdiction", { jurisdiction: "in" }],
    ["labels", { labels: ["CCP", "CCP"] }],
    ["labels.0", { labels: ["GOLD"] }],
    ["correspondingAdjustment", { correspondingAdjustment: "Done" }],
    ["mrvDatasetId", { mrvDatasetId: "0x1234" }],
    ["serialNumber", { serialNumber: "" }],
    ["serialNumber", { serialNumber: "x".repeat(513) }],
  ])("names the bad field %s", (field, change) => {
    expect(fieldOf(() => toBatchInfo({ ...verraBatch, ...change } as BatchInput))).toBe(field);
  });

  it("explains the problem in the message", () => {
    expect(() => toBatchInfo({ ...verraBatch, serialEnd: 5n, serialStart: 7n })).toThrow(
      "invalid batch: serialEnd: must not be less than serialStart (5 < 7)",
    );
  });

  it("round-trips through fromBatchInfo", () => {
    const info = toBatchInfo(verraBatch);
    const batch = fromBatchInfo(info);
    expect(batch).toMatchObject({ registry: "VERRA", projectId: "1340", country: "ET", labels: ["CCP", "ARTICLE6_AUTHORIZED"] });
    expect(toBatchInfo(batch)).toEqual(info);
    expect(bytes16ToAscii(info.registry)).toBe("VERRA");
  });

  it("refuses an undecodable tuple, naming the field", () => {
    const info = toBatchInfo(verraBatch);
    expect(fieldOf(() => fromBatchInfo({ ...info, vintageStart: 20201301 }))).toBe("vintageStart");
    expect(fieldOf(() => fromBatchInfo({ ...info, labels: 9 }))).toBe("labels");
  });
});

describe("retirement claim", () => {
  const claim: RetirementClaimInput = {
    beneficiaryName: "Hilti Corporation",
    reason: "Scope 1 and 2 emissions 2025",
    periodStart: date("2025-01-01"),
    periodEnd: date("2025-12-31"),
    consumptionCountry: "LI",
  };

  it("produces the on-chain tuple", () => {
    expect(toRetirementClaimTuple(claim)).toEqual({
      beneficiary: "0x0000000000000000000000000000000000000000",
      beneficiaryName: "Hilti Corporation",
      beneficiaryCommitment: `0x${"00".repeat(32)}`,
      reason: "Scope 1 and 2 emissions 2025",
      periodStart: 20250101,
      periodEnd: 20251231,
      consumptionCountry: "0x4c49",
    });
  });

  it("requires exactly one of name and commitment, and a forward period", () => {
    expect(fieldOf(() => toRetirementClaimTuple({ ...claim, beneficiaryCommitment: `0x${"11".repeat(32)}` }))).toBe("beneficiary");
    expect(fieldOf(() => toRetirementClaimTuple({ ...claim, beneficiaryName: null }))).toBe("beneficiary");
    expect(fieldOf(() => toRetirementClaimTuple({ ...claim, periodEnd: date("2024-12-31") }))).toBe("period");
    expect(fieldOf(() => toRetirementClaimTuple({ ...claim, reason: " " }))).toBe("reason");
    expect(fieldOf(() => toRetirementClaimTuple({ ...claim, beneficiary: "0x123" }))).toBe("beneficiary");
  });
});

describe("serial blocks", () => {
  const block = (serialScope: bigint, serialStart: bigint, serialEnd: bigint): SerialBlock => ({
    registry: "GOLD_STANDARD",
    serialScope,
    serialStart,
    serialEnd,
  });

  it("counts, overlaps and contains within one namespace only", () => {
    expect(serialBlockQuantity(block(30256n, 110n, 5463n))).toBe(5354n);
    expect(serialBlocksOverlap(block(1n, 1n, 10n), block(1n, 10n, 20n))).toBe(true);
    expect(serialBlocksOverlap(block(1n, 1n, 10n), block(1n, 11n, 20n))).toBe(false);
    expect(serialBlocksOverlap(block(1n, 1n, 10n), block(2n, 1n, 10n))).toBe(false);
    expect(serialBlockContains(block(1n, 1n, 10n), block(1n, 3n, 10n))).toBe(true);
    expect(serialBlockContains(block(1n, 1n, 10n), block(1n, 3n, 11n))).toBe(false);
  });
});

describe("attestations", () => {
  const sig = (byte: string) => `0x${byte.repeat(65)}`;

  it("packs signatures in ascending signer order", () => {
    const packed = packSignatures([
      { signer: "0x00000000000000000000000000000000000000b0", signature: sig("bb") as `0x${string}` },
      { signer: "0x00000000000000000000000000000000000000A0", signature: sig("aa") as `0x${string}` },
    ]);
    expect(packed).toBe(`0x${"aa".repeat(65)}${"bb".repeat(65)}`);
  });

  it("refuses an envelope with a repeated signer", () => {
    const signer = "0x00000000000000000000000000000000000000a0";
    const result = attestationEnvelopeSchema.safeParse({
      kind: "TOKENIZE",
      digest: `0x${"12".repeat(32)}`,
      signerEpoch: 1,
      deadline: "1800000000",
      signatures: [
        { signer, signature: sig("aa") },
        { signer: signer.toUpperCase().replace("0X", "0x"), signature: sig("bb") },
      ],
    });
    expect(result.error?.issues[0]).toMatchObject({ path: ["signatures"], message: "a signer appears more than once" });
  });
});
