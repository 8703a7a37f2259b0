import type { Readable } from "node:stream";
import { CsvError, type Info, parse } from "csv-parse";
import { z } from "zod";
import { type MalformedRecord, type SourceItem, textCell } from "./types";

/**
 * Streaming CSV reader (csv-parse async iteration): memory stays bounded by csv-parse's buffer
 * and one record, whatever the file size; back-pressure reaches the input stream.
 *
 * - The header (first record, when `hasHeader`) names the columns the mapping refers to.
 * - A record whose field count differs from the header's is a MalformedRecord, never accepted:
 *   an unquoted "1,234.5" would otherwise shift every column to its right.
 * - A structural error (a quote never closed, text after a closing quote) makes everything after
 *   it ambiguous, so reading stops there with a MalformedRecord that says from which line the
 *   file was not read; every record before it is delivered. (csv-parse can resume after such an
 *   error, but was seen to lose text when it does, which this engine must never do silently.)
 */

export const CsvOptionsSchema = z.object({
  delimiter: z.string().length(1).default(","),
  quote: z.string().length(1).default('"'),
  hasHeader: z.boolean().default(true),
  encoding: z.enum(["utf8", "latin1", "utf16le"]).default("utf8"),
  /** Lines starting with this character are comments. */
  commentPrefix: z.string().length(1).optional(),
  /** Longest record accepted, in characters: a larger one (an enormous cell) stops reading there. */
  maxRecordSize: z.number().int().positive().default(1_000_000),
});
export type CsvOptions = z.input<typeof CsvOptionsSchema>;

interface NumberedRecord {
  readonly cells: string[];
  readonly row: number;
  readonly endRow: number;
}

function lineBreaks(cells: readonly string[]): number {
  return cells.reduce((sum, cell) => sum + (cell.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
}

/** csv-parse counts the line a record ends on; a quoted field with line breaks starts earlier. */
function numbered(cells: string[], info: Info): NumberedRecord {
  return { cells, row: info.lines - lineBreaks(cells), endRow: info.lines };
}

interface StructuralError {
  readonly fromRow: number;
  readonly atRow?: number;
  readonly message: string;
}

function stoppedAt(fileName: string, error: StructuralError): MalformedRecord {
  return {
    kind: "malformed",
    file: fileName,
    row: error.fromRow,
    ...(error.atRow === undefined ? {} : { endRow: error.atRow }),
    raw: "",
    stopsReading: true,
    expected: "well-formed CSV (balanced quotes, records under the size limit)",
    reason: `${error.message} — reading stopped: lines from ${error.fromRow} to the end of the file were not read`,
  };
}

export async function* readCsvRows(input: Readable, options: CsvOptions & { fileName: string }): AsyncGenerator<SourceItem> {
  const { fileName } = options;
  const settings = CsvOptionsSchema.parse(options);
  // Parse-time bookkeeping (csv-parse runs ahead of the consumer): where the last parsed record
  // ended, and the first structural error. Skipping records with errors, instead of letting the
  // error destroy the stream, keeps the records parsed before it, still buffered, deliverable.
  let lastParsedEndRow = 0;
  let structuralError: StructuralError | undefined;
  const parser = parse({
    delimiter: settings.delimiter,
    quote: settings.quote,
    encoding: settings.encoding,
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: settings.maxRecordSize,
    skip_records_with_error: true,
    ...(settings.commentPrefix === undefined ? {} : { comment: settings.commentPrefix, comment_no_infix: true }),
    on_record: (record: string[], context) => {
      lastParsedEndRow = context.lines;
      return record;
    },
    on_skip: (error) => {
      structuralError ??= {
        fromRow: lastParsedEndRow + 1,
        ...(typeof error?.lines === "number" ? { atRow: error.lines } : {}),
        message: error?.message ?? "unreadable CSV",
      };
      return undefined;
    },
  });
  input.on("error", (error) => parser.destroy(error));
  input.pipe(parser);

  /** End line of the last record handed out: on an unexpected error, what follows it was not read. */
  let lastEndRow = 0;
  let header: readonly string[] | undefined;
  try {
    for await (const parsed of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      const record = numbered(parsed.record, parsed.info);
      if (structuralError !== undefined && record.row >= structuralError.fromRow) break;
      lastEndRow = record.endRow;
      if (header === undefined) {
        header = settings.hasHeader ? record.cells.map((name) => name.trim()) : record.cells.map((_, i) => String(i));
        yield { kind: "header", file: fileName, header };
        if (settings.hasHeader) continue;
      }
      if (record.cells.length !== header.length) {
        yield {
          kind: "malformed",
          file: fileName,
          row: record.row,
          ...(record.endRow === record.row ? {} : { endRow: record.endRow }),
          raw: record.cells.join(settings.delimiter),
          expected: `${header.length} fields, as in the header`,
          reason: `found ${record.cells.length} fields (an unquoted delimiter inside a value, or a missing field)`,
        };
        continue;
      }
      yield {
        kind: "row",
        file: fileName,
        row: record.row,
        header,
        headerScope: "file",
        cells: record.cells.map(textCell),
      };
    }
    if (structuralError !== undefined) yield stoppedAt(fileName, structuralError);
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    yield stoppedAt(fileName, { fromRow: lastEndRow + 1, ...(typeof error.lines === "number" ? { atRow: error.lines } : {}), message: error.message });
  } finally {
    input.unpipe(parser);
    if (!input.destroyed) input.destroy();
    if (!parser.destroyed) parser.destroy();
  }
}
