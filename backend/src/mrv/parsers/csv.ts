import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { z } from "zod";
import { type CsvRecord, CsvSyntaxError, CsvTokenizer } from "./csvTokenizer";
import { type MalformedRecord, type SourceItem, textCell } from "./types";

/**
 * Streaming CSV reader: the input is decoded and tokenized chunk by chunk (csvTokenizer.ts), so
 * memory stays bounded by one chunk and the record being read, whatever the file size;
 * back-pressure reaches the input stream. Rows come out in batches, one per input chunk
 * (`readCsvRowBatches`, for the ingestion loop), or one by one (`readCsvRows`).
 *
 * - The header (first record, when `hasHeader`) names the columns the mapping refers to.
 * - A record whose field count differs from the header's is a MalformedRecord, never accepted:
 *   an unquoted "1,234.5" would otherwise shift every column to its right.
 * - A structural error (a quote never closed, text after a closing quote, an enormous record)
 *   makes everything after it ambiguous, so reading stops there with a MalformedRecord that says
 *   from which line the file was not read; every record before it is delivered.
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

/** A UTF-8 byte order mark read as Latin-1. */
const LATIN1_BOM = "\u00EF\u00BB\u00BF";

function stoppedAt(fileName: string, fromRow: number, error: CsvSyntaxError): MalformedRecord {
  return {
    kind: "malformed",
    file: fileName,
    row: fromRow,
    endRow: error.line,
    raw: "",
    stopsReading: true,
    expected: "well-formed CSV (balanced quotes, records under the size limit)",
    reason: `${error.message} — reading stopped: lines from ${fromRow} to the end of the file were not read`,
  };
}

export async function* readCsvRowBatches(input: Readable, options: CsvOptions & { fileName: string }): AsyncGenerator<SourceItem[]> {
  const { fileName } = options;
  const settings = CsvOptionsSchema.parse(options);
  const tokenizer = new CsvTokenizer({
    delimiter: settings.delimiter,
    quote: settings.quote,
    maxRecordSize: settings.maxRecordSize,
    ...(settings.commentPrefix === undefined ? {} : { comment: settings.commentPrefix }),
  });
  const decoder = new StringDecoder(settings.encoding);
  let firstText = true;
  /** End line of the last record handed out: after a structural error, what follows it was not read. */
  let lastEndRow = 0;
  let header: readonly string[] | undefined;

  const itemsOf = (records: readonly CsvRecord[]): SourceItem[] => {
    const items: SourceItem[] = [];
    for (const record of records) {
      lastEndRow = record.endRow;
      if (header === undefined) {
        header = settings.hasHeader ? record.cells.map((name) => name.trim()) : record.cells.map((_, i) => String(i));
        items.push({ kind: "header", file: fileName, header });
        if (settings.hasHeader) continue;
      }
      if (record.cells.length !== header.length) {
        items.push({
          kind: "malformed",
          file: fileName,
          row: record.row,
          ...(record.endRow === record.row ? {} : { endRow: record.endRow }),
          raw: record.cells.join(settings.delimiter),
          expected: `${header.length} fields, as in the header`,
          reason: `found ${record.cells.length} fields (an unquoted delimiter inside a value, or a missing field)`,
        });
        continue;
      }
      items.push({ kind: "row", file: fileName, row: record.row, header, headerScope: "file", cells: record.cells.map(textCell) });
    }
    return items;
  };

  const records: CsvRecord[] = [];
  /** Tokenizes text (or the end of input); the items read, ending with a stop when the text is not well-formed CSV. */
  const read = (text: string | undefined): { items: SourceItem[]; stopped: boolean } => {
    records.length = 0;
    try {
      if (text === undefined) tokenizer.end(records);
      else tokenizer.push(text, records);
    } catch (error) {
      if (!(error instanceof CsvSyntaxError)) throw error;
      const items = itemsOf(records);
      items.push(stoppedAt(fileName, lastEndRow + 1, error));
      return { items, stopped: true };
    }
    return { items: itemsOf(records), stopped: false };
  };

  try {
    for await (const chunk of input) {
      let text = typeof chunk === "string" ? chunk : decoder.write(chunk as Buffer);
      if (firstText && text.length > 0) {
        firstText = false;
        if (settings.encoding === "latin1" && text.startsWith(LATIN1_BOM)) text = text.slice(LATIN1_BOM.length);
      }
      const { items, stopped } = read(text);
      if (items.length > 0) yield items;
      if (stopped) return;
    }
    const rest = decoder.end();
    if (rest.length > 0) {
      const { items, stopped } = read(rest);
      if (items.length > 0) yield items;
      if (stopped) return;
    }
    const { items } = read(undefined);
    if (items.length > 0) yield items;
  } finally {
    if (!input.destroyed) input.destroy();
  }
}

export async function* readCsvRows(input: Readable, options: CsvOptions & { fileName: string }): AsyncGenerator<SourceItem> {
  for await (const batch of readCsvRowBatches(input, options)) yield* batch;
}
