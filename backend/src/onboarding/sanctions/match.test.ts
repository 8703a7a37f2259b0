import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scoreEntry } from "./match";
import { compareNames } from "./name-similarity";
import { normalizeName } from "./normalize";
import { exactBirthDate, makeEntry } from "./test-entries";

const rashid = makeEntry("90001", ["AL RASHID, Muhammad"], { birthDates: [exactBirthDate("1960-01-12")], countries: ["Iraq"] });

describe("name matching", () => {
  it("matches \"Mohammed Al-Rashid\" with \"AL RASHID, Muhammad\" and explains why", () => {
    const result = scoreEntry({ name: "Mohammed Al-Rashid" }, rashid);
    expect(result.score).toBeGreaterThan(0.9);
    expect(result.matchedName).toEqual({ full: "AL RASHID, Muhammad", quality: "primary" });
    const given = result.explanation.find((line) => line.part === "mohammed");
    expect(given).toMatchObject({ candidatePart: "muhammad", phonetic: "soundex+metaphone" });
    expect(given?.jaroWinkler).toBeGreaterThan(0.8);
    expect(result.explanation.find((line) => line.part === "rashid")).toMatchObject({ candidatePart: "rashid", jaroWinkler: 1 });
    const total = result.explanation.reduce((sum, line) => sum + line.contribution, 0);
    expect(total).toBeCloseTo(result.nameScore, 10);
  });

  it("matches a joined spelling of a particle name (Alrashid)", () => {
    expect(compareNames("Mohamed Alrashid", "AL RASHID, Muhammad").score).toBeGreaterThan(0.9);
    expect(compareNames("Abdulrahman Khan", "Abd al-Rahman KHAN").score).toBeGreaterThan(0.9);
  });

  it("ignores diacritics and accepts German transliteration", () => {
    expect(compareNames("José Müller", "Jose Muller").score).toBe(1);
    const mueller = compareNames("José Müller", "Jose Mueller");
    expect(mueller.score).toBeGreaterThan(0.95);
    expect(mueller.alignment.pairs.map((pair) => pair.comparison.phonetic)).toContain("soundex+metaphone");
  });

  it("is independent of word order", () => {
    expect(compareNames("John Michael Smith", "Smith John Michael").score).toBe(1);
    expect(compareNames("KOVALENKO, Oleksandr", "Oleksandr Kovalenko").score).toBe(1);
  });

  it("removes honorifics", () => {
    expect(compareNames("Sheikh Dr. Abu Bakr Hassan", "HASSAN, Abu Bakr").score).toBe(1);
  });

  it("matches companies across legal forms", () => {
    expect(compareNames("Acme Trading LLC", "ACME TRADING LIMITED").score).toBe(1);
    expect(compareNames("Stroyinvest LLC", "ООО «Стройинвест»").score).toBe(1);
  });

  it("matches transliteration variants", () => {
    expect(compareNames("Aleksandr Petrovich Kovalenko", "KOVALENKO, Oleksandr Petrovych").score).toBeGreaterThan(0.8);
    expect(compareNames("Kim Ch'ol-su", "KIM CHOL SU").score).toBeGreaterThan(0.9);
  });

  it("tolerates a missing middle name, not a different surname", () => {
    expect(compareNames("Vladimir Putin", "PUTIN, Vladimir Vladimirovich").score).toBeGreaterThan(0.8);
    expect(compareNames("John Smith", "John Brown").score).toBeLessThan(0.7);
    expect(compareNames("Muhammad", "Muhammad Ali Khan").score).toBeLessThan(0.7);
  });

  it.each([
    ["Maria Gonzalez", "AL RASHID, Muhammad"],
    ["Acme Trading LLC", "Obsidian Star"],
    ["Li Wei", "Oleksandr Kovalenko"],
    ["Greenfield Renewables GmbH", "Green Horizon Trading Company Limited"],
  ])("scores clear non-matches low: %s vs %s", (a, b) => {
    expect(compareNames(a, b).score).toBeLessThan(0.5);
  });

  it("matches an initial against a given name, below a full match", () => {
    const initial = compareNames("J. Smith", "John Smith");
    expect(initial.score).toBeGreaterThan(0.7);
    expect(initial.score).toBeLessThan(1);
  });
});

describe("supporting evidence", () => {
  it("raises the score for a matching birth date and lowers it for a different one", () => {
    const unknown = scoreEntry({ name: "Mohammed Al-Rashid" }, rashid);
    const sameYear = scoreEntry({ name: "Mohammed Al-Rashid", dob: "1960" }, rashid);
    const other = scoreEntry({ name: "Mohammed Al-Rashid", dob: "1985-06-01" }, rashid);
    expect(unknown.evidence.dob).toBe("unknown");
    expect(sameYear.evidence.dob).toBe("match");
    expect(other.evidence.dob).toBe("mismatch");
    expect(sameYear.score).toBeGreaterThan(unknown.score);
    expect(other.score).toBeLessThan(unknown.score);
    expect(other.adjustments.dob).toBeLessThan(0);
  });

  it("treats a different day in the same year as a mismatch for an exact listed date", () => {
    expect(scoreEntry({ name: "Mohammed Al-Rashid", dob: "1960-03-05" }, rashid).evidence.dob).toBe("mismatch");
    expect(scoreEntry({ name: "Mohammed Al-Rashid", dob: "1960-01-12" }, rashid).evidence.dob).toBe("match");
  });

  it("accepts ±1 year for circa dates and the whole span of ranges", () => {
    const circa = makeEntry("1", ["Jose Mueller"], { birthDates: [{ raw: "circa 1975", fromYear: 1975, toYear: 1975, month: null, day: null, approximate: true }] });
    const range = makeEntry("2", ["Abu Bakr Hassan"], { birthDates: [{ raw: "1960 to 1962", fromYear: 1960, toYear: 1962, month: null, day: null, approximate: false }] });
    expect(scoreEntry({ name: "Jose Mueller", dob: "1976-02-02" }, circa).evidence.dob).toBe("match");
    expect(scoreEntry({ name: "Jose Mueller", dob: "1978" }, circa).evidence.dob).toBe("mismatch");
    expect(scoreEntry({ name: "Abu Bakr Hassan", dob: "1961-07-01" }, range).evidence.dob).toBe("match");
  });

  it("uses country as supporting or contradicting evidence, by code or name", () => {
    expect(scoreEntry({ name: "Mohammed Al-Rashid", country: "IQ" }, rashid).evidence.country).toBe("match");
    expect(scoreEntry({ name: "Mohammed Al-Rashid", country: "IRQ" }, rashid).evidence.country).toBe("match");
    const elsewhere = scoreEntry({ name: "Mohammed Al-Rashid", country: "Norway" }, rashid);
    expect(elsewhere.evidence.country).toBe("mismatch");
    expect(elsewhere.score).toBeLessThan(scoreEntry({ name: "Mohammed Al-Rashid" }, rashid).score);
  });

  it("weighs weak aliases down", () => {
    const entry = makeEntry("3", ["Mohammed Abdallah Al-Rashid", "aka-low:Abu Abdallah"]);
    const result = scoreEntry({ name: "Abu Abdallah" }, entry);
    expect(result.matchedName.quality).toBe("aka-low");
    expect(result.nameScore).toBe(1);
    expect(result.score).toBeCloseTo(0.8, 10);
  });

  it("rejects queries without a usable name or with a malformed date", () => {
    expect(() => scoreEntry({ name: "  " }, rashid)).toThrow();
    expect(() => scoreEntry({ name: "!!!" }, rashid)).toThrow(/letter or digit/u);
    expect(() => scoreEntry({ name: "Mohammed", dob: "12/01/1960" }, rashid)).toThrow(/YYYY/u);
  });
});

describe("score properties", () => {
  const nameLike = fc.array(
    fc.oneof(
      fc.constantFrom("Mohammed", "Muhammad", "al", "Rashid", "José", "Müller", "Mueller", "Acme", "LLC", "Ltd", "Dr", "Smith", "Jon", "John", "bin"),
      fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 8 }),
    ),
    { minLength: 1, maxLength: 5 },
  ).map((words) => words.join(" "));

  it("keeps scores within [0, 1]", () => {
    fc.assert(fc.property(nameLike, nameLike, (a, b) => {
      const score = compareNames(a, b).score;
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }), { numRuns: 1000 });
  });

  it("gives identical names a score of 1", () => {
    fc.assert(fc.property(nameLike.filter((name) => normalizeName(name).tokens.length > 0), (name) => {
      expect(compareNames(name, name).score).toBe(1);
    }), { numRuns: 1000 });
  });

  it("is symmetric", () => {
    fc.assert(fc.property(nameLike, nameLike, (a, b) => {
      expect(compareNames(a, b).score).toBeCloseTo(compareNames(b, a).score, 12);
    }), { numRuns: 1000 });
  });

  it("keeps final scores within [0, 1] whatever the evidence", () => {
    fc.assert(fc.property(nameLike, fc.integer({ min: 1900, max: 2020 }), fc.constantFrom("IQ", "NO", "Iran", undefined), (name, year, country) => {
      const score = scoreEntry({ name: normalizeName(name).tokens.length === 0 ? "x" : name, dob: String(year), country }, rashid).score;
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }), { numRuns: 500 });
  });
});
