/**
 * Reading registry CSV exports: header matching, row iteration with line numbers, and cell
 * readers that record precise errors per column. A row with any error is reported, never
 * silently dropped; malformed CSV (e.g. an unclosed quote) fails the whole file, because the
 * parser cannot tell where the rows after it begin.
 */
import { Readable } from "node:stream";
import { CsvError, parse, type Options } from "csv-parse";
import { toIsoDate, type IsoDate, type Label, type RegistryId } from "../domain";
import type { SerialCommon } from "./serial";

/** A whole export: text, bytes, or a stream of them. */
export type ExportInput = string | Buffer | Readable | AsyncIterable<string | Buffer>;

export type CreditStatus = "ISSUED" | "RETIRED" | "CANCELLED";

export interface ExportRetirement {
  readonly date: IsoDate | null;
  readonly beneficiary: string | null;
  readonly reason: string | null;
  readonly details: string | null;
}

/** One serial block of an export, in the same shape for every registry. */
export interface ExportRecord<S extends SerialCommon = SerialCommon> {
  readonly registry: RegistryId;
  readonly serial: S;
  readonly quantity: bigint;
  readonly status: CreditStatus;
  readonly projectId: string;
  readonly projectName: string | null;
  /** Country as the export names it (e.g. "Ethiopia"); the ISO code is `serial.country`. */
  readonly countryName: string | null;
  readonly projectType: string | null;
  readonly methodology: string | null;
  readonly issuanceDate: IsoDate | null;
  readonly vintageStart: IsoDate;
  readonly vintageEnd: IsoDate;
  /** Labels CarbonClear records on-chain, derived from `certifications`. */
  readonly labels: readonly Label[];
  /** Label / additional-certification values exactly as exported. */
  readonly certifications: readonly string[];
  readonly retirement: ExportRetirement | null;
}

export interface ExportRow<S extends SerialCommon = SerialCommon> {
  /** Position of the row in the file as a spreadsheet numbers it: the header is row 1. */
  readonly row: number;
  /** Line of the file where the row starts (differs from `row` when cells span lines). */
  readonly line: number;
  readonly record: ExportRecord<S>;
}

export interface ExportRowError {
  readonly row: number;
  readonly line: number;
  /** Header of the column at fault, or null for the row as a whole. */
  readonly column: string | null;
  readonly message: string;
  /** The offending cell, when there is one. */
  readonly value?: string;
}

export interface ExportParseResult<S extends SerialCommon = SerialCommon> {
  /** Rows that passed every check. */
  readonly records: readonly ExportRow<S>[];
  /** Every problem of every rejected row (a row may have several). */
  readonly errors: readonly ExportRowError[];
  /** Data rows read (accepted + rejected). */
  readonly rowCount: number;
}

/** The file itself is unusable: not CSV, or a required column is missing. */
export class ExportFormatError extends Error {
  readonly line: number | null;

  constructor(message: string, line: number | null) {
    super(line === null ? message : `line ${line}: ${message}`);
    this.name = "ExportFormatError";
    this.line = line;
  }
}

export interface ColumnSpec {
  /** Header as the registry writes it. */
  readonly header: string;
  readonly required: boolean;
}

const normalizeHeader = (header: string): string => header.replace(/\s+/g, " ").trim().toLowerCase();

/** Cell access for one row; every reader records its own error and returns null on failure. */
export class RowCells<K extends string> {
  readonly errors: { column: string | null; message: string; value?: string }[] = [];

  constructor(
    private readonly columns: Readonly<Record<K, ColumnSpec>>,
    private readonly values: ReadonlyMap<K, string>,
  ) {}

  /** Whether the export has this column at all. */
  has(key: K): boolean {
    return this.values.has(key);
  }

  error(key: K | null, message: string, value?: string): null {
    this.errors.push({ column: key === null ? null : this.columns[key].header, message, ...(value === undefined ? {} : { value }) });
    return null;
  }

  /**
   * Trimmed text, line breaks inside the cell normalized to "\n"; null when the cell is empty or
   * the column absent (an error if `required`).
   */
  text(key: K, { required = false }: { required?: boolean } = {}): string | null {
    const value = this.values.get(key)?.replace(/\r\n?/g, "\n").trim() ?? "";
    if (value === "") return required ? this.error(key, "is empty") : null;
    return value;
  }

  /** A whole, positive number of tonnes; accepts thousands separators ("1,454,054"). */
  quantity(key: K, { required = false }: { required?: boolean } = {}): bigint | null {
    const value = this.text(key, { required });
    if (value === null) return null;
    if (!/^(\d+|\d{1,3}(,\d{3})+)$/.test(value)) {
      const why = /^\d[\d,]*$/.test(value) ? "thousands separators must group three digits" : "must be a whole number of credits";
      return this.error(key, `"${value}": ${why}`, value);
    }
    const quantity = BigInt(value.replaceAll(",", ""));
    if (quantity < 1n) return this.error(key, "must be at least 1", value);
    return quantity;
  }

  /** A date written `YYYY-MM-DD`, or an ISO timestamp whose date part is taken. */
  date(key: K, { required = false }: { required?: boolean } = {}): IsoDate | null {
    const value = this.text(key, { required });
    if (value === null) return null;
    const match = /^(\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
    const date = match === null ? undefined : toIsoDate(match[1]);
    if (date === undefined) return this.error(key, `"${value}" is not a date (YYYY-MM-DD)`, value);
    return date;
  }

  /** Values separated by `separator`, trimmed, empties dropped. */
  list(key: K, separator: string): string[] {
    const value = this.text(key);
    return value === null ? [] : value.split(separator).map((v) => v.trim()).filter((v) => v !== "");
  }

  /** One of `allowed` (case-insensitive), returned as written in `allowed`. */
  oneOf<T extends string>(key: K, allowed: readonly T[], { required = false }: { required?: boolean } = {}): T | null {
    const value = this.text(key, { required });
    if (value === null) return null;
    const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (found === undefined) return this.error(key, `"${value}" is not one of ${allowed.join(", ")}`, value);
    return found;
  }
}

/** The start line of each record, from csv-parse's running counters. */
interface Position {
  readonly row: number;
  readonly line: number;
}

interface CsvRow {
  readonly cells: string[];
  readonly position: Position;
}

async function* csvRows(input: ExportInput): AsyncGenerator<CsvRow> {
  let previousEndLine = 0;
  let previousEmptyLines = 0;
  const options: Options<CsvRow, string[]> = {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    // Called in file order: turn each record into cells plus the row and line where it starts.
    on_record: (cells: string[], context) => {
      const line = previousEndLine + 1 + (context.empty_lines - previousEmptyLines);
      previousEndLine = context.lines;
      previousEmptyLines = context.empty_lines;
      return { cells, position: { row: context.records, line } };
    },
  };
  // csv-parse's overloads only type on_record returning the record type itself.
  const parser = parse(options as unknown as Options);
  const source = typeof input === "string" || Buffer.isBuffer(input) ? Readable.from([input]) : Readable.from(input);
  source.on("error", (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const row of parser as AsyncIterable<CsvRow>) yield row;
  } catch (error) {
    if (error instanceof CsvError) throw new ExportFormatError(`not valid CSV: ${error.message}`, csvErrorLine(error));
    throw error;
  } finally {
    source.destroy();
  }
}

function csvErrorLine(error: CsvError): number | null {
  return typeof error.lines === "number" ? error.lines : null;
}

/**
 * Reads a CSV export whose header names `columns`, converting each data row with `convert`.
 * `convert` reads cells through {@link RowCells}; a row that records any error (or for which
 * `convert` returns null) becomes errors, not a record.
 * @throws ExportFormatError when the file is not CSV, is empty, or lacks a required column.
 */
export async function readCsvExport<K extends string, S extends SerialCommon>(
  input: ExportInput,
  columns: Readonly<Record<K, ColumnSpec>>,
  convert: (cells: RowCells<K>) => ExportRecord<S> | null,
): Promise<ExportParseResult<S>> {
  const keyByHeader = new Map<string, K>();
  for (const key of Object.keys(columns) as K[]) keyByHeader.set(normalizeHeader(columns[key].header), key);

  let header: (K | undefined)[] | undefined;
  const records: ExportRow<S>[] = [];
  const errors: ExportRowError[] = [];
  let rowCount = 0;

  for await (const { cells, position } of csvRows(input)) {
    if (header === undefined) {
      header = readHeader(cells, keyByHeader, columns, position.line);
      continue;
    }
    rowCount += 1;
    if (cells.length !== header.length) {
      errors.push({ ...position, column: null, message: `has ${cells.length} cells, the header has ${header.length}` });
      continue;
    }
    const values = new Map<K, string>();
    header.forEach((key, i) => {
      if (key !== undefined) values.set(key, cells[i]);
    });
    const rowCells = new RowCells(columns, values);
    let record: ExportRecord<S> | null;
    try {
      record = convert(rowCells);
    } catch (error) {
      rowCells.error(null, error instanceof Error ? error.message : String(error));
      record = null;
    }
    if (rowCells.errors.length > 0 || record === null) {
      const rowErrors = rowCells.errors.length > 0 ? rowCells.errors : [{ column: null, message: "row rejected" }];
      for (const e of rowErrors) errors.push({ ...position, ...e });
    } else {
      records.push({ ...position, record });
    }
  }
  if (header === undefined) throw new ExportFormatError("the export is empty: no header row", null);
  return { records, errors, rowCount };
}

function readHeader<K extends string>(
  cells: readonly string[],
  keyByHeader: ReadonlyMap<string, K>,
  columns: Readonly<Record<K, ColumnSpec>>,
  line: number,
): (K | undefined)[] {
  const seen = new Set<K>();
  const keys = cells.map((cell) => {
    const key = keyByHeader.get(normalizeHeader(cell));
    if (key !== undefined) {
      if (seen.has(key)) throw new ExportFormatError(`column "${columns[key].header}" appears twice in the header`, line);
      seen.add(key);
    }
    return key;
  });
  const missing = (Object.keys(columns) as K[]).filter((k) => columns[k].required && !seen.has(k));
  if (missing.length > 0) {
    throw new ExportFormatError(
      `missing required column${missing.length > 1 ? "s" : ""} ${missing.map((k) => `"${columns[k].header}"`).join(", ")} in the header`,
      line,
    );
  }
  return keys;
}
