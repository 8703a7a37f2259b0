/**
 * Calendar dates. The domain uses ISO dates (`YYYY-MM-DD`); the chain uses YYYYMMDD integers;
 * Verra serials use DDMMYYYY.
 */
import { z } from "zod";

function isRealDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isIsoDateText(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m !== null && isRealDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** A real calendar date written `YYYY-MM-DD`. */
export const isoDateSchema = z
  .string()
  .refine(isIsoDateText, {
    error: (issue) => `"${String(issue.input)}" is not a real date of the form YYYY-MM-DD`,
  })
  .brand<"IsoDate">();
export type IsoDate = z.infer<typeof isoDateSchema>;

/** `value` as an IsoDate, or undefined when it is not a real `YYYY-MM-DD` date. */
export function toIsoDate(value: string): IsoDate | undefined {
  return isIsoDateText(value) ? (value as IsoDate) : undefined;
}

/** The ISO date of `DDMMYYYY`, or undefined when it is not a real date. */
export function fromDdmmyyyy(value: string): IsoDate | undefined {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(value);
  return m === null ? undefined : toIsoDate(`${m[3]}-${m[2]}-${m[1]}`);
}

export function toDdmmyyyy(date: IsoDate): string {
  return `${date.slice(8, 10)}${date.slice(5, 7)}${date.slice(0, 4)}`;
}

/** The on-chain YYYYMMDD integer of an ISO date. */
export function toYyyymmdd(date: IsoDate): number {
  return Number(date.replaceAll("-", ""));
}

/** The ISO date of an on-chain YYYYMMDD integer, or undefined when it is not a real date. */
export function fromYyyymmdd(value: number): IsoDate | undefined {
  if (!Number.isInteger(value) || value < 10000101 || value > 99991231) return undefined;
  const s = String(value);
  return toIsoDate(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`);
}

/** `a` before `b`: -1, same day: 0, after: 1 (ISO dates compare as strings). */
export function compareIsoDates(a: IsoDate, b: IsoDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
