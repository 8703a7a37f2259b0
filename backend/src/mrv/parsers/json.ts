import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { z } from "zod";
import { canonicalDecimalString } from "../decimal";
import type { RawCell, SourceItem } from "./types";

/**
 * JSON sources: a document with an array of records at a declared path (`readJsonRows`), or
 * newline-delimited JSON streamed line by line (`readNdjsonRows`). Nested objects are flattened
 * to dotted property paths ("meter.id"), which the mapping refers to.
 *
 * Numbers keep their exact digits: where the runtime gives the reviver the number's source text
 * (Node >= 21) that text is used; otherwise a number whose shortest representation has more than
 * 15 significant digits may have been rounded by JSON.parse, and is refused with a row error
 * asking for it as a string.
 */

export class JsonSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonSourceError";
  }
}

export const JsonOptionsSchema = z.object({
  /** Dotted path to the array of records; "" for a top-level array. */
  recordsPath: z.string().default(""),
});
export type JsonOptions = z.input<typeof JsonOptionsSchema>;

/** A JSON number with the literal it was read from (or the runtime's shortest repr of it). */
class JsonNumber {
  constructor(
    readonly literal: string,
    readonly exact: boolean,
  ) {}

  /** For showing a quarantined record; its value is never read back from this. */
  toJSON(): number {
    return Number(this.literal);
  }
}

const SAFE_DIGITS = 15;

function significantDigits(literal: string): number {
  const mantissa = literal.replace(/^[+-]/, "").replace(/[eE].*$/, "").replace(".", "");
  return mantissa.replace(/^0+/, "").replace(/0+$/, "").length;
}

function parseJson(text: string): unknown {
  return JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) => {
    if (typeof value !== "number") return value;
    const source = context?.source;
    if (source !== undefined) return new JsonNumber(source, true);
    const literal = String(value);
    return new JsonNumber(literal, significantDigits(literal) <= SAFE_DIGITS);
  });
}

function toCell(value: unknown): RawCell {
  if (value instanceof JsonNumber) {
    return value.exact
      ? { text: canonicalDecimalString(value.literal), type: "number" }
      : { text: value.literal, type: "number", invalid: { expected: `a number with at most ${SAFE_DIGITS} significant digits, or the number as a JSON string (its exact digits may have been lost)` } };
  }
  if (value === null) return { text: "", type: "text" };
  return { text: String(value), type: "text" };
}

function flatten(value: unknown, prefix: string, out: Map<string, RawCell>): void {
  if (typeof value === "object" && value !== null && !(value instanceof JsonNumber)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix === "" ? key : `${prefix}.${key}`, out);
    return;
  }
  out.set(prefix, toCell(value));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);
}

function describeJson(value: unknown): string {
  if (value instanceof JsonNumber) return value.literal;
  return JSON.stringify(value)?.slice(0, 200) ?? String(value);
}

function recordToItem(value: unknown, file: string, row: number): SourceItem {
  if (!isRecord(value)) {
    return { kind: "malformed", file, row, raw: describeJson(value), expected: "a JSON object", reason: `found ${Array.isArray(value) ? "an array" : typeof value}` };
  }
  const cells = new Map<string, RawCell>();
  flatten(value, "", cells);
  return { kind: "row", file, row, header: [...cells.keys()], headerScope: "row", cells: [...cells.values()] };
}

function at(document: unknown, path: string): unknown {
  if (path === "") return document;
  return path.split(".").reduce<unknown>((node, key) => (isRecord(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined), document);
}

/** Rows of a JSON document's record array. Row numbers are 1-based positions in that array. */
export async function* readJsonRows(content: string | Uint8Array, options: JsonOptions & { fileName: string }): AsyncGenerator<SourceItem> {
  const { recordsPath } = JsonOptionsSchema.parse(options);
  const text = typeof content === "string" ? content : new TextDecoder("utf-8", { fatal: true }).decode(content);
  let document: unknown;
  try {
    document = parseJson(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new JsonSourceError(`${options.fileName}: not valid JSON: ${(error as Error).message}`);
  }
  const records = at(document, recordsPath);
  if (!Array.isArray(records)) {
    throw new JsonSourceError(`${options.fileName}: expected an array of records at ${recordsPath === "" ? "the top level" : JSON.stringify(recordsPath)}, found ${describeJson(records)?.slice(0, 80)}`);
  }
  for (let i = 0; i < records.length; i++) yield recordToItem(records[i], options.fileName, i + 1);
}

/** Rows of newline-delimited JSON, streamed. Row numbers are line numbers; blank lines are skipped. */
export async function* readNdjsonRows(input: Readable, options: { fileName: string }): AsyncGenerator<SourceItem> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let row = 0;
  try {
    for await (const line of lines) {
      row += 1;
      const text = row === 1 ? line.replace(/^\uFEFF/, "") : line;
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = parseJson(text);
      } catch (error) {
        yield { kind: "malformed", file: options.fileName, row, raw: text.slice(0, 500), expected: "one JSON object per line", reason: (error as Error).message };
        continue;
      }
      yield recordToItem(value, options.fileName, row);
    }
  } finally {
    lines.close();
  }
}
