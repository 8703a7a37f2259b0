import { parse } from "csv-parse/sync";
import type { DecodedSourceFile } from "./source-file";
import { type IssueCollector, quote } from "./import-issues";

/** One CSV record with `-0-` turned into null and the line it ends on. */
export interface CsvRecord {
  readonly line: number;
  readonly values: readonly (string | null)[];
}

interface CsvParseErrorShape {
  readonly message: string;
  readonly code?: string;
  readonly lines?: number;
}

const OFAC_EMPTY = "-0-";
/** OFAC legacy files end with a DOS end-of-file byte on its own line. */
const DOS_END_OF_FILE = "\u001a";

/**
 * Reads a header-less OFAC legacy CSV file, checking that every record has exactly the expected
 * columns. Records with the wrong number of fields are reported with their line and returned apart.
 */
export function readOfacCsvRecords(
  file: DecodedSourceFile,
  columns: readonly string[],
  issues: IssueCollector,
): { records: CsvRecord[]; malformed: CsvRecord[] } {
  const fileName = file.digest.name;
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(file.text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const csvError = error as CsvParseErrorShape;
    issues.add({
      file: fileName,
      location: csvError.lines === undefined ? "unknown line" : `line ${csvError.lines}`,
      expected: "well-formed CSV (quoted fields closed, quotes doubled inside quoted fields)",
      found: `${csvError.code ?? "parse error"}: ${csvError.message}`,
    });
    return { records: [], malformed: [] };
  }
  const records: CsvRecord[] = [];
  const malformed: CsvRecord[] = [];
  parsed.forEach(({ record, info }, index) => {
    const isLast = index === parsed.length - 1;
    if (isLast && record.length === 1 && record[0].replace(DOS_END_OF_FILE, "").trim() === "") return;
    if (record.length !== columns.length) {
      issues.add({
        file: fileName,
        location: `line ${info.lines}`,
        expected: `${columns.length} fields (${columns.join(", ")})`,
        found: `${record.length} field(s): ${quote(record.join(","))}`,
      });
      malformed.push({ line: info.lines, values: record });
      return;
    }
    records.push({ line: info.lines, values: record.map((value) => (value === OFAC_EMPTY || value === "" ? null : value)) });
  });
  return { records, malformed };
}

/** "line 12, column 3 (SDN_Type)" */
export function csvLocation(record: CsvRecord, columns: readonly string[], columnIndex: number): string {
  return `line ${record.line}, column ${columnIndex + 1} (${columns[columnIndex]})`;
}
