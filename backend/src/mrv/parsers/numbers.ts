import { z } from "zod";
import { canonicalDecimalString, isDecimalLiteral } from "../decimal";

/**
 * Numbers written with a declared decimal separator and an optional thousands separator, checked
 * strictly so a wrong declaration fails loudly instead of reading 1.234 as 1234: groups must be
 * Western (1,234,567) or Indian (12,34,567) when a thousands separator is declared.
 */

export const NumberFormatSchema = z
  .object({
    decimalSeparator: z.enum([".", ","]).default("."),
    /** "" when numbers carry no grouping. Narrow/non-breaking spaces are accepted as " ". */
    thousandsSeparator: z.enum(["", ",", ".", " ", "'"]).default(""),
  })
  .refine((f) => f.decimalSeparator !== f.thousandsSeparator, { message: "decimal and thousands separators must differ" });
export type NumberFormat = z.infer<typeof NumberFormatSchema>;

export class NumberFormatError extends Error {
  constructor(readonly expected: string, readonly got: string) {
    super(`expected ${expected}, got ${JSON.stringify(got)}`);
    this.name = "NumberFormatError";
  }
}

const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;
const WESTERN_GROUPS = /^\d{1,3}(?:,\d{3})+$/;
const INDIAN_GROUPS = /^\d{1,2}(?:,\d{2})*,\d{3}$/;

function describe(format: NumberFormat): string {
  const example = `1${format.thousandsSeparator}234${format.decimalSeparator}5`;
  return `a number like ${JSON.stringify(example)} (decimal separator ${JSON.stringify(format.decimalSeparator)}` +
    `${format.thousandsSeparator === "" ? ", no grouping" : `, thousands separator ${JSON.stringify(format.thousandsSeparator)}`})`;
}

/** Parses one number in the declared format into a canonical decimal string ("1234.5"). */
export function parseNumber(text: string, format: NumberFormat): string {
  // the common case, plain "1234.5" with a "." separator, reads the same whatever the grouping
  if (format.decimalSeparator === "." && PLAIN_NUMBER.test(text)) return canonicalDecimalString(text);
  const fail = () => new NumberFormatError(describe(format), text);
  let body = text.trim().replace(/[\u00a0\u202f]/g, " ");
  const sign = body.startsWith("-") || body.startsWith("+") ? body[0] : "";
  body = body.slice(sign.length);
  const exponentMatch = /[eE][+-]?\d+$/.exec(body);
  const exponent = exponentMatch?.[0] ?? "";
  body = body.slice(0, body.length - exponent.length);
  const [integer, fraction, ...rest] = body.split(format.decimalSeparator);
  if (rest.length > 0 || integer === undefined) throw fail();
  let digits = integer;
  if (format.thousandsSeparator !== "" && integer.includes(format.thousandsSeparator)) {
    const commaGrouped = integer.split(format.thousandsSeparator).join(",");
    if (!WESTERN_GROUPS.test(commaGrouped) && !INDIAN_GROUPS.test(commaGrouped)) throw fail();
    digits = commaGrouped.replace(/,/g, "");
  }
  const literal = `${sign}${digits}${fraction === undefined ? "" : `.${fraction}`}${exponent}`;
  const digitsOnly = /^\d*$/.test(digits) && (fraction === undefined || /^\d+$/.test(fraction));
  if (!digitsOnly || !isDecimalLiteral(literal)) throw fail();
  return canonicalDecimalString(literal);
}
