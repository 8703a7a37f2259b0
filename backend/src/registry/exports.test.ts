import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ExportFormatError, parseCctsExport, parseGoldStandardExport, parseVerraExport } from "./index";

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8");
const verraCsv = fixture("verra-vcus.csv");
const verraHeader = verraCsv.split("\n")[0];

/** A Verra export with the given data rows. */
const verraExport = (...rows: string[]) => [verraHeader, ...rows].join("\n");
const goodVerraRow =
  "2026-04-03,,2020-01-01,2020-12-31,1340,Bale Mountains Eco-region REDD+ project,Ethiopia,AFOLU,VM0015,\"1,454,054\",425," +
  "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1,,,,,";

describe("Verra export", () => {
  it("parses real-layout rows: thousands separators, quoted commas, multi-line cells, labels", async () => {
    const result = await parseVerraExport(verraCsv);
    expect(result.errors).toEqual([]);
    expect(result.rowCount).toBe(4);
    expect(result.records.map((r) => [r.row, r.line, r.record.quantity, r.record.status])).toEqual([
      [2, 2, 425n, "RETIRED"],
      [3, 3, 28571n, "RETIRED"],
      [4, 4, 1302n, "ISSUED"],
      [5, 5, 2608n, "RETIRED"],
    ]);
    const [first, second, third, fourth] = result.records.map((r) => r.record);
    expect(first).toMatchObject({
      registry: "VERRA",
      projectId: "1340",
      projectName: "Bale Mountains Eco-region REDD+ project",
      countryName: "Ethiopia",
      methodology: "VM0015",
      issuanceDate: "2026-04-03",
      vintageStart: "2020-01-01",
      vintageEnd: "2020-12-31",
      certifications: ["CCB-No Distinction"],
      labels: [],
      retirement: { date: "2026-04-10", beneficiary: null, reason: null, details: null },
    });
    expect(first.serial).toMatchObject({ serialStart: 941467007n, serialEnd: 941467431n, country: "ET", serialScope: 0n });
    expect(second.projectType).toBe(
      "Energy industries (renewable/non-renewable sources); Livestock, enteric fermentation, and manure management",
    );
    expect(second.retirement?.details).toBe("Retired on behalf of Example Travel Co., 2025 emissions");
    expect(third.certifications).toEqual(["ICVCM CCP", "Article 6 Authorized – NDC Use", "CORSIA - First Phase, 2024-2026 Scope"]);
    expect(third.labels).toEqual(["CCP", "CORSIA", "ARTICLE6_AUTHORIZED"]);
    expect(third.retirement).toBeNull();
    expect(fourth.retirement).toEqual({
      date: "2026-04-13",
      beneficiary: "江苏示例有限公司 Example Cable Co., Ltd.",
      reason: "Retirement for Person or Organization",
      details: "For carbon neutrality\nof Example Cable Co., Ltd.",
    });
  });

  it("reports every bad row with row, line, column and value, and keeps the good ones", async () => {
    const rows = [
      goodVerraRow,
      goodVerraRow.replace(",425,", ",426,"),
      goodVerraRow.replace("-VER-ET-", "-VER-XX-"),
      goodVerraRow.replace("2026-04-03,,2020-01-01", "2026-04-03,,2020-02-30"),
      "2026-04-03,,2020-01-01",
      goodVerraRow.replace('"1,454,054"', '"1,45,4054"'),
      goodVerraRow.replace(",1340,Bale", ",1341,Bale").replace(",425,", ",\"4,25\","),
      goodVerraRow.replace("19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", ""),
      goodVerraRow.replace('"1,454,054"', "100"),
    ];
    const result = await parseVerraExport(verraExport(...rows));
    expect(result.rowCount).toBe(9);
    expect(result.records.map((r) => r.row)).toEqual([2]);
    expect(result.errors).toEqual([
      { row: 3, line: 3, column: "Quantity Issued", message: "426 does not match the serial block's 425 credits", value: "426" },
      {
        row: 4,
        line: 4,
        column: "Serial Number",
        message: expect.stringContaining('country: "XX" is not an ISO 3166-1 alpha-2 country code'),
        value: "19385-941467007-941467431-VCS-VCU-1507-VER-XX-14-1340-01012020-31122020-1",
      },
      { row: 5, line: 5, column: "Vintage Start", message: '"2020-02-30" is not a date (YYYY-MM-DD)', value: "2020-02-30" },
      { row: 6, line: 6, column: null, message: "has 3 cells, the header has 17" },
      {
        row: 7,
        line: 7,
        column: "Total Vintage Quantity",
        message: '"1,45,4054": thousands separators must group three digits',
        value: "1,45,4054",
      },
      {
        row: 8,
        line: 8,
        column: "Quantity Issued",
        message: '"4,25": thousands separators must group three digits',
        value: "4,25",
      },
      { row: 8, line: 8, column: "ID", message: '"1341" does not match the serial\'s project 1340', value: "1341" },
      { row: 9, line: 9, column: "Serial Number", message: "is empty" },
      { row: 10, line: 10, column: "Total Vintage Quantity", message: "100 is less than the 425 issued in this row", value: "100" },
    ]);
  });

  it("reads streams, buffers, a byte-order mark and CRLF line ends the same way", async () => {
    const expected = await parseVerraExport(verraCsv);
    const crlf = `\ufeff${verraCsv.replace(/\n/g, "\r\n")}`;
    const bytes = Buffer.from(verraCsv, "utf8");
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    for (const input of [Buffer.from(crlf, "utf8"), Readable.from(chunks), (async function* () { yield* chunks; })()]) {
      const result = await parseVerraExport(input);
      expect(result.errors).toEqual([]);
      expect(result.records.map((r) => r.record)).toEqual(expected.records.map((r) => r.record));
    }
  });

  it("counts lines across multi-line cells and blank lines", async () => {
    const multiLine = goodVerraRow.replace(/,,,,,$/, ',,2026-04-10,"A\nB",Other,"x\ny\nz"');
    const result = await parseVerraExport(verraExport(multiLine, "", goodVerraRow.replace(",425,", ",1,")));
    expect(result.records.map((r) => [r.row, r.line])).toEqual([[2, 2]]);
    expect(result.errors).toMatchObject([{ row: 3, line: 7, column: "Quantity Issued" }]);
  });

  it("refuses files it cannot read as a whole", async () => {
    await expect(parseVerraExport("")).rejects.toThrow("the export is empty: no header row");
    await expect(parseVerraExport(verraHeader.replace(",Serial Number", ",Serial") + "\n")).rejects.toThrow(
      'line 1: missing required column "Serial Number" in the header',
    );
    await expect(parseVerraExport(`${verraHeader},ID\n`)).rejects.toThrow('line 1: column "ID" appears twice in the header');
    const unclosed = verraExport(goodVerraRow, goodVerraRow.replace("Bale Mountains", '"Bale Mountains'), goodVerraRow);
    const error = await parseVerraExport(unclosed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportFormatError);
    expect((error as ExportFormatError).message).toMatch(/^line \d+: not valid CSV: /);
  });
});

describe("Gold Standard export", () => {
  it("parses issuances and retirements with labels, notes and timestamps", async () => {
    const result = await parseGoldStandardExport(fixture("gold-standard-retirements.csv"));
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.row, r.line])).toEqual([
      [2, 2],
      [3, 4],
      [4, 5],
    ]);
    const [hilti, royalties, issued] = result.records.map((r) => r.record);
    expect(hilti).toMatchObject({
      registry: "GOLD_STANDARD",
      quantity: 5354n,
      status: "RETIRED",
      projectId: "GS11603",
      countryName: "Kenya",
      vintageStart: "2025-01-01",
      vintageEnd: "2025-12-31",
      issuanceDate: "2026-03-31",
      labels: [],
      certifications: ["Emission Reduction"],
      retirement: {
        date: "2026-04-10",
        beneficiary: "Example AG",
        reason: "Voluntary",
        details: "Retirement on behalf of Example AG for Scope 1 and 2 emissions of 2025.",
      },
    });
    expect(hilti.serial).toMatchObject({ serialScope: 30256n, serialStart: 110n, serialEnd: 5463n });
    expect(royalties.labels).toEqual(["CCP"]);
    expect(issued).toMatchObject({ status: "ISSUED", issuanceDate: "2026-04-13", retirement: null, quantity: 19149n });
  });

  it("cross-checks the row against its serial and reports unknown values", async () => {
    const lines = fixture("gold-standard-retirements.csv").split("\n");
    const [header, row] = [lines[0], lines[3]];
    expect(row).toContain("GS1-1-KE-GS12350-16-2024-30167-1278-1777");
    const bad = [
      row.replace("2024,Retired,500,12350", "2023,Retired,500,12351"),
      row.replace(",Retired,", ",Burned,"),
      row.replace("Not Applicable", "Pending"),
      row.replace(",500,", ",499,"),
    ];
    const result = await parseGoldStandardExport([header, row, ...bad].join("\n"));
    expect(result.records.map((r) => r.row)).toEqual([2]);
    expect(result.errors.map((e) => [e.row, e.column, e.message])).toEqual([
      [3, "GSID", '"12351" does not match the serial\'s GS12350'],
      [3, "Vintage", '"2023" does not match the serial\'s vintage 2024'],
      [4, "Credit Status", '"Burned" is not one of Issued, Retired, Canceled, Cancelled'],
      [5, "Article Six Authorization", '"Pending" is neither an authorization nor "Not Applicable"'],
      [6, "Quantity", "499 does not match the serial block's 500 credits"],
    ]);
  });
});

describe("CCTS export (assumed format)", () => {
  it("parses issued and surrendered certificates", async () => {
    const result = await parseCctsExport(fixture("ccts-certificates.csv"));
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => r.record)).toMatchObject([
      { registry: "CCTS", quantity: 1000n, status: "ISSUED", projectId: "ALUM0007", projectName: "Example Aluminium Ltd", retirement: null },
      {
        quantity: 250n,
        status: "RETIRED",
        retirement: { date: "2026-09-30", beneficiary: "Example Cement Ltd", reason: "Compliance obligation FY2025-26", details: null },
      },
    ]);
  });

  it("reports a quantity that disagrees with the serial", async () => {
    const csv = fixture("ccts-certificates.csv").replace('"1,000"', "999");
    const result = await parseCctsExport(csv);
    expect(result.errors).toEqual([
      { row: 2, line: 2, column: "Quantity", message: "999 does not match the serial block's 1000 certificates", value: "999" },
    ]);
    expect(result.records).toHaveLength(1);
  });
});
