import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ISO_3166_ALPHA2, MAX_SERIAL, toBatchInfo } from "../domain";
import {
  cctsSerialFormat,
  createCctsAdapter,
  createGoldStandardAdapter,
  createRegistryAdapter,
  createVerraAdapter,
  detectRegistry,
  goldStandardSerialFormat,
  SerialFormatError,
  verraSerialFormat,
  type SerialFormat,
} from "./index";

const api = { baseUrl: "http://registry.invalid", fetch: () => Promise.reject(new Error("no network in this test")) };

const VERRA_EXAMPLE = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1";
const GS_EXAMPLE = "GS1-1-KE-GS11603-16-2025-30256-110-5463";
const CCTS_EXAMPLE = "IN-CCC-2025-ALUM0007-1-1000";

/** The part and reason a malformed serial is refused with. */
function refusal(format: SerialFormat<never, never>, serial: string): { part: string; reason: string } {
  try {
    format.parse(serial);
  } catch (error) {
    if (error instanceof SerialFormatError) return { part: error.part, reason: error.reason };
    throw error;
  }
  throw new Error(`${serial} was accepted`);
}

// ---------------------------------------------------------------- generators of valid serials

const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(1990, 0, 1) / DAY;
const LAST_DAY = Date.UTC(2100, 11, 31) / DAY;
const isoDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const ddmmyyyy = (iso: string) => `${iso.slice(8, 10)}${iso.slice(5, 7)}${iso.slice(0, 4)}`;

const positive = (max: bigint) => fc.bigInt({ min: 1n, max });
const serialRange = fc
  .oneof(
    fc.tuple(positive(MAX_SERIAL), positive(MAX_SERIAL)),
    fc.tuple(positive(10_000_000n), fc.bigInt({ min: 0n, max: 100_000n })).map(([s, n]) => [s, s + n] as const),
  )
  .map(([a, b]) => (a <= b ? [a, b] : [b, a]));
const decimal = (maxDigits: number) => positive(10n ** BigInt(maxDigits) - 1n).map(String);
const country = fc.constantFrom(...ISO_3166_ALPHA2);
const dayRange = fc
  .tuple(fc.integer({ min: FIRST_DAY, max: LAST_DAY }), fc.integer({ min: FIRST_DAY, max: LAST_DAY }))
  .map(([a, b]) => [isoDay(Math.min(a, b)), isoDay(Math.max(a, b))]);

const verraSerials = fc
  .record({
    batchId: decimal(12),
    range: serialRange,
    code: fc.stringMatching(/^\d{1,8}$/),
    country,
    scope: fc.integer({ min: 1, max: 16 }),
    projectId: decimal(10),
    vintage: dayRange,
    flag: fc.constantFrom("0", "1"),
  })
  .map(
    (v) =>
      `${v.batchId}-${v.range[0]}-${v.range[1]}-VCS-VCU-${v.code}-VER-${v.country}-${v.scope}-${v.projectId}-` +
      `${ddmmyyyy(v.vintage[0])}-${ddmmyyyy(v.vintage[1])}-${v.flag}`,
  );

const goldStandardSerials = fc
  .record({
    country,
    gsId: decimal(8),
    typeCode: fc.integer({ min: 1, max: 999 }),
    vintage: fc.integer({ min: 1990, max: 2100 }),
    batchId: positive(MAX_SERIAL),
    range: serialRange,
  })
  .map((v) => `GS1-1-${v.country}-GS${v.gsId}-${v.typeCode}-${v.vintage}-${v.batchId}-${v.range[0]}-${v.range[1]}`);

const cctsSerials = fc
  .record({
    year: fc.integer({ min: 2023, max: 2100 }),
    entity: fc.stringMatching(/^[A-Z0-9]{3,16}$/),
    range: serialRange,
  })
  .map((v) => `IN-CCC-${v.year}-${v.entity}-${v.range[0]}-${v.range[1]}`);

// ---------------------------------------------------------------- tests

describe("Verra serials", () => {
  it("parses the DOMAIN.md example: 425 credits, registry-wide numbering", () => {
    expect(verraSerialFormat.parse(VERRA_EXAMPLE)).toEqual({
      registry: "VERRA",
      serial: VERRA_EXAMPLE,
      serialScope: 0n,
      serialStart: 941467007n,
      serialEnd: 941467431n,
      quantity: 425n,
      batchId: "19385",
      code: "1507",
      country: "ET",
      sectoralScope: 14,
      projectId: "1340",
      vintageStart: "2020-01-01",
      vintageEnd: "2020-12-31",
      additionalCertifications: true,
    });
  });

  it.each([
    ["19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020", "layout", "has 12 dash-separated parts, expected 13"],
    ["19385-941467007-941467006-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", "blockEnd", "941467006 is less than blockStart 941467007"],
    ["19385-0-10-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", "blockStart", "must be at least 1"],
    ["19385-0941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", "blockStart", "must not have leading zeros"],
    ["19385-941467007-941467431X-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", "blockEnd", "must be decimal digits"],
    ["19385-1-123456789012345678901-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", "blockEnd", "has 21 digits, at most 20 allowed"],
    ["19385-1-18446744073709551615-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", "blockEnd", "exceeds the largest serial number the chain accepts"],
    ["19385-941467007-941467431-GS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", "program", 'is "GS", expected "VCS"'],
    ["19385-941467007-941467431-VCS-VCU-1507-MER-ET-14-1340-01012020-31122020-1", "issuanceType", 'is "MER", expected "VER"'],
    ["19385-941467007-941467431-VCS-VCU-1507-VER-XX-14-1340-01012020-31122020-1", "country", '"XX" is not an ISO 3166-1 alpha-2 country code'],
    ["19385-941467007-941467431-VCS-VCU-1507-VER-et-14-1340-01012020-31122020-1", "country", "must be two upper-case letters"],
    ["19385-941467007-941467431-VCS-VCU-1507-VER-ETH-14-1340-01012020-31122020-1", "country", "must be two upper-case letters"],
    ["19385-941467007-941467431-VCS-VCU-1507-VER-ET-17-1340-01012020-31122020-1", "sectoralScope", "17 is outside 1..16"],
    ["19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-31022020-31122020-1", "vintageStart", '"31022020" is not a real date'],
    ["19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-0101202-31122020-1", "vintageStart", "must be 8 digits DDMMYYYY"],
    ["19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012021-31122020-1", "vintageEnd", "2020-12-31 is before vintageStart 2021-01-01"],
    ["19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-2", "flag", '"2" must be 0 or 1'],
    ["19385--941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", "blockStart", "is empty"],
    ["19385-941467007-941467431-VCS-VCU-1507-VER-ET-14- 1340-01012020-31122020-1", "layout", "contains whitespace"],
  ])("refuses %s at %s", (serial, part, reason) => {
    const r = refusal(verraSerialFormat as SerialFormat<never, never>, serial);
    expect(r.part).toBe(part);
    expect(r.reason).toContain(reason);
  });

  it("says which serial, part and reason in the message", () => {
    expect(() => verraSerialFormat.parse("19385-5-4-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1")).toThrow(
      'invalid VERRA serial "19385-5-4-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1": blockEnd: 4 is less than blockStart 5',
    );
  });

  it("round-trips generated serials: format(parse(x)) == x", () => {
    fc.assert(
      fc.property(verraSerials, (serial) => {
        const parsed = verraSerialFormat.parse(serial);
        expect(verraSerialFormat.format(parsed)).toBe(serial);
        expect(parsed.quantity).toBe(parsed.serialEnd - parsed.serialStart + 1n);
      }),
      { numRuns: 500 },
    );
  });
});

describe("Gold Standard serials", () => {
  it("parses the DOMAIN.md example: 5,354 credits numbered within batch 30256", () => {
    expect(goldStandardSerialFormat.parse(GS_EXAMPLE)).toEqual({
      registry: "GOLD_STANDARD",
      serial: GS_EXAMPLE,
      serialScope: 30256n,
      serialStart: 110n,
      serialEnd: 5463n,
      quantity: 5354n,
      projectId: "GS11603",
      vintageStart: "2025-01-01",
      vintageEnd: "2025-12-31",
      country: "KE",
      gsId: "11603",
      projectTypeCode: 16,
      vintageYear: 2025,
      batchId: 30256n,
    });
  });

  it.each([
    ["GS2-1-KE-GS11603-16-2025-30256-110-5463", "prefix", 'is "GS2", expected "GS1"'],
    ["GS1-1-KE-11603-16-2025-30256-110-5463", "gsId", "must be GS followed by the project's GSID"],
    ["GS1-1-KE-GS011603-16-2025-30256-110-5463", "gsId", "without leading zeros"],
    ["GS1-1-QQ-GS11603-16-2025-30256-110-5463", "country", '"QQ" is not an ISO 3166-1 alpha-2 country code'],
    ["GS1-1-KE-GS11603-0-2025-30256-110-5463", "projectTypeCode", "0 is outside 1..999"],
    ["GS1-1-KE-GS11603-16-25-30256-110-5463", "vintage", '"25" must be a four-digit year'],
    ["GS1-1-KE-GS11603-16-1989-30256-110-5463", "vintage", "1989 is outside 1990..2100"],
    ["GS1-1-KE-GS11603-16-2025-30256-5463-110", "end", "110 is less than start 5463"],
    ["GS1-1-KE-GS11603-16-2025-30256-110", "layout", "has 8 dash-separated parts, expected 9"],
    ["GS1-1-KE-GS11603-16-2025-0-110-5463", "batchId", "must be at least 1"],
  ])("refuses %s at %s", (serial, part, reason) => {
    const r = refusal(goldStandardSerialFormat as SerialFormat<never, never>, serial);
    expect(r.part).toBe(part);
    expect(r.reason).toContain(reason);
  });

  it("round-trips generated serials: format(parse(x)) == x", () => {
    fc.assert(
      fc.property(goldStandardSerials, (serial) => {
        const parsed = goldStandardSerialFormat.parse(serial);
        expect(goldStandardSerialFormat.format(parsed)).toBe(serial);
        expect(parsed.serialScope).toBe(parsed.batchId);
      }),
      { numRuns: 500 },
    );
  });
});

describe("CCTS serials (assumed format)", () => {
  it("parses an example: per-year numbering, Indian financial-year vintage", () => {
    expect(cctsSerialFormat.parse(CCTS_EXAMPLE)).toEqual({
      registry: "CCTS",
      serial: CCTS_EXAMPLE,
      serialScope: 2025n,
      serialStart: 1n,
      serialEnd: 1000n,
      quantity: 1000n,
      projectId: "ALUM0007",
      vintageStart: "2025-04-01",
      vintageEnd: "2026-03-31",
      country: "IN",
      complianceYear: 2025,
      entityCode: "ALUM0007",
    });
  });

  it.each([
    ["BD-CCC-2025-ALUM0007-1-1000", "country", 'is "BD", expected "IN"'],
    ["IN-CER-2025-ALUM0007-1-1000", "instrument", 'is "CER", expected "CCC"'],
    ["IN-CCC-2022-ALUM0007-1-1000", "complianceYear", "2022 is outside 2023..2100"],
    ["IN-CCC-2025-alum0007-1-1000", "entityCode", "must be 3 to 16 upper-case letters or digits"],
    ["IN-CCC-2025-ALUM0007-1000-1", "end", "1 is less than start 1000"],
  ])("refuses %s at %s", (serial, part, reason) => {
    const r = refusal(cctsSerialFormat as SerialFormat<never, never>, serial);
    expect(r.part).toBe(part);
    expect(r.reason).toContain(reason);
  });

  it("round-trips generated serials: format(parse(x)) == x", () => {
    fc.assert(
      fc.property(cctsSerials, (serial) => {
        expect(cctsSerialFormat.format(cctsSerialFormat.parse(serial))).toBe(serial);
      }),
      { numRuns: 300 },
    );
  });
});

describe("adapters", () => {
  it("format refuses invalid parts with the same precise errors", () => {
    const parsed = verraSerialFormat.parse(VERRA_EXAMPLE);
    expect(() => verraSerialFormat.format({ ...parsed, sectoralScope: 0 })).toThrow(/sectoralScope: 0 is outside 1..16/);
    expect(() => goldStandardSerialFormat.format({ ...goldStandardSerialFormat.parse(GS_EXAMPLE), country: "XK" as "KE" })).toThrow(
      /country: "XK" is not an ISO 3166-1 alpha-2 country code/,
    );
  });

  it("writes sub-block serials the way the registry splits blocks", () => {
    const verra = createVerraAdapter(api);
    const block = verra.parseSerial(VERRA_EXAMPLE);
    expect(verra.subBlockSerial(block, 941467007n, 941467106n)).toBe(
      "19385-941467007-941467106-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1",
    );
    const gs = createGoldStandardAdapter(api);
    expect(gs.subBlockSerial(gs.parseSerial(GS_EXAMPLE), 5000n, 5463n)).toBe("GS1-1-KE-GS11603-16-2025-30256-5000-5463");
    expect(() => verra.subBlockSerial(block, 941467000n, 941467106n)).toThrow(/is not inside block 941467007-941467431/);
  });

  it("builds the on-chain batch of a serial block, with the registry's jurisdiction", () => {
    const ccts = createCctsAdapter(api);
    const batch = ccts.toBatch(ccts.parseSerial(CCTS_EXAMPLE), { labels: [] });
    expect(batch).toMatchObject({ registry: "CCTS", projectId: "ALUM0007", jurisdiction: "IN", serialScope: 2025n });
    expect(toBatchInfo(batch).jurisdiction).toBe("0x494e");

    const gs = createRegistryAdapter("GOLD_STANDARD", api);
    const info = toBatchInfo(gs.toBatch(gs.parseSerial(GS_EXAMPLE), { methodology: "GS TPDDTEC v3.1", labels: ["CCP"] }));
    expect(info).toMatchObject({ serialScope: 30256n, serialStart: 110n, serialEnd: 5463n, vintageStart: 20250101, labels: 1 });
    expect(gs.jurisdiction).toBeNull();
  });

  it("tells registries apart by serial shape", () => {
    expect(detectRegistry(VERRA_EXAMPLE)).toBe("VERRA");
    expect(detectRegistry(GS_EXAMPLE)).toBe("GOLD_STANDARD");
    expect(detectRegistry(CCTS_EXAMPLE)).toBe("CCTS");
    expect(detectRegistry("8003-434286829-434286945-VCU-016-MER-KH-14-904-01012015-31122015-0")).toBeUndefined();
  });
});
