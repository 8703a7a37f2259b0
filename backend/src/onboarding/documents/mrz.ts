import { type CalendarDate, formatIsoDate, isValidCalendarDate } from "../calendar-date";
import { type CountryRef, resolveIcaoCountryCode } from "../countries";
import { computeIcaoCheckDigit } from "./icao-check-digit";

/**
 * ICAO Doc 9303 machine readable zones: TD3 (passport booklets, 2 × 44) and TD1 (ID cards, 3 × 30).
 * Structure errors throw MrzFormatError; check digit failures and impossible dates are reported in the result.
 */

export type MrzFormat = "TD1" | "TD3";
export type MrzCheckedField = "documentNumber" | "birthDate" | "expiryDate" | "personalNumber" | "composite";

export interface MrzCheck {
  readonly field: MrzCheckedField;
  /** The characters the digit protects. */
  readonly data: string;
  readonly expected: number;
  /** The check character printed in the MRZ. */
  readonly found: string;
  readonly valid: boolean;
}

export interface MrzDate {
  /** YYMMDD as printed. */
  readonly raw: string;
  /** The calendar date with the century inferred, or null when unreadable or impossible. */
  readonly date: CalendarDate | null;
}

export interface MrzProblem {
  readonly field: MrzCheckedField | "birthDate" | "expiryDate";
  readonly message: string;
}

export interface MrzDocument {
  readonly format: MrzFormat;
  /** "P" (passport), "I", "ID", "AC", … — fillers removed. */
  readonly documentCode: string;
  readonly issuingState: CountryRef;
  readonly surname: string;
  readonly givenNames: string;
  /** The name field is used to its last character, so the names may have been truncated. */
  readonly namesMayBeTruncated: boolean;
  readonly documentNumber: string;
  readonly nationality: CountryRef;
  readonly birthDate: MrzDate;
  /** M, F, or X for unspecified ("<" or "X" in the MRZ). */
  readonly sex: "M" | "F" | "X";
  readonly expiryDate: MrzDate;
  /** TD3: the personal number; TD1: optional data elements 1 and 2 (document number overflow excluded). */
  readonly optionalData: readonly string[];
  readonly checks: readonly MrzCheck[];
  /** Every failed check digit and impossible date, by field. Empty when the MRZ is valid. */
  readonly problems: readonly MrzProblem[];
  readonly valid: boolean;
}

export class MrzFormatError extends Error {
  constructor(
    readonly line: number | null,
    readonly column: number | null,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`MRZ${line === null ? "" : ` line ${line}`}${column === null ? "" : `, column ${column}`}: expected ${expected}, found ${found}`);
    this.name = "MrzFormatError";
  }
}

const MRZ_CHARACTERS = /^[A-Z0-9<]*$/u;

function splitLines(input: string | readonly string[]): string[] {
  const lines = typeof input === "string" ? input.split(/\r?\n/u) : [...input];
  return lines.map((line) => line.trim()).filter((line) => line !== "");
}

function assertMrzCharacters(lines: readonly string[]): void {
  lines.forEach((line, index) => {
    if (MRZ_CHARACTERS.test(line)) return;
    const column = [...line].findIndex((character) => !/[A-Z0-9<]/u.test(character));
    throw new MrzFormatError(index + 1, column + 1, "only A-Z, 0-9 and <", JSON.stringify(line[column]));
  });
}

function detectFormat(lines: readonly string[]): MrzFormat {
  const lengths = lines.map((line) => line.length);
  if (lines.length === 2 && lengths.every((length) => length === 44)) return "TD3";
  if (lines.length === 3 && lengths.every((length) => length === 30)) return "TD1";
  const shape = `${lines.length} line(s) of ${lengths.join(", ")} characters`;
  if (lines.length === 2 && lengths.every((length) => length === 36)) {
    throw new MrzFormatError(null, null, "TD3 (2 × 44) or TD1 (3 × 30); TD2 (2 × 36) is not supported", shape);
  }
  throw new MrzFormatError(null, null, "TD3 (2 lines of 44) or TD1 (3 lines of 30)", shape);
}

function withoutFillers(field: string): string {
  return field.replace(/<+$/u, "").replace(/</gu, " ").trim();
}

function check(field: MrzCheckedField, data: string, found: string, fillerAllowedWhenEmpty = false): MrzCheck {
  const expected = computeIcaoCheckDigit(data);
  const emptyField = /^<*$/u.test(data);
  const valid = found === String(expected) || (fillerAllowedWhenEmpty && emptyField && found === "<");
  return { field, data, expected, found, valid };
}

/** Century: birth dates are never in the future; expiry dates fall within 50 years of the reference date. */
function readMrzDate(raw: string, kind: "birth" | "expiry", referenceDate: CalendarDate): MrzDate {
  if (!/^\d{6}$/u.test(raw)) return { raw, date: null };
  const yy = Number(raw.slice(0, 2));
  const month = Number(raw.slice(2, 4));
  const day = Number(raw.slice(4, 6));
  let year = 2000 + yy;
  if (kind === "birth" && year > referenceDate.year) year -= 100;
  if (kind === "expiry" && year > referenceDate.year + 50) year -= 100;
  return { raw, date: isValidCalendarDate(year, month, day) ? { year, month, day } : null };
}

function readNames(field: string): { surname: string; givenNames: string; namesMayBeTruncated: boolean } {
  const separator = field.indexOf("<<");
  const surnameField = separator === -1 ? field : field.slice(0, separator);
  const givenField = separator === -1 ? "" : field.slice(separator + 2);
  return {
    surname: withoutFillers(surnameField).replace(/\s+/gu, " "),
    givenNames: withoutFillers(givenField).replace(/\s+/gu, " "),
    namesMayBeTruncated: !field.endsWith("<"),
  };
}

function readSex(character: string, line: number, column: number): "M" | "F" | "X" {
  if (character === "M" || character === "F") return character;
  if (character === "<" || character === "X") return "X";
  throw new MrzFormatError(line, column, "sex M, F, X or <", JSON.stringify(character));
}

interface ParsedFields {
  readonly documentCode: string;
  readonly issuingState: string;
  readonly nameField: string;
  readonly documentNumber: string;
  readonly nationality: string;
  readonly birthDate: string;
  readonly sex: "M" | "F" | "X";
  readonly expiryDate: string;
  readonly optionalData: string[];
  readonly checks: MrzCheck[];
}

function parseTd3([line1, line2]: readonly string[]): ParsedFields {
  const personalNumber = line2.slice(28, 42);
  return {
    documentCode: line1.slice(0, 2),
    issuingState: line1.slice(2, 5),
    nameField: line1.slice(5, 44),
    documentNumber: line2.slice(0, 9),
    nationality: line2.slice(10, 13),
    birthDate: line2.slice(13, 19),
    sex: readSex(line2[20], 2, 21),
    expiryDate: line2.slice(21, 27),
    optionalData: [withoutFillers(personalNumber)].filter((value) => value !== ""),
    checks: [
      check("documentNumber", line2.slice(0, 9), line2[9]),
      check("birthDate", line2.slice(13, 19), line2[19]),
      check("expiryDate", line2.slice(21, 27), line2[27]),
      check("personalNumber", personalNumber, line2[42], true),
      check("composite", line2.slice(0, 10) + line2.slice(13, 20) + line2.slice(21, 43), line2[43]),
    ],
  };
}

function parseTd1([line1, line2, line3]: readonly string[]): ParsedFields {
  let documentNumber = line1.slice(5, 14);
  let documentNumberCheck = line1[14];
  let optional1 = line1.slice(15, 30);
  if (documentNumberCheck === "<") {
    // Document numbers longer than 9 characters continue in optional data 1, then their check digit, then a filler (Doc 9303-5, note j).
    const continuation = /^[A-Z0-9]+/u.exec(optional1)?.[0] ?? "";
    if (continuation.length < 2) {
      throw new MrzFormatError(1, 16, "the rest of a long document number followed by its check digit (position 15 is <)", JSON.stringify(optional1));
    }
    documentNumber += continuation.slice(0, -1);
    documentNumberCheck = continuation.slice(-1);
    optional1 = optional1.slice(continuation.length);
  }
  return {
    documentCode: line1.slice(0, 2),
    issuingState: line1.slice(2, 5),
    nameField: line3,
    documentNumber,
    nationality: line2.slice(15, 18),
    birthDate: line2.slice(0, 6),
    sex: readSex(line2[7], 2, 8),
    expiryDate: line2.slice(8, 14),
    optionalData: [withoutFillers(optional1), withoutFillers(line2.slice(18, 29))].filter((value) => value !== ""),
    checks: [
      check("documentNumber", documentNumber, documentNumberCheck),
      check("birthDate", line2.slice(0, 6), line2[6]),
      check("expiryDate", line2.slice(8, 14), line2[14]),
      check("composite", line1.slice(5, 30) + line2.slice(0, 7) + line2.slice(8, 15) + line2.slice(18, 29), line2[29]),
    ],
  };
}

/**
 * Parses and verifies an MRZ. `referenceDate` (normally today) decides the century of two-digit years.
 * Lines may be given as one string separated by newlines or as an array; surrounding spaces are ignored.
 */
export function parseMrz(input: string | readonly string[], options: { referenceDate: CalendarDate }): MrzDocument {
  const lines = splitLines(input);
  assertMrzCharacters(lines);
  const format = detectFormat(lines);
  const fields = format === "TD3" ? parseTd3(lines) : parseTd1(lines);
  const birthDate = readMrzDate(fields.birthDate, "birth", options.referenceDate);
  const expiryDate = readMrzDate(fields.expiryDate, "expiry", options.referenceDate);
  const problems: MrzProblem[] = fields.checks
    .filter((result) => !result.valid)
    .map((result) => ({ field: result.field, message: `check digit for ${result.field} is ${result.found}, expected ${result.expected}` }));
  if (birthDate.date === null) problems.push({ field: "birthDate", message: `birth date ${birthDate.raw} is not a calendar date (YYMMDD)` });
  if (expiryDate.date === null) problems.push({ field: "expiryDate", message: `expiry date ${expiryDate.raw} is not a calendar date (YYMMDD)` });
  return {
    format,
    documentCode: fields.documentCode.replace(/</gu, ""),
    issuingState: resolveIcaoCountryCode(fields.issuingState),
    ...readNames(fields.nameField),
    documentNumber: fields.documentNumber.replace(/</gu, ""),
    nationality: resolveIcaoCountryCode(fields.nationality),
    birthDate,
    sex: fields.sex,
    expiryDate,
    optionalData: fields.optionalData,
    checks: fields.checks,
    problems,
    valid: problems.length === 0,
  };
}

/** ISO form of an MRZ date, or null when unreadable. */
export function mrzDateIso(date: MrzDate): string | null {
  return date.date === null ? null : formatIsoDate(date.date);
}
