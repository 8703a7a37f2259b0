/**
 * A labeled evaluation set for screening, built through the public list formats: a synthetic list is
 * written out as an OFAC SDN legacy CSV release (sdn.csv + alt.csv + add.csv), read back with the
 * real importer, and queries are derived from the imported entries:
 *
 * - true variants of a listed name (label "match", with the entry they must find): transliterations
 *   (Mohammed/Muhammad, Aleksandr/Alexander, Ivanov/Ivanoff, …), natural word order instead of the
 *   list's "SURNAME, Given", a missing middle name, a one-letter typo, added diacritics, another
 *   legal form for companies (Ltd/Limited/LLC), a listed alias;
 * - true non-matches that look close (label "non-match"): the same given names with a surname the
 *   list does not contain, the same surname with other given names and another birth year, a company
 *   sharing the legal form and one word with a listed one. Each is checked not to equal any listed name.
 *
 * Deterministic: same seed, same set.
 */
import type { ScreeningIndex } from "./screening-index";
import { importOfacLegacyCsv, type OfacLegacyCsvFiles } from "./importers/ofac-legacy-csv";
import { screen } from "./match";
import type { SanctionsEntry, SanctionsList } from "./model";
import { blockingKeys, prepareToken } from "./name-tokens";
import { normalizeName } from "./normalize";
import { generateSyntheticList } from "./synthetic-list";

export type VariantKind =
  | "transliteration" | "reordered" | "missing-middle-name" | "typo" | "diacritics" | "legal-form" | "alias"
  | "other-surname" | "other-given-names" | "other-company";

export interface LabeledQuery {
  readonly name: string;
  readonly dob?: string;
  readonly country?: string;
  readonly label: "match" | "non-match";
  /** For a match: the entry the screening must report. */
  readonly entryId?: string;
  readonly variant: VariantKind;
}

/** Transliteration groups seen on real lists; any member may be written as any other. */
const TRANSLITERATIONS: readonly (readonly string[])[] = [
  ["muhammad", "mohammed", "mohamed", "mohammad", "muhammed"], ["ahmad", "ahmed"], ["hussein", "husain", "hussain", "husayn"],
  ["omar", "umar"], ["yusuf", "youssef", "yousef"], ["abdullah", "abdallah"], ["mustafa", "mostafa"], ["ibrahim", "ebrahim"],
  ["khalid", "khaled"], ["tariq", "tarek"], ["fatima", "fatma"], ["aisha", "aysha"], ["zainab", "zaynab"], ["hassan", "hasan"],
  ["rashid", "rasheed"], ["rahman", "rehman"], ["hussain", "husain"], ["farouk", "faruq"], ["saleh", "salih"], ["nasser", "nasir"],
  ["haddad", "hadad"], ["mansour", "mansur"], ["qureshi", "kureshi"], ["oleksandr", "aleksandr", "alexander", "alexandr"],
  ["sergei", "sergey", "serhiy"], ["dmitri", "dmitry", "dmitriy"], ["yuri", "yury", "iouri"], ["nikolai", "nikolay"],
  ["tatiana", "tatyana"], ["natalia", "natalya"], ["olga", "olha"], ["igor", "ihor"], ["vladimir", "volodymyr"],
  ["kovalenko", "kowalenko"], ["ivanov", "ivanoff"], ["petrov", "petroff"], ["sidorov", "sidoroff"], ["volkov", "volkoff"],
  ["smirnov", "smirnoff"], ["popov", "popoff"], ["kuznetsov", "kuznetsoff", "kusnezow"], ["shevchenko", "shevtchenko"],
  ["bondarenko", "bondarenco"], ["jose", "josé"], ["mueller", "müller", "muller"], ["garcia", "garcía"], ["rodriguez", "rodríguez"],
  ["martinez", "martínez"], ["lopez", "lópez"], ["gonzalez", "gonzález"], ["perez", "pérez"], ["sanchez", "sánchez"],
  ["ramirez", "ramírez"], ["choi", "choe"], ["chol", "chul"], ["hyun", "hyon"], ["jun", "joon"], ["zhang", "chang"],
  ["schmidt", "schmitt"], ["schneider", "snyder"], ["meyer", "meier", "maier"], ["hoffmann", "hofmann"],
];
const TRANSLITERATION_OF = new Map<string, readonly string[]>(TRANSLITERATIONS.flatMap((group) => group.map((word) => [word, group] as const)));

/**
 * Words for look-alike non-matches: checked to share no blocking key (Soundex, Double Metaphone) with
 * any listed token, so a non-match looks close only through the listed words it keeps.
 */
const CLEAN_SURNAMES = [
  "Lindqvist", "Haraldsen", "Nakamura", "Fitzgerald", "Kowalczyk", "Papadopoulos", "Abernathy", "Montgomery", "Delacroix",
  "Nieminen", "Sorensen", "Castellanos", "Whitfield", "Bergstrom", "Quintero",
];
const CLEAN_GIVEN = [
  "Rutger", "Bartholomew", "Cornelius", "Ludovica", "Guinevere", "Ottoline", "Rasmus", "Evander", "Leopold", "Gwendolyn", "Chidi",
  "Bjorn", "Perpetua", "Sigrid", "Hjalmar", "Baptiste", "Quentin",
];
const CLEAN_COMPANY_WORDS = [
  "Textiles", "Dental", "Vineyard", "Bicycle", "Furniture", "Library", "Garden", "Plumbing", "Pharmacy", "Upholstery", "Bookbinding",
  "Glassworks", "Quilting", "Fjord",
];
const LEGAL_FORMS = ["Ltd", "Limited", "LLC", "Inc.", "GmbH", "S.A.", "JSC", "Co., Ltd."];

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const csvText = (value: string): string => `"${value.replace(/"/gu, '""')}"`;
const NULL = "-0- ";

/** Writes a list as an OFAC SDN legacy CSV release (the three files, CRLF lines as OFAC publishes them). */
export function toOfacLegacyCsv(list: SanctionsList): OfacLegacyCsvFiles {
  const sdn: string[] = [];
  const alt: string[] = [];
  const add: string[] = [];
  let altNumber = 1;
  let addNumber = 1;
  for (const entry of list.entries) {
    const type = entry.kind === "individual" ? csvText("individual") : entry.kind === "vessel" ? csvText("vessel") : NULL;
    const remarks = entry.birthDates.length === 0 ? NULL : csvText(`DOB ${entry.birthDates[0].approximate ? "circa " : ""}${entry.birthDates[0].fromYear}.`);
    sdn.push([entry.entryId, csvText(entry.names[0].full), type, csvText(entry.programs[0] ?? "SYNTHETIC"), NULL, NULL, NULL, NULL, NULL, NULL, NULL, remarks].join(","));
    for (const name of entry.names.slice(1)) {
      alt.push([entry.entryId, String(altNumber++), csvText(name.quality === "fka" ? "fka" : "aka"), csvText(name.full), NULL].join(","));
    }
    for (const country of entry.countries) {
      if (country.code !== null) add.push([entry.entryId, String(addNumber++), NULL, NULL, csvText(country.code), NULL].join(","));
    }
  }
  const file = (lines: string[]) => `${lines.join("\r\n")}\r\n\u001a`;
  return { sdn: { name: "sdn.csv", content: file(sdn) }, alt: { name: "alt.csv", content: file(alt) }, add: { name: "add.csv", content: file(add) } };
}

/** A synthetic list of `entries` entities, round-tripped through the OFAC legacy CSV importer. */
export function syntheticOfacList(entries: number, seed = 7): SanctionsList {
  return importOfacLegacyCsv(toOfacLegacyCsv(generateSyntheticList({ entries, seed })), { listId: "synthetic-sdn" }).list;
}

function splitIndividual(full: string): { surname: string; given: string[] } {
  const [surname, given = ""] = full.split(",").map((part) => part.trim());
  return { surname, given: given.split(/\s+/u).filter((g) => g !== "") };
}

const titleCase = (word: string): string => word.split(" ").map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join(" ");

export function buildLabeledSet(list: SanctionsList, options: { queries: number; matchShare?: number; seed?: number }): LabeledQuery[] {
  const random = seededRandom(options.seed ?? 11);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const bagOf = (name: string) => [...normalizeName(name).tokens].sort().join(" ");
  const listedTokenBags = new Map<string, number>();
  const listedTokens = new Set<string>();
  for (const entry of list.entries) {
    for (const name of entry.names) {
      const bag = bagOf(name.full);
      listedTokenBags.set(bag, (listedTokenBags.get(bag) ?? 0) + 1);
      for (const token of normalizeName(name.full).tokens) listedTokens.add(token);
    }
  }
  const listedKeys = new Set([...listedTokens].flatMap((token) => blockingKeys(prepareToken(token))));
  for (const word of [...CLEAN_SURNAMES, ...CLEAN_GIVEN, ...CLEAN_COMPANY_WORDS]) {
    for (const token of normalizeName(word).tokens) {
      const shared = blockingKeys(prepareToken(token)).filter((key) => listedKeys.has(key));
      if (shared.length > 0) throw new Error(`the non-match word ${word} sounds like a listed word (${shared.join(", ")})`);
    }
  }
  const isListed = (name: string) => listedTokenBags.has(bagOf(name));
  // A variant can only be expected to find its entry when the entry's name identifies it: names shared
  // by several entries ("Mining LLC" and "MINING Ltd" both normalise to "mining") and one-word company
  // names are left out of the positives (they stay in the list, and in the negatives' way).
  const identifiable = (entry: SanctionsEntry) => listedTokenBags.get(bagOf(entry.names[0].full)) === 1 && normalizeName(entry.names[0].full).tokens.length >= 2;
  const individuals = list.entries.filter((e) => e.kind === "individual" && identifiable(e));
  const entities = list.entries.filter((e) => e.kind === "entity" && identifiable(e));
  const yearOf = (entry: SanctionsEntry) => (entry.birthDates[0] === undefined ? undefined : String(entry.birthDates[0].fromYear));
  const countryOf = (entry: SanctionsEntry) => entry.countries[0]?.code ?? undefined;

  const typo = (word: string): string => {
    if (word.length < 5) return word;
    const at = 1 + Math.floor(random() * (word.length - 2));
    const edit = random();
    if (edit < 0.34) return word.slice(0, at) + word.slice(at + 1); // deletion
    if (edit < 0.67) return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2); // transposition
    const vowels = "aeiou";
    const replacement = vowels.includes(word[at].toLowerCase()) ? pick([...vowels].filter((v) => v !== word[at].toLowerCase())) : word[at];
    return word.slice(0, at) + replacement + word.slice(at + 1); // vowel substitution
  };
  const transliterate = (word: string): string | undefined => {
    const group = TRANSLITERATION_OF.get(word.toLowerCase());
    if (group === undefined) return undefined;
    return titleCase(pick(group.filter((w) => w !== word.toLowerCase())));
  };
  const accent = (word: string): string => word.replace(/[aeou]/u, (vowel) => ({ a: "á", e: "é", o: "ö", u: "ü" })[vowel] ?? vowel);

  const positive = (): LabeledQuery => {
    const entity = random() < 0.3;
    if (entity) {
      const entry = pick(entities);
      const full = entry.names[0].full;
      const variant = pick(["legal-form", "typo", "alias"] as const);
      if (variant === "alias" && entry.names.length > 1) return { name: entry.names[1].full, label: "match", entryId: entry.entryId, variant, country: countryOf(entry) };
      const words = full.split(" ");
      const formAt = words.findIndex((w, i) => i > 0 && LEGAL_FORMS.some((f) => f.startsWith(w)));
      const base = formAt > 0 ? words.slice(0, formAt) : words.slice(0, -1);
      if (variant === "legal-form") return { name: `${base.join(" ")} ${pick(LEGAL_FORMS)}`, label: "match", entryId: entry.entryId, variant };
      const longest = base.reduce((a, b) => (b.length > a.length ? b : a), "");
      return { name: [...base.map((w) => (w === longest ? typo(w) : w)), words.slice(base.length).join(" ")].join(" ").trim(), label: "match", entryId: entry.entryId, variant: "typo" };
    }
    const entry = pick(individuals);
    const { surname, given } = splitIndividual(entry.names[0].full);
    const surnameTitle = titleCase(surname);
    const givenTitle = given.map(titleCase);
    const dob = random() < 0.5 ? yearOf(entry) : undefined;
    const country = random() < 0.5 ? countryOf(entry) : undefined;
    const base = { label: "match" as const, entryId: entry.entryId, dob, country };
    const variant = pick(["transliteration", "reordered", "missing-middle-name", "typo", "diacritics", "alias"] as const);
    if (variant === "transliteration") {
      const words = [...givenTitle, ...surnameTitle.split(" ")];
      const changed = words.map((w) => transliterate(w) ?? w);
      if (changed.join(" ") !== words.join(" ")) return { ...base, name: changed.join(" "), variant };
    }
    if (variant === "missing-middle-name" && givenTitle.length > 1) return { ...base, name: `${givenTitle[0]} ${surnameTitle}`, variant };
    if (variant === "diacritics") return { ...base, name: `${givenTitle.map(accent).join(" ")} ${accent(surnameTitle)}`, variant };
    if (variant === "alias" && entry.names.length > 1) return { ...base, name: entry.names[1].full, variant };
    if (variant === "typo") {
      const parts = surnameTitle.split(" ");
      const last = parts.length - 1;
      parts[last] = typo(parts[last]);
      return { ...base, name: `${givenTitle.join(" ")} ${parts.join(" ")}`, variant };
    }
    return { ...base, name: `${givenTitle.join(" ")} ${surnameTitle}`, variant: "reordered" };
  };

  const negative = (): LabeledQuery => {
    for (;;) {
      const roll = random();
      let query: LabeledQuery;
      if (roll < 0.3) {
        const entry = pick(entities);
        const words = entry.names[0].full.split(" ");
        query = { name: `${words[0]} ${pick(CLEAN_COMPANY_WORDS)} ${pick(CLEAN_COMPANY_WORDS)} ${pick(LEGAL_FORMS)}`, label: "non-match", variant: "other-company" };
      } else {
        const entry = pick(individuals);
        const { surname, given } = splitIndividual(entry.names[0].full);
        const year = yearOf(entry);
        // Another person: their own birth year when one is given (here 7 to 16 years apart), or none.
        const otherYear = year === undefined || random() < 0.3 ? undefined : String(Number(year) + 7 + Math.floor(random() * 10));
        if (roll < 0.65) {
          query = { name: `${given.map(titleCase).join(" ")} ${pick(CLEAN_SURNAMES)}`, dob: otherYear, label: "non-match", variant: "other-surname" };
        } else {
          query = { name: `${pick(CLEAN_GIVEN)} ${titleCase(surname)}`, dob: otherYear, label: "non-match", variant: "other-given-names" };
        }
      }
      if (!isListed(query.name)) return query;
    }
  };

  const matchShare = options.matchShare ?? 0.5;
  return Array.from({ length: options.queries }, () => (random() < matchShare ? positive() : negative()));
}

export interface Evaluation {
  readonly queries: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly trueNegatives: number;
  readonly recall: number;
  readonly precision: number;
  readonly byVariant: Record<string, { queries: number; correct: number }>;
  readonly cpuMs: number;
  readonly namesPerSecond: number;
  readonly misses: readonly LabeledQuery[];
  readonly falseAlarms: readonly { query: LabeledQuery; matched: string; score: number }[];
}

/**
 * Screens every query at `threshold`. A match query is a true positive when its entry is reported;
 * a non-match query reporting anything is a false positive, and so is a match query that reports
 * only other entries (counted once, as a miss too).
 */
export function evaluateLabeledSet(index: ScreeningIndex, queries: readonly LabeledQuery[], threshold: number): Evaluation {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  const byVariant: Record<string, { queries: number; correct: number }> = {};
  const misses: LabeledQuery[] = [];
  const falseAlarms: { query: LabeledQuery; matched: string; score: number }[] = [];
  const start = process.cpuUsage();
  for (const query of queries) {
    const result = screen({ name: query.name, dob: query.dob, country: query.country }, index, { threshold, limit: 10 });
    let correct: boolean;
    if (query.label === "match") {
      correct = result.matches.some((m) => m.entryId === query.entryId);
      if (correct) tp++;
      else {
        fn++;
        misses.push(query);
        if (result.matches.length > 0) fp++;
      }
    } else {
      correct = result.matches.length === 0;
      if (correct) tn++;
      else {
        fp++;
        falseAlarms.push({ query, matched: result.matches[0].matchedName.full, score: result.matches[0].score });
      }
    }
    const bucket = (byVariant[query.variant] ??= { queries: 0, correct: 0 });
    bucket.queries++;
    if (correct) bucket.correct++;
  }
  const usage = process.cpuUsage(start);
  const cpuMs = (usage.user + usage.system) / 1000;
  return {
    queries: queries.length,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    trueNegatives: tn,
    recall: tp / Math.max(1, tp + fn),
    precision: tp / Math.max(1, tp + fp),
    byVariant,
    cpuMs,
    namesPerSecond: queries.length / (cpuMs / 1000),
    misses,
    falseAlarms,
  };
}
