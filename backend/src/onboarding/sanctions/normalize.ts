import { foldText } from "../text-fold";

/**
 * Name normalisation for screening: "LAST, First" reordering, Unicode folding (case, diacritics,
 * Cyrillic), punctuation, honorifics, generational suffixes and company legal forms removed, tokens.
 * Comparison is token-order independent, so the token list is what matching uses.
 */

export interface NormalizedName {
  /** The input as given. */
  readonly original: string;
  /** Folded name tokens, in reading order ("Muhammad AL RASHID" → muhammad, al, rashid). */
  readonly tokens: readonly string[];
  /** tokens joined by one space; normalizeName(text).tokens equals tokens. */
  readonly text: string;
  /** Particles glued to the next token ("al rashid" → "alrashid"), or null when there is none. */
  readonly gluedTokens: readonly string[] | null;
  readonly removedHonorifics: readonly string[];
  readonly removedLegalForms: readonly string[];
}

const HONORIFICS = new Set([
  "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady", "madam", "mme", "mlle",
  "herr", "frau", "sheikh", "sheik", "shaikh", "shaykh", "cheikh", "hajji", "haji", "hajj", "hadji", "alhaj", "alhaji",
  "alhajji", "sayyid", "sayyed", "mullah", "mulla", "maulana", "maulvi", "imam", "ayatollah", "rev", "reverend",
]);

const GENERATIONAL_SUFFIXES = new Set(["jr", "sr", "junior", "senior", "ii", "iii", "iv"]);

/** Legal forms as token sequences, longest first so "limited liability company" wins over "company". */
const LEGAL_FORMS: readonly (readonly string[])[] = [
  "public joint stock company", "closed joint stock company", "open joint stock company", "joint stock company",
  "limited liability company", "limited liability partnership", "public limited company", "private limited company",
  "gesellschaft mit beschrankter haftung", "sociedad anonima", "societe anonyme", "societa per azioni",
  "private limited", "s a", "s l", "b v", "n v",
  "obshchestvo s ogranichennoy otvetstvennostyu", "obshchestvo s ogranichennoi otvetstvennostyu",
  "publichnoe aktsionernoe obshchestvo", "aktsionernoe obshchestvo",
  "ltd", "limited", "llc", "inc", "incorporated", "corp", "corporation", "co", "company", "sa", "gmbh", "ag", "plc",
  "ooo", "oao", "zao", "pao", "jsc", "ojsc", "cjsc", "pjsc", "pvt", "pte", "bv", "nv", "srl", "spa", "sarl", "sas",
  "sl", "llp", "lp", "kg", "kft", "fze", "fzco", "fzc", "fzllc", "tov",
].map((form) => form.split(" ")).sort((a, b) => b.length - a.length);

/** Name particles: weak on their own, often written joined to the next word ("Al-Rashid", "Alrashid"). */
export const NAME_PARTICLES: ReadonlySet<string> = new Set([
  "al", "el", "ul", "ad", "ar", "as", "at", "az", "ash", "an", "bin", "ibn", "bint", "ben", "abu", "abd", "abdul", "abdel",
  "van", "von", "der", "den", "de", "da", "di", "del", "della", "la", "le", "du", "dos", "das", "mac", "mc",
]);

/** Particles that carry little identifying weight on their own ("abu", "abd" are kept at full weight). */
export const WEAK_PARTICLES: ReadonlySet<string> = new Set(
  [...NAME_PARTICLES].filter((particle) => !["abu", "abd", "abdul", "abdel", "mac", "mc"].includes(particle)),
);

const ABBREVIATION = /(?<![\p{L}\p{N}])((?:\p{L}\.){2,})/gu;
const APOSTROPHES = /['’‘`´ʼʻ]/gu;
const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]+/gu;

/** "AL RASHID, Muhammad" → "Muhammad AL RASHID"; "ACME, LTD." keeps its order (the tail is a legal form). */
export function reorderLastFirst(name: string): string {
  const segments = name.split(",");
  if (segments.length !== 2) return segments.join(" ");
  const [last, first] = segments.map((segment) => segment.trim());
  if (first === "" || last === "") return `${last}${first}`;
  const firstTokens = tokenize(first);
  const tailIsQualifier = firstTokens.length > 0 && (
    stripLegalForms(firstTokens).tokens.length === 0 ||
    firstTokens.every((token) => GENERATIONAL_SUFFIXES.has(token))
  );
  return tailIsQualifier ? `${last} ${first}` : `${first} ${last}`;
}

/** Folds and splits into tokens; dotted abbreviations are joined ("S.p.A." → "spa"), apostrophes dropped. */
export function tokenize(text: string): string[] {
  return foldText(text)
    .replace(ABBREVIATION, (abbreviation) => abbreviation.replace(/\./gu, ""))
    .replace(APOSTROPHES, "")
    .replace(NOT_LETTER_OR_DIGIT, " ")
    .trim()
    .split(" ")
    .filter((token) => token !== "");
}

function indexLegalForms(position: "first" | "last"): ReadonlyMap<string, readonly (readonly string[])[]> {
  const byToken = new Map<string, (readonly string[])[]>();
  for (const form of LEGAL_FORMS) {
    const key = position === "first" ? form[0] : form[form.length - 1];
    byToken.set(key, [...(byToken.get(key) ?? []), form]);
  }
  return byToken;
}

/** Legal forms by their first and by their last token, longest first, so stripping is a lookup. */
const LEGAL_FORMS_BY_FIRST_TOKEN = indexLegalForms("first");
const LEGAL_FORMS_BY_LAST_TOKEN = indexLegalForms("last");

function sequenceAt(tokens: readonly string[], sequence: readonly string[], at: number): boolean {
  if (at < 0 || at + sequence.length > tokens.length) return false;
  for (let index = 0; index < sequence.length; index++) if (tokens[at + index] !== sequence[index]) return false;
  return true;
}

function stripLegalForms(tokens: readonly string[]): { tokens: string[]; removed: string[] } {
  let remaining = [...tokens];
  const removed: string[] = [];
  while (remaining.length > 0) {
    const atEnd = (LEGAL_FORMS_BY_LAST_TOKEN.get(remaining[remaining.length - 1]) ?? [])
      .find((form) => sequenceAt(remaining, form, remaining.length - form.length));
    if (atEnd) {
      removed.unshift(atEnd.join(" "));
      remaining = remaining.slice(0, remaining.length - atEnd.length);
      continue;
    }
    const atStart = (LEGAL_FORMS_BY_FIRST_TOKEN.get(remaining[0]) ?? []).find((form) => sequenceAt(remaining, form, 0));
    if (!atStart) break;
    removed.unshift(atStart.join(" "));
    remaining = remaining.slice(atStart.length);
  }
  return { tokens: remaining, removed };
}

/** Removes honorifics in front, generational suffixes behind, legal forms at either end — never the last token. */
function stripDecorations(tokens: readonly string[]): { tokens: string[]; honorifics: string[]; legalForms: string[] } {
  let current = [...tokens];
  const honorifics: string[] = [];
  const legalForms: string[] = [];
  for (;;) {
    const before = current.length;
    while (current.length > 1 && HONORIFICS.has(current[0])) honorifics.push(current.shift() as string);
    while (current.length > 1 && GENERATIONAL_SUFFIXES.has(current[current.length - 1])) honorifics.push(current.pop() as string);
    const legal = stripLegalForms(current);
    if (legal.tokens.length > 0) {
      current = legal.tokens;
      legalForms.push(...legal.removed);
    }
    if (current.length === before) return { tokens: current, honorifics, legalForms };
  }
}

/** Joins each run of particles to the word after it: ["abd", "al", "rahman"] → ["abdalrahman"]. */
export function glueParticles(tokens: readonly string[]): string[] {
  const glued: string[] = [];
  let pending = "";
  tokens.forEach((token, index) => {
    if (NAME_PARTICLES.has(token) && index < tokens.length - 1) {
      pending += token;
      return;
    }
    glued.push(pending + token);
    pending = "";
  });
  return glued;
}

/** Normalises a person, company, vessel or aircraft name for screening. Idempotent on `text`. */
export function normalizeName(name: string): NormalizedName {
  const decorated = stripDecorations(tokenize(reorderLastFirst(name)));
  const tokens = decorated.tokens;
  const glued = glueParticles(tokens);
  return {
    original: name,
    tokens,
    text: tokens.join(" "),
    gluedTokens: glued.length === tokens.length ? null : glued,
    removedHonorifics: decorated.honorifics,
    removedLegalForms: decorated.legalForms,
  };
}
