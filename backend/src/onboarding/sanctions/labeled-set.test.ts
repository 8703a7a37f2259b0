import { describe, expect, it } from "vitest";
import { buildLabeledSet, evaluateLabeledSet, syntheticOfacList, toOfacLegacyCsv } from "./labeled-set";
import { importOfacLegacyCsv } from "./importers/ofac-legacy-csv";
import { normalizeName } from "./normalize";
import { buildScreeningIndex } from "./screening-index";
import { screeningOptionsSchema } from "./screening-options";
import { generateSyntheticList } from "./synthetic-list";

describe("the labeled screening set", () => {
  it("round-trips a list through the OFAC legacy CSV format: names, aliases, birth years and countries survive", () => {
    const original = generateSyntheticList({ entries: 300, seed: 3 });
    const { list } = importOfacLegacyCsv(toOfacLegacyCsv(original));
    expect(list.entries).toHaveLength(300);
    for (const [i, entry] of list.entries.entries()) {
      const source = original.entries[i];
      expect(entry.entryId).toBe(source.entryId);
      expect(entry.kind).toBe(source.kind === "vessel" ? "vessel" : source.kind);
      expect(entry.names.map((n) => n.full)).toEqual(expect.arrayContaining([...new Set(source.names.map((n) => n.full))]));
      expect(entry.birthDates.map((b) => b.fromYear)).toEqual(source.birthDates.map((b) => b.fromYear));
      expect(entry.countries.map((c) => c.code)).toEqual(source.countries.map((c) => c.code));
    }
  });

  const list = syntheticOfacList(3_000, 5);
  const queries = buildLabeledSet(list, { queries: 800, seed: 9 });

  it("labels honestly: every match names an existing entry, no non-match is a listed name", () => {
    const entryIds = new Set(list.entries.map((e) => e.entryId));
    const listed = new Set(list.entries.flatMap((e) => e.names.map((n) => [...normalizeName(n.full).tokens].sort().join(" "))));
    for (const query of queries) {
      if (query.label === "match") expect(entryIds.has(query.entryId!)).toBe(true);
      else expect(listed.has([...normalizeName(query.name).tokens].sort().join(" "))).toBe(false);
    }
    expect(new Set(queries.map((q) => q.variant)).size).toBe(10);
    expect(buildLabeledSet(list, { queries: 50, seed: 9 })).toEqual(queries.slice(0, 50));
  });

  it("finds at least 98% of the true variants at the default threshold; precision stays at least 0.85", () => {
    const evaluation = evaluateLabeledSet(buildScreeningIndex([list]), queries, screeningOptionsSchema.parse({}).threshold);
    expect(evaluation.recall).toBeGreaterThanOrEqual(0.98);
    // The target is 0.90; bench:screen measures it on the 20,000-entity list (see bench/results/screen.json).
    expect(evaluation.precision).toBeGreaterThanOrEqual(0.85);
    expect(evaluation.byVariant["other-company"].correct).toBe(evaluation.byVariant["other-company"].queries);
  });
});
