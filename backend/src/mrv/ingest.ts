import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import type pg from "pg";
import { z } from "zod";
import { appendAuditEntry } from "../db/audit";
import { type Queryable, withTransaction } from "../db/transaction";
import { canonicalDecimalString } from "./decimal";
import { type Dataset, DatasetIdSchema, MrvError, getDataset, parseOrThrow } from "./dataset";
import { CsvOptionsSchema, readCsvRows } from "./parsers/csv";
import { sha256OfBytes, sha256OfFile } from "./parsers/contentHash";
import { JsonOptionsSchema, JsonSourceError, readJsonRows, readNdjsonRows } from "./parsers/json";
import { type QuarantinedRow, type SourceMappingInput, SourceMappingError, mapSourceRows, parseSourceMapping } from "./parsers/mapping";
import { type OcrEngine, OcrError, readImageRows } from "./parsers/ocr";
import { PdfSourceError, readPdfRows } from "./parsers/pdf";
import { readPdfRowsWithOcr } from "./parsers/scannedPdf";
import { TextTableMappingSchema } from "./parsers/textTable";
import type { SourceItem } from "./parsers/types";
import { XlsxOptionsSchema, XlsxSourceError, readXlsxRows } from "./parsers/xlsx";
import { ZipBudgetError, checkZipBudget, DEFAULT_ZIP_BUDGET } from "./parsers/zipBudget";
import { type QualityFlag, type QualityFlagKind, assessQuality } from "./quality";
import { type NormalizedRecord, normalizeReading } from "./records";

/**
 * The ingestion service: a source file (or posted JSON records) into a dataset, in one transaction.
 *
 *  1. the file's SHA-256: the same bytes already uploaded to the dataset are recognized and
 *     nothing is added (status "already-uploaded", the first upload's summary);
 *  2. the declared reader (CSV/NDJSON streamed; JSON, XLSX, PDF, image read whole within limits)
 *     and the declared mapping; rows are normalized and written in batches as they stream, so
 *     memory stays bounded by a batch whatever the file size;
 *  3. each accepted reading is unique per (sensor, parameter, instant) in its dataset: the same
 *     value again is a duplicate (counted, reported, not stored twice), a different value a
 *     conflict (quarantined with both locations); a reading outside the monitoring period or
 *     whose value cannot be normalized exactly is quarantined;
 *  4. quality flags over each series of the upload, totals per parameter, the upload summary.
 *
 * A file is rejected as a whole (MrvError FILE_REJECTED, nothing persisted) when it cannot be
 * read: not valid in its declared encoding, a mapped column missing, a structural break after
 * which the reader cannot go on (an unclosed quote, an enormous cell), a spreadsheet that would
 * expand beyond the budget, over the size limit, or no data rows at all.
 */

export const SOURCE_FORMATS = ["csv", "json", "ndjson", "xlsx", "pdf", "image"] as const;

export const IngestSourceSchema = z.discriminatedUnion("format", [
  z.object({ format: z.literal("csv"), csv: CsvOptionsSchema.partial().strict().default({}) }).strict(),
  z.object({ format: z.literal("json"), json: JsonOptionsSchema.partial().strict().default({}) }).strict(),
  z.object({ format: z.literal("ndjson") }).strict(),
  z.object({ format: z.literal("xlsx"), xlsx: XlsxOptionsSchema.partial().strict().default({}) }).strict(),
  z.object({ format: z.literal("pdf"), table: TextTableMappingSchema }).strict(),
  z.object({ format: z.literal("image"), table: TextTableMappingSchema }).strict(),
]);
export type IngestSource = z.input<typeof IngestSourceSchema>;

export interface IngestLimits {
  /** Largest source file, bytes. */
  readonly maxFileBytes: number;
  /** Largest CSV record, characters (an enormous cell stops the file). */
  readonly maxRecordChars: number;
  /** XLSX: largest total expansion of the archive, bytes, and the largest compression ratio of an entry. */
  readonly maxXlsxUncompressedBytes: number;
  readonly maxXlsxRatio: number;
  /** JSON documents, PDFs and images are read whole: the largest accepted. */
  readonly maxWholeFileBytes: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxFileBytes: 1024 * 1024 * 1024,
  maxRecordChars: 1_000_000,
  maxXlsxUncompressedBytes: DEFAULT_ZIP_BUDGET.maxUncompressedBytes,
  maxXlsxRatio: DEFAULT_ZIP_BUDGET.maxRatio,
  maxWholeFileBytes: 64 * 1024 * 1024,
};

export interface IngestProgress {
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly rows: number;
}

export interface IngestFileInput {
  readonly datasetId: string;
  readonly fileName: string;
  /** A file on disk (streamed) or bytes in memory. */
  readonly content: { readonly path: string } | { readonly bytes: Uint8Array };
  readonly source: IngestSource;
  readonly mapping: SourceMappingInput;
  /** Who uploads: a wallet address or a service name; recorded with the upload and in the audit log. */
  readonly actor: string;
  readonly onProgress?: (progress: IngestProgress) => void;
  /** Needed for format "image"; for "pdf" it reads scanned PDFs (no text layer) from their page images. */
  readonly ocr?: OcrEngine;
  readonly limits?: Partial<IngestLimits>;
  /** Set by ingestRecords: the "file" is readings posted as JSON. */
  readonly postedRecords?: boolean;
  /** Rows written per INSERT (default 2,000). */
  readonly batchSize?: number;
}

export interface SummaryRowError {
  readonly column: string;
  readonly expected: string;
  readonly got: string;
}

export interface UploadSummary {
  readonly status: "accepted" | "already-uploaded";
  readonly uploadId: number;
  readonly datasetId: string;
  readonly file: string;
  readonly sha256: string;
  readonly format: string;
  readonly bytes: number;
  readonly rows: number;
  readonly accepted: number;
  readonly quarantined: number;
  readonly duplicates: number;
  /** The first quarantined rows (all are stored: see quarantinedRows). */
  readonly quarantine: readonly { file: string; row: number; endRow?: number; page?: number; errors: readonly SummaryRowError[] }[];
  readonly duplicateRows: readonly { file: string; row: number; page?: number; sensorId: string; parameter: string; timestamp: string; firstSeen: { file: string; row: number } }[];
  readonly qualityFlags: { readonly count: number; readonly byKind: Partial<Record<QualityFlagKind, number>>; readonly flags: readonly (QualityFlag & { parameter: string })[] };
  /** Exact totals of the accepted readings per parameter, in the base unit. */
  readonly totals: readonly { parameter: string; unit: string; quantity: string; count: number }[];
  readonly firstReading?: string;
  readonly lastReading?: string;
}

/** How many of each list the summary carries. */
const SUMMARY_LIST_LIMIT = 100;
const RAW_LIMIT = 2000;
const READ_ERRORS = [SourceMappingError, JsonSourceError, XlsxSourceError, PdfSourceError, OcrError, ZipBudgetError];

function rejected(fileName: string, reason: string): MrvError {
  return new MrvError("FILE_REJECTED", `${fileName} was rejected, nothing was stored: ${reason}`);
}

/** Counts bytes for the progress callback. */
function byteCounter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

/** Fails the stream at the first byte sequence that is not UTF-8, with its offset. */
function utf8Validator(fileName: string): Transform {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        callback(utf8Error(fileName, chunk, offset));
        return;
      }
      offset += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      try {
        decoder.decode();
        callback();
      } catch {
        callback(rejected(fileName, `the file ends inside a UTF-8 character (byte ${offset}); declare its encoding (csv.encoding "latin1" or "utf16le") or re-export it as UTF-8`));
      }
    },
  });
}

function utf8Error(fileName: string, chunk: Buffer, chunkOffset: number): MrvError {
  let good = 0;
  for (let end = chunk.length; end > 0; end--) {
    if (Buffer.isEncoding("utf8") && isValidUtf8Prefix(chunk.subarray(0, end))) {
      good = end;
      break;
    }
  }
  return rejected(fileName, `not valid UTF-8 at byte ${chunkOffset + good} (0x${chunk.subarray(good, good + 4).toString("hex")}); declare its encoding (csv.encoding "latin1" or "utf16le") or re-export it as UTF-8`);
}

function isValidUtf8Prefix(bytes: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function assertUtf8(bytes: Uint8Array, fileName: string): void {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw utf8Error(fileName, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
  }
}

/** Passes source items on; a record after which the reader could not go on rejects the file. */
async function* stopOnUnreadable(items: AsyncIterable<SourceItem>, fileName: string): AsyncGenerator<SourceItem> {
  for await (const item of items) {
    if (item.kind === "malformed" && item.stopsReading === true) {
      throw rejected(fileName, `row ${item.row}: ${item.reason} (expected ${item.expected})`);
    }
    yield item;
  }
}

interface OpenedSource {
  readonly items: AsyncIterable<SourceItem>;
  readonly close: () => void;
}

async function readWhole(content: IngestFileInput["content"], fileName: string, limit: number, size: number): Promise<Uint8Array> {
  if (size > limit) throw rejected(fileName, `${size} bytes; files in this format are read whole and may be at most ${limit} bytes`);
  if ("bytes" in content) return content.bytes;
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(content.path)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function openSource(
  input: IngestFileInput,
  source: z.infer<typeof IngestSourceSchema>,
  size: number,
  limits: IngestLimits,
  onBytes: (n: number) => void,
): Promise<OpenedSource> {
  const { fileName, content } = input;
  const stream = (): Readable => ("bytes" in content ? Readable.from([Buffer.from(content.bytes)]) : createReadStream(content.path));
  switch (source.format) {
    case "csv": {
      const options = CsvOptionsSchema.parse({ ...source.csv, maxRecordSize: source.csv.maxRecordSize ?? limits.maxRecordChars });
      let piped = stream().pipe(byteCounter(onBytes));
      if (options.encoding === "utf8") piped = piped.pipe(utf8Validator(fileName));
      return { items: readCsvRows(piped, { ...options, fileName }), close: () => piped.destroy() };
    }
    case "ndjson": {
      const piped = stream().pipe(byteCounter(onBytes)).pipe(utf8Validator(fileName));
      return { items: readNdjsonRows(piped, { fileName }), close: () => piped.destroy() };
    }
    case "json": {
      const bytes = await readWhole(content, fileName, limits.maxWholeFileBytes, size);
      assertUtf8(bytes, fileName);
      onBytes(bytes.length);
      return { items: readJsonRows(bytes, { ...source.json, fileName }), close: () => undefined };
    }
    case "xlsx": {
      const bytes = await readWhole(content, fileName, Math.max(limits.maxWholeFileBytes, limits.maxFileBytes), size);
      checkZipBudget(bytes, fileName, { maxUncompressedBytes: limits.maxXlsxUncompressedBytes, maxRatio: limits.maxXlsxRatio, maxEntries: DEFAULT_ZIP_BUDGET.maxEntries });
      const piped = Readable.from([Buffer.from(bytes)]).pipe(byteCounter(onBytes));
      return { items: readXlsxRows(piped, { ...source.xlsx, fileName }), close: () => piped.destroy() };
    }
    case "pdf": {
      const bytes = await readWhole(content, fileName, limits.maxWholeFileBytes, size);
      onBytes(bytes.length);
      // with an OCR engine, a scanned PDF (no text layer) is read from its page images
      const items = input.ocr === undefined ? readPdfRows(bytes, { fileName, table: source.table }) : readPdfRowsWithOcr(bytes, { fileName, table: source.table, engine: input.ocr });
      return { items, close: () => undefined };
    }
    case "image": {
      if (input.ocr === undefined) throw new MrvError("INVALID_INPUT", "format image needs an OCR engine");
      const bytes = await readWhole(content, fileName, limits.maxWholeFileBytes, size);
      onBytes(bytes.length);
      return { items: readImageRows(bytes, { fileName, table: source.table, engine: input.ocr }), close: () => undefined };
    }
  }
}

interface PendingRecord {
  readonly record: NormalizedRecord;
  readonly timeMs: number;
}

interface UploadState {
  readonly uploadId: number;
  readonly dataset: Dataset;
  rows: number;
  accepted: number;
  quarantined: number;
  duplicates: number;
  readonly quarantineSample: UploadSummary["quarantine"][number][];
  readonly duplicateSample: UploadSummary["duplicateRows"][number][];
}

function keyOf(record: NormalizedRecord, timeMs: number): string {
  return `${record.sensorId}\u0000${record.parameter}\u0000${timeMs}`;
}

async function insertQuarantine(db: Queryable, state: UploadState, rows: readonly QuarantinedRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO mrv_quarantine (upload_id, file_name, row_number, end_row, page, raw, errors)
     SELECT $1, t.file_name, t.row_number, t.end_row, t.page, t.raw, t.errors::jsonb
     FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::text[], $7::text[]) AS t(file_name, row_number, end_row, page, raw, errors)`,
    [
      state.uploadId,
      rows.map((r) => r.file),
      rows.map((r) => r.row),
      rows.map((r) => r.endRow ?? null),
      rows.map((r) => r.page ?? null),
      rows.map((r) => r.raw.slice(0, RAW_LIMIT)),
      rows.map((r) => JSON.stringify(r.errors.map((e) => ({ column: e.column, expected: e.expected, got: e.got.slice(0, RAW_LIMIT) })))),
    ],
  );
  state.quarantined += rows.length;
  for (const r of rows) {
    if (state.quarantineSample.length >= SUMMARY_LIST_LIMIT) break;
    state.quarantineSample.push({
      file: r.file,
      row: r.row,
      ...(r.endRow === undefined ? {} : { endRow: r.endRow }),
      ...(r.page === undefined ? {} : { page: r.page }),
      errors: r.errors.map((e) => ({ column: e.column, expected: e.expected, got: e.got.slice(0, 500) })),
    });
  }
}

/** Writes a batch; readings already in the dataset become duplicates or conflicts. */
async function insertRecords(db: Queryable, state: UploadState, batch: readonly PendingRecord[]): Promise<QuarantinedRow[]> {
  if (batch.length === 0) return [];
  const sensors = batch.map((p) => p.record.sensorId);
  const parameters = batch.map((p) => p.record.parameter);
  const times = batch.map((p) => String(p.timeMs));
  const rowsOf = batch.map((p) => p.record.source.row);
  const pages = batch.map((p) => p.record.source.page ?? null);
  const { rows } = await db.query<{ inserted: number }>(
    `WITH input AS (
       SELECT * FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::int[])
         AS t(sensor_id, parameter, ts_ms, quantity, unit, measured_value, measured_unit, source_row, source_page)
     ), ins AS (
       INSERT INTO mrv_records (dataset_id, upload_id, sensor_id, parameter, ts_ms, quantity, unit, measured_value, measured_unit, source_row, source_page)
       SELECT $1, $2, sensor_id, parameter, ts_ms, quantity, unit, measured_value, measured_unit, source_row, source_page FROM input
       ON CONFLICT (dataset_id, sensor_id, parameter, ts_ms) DO NOTHING
       RETURNING 1
     )
     SELECT count(*)::int AS inserted FROM ins`,
    [
      state.dataset.id,
      state.uploadId,
      sensors,
      parameters,
      times,
      batch.map((p) => p.record.quantity),
      batch.map((p) => p.record.unit),
      batch.map((p) => p.record.measured.value),
      batch.map((p) => p.record.measured.unit),
      rowsOf,
      pages,
    ],
  );
  const inserted = rows[0].inserted;
  if (inserted === batch.length) {
    state.accepted += inserted;
    return [];
  }
  // Some readings were already in the dataset: find which, and what was there.
  const { rows: clashes } = await db.query<{ ord: number; quantity: string; unit: string; file_name: string; source_row: number }>(
    `SELECT t.ord, r.quantity, r.unit, u.file_name, r.source_row
     FROM unnest($2::text[], $3::text[], $4::bigint[], $5::int[], $6::int[], $7::int[]) AS t(sensor_id, parameter, ts_ms, source_row, source_page, ord)
     JOIN mrv_records r ON r.dataset_id = $1 AND r.sensor_id = t.sensor_id AND r.parameter = t.parameter AND r.ts_ms = t.ts_ms
     JOIN mrv_uploads u ON u.id = r.upload_id
     WHERE NOT (r.upload_id = $8 AND r.source_row = t.source_row AND r.source_page IS NOT DISTINCT FROM t.source_page)`,
    [state.dataset.id, sensors, parameters, times, rowsOf, pages, batch.map((_, i) => i), state.uploadId],
  );
  state.accepted += inserted;
  const conflicts: QuarantinedRow[] = [];
  for (const clash of clashes) {
    const pending = batch[clash.ord];
    const here = pending.record;
    if (clash.quantity === here.quantity && clash.unit === here.unit) {
      duplicate(state, here, { file: clash.file_name, row: clash.source_row });
    } else {
      conflicts.push(conflict(here, `${clash.quantity} ${clash.unit} (from ${clash.file_name} row ${clash.source_row})`));
    }
  }
  if (inserted + clashes.length !== batch.length) {
    throw new Error(`internal: ${batch.length} readings, ${inserted} inserted and ${clashes.length} already present`);
  }
  return conflicts;
}

function duplicate(state: UploadState, record: NormalizedRecord, firstSeen: { file: string; row: number }): void {
  state.duplicates += 1;
  if (state.duplicateSample.length < SUMMARY_LIST_LIMIT) {
    state.duplicateSample.push({
      file: record.source.file,
      row: record.source.row,
      ...(record.source.page === undefined ? {} : { page: record.source.page }),
      sensorId: record.sensorId,
      parameter: record.parameter,
      timestamp: record.timestamp,
      firstSeen,
    });
  }
}

function conflict(record: NormalizedRecord, existing: string): QuarantinedRow {
  const location = { file: record.source.file, row: record.source.row, ...(record.source.page === undefined ? {} : { page: record.source.page }) };
  return {
    ...location,
    raw: `${record.sensorId} ${record.parameter} ${record.timestamp} ${record.measured.value} ${record.measured.unit}`,
    errors: [
      {
        ...location,
        column: "(reading)",
        expected: `one value per sensor, parameter and time: the dataset already holds ${existing}`,
        got: `${record.quantity} ${record.unit}`,
      },
    ],
  };
}

function describeError(error: unknown): string {
  if (error instanceof z.ZodError) return error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  return (error as Error).message;
}

function periodBounds(dataset: Dataset): { from: number; until: number } {
  return { from: Date.parse(`${dataset.period.start}T00:00:00.000Z`), until: Date.parse(`${dataset.period.end}T00:00:00.000Z`) + 86_400_000 };
}

async function qualityFlagsOf(db: Queryable, state: UploadState): Promise<UploadSummary["qualityFlags"]> {
  const byKind: Partial<Record<QualityFlagKind, number>> = {};
  const flags: (QualityFlag & { parameter: string })[] = [];
  let count = 0;
  const { rows: series } = await db.query<{ sensor_id: string; parameter: string }>(
    `SELECT DISTINCT sensor_id, parameter FROM mrv_records WHERE upload_id = $1 ORDER BY sensor_id, parameter`,
    [state.uploadId],
  );
  for (const { sensor_id: sensorId, parameter } of series) {
    const { rows } = await db.query<{ ts_ms: string; quantity: string; unit: string; source_row: number }>(
      `SELECT ts_ms::text AS ts_ms, quantity, unit, source_row FROM mrv_records
       WHERE upload_id = $1 AND sensor_id = $2 AND parameter = $3 ORDER BY ts_ms`,
      [state.uploadId, sensorId, parameter],
    );
    const found = assessQuality(
      rows.map((r) => ({ row: r.source_row, timestamp: new Date(Number(r.ts_ms)), value: r.quantity, unit: r.unit, sensorId })),
      state.dataset.qualityRules,
    );
    for (const flag of found) {
      count += 1;
      byKind[flag.kind] = (byKind[flag.kind] ?? 0) + 1;
      if (flags.length < SUMMARY_LIST_LIMIT) flags.push({ ...flag, parameter });
    }
  }
  return { count, byKind, flags };
}

async function totalsOf(db: Queryable, uploadId: number): Promise<Pick<UploadSummary, "totals" | "firstReading" | "lastReading">> {
  const { rows } = await db.query<{ parameter: string; unit: string; count: string; total: string; first_ms: string; last_ms: string }>(
    `SELECT parameter, unit, count(*)::text AS count, sum(quantity::numeric)::text AS total, min(ts_ms)::text AS first_ms, max(ts_ms)::text AS last_ms
     FROM mrv_records WHERE upload_id = $1 GROUP BY parameter, unit ORDER BY parameter, unit`,
    [uploadId],
  );
  if (rows.length === 0) return { totals: [] };
  const first = Math.min(...rows.map((r) => Number(r.first_ms)));
  const last = Math.max(...rows.map((r) => Number(r.last_ms)));
  return {
    totals: rows.map((r) => ({ parameter: r.parameter, unit: r.unit, quantity: canonicalDecimalString(r.total), count: Number(r.count) })),
    firstReading: new Date(first).toISOString(),
    lastReading: new Date(last).toISOString(),
  };
}

/** Ingests one source file into an open dataset (see the module comment). */
export async function ingestFile(pool: pg.Pool, input: IngestFileInput): Promise<UploadSummary> {
  const datasetId = parseOrThrow(DatasetIdSchema, input.datasetId, "dataset id");
  const fileName = parseOrThrow(z.string().trim().min(1).max(500), input.fileName, "file name");
  const source = parseOrThrow(IngestSourceSchema, input.source, "source description");
  let mapping;
  try {
    mapping = parseSourceMapping(input.mapping);
  } catch (error) {
    throw new MrvError("INVALID_INPUT", (error as Error).message);
  }
  const actor = parseOrThrow(z.string().trim().min(1).max(200), input.actor, "actor");
  const limits: IngestLimits = { ...DEFAULT_INGEST_LIMITS, ...input.limits };
  const batchSize = input.batchSize ?? 2000;

  const size = "bytes" in input.content ? input.content.bytes.length : (await stat(input.content.path)).size;
  if (size > limits.maxFileBytes) throw rejected(fileName, `${size} bytes, more than the limit of ${limits.maxFileBytes}`);
  const sha256 = "bytes" in input.content ? sha256OfBytes(input.content.bytes) : await sha256OfFile(input.content.path);

  return withTransaction(pool, async (db) => {
    const dataset = await getDataset(db, datasetId, { forUpdate: true });
    const previous = await db.query<{ summary: UploadSummary }>(`SELECT summary FROM mrv_uploads WHERE dataset_id = $1 AND sha256 = $2`, [datasetId, sha256]);
    if (previous.rows.length > 0) return { ...previous.rows[0].summary, status: "already-uploaded" as const };
    if (dataset.status !== "open") throw new MrvError("DATASET_SEALED", `dataset ${datasetId} is sealed (root ${dataset.merkleRoot}); it takes no more data`);

    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO mrv_uploads (dataset_id, sha256, file_name, format, byte_size, mapping, accepted_count, quarantined_count, duplicate_count, summary, uploaded_by)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, 0, 0, 0, '{}'::jsonb, $7) RETURNING id::text AS id`,
      [datasetId, sha256, fileName, input.postedRecords === true ? "records" : source.format, size, JSON.stringify({ source, mapping }), actor],
    );
    const state: UploadState = { uploadId: Number(rows[0].id), dataset, rows: 0, accepted: 0, quarantined: 0, duplicates: 0, quarantineSample: [], duplicateSample: [] };
    const period = periodBounds(dataset);

    let bytesRead = 0;
    let lastReport = 0;
    const report = (force = false) => {
      if (input.onProgress === undefined) return;
      if (!force && state.rows - lastReport < 1000) return;
      lastReport = state.rows;
      input.onProgress({ bytesRead, totalBytes: size, rows: state.rows });
    };
    let opened: OpenedSource | undefined;
    try {
      opened = await openSource(input, source, size, limits, (n) => {
        bytesRead += n;
      });
      let batch: PendingRecord[] = [];
      let batchKeys = new Map<string, NormalizedRecord>();
      let quarantine: QuarantinedRow[] = [];
      const flush = async () => {
        quarantine.push(...(await insertRecords(db, state, batch)));
        await insertQuarantine(db, state, quarantine);
        batch = [];
        batchKeys = new Map();
        quarantine = [];
      };
      for await (const item of mapSourceRows(stopOnUnreadable(opened.items, fileName), mapping)) {
        state.rows += 1;
        if (item.kind === "quarantined") {
          quarantine.push(item.quarantined);
        } else {
          const reading = item.reading;
          const timeMs = reading.timestamp.getTime();
          const location = { file: reading.file, row: reading.row, ...(reading.page === undefined ? {} : { page: reading.page }) };
          if (timeMs < period.from || timeMs >= period.until) {
            quarantine.push({
              ...location,
              raw: `${reading.sensorId} ${reading.parameter} ${reading.timestamp.toISOString()} ${reading.value} ${reading.unit}`,
              errors: [{ ...location, column: "(timestamp)", expected: `a time within the monitoring period ${dataset.period.start}/${dataset.period.end} (UTC)`, got: reading.timestamp.toISOString() }],
            });
          } else {
            let record: NormalizedRecord | undefined;
            try {
              record = normalizeReading(reading, sha256);
            } catch (error) {
              quarantine.push({
                ...location,
                raw: `${reading.sensorId} ${reading.parameter} ${reading.timestamp.toISOString()} ${reading.value} ${reading.unit}`,
                errors: [{ ...location, column: "(record)", expected: "a reading that normalizes exactly (sensor and parameter up to 256 characters, value exact in the base unit)", got: describeError(error) }],
              });
            }
            if (record !== undefined) {
              const key = keyOf(record, timeMs);
              const earlier = batchKeys.get(key);
              if (earlier === undefined) {
                batchKeys.set(key, record);
                batch.push({ record, timeMs });
              } else if (earlier.quantity === record.quantity) {
                duplicate(state, record, { file: earlier.source.file, row: earlier.source.row });
              } else {
                quarantine.push(conflict(record, `${earlier.quantity} ${earlier.unit} (from ${earlier.source.file} row ${earlier.source.row})`));
              }
            }
          }
        }
        if (batch.length >= batchSize || quarantine.length >= batchSize) await flush();
        report();
      }
      await flush();
    } catch (error) {
      if (READ_ERRORS.some((type) => error instanceof type)) throw rejected(fileName, (error as Error).message);
      if (error instanceof TypeError && /encoded data was not valid/.test(error.message)) throw rejected(fileName, "not valid UTF-8");
      throw error;
    } finally {
      opened?.close();
    }
    report(true);
    if (state.rows === 0) throw rejected(fileName, "it contains no data rows");

    const qualityFlags = await qualityFlagsOf(db, state);
    const totals = await totalsOf(db, state.uploadId);
    const summary: UploadSummary = {
      status: "accepted",
      uploadId: state.uploadId,
      datasetId,
      file: fileName,
      sha256,
      format: source.format,
      bytes: size,
      rows: state.rows,
      accepted: state.accepted,
      quarantined: state.quarantined,
      duplicates: state.duplicates,
      quarantine: state.quarantineSample,
      duplicateRows: state.duplicateSample,
      qualityFlags,
      ...totals,
    };
    if (state.accepted + state.quarantined + state.duplicates !== state.rows) {
      throw new Error(`internal: ${state.rows} rows but ${state.accepted} accepted, ${state.quarantined} quarantined, ${state.duplicates} duplicates`);
    }
    await db.query(
      `UPDATE mrv_uploads SET accepted_count = $2, quarantined_count = $3, duplicate_count = $4, summary = $5::jsonb WHERE id = $1`,
      [state.uploadId, state.accepted, state.quarantined, state.duplicates, JSON.stringify(summary)],
    );
    await db.query(`UPDATE mrv_datasets SET record_count = record_count + $2 WHERE id = $1`, [datasetId, state.accepted]);
    await appendAuditEntry(db, {
      actor,
      action: "mrv.upload.accepted",
      subject: `mrv-dataset:${datasetId}`,
      details: { uploadId: state.uploadId, file: fileName, sha256, accepted: state.accepted, quarantined: state.quarantined, duplicates: state.duplicates },
    });
    return summary;
  });
}

/** A reading posted as JSON (API): the value is a decimal string, the timestamp ISO 8601 with an offset. */
export const PostedRecordSchema = z
  .object({
    sensorId: z.string().trim().min(1).max(256),
    parameter: z.string().trim().min(1).max(256),
    timestamp: z.iso.datetime({ offset: true }),
    value: z.string().trim().min(1).max(100),
    unit: z.string().trim().min(1).max(50),
  })
  .strict();
export type PostedRecord = z.infer<typeof PostedRecordSchema>;

export const PostedRecordsSchema = z.array(PostedRecordSchema).min(1).max(100_000);

const POSTED_MAPPING: SourceMappingInput = {
  timestamp: { column: "timestamp", format: "iso8601" },
  value: { column: "value" },
  unit: { column: "unit" },
  sensorId: { column: "sensorId" },
  parameter: { column: "parameter" },
};

/**
 * Ingests readings posted as JSON. Their canonical JSON (validated, in the posted order) is the
 * "file": the same records posted again are recognized by its hash.
 */
export async function ingestRecords(
  pool: pg.Pool,
  input: { datasetId: string; records: unknown; actor: string; label?: string },
): Promise<UploadSummary> {
  const records = parseOrThrow(PostedRecordsSchema, input.records, "records");
  const bytes = Buffer.from(JSON.stringify(records));
  return ingestFile(pool, {
    datasetId: input.datasetId,
    fileName: input.label ?? "(posted records)",
    content: { bytes },
    source: { format: "json" },
    mapping: POSTED_MAPPING,
    actor: input.actor,
    postedRecords: true,
  });
}
