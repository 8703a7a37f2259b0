import type Decimal from "decimal.js";
import { z } from "zod";
import { canonicalDecimalString, isDecimalLiteral, toDecimal } from "./decimal";
import type { Reading } from "./parsers/mapping";
import { BASE_UNIT, UNIT_SYMBOLS, type UnitSymbol, parseUnit, sumQuantities, toBaseUnitText, unitBySymbol } from "./units";

/**
 * The normalized record: one reading in its dimension's base unit (J, m3, kg; an exact
 * conversion), at a UTC instant with millisecond precision, with the value as measured and where
 * it came from. This is the shape that is stored, Merkle-rooted and summed.
 */

const canonicalDecimal = z
  .string()
  .refine((s) => isDecimalLiteral(s) && canonicalDecimalString(s) === s, { message: 'expected a canonical decimal string, e.g. "1234.5"' });

export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, "expected a lower-case hex SHA-256");

export const NormalizedRecordSchema = z
  .object({
    sensorId: z.string().min(1).max(256),
    parameter: z.string().min(1).max(256),
    /** UTC, millisecond precision: "2024-01-31T23:45:00.000Z". */
    timestamp: z.iso.datetime({ precision: 3 }),
    /** Value in `unit`, canonical decimal. */
    quantity: canonicalDecimal,
    unit: z.enum([BASE_UNIT.energy, BASE_UNIT.volume, BASE_UNIT.mass]),
    /** The value and unit as measured, before normalization. */
    measured: z.object({ value: canonicalDecimal, unit: z.enum(UNIT_SYMBOLS as [UnitSymbol, ...UnitSymbol[]]) }).strict(),
    source: z
      .object({
        file: z.string().min(1),
        sha256: Sha256HexSchema,
        row: z.number().int().nonnegative(),
        page: z.number().int().positive().optional(),
      })
      .strict(),
  })
  .strict();
export type NormalizedRecord = z.infer<typeof NormalizedRecordSchema>;

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** The instant formatted last: sensors reporting together share timestamps, row after row. */
let lastTime = Number.NaN;
let lastIso = "";

function isoOf(date: Date): string {
  const time = date.getTime();
  if (time !== lastTime) {
    lastIso = date.toISOString(); // throws a RangeError for an invalid date, as before
    lastTime = time;
  }
  return lastIso;
}

/** The content hash checked last: every record of a file carries the same one. */
let lastValidSha256 = "";

function isSha256Hex(text: string): boolean {
  if (!SHA256_HEX.test(text)) return false;
  lastValidSha256 = text;
  return true;
}
const MAX_NAME = 256;

/**
 * Normalizes an accepted reading; `sourceSha256` is the content hash of the file it came from.
 * The conversion into the base unit is exact (InexactArithmeticError for a value with more digits
 * than the precision can carry).
 *
 * Called once per accepted row, so the record is built on scaled integers (units.toBaseUnitText)
 * and checked field by field against what NormalizedRecordSchema requires; only a record that
 * fails a check goes through the schema, for its error.
 */
export function normalizeReading(reading: Reading, sourceSha256: string): NormalizedRecord {
  const unit = unitBySymbol(reading.unit) ?? parseUnit(reading.unit);
  const measuredValue = canonicalDecimalString(reading.value);
  const normalized = toBaseUnitText(measuredValue, unit.symbol, true);
  const timestamp = isoOf(reading.timestamp);
  const record: NormalizedRecord = {
    sensorId: reading.sensorId,
    parameter: reading.parameter,
    timestamp,
    quantity: normalized.quantity,
    unit: normalized.unit as NormalizedRecord["unit"],
    measured: { value: measuredValue, unit: unit.symbol },
    source: {
      file: reading.file,
      sha256: sourceSha256,
      row: reading.row,
      ...(reading.page === undefined ? {} : { page: reading.page }),
    },
  };
  const valid =
    reading.sensorId.length >= 1 && reading.sensorId.length <= MAX_NAME &&
    reading.parameter.length >= 1 && reading.parameter.length <= MAX_NAME &&
    // toISOString gives "+010000-..." or "-000001-..." outside years 0000-9999, which the schema refuses
    timestamp.length === 24 &&
    reading.file.length >= 1 &&
    (sourceSha256 === lastValidSha256 || isSha256Hex(sourceSha256)) &&
    Number.isSafeInteger(reading.row) && reading.row >= 0 &&
    (reading.page === undefined || (Number.isSafeInteger(reading.page) && reading.page > 0));
  return valid ? record : NormalizedRecordSchema.parse(record);
}

export interface RecordSelection {
  readonly parameter: string;
  readonly sensorIds?: readonly string[];
  /** Inclusive start and exclusive end, ISO 8601. */
  readonly from?: string;
  readonly until?: string;
}

/** Exact total of the selected records, expressed in `unit` (e.g. the "MWh" of EG_export). */
export function sumRecords(records: Iterable<NormalizedRecord>, selection: RecordSelection, unit: string): { value: Decimal; unit: UnitSymbol; count: number } {
  const from = selection.from === undefined ? undefined : Date.parse(selection.from);
  const until = selection.until === undefined ? undefined : Date.parse(selection.until);
  const sensors = selection.sensorIds === undefined ? undefined : new Set(selection.sensorIds);
  let count = 0;
  const selected = function* () {
    for (const record of records) {
      const time = Date.parse(record.timestamp);
      if (record.parameter !== selection.parameter) continue;
      if (sensors !== undefined && !sensors.has(record.sensorId)) continue;
      if ((from !== undefined && time < from) || (until !== undefined && time >= until)) continue;
      count += 1;
      yield { value: toDecimal(record.quantity), unit: record.unit };
    }
  };
  const total = sumQuantities(selected(), unit);
  return { ...total, count };
}
