import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { JsonSourceError, readJsonRows, readNdjsonRows } from "./json";
import { type SourceMappingInput, collectMapped, mapSourceRows } from "./mapping";

const MAPPING: SourceMappingInput = {
  timestamp: { column: "ts", format: "iso8601" },
  value: { column: "reading.value" },
  unit: { column: "reading.unit" },
  sensorId: { column: "meter.id" },
  parameter: { constant: "EG_export" },
};

const record = (ts: string, value: unknown, unit = "kWh") => ({ ts, meter: { id: "INV-3", site: "Jodhpur" }, reading: { value, unit } });

describe("JSON documents", () => {
  it("reads records at a declared path, flattening nested objects to dotted columns", async () => {
    const document = { project: "VCS-1340", data: { readings: [record("2024-03-01T00:00:00Z", 12.5), record("2024-03-01T00:15:00Z", "13.25", "MWh")] } };
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readJsonRows(JSON.stringify(document), { fileName: "feed.json", recordsPath: "data.readings" }), MAPPING));
    expect(quarantined).toEqual([]);
    expect(accepted.map((r) => [r.row, r.sensorId, r.value, r.unit])).toEqual([
      [1, "INV-3", "12.5", "kWh"],
      [2, "INV-3", "13.25", "MWh"],
    ]);
  });

  it("keeps a JSON number's digits: exact where they survive parsing, a row error where they might not", async () => {
    const text = `[${JSON.stringify(record("2024-03-01T00:00:00Z", 0)).replace('"value":0', '"value":0.1')},` +
      `${JSON.stringify(record("2024-03-01T00:15:00Z", 0)).replace('"value":0', '"value":1e3')},` +
      `${JSON.stringify(record("2024-03-01T00:30:00Z", 0)).replace('"value":0', '"value":1234567.123456789012')},` +
      `${JSON.stringify(record("2024-03-01T00:45:00Z", "1234567.123456789012"))}]`;
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readJsonRows(text, { fileName: "n.json" }), MAPPING));
    expect(accepted.map((r) => [r.row, r.value])).toEqual(
      // Node >= 21 hands the reviver the number's source text: then the long literal is exact too.
      quarantined.length === 0
        ? [[1, "0.1"], [2, "1000"], [3, "1234567.123456789012"], [4, "1234567.123456789012"]]
        : [[1, "0.1"], [2, "1000"], [4, "1234567.123456789012"]],
    );
    for (const q of quarantined) {
      expect(q.errors).toEqual([{ file: "n.json", row: 3, column: "reading.value", expected: expect.stringContaining("as a JSON string"), got: "1234567.123456789" }]);
    }
  });

  it("quarantines records that are not objects or miss a field, with the reason", async () => {
    const text = JSON.stringify([record("2024-03-01T00:00:00Z", 1), [1, 2], "text", { ts: "2024-03-01T00:30:00Z", meter: { id: "INV-3" }, reading: { unit: "kWh", value: null } }]);
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readJsonRows(text, { fileName: "q.json" }), MAPPING));
    expect(accepted).toHaveLength(1);
    expect(quarantined.map((q) => [q.row, q.errors[0].expected, q.errors[0].got])).toEqual([
      [2, "a JSON object", 'found an array: "[1,2]"'],
      [3, "a JSON object", 'found string: "\\"text\\""'],
      [4, "a value value", "an empty cell"],
    ]);
  });

  it("a record without a mapped property is a row error, not a file error", async () => {
    const text = JSON.stringify([{ ts: "2024-03-01T00:00:00Z", meter: { id: "A" }, reading: { unit: "kWh" } }]);
    const { quarantined } = await collectMapped(mapSourceRows(readJsonRows(text, { fileName: "p.json" }), MAPPING));
    expect(quarantined[0].errors).toEqual([{ file: "p.json", row: 1, column: "reading.value", expected: "a value in column reading.value", got: "no such column in this row" }]);
  });

  it("refuses malformed JSON and a missing records array with a clear error", async () => {
    await expect(collectMapped(mapSourceRows(readJsonRows('[{"ts": 1,', { fileName: "bad.json" }), MAPPING))).rejects.toThrow(JsonSourceError);
    await expect(collectMapped(mapSourceRows(readJsonRows('[{"ts": 1,', { fileName: "bad.json" }), MAPPING))).rejects.toThrow(/bad.json: not valid JSON/);
    await expect(collectMapped(mapSourceRows(readJsonRows('{"data": {}}', { fileName: "o.json", recordsPath: "data.readings" }), MAPPING))).rejects.toThrow(
      /o.json: expected an array of records at "data.readings"/,
    );
  });
});

describe("newline-delimited JSON", () => {
  it("streams line by line; a broken line is quarantined with its line number", async () => {
    const lines = [JSON.stringify(record("2024-03-01T00:00:00Z", 1)), "", '{"ts": "2024-03-01T00:15:00Z", "meter": ', JSON.stringify(record("2024-03-01T00:30:00Z", 3))];
    const input = Readable.from([Buffer.from(lines.join("\r\n"))]);
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readNdjsonRows(input, { fileName: "feed.ndjson" }), MAPPING));
    expect(accepted.map((r) => [r.row, r.value])).toEqual([
      [1, "1"],
      [4, "3"],
    ]);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatchObject({ file: "feed.ndjson", row: 3, raw: '{"ts": "2024-03-01T00:15:00Z", "meter": ' });
    expect(quarantined[0].errors[0].expected).toBe("one JSON object per line");
  });
});
