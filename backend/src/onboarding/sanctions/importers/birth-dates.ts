import { isValidCalendarDate, parsePartialIsoDate } from "../../calendar-date";
import type { BirthDate } from "../model";

const MONTHS: ReadonlyMap<string, number> = new Map(Object.entries({
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
  january: 1, february: 2, march: 3, april: 4, june: 6, july: 7, august: 8, september: 9, october: 10,
  november: 11, december: 12,
}));

interface DayMonthYear {
  readonly year: number;
  readonly month: number | null;
  readonly day: number | null;
}

/** "12 Jan 1960", "Jan 1960", "1960" (OFAC remark style). */
function parseOfacDatePhrase(text: string): DayMonthYear | null {
  const match = /^(?:(\d{1,2})\s+)?(?:([A-Za-z]+)\.?\s+)?(\d{4})$/u.exec(text.trim());
  if (!match) return null;
  const year = Number(match[3]);
  const month = match[2] === undefined ? null : MONTHS.get(match[2].toLowerCase()) ?? NaN;
  const day = match[1] === undefined ? null : Number(match[1]);
  if (Number.isNaN(month)) return null;
  if (day !== null && month === null) return null;
  if (month !== null && day !== null && !isValidCalendarDate(year, month, day)) return null;
  return { year, month, day };
}

/**
 * Parses the text after "DOB" in an OFAC remark: "12 Jan 1960", "Jan 1960", "1960", "circa 1960",
 * "circa 12 Jan 1960", "1960 to 1962", "12 Jan 1960 to 15 Jan 1960", "1960-1962". Null when not a date.
 */
export function parseOfacBirthDate(text: string): BirthDate | null {
  const raw = text.trim();
  const circa = /^(?:circa|c\.|approximately|approx\.)\s+(.*)$/iu.exec(raw);
  const approximate = circa !== null;
  const body = circa ? circa[1] : raw;
  const range = /^(.+?)\s*(?:\bto\b|-|–)\s*(.+)$/iu.exec(body);
  if (range) {
    const from = parseOfacDatePhrase(range[1]);
    const to = parseOfacDatePhrase(range[2]);
    if (!from || !to || from.year > to.year) return null;
    return { raw, fromYear: from.year, toYear: to.year, month: null, day: null, approximate };
  }
  const single = parseOfacDatePhrase(body);
  if (!single) return null;
  return { raw, fromYear: single.year, toYear: single.year, month: single.month, day: single.day, approximate };
}

/** "1960", "1960-01", "1960-01-12" (UN DATE, FollowTheMoney birthDate). */
export function parseIsoBirthDate(text: string, approximate = false): BirthDate | null {
  const date = parsePartialIsoDate(text.trim());
  if (!date) return null;
  return { raw: text.trim(), fromYear: date.year, toYear: date.year, month: date.month, day: date.day, approximate };
}

export function birthYearRange(raw: string, fromYear: number, toYear: number, approximate: boolean): BirthDate | null {
  if (!Number.isInteger(fromYear) || !Number.isInteger(toYear) || fromYear > toYear) return null;
  return { raw, fromYear, toYear, month: null, day: null, approximate };
}
