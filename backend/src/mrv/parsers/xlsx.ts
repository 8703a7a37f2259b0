import type { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { z } from "zod";
import { canonicalDecimalString } from "../decimal";
import { type RawCell, type SourceItem, textCell } from "./types";

/**
 * XLSX reader on exceljs's streaming WorkbookReader: rows are read one at a time from the zip, so
 * a large workbook is not loaded whole. Cells keep their types: numbers become canonical decimals
 * (XLSX stores IEEE doubles; their shortest representation is what Excel shows), date cells
 * become wall-clock ISO times that the mapping reads at its declared UTC offset, formulas give
 * their cached result. Error cells (#N/A, #DIV/0!) are row errors, never zeros.
 */

export class XlsxSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XlsxSourceError";
  }
}

export const XlsxOptionsSchema = z.object({
  /** Worksheet name, or 1-based position; default the first worksheet. */
  sheet: z.union([z.string().min(1), z.number().int().positive()]).default(1),
  /** 1-based row holding the column names; rows above it (titles, notes) are not data. */
  headerRow: z.number().int().positive().default(1),
});
export type XlsxOptions = z.input<typeof XlsxOptionsSchema>;

/** What exceljs's streaming reader exposes beyond its typings. */
interface WorksheetIdentity {
  readonly name?: string;
}

function cellFromValue(value: unknown): RawCell {
  if (value === null || value === undefined) return textCell("");
  if (typeof value === "number") {
    return Number.isFinite(value) ? { text: canonicalDecimalString(String(value)), type: "number" } : { text: String(value), type: "number", invalid: { expected: "a finite number" } };
  }
  if (typeof value === "string") return textCell(value);
  if (typeof value === "boolean") return textCell(String(value));
  if (value instanceof Date) {
    // exceljs puts the sheet's wall-clock time in the Date's UTC fields.
    return Number.isNaN(value.getTime()) ? { text: "", type: "datetime", invalid: { expected: "a valid date" } } : { text: value.toISOString().slice(0, 23), type: "datetime" };
  }
  if (typeof value === "object") {
    const v = value as { richText?: { text: string }[]; result?: unknown; formula?: string; sharedFormula?: string; text?: unknown; error?: string };
    if (v.error !== undefined) return { text: v.error, type: "text", invalid: { expected: "a value (the cell holds a spreadsheet error)" } };
    if (v.richText !== undefined) return textCell(v.richText.map((part) => part.text).join(""));
    if (v.formula !== undefined || v.sharedFormula !== undefined) {
      if (v.result === undefined) return { text: `=${v.formula ?? v.sharedFormula}`, type: "text", invalid: { expected: "a formula with a cached result (open and save the file in a spreadsheet program)" } };
      return cellFromValue(v.result);
    }
    if (v.text !== undefined) return cellFromValue(v.text);
  }
  return { text: String(value), type: "text", invalid: { expected: "a number, text or date cell" } };
}

function rowCells(values: unknown): RawCell[] {
  // exceljs row.values is 1-based and sparse.
  const list = Array.isArray(values) ? values.slice(1) : [];
  return Array.from(list, (value) => cellFromValue(value));
}

function isBlank(cells: readonly RawCell[]): boolean {
  return cells.every((cell) => cell.text.trim() === "" && cell.invalid === undefined);
}

export async function* readXlsxRows(input: Readable, options: XlsxOptions & { fileName: string }): AsyncGenerator<SourceItem> {
  const { sheet, headerRow } = XlsxOptionsSchema.parse(options);
  const file = options.fileName;
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: "emit",
    sharedStrings: "cache",
    styles: "cache",
    hyperlinks: "ignore",
    entries: "ignore",
  });
  const seen: string[] = [];
  let position = 0;
  let found = false;
  try {
    for await (const worksheet of workbook) {
      position += 1;
      const name = (worksheet as unknown as WorksheetIdentity).name ?? `Sheet${position}`;
      seen.push(name);
      const selected = typeof sheet === "number" ? position === sheet : name === sheet;
      if (!selected) {
        for await (const _row of worksheet) {
          // rows of other worksheets are read past, not interpreted
        }
        continue;
      }
      found = true;
      let header: readonly string[] | undefined;
      for await (const row of worksheet) {
        if (row.number < headerRow) continue;
        const cells = rowCells(row.values);
        if (header === undefined) {
          if (row.number !== headerRow) throw new XlsxSourceError(`${file}: header row ${headerRow} of worksheet ${JSON.stringify(name)} is empty`);
          header = cells.map((cell) => cell.text.trim());
          yield { kind: "header", file, header };
          continue;
        }
        if (isBlank(cells)) continue;
        const beyond = cells.slice(header.length);
        if (beyond.some((cell) => cell.text.trim() !== "")) {
          yield {
            kind: "malformed",
            file,
            row: row.number,
            raw: cells.map((cell) => cell.text).join("\t"),
            expected: `values only in the ${header.length} columns named in header row ${headerRow}`,
            reason: `found values in column(s) beyond the header`,
          };
          continue;
        }
        const aligned = header.map((_, i) => cells[i] ?? textCell(""));
        yield { kind: "row", file, row: row.number, header, headerScope: "file", cells: aligned };
      }
      if (header === undefined) throw new XlsxSourceError(`${file}: worksheet ${JSON.stringify(name)} has no header row ${headerRow}`);
      break;
    }
  } finally {
    if (!input.destroyed) input.destroy();
  }
  if (!found) throw new XlsxSourceError(`${file}: no worksheet ${JSON.stringify(sheet)} (worksheets: ${seen.join(", ") || "none"})`);
}
