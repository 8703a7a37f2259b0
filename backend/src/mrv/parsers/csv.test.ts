import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { afterAll, describe, expect, it } from "vitest";
import { Dec } from "../decimal";
import { sha256OfBytes, sha256OfFile } from "./contentHash";
import { readCsvRows } from "./csv";
import { type SourceMappingInput, SourceMappingError, collectMapped, mapSourceRows } from "./mapping";

const dir = mkdtempSync(join(tmpdir(), "mrv-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const csv = (text: string) => Readable.from([Buffer.from(text, "utf8")]);

const EUROPEAN: SourceMappingInput = {
  timestamp: { column: "Zeitpunkt", format: "DD.MM.YYYY HH:mm", utcOffset: "+01:00" },
  value: { column: "Wert", number: { decimalSeparator: ",", thousandsSeparator: "." } },
  unit: { column: "Einheit" },
  sensorId: { column: "Zähler" },
  parameter: { constant: "EG_export" },
};

describe("CSV with a declared mapping", () => {
  it("reads a European export: ';' delimiter, decimal comma, DD.MM.YYYY, UTC+1, BOM", async () => {
    const text = "\uFEFFZeitpunkt;Zähler;Wert;Einheit\n01.03.2024 00:15;WR-1;1.234,5;kWh\n01.03.2024 00:30;WR-1;0,25;MWh\n";
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readCsvRows(csv(text), { fileName: "export.csv", delimiter: ";" }), EUROPEAN));
    expect(quarantined).toEqual([]);
    expect(accepted).toEqual([
      { file: "export.csv", row: 2, timestamp: new Date("2024-02-29T23:15:00Z"), value: "1234.5", unit: "kWh", sensorId: "WR-1", parameter: "EG_export" },
      { file: "export.csv", row: 3, timestamp: new Date("2024-02-29T23:30:00Z"), value: "0.25", unit: "MWh", sensorId: "WR-1", parameter: "EG_export" },
    ]);
  });

  it("quarantines invalid rows with one error per problem and accepts the rest", async () => {
    const text = [
      "time,meter,energy,unit,note",
      "2024-03-01T00:15:00Z,M-1,10.5,kWh,ok",
      "2024-03-01T00:30:00Z,M-1,10.7,gal,wrong unit",
      "31/02/2024,M-1,abc,kWh,two problems",
      '2024-03-01T01:00:00Z,M-1,11.0,kWh,"a note',
      'on two lines"',
      "2024-03-01T01:15:00Z,M-1,1,234.5,kWh,unquoted comma",
      "2024-03-01T01:30:00Z,,11.2,kWh,no meter",
      "2024-03-01T01:45:00Z,M-1,11.3,kWh,ok",
    ].join("\n");
    const mapping: SourceMappingInput = {
      timestamp: { column: "time", format: "iso8601" },
      value: { column: "energy" },
      unit: { column: "unit" },
      sensorId: { column: "meter" },
      parameter: { constant: "EG_export" },
    };
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readCsvRows(csv(text), { fileName: "m.csv" }), mapping));
    expect(accepted.map((r) => [r.row, r.value])).toEqual([
      [2, "10.5"],
      [5, "11"],
      [9, "11.3"],
    ]);
    expect(quarantined.map((q) => q.row)).toEqual([3, 4, 7, 8]);
    const errors = quarantined.flatMap((q) => q.errors);
    expect(errors).toEqual([
      { file: "m.csv", row: 3, column: "unit", expected: expect.stringContaining('a known, unambiguous unit: say "US gal"'), got: "gal" },
      { file: "m.csv", row: 4, column: "time", expected: expect.stringContaining("an ISO 8601 timestamp"), got: "31/02/2024" },
      { file: "m.csv", row: 4, column: "energy", expected: expect.stringContaining('a number like "1234.5"'), got: "abc" },
      { file: "m.csv", row: 7, column: "(record)", expected: "5 fields, as in the header", got: expect.stringContaining("found 6 fields") },
      { file: "m.csv", row: 8, column: "meter", expected: "a sensorId value", got: "an empty cell" },
    ]);
    expect(quarantined[2].raw).toBe("2024-03-01T01:15:00Z,M-1,1,234.5,kWh,unquoted comma");
  });

  it("stops at a quote that is never closed, says from which line nothing was read, and keeps the rows before", async () => {
    const text = 'time,meter,energy,unit\n2024-03-01T00:15:00Z,M-1,1,kWh\n2024-03-01T00:30:00Z,M-1,"2,kWh\n2024-03-01T00:45:00Z,M-1,3,kWh\n';
    const mapping: SourceMappingInput = { timestamp: { column: "time", format: "iso8601" }, value: { column: "energy" }, unit: { column: "unit" }, sensorId: { column: "meter" }, parameter: { constant: "p" } };
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readCsvRows(csv(text), { fileName: "q.csv" }), mapping));
    expect(accepted.map((r) => r.row)).toEqual([2]);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0].row).toBe(3);
    expect(quarantined[0].errors[0]).toMatchObject({ file: "q.csv", row: 3, column: "(record)", expected: "well-formed CSV (balanced quotes, records under the size limit)" });
    expect(quarantined[0].errors[0].got).toMatch(/Quote Not Closed.*lines from 3 to the end of the file were not read/);
  });

  it("a mapped column missing from the header is a mapping error, before anything is accepted", async () => {
    const text = "time,meter,kwh\n2024-03-01T00:15:00Z,M-1,1\n";
    const mapping: SourceMappingInput = { timestamp: { column: "time", format: "iso8601" }, value: { column: "energy" }, unit: { constant: "kWh" }, sensorId: { column: "meter" }, parameter: { constant: "p" } };
    await expect(collectMapped(mapSourceRows(readCsvRows(csv(text), { fileName: "h.csv" }), mapping))).rejects.toThrow(
      /h.csv: mapped column\(s\) not found: value -> energy; the file has 3 column\(s\): "time", "meter", "kwh"/,
    );
  });

  it("maps columns by position in a file without a header", async () => {
    const text = "1709251200\tS-9\t42\n1709251260\tS-9\t43\n";
    const mapping: SourceMappingInput = { timestamp: { column: 0, format: "unix-seconds" }, sensorId: { column: 1 }, value: { column: 2 }, unit: { constant: "L" }, parameter: { constant: "diesel" } };
    const { accepted } = await collectMapped(mapSourceRows(readCsvRows(csv(text), { fileName: "t.tsv", delimiter: "\t", hasHeader: false }), mapping));
    expect(accepted.map((r) => [r.row, r.timestamp.toISOString(), r.value, r.unit])).toEqual([
      [1, "2024-03-01T00:00:00.000Z", "42", "L"],
      [2, "2024-03-01T00:01:00.000Z", "43", "L"],
    ]);
  });

  it("refuses an invalid mapping up front", async () => {
    const mapping = { timestamp: { column: "t", format: "DD/MM" }, value: { column: "v" }, unit: { constant: "gal" }, sensorId: { column: "s" }, parameter: { constant: "p" } };
    await expect(collectMapped(mapSourceRows(readCsvRows(csv("t,v,s\n"), { fileName: "x.csv" }), mapping))).rejects.toThrow(SourceMappingError);
    await expect(collectMapped(mapSourceRows(readCsvRows(csv("t,v,s\n"), { fileName: "x.csv" }), mapping))).rejects.toThrow(
      /timestamp.format: expected "iso8601".*unit.constant: ambiguous unit "gal"/,
    );
  });
});

describe("content hash", () => {
  it("is the SHA-256 of the bytes, so a re-upload under another name is recognized", async () => {
    const bytes = Buffer.from("time,value\n2024-03-01T00:00:00Z,1\n");
    writeFileSync(join(dir, "a.csv"), bytes);
    writeFileSync(join(dir, "renamed.csv"), bytes);
    const expected = createHash("sha256").update(bytes).digest("hex");
    expect(await sha256OfFile(join(dir, "a.csv"))).toBe(expected);
    expect(await sha256OfFile(join(dir, "renamed.csv"))).toBe(expected);
    expect(sha256OfBytes(bytes)).toBe(expected);
    expect(sha256OfBytes(Buffer.from("time,value\n2024-03-01T00:00:00Z,2\n"))).not.toBe(expected);
  });
});

describe("large files stream in bounded memory", () => {
  it("processes a 200,000-row file row by row, counting and summing every row exactly", async () => {
    const rows = 200_000;
    const path = join(dir, "large.csv");
    const out = createWriteStream(path);
    out.write("timestamp,meter,kwh\n");
    let expectedTenths = 0n;
    for (let i = 0; i < rows; i++) {
      const bad = i % 20_000 === 7;
      const tenths = BigInt(i % 1000);
      if (!bad) expectedTenths += tenths;
      const line = `${1_700_000_000 + i * 60},M-${i % 4},${bad ? "n/a" : `${tenths / 10n}.${tenths % 10n}`}\n`;
      if (!out.write(line)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
    out.end();
    await finished(out);
    const size = statSync(path).size;

    const input = createReadStream(path, { highWaterMark: 64 * 1024 });
    let bytesReadAtFirstRow: number | undefined;
    let accepted = 0;
    let quarantined = 0;
    let total = new Dec(0);
    const mapping: SourceMappingInput = { timestamp: { column: "timestamp", format: "unix-seconds" }, value: { column: "kwh" }, unit: { constant: "kWh" }, sensorId: { column: "meter" }, parameter: { constant: "EG_export" } };
    for await (const item of mapSourceRows(readCsvRows(input, { fileName: "large.csv" }), mapping)) {
      bytesReadAtFirstRow ??= input.bytesRead;
      if (item.kind === "accepted") {
        accepted += 1;
        total = total.plus(item.reading.value);
      } else {
        quarantined += 1;
      }
    }
    expect(accepted + quarantined).toBe(rows);
    expect(quarantined).toBe(10);
    expect(total.eq(new Dec(expectedTenths.toString()).div(10))).toBe(true);
    // the first row came out after reading a small part of the file, not all of it
    expect(bytesReadAtFirstRow).toBeLessThan(size / 10);
  });
});
