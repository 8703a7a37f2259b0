import type Decimal from "decimal.js";
import { z } from "zod";
import { Dec, decimalString, positiveDecimalString, toDecimal, toDecimalString } from "./decimal";
import { convert, parseUnit } from "./units";

/**
 * Data-quality flags on a time series of readings. Nothing is removed or corrected here: each
 * finding is a flag with its kind, where it is (row, timestamp, sensor) and a sentence saying why.
 *
 *  - gap: consecutive readings of a sensor further apart than expectedInterval × tolerance;
 *  - duplicate: a second reading for the same sensor and timestamp (same or conflicting value);
 *  - negative / out-of-range: below zero (unless allowed), or outside declared bounds;
 *  - jump: a sudden change between consecutive readings (sensor drift or a fault), by a robust
 *    rule: |Δ − median(Δ)| > k × MAD over the previous `window` changes (Δ, not the level, so a
 *    cumulative meter's steady increments are normal), and/or by a ratio to the previous value;
 *  - unit-mismatch: a reading whose unit cannot be compared with the sensor's other readings.
 */

export interface QualityReading {
  readonly row: number;
  readonly timestamp: Date;
  readonly value: string | Decimal;
  readonly unit: string;
  readonly sensorId?: string;
}

export type QualityFlagKind = "gap" | "duplicate" | "negative" | "out-of-range" | "jump" | "unit-mismatch";

export interface QualityFlag {
  readonly kind: QualityFlagKind;
  readonly sensorId: string;
  readonly row: number;
  /** ISO 8601, UTC. */
  readonly timestamp: string;
  /** The other reading the finding is about: the one before a gap or jump, the first of duplicates. */
  readonly relatedRow?: number;
  readonly explanation: string;
}

export const QualityRulesSchema = z.object({
  /** Expected spacing of a sensor's readings; gap checks run only when it is given. */
  expectedIntervalMs: z.number().int().positive().optional(),
  /** A gap is an interval longer than expectedIntervalMs × gapTolerance. */
  gapTolerance: positiveDecimalString.default("1.5"),
  allowNegative: z.boolean().default(false),
  bounds: z
    .object({ min: decimalString.optional(), max: decimalString.optional(), unit: z.string().min(1) })
    .refine((b) => b.min === undefined || b.max === undefined || new Dec(b.min).lte(b.max), { message: "min is above max" })
    .optional(),
  jump: z
    .object({
      /** How many previous changes the rolling median / MAD is taken over. */
      window: z.number().int().min(3).default(12),
      /** The rule starts once this many changes are in the window. */
      minSamples: z.number().int().min(3).default(5),
      /** Threshold in MADs. */
      k: positiveDecimalString.default("6"),
      /** Changes no larger than this (in the sensor's unit) are never flagged, whatever the MAD. */
      minAbsoluteChange: decimalString.default("0"),
      /** Also flag |Δ| > maxRatio × |previous value|, e.g. "0.5" for a 50 % step. */
      maxRatio: positiveDecimalString.optional(),
    })
    .optional(),
});
export type QualityRules = z.input<typeof QualityRulesSchema>;
type ParsedRules = z.infer<typeof QualityRulesSchema>;

/**
 * A reading in the sensor's reference unit. Called for every reading of an upload, so what only
 * a flag needs is computed on demand: the ISO time, and the Decimal value of a plain decimal
 * string already in the reference unit (most checks never look at it).
 */
class Point {
  private decimal: Decimal | undefined;
  private isoText: string | undefined;

  constructor(
    readonly row: number,
    readonly time: number,
    /** A plain decimal string (/^[+-]?\d+(\.\d+)?$/), a safe integer, or the value as a Decimal. */
    private readonly raw: string | number | Decimal,
  ) {
    if (typeof raw === "object") this.decimal = raw;
  }

  get value(): Decimal {
    this.decimal ??= toDecimal(typeof this.raw === "number" ? String(this.raw) : this.raw);
    return this.decimal;
  }

  get iso(): string {
    this.isoText ??= new Date(this.time).toISOString();
    return this.isoText;
  }

  /** Below zero (a negative zero is not). */
  isNegative(): boolean {
    return isNegativeValue(this.raw);
  }
}

/** Whether a reading's value (a plain decimal string, a safe integer or a Decimal) is below zero; a negative zero is not. */
function isNegativeValue(raw: string | number | Decimal): boolean {
  if (typeof raw === "number") return raw < 0;
  if (typeof raw === "string") return raw.startsWith("-") && /[1-9]/.test(raw);
  return raw.isNegative() && !raw.isZero();
}

const PLAIN_DECIMAL = /^[+-]?\d+(?:\.\d+)?$/;

const NO_SENSOR = "";

function sensorLabel(sensorId: string): string {
  return sensorId === NO_SENSOR ? "(no sensor id)" : JSON.stringify(sensorId);
}

function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1000, "s"],
  ];
  for (const [size, name] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${name}`;
  return `${ms} ms`;
}

function median(sorted: readonly Decimal[]): Decimal {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : sorted[middle - 1].plus(sorted[middle]).div(2);
}

function sortDecimals(values: readonly Decimal[]): Decimal[] {
  return [...values].sort((a, b) => a.comparedTo(b));
}

/** Assesses a series of readings; returns the flags ordered by row, then kind. */
export function assessQuality(readings: Iterable<QualityReading>, rules: QualityRules = {}): QualityFlag[] {
  const parsed = QualityRulesSchema.parse(rules);
  const flags: QualityFlag[] = [];
  const bySensor = new Map<string, QualityReading[]>();
  for (const reading of readings) {
    const sensorId = reading.sensorId ?? NO_SENSOR;
    const series = bySensor.get(sensorId) ?? [];
    series.push(reading);
    bySensor.set(sensorId, series);
  }
  for (const [sensorId, series] of bySensor) flags.push(...assessSensor(sensorId, columnsOf(series), parsed));
  return flags.sort((a, b) => a.row - b.row || a.kind.localeCompare(b.kind));
}

/** One sensor's readings as columns: row, UTC milliseconds, value (a number only if a safe integer) and unit of reading i. */
export interface SeriesColumns {
  readonly rows: ArrayLike<number>;
  readonly times: ArrayLike<number>;
  readonly values: ArrayLike<string | number | Decimal>;
  readonly units: ArrayLike<string>;
}

/** assessQuality for the readings of one sensor given as columns (no Date or reading object per reading). */
export function assessSeries(sensorId: string, series: SeriesColumns, rules: QualityRules = {}): QualityFlag[] {
  return assessSensor(sensorId, series, QualityRulesSchema.parse(rules)).sort((a, b) => a.row - b.row || a.kind.localeCompare(b.kind));
}

function columnsOf(readings: readonly QualityReading[]): SeriesColumns {
  return { rows: readings.map((r) => r.row), times: readings.map((r) => r.timestamp.getTime()), values: readings.map((r) => r.value), units: readings.map((r) => r.unit) };
}

function assessSensor(sensorId: string, series: SeriesColumns, rules: ParsedRules): QualityFlag[] {
  const flags: QualityFlag[] = [];
  const flag = (kind: QualityFlagKind, point: { row: number; iso: string }, explanation: string, relatedRow?: number) =>
    flags.push({ kind, sensorId, row: point.row, timestamp: point.iso, explanation, ...(relatedRow === undefined ? {} : { relatedRow }) });

  const { rows, times, values, units } = series;
  const n = rows.length;
  const before = (a: number, b: number) => times[a] - times[b] || rows[a] - rows[b];
  let ordered: number[] = new Array<number>(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    ordered[i] = i;
    if (i > 0 && before(i - 1, i) > 0) sorted = false;
  }
  if (!sorted) ordered = ordered.sort(before);
  const referenceUnit = firstKnownUnit(ordered, units);
  // the readings kept for the gap and jump checks, by position in the series, in time order; a
  // Point (and its Decimal) is made only for a reading that needs one: a million readings of a
  // clean series then allocate nothing each
  const kept = new Uint32Array(n);
  let keptCount = 0;
  /** Values converted into the reference unit, by position (readings in another unit). */
  const converted = new Map<number, Decimal>();
  const pointAt = (i: number) => new Point(rows[i], times[i], converted.get(i) ?? values[i]);
  let previous = -1;
  for (const i of ordered) {
    const time = times[i];
    const value = values[i];
    const unit = units[i];
    if (!(unit === referenceUnit && (typeof value === "number" ? Number.isSafeInteger(value) : typeof value === "string" && PLAIN_DECIMAL.test(value)))) {
      try {
        converted.set(i, convert(toDecimal(typeof value === "number" ? String(value) : value), unit, referenceUnit));
      } catch (error) {
        flag("unit-mismatch", { row: rows[i], iso: new Date(time).toISOString() }, `sensor ${sensorLabel(sensorId)}: ${(error as Error).message}; the reading is left out of the other checks`);
        continue;
      }
    }
    if (previous >= 0 && times[previous] === time) {
      const first = pointAt(previous);
      const point = pointAt(i);
      const same = first.value.eq(point.value);
      flag(
        "duplicate",
        point,
        `sensor ${sensorLabel(sensorId)} has two readings at ${point.iso} (rows ${first.row} and ${point.row}), ` +
          (same ? "with the same value" : `with different values ${toDecimalString(first.value)} and ${toDecimalString(point.value)} ${referenceUnit}`),
        first.row,
      );
      continue;
    }
    const raw = converted.get(i) ?? value;
    if (rules.bounds !== undefined || (!rules.allowNegative && isNegativeValue(raw))) {
      const point = pointAt(i);
      checkValue(point, referenceUnit, rules, (kind, explanation) => flag(kind, point, `sensor ${sensorLabel(sensorId)}: ${explanation}`));
    }
    kept[keptCount++] = i;
    previous = i;
  }
  const keptOrder = kept.subarray(0, keptCount);
  if (rules.expectedIntervalMs !== undefined) flags.push(...findGaps(sensorId, rows, times, keptOrder, rules.expectedIntervalMs, new Dec(rules.gapTolerance)));
  if (rules.jump !== undefined) flags.push(...findJumps(sensorId, Array.from(keptOrder, pointAt), referenceUnit, rules.jump));
  return flags;
}

/** The unit a sensor's readings are compared in: the first one that is a known unit. */
function firstKnownUnit(order: readonly number[], units: ArrayLike<string>): string {
  for (const i of order) {
    try {
      return parseUnit(units[i]).symbol;
    } catch {
      // an unknown unit is flagged as a unit-mismatch when the reading is checked
    }
  }
  return "";
}

function checkValue(
  point: Point,
  unit: string,
  rules: ParsedRules,
  flag: (kind: QualityFlagKind, explanation: string) => void,
): void {
  // formatted only for a flag: this runs for every reading
  const shown = () => `${toDecimalString(point.value)} ${unit}`;
  if (!rules.allowNegative && point.isNegative()) flag("negative", `negative reading ${shown()}`);
  const bounds = rules.bounds;
  if (bounds === undefined) return;
  let inBoundsUnit: Decimal;
  try {
    inBoundsUnit = convert(point.value, unit, bounds.unit);
  } catch (error) {
    flag("unit-mismatch", `cannot compare with the bounds: ${(error as Error).message}`);
    return;
  }
  if (bounds.min !== undefined && inBoundsUnit.lt(bounds.min)) flag("out-of-range", `${shown()} is below the minimum ${bounds.min} ${bounds.unit}`);
  if (bounds.max !== undefined && inBoundsUnit.gt(bounds.max)) flag("out-of-range", `${shown()} is above the maximum ${bounds.max} ${bounds.unit}`);
}

/** Gaps between the kept readings `order` (positions in rows and times, in time order). */
function findGaps(sensorId: string, rows: ArrayLike<number>, times: ArrayLike<number>, order: Uint32Array, expectedMs: number, tolerance: Decimal): QualityFlag[] {
  const flags: QualityFlag[] = [];
  const limit = tolerance.times(expectedMs);
  // intervals are whole milliseconds: interval <= limit exactly when interval <= floor(limit)
  const longest = limit.floor().toNumber();
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1];
    const b = order[k];
    const interval = times[b] - times[a];
    if (interval <= longest) continue;
    const missing = Math.ceil(interval / expectedMs) - 1;
    const isoA = new Date(times[a]).toISOString();
    const isoB = new Date(times[b]).toISOString();
    flags.push({
      kind: "gap",
      sensorId,
      row: rows[b],
      timestamp: isoB,
      relatedRow: rows[a],
      explanation:
        `sensor ${sensorLabel(sensorId)}: no reading for ${formatDuration(interval)} between ${isoA} (row ${rows[a]}) ` +
        `and ${isoB} (row ${rows[b]}); expected every ${formatDuration(expectedMs)} (tolerance ×${toDecimalString(tolerance)}), ` +
        `about ${missing} reading${missing === 1 ? "" : "s"} missing`,
    });
  }
  return flags;
}

/** Iglewicz & Hoaglin's fallback when more than half the changes are equal (MAD = 0). */
const MEAN_AD_FACTOR = new Dec("1.253314");

/**
 * The scale of typical changes: the median absolute deviation from the median, or, when that is
 * zero, 1.253314 × the mean absolute deviation (zero only for a perfectly constant series).
 */
function robustSpread(changes: readonly Decimal[], center: Decimal): { value: Decimal; description: string } {
  const deviations = changes.map((d) => d.minus(center).abs());
  const mad = median(sortDecimals(deviations));
  if (!mad.isZero()) return { value: mad, description: `MAD (${toDecimalString(mad)})` };
  const meanAd = deviations.reduce((sum, d) => sum.plus(d), new Dec(0)).div(deviations.length);
  const scaled = meanAd.times(MEAN_AD_FACTOR);
  return { value: scaled, description: `1.253314 × mean absolute deviation (${toDecimalString(scaled)}; the MAD is 0)` };
}

function findJumps(
  sensorId: string,
  points: readonly Point[],
  unit: string,
  rule: NonNullable<ParsedRules["jump"]>,
): QualityFlag[] {
  const flags: QualityFlag[] = [];
  const window: Decimal[] = [];
  const k = new Dec(rule.k);
  const floor = new Dec(rule.minAbsoluteChange).abs();
  for (let i = 1; i < points.length; i++) {
    const before = points[i - 1];
    const point = points[i];
    const delta = point.value.minus(before.value);
    const reasons: string[] = [];
    if (window.length >= rule.minSamples) {
      const center = median(sortDecimals(window));
      const spread = robustSpread(window, center);
      const deviation = delta.minus(center).abs();
      if (deviation.gt(k.times(spread.value)) && deviation.gt(floor)) {
        reasons.push(
          `the change ${toDecimalString(delta)} ${unit} departs from the median change ${toDecimalString(center)} by ${toDecimalString(deviation)}, ` +
            `more than ${toDecimalString(k)} × ${spread.description} over the previous ${window.length} changes`,
        );
      }
    }
    if (rule.maxRatio !== undefined && !before.value.isZero()) {
      const limit = before.value.abs().times(rule.maxRatio);
      if (delta.abs().gt(limit) && delta.abs().gt(floor)) {
        reasons.push(`the change ${toDecimalString(delta)} ${unit} exceeds ${rule.maxRatio} × the previous value ${toDecimalString(before.value)}`);
      }
    }
    if (reasons.length > 0) {
      flags.push({
        kind: "jump",
        sensorId,
        row: point.row,
        timestamp: point.iso,
        relatedRow: before.row,
        explanation: `sensor ${sensorLabel(sensorId)}: sudden change from row ${before.row} to row ${point.row}: ${reasons.join("; ")}`,
      });
      continue; // a flagged change stays out of the window, so one fault does not widen the threshold
    }
    window.push(delta);
    if (window.length > rule.window) window.shift();
  }
  return flags;
}
