/**
 * Exact decimal arithmetic on scaled integers, for the per-record hot path of ingestion: a value
 * is coefficient × 10^exponent with a BigInt coefficient, so parsing, canonical formatting,
 * normalization into a base unit (one product) and running totals (sums) are exact with no
 * Decimal object per record. The results are the same strings decimal.js gives (the tests check
 * it on random input); decimal.ts stays the engine's general decimal type.
 *
 * Only values whose exponent is within ±MAX_EXPONENT are handled here: parseScaledDecimal returns
 * undefined for anything beyond (a meter never writes "1e100000"; written out in full it would take
 * that many characters, and "1e99999999999" would exhaust memory).
 */

/** value = coefficient × 10^exponent; canonical: no trailing zeros in the coefficient, zero is 0 × 10^0. */
export interface ScaledDecimal {
  readonly coefficient: bigint;
  readonly exponent: number;
}

export const MAX_EXPONENT = 1000;

const LITERAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const ZERO: ScaledDecimal = { coefficient: 0n, exponent: 0 };

const POWERS_OF_TEN = Array.from({ length: 64 }, (_, i) => 10n ** BigInt(i));

function powerOfTen(n: number): bigint {
  return n < POWERS_OF_TEN.length ? POWERS_OF_TEN[n] : 10n ** BigInt(n);
}

/** Strips trailing zeros from the coefficient into the exponent. */
function canonical(coefficient: bigint, exponent: number): ScaledDecimal {
  if (coefficient === 0n) return ZERO;
  while (coefficient % 10n === 0n) {
    coefficient /= 10n;
    exponent += 1;
  }
  return { coefficient, exponent };
}

/**
 * Parses a plain decimal literal (sign, digits, fraction, exponent: what decimal.ts accepts, after
 * trimming); undefined for anything else or beyond ±MAX_EXPONENT.
 */
export function parseScaledDecimal(text: string): ScaledDecimal | undefined {
  const match = LITERAL.exec(text.trim());
  if (match === null) return undefined;
  const [, sign, integer, fraction = "", exponentText] = match;
  if (integer === "" && fraction === "") return undefined;
  const digits = (integer + fraction).replace(/^0+/, "");
  if (digits === "") return ZERO;
  if (exponentText !== undefined && exponentText.replace(/^[+-]?0*/, "").length > 6) return undefined;
  const exponent = (exponentText === undefined ? 0 : Number(exponentText)) - fraction.length;
  const value = canonical(BigInt(sign === "-" ? `-${digits}` : digits), exponent);
  return Math.abs(value.exponent) > MAX_EXPONENT ? undefined : value;
}

/** Canonical text: no exponent, no trailing zeros, no "-0" (decimal.ts's toDecimalString). */
export function formatScaledDecimal(value: ScaledDecimal): string {
  const { coefficient, exponent } = value;
  if (coefficient === 0n) return "0";
  const negative = coefficient < 0n;
  const digits = String(negative ? -coefficient : coefficient);
  let text: string;
  if (exponent >= 0) text = digits + "0".repeat(exponent);
  else if (-exponent < digits.length) text = `${digits.slice(0, digits.length + exponent)}.${digits.slice(digits.length + exponent)}`;
  else text = `0.${"0".repeat(-exponent - digits.length)}${digits}`;
  return negative ? `-${text}` : text;
}

const SMALL_INTEGER = /^-?\d{1,15}$/;
const SMALL_LIMIT = 2 ** 52;
const PLAIN = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Canonical text of a plain literal ("-0012.500" -> "-12.5") by string operations alone, for the
 * common case: undefined unless the text is sign, digits and an optional fraction.
 */
export function canonicalPlainDecimal(text: string): string | undefined {
  const match = PLAIN.exec(text);
  if (match === null) return undefined;
  const [, sign, integerDigits, fractionDigits] = match;
  let integer = integerDigits;
  if (integer.length > 1 && integer.charCodeAt(0) === 48) integer = integer.replace(/^0+(?=\d)/, "");
  let fraction = fractionDigits ?? "";
  if (fraction.length > 0 && fraction.charCodeAt(fraction.length - 1) === 48) fraction = fraction.replace(/0+$/, "");
  if (integer === "0" && fraction === "") return "0";
  const body = fraction === "" ? integer : `${integer}.${fraction}`;
  return sign === "-" ? `-${body}` : body;
}

/**
 * The exact product of a canonical plain decimal and a scaled factor with a small coefficient,
 * in JavaScript numbers when the product of the coefficients is a safe integer (no BigInt);
 * undefined otherwise.
 */
export function timesSmallFactor(canonicalText: string, factor: ScaledDecimal): string | undefined {
  const negative = canonicalText.charCodeAt(0) === 45;
  const body = negative ? canonicalText.slice(1) : canonicalText;
  const point = body.indexOf(".");
  const digits = point < 0 ? body : body.slice(0, point) + body.slice(point + 1);
  if (digits.length > 15) return undefined;
  const product = Number(digits) * Number(factor.coefficient);
  if (!Number.isSafeInteger(product)) return undefined;
  if (product === 0) return "0";
  const exponent = factor.exponent - (point < 0 ? 0 : body.length - point - 1);
  // a safe integer prints as its exact digits
  const text = formatDigits(String(product), exponent);
  return negative ? `-${text}` : text;
}

/** Canonical text of digits × 10^exponent (digits without sign or leading zeros, not "0"). */
function formatDigits(digits: string, exponent: number): string {
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end -= 1;
  exponent += digits.length - end;
  const significant = end === digits.length ? digits : digits.slice(0, end);
  if (exponent >= 0) return exponent === 0 ? significant : significant + "0".repeat(exponent);
  if (-exponent < significant.length) return `${significant.slice(0, significant.length + exponent)}.${significant.slice(significant.length + exponent)}`;
  return `0.${"0".repeat(-exponent - significant.length)}${significant}`;
}

/** Significant digits, as decimal.js's sd(): the coefficient's digits (zero has one). */
export function significantDigits(value: ScaledDecimal): number {
  const { coefficient } = value;
  return coefficient === 0n ? 1 : String(coefficient < 0n ? -coefficient : coefficient).length;
}

/** The exact product. */
export function timesScaled(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  return canonical(a.coefficient * b.coefficient, a.exponent + b.exponent);
}

/** The exact sum. */
export function plusScaled(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  if (a.coefficient === 0n) return b;
  if (b.coefficient === 0n) return a;
  const exponent = Math.min(a.exponent, b.exponent);
  const scale = (v: ScaledDecimal) => v.coefficient * powerOfTen(v.exponent - exponent);
  return canonical(scale(a) + scale(b), exponent);
}

/**
 * A running exact total: keeps one scaled BigInt at the finest exponent seen so far, so adding a
 * value of the same scale is one BigInt addition.
 */
export class ScaledSum {
  private coefficient = 0n;
  private exponent = Number.POSITIVE_INFINITY;
  /** Integers added as JavaScript numbers while the running total stays exact (below 2^53). */
  private small = 0;

  /**
   * Adds a canonical decimal string; an integer of up to 15 digits (e.g. joules) is added as a
   * number, with no BigInt, while the running total of those stays a safe integer.
   */
  addText(text: string): void {
    if (text.length <= 16 && SMALL_INTEGER.test(text)) {
      const next = this.small + Number(text);
      if (Number.isSafeInteger(next) && Math.abs(next) < SMALL_LIMIT) {
        this.small = next;
        return;
      }
    }
    const value = parseScaledDecimal(text);
    if (value === undefined) throw new Error(`not a decimal within the supported range: ${JSON.stringify(text)}`);
    this.add(value);
  }

  add(value: ScaledDecimal): void {
    if (value.coefficient === 0n) return;
    if (value.exponent < this.exponent) {
      this.coefficient = this.coefficient === 0n ? 0n : this.coefficient * powerOfTen(this.exponent - value.exponent);
      this.exponent = value.exponent;
    }
    this.coefficient += value.exponent === this.exponent ? value.coefficient : value.coefficient * powerOfTen(value.exponent - this.exponent);
  }

  get value(): ScaledDecimal {
    if (this.small !== 0) {
      const small = this.small;
      this.small = 0;
      this.add({ coefficient: BigInt(small), exponent: 0 });
    }
    return this.coefficient === 0n ? ZERO : canonical(this.coefficient, this.exponent);
  }
}
