import PDFDocument from "pdfkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SourceMappingInput, collectMapped, mapSourceRows } from "./mapping";
import { type OcrEngine, createOcrEngine } from "./ocr";
import { encodePng, readPdfRowsWithOcr } from "./scannedPdf";
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
};

/** A "scanned" report: one page holding only an image of the table, no text layer. */
async function scannedPdf(png: Buffer): Promise<Uint8Array> {
  const doc = new PDFDocument({ size: "A4" });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on("end", () => resolve()));
  doc.image(png, 40, 40, { width: 500 });
  doc.end();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

describe("scanned PDF through OCR", () => {
  let engine: OcrEngine;
  beforeAll(async () => {
    engine = await createOcrEngine();
  }, 120_000);
  afterAll(async () => {
    await engine?.terminate();
  });

  it("encodes raw pixels as a PNG", () => {
    const png = encodePng(new Uint8Array([0, 255, 255, 0]), 2, 2, 1);
    expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
    expect(() => encodePng(new Uint8Array(3), 2, 2, 1)).toThrow(/has 3 bytes/);
  });

  it("reads the table from the page image of a PDF without a text layer", { timeout: 180_000 }, async () => {
    expect(FONT, "no TrueType font found to render the OCR test image; install fonts-dejavu-core").toBeDefined();
    const png = renderTextPng(["Date Meter Energy", "01/03/2024 INV-7 1,234.5 kWh", "02/03/2024 INV-7 1,301.25 kWh"], { fontPath: FONT as string });
    const pdf = await scannedPdf(png);
    const { accepted } = await collectMapped(mapSourceRows(readPdfRowsWithOcr(pdf, { fileName: "scan.pdf", table: TABLE, engine }), MAPPING));
    expect(accepted.map((r) => [r.sensorId, r.value, r.unit])).toEqual([
      ["INV-7", "1234.5", "kWh"],
      ["INV-7", "1301.25", "kWh"],
    ]);
  });
});
