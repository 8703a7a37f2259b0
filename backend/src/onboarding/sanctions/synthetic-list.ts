import { createHash } from "node:crypto";
import { listedName } from "./importers/entry-parts";
import type { ListedName, SanctionsEntry, SanctionsList } from "./model";

/**
 * A deterministic synthetic sanctions list with the name shapes of real lists (Arabic, Slavic,
 * Hispanic, East Asian and Western person names with transliteration variants; companies with legal
 * forms; vessels), for load measurements and recall tests. Same seed, same list.
 */

const GIVEN_NAMES = [
  "Muhammad", "Mohammed", "Mohamed", "Ahmad", "Ahmed", "Ali", "Hassan", "Hussein", "Omar", "Umar", "Yusuf", "Ibrahim",
  "Khalid", "Abdullah", "Abdul Rahman", "Mustafa", "Tariq", "Fatima", "Aisha", "Zainab", "Oleksandr", "Aleksandr",
  "Sergei", "Sergey", "Dmitri", "Dmitry", "Vladimir", "Igor", "Yuri", "Nikolai", "Olga", "Tatiana", "Natalia",
  "Jose", "Juan", "Carlos", "Luis", "Miguel", "Maria", "Ana", "Carmen", "Jorge", "Pedro", "Kim", "Li", "Wei", "Jun",
  "Hyun", "Chol", "Min", "John", "James", "Robert", "Michael", "David", "Peter", "Anna", "Elena", "Hans", "Klaus",
];
const SURNAME_STEMS = [
  "Rashid", "Rahman", "Hassan", "Khan", "Hussain", "Farouk", "Saleh", "Nasser", "Haddad", "Mansour", "Qureshi",
  "Kovalenko", "Ivanov", "Petrov", "Sidorov", "Volkov", "Smirnov", "Popov", "Kuznetsov", "Shevchenko", "Bondarenko",
  "Garcia", "Rodriguez", "Martinez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores",
  "Kim", "Lee", "Park", "Choi", "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Smith", "Johnson", "Brown",
  "Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Rossi", "Russo",
];
const SYLLABLES = ["ka", "ri", "mo", "sa", "lu", "ne", "to", "ba", "di", "ra", "zo", "vi", "ha", "qu", "el", "an", "or", "us", "im", "ek"];
const PARTICLES = ["al", "el", "bin", "abu", "van", "de"];
const COMPANY_WORDS = [
  "Acme", "Global", "Trading", "Shipping", "Maritime", "Energy", "Petro", "Star", "Horizon", "Green", "Nova", "Delta",
  "Atlas", "Orient", "Gulf", "Pacific", "Alpha", "Crescent", "Falcon", "Eagle", "Invest", "Stroy", "Logistics",
  "Metals", "Mining", "Capital", "Holding", "Industrial", "Technologies", "Resources",
];
const LEGAL_FORMS = ["LLC", "Ltd", "Limited", "Co., Ltd.", "S.A.", "GmbH", "OOO", "JSC", "FZE", "Inc.", "PJSC", "Pte. Ltd."];
const COUNTRIES = ["IR", "IQ", "SY", "KP", "RU", "VE", "CU", "AE", "CN", "LB", "YE", "SO", "AF", "BY", "MM"];

/** mulberry32: a small, well-distributed seeded PRNG. */
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

export function generateSyntheticList(options: { entries: number; seed?: number; listId?: string }): SanctionsList {
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
  const inventedSurname = (): string => capitalized(Array.from({ length: 2 + Math.floor(random() * 2) }, () => pick(SYLLABLES)).join(""));
  const surname = (): string => {
    const stem = random() < 0.5 ? pick(SURNAME_STEMS) : inventedSurname();
    return random() < 0.2 ? `${pick(PARTICLES)} ${stem}` : stem;
  };
  const listId = options.listId ?? "synthetic";
  const listVersion = `sha256:${createHash("sha256").update(`${listId}:${options.seed ?? 1}:${options.entries}`).digest("hex")}`;
  const entries: SanctionsEntry[] = [];
  for (let index = 0; index < options.entries; index++) {
    const roll = random();
    const entryId = String(100_000 + index);
    const country = { code: pick(COUNTRIES), raw: "" };
    if (roll < 0.65) {
      const last = surname().toUpperCase();
      const given = random() < 0.4 ? `${pick(GIVEN_NAMES)} ${pick(GIVEN_NAMES)}` : pick(GIVEN_NAMES);
      const names: ListedName[] = [listedName(`${last}, ${given}`, "primary", { individual: true })];
      for (let alias = Math.floor(random() * 3); alias > 0; alias--) {
        names.push(listedName(`${surname().toUpperCase()}, ${pick(GIVEN_NAMES)}`, random() < 0.3 ? "aka-low" : "aka-good", { individual: true }));
      }
      const year = 1940 + Math.floor(random() * 60);
      entries.push({
        listId, listVersion, entryId, kind: "individual", names,
        birthDates: [{ raw: String(year), fromYear: year, toYear: year, month: null, day: null, approximate: random() < 0.2 }],
        countries: [{ ...country, raw: country.code }], programs: ["SYNTHETIC"], remarks: null, addresses: [], details: {},
      });
    } else if (roll < 0.93) {
      const words = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(COMPANY_WORDS));
      const base = random() < 0.5 ? [...words, inventedSurname()].join(" ") : words.join(" ");
      const names = [listedName(`${base} ${pick(LEGAL_FORMS)}`, "primary", { individual: false })];
      if (random() < 0.5) names.push(listedName(`${base} ${pick(LEGAL_FORMS)}`.toUpperCase(), "aka-good", { individual: false }));
      entries.push({
        listId, listVersion, entryId, kind: "entity", names, birthDates: [],
        countries: [{ ...country, raw: country.code }], programs: ["SYNTHETIC"], remarks: null, addresses: [], details: {},
      });
    } else {
      const name = `${pick(COMPANY_WORDS)} ${inventedSurname()}`.toUpperCase();
      entries.push({
        listId, listVersion, entryId, kind: "vessel", names: [listedName(name, "primary", { individual: false })], birthDates: [],
        countries: [{ ...country, raw: country.code }], programs: ["SYNTHETIC"], remarks: null, addresses: [], details: {},
      });
    }
  }
  return { listId, listVersion, format: "opensanctions-ftm", files: [{ role: "synthetic", name: "synthetic", bytes: 0, sha256: "0".repeat(64) }], entries };
}
