import { z } from "zod";
import { parseUnit } from "../units";
import { NumberFormatError, NumberFormatSchema, parseNumber } from "./numbers";
import { TimestampError, TimestampFormatSchema, UtcOffsetSchema, parseWallClockIso, timestampParser } from "./timestamps";
import { type MalformedRecord, type RawCell, type RowError, type SourceItem, type SourceRow, rawText } from "./types";

/**
 * The declared column mapping of a source, and the step that turns raw rows into readings.
 * Each source declares which column holds the timestamp, value, unit, sensor and parameter (or a
 * constant for it), the timestamp format and the number format: nothing is guessed. A row that
 * does not fit is quarantined with one RowError per problem; the rest are accepted.
 */

/** A column by header name (or JSON property path) or by 0-based position. */
export const ColumnRefSchema = z.union([z.string().min(1), z.number().int().nonnegative()]);
export type ColumnRef = z.infer<typeof ColumnRefSchema>;

const FieldSourceSchema = z.union([
  z.object({ column: ColumnRefSchema }).strict(),
  z.object({ constant: z.string().trim().min(1) }).strict(),
]);

export const SourceMappingSchema = z
  .object({
    timestamp: z.object({ column: ColumnRefSchema, format: TimestampFormatSchema, utcOffset: UtcOffsetSchema.default("Z") }).strict(),
    value: z.object({ column: ColumnRefSchema, number: NumberFormatSchema.default({ decimalSeparator: ".", thousandsSeparator: "" }) }).strict(),
    unit: FieldSourceSchema,
    sensorId: FieldSourceSchema,
    /** What is measured, e.g. "EG_export" or "diesel_consumption". */
    parameter: FieldSourceSchema,
  })
  .strict()
  .superRefine((mapping, ctx) => {
    if ("constant" in mapping.unit) {
      try {
        parseUnit(mapping.unit.constant);
      } catch (error) {
        ctx.addIssue({ code: "custom", path: ["unit", "constant"], message: (error as Error).message });
      }
    }
  });
export type SourceMapping = z.infer<typeof SourceMappingSchema>;
export type SourceMappingInput = z.input<typeof SourceMappingSchema>;

/** A row that passed validation, in the units and time the source declared. */
export interface Reading {
  readonly file: string;
  readonly row: number;
  readonly page?: number;
  readonly timestamp: Date;
  /** Canonical decimal string. */
  readonly value: string;
  /** Canonical unit symbol (see units.ts). */
  readonly unit: string;
  readonly sensorId: string;
  readonly parameter: string;
}

export interface QuarantinedRow {
  readonly file: string;
  readonly row: number;
  readonly endRow?: number;
  readonly page?: number;
  readonly raw: string;
  readonly errors: readonly RowError[];
}

export type MappedItem =
  | { readonly kind: "accepted"; readonly reading: Reading }
  | { readonly kind: "quarantined"; readonly quarantined: QuarantinedRow };

export class SourceMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceMappingError";
  }
}

export function parseSourceMapping(input: unknown): SourceMapping {
  const parsed = SourceMappingSchema.safeParse(input);
  if (!parsed.success) {
    throw new SourceMappingError(
      `invalid source mapping: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(mapping)"}: ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}

type FieldName = "timestamp" | "value" | "unit" | "sensorId" | "parameter";
const FIELDS: readonly FieldName[] = ["timestamp", "value", "unit", "sensorId", "parameter"];

function columnOf(mapping: SourceMapping, field: FieldName): ColumnRef | undefined {
  const source = mapping[field];
  return "column" in source ? source.column : undefined;
}

function columnLabel(ref: ColumnRef): string {
  return typeof ref === "number" ? `#${ref}` : ref;
}

/** Column positions of the mapped fields in one header; undefined where a column is absent. */
type Resolved = Partial<Record<FieldName, number>>;

function resolveColumns(mapping: SourceMapping, header: readonly string[]): { resolved: Resolved; missing: FieldName[] } {
  const resolved: Resolved = {};
  const missing: FieldName[] = [];
  for (const field of FIELDS) {
    const ref = columnOf(mapping, field);
    if (ref === undefined) continue;
    const index = typeof ref === "number" ? (ref < header.length ? ref : -1) : header.indexOf(ref);
    if (typeof ref === "string" && index >= 0 && header.indexOf(ref, index + 1) >= 0) {
      throw new SourceMappingError(`column ${JSON.stringify(ref)} appears more than once in the header; map it by position instead`);
    }
    if (index < 0) missing.push(field);
    else resolved[field] = index;
  }
  return { resolved, missing };
}

function quarantineMalformed(item: MalformedRecord): MappedItem {
  const location = { file: item.file, row: item.row, ...(item.page === undefined ? {} : { page: item.page }) };
  return {
    kind: "quarantined",
    quarantined: {
      ...location,
      ...(item.endRow === undefined ? {} : { endRow: item.endRow }),
      raw: item.raw,
      errors: [{ ...location, column: "(record)", expected: item.expected, got: `${item.reason}: ${JSON.stringify(item.raw.slice(0, 200))}` }],
    },
  };
}

/** A mapping with its timestamp parser built once, for use on many rows. */
interface CompiledMapping {
  readonly mapping: SourceMapping;
  readonly parseTimestamp: (text: string) => Date;
  /** Unit texts already recognized, to their symbols (a file uses a handful). */
  readonly knownUnits: Map<string, string>;
}

const KNOWN_UNITS_LIMIT = 256;

function compileMapping(input: SourceMappingInput | SourceMapping): CompiledMapping {
  const mapping = parseSourceMapping(input);
  return { mapping, parseTimestamp: timestampParser(mapping.timestamp.format, mapping.timestamp.utcOffset), knownUnits: new Map() };
}

/** One row being mapped; one context is reused from row to row (mapRow runs for every row). */
interface RowContext {
  row: SourceRow;
  readonly compiled: CompiledMapping;
  resolved: Resolved;
  /** The row's errors; undefined while there are none. */
  errors: RowError[] | undefined;
}

function locationOf(row: SourceRow): { file: string; row: number; page?: number } {
  return row.page === undefined ? { file: row.file, row: row.row } : { file: row.file, row: row.row, page: row.page };
}

function fail(ctx: RowContext, field: FieldName, expected: string, got: string): void {
  const ref = columnOf(ctx.compiled.mapping, field);
  ctx.errors ??= [];
  ctx.errors.push({ ...locationOf(ctx.row), column: ref === undefined ? field : columnLabel(ref), expected, got });
}

function cellOf(ctx: RowContext, field: FieldName): RawCell | undefined {
  const index = ctx.resolved[field];
  return index === undefined ? undefined : ctx.row.cells[index];
}

/** The field's text (a constant, or the trimmed cell), or undefined after recording why not. */
function textOf(ctx: RowContext, field: FieldName): string | undefined {
  const source = ctx.compiled.mapping[field];
  if ("constant" in source) return source.constant;
  const cell = cellOf(ctx, field);
  if (cell === undefined) {
    fail(ctx, field, `a value in column ${columnLabel(source.column)}`, "no such column in this row");
    return undefined;
  }
  if (cell.invalid !== undefined) {
    fail(ctx, field, cell.invalid.expected, cell.text);
    return undefined;
  }
  const text = cell.text.trim();
  if (text === "") {
    fail(ctx, field, `a ${field} value`, "an empty cell");
    return undefined;
  }
  return text;
}

function timestampOf(ctx: RowContext): Date | undefined {
  const text = textOf(ctx, "timestamp");
  if (text === undefined) return undefined;
  try {
    return cellOf(ctx, "timestamp")?.type === "datetime"
      ? parseWallClockIso(text, ctx.compiled.mapping.timestamp.utcOffset)
      : ctx.compiled.parseTimestamp(text);
  } catch (error) {
    if (!(error instanceof TimestampError)) throw error;
    fail(ctx, "timestamp", error.expected, text);
    return undefined;
  }
}

function valueOf(ctx: RowContext): string | undefined {
  const text = textOf(ctx, "value");
  if (text === undefined) return undefined;
  if (cellOf(ctx, "value")?.type === "number") return text;
  try {
    return parseNumber(text, ctx.compiled.mapping.value.number);
  } catch (error) {
    if (!(error instanceof NumberFormatError)) throw error;
    fail(ctx, "value", error.expected, text);
    return undefined;
  }
}

function unitOf(ctx: RowContext): string | undefined {
  const text = textOf(ctx, "unit");
  if (text === undefined) return undefined;
  const known = ctx.compiled.knownUnits.get(text);
  if (known !== undefined) return known;
  try {
    const symbol = parseUnit(text).symbol;
    if (ctx.compiled.knownUnits.size < KNOWN_UNITS_LIMIT) ctx.compiled.knownUnits.set(text, symbol);
    return symbol;
  } catch (error) {
    fail(ctx, "unit", (error as Error).message.replace(/^(unknown|ambiguous) unit "[^"]*"[;:] ?/, "a known, unambiguous unit: "), text);
    return undefined;
  }
}

/** Validates and interprets one row: accepted, or quarantined with every error found. */
function mapRow(row: SourceRow, ctx: RowContext): MappedItem {
  ctx.row = row;
  ctx.errors = undefined;
  const timestamp = timestampOf(ctx);
  const value = valueOf(ctx);
  const unit = unitOf(ctx);
  const sensorId = textOf(ctx, "sensorId");
  const parameter = textOf(ctx, "parameter");
  if (timestamp === undefined || value === undefined || unit === undefined || sensorId === undefined || parameter === undefined) {
    return { kind: "quarantined", quarantined: { ...locationOf(row), raw: rawText(row), errors: ctx.errors ?? [] } };
  }
  const reading: Reading =
    row.page === undefined
      ? { file: row.file, row: row.row, timestamp, value, unit, sensorId, parameter }
      : { file: row.file, row: row.row, page: row.page, timestamp, value, unit, sensorId, parameter };
  return { kind: "accepted", reading };
}

/**
 * The mapping step for one item at a time: a row becomes accepted or quarantined, a malformed
 * record quarantined, a header checked (undefined: nothing to emit). A mapped column missing from
 * a file's header is a mapping error (thrown before any row is accepted); missing from one JSON
 * record, a row error.
 */
function createItemMapper(mappingInput: SourceMappingInput | SourceMapping): (item: SourceItem) => MappedItem | undefined {
  const compiled = compileMapping(mappingInput);
  const { mapping } = compiled;
  let lastHeader: readonly string[] | undefined;
  const ctx: RowContext = { row: undefined as unknown as SourceRow, compiled, resolved: {}, errors: undefined };
  const requireColumns = (file: string, header: readonly string[]): Resolved => {
    const columns = resolveColumns(mapping, header);
    if (columns.missing.length > 0) {
      const names = columns.missing.map((f) => `${f} -> ${columnLabel(columnOf(mapping, f) as ColumnRef)}`).join(", ");
      throw new SourceMappingError(
        `${file}: mapped column(s) not found: ${names}; the file has ${header.length} column(s): ${header.map((h) => JSON.stringify(h)).join(", ")}`,
      );
    }
    return columns.resolved;
  };
  return (item) => {
    if (item.kind === "malformed") return quarantineMalformed(item);
    if (item.kind === "header") {
      requireColumns(item.file, item.header);
      return undefined;
    }
    if (item.header !== lastHeader) {
      ctx.resolved = item.headerScope === "file" ? requireColumns(item.file, item.header) : resolveColumns(mapping, item.header).resolved;
      lastHeader = item.header;
    }
    return mapRow(item, ctx);
  };
}

/**
 * Streams source items through the mapping: one output per input row or malformed record,
 * accepted or quarantined, in order. Memory stays bounded by one row.
 */
export async function* mapSourceRows(items: AsyncIterable<SourceItem>, mappingInput: SourceMappingInput | SourceMapping): AsyncGenerator<MappedItem> {
  const mapItem = createItemMapper(mappingInput);
  for await (const item of items) {
    const mapped = mapItem(item);
    if (mapped !== undefined) yield mapped;
  }
}

/** mapSourceRows for batches of items (one batch out per batch in): no await per row. */
export async function* mapSourceRowBatches(batches: AsyncIterable<readonly SourceItem[]>, mappingInput: SourceMappingInput | SourceMapping): AsyncGenerator<MappedItem[]> {
  const mapItem = createItemMapper(mappingInput);
  for await (const batch of batches) {
    const out: MappedItem[] = [];
    for (const item of batch) {
      const mapped = mapItem(item);
      if (mapped !== undefined) out.push(mapped);
    }
    yield out;
  }
}

/** Collects a mapped stream into arrays, for sources known to be small. */
export async function collectMapped(items: AsyncIterable<MappedItem>): Promise<{ accepted: Reading[]; quarantined: QuarantinedRow[] }> {
  const accepted: Reading[] = [];
  const quarantined: QuarantinedRow[] = [];
  for await (const item of items) {
    if (item.kind === "accepted") accepted.push(item.reading);
    else quarantined.push(item.quarantined);
  }
  return { accepted, quarantined };
}
