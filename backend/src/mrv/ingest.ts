import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import type pg from "pg";
import { z } from "zod";
import { appendAuditEntry } from "../db/audit";
import { type Queryable, withTransaction } from "../db/transaction";
import { canonicalDecimalString } from "./decimal";
import { type Dataset, DatasetIdSchema, MrvError, getDataset, parseOrThrow } from "./dataset";
import { CsvOptionsSchema, readCsvRowBatches } from "./parsers/csv";
import { sha256OfBytes, sha256OfFile } from "./parsers/contentHash";
import { JsonOptionsSchema, JsonSourceError, readJsonRows, readNdjsonRows } from "./parsers/json";
import { type QuarantinedRow, type Reading, type SourceMappingInput, SourceMappingError, mapSourceRowBatches, parseSourceMapping } from "./parsers/mapping";
import { type OcrEngine, OcrError, readImageRows } from "./parsers/ocr";
import { PdfSourceError, readPdfRows } from "./parsers/pdf";
import { readPdfRowsWithOcr } from "./parsers/scannedPdf";
import { TextTableMappingSchema } from "./parsers/textTable";
import type { SourceItem } from "./parsers/types";
import { XlsxOptionsSchema, XlsxSourceError, readXlsxRows } from "./parsers/xlsx";
import { ZipBudgetError, checkZipBudget, DEFAULT_ZIP_BUDGET } from "./parsers/zipBudget";
import { hexToBytes32 } from "./merkleTree";
import { type KeptRoot, ParallelLeafHasher } from "./parallelLeafHasher";
import { type QualityFlag, type QualityFlagKind, type SeriesColumns, assessSeries } from "./quality";
import { CHUNK_RECORDS, type RecordColumns, compareText, datasetChunks, emptyColumns, insertChunk } from "./recordStore";
import { ScaledSum, formatScaledDecimal } from "./scaledDecimal";
import { type NormalizedRecord, normalizeReading } from "./records";

/**
 * The ingestion service: a source file (or posted JSON records) into a dataset, in one transaction.
 *
 *  1. the file's SHA-256: the same bytes already uploaded to the dataset are recognized and
 *     nothing is added (status "already-uploaded", the first upload's summary);
 *  2. the declared reader (CSV/NDJSON streamed; JSON, XLSX, PDF, image read whole within limits)
 *     and the declared mapping; rows are normalized as they stream and written in chunks of
 *     10,000 records (recordStore.ts), quarantined rows in batches;
 *  3. each accepted reading is unique per (sensor, parameter, instant) in its dataset: the same
 *     value again is a duplicate (counted, reported, not stored twice), a different value a
 *     conflict (quarantined with both locations); a reading outside the monitoring period or
 *     whose value cannot be normalized exactly is quarantined. While readings arrive in canonical
 *     order (time, sensor, parameter; the usual export of a logger) only the last one needs
 *     checking and leaf hashes are computed on a worker thread as chunks are written; otherwise
 *     every key of the dataset is indexed in memory (see RecordSink);
 *  4. quality flags over each series of the upload (kept in typed arrays: about 24 bytes a
 *     reading), exact totals per parameter, the upload summary.
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
  /** Quarantined rows written per INSERT (default 2,000); accepted records are written in chunks of recordStore.CHUNK_RECORDS. */
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

/** Passes batches of source items on; a record after which the reader could not go on rejects the file. */
async function* stopOnUnreadable(batches: AsyncIterable<SourceItem[]>, fileName: string): AsyncGenerator<SourceItem[]> {
  for await (const batch of batches) {
    for (const item of batch) {
      if (item.kind === "malformed" && item.stopsReading === true) {
        throw rejected(fileName, `row ${item.row}: ${item.reason} (expected ${item.expected})`);
      }
    }
    yield batch;
  }
}

/** Groups items into batches (readers that produce items one at a time). */
async function* inBatches(items: AsyncIterable<SourceItem>, size = 1000): AsyncGenerator<SourceItem[]> {
  let batch: SourceItem[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

interface OpenedSource {
  readonly batches: AsyncIterable<SourceItem[]>;
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
      return { batches: readCsvRowBatches(piped, { ...options, fileName }), close: () => piped.destroy() };
    }
    case "ndjson": {
      const piped = stream().pipe(byteCounter(onBytes)).pipe(utf8Validator(fileName));
      return { batches: inBatches(readNdjsonRows(piped, { fileName })), close: () => piped.destroy() };
    }
    case "json": {
      const bytes = await readWhole(content, fileName, limits.maxWholeFileBytes, size);
      assertUtf8(bytes, fileName);
      onBytes(bytes.length);
      return { batches: inBatches(readJsonRows(bytes, { ...source.json, fileName })), close: () => undefined };
    }
    case "xlsx": {
      const bytes = await readWhole(content, fileName, Math.max(limits.maxWholeFileBytes, limits.maxFileBytes), size);
      checkZipBudget(bytes, fileName, { maxUncompressedBytes: limits.maxXlsxUncompressedBytes, maxRatio: limits.maxXlsxRatio, maxEntries: DEFAULT_ZIP_BUDGET.maxEntries });
      const piped = Readable.from([Buffer.from(bytes)]).pipe(byteCounter(onBytes));
      return { batches: inBatches(readXlsxRows(piped, { ...source.xlsx, fileName })), close: () => piped.destroy() };
    }
    case "pdf": {
      const bytes = await readWhole(content, fileName, limits.maxWholeFileBytes, size);
      onBytes(bytes.length);
      // with an OCR engine, a scanned PDF (no text layer) is read from its page images
      const items = input.ocr === undefined ? readPdfRows(bytes, { fileName, table: source.table }) : readPdfRowsWithOcr(bytes, { fileName, table: source.table, engine: input.ocr });
      return { batches: inBatches(items), close: () => undefined };
    }
    case "image": {
      if (input.ocr === undefined) throw new MrvError("INVALID_INPUT", "format image needs an OCR engine");
      const bytes = await readWhole(content, fileName, limits.maxWholeFileBytes, size);
      onBytes(bytes.length);
      return { batches: inBatches(readImageRows(bytes, { fileName, table: source.table, engine: input.ocr })), close: () => undefined };
    }
  }
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

/** A reading already accepted (in this upload or an earlier one), for duplicate and conflict reports. */
interface KnownReading {
  readonly quantity: string;
  readonly unit: string;
  readonly file: string;
  readonly row: number;
}

/** The dataset's record sequence as far as it is stored: its size, whether canonical, its last key. */
interface SequenceState {
  readonly recordCount: number;
  readonly canonical: boolean;
  readonly last: { timeMs: number; sensorId: string; parameter: string } | undefined;
}

async function sequenceStateOf(db: Queryable, datasetId: string): Promise<SequenceState> {
  const { rows } = await db.query<{ record_count: string; records_canonical: boolean; last_ts_ms: string | null; last_sensor_id: string | null; last_parameter: string | null }>(
    `SELECT record_count::text AS record_count, records_canonical, last_ts_ms::text AS last_ts_ms, last_sensor_id, last_parameter FROM mrv_datasets WHERE id = $1`,
    [datasetId],
  );
  const row = rows[0];
  return {
    recordCount: Number(row.record_count),
    canonical: row.records_canonical,
    last: row.last_ts_ms === null || row.last_sensor_id === null || row.last_parameter === null ? undefined : { timeMs: Number(row.last_ts_ms), sensorId: row.last_sensor_id, parameter: row.last_parameter },
  };
}

/**
 * One (sensor, parameter) series of the upload, for the quality flags: rows and times in typed
 * arrays, values as numbers while every value is an integer of up to 15 digits (joules usually
 * are), as strings from the first one that is not. A million readings then cost the garbage
 * collector next to nothing to keep.
 */
class SeriesPoints {
  private size = 0;
  /** Source rows: 32-bit while they fit (a file of up to 4 GB), doubles after. */
  private rows: Uint32Array | Float64Array = new Uint32Array(1024);
  private times: Float64Array = new Float64Array(1024);
  private numbers: Float64Array | undefined = new Float64Array(1024);
  private texts: string[] | undefined;
  private readonly units: string[] = [];
  private unit: string | undefined;

  constructor(
    readonly sensorId: string,
    readonly parameter: string,
  ) {}

  add(row: number, timeMs: number, quantity: string, unit: string): void {
    if (this.size === this.rows.length) {
      this.rows = grow(this.rows);
      this.times = grow(this.times);
      if (this.numbers !== undefined) this.numbers = grow(this.numbers);
    }
    const i = this.size;
    if (row > 0xffffffff && this.rows instanceof Uint32Array) this.rows = Float64Array.from(this.rows);
    this.rows[i] = row;
    this.times[i] = timeMs;
    if (this.numbers !== undefined && quantity.length <= 16 && SMALL_INTEGER.test(quantity)) {
      this.numbers[i] = Number(quantity);
    } else {
      if (this.texts === undefined) {
        const numbers = this.numbers as Float64Array;
        this.texts = Array.from(numbers.subarray(0, i), String);
        this.numbers = undefined;
      }
      this.texts.push(quantity);
    }
    if (this.unit === undefined) this.unit = unit;
    if (unit !== this.unit || this.units.length > 0) {
      while (this.units.length < i) this.units.push(this.unit);
      this.units.push(unit);
    }
    this.size += 1;
  }

  columns(): SeriesColumns {
    const n = this.size;
    const unit = this.unit as string;
    return {
      rows: this.rows.subarray(0, n),
      times: this.times.subarray(0, n),
      values: this.texts ?? (this.numbers as Float64Array).subarray(0, n),
      units: this.units.length > 0 ? this.units : new Array<string>(n).fill(unit),
    };
  }
}

const SMALL_INTEGER = /^-?[0-9]{1,15}$/;

function grow<T extends Float64Array | Uint32Array>(array: T): T {
  const grown = new (array.constructor as new (length: number) => T)(array.length * 2);
  grown.set(array);
  return grown;
}

interface ParameterTotal {
  readonly parameter: string;
  readonly unit: string;
  readonly sum: ScaledSum;
  count: number;
}

/** Leaf hashing starts with the first full chunk: smaller uploads are hashed when the dataset is sealed. */
const SMALL_UPLOAD = CHUNK_RECORDS;

/**
 * Where accepted readings go: chunks of the dataset's record sequence (recordStore.ts), written as
 * they fill. While the readings extend the stored sequence in canonical order (each key above the
 * last), a reading can only repeat the one just before it, and leaf hashes are computed on a worker
 * thread as chunks are written (index = position). The first reading that does not extend the
 * sequence switches to an index of every key of the dataset (read back from its chunks): the
 * sequence is no longer canonical, and sealing sorts and hashes it.
 */
class RecordSink {
  private pending: RecordColumns = emptyColumns();
  private nextIndex: number;
  private canonical: boolean;
  /** The last key of the sequence: from an earlier upload (`last`), or the last record of this one. */
  private last: { timeMs: number; sensorId: string; parameter: string } | undefined;
  private lastRecord: NormalizedRecord | undefined;
  private lastTimeMs = 0;
  private keys: Map<string, KnownReading> | undefined;
  private hasher: ParallelLeafHasher | undefined;
  /** The root the worker is computing over records 0..records-1 (see finishRoot). */
  private root: { records: number; root: Promise<KeptRoot> } | undefined;
  /** first_index and size of each chunk whose leaves were hashed, in order. */
  private readonly hashedChunks: { firstIndex: number; count: number }[] = [];
  private readonly datasetIdBytes: Buffer;
  readonly series: SeriesPoints[] = [];
  private readonly seriesByParameter = new Map<string, Map<string, SeriesPoints>>();
  /** Per parameter and unit (a handful: a list, with the last one used at hand). */
  readonly totals: ParameterTotal[] = [];
  private lastTotal: ParameterTotal | undefined;
  firstMs = Number.POSITIVE_INFINITY;
  lastMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Queryable,
    private readonly state: UploadState,
    private readonly fileName: string,
    sequence: SequenceState,
  ) {
    this.nextIndex = sequence.recordCount;
    this.canonical = sequence.canonical;
    this.last = sequence.last;
    this.datasetIdBytes = hexToBytes32(state.dataset.id);
  }

  /**
   * Accepts a normalized reading: stored, a duplicate (counted) or a conflict (returned, to
   * quarantine). A promise (to await before the next reading) only when a chunk is written or the
   * index is built.
   */
  add(record: NormalizedRecord, timeMs: number): QuarantinedRow | undefined | Promise<QuarantinedRow | undefined> {
    if (this.keys === undefined) {
      const lastRecord = this.lastRecord;
      const last = this.last;
      const order =
        lastRecord !== undefined
          ? timeMs - this.lastTimeMs || compareText(record.sensorId, lastRecord.sensorId) || compareText(record.parameter, lastRecord.parameter)
          : last !== undefined
            ? timeMs - last.timeMs || compareText(record.sensorId, last.sensorId) || compareText(record.parameter, last.parameter)
            : 1;
      if (order > 0 && this.canonical) {
        // the last key is kept as the record itself (no object per reading)
        this.last = undefined;
        this.lastRecord = record;
        this.lastTimeMs = timeMs;
        return this.append(record, timeMs);
      }
      if (order === 0 && this.lastRecord !== undefined) return this.repeated(record, knownOf(this.lastRecord));
      return this.switchToIndex().then(() => this.addIndexed(record, timeMs));
    }
    return this.addIndexed(record, timeMs);
  }

  private addIndexed(record: NormalizedRecord, timeMs: number): QuarantinedRow | undefined | Promise<undefined> {
    const keys = this.keys as Map<string, KnownReading>;
    const key = keyOf(record.sensorId, record.parameter, timeMs);
    const earlier = keys.get(key);
    if (earlier !== undefined) return this.repeated(record, earlier);
    keys.set(key, knownOf(record));
    return this.append(record, timeMs);
  }

  private repeated(record: NormalizedRecord, earlier: KnownReading): QuarantinedRow | undefined {
    if (earlier.quantity === record.quantity && earlier.unit === record.unit) {
      duplicate(this.state, record, { file: earlier.file, row: earlier.row });
      return undefined;
    }
    return conflict(record, `${earlier.quantity} ${earlier.unit} (from ${earlier.file} row ${earlier.row})`);
  }

  /** Adds the reading to the pending chunk; a promise when the chunk is full and being written. */
  private append(record: NormalizedRecord, timeMs: number): Promise<undefined> | undefined {
    const page = record.source.page ?? null;
    const columns = this.pending;
    columns.uploadId.push(this.state.uploadId);
    columns.sensorId.push(record.sensorId);
    columns.parameter.push(record.parameter);
    columns.timeMs.push(timeMs);
    columns.quantity.push(record.quantity);
    columns.unit.push(record.unit);
    columns.measuredValue.push(record.measured.value);
    columns.measuredUnit.push(record.measured.unit);
    columns.sourceRow.push(record.source.row);
    columns.sourcePage.push(page);
    this.state.accepted += 1;

    // nested maps: no key string to build per reading
    let bySensor = this.seriesByParameter.get(record.parameter);
    if (bySensor === undefined) {
      bySensor = new Map();
      this.seriesByParameter.set(record.parameter, bySensor);
    }
    let series = bySensor.get(record.sensorId);
    if (series === undefined) {
      series = new SeriesPoints(record.sensorId, record.parameter);
      bySensor.set(record.sensorId, series);
      this.series.push(series);
    }
    series.add(record.source.row, timeMs, record.quantity, record.unit);

    let total = this.lastTotal;
    if (total === undefined || total.parameter !== record.parameter || total.unit !== record.unit) {
      total = this.totals.find((t) => t.parameter === record.parameter && t.unit === record.unit);
      if (total === undefined) {
        total = { parameter: record.parameter, unit: record.unit, sum: new ScaledSum(), count: 0 };
        this.totals.push(total);
      }
      this.lastTotal = total;
    }
    total.sum.addText(record.quantity);
    total.count += 1;
    if (timeMs < this.firstMs) this.firstMs = timeMs;
    if (timeMs > this.lastMs) this.lastMs = timeMs;

    if (columns.timeMs.length >= CHUNK_RECORDS) return this.flush().then(() => undefined);
    return undefined;
  }

  private async flush(): Promise<void> {
    const columns = this.pending;
    const count = columns.timeMs.length;
    if (count === 0) return;
    this.pending = emptyColumns();
    const firstIndex = this.nextIndex;
    this.nextIndex += count;
    if (this.canonical && this.keys === undefined && (this.hasher !== undefined || count >= SMALL_UPLOAD)) {
      // the first records of the dataset: the worker keeps their hashes for the root (see finishRoot)
      this.hasher ??= new ParallelLeafHasher(this.datasetIdBytes, 1, { keep: false, rootOnWorker: firstIndex === 0 });
      const wait = this.hasher.addColumns(firstIndex, columns);
      if (wait !== undefined) await wait;
      this.hashedChunks.push({ firstIndex, count });
      await this.writeLeafHashes();
    }
    await insertChunk(this.db, this.state.dataset.id, firstIndex, columns);
  }

  /** Writes the leaf hashes that came back from the worker: one batch per hashed chunk, in order. */
  private async writeLeafHashes(): Promise<void> {
    if (this.hasher === undefined) return;
    for (const hashes of this.hasher.takeHashes()) {
      const chunk = this.hashedChunks.shift();
      if (chunk === undefined || hashes.length !== chunk.count * 32) throw new Error("internal: leaf hashes do not match their record chunk");
      await this.db.query(`INSERT INTO mrv_leaf_chunks (dataset_id, first_index, hashes) VALUES ($1, $2, $3)`, [this.state.dataset.id, chunk.firstIndex, Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength)]);
      // written: the worker reuses the buffer for a later chunk
      this.hasher.recycle(hashes);
    }
  }

  /** Builds the index of every key of the dataset: its stored chunks (this upload's too) and the pending records. */
  private async switchToIndex(): Promise<void> {
    this.canonical = false;
    await this.stopHashing();
    const keys = new Map<string, KnownReading>();
    const { rows } = await this.db.query<{ id: string; file_name: string }>(`SELECT id::text AS id, file_name FROM mrv_uploads WHERE dataset_id = $1`, [this.state.dataset.id]);
    const files = new Map(rows.map((r) => [Number(r.id), r.file_name]));
    const addAll = (columns: RecordColumns) => {
      for (let i = 0; i < columns.timeMs.length; i++) {
        keys.set(keyOf(columns.sensorId[i], columns.parameter[i], columns.timeMs[i]), {
          quantity: columns.quantity[i],
          unit: columns.unit[i],
          file: files.get(columns.uploadId[i]) ?? this.fileName,
          row: columns.sourceRow[i],
        });
      }
    };
    for await (const chunk of datasetChunks(this.db, this.state.dataset.id)) addAll(chunk.columns);
    addAll(this.pending);
    this.keys = keys;
  }

  private async stopHashing(): Promise<void> {
    const hasher = this.hasher;
    this.hasher = undefined;
    this.hashedChunks.length = 0;
    await hasher?.close();
  }

  /** Writes what is pending, the leaf hashes, and the dataset's new sequence state. */
  async finish(): Promise<void> {
    await this.flush();
    if (this.hasher !== undefined) {
      await this.hasher.drain();
      await this.writeLeafHashes();
      if (this.hashedChunks.length > 0) throw new Error("internal: record chunks left without leaf hashes");
      if (this.hasher.rootOnWorker) {
        // every record of the dataset so far was hashed by this worker: it builds their tree now,
        // while this thread goes on with the quality flags (finishRoot collects it)
        this.root = { records: this.nextIndex, root: this.hasher.rootOfKept() };
        this.root.root.catch(() => undefined);
      } else {
        await this.hasher.finish();
        this.hasher = undefined;
      }
    }
    const last = !this.canonical ? undefined : this.lastRecord === undefined ? this.last : { timeMs: this.lastTimeMs, sensorId: this.lastRecord.sensorId, parameter: this.lastRecord.parameter };
    await this.db.query(
      `UPDATE mrv_datasets SET record_count = record_count + $2, records_canonical = $3,
         last_ts_ms = COALESCE($4, last_ts_ms), last_sensor_id = COALESCE($5, last_sensor_id), last_parameter = COALESCE($6, last_parameter)
       WHERE id = $1`,
      [this.state.dataset.id, this.state.accepted, this.canonical, last?.timeMs ?? null, last?.sensorId ?? null, last?.parameter ?? null],
    );
  }

  /**
   * Writes the Merkle root the worker computed over the leaf hashes of records 0..n-1 (the whole
   * dataset: this upload was its first), in this transaction with the records and their leaf
   * hashes, so that sealing a dataset of one upload needs no second pass over its leaves.
   */
  async finishRoot(): Promise<void> {
    const pending = this.root;
    if (pending === undefined) return;
    this.root = undefined;
    const { root, count } = await pending.root;
    if (root === null || count !== pending.records) throw new Error(`internal: the leaf worker rooted ${count} leaves, the dataset has ${pending.records} records`);
    await this.db.query(`UPDATE mrv_datasets SET leaf_root = $2, leaf_root_count = $3 WHERE id = $1`, [this.state.dataset.id, `0x${Buffer.from(root).toString("hex")}`, count]);
    await this.stopHashing();
  }

  /** Stops the hashing worker (after a failure too). */
  async close(): Promise<void> {
    await this.stopHashing();
  }
}

function knownOf(record: NormalizedRecord): KnownReading {
  return { quantity: record.quantity, unit: record.unit, file: record.source.file, row: record.source.row };
}

function keyOf(sensorId: string, parameter: string, timeMs: number): string {
  return `${sensorId}\u0000${parameter}\u0000${timeMs}`;
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

/** Where a reading came from (made only for a quarantined reading, not for every row). */
function locationOf(reading: Reading): { file: string; row: number; page?: number } {
  return { file: reading.file, row: reading.row, ...(reading.page === undefined ? {} : { page: reading.page }) };
}

function describeError(error: unknown): string {
  if (error instanceof z.ZodError) return error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  return (error as Error).message;
}

function periodBounds(dataset: Dataset): { from: number; until: number } {
  return { from: Date.parse(`${dataset.period.start}T00:00:00.000Z`), until: Date.parse(`${dataset.period.end}T00:00:00.000Z`) + 86_400_000 };
}

/** Quality flags over each series (sensor, parameter) of the upload's accepted readings, in time order. */
function qualityFlagsOf(sink: RecordSink, rules: Dataset["qualityRules"]): UploadSummary["qualityFlags"] {
  const byKind: Partial<Record<QualityFlagKind, number>> = {};
  const flags: (QualityFlag & { parameter: string })[] = [];
  let count = 0;
  const series = [...sink.series].sort((a, b) => compareText(a.sensorId, b.sensorId) || compareText(a.parameter, b.parameter));
  for (const s of series) {
    for (const flag of assessSeries(s.sensorId, s.columns(), rules)) {
      count += 1;
      byKind[flag.kind] = (byKind[flag.kind] ?? 0) + 1;
      if (flags.length < SUMMARY_LIST_LIMIT) flags.push({ ...flag, parameter: s.parameter });
    }
  }
  return { count, byKind, flags };
}

function totalsOf(sink: RecordSink): Pick<UploadSummary, "totals" | "firstReading" | "lastReading"> {
  if (sink.totals.length === 0) return { totals: [] };
  const totals = [...sink.totals].sort((a, b) => compareText(a.parameter, b.parameter) || compareText(a.unit, b.unit));
  return {
    totals: totals.map((t) => ({ parameter: t.parameter, unit: t.unit, quantity: canonicalDecimalString(formatScaledDecimal(t.sum.value)), count: t.count })),
    firstReading: new Date(sink.firstMs).toISOString(),
    lastReading: new Date(sink.lastMs).toISOString(),
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
  const quarantineBatch = input.batchSize ?? 2000;

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
    const sink = new RecordSink(db, state, fileName, await sequenceStateOf(db, datasetId));
    try {
      try {
        opened = await openSource(input, source, size, limits, (n) => {
          bytesRead += n;
        });
        let quarantine: QuarantinedRow[] = [];
        for await (const items of mapSourceRowBatches(stopOnUnreadable(opened.batches, fileName), mapping)) {
          for (const item of items) {
            state.rows += 1;
            if (item.kind === "quarantined") {
              quarantine.push(item.quarantined);
            } else {
              const reading = item.reading;
              const timeMs = reading.timestamp.getTime();
              if (timeMs < period.from || timeMs >= period.until) {
                const location = locationOf(reading);
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
                  const location = locationOf(reading);
                  quarantine.push({
                    ...location,
                    raw: `${reading.sensorId} ${reading.parameter} ${reading.timestamp.toISOString()} ${reading.value} ${reading.unit}`,
                    errors: [{ ...location, column: "(record)", expected: "a reading that normalizes exactly (sensor and parameter up to 256 characters, value exact in the base unit)", got: describeError(error) }],
                  });
                }
                if (record !== undefined) {
                  // a promise only when the sink writes (a full chunk) or builds its index: no await per row
                  let clash = sink.add(record, timeMs);
                  if (clash instanceof Promise) clash = await clash;
                  if (clash !== undefined) quarantine.push(clash);
                }
              }
            }
            if (quarantine.length >= quarantineBatch) {
              await insertQuarantine(db, state, quarantine);
              quarantine = [];
            }
          }
          report();
        }
        await insertQuarantine(db, state, quarantine);
        await sink.finish();
      } catch (error) {
        if (READ_ERRORS.some((type) => error instanceof type)) throw rejected(fileName, (error as Error).message);
        if (error instanceof TypeError && /encoded data was not valid/.test(error.message)) throw rejected(fileName, "not valid UTF-8");
        throw error;
      } finally {
        opened?.close();
      }
      report(true);
      if (state.rows === 0) throw rejected(fileName, "it contains no data rows");

      const qualityFlags = qualityFlagsOf(sink, dataset.qualityRules);
      const totals = totalsOf(sink);
      await sink.finishRoot();
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
      await appendAuditEntry(db, {
        actor,
        action: "mrv.upload.accepted",
        subject: `mrv-dataset:${datasetId}`,
        details: { uploadId: state.uploadId, file: fileName, sha256, accepted: state.accepted, quarantined: state.quarantined, duplicates: state.duplicates },
      });
      return summary;
    } finally {
      await sink.close();
    }
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
