import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SourceMappingInput, collectMapped, mapSourceRows } from "./mapping";
import { type OcrEngine, createOcrEngine, readImageRows } from "./ocr";
import { findSystemFont, renderTextPng } from "./testing/renderTextPng";

const FONT = findSystemFont();

const MAPPING: SourceMappingInput = {
  timestamp: { column: "date", format: "DD/MM/YYYY", utcOffset: "+05:30" },
  value: { column: "value", number: { decimalSeparator: ".", thousandsSeparator: "," } },
  unit: { column: "unit" },
  sensorId: { column: "meter" },
  parameter: { constant: "EG_export" },
};

const TABLE = {
  rowPattern: String.raw`^(?<date>\d{2}/\d{2}/\d{4}) (?<meter>INV-\d+) (?<value>[\d,]+(?:\.\d+)?) (?<unit>kWh|MWh)$`,
  startAfter: "^Date Meter Energy$",
  skip: [String.raw`^Page \d+ of \d+$`],
};

describe("OCR of a table image (tesseract.js, offline language data)", () => {
  let engine: OcrEngine;
  beforeAll(async () => {
    engine = await createOcrEngine();
  });
  afterAll(async () => {
    await engine?.terminate();
  });

  it("needs a TrueType font to draw the test image (Debian: fonts-dejavu-core)", () => {
    expect(FONT, "no TrueType font found to render the OCR test image; install fonts-dejavu-core").toBeDefined();
  });

  it("reads rows from a PNG rendered at test time, quarantining a line that does not fit", async () => {
    const png = renderTextPng(
      ["Meter readings March 2024", "Date Meter Energy", "01/03/2024 INV-7 1,234.5 kWh", "02/03/2024 INV-7 1,301.25 kWh", "03/03/2024 INV-7 meter offline", "04/03/2024 INV-7 988.0 kWh", "Page 1 of 1"],
      { fontPath: FONT as string },
    );
    expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readImageRows(png, { fileName: "scan.png", table: TABLE, engine }), MAPPING));
    expect(accepted.map((r) => [r.timestamp.toISOString(), r.sensorId, r.value, r.unit])).toEqual([
      ["2024-02-29T18:30:00.000Z", "INV-7", "1234.5", "kWh"],
      ["2024-03-01T18:30:00.000Z", "INV-7", "1301.25", "kWh"],
      ["2024-03-03T18:30:00.000Z", "INV-7", "988", "kWh"],
    ]);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0].raw).toBe("03/03/2024 INV-7 meter offline");
  });

  it("fails clearly on bytes that are not an image", async () => {
    await expect(engine.recognize(new TextEncoder().encode("not an image"))).rejects.toThrow(/OCR failed/);
  });
});
