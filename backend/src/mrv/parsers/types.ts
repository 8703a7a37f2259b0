/**
 * What every source parser produces: raw rows, untouched by any interpretation, plus structural
 * failures (a CSV record with a broken quote, a PDF line that does not match the table) that are
 * carried forward so nothing is dropped silently. Interpretation happens in `mapping.ts`.
 */

/** A cell as the source gave it. Typed cells come from formats that carry types (XLSX, JSON). */
export interface RawCell {
  readonly text: string;
  /**
   * "text": interpret with the declared mapping (separators, date format);
   * "number": a canonical decimal (XLSX/JSON numbers), separators do not apply;
   * "datetime": an ISO 8601 wall-clock time without offset (XLSX dates), the mapping's utcOffset applies.
   */
  readonly type: "text" | "number" | "datetime";
  /** Set when the parser already knows the cell cannot be used (e.g. a JSON number whose exact digits were lost). */
  readonly invalid?: { readonly expected: string };
}

export interface SourceRow {
  readonly kind: "row";
  readonly file: string;
  /** 1-based line (CSV, NDJSON, PDF/OCR text line) or spreadsheet row, or record index (JSON array). */
  readonly row: number;
  readonly page?: number;
  /** Column names; for CSV/XLSX/PDF one array shared by every row of the file. */
  readonly header: readonly string[];
  /** "file": every row has the same header (a missing column is a mapping error); "row": per-row keys (JSON). */
  readonly headerScope: "file" | "row";
  readonly cells: readonly RawCell[];
}

export interface MalformedRecord {
  readonly kind: "malformed";
  readonly file: string;
  readonly row: number;
  /** Last line of the record when it spans several (e.g. an unclosed quote swallowed lines). */
  readonly endRow?: number;
  readonly page?: number;
  /** The source text, as far as it could be read. */
  readonly raw: string;
  readonly expected: string;
  readonly reason: string;
  /** The reader could not go on past this point: the rest of the file was not read. */
  readonly stopsReading?: boolean;
}

/** Announces a file's column names before its rows (CSV, XLSX, PDF/OCR tables), so a mapping is checked even when no row follows. */
export interface SourceHeader {
  readonly kind: "header";
  readonly file: string;
  readonly header: readonly string[];
}

export type SourceItem = SourceHeader | SourceRow | MalformedRecord;

/** A row-level validation error. */
export interface RowError {
  readonly file: string;
  readonly row: number;
  readonly page?: number;
  readonly column: string;
  readonly expected: string;
  readonly got: string;
}

export function textCell(text: string): RawCell {
  return { text, type: "text" };
}

/** Renders a row's raw content for quarantine records. */
export function rawText(row: SourceRow): string {
  return row.cells.map((cell, i) => `${row.header[i] ?? `#${i}`}=${JSON.stringify(cell.text)}`).join(", ");
}
