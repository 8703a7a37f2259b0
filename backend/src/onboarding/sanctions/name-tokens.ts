import jaroWinkler from "talisman/metrics/jaro-winkler";
import doubleMetaphone from "talisman/phonetics/double-metaphone";
import soundex from "talisman/phonetics/soundex";
import { WEAK_PARTICLES } from "./normalize";

/** A normalised name token with its phonetic keys, computed once. */
export interface PreparedToken {
  readonly text: string;
  /** 1 for ordinary tokens, lower for weak particles (al, bin, van, de …). */
  readonly weight: number;
  /** Soundex code; null for tokens that are not plain Latin letters (digits, other scripts). */
  readonly soundex: string | null;
  /** Distinct non-empty Double Metaphone codes (primary, secondary); empty when not plain Latin letters. */
  readonly metaphone: readonly string[];
}

/** How two tokens agree phonetically; "exact" and "none" are used for tokens without phonetic codes. */
export type PhoneticAgreement = "soundex+metaphone" | "soundex" | "metaphone" | "initial" | "exact" | "none";

export interface PartComparison {
  readonly jaroWinkler: number;
  readonly phonetic: PhoneticAgreement;
  /** 0.6 × Jaro-Winkler + 0.4 × phonetic agreement (½ Soundex, ½ Double Metaphone); 1 for equal tokens. */
  readonly score: number;
}

export const WEAK_PARTICLE_WEIGHT = 0.3;
/** Share of Jaro-Winkler in a part score: all of it when phonetic codes do not agree (see compareTokens). */
export const JARO_WINKLER_SHARE = 0.6;
const PHONETIC_SHARE = 0.4;
/** Score of an initial against a name starting with it ("j" ~ "john"). */
const INITIAL_SCORE = 0.6;

const PLAIN_LATIN = /^[a-z]+$/u;

export function prepareToken(text: string): PreparedToken {
  const weight = WEAK_PARTICLES.has(text) ? WEAK_PARTICLE_WEIGHT : 1;
  if (!PLAIN_LATIN.test(text)) return { text, weight, soundex: null, metaphone: [] };
  const codes = doubleMetaphone(text).filter((code) => code !== "");
  return { text, weight, soundex: soundex(text), metaphone: [...new Set(codes)] };
}

/** Phonetic keys of a token (exact text for tokens without phonetic codes); tokens scoring above 0.6 share at least one. */
export function blockingKeys(token: PreparedToken): string[] {
  if (token.soundex === null) return [`t:${token.text}`];
  return [`s:${token.soundex}`, ...token.metaphone.map((code) => `m:${code}`)];
}

function isInitialOf(initial: PreparedToken, word: PreparedToken): boolean {
  return initial.text.length === 1 && initial.soundex !== null && word.text.length > 1 && word.text.startsWith(initial.text);
}

function phoneticAgreement(a: PreparedToken, b: PreparedToken): { soundex: boolean; metaphone: boolean } {
  return { soundex: a.soundex === b.soundex, metaphone: a.metaphone.some((code) => b.metaphone.includes(code)) };
}

/** Compares two tokens. Symmetric: compareTokens(a, b) equals compareTokens(b, a). */
export function compareTokens(a: PreparedToken, b: PreparedToken): PartComparison {
  if (a.text === b.text) return { jaroWinkler: 1, phonetic: a.soundex === null ? "exact" : "soundex+metaphone", score: 1 };
  const similarity = a.text < b.text ? jaroWinkler(a.text, b.text) : jaroWinkler(b.text, a.text);
  if (a.soundex === null || b.soundex === null) {
    return { jaroWinkler: similarity, phonetic: "none", score: JARO_WINKLER_SHARE * similarity };
  }
  const { soundex: soundexAgrees, metaphone: metaphoneAgrees } = phoneticAgreement(a, b);
  const phonetic: PhoneticAgreement = soundexAgrees && metaphoneAgrees ? "soundex+metaphone"
    : soundexAgrees ? "soundex" : metaphoneAgrees ? "metaphone" : "none";
  const agreement = (soundexAgrees ? 0.5 : 0) + (metaphoneAgrees ? 0.5 : 0);
  const score = JARO_WINKLER_SHARE * similarity + PHONETIC_SHARE * agreement;
  if (score < INITIAL_SCORE && (isInitialOf(a, b) || isInitialOf(b, a))) {
    return { jaroWinkler: similarity, phonetic: "initial", score: INITIAL_SCORE };
  }
  return { jaroWinkler: similarity, phonetic, score };
}
