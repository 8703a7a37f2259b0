/** Human tables and JSON for the CLI, written to injectable streams (tests capture them). */
import { SingleBar, Presets } from "cli-progress";
import type { CliOutput, Progress } from "./command";

export interface Streams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** JSON with bigints as decimal strings and dates as ISO strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return String(value);
}

/** An aligned text table; numbers right-aligned. */
export function formatTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  if (rows.length === 0) return "(none)";
  const cols = columns ?? Object.keys(rows[0]);
  const cells = rows.map((row) => cols.map((c) => cell(row[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const numeric = cols.map((c) => rows.every((row) => row[c] === undefined || typeof row[c] === "number" || typeof row[c] === "bigint"));
  const pad = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const header = cols.map((c, i) => pad(c, i)).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [header, rule, ...cells.map((r) => r.map((t, i) => pad(t, i)).join("  ").trimEnd())].join("\n");
}

export function createOutput(streams: Streams, json: boolean): CliOutput {
  const write = (text: string) => streams.stdout.write(`${text}\n`);
  return {
    table: (rows, columns) => write(formatTable(rows, columns)),
    json: (value) => write(toJson(value)),
    line: (text) => write(text),
    error: (text) => streams.stderr.write(`${text}\n`),
    result: (human, value) => (json ? write(toJson(value)) : human()),
  };
}

const SILENT: Progress = { increment() {}, update() {}, setTotal() {}, stop() {} };

export function createProgress(streams: Streams, json: boolean, label: string, total?: number): Progress {
  if (json || streams.stderr.isTTY !== true) return SILENT;
  const bar = new SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`, stream: streams.stderr as NodeJS.WriteStream, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(total ?? 0, 0);
  return {
    increment: (n = 1) => bar.increment(n),
    update: (n) => bar.update(n),
    setTotal: (t) => bar.setTotal(t),
    stop: () => bar.stop(),
  };
}
