import type { Queryable } from "../db/transaction";

/**
 * Storage of a dataset's accepted records (table mrv_record_chunks, migration 102): up to
 * CHUNK_RECORDS records a row, as columnar JSON, keyed by the position of the chunk's first record
 * in the dataset's record sequence. Writing a million readings is then a hundred inserts, not a
 * million index updates, and reading them back is a hundred JSON.parse calls.
 *
 * The sequence is the canonical Merkle order (merkle.ts) for every sealed dataset, and for an open
 * one while its readings arrived in that order (mrv_datasets.records_canonical): record i of a
 * sealed dataset is record i - first_index of the chunk with the largest first_index <= i.
 *
 * Chunk JSON, version 2 (written here): { v: 2, c: count, d: [strings], s, p, n, mu: [indexes into
 * d], u: [upload ids], t: [timestamps], q, mv: [strings], r: [source rows], g?: [pages] }, where
 * t and r hold the first value and then differences, and a column whose values are all equal
 * (one upload, one parameter, one unit) is that value instead of an array.
 * Version 1 (plain arrays per column, no dictionary, absolute timestamps; written by migration 102
 * when it moved the rows of mrv_records) is read too.
 */

export const CHUNK_RECORDS = 10_000;

/** One stored record, as the database holds it. */
export interface StoredRecord {
  readonly uploadId: number;
  readonly sensorId: string;
  readonly parameter: string;
  readonly timeMs: number;
  /** Canonical decimal in `unit`, the base unit. */
  readonly quantity: string;
  readonly unit: string;
  readonly measuredValue: string;
  readonly measuredUnit: string;
  readonly sourceRow: number;
  readonly sourcePage: number | null;
}

/** Records of one chunk, column by column. */
export interface RecordColumns {
  readonly uploadId: number[];
  readonly sensorId: string[];
  readonly parameter: string[];
  readonly timeMs: number[];
  readonly quantity: string[];
  readonly unit: string[];
  readonly measuredValue: string[];
  readonly measuredUnit: string[];
  readonly sourceRow: number[];
  readonly sourcePage: (number | null)[];
}

export function emptyColumns(): RecordColumns {
  return { uploadId: [], sensorId: [], parameter: [], timeMs: [], quantity: [], unit: [], measuredValue: [], measuredUnit: [], sourceRow: [], sourcePage: [] };
}

export function pushRecord(columns: RecordColumns, record: StoredRecord): void {
  columns.uploadId.push(record.uploadId);
  columns.sensorId.push(record.sensorId);
  columns.parameter.push(record.parameter);
  columns.timeMs.push(record.timeMs);
  columns.quantity.push(record.quantity);
  columns.unit.push(record.unit);
  columns.measuredValue.push(record.measuredValue);
  columns.measuredUnit.push(record.measuredUnit);
  columns.sourceRow.push(record.sourceRow);
  columns.sourcePage.push(record.sourcePage);
}

export function recordAt(columns: RecordColumns, i: number): StoredRecord {
  return {
    uploadId: columns.uploadId[i],
    sensorId: columns.sensorId[i],
    parameter: columns.parameter[i],
    timeMs: columns.timeMs[i],
    quantity: columns.quantity[i],
    unit: columns.unit[i],
    measuredValue: columns.measuredValue[i],
    measuredUnit: columns.measuredUnit[i],
    sourceRow: columns.sourceRow[i],
    sourcePage: columns.sourcePage[i],
  };
}

/** The columns of records from..to (a copy). */
export function sliceColumns(columns: RecordColumns, from: number, to: number): RecordColumns {
  return {
    uploadId: columns.uploadId.slice(from, to),
    sensorId: columns.sensorId.slice(from, to),
    parameter: columns.parameter.slice(from, to),
    timeMs: columns.timeMs.slice(from, to),
    quantity: columns.quantity.slice(from, to),
    unit: columns.unit.slice(from, to),
    measuredValue: columns.measuredValue.slice(from, to),
    measuredUnit: columns.measuredUnit.slice(from, to),
    sourceRow: columns.sourceRow.slice(from, to),
    sourcePage: columns.sourcePage.slice(from, to),
  };
}

class Dictionary {
  readonly words: string[] = [];
  private readonly index = new Map<string, number>();
  private lastWord: string | undefined;
  private lastIndex = -1;

  of(word: string): number {
    if (word === this.lastWord) return this.lastIndex;
    let i = this.index.get(word);
    if (i === undefined) {
      i = this.words.length;
      this.words.push(word);
      this.index.set(word, i);
    }
    this.lastWord = word;
    this.lastIndex = i;
    return i;
  }
}

/** A column whose values are all the same is stored as that one value. */
function packed<T>(values: readonly T[]): T | readonly T[] {
  const first = values[0];
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return values;
  return first;
}

function unpacked<T>(column: T | T[], n: number): T[] {
  return Array.isArray(column) ? column : new Array<T>(n).fill(column);
}

/** First value, then differences. */
function deltas(values: readonly number[]): number[] {
  const out = new Array<number>(values.length);
  let previous = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = values[i] - previous;
    previous = values[i];
  }
  return out;
}

function undeltas(values: readonly number[]): number[] {
  const out = new Array<number>(values.length);
  let value = 0;
  for (let i = 0; i < values.length; i++) {
    value += values[i];
    out[i] = value;
  }
  return out;
}

/** The chunk's JSON (version 2). */
export function encodeChunk(columns: RecordColumns): string {
  const dictionary = new Dictionary();
  const coded = (values: readonly string[]) => {
    const out = new Array<number>(values.length);
    for (let i = 0; i < values.length; i++) out[i] = dictionary.of(values[i]);
    return packed(out);
  };
  const s = coded(columns.sensorId);
  const p = coded(columns.parameter);
  const unit = coded(columns.unit);
  const mu = coded(columns.measuredUnit);
  const hasPage = columns.sourcePage.some((page) => page !== null);
  return JSON.stringify({
    v: 2,
    c: columns.timeMs.length,
    d: dictionary.words,
    u: packed(columns.uploadId),
    s,
    p,
    n: unit,
    mu,
    t: deltas(columns.timeMs),
    q: columns.quantity,
    mv: columns.measuredValue,
    r: deltas(columns.sourceRow),
    ...(hasPage ? { g: columns.sourcePage } : {}),
  });
}

interface ChunkJson {
  v: number;
  c?: number;
  d?: string[];
  u: number | number[];
  s: string | number | (string | number)[];
  p: string | number | (string | number)[];
  n: string | number | (string | number)[];
  mu: string | number | (string | number)[];
  t: number[];
  q: string[];
  mv: string[];
  r: number[];
  g?: (number | null)[];
}

export function decodeChunk(text: string, expectedCount: number): RecordColumns {
  const json = JSON.parse(text) as ChunkJson;
  const n = json.t.length;
  const check = (columns: readonly unknown[][]) => {
    if (n !== expectedCount || columns.some((column) => column.length !== n)) throw new Error(`internal: a record chunk does not hold the ${expectedCount} records it declares`);
  };
  if (json.v === 1) {
    const columns: RecordColumns = {
      uploadId: (json.u as number[]).map(Number),
      sensorId: json.s as string[],
      parameter: json.p as string[],
      timeMs: json.t.map(Number),
      quantity: json.q,
      unit: json.n as string[],
      measuredValue: json.mv,
      measuredUnit: json.mu as string[],
      sourceRow: json.r,
      sourcePage: json.g ?? new Array<null>(n).fill(null),
    };
    check(Object.values(columns) as unknown[][]);
    return columns;
  }
  if (json.v !== 2 || json.d === undefined) throw new Error(`internal: unknown record chunk version ${String(json.v)}`);
  const words = json.d;
  const word = (column: ChunkJson["s"]) => unpacked(column as number | number[], n).map((c) => words[c]);
  const columns: RecordColumns = {
    uploadId: unpacked(json.u, n),
    sensorId: word(json.s),
    parameter: word(json.p),
    timeMs: undeltas(json.t),
    quantity: json.q,
    unit: word(json.n),
    measuredValue: json.mv,
    measuredUnit: word(json.mu),
    sourceRow: undeltas(json.r),
    sourcePage: json.g ?? new Array<null>(n).fill(null),
  };
  check(Object.values(columns) as unknown[][]);
  return columns;
}

export async function insertChunk(db: Queryable, datasetId: string, firstIndex: number, columns: RecordColumns): Promise<void> {
  await db.query(`INSERT INTO mrv_record_chunks (dataset_id, first_index, record_count, records) VALUES ($1, $2, $3, $4)`, [
    datasetId,
    firstIndex,
    columns.timeMs.length,
    encodeChunk(columns),
  ]);
}

/** The dataset's chunks in sequence order, decoded one at a time. */
export async function* datasetChunks(db: Queryable, datasetId: string): AsyncGenerator<{ firstIndex: number; columns: RecordColumns }> {
  const { rows: chunks } = await db.query<{ first_index: string; record_count: number }>(
    `SELECT first_index::text AS first_index, record_count FROM mrv_record_chunks WHERE dataset_id = $1 ORDER BY first_index`,
    [datasetId],
  );
  for (const chunk of chunks) {
    const { rows } = await db.query<{ records: string }>(`SELECT records FROM mrv_record_chunks WHERE dataset_id = $1 AND first_index = $2`, [datasetId, chunk.first_index]);
    yield { firstIndex: Number(chunk.first_index), columns: decodeChunk(rows[0].records, chunk.record_count) };
  }
}

/** Record `index` of the dataset's sequence (undefined when there is none). */
export async function recordByIndex(db: Queryable, datasetId: string, index: number): Promise<StoredRecord | undefined> {
  const { rows } = await db.query<{ first_index: string; record_count: number; records: string }>(
    `SELECT first_index::text AS first_index, record_count, records FROM mrv_record_chunks
     WHERE dataset_id = $1 AND first_index <= $2 ORDER BY first_index DESC LIMIT 1`,
    [datasetId, index],
  );
  if (rows.length === 0) return undefined;
  const offset = index - Number(rows[0].first_index);
  if (offset >= rows[0].record_count) return undefined;
  return recordAt(decodeChunk(rows[0].records, rows[0].record_count), offset);
}

/** Canonical order of merkle.ts: time, then sensor, parameter, unit, quantity (code units). */
export function compareRecords(a: StoredRecord, b: StoredRecord): number {
  return a.timeMs - b.timeMs || compareText(a.sensorId, b.sensorId) || compareText(a.parameter, b.parameter) || compareText(a.unit, b.unit) || compareText(a.quantity, b.quantity);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
