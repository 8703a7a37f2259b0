import { ISO_3166_COUNTRIES } from "./country-codes";
import { foldText } from "./text-fold";

/** A country as a source or an applicant wrote it, with its ISO 3166-1 alpha-2 code when known. */
export interface CountryRef {
  /** ISO 3166-1 alpha-2 (or a user-assigned code in use, e.g. XK), upper case; null when not recognised. */
  readonly code: string | null;
  /** The value as written in the source. */
  readonly raw: string;
}

/** Names used by sanctions lists and applicants that are not among the ISO short/official/common names. */
const EXTRA_COUNTRY_NAMES: ReadonlyArray<readonly [string, string]> = [
  ["XK", "Kosovo"], ["KP", "Korea, North"], ["KR", "Korea, South"], ["MM", "Burma"],
  ["RU", "Russia"], ["TR", "Turkey"], ["CZ", "Czech Republic"], ["GB", "UK"], ["GB", "Great Britain"],
  ["GB", "Britain"], ["US", "USA"], ["US", "United States of America"], ["AE", "UAE"],
  ["CD", "Democratic Republic of the Congo"], ["CD", "Congo, Democratic Republic of the"], ["CD", "DRC"],
  ["CG", "Congo, Republic of the"], ["CI", "Ivory Coast"], ["PS", "Palestine"], ["PS", "West Bank"],
  ["PS", "Gaza"], ["VA", "Holy See"], ["VA", "Vatican"], ["SZ", "Swaziland"], ["MK", "Macedonia"],
  ["CV", "Cape Verde"], ["TL", "East Timor"], ["FM", "Micronesia"], ["BN", "Brunei"],
  ["SY", "Syria"], ["IR", "Iran"], ["LA", "Laos"], ["VN", "Vietnam"], ["TW", "Taiwan"],
];

/** ICAO 9303 machine-readable-zone codes that are not ISO 3166-1 alpha-3. Null: not a country. */
const ICAO_SPECIAL_CODES: ReadonlyMap<string, string | null> = new Map<string, string | null>([
  ["D", "DE"], ["GBD", "GB"], ["GBN", "GB"], ["GBO", "GB"], ["GBP", "GB"], ["GBS", "GB"],
  ["RKS", "XK"], ["EUE", null], ["UNO", null], ["UNA", null], ["UNK", "XK"], ["XOM", null],
  ["XXA", null], ["XXB", null], ["XXC", null], ["XXX", null], ["UTO", null], ["XPO", null],
]);

/** Letters and digits only, without a leading "the": "Côte d'Ivoire" and "Cote d Ivoire" give the same key. */
function countryKey(name: string): string {
  return foldText(name).trim().replace(/^the\s+/u, "").replace(/[^\p{L}\p{N}]+/gu, "");
}

/** Variants of an ISO-style name: "Korea, Republic of" → "Republic of Korea"; "Iran (Islamic Republic of)" → "Islamic Republic of Iran". */
function nameVariants(name: string): string[] {
  const variants = [name];
  const inverted = /^(.+?),\s*(.+)$/u.exec(name);
  if (inverted) variants.push(`${inverted[2]} ${inverted[1]}`);
  const parenthesised = /^(.+?)\s*\((.+)\)$/u.exec(name);
  if (parenthesised) variants.push(`${parenthesised[2]} ${parenthesised[1]}`, parenthesised[1]);
  return variants;
}

function buildCountryLookup(): {
  byName: ReadonlyMap<string, string>;
  byAlpha2: ReadonlySet<string>;
  byAlpha3: ReadonlyMap<string, string>;
} {
  const byName = new Map<string, string>();
  const byAlpha2 = new Set<string>(["XK"]);
  const byAlpha3 = new Map<string, string>();
  for (const [alpha2, alpha3, names] of ISO_3166_COUNTRIES) {
    byAlpha2.add(alpha2);
    byAlpha3.set(alpha3, alpha2);
    for (const name of names) for (const variant of nameVariants(name)) byName.set(countryKey(variant), alpha2);
  }
  for (const [alpha2, name] of EXTRA_COUNTRY_NAMES) byName.set(countryKey(name), alpha2);
  return { byName, byAlpha2, byAlpha3 };
}

const COUNTRY_LOOKUP = buildCountryLookup();

/**
 * Resolves a country written as an ISO alpha-2 code ("ir", "IR"), alpha-3 code ("IRN") or an English
 * name in any of the usual list spellings ("Iran", "Iran (Islamic Republic of)", "Iran, Islamic Republic of").
 */
export function resolveCountry(raw: string): CountryRef {
  const trimmed = raw.trim();
  const upper = trimmed.toUpperCase();
  if (/^[A-Z]{2}$/u.test(upper) && COUNTRY_LOOKUP.byAlpha2.has(upper)) return { code: upper, raw: trimmed };
  if (/^[A-Z]{3}$/u.test(upper) && COUNTRY_LOOKUP.byAlpha3.has(upper)) {
    return { code: COUNTRY_LOOKUP.byAlpha3.get(upper) ?? null, raw: trimmed };
  }
  for (const variant of nameVariants(trimmed)) {
    const code = COUNTRY_LOOKUP.byName.get(countryKey(variant));
    if (code) return { code, raw: trimmed };
  }
  return { code: null, raw: trimmed };
}

/** Resolves an ICAO 9303 MRZ state code ("UTO", "D", "GBR", "RKS"), filler characters removed. */
export function resolveIcaoCountryCode(mrzCode: string): CountryRef {
  const code = mrzCode.replace(/</gu, "");
  if (ICAO_SPECIAL_CODES.has(code)) return { code: ICAO_SPECIAL_CODES.get(code) ?? null, raw: code };
  const alpha2 = COUNTRY_LOOKUP.byAlpha3.get(code);
  return { code: alpha2 ?? null, raw: code };
}

/** True when both refer to the same country: same code, or (both unresolved) the same folded name. */
export function sameCountry(a: CountryRef, b: CountryRef): boolean {
  if (a.code !== null && b.code !== null) return a.code === b.code;
  if (a.code === null && b.code === null) return countryKey(a.raw) === countryKey(b.raw);
  return false;
}
