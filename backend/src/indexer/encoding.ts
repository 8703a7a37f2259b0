/**
 * How chain values are written to the read model: addresses and hashes as lower-case hex text,
 * integers as decimal strings (numeric columns), short ASCII identifiers as text. Postgres text
 * and jsonb cannot hold U+0000, which contract strings may contain: it is replaced by U+FFFD (the
 * exact bytes stay in `chain_logs.data`).
 */
import type { Hex } from "viem";

/** A lower-case 0x hex string as stored (addresses, hashes). */
export type StoredHex = Lowercase<Hex>;

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000" as const;

/** `value` as stored: lower-case hex. */
export function storedHex(value: string): StoredHex {
  return value.toLowerCase() as StoredHex;
}

/** A uint for a numeric(…) parameter. */
export function numericParam(value: bigint | number): string {
  return value.toString();
}

/** Free text from a contract, safe for Postgres text (U+0000 → U+FFFD). */
export function pgText(value: string): string {
  return value.includes("\u0000") ? value.replaceAll("\u0000", "\uFFFD") : value;
}

/** Decoded event arguments as JSON for a jsonb column: bigints as decimal strings, text made Postgres-safe. */
export function argsJson(args: unknown): string {
  return JSON.stringify(args, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "string") return pgText(value);
    return value;
  });
}

/** The printable-ASCII text of a right-padded bytesN (`0x5645525241…00` → "VERRA"), else the lower-case hex itself. */
export function paddedAsciiText(hex: Hex): string {
  const bytes = Buffer.from(hex.slice(2), "hex");
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end -= 1;
  const text = bytes.subarray(0, end);
  return text.every((byte) => byte >= 0x20 && byte <= 0x7e) ? text.toString("latin1") : storedHex(hex);
}

/** A bytes2 country code as text, or null for 0x0000 (the contracts' "any"). */
export function countryText(hex: Hex): string | null {
  return /^0x0{4}$/.test(hex) ? null : paddedAsciiText(hex);
}

/** A bytes32 that means "none" when zero: null for zero, else stored hex. */
export function optionalBytes32(hex: Hex): StoredHex | null {
  return /^0x0{64}$/.test(hex) ? null : storedHex(hex);
}
