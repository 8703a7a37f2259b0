import { describe, expect, it } from "vitest";
import { importOfacLegacyCsv } from "./importers/ofac-legacy-csv";
import { importOpenSanctionsFtm } from "./importers/opensanctions-ftm";
import { fixture } from "./importers/test-fixtures";
import { importUnConsolidatedXml } from "./importers/un-consolidated-xml";
import { type ScreeningQuery, scoreEntry, screen } from "./match";
import type { SanctionsList } from "./model";
import { buildScreeningIndex, ScreeningIndexError } from "./screening-index";
import { recordFalsePositive } from "./suppression";
import { generateSyntheticList } from "./synthetic-list";

const ofac = importOfacLegacyCsv({ sdn: fixture("sdn.csv"), alt: fixture("alt.csv"), add: fixture("add.csv") }).list;
const un = importUnConsolidatedXml(fixture("un-consolidated.xml")).list;
const openSanctions = importOpenSanctionsFtm(fixture("opensanctions-entities.ftm.json")).list;
const index = buildScreeningIndex([ofac, un, openSanctions]);

describe("screen", () => {
  it("finds a person on every list, best first, with explanations and evidence", () => {
    const { matches, fullScan } = screen({ name: "Mohammed Al-Rashid", dob: "1960-01-12", country: "IQ" }, index);
    expect(fullScan).toBe(false);
    expect(matches.map((match) => `${match.listId}:${match.entryId}`)).toEqual([
      "ofac-sdn:90001", "opensanctions:NK-7gGq2cX1yVb9sKxQw3aPrT", "un-sc-consolidated:6900001",
    ]);
    for (const match of matches) {
      expect(match.score).toBeGreaterThan(0.9);
      expect(match.evidence).toEqual({ dob: "match", country: "match" });
      expect(match.explanation.length).toBeGreaterThan(0);
      expect(match.listVersion).toBe(index.listVersions.get(match.listId));
    }
    expect(matches[0].matchedName).toEqual({ full: "AL-RASHID, Mohammed", quality: "aka-good" });
  });

  it("finds companies across legal forms and scripts", () => {
    const acme = screen({ name: "Acme Trading LLC" }, index).matches;
    expect(acme.map((match) => match.entryId)).toEqual(["90002", "NK-Bq8LmZ4tRv2nXc6Ws9KjPd"]);
    const stroy = screen({ name: "Stroyinvest" }, index).matches;
    expect(stroy.map((match) => match.entryId)).toEqual(["90005", "ru-egrul-1107700000000"]);
  });

  it("matches diacritics and transliteration both ways", () => {
    const muller = screen({ name: "Jose Antonio Müller García" }, index).matches;
    expect(muller.map((match) => match.entryId).sort()).toEqual(["6900002", "90003", "ofac-90003"]);
    expect(screen({ name: "Aleksandr Kovalenko" }, index).matches.map((match) => match.entryId)).toEqual(["90009"]);
  });

  it("filters by kind and returns nothing for clear non-matches", () => {
    expect(screen({ name: "Obsidian Star", kind: "vessel" }, index).matches.map((match) => match.entryId)).toEqual(["90004", "ofac-90004"]);
    expect(screen({ name: "Obsidian Star", kind: "individual" }, index).matches).toEqual([]);
    expect(screen({ name: "Ingrid Johansson", dob: "1985-04-02", country: "SE" }, index).matches).toEqual([]);
  });

  it("honours threshold and limit, and scans everything only when evidence alone could reach the threshold", () => {
    const strict = screen({ name: "Mohammed Al-Rashid" }, index, { threshold: 0.99, limit: 10 });
    expect(strict.matches.every((match) => match.score >= 0.99)).toBe(true);
    expect(screen({ name: "Mohammed Al-Rashid" }, index, { limit: 1 }).matches).toHaveLength(1);
    const loose = screen({ name: "Mohammed Al-Rashid" }, index, { threshold: 0.3 });
    expect(loose.fullScan).toBe(false);
    expect(loose.namesCompared).toBeLessThan(index.names.length);
    // A name sharing no similar part scores 0; a birth date and country match add 0.08 at most.
    const everything = screen({ name: "Mohammed Al-Rashid", dob: "1960", country: "IQ" }, index, { threshold: 0.08, limit: 10_000 });
    expect(everything.fullScan).toBe(true);
    expect(everything.namesCompared).toBe(index.names.length);
    expect(screen({ name: "Mohammed Al-Rashid", dob: "1960" }, index, { threshold: 0.08 }).fullScan).toBe(false);
  });

  it("gives the same scores as scoring each entry on its own", () => {
    for (const match of screen({ name: "Muhammad Rashid", dob: "1961" }, index, { threshold: 0.5 }).matches) {
      const entry = index.entries.find((candidate) => candidate.listId === match.listId && candidate.entryId === match.entryId);
      if (!entry) throw new Error("missing entry");
      expect(scoreEntry({ name: "Muhammad Rashid", dob: "1961" }, entry)).toEqual(match);
    }
  });

  it("validates its options", () => {
    expect(() => screen({ name: "x" }, index, { threshold: 1.5 })).toThrow();
    expect(() => screen({ name: "x" }, index, { limit: 0 })).toThrow();
  });
});

describe("blocking on a large list", () => {
  const synthetic = generateSyntheticList({ entries: 1500, seed: 11 });
  const syntheticIndex = buildScreeningIndex([synthetic]);
  const names = [
    "Mohammed Al-Rashid", "Muhammad Khan", "Oleksandr Kovalenko", "Jose Garcia", "Kim Chol", "Acme Trading LLC",
    "Global Shipping Limited", synthetic.entries[42].names[0].full, synthetic.entries[1234].names[0].full, synthetic.entries[777].names.at(-1)?.full ?? "",
  ];
  const queries: ScreeningQuery[] = [
    ...names.map((name) => ({ name })),
    { name: "Muhammad Khan", dob: "1970", country: "IR" },
    { name: "Sergei Petrov", dob: "1955-03-01", country: "RU" },
  ];

  it.each(queries)("finds exactly what comparing every entry finds, at any threshold: %o", (query) => {
    const all = synthetic.entries.map((entry) => scoreEntry(query, entry));
    for (const threshold of [0.3, 0.5, 0.62, 0.7, 0.85]) {
      const blocked = screen(query, syntheticIndex, { threshold, limit: 10_000 });
      expect(blocked.fullScan).toBe(false);
      const bruteForce = all.filter((result) => result.score >= threshold).map((result) => [result.entryId, result.score]);
      expect(blocked.matches.map((match) => [match.entryId, match.score]).sort()).toEqual(bruteForce.sort());
    }
  });

  it("finds a misspelled name whose only exact shared parts are common given names", () => {
    // Two given names shared by many listed names; a rare surname (one listed name), misspelled so that
    // it is not on the list at all.
    const namesWith = (text: string) => syntheticIndex.names.filter((name) => name.prepared.variants[0].some((token) => token.text === text)).length;
    const entry = synthetic.entries.find((candidate) => {
      const match = /^([A-Z]{6,}), ([A-Za-z]+) ([A-Za-z]+)$/u.exec(candidate.names[0].full);
      return match !== null && namesWith(match[1].toLowerCase()) === 1 && namesWith(match[2].toLowerCase()) >= 20 && namesWith(match[3].toLowerCase()) >= 20;
    });
    if (!entry) throw new Error("no suitable entry");
    const [surname, given] = entry.names[0].full.toLowerCase().split(", ");
    const misspelled = `${surname.slice(0, 1)}${surname[2]}${surname[1]}${surname.slice(3)}`;
    expect(syntheticIndex.tokenIds.has(misspelled)).toBe(false);
    const givenNames = given.split(" ");
    const sharingAGivenName = syntheticIndex.names.filter((name) => name.prepared.variants[0].some((token) => givenNames.includes(token.text))).length;
    expect(sharingAGivenName).toBeGreaterThan(40);
    const result = screen({ name: `${given} ${misspelled}` }, syntheticIndex);
    expect(result.matches.map((match) => match.entryId)).toContain(entry.entryId);
    expect(result.namesCompared).toBeLessThan(sharingAGivenName / 5);
  });

  it("finds a listed name with a spelling variant", () => {
    const entry = synthetic.entries.find((candidate) => candidate.kind === "individual" && /mohammed|muhammad/iu.test(candidate.names[0].full));
    if (!entry) throw new Error("no suitable entry");
    const variant = entry.names[0].full.replace(/mohammed|muhammad/iu, "Mohamed").toLowerCase();
    expect(screen({ name: variant }, syntheticIndex, { limit: 100 }).matches.map((match) => match.entryId)).toContain(entry.entryId);
  });
});

describe("suppression of reviewed false positives", () => {
  const query = { name: "Mohammed Al-Rashid" };
  const first = screen(query, index).matches[0];
  const review = recordFalsePositive(first, {
    subjectKey: "applicant-7", reviewedBy: "analyst@carbonclear.example", reviewedAt: "2025-03-02T09:30:00Z",
    reason: "applicant born 1988 in Manchester; passport checked",
  });

  it("suppresses the reviewed entry for that subject on that list version only", () => {
    const result = screen(query, index, { suppression: { subjectKey: "applicant-7", reviews: [review] } });
    expect(result.matches.map((match) => match.entryId)).not.toContain("90001");
    expect(result.suppressed).toEqual([{ match: first, review }]);
    const otherSubject = screen(query, index, { suppression: { subjectKey: "applicant-8", reviews: [review] } });
    expect(otherSubject.matches[0]).toEqual(first);
  });

  it("re-surfaces the match when the list is republished", () => {
    const republished = importOfacLegacyCsv({
      sdn: { name: "sdn.csv", content: `${Buffer.from(fixture("sdn.csv").content).toString("utf8").replace("\u001a", "")}90011,"NEW LISTING LTD",-0- ,"IRAN",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n` },
      alt: fixture("alt.csv"),
      add: fixture("add.csv"),
    }).list;
    expect(republished.listVersion).not.toBe(ofac.listVersion);
    const newIndex = buildScreeningIndex([republished, un, openSanctions]);
    const result = screen(query, newIndex, { suppression: { subjectKey: "applicant-7", reviews: [review] } });
    expect(result.suppressed).toEqual([]);
    expect(result.matches[0]).toMatchObject({ listId: "ofac-sdn", entryId: "90001", listVersion: republished.listVersion });
  });

  it("rejects malformed reviews", () => {
    expect(() => recordFalsePositive(first, { subjectKey: "", reviewedBy: "a", reviewedAt: "yesterday", reason: "x" })).toThrow();
  });
});

describe("buildScreeningIndex", () => {
  it("rejects the same list twice and entries that do not belong to their list", () => {
    expect(() => buildScreeningIndex([ofac, ofac])).toThrow(ScreeningIndexError);
    const foreign: SanctionsList = { ...un, entries: [{ ...un.entries[0], listVersion: ofac.listVersion }] };
    expect(() => buildScreeningIndex([foreign])).toThrow(/claims/u);
  });
});
