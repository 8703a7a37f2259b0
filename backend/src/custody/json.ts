/** JSON-safe copies for API and CLI answers: bigints as decimal strings, dates as ISO strings. */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}
