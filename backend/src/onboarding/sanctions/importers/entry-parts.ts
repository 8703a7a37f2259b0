import { resolveCountry, type CountryRef } from "../../countries";
import type { ListedName, NameQuality } from "../model";

/** Countries in first-seen order, one per code (or per raw text when unresolved). */
export function uniqueCountries(raws: Iterable<string>): CountryRef[] {
  const seen = new Set<string>();
  const countries: CountryRef[] = [];
  for (const raw of raws) {
    if (raw.trim() === "") continue;
    const country = resolveCountry(raw);
    const key = country.code ?? `raw:${country.raw.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    countries.push(country);
  }
  return countries;
}

/**
 * A list name and its parts. Individuals written "LAST, First" (OFAC style) get parts
 * [given names, surname]; other names are one part, or the source's own parts when given.
 */
export function listedName(full: string, quality: NameQuality, options: { individual: boolean; parts?: string[] }): ListedName {
  const trimmed = full.trim().replace(/\s+/gu, " ");
  if (options.parts && options.parts.length > 0) return { full: trimmed, parts: options.parts, quality };
  const commaParts = trimmed.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (options.individual && commaParts.length === 2) {
    return { full: trimmed, parts: [commaParts[1], commaParts[0]], quality };
  }
  return { full: trimmed, parts: [trimmed], quality };
}

/** Drops repeated names (same text and quality), keeping the first. */
export function uniqueNames(names: readonly ListedName[]): ListedName[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = `${name.quality}\u0000${name.full}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
