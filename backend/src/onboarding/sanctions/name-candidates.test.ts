import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IndexedNameScorer } from "./indexed-name-scorer";
import { candidateNames } from "./name-candidates";
import { compareNameVariants, prepareName } from "./name-similarity";
import { buildScreeningIndex } from "./screening-index";
import { generateSyntheticList } from "./synthetic-list";
import { AlignmentWorkspace, alignmentScoreUpperBound, solveAlignment } from "./token-alignment";

describe("the alignment score upper bound", () => {
  const weight = fc.constantFrom(1, 0.3);
  const score = fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }));
  it("is never below the alignment score, given Σ over query tokens of their best pair value", () => {
    fc.assert(fc.property(fc.array(weight, { minLength: 1, maxLength: 6 }), fc.array(weight, { minLength: 1, maxLength: 6 }), fc.array(score, { minLength: 36, maxLength: 36 }), (query, candidate, scores) => {
      const parts = scores.slice(0, query.length * candidate.length);
      const { score: actual } = solveAlignment(query, candidate, parts, new AlignmentWorkspace());
      let numerator = 0;
      query.forEach((queryWeight, q) => {
        let best = 0;
        candidate.forEach((candidateWeight, c) => {
          const part = parts[q * candidate.length + c];
          if (part >= 0.5) best = Math.max(best, (part * (queryWeight + candidateWeight)) / 2);
        });
        numerator += best;
      });
      const total = query.reduce((a, b) => a + b, 0) + candidate.reduce((a, b) => a + b, 0);
      expect(alignmentScoreUpperBound(numerator, total)).toBeGreaterThanOrEqual(actual - 1e-12);
    }), { numRuns: 1000 });
  });

  it("is reached by an exact match", () => {
    const { score } = solveAlignment([1, 1], [1, 1], [1, 0, 0, 1], new AlignmentWorkspace());
    expect(score).toBe(1);
    expect(alignmentScoreUpperBound(2, 4)).toBe(1);
    expect(alignmentScoreUpperBound(0, 4)).toBe(0);
  });
});

describe("candidate names", () => {
  const list = generateSyntheticList({ entries: 600, seed: 5 });
  const index = buildScreeningIndex([list]);
  const listedWords = [...new Set(index.vocabulary.map((token) => token.text))];
  const typo = (word: string, at: number) => (word.length < 3 ? word : word.slice(0, at % word.length) + word.slice((at % word.length) + 1));
  const queryName = fc.array(fc.tuple(fc.constantFrom(...listedWords), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 4 })
    .map((words) => words.map(([word, at, misspell]) => (misspell ? typo(word, at) : word)).join(" "))
    .filter((name) => prepareName(name).variants[0].length > 0);

  it("keep every name whose score reaches the least score given, and never compare it wrongly", () => {
    fc.assert(fc.property(queryName, fc.double({ min: 0.05, max: 1, noNaN: true }), (name, least) => {
      const query = prepareName(name);
      const scorer = new IndexedNameScorer(query, index);
      const kept = new Set(candidateNames(scorer, index, new Float64Array(5).fill(least)));
      index.names.forEach((listed, nameIndex) => {
        const exact = compareNameVariants(query, listed.prepared).score;
        if (exact >= least) {
          expect(kept.has(nameIndex)).toBe(true);
          expect(scorer.score(listed)).toBeCloseTo(exact, 12);
        }
      });
    }), { numRuns: 60 });
  });
});
