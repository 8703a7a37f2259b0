import Decimal from "decimal.js";
import { z } from "zod";
import { MAX_EXPONENT, canonicalPlainDecimal, formatScaledDecimal, parseScaledDecimal } from "./scaledDecimal";

/**
 * The MRV engine's decimal type: 40 significant digits, round-half-even, never exponent notation
 * in `toString()` for the magnitudes MRV deals with. A private clone, so no global Decimal
 * setting is read or changed. Public functions coerce their inputs through `toDecimal` (or
 * `new Dec`), because a Decimal made by another constructor computes at that constructor's
 * precision. Constructing a Dec never rounds; only arithmetic results are rounded.
 */
export const DECIMAL_PRECISION = 40;

export const Dec = Decimal.clone({
  precision: DECIMAL_PRECISION,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -1000,
  toExpPos: 1000,
});

/**
 * Wide enough that the product of two engine decimals is always exact; used for intermediate
 * products so that a conversion x × a / b rounds once, not twice.
 */
const Wide = Decimal.clone({ precision: 2 * DECIMAL_PRECISION + 20, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -1000, toExpPos: 1000 });

/** (a × b) / c with a single rounding at the engine's precision: exact whenever the true result fits. */
export function timesDiv(a: Decimal, b: Decimal, c: Decimal): Decimal {
  const product = new Wide(a).times(new Wide(b));
  return new Dec(product).div(new Dec(c));
}

/** Plain decimal literal: optional sign, digits with an optional fraction, optional exponent. */
const DECIMAL_LITERAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export class DecimalFormatError extends Error {
  constructor(
    readonly got: string,
    readonly expected = 'a decimal number such as "1234.5"',
  ) {
    super(`expected ${expected}, got ${JSON.stringify(got)}`);
    this.name = "DecimalFormatError";
  }
}

export class InexactArithmeticError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InexactArithmeticError";
  }
}

export function isDecimalLiteral(text: string): boolean {
  return DECIMAL_LITERAL.test(text);
}

/**
 * Coerces a decimal literal (string) or a Decimal into the engine's Decimal. Rejects what
 * decimal.js would otherwise accept but no meter produces: hex/binary literals, NaN, Infinity.
 */
export function toDecimal(value: string | Decimal): Decimal {
  if (typeof value === "string") {
    const text = value.trim();
    if (!DECIMAL_LITERAL.test(text)) throw new DecimalFormatError(value);
    return new Dec(text);
  }
  if (!value.isFinite()) throw new DecimalFormatError(value.toString());
  return new Dec(value);
}

/** Canonical text of a decimal: no exponent, no trailing zeros, no "-0". */
export function toDecimalString(value: Decimal): string {
  const d = new Dec(value);
  return d.isZero() ? "0" : d.toFixed();
}

/**
 * Canonicalizes a decimal literal, e.g. "+001.500" -> "1.5" (on scaled integers: one call per
 * ingested value). A value with an exponent beyond ±1000 is refused: its canonical text would be
 * that long ("1e99999999999" would exhaust memory).
 */
export function canonicalDecimalString(text: string): string {
  const plain = canonicalPlainDecimal(text);
  if (plain !== undefined) return plain;
  const scaled = parseScaledDecimal(text);
  if (scaled !== undefined) return formatScaledDecimal(scaled);
  toDecimal(text); // not a decimal literal: DecimalFormatError
  throw new DecimalFormatError(text, `a decimal number whose exponent is within ±${MAX_EXPONENT} (e.g. 1.5e${MAX_EXPONENT}, 2e-${MAX_EXPONENT})`);
}

/**
 * a × b, refusing to round: the product of an m-digit and an n-digit significand has at most
 * m + n digits, so the product is exact whenever m + n fits the precision.
 */
export function exactTimes(a: Decimal, b: Decimal): Decimal {
  const x = new Dec(a);
  const y = new Dec(b);
  if (x.sd() + y.sd() > DECIMAL_PRECISION) {
    throw new InexactArithmeticError(
      `${toDecimalString(x)} × ${toDecimalString(y)} needs more than ${DECIMAL_PRECISION} significant digits; refusing to round`,
    );
  }
  return x.times(y);
}

/**
 * a + b, refusing to round: the exact sum spans from the larger operand's leading digit (plus a
 * carry) down to the finer operand's last decimal place.
 */
export function exactPlus(a: Decimal, b: Decimal): Decimal {
  const x = new Dec(a);
  const y = new Dec(b);
  const digitsNeeded = Math.max(x.e, y.e, 0) + 2 + Math.max(x.dp(), y.dp());
  if (digitsNeeded > DECIMAL_PRECISION) {
    throw new InexactArithmeticError(
      `${toDecimalString(x)} + ${toDecimalString(y)} needs more than ${DECIMAL_PRECISION} significant digits; refusing to round`,
    );
  }
  return x.plus(y);
}

/** zod schema for a decimal carried as a string (never a JS number), output in canonical form. */
export const decimalString = z
  .string()
  .trim()
  .refine(isDecimalLiteral, { message: 'expected a decimal number as a string, e.g. "1234.5"' })
  .transform(canonicalDecimalString);

export const nonNegativeDecimalString = decimalString.refine((s) => !s.startsWith("-"), {
  message: "expected a non-negative decimal",
});

export const positiveDecimalString = decimalString.refine((s) => new Dec(s).gt(0), {
  message: "expected a positive decimal",
});
