/**
 * Encodings shared by the on-chain shapes: uint64 as bigint, right-padded ASCII `bytes16`,
 * `bytes2` country codes, `bytes32` hex.
 */
import { z } from "zod";

export type Hex = `0x${string}`;

export const UINT64_MAX = 2n ** 64n - 1n;

/** A uint64 given as a bigint, a safe integer or a decimal string; parses to a bigint. */
export const uint64Schema = z
  .union([
    z.bigint(),
    z.number().int({ message: "must be a whole number" }).min(0).max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^(0|[1-9]\d*)$/, { message: "must be a decimal integer without leading zeros" }),
  ])
  .transform((value) => BigInt(value))
  .refine((value) => value >= 0n && value <= UINT64_MAX, { message: `must be in 0..${UINT64_MAX}` });

/** A uint64 as a decimal string, the JSON wire form of serial numbers and quantities. */
export const uintStringSchema = z
  .string()
  .regex(/^(0|[1-9]\d*)$/, { message: "must be a decimal integer without leading zeros" })
  .refine((value) => BigInt(value) <= UINT64_MAX, { message: `must be at most ${UINT64_MAX}` });

const UINT256_MAX = (1n << 256n) - 1n;

/** A uint256 as a decimal string (token ids such as certificate ids `(batchId << 64) | firstSerial`). */
export const uint256StringSchema = z
  .string()
  .regex(/^(0|[1-9]\d*)$/, { message: "must be a decimal integer without leading zeros" })
  .refine((value) => BigInt(value) <= UINT256_MAX, { message: "must be at most 2^256 - 1" });

export const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { message: "must be 0x followed by 64 hex digits" })
  .transform((value) => value.toLowerCase() as Hex);

export const ZERO_BYTES32: Hex = `0x${"00".repeat(32)}`;
export const ZERO_BYTES2: Hex = "0x0000";

/** Why `value` cannot be a right-padded ASCII bytes16, or undefined when it can. */
export function bytes16TextProblem(value: string, { allowEmpty = false } = {}): string | undefined {
  if (value.length === 0) return allowEmpty ? undefined : "must not be empty";
  if (!/^[\x20-\x7e]+$/.test(value)) return "must be printable ASCII";
  if (value.trim() !== value) return "must not start or end with spaces";
  if (value.length > 16) return `must be at most 16 ASCII characters (got ${value.length})`;
  return undefined;
}

/** Right-pads ASCII `value` with zero bytes to a bytes16 (`"VERRA"` → 0x5645525241000…). */
export function asciiToBytes16(value: string, options: { allowEmpty?: boolean } = {}): Hex {
  const problem = bytes16TextProblem(value, options);
  if (problem !== undefined) throw new RangeError(`bytes16 text ${JSON.stringify(value)} ${problem}`);
  return `0x${Buffer.from(value, "ascii").toString("hex").padEnd(32, "0")}`;
}

/** The ASCII text of a right-padded bytes16. */
export function bytes16ToAscii(hex: Hex): string {
  if (!/^0x[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`${hex} is not a bytes16`);
  return Buffer.from(hex.slice(2), "hex").toString("latin1").replace(/\0+$/, "");
}

/** `"ET"` → `0x4554`. */
export function countryToBytes2(code: string): Hex {
  if (!/^[A-Z]{2}$/.test(code)) throw new RangeError(`${JSON.stringify(code)} is not a two-letter country code`);
  return `0x${Buffer.from(code, "ascii").toString("hex")}`;
}

/** `0x4554` → `"ET"`; `0x0000` → undefined. */
export function bytes2ToCountry(hex: Hex): string | undefined {
  if (!/^0x[0-9a-fA-F]{4}$/.test(hex)) throw new RangeError(`${hex} is not a bytes2`);
  return hex === ZERO_BYTES2 ? undefined : Buffer.from(hex.slice(2), "hex").toString("latin1");
}

/** Length of `value` in UTF-8 bytes (what the contracts limit). */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, "utf8");
}
