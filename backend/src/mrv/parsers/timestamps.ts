import { z } from "zod";

/**
 * Timestamps in the format a source declares: "iso8601", "unix-seconds", "unix-milliseconds", or a
 * pattern of tokens YYYY MM M DD D HH H hh h mm ss SSS A (AM/PM), any other character literal,
 * e.g. "DD/MM/YYYY HH:mm" or "M/D/YYYY h:mm A". Times without an offset are read in the declared
 * UTC offset. Parsing is strict: "31/02/2024" is an error, not 2 March.
 */

const PATTERN_TOKENS = ["YYYY", "SSS", "MM", "DD", "HH", "hh", "mm", "ss", "M", "D", "H", "h", "A"] as const;
type PatternToken = (typeof PATTERN_TOKENS)[number];

const TOKEN_REGEX: Readonly<Record<PatternToken, string>> = {
  YYYY: "(\\d{4})",
  SSS: "(\\d{3})",
  MM: "(\\d{2})",
  DD: "(\\d{2})",
  HH: "(\\d{2})",
  hh: "(\\d{2})",
  mm: "(\\d{2})",
  ss: "(\\d{2})",
  M: "(\\d{1,2})",
  D: "(\\d{1,2})",
  H: "(\\d{1,2})",
  h: "(\\d{1,2})",
  A: "(AM|PM|am|pm)",
};

const UTC_OFFSET = /^(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
export const UtcOffsetSchema = z.string().regex(UTC_OFFSET, 'expected "Z" or an offset like "+05:30"');

export const TimestampFormatSchema = z.union([
  z.enum(["iso8601", "unix-seconds", "unix-milliseconds"]),
  z.string().refine((pattern) => compilePattern(pattern) !== undefined, {
    message: 'expected "iso8601", "unix-seconds", "unix-milliseconds" or a pattern with YYYY, MM/M, DD/D (e.g. "DD/MM/YYYY HH:mm")',
  }),
]);
export type TimestampFormat = z.infer<typeof TimestampFormatSchema>;

export class TimestampError extends Error {
  constructor(readonly expected: string, readonly got: string) {
    super(`expected ${expected}, got ${JSON.stringify(got)}`);
    this.name = "TimestampError";
  }
}

interface CompiledPattern {
  readonly regex: RegExp;
  readonly tokens: readonly PatternToken[];
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compilePattern(pattern: string): CompiledPattern | undefined {
  const tokens: PatternToken[] = [];
  let source = "";
  for (let i = 0; i < pattern.length; ) {
    const token = PATTERN_TOKENS.find((t) => pattern.startsWith(t, i));
    if (token === undefined) {
      source += escapeRegex(pattern[i]);
      i += 1;
    } else {
      tokens.push(token);
      source += TOKEN_REGEX[token];
      i += token.length;
    }
  }
  const has = (...options: PatternToken[]) => options.some((t) => tokens.includes(t));
  const twelveHour = has("hh", "h");
  if (!has("YYYY") || !has("MM", "M") || !has("DD", "D")) return undefined;
  if (twelveHour !== has("A") || (twelveHour && has("HH", "H"))) return undefined;
  if (new Set(tokens).size !== tokens.length) return undefined;
  return { regex: new RegExp(`^${source}$`), tokens };
}

function offsetMinutes(offset: string): number {
  if (offset === "Z") return 0;
  const sign = offset.startsWith("-") ? -1 : 1;
  const [hours, minutes] = offset.slice(1).split(":").map(Number);
  return sign * (hours * 60 + minutes);
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/** UTC instant of a wall-clock time at an offset; undefined when a field is out of range. */
function toInstant(clock: WallClock, offset: string): Date | undefined {
  const { year, month, day, hour, minute, second, millisecond } = clock;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Date.UTC reads years 0-99 as 1900-1999: refused, as is a day the month does not have
  if (year < 100 || day > daysInMonth(year, month)) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  return new Date(offset === "Z" ? utc : utc - offsetMinutes(offset) * 60_000);
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Two ASCII digits at `at` as a number, or NaN. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/**
 * The shape machines write, "YYYY-MM-DDTHH:mm:ssZ" or "YYYY-MM-DDTHH:mm:ss.sssZ", read without a
 * regular expression; undefined for any other shape (then the general parser decides).
 */
function parseIsoUtcFast(text: string): Date | undefined {
  const length = text.length;
  if ((length !== 20 && length !== 24) || text.charCodeAt(length - 1) !== 90 /* Z */) return undefined;
  if (text[4] !== "-" || text[7] !== "-" || text[10] !== "T" || text[13] !== ":" || text[16] !== ":") return undefined;
  let millisecond = 0;
  if (length === 24) {
    if (text[19] !== ".") return undefined;
    const hundreds = text.charCodeAt(20) - 48;
    const rest = twoDigits(text, 21);
    if (!(hundreds >= 0 && hundreds <= 9) || Number.isNaN(rest)) return undefined;
    millisecond = hundreds * 100 + rest;
  }
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const clock = { year, month: twoDigits(text, 5), day: twoDigits(text, 8), hour: twoDigits(text, 11), minute: twoDigits(text, 14), second: twoDigits(text, 17), millisecond };
  if (Number.isNaN(year + clock.month + clock.day + clock.hour + clock.minute + clock.second)) return undefined;
  return toInstant(clock, "Z");
}

function parseIso(text: string, defaultOffset: string): Date | undefined {
  const fast = parseIsoUtcFast(text);
  if (fast !== undefined) return fast;
  const match = ISO_8601.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour = "0", minute = "0", second = "0", fraction = "", offset] = match;
  if (/[1-9]/.test(fraction.slice(3))) return undefined; // finer than a millisecond would be lost
  const normalizedOffset = offset === undefined ? defaultOffset : offset === "Z" ? "Z" : `${offset.slice(0, 3)}:${offset.slice(-2)}`;
  if (!UTC_OFFSET.test(normalizedOffset)) return undefined;
  return toInstant(
    {
      year: Number(year),
      month: Number(month),
      day: Number(day),
      hour: Number(hour),
      minute: Number(minute),
      second: Number(second),
      millisecond: Number(fraction.slice(0, 3).padEnd(3, "0")),
    },
    normalizedOffset,
  );
}

function parseUnix(text: string, unit: "seconds" | "milliseconds"): Date | undefined {
  const match = unit === "seconds" ? /^(\d{1,11})(?:\.(\d{1,3}))?$/.exec(text) : /^(\d{1,14})$/.exec(text);
  if (match === null) return undefined;
  const ms = unit === "seconds" ? Number(match[1]) * 1000 + Number((match[2] ?? "").padEnd(3, "0")) : Number(match[1]);
  return Number.isSafeInteger(ms) ? new Date(ms) : undefined;
}

function parsePattern(text: string, compiled: CompiledPattern, offset: string): Date | undefined {
  const match = compiled.regex.exec(text);
  if (match === null) return undefined;
  const clock: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millisecond: 0 };
  let meridiem: string | undefined;
  compiled.tokens.forEach((token, i) => {
    const value = match[i + 1];
    switch (token) {
      case "YYYY": clock.year = Number(value); break;
      case "MM": case "M": clock.month = Number(value); break;
      case "DD": case "D": clock.day = Number(value); break;
      case "HH": case "H": case "hh": case "h": clock.hour = Number(value); break;
      case "mm": clock.minute = Number(value); break;
      case "ss": clock.second = Number(value); break;
      case "SSS": clock.millisecond = Number(value); break;
      case "A": meridiem = value.toUpperCase(); break;
    }
  });
  if (meridiem !== undefined) {
    if (clock.hour < 1 || clock.hour > 12) return undefined;
    clock.hour = (clock.hour % 12) + (meridiem === "PM" ? 12 : 0);
  }
  return toInstant(clock, offset);
}

function describeFormat(format: TimestampFormat, offset: string): string {
  switch (format) {
    case "iso8601": return `an ISO 8601 timestamp (e.g. 2024-01-31T23:45:00Z; without an offset it is read as ${offset})`;
    case "unix-seconds": return "Unix time in seconds";
    case "unix-milliseconds": return "Unix time in milliseconds";
    default: return `a timestamp in the format "${format}" (read as UTC${offset === "Z" ? "" : offset})`;
  }
}

/** Builds a parser for one declared format; throws TimestampError on text that does not fit it. */
export function timestampParser(format: TimestampFormat, utcOffset = "Z"): (text: string) => Date {
  const offset = UtcOffsetSchema.parse(utcOffset);
  const expected = describeFormat(format, offset);
  let parse: (text: string) => Date | undefined;
  if (format === "iso8601") parse = (text) => parseIso(text, offset);
  else if (format === "unix-seconds") parse = (text) => parseUnix(text, "seconds");
  else if (format === "unix-milliseconds") parse = (text) => parseUnix(text, "milliseconds");
  else {
    const compiled = compilePattern(format);
    if (compiled === undefined) throw new TimestampError("a valid timestamp pattern", format);
    parse = (text) => parsePattern(text, compiled, offset);
  }
  return (text) => {
    const instant = parse(text.trim());
    if (instant === undefined || Number.isNaN(instant.getTime())) throw new TimestampError(expected, text);
    return instant;
  };
}

/** Reads an XLSX date cell (ISO wall-clock time, no offset) at the declared offset. */
export function parseWallClockIso(text: string, utcOffset = "Z"): Date {
  const instant = parseIso(text, UtcOffsetSchema.parse(utcOffset));
  if (instant === undefined) throw new TimestampError("a spreadsheet date/time", text);
  return instant;
}
