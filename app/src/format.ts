/** Display helpers: fixed-width on-chain text, tonnes, stablecoin amounts, labels, dates. */
import { hexToString, type Hex } from "viem";

/** Right-padded ASCII (bytes16 / bytes2) → text. */
export function shortText(value: Hex): string {
  return hexToString(value).replace(/\0+$/, "");
}

/** The payment token has 6 decimals (USDC-shaped). */
export const USD_DECIMALS = 6;

export function formatUsd(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / 10n ** BigInt(USD_DECIMALS);
  const cents = (abs % 10n ** BigInt(USD_DECIMALS)) / 10n ** BigInt(USD_DECIMALS - 2);
  return `${negative ? "-" : ""}$${whole.toLocaleString("en-US")}.${cents.toString().padStart(2, "0")}`;
}

/** Parses "12.5" (dollars) into 6-decimal base units; undefined when not a non-negative amount with ≤ 6 decimals. */
export function parseUsd(text: string): bigint | undefined {
  const m = /^\s*(\d{1,15})(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (m === null) return undefined;
  return BigInt(m[1]) * 10n ** 6n + BigInt((m[2] ?? "").padEnd(6, "0"));
}

export function formatTonnes(n: bigint | number): string {
  return `${Number(n).toLocaleString("en-US")} t`;
}

export const LABELS = [
  { bit: 1, name: "CCP" },
  { bit: 2, name: "CORSIA" },
  { bit: 4, name: "Article 6" },
] as const;

export function labelNames(mask: number): string[] {
  return LABELS.filter((l) => (mask & l.bit) !== 0).map((l) => l.name);
}

/** Vintages are years (2020) or days (20200101, YYYYMMDD); a whole calendar year prints as the year. */
export function formatVintage(start: number, end: number): string {
  if (start > 9999 && end > 9999) {
    const [sy, ey] = [Math.floor(start / 10000), Math.floor(end / 10000)];
    if (start % 10000 === 101 && end % 10000 === 1231) return sy === ey ? String(sy) : `${sy}–${ey}`;
    return `${formatDay(start)} – ${formatDay(end)}`;
  }
  return start === end ? String(start) : `${start}–${end}`;
}

/** YYYYMMDD → YYYY-MM-DD. */
export function formatDay(day: number): string {
  const s = String(day).padStart(8, "0");
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}

/** YYYY-MM-DD → YYYYMMDD, undefined when not a date. */
export function parseDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (m === null) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text.trim()) return undefined;
  return Number(`${m[1]}${m[2]}${m[3]}`);
}

export function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

export function formatTime(unixSeconds: number | bigint): string {
  return new Date(Number(unixSeconds) * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}
