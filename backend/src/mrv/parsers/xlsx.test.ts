import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { type SourceMappingInput, SourceMappingError, collectMapped, mapSourceRows } from "./mapping";
import { XlsxSourceError, readXlsxRows } from "./xlsx";

/** A workbook as a site operator might send it: a cover sheet, then readings under two title rows. */
async function operatorWorkbook(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet("Cover").addRow(["Monthly generation report"]);
  const sheet = workbook.addWorksheet("Readings");
  sheet.addRow(["Solar park Bhadla — inverter export"]);
  sheet.addRow([]);
  sheet.addRow(["Timestamp", "Inverter", "Export", "Unit"]);
  const at = (hour: number) => new Date(Date.UTC(2024, 2, 1, hour, 0)); // wall-clock time, as a spreadsheet holds it
  sheet.addRow([at(10), "INV-1", 1234.5, "kWh"]);
  sheet.addRow([at(11), "INV-1", { formula: "C4*2", result: 2469 }, "kWh"]);
  sheet.addRow([at(12), "INV-1", { error: "#N/A" }, "kWh"]);
  sheet.addRow([]);
  sheet.addRow(["2024-03-01 13:00", "INV-1", "1,300.75", "kWh"]);
  sheet.addRow([at(14), "INV-1", 0.1, "MWh", "stray note"]);
  sheet.addRow([at(15), "INV-1", 7, "tons"]);
  sheet.getColumn(1).numFmt = "yyyy-mm-dd hh:mm";
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const MAPPING: SourceMappingInput = {
  timestamp: { column: "Timestamp", format: "YYYY-MM-DD HH:mm", utcOffset: "+05:30" },
  value: { column: "Export", number: { decimalSeparator: ".", thousandsSeparator: "," } },
  unit: { column: "Unit" },
  sensorId: { column: "Inverter" },
  parameter: { constant: "EG_export" },
};

describe("XLSX (streaming reader)", () => {
  it("reads the declared sheet below its header row, with typed cells", async () => {
    const book = await operatorWorkbook();
    const items = readXlsxRows(Readable.from([book]), { fileName: "report.xlsx", sheet: "Readings", headerRow: 3 });
    const { accepted, quarantined } = await collectMapped(mapSourceRows(items, MAPPING));
    expect(accepted.map((r) => [r.row, r.timestamp.toISOString(), r.value, r.unit])).toEqual([
      [4, "2024-03-01T04:30:00.000Z", "1234.5", "kWh"], // a date cell, read at UTC+05:30
      [5, "2024-03-01T05:30:00.000Z", "2469", "kWh"], // a formula's cached result
      [8, "2024-03-01T07:30:00.000Z", "1300.75", "kWh"], // text cells, read with the declared formats
    ]);
    expect(quarantined.map((q) => q.errors.map((e) => ({ row: e.row, column: e.column, expected: e.expected, got: e.got })))).toEqual([
      [{ row: 6, column: "Export", expected: "a value (the cell holds a spreadsheet error)", got: "#N/A" }],
      [{ row: 9, column: "(record)", expected: "values only in the 4 columns named in header row 3", got: expect.stringContaining("stray note") }],
      [{ row: 10, column: "Unit", expected: expect.stringContaining('"t" (metric tonne, 1000 kg) or "short ton"'), got: "tons" }],
    ]);
  });

  it("selects a sheet by position, and names the sheets when the declared one is missing", async () => {
    const book = await operatorWorkbook();
    const cover = readXlsxRows(Readable.from([book]), { fileName: "report.xlsx", sheet: 1 });
    await expect(collectMapped(mapSourceRows(cover, MAPPING))).rejects.toThrow(SourceMappingError);
    await expect(collectMapped(mapSourceRows(readXlsxRows(Readable.from([book]), { fileName: "report.xlsx", sheet: "Data" }), MAPPING))).rejects.toThrow(
      /report.xlsx: no worksheet "Data" \(worksheets: Cover, Readings\)/,
    );
  });

  it("refuses a file that is not a workbook", async () => {
    await expect(collectMapped(mapSourceRows(readXlsxRows(Readable.from([Buffer.from("time,value\n")]), { fileName: "fake.xlsx" }), MAPPING))).rejects.toThrow();
    await expect(collectMapped(mapSourceRows(readXlsxRows(Readable.from([await operatorWorkbook()]), { fileName: "r.xlsx", sheet: "Readings", headerRow: 2 }), MAPPING))).rejects.toThrow(
      XlsxSourceError,
    );
  });
});
