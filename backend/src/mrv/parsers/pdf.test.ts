import PDFDocument from "pdfkit";
import { describe, expect, it } from "vitest";
import { type SourceMappingInput, collectMapped, mapSourceRows } from "./mapping";
import { PdfSourceError, readPdfRows } from "./pdf";
import type { TextTableMapping } from "./textTable";

/** Renders pages of text lines into a PDF with a real text layer. */
function pdfOf(pages: readonly (readonly string[])[]): Promise<Uint8Array> {
  const doc = new PDFDocument({ size: "A4", margin: 50 });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Uint8Array>((resolve) => doc.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks)))));
  pages.forEach((lines, i) => {
    if (i > 0) doc.addPage();
    doc.fontSize(11);
    for (const line of lines) doc.text(line);
  });
  doc.end();
  return done;
}

const TABLE: TextTableMapping = {
  rowPattern: String.raw`^(?<date>\d{2}/\d{2}/\d{4} \d{2}:\d{2}) (?<meter>[A-Z]+-\d+) (?<value>[\d,]+(?:\.\d+)?) (?<unit>\S+)$`,
  startAfter: "^Date Meter Energy Unit$",
  stopAt: "^Total",
  skip: [String.raw`^Page \d+ of \d+$`],
};

const MAPPING: SourceMappingInput = {
  timestamp: { column: "date", format: "DD/MM/YYYY HH:mm", utcOffset: "+05:30" },
  value: { column: "value", number: { decimalSeparator: ".", thousandsSeparator: "," } },
  unit: { column: "unit" },
  sensorId: { column: "meter" },
  parameter: { constant: "EG_export" },
};

describe("PDF reports (text layer)", () => {
  it("reads the declared table on every page, skipping declared noise and quarantining lines that do not fit", async () => {
    const pdf = await pdfOf([
      ["Monthly generation statement", "Site: Bhadla phase II", "Date Meter Energy Unit", "01/03/2024 00:00 INV-1 1,234.5 kWh", "01/03/2024 01:00 INV-1 1,301.25 kWh", "01/03/2024 02:00 INV-1 see remarks", "Page 1 of 2"],
      ["Date Meter Energy Unit", "01/03/2024 03:00 INV-1 0.75 MWh", "01/03/2024 04:00 INV-1 12 gal", "Total 3285.5 kWh", "Signed: plant manager"],
    ]);
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readPdfRows(pdf, { fileName: "statement.pdf", table: TABLE }), MAPPING));
    expect(accepted.map((r) => [r.page, r.row, r.timestamp.toISOString(), r.value, r.unit])).toEqual([
      [1, 4, "2024-02-29T18:30:00.000Z", "1234.5", "kWh"],
      [1, 5, "2024-02-29T19:30:00.000Z", "1301.25", "kWh"],
      [2, 2, "2024-02-29T21:30:00.000Z", "0.75", "MWh"],
    ]);
    expect(quarantined.map((q) => [q.page, q.row, q.errors[0].column, q.errors[0].got])).toEqual([
      [1, 6, "(record)", expect.stringContaining("01/03/2024 02:00 INV-1 see remarks")],
      [2, 3, "unit", "gal"],
    ]);
  });

  it("reports a table that is on no page", async () => {
    const pdf = await pdfOf([["Nothing tabular here"]]);
    const { accepted, quarantined } = await collectMapped(mapSourceRows(readPdfRows(pdf, { fileName: "memo.pdf", table: TABLE }), MAPPING));
    expect(accepted).toEqual([]);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0].errors[0]).toMatchObject({ file: "memo.pdf", row: 0, expected: 'a line matching startAfter "^Date Meter Energy Unit$"' });
  });

  it("a PDF without a text layer is sent to OCR, not read as empty", async () => {
    const doc = new PDFDocument();
    const chunks: Buffer[] = [];
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    const done = new Promise<void>((resolve) => doc.on("end", () => resolve()));
    doc.rect(50, 50, 200, 100).fill("#000");
    doc.end();
    await done;
    const { quarantined } = await collectMapped(mapSourceRows(readPdfRows(new Uint8Array(Buffer.concat(chunks)), { fileName: "scan.pdf", table: TABLE }), MAPPING));
    expect(quarantined[0].errors[0]).toMatchObject({ expected: "a PDF with a text layer", got: expect.stringContaining("read it with OCR") });
  });

  it("refuses bytes that are not a PDF", async () => {
    await expect(collectMapped(mapSourceRows(readPdfRows(new TextEncoder().encode("not a pdf"), { fileName: "x.pdf", table: TABLE }), MAPPING))).rejects.toThrow(PdfSourceError);
  });

  it("refuses a row pattern without named groups, or one that does not compile", async () => {
    const pdf = await pdfOf([["a"]]);
    await expect(collectMapped(mapSourceRows(readPdfRows(pdf, { fileName: "x.pdf", table: { rowPattern: "^(\\d+)$" } }), MAPPING))).rejects.toThrow(/named groups/);
    await expect(collectMapped(mapSourceRows(readPdfRows(pdf, { fileName: "x.pdf", table: { rowPattern: "^(?<v>\\d+$" } }), MAPPING))).rejects.toThrow(/not a valid regular expression/);
  });
});
