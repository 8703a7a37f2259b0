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
  /** Bit i set when the letter a+i occurs (plain Latin tokens only): a cheap bound on shared letters. */
  readonly letterMask: number;
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
const JARO_WINKLER_SHARE = 0.6;
const PHONETIC_SHARE = 0.4;
/** Score of an initial against a name starting with it ("j" ~ "john"). */
const INITIAL_SCORE = 0.6;
/**
 * Highest score two tokens can reach without sharing a blocking key (no phonetic agreement and not equal):
 * 0.6 × Jaro-Winkler ≤ 0.6, initials 0.6. The screening index relies on this bound.
 */
export const MAX_SCORE_WITHOUT_SHARED_KEY = Math.max(JARO_WINKLER_SHARE, INITIAL_SCORE);

const PLAIN_LATIN = /^[a-z]+$/u;

export function prepareToken(text: string): PreparedToken {
  const weight = WEAK_PARTICLES.has(text) ? WEAK_PARTICLE_WEIGHT : 1;
  if (!PLAIN_LATIN.test(text)) return { text, weight, soundex: null, metaphone: [], letterMask: 0 };
  const codes = doubleMetaphone(text).filter((code) => code !== "");
  let letterMask = 0;
  for (let index = 0; index < text.length; index++) letterMask |= 1 << (text.charCodeAt(index) - 97);
  return { text, weight, soundex: soundex(text), metaphone: [...new Set(codes)], letterMask };
}

/** Keys under which the index files a token; two tokens that can score above 0.6 share at least one. */
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

/** Characters of `a` whose letter occurs somewhere in `b`: at least the number of Jaro matches. */
function lettersFoundIn(a: PreparedToken, b: PreparedToken): number {
  let found = 0;
  for (let index = 0; index < a.text.length; index++) if (b.letterMask & (1 << (a.text.charCodeAt(index) - 97))) found++;
  return found;
}

/** An upper bound of Jaro-Winkler from shared letters and the common prefix, without computing it. */
function jaroWinklerUpperBound(a: PreparedToken, b: PreparedToken): number {
  const matches = Math.min(lettersFoundIn(a, b), lettersFoundIn(b, a));
  const jaro = (matches / a.text.length + matches / b.text.length + 1) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < a.text.length && prefix < b.text.length && a.text[prefix] === b.text[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/**
 * compareTokens(a, b).score when it is at least `floor`; otherwise some value below `floor`. Skips
 * Jaro-Winkler for plain Latin tokens without phonetic agreement when a cheap bound shows 0.6 × JW < floor.
 */
export function partScoreAtLeast(a: PreparedToken, b: PreparedToken, floor: number): number {
  if (a.text === b.text) return 1;
  if (a.soundex !== null && b.soundex !== null) {
    const agreement = phoneticAgreement(a, b);
    const initial = isInitialOf(a, b) || isInitialOf(b, a);
    if (!agreement.soundex && !agreement.metaphone && !initial && JARO_WINKLER_SHARE * jaroWinklerUpperBound(a, b) < floor) return 0;
  }
  return compareTokens(a, b).score;
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
