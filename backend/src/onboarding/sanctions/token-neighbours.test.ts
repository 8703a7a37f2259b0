import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareTokens, prepareToken } from "./name-tokens";
import { MIN_PAIR_SCORE } from "./token-alignment";
import { TokenNeighbourhood } from "./token-neighbours";

const word = fc.oneof(
  fc.constantFrom("mohammed", "muhammad", "mohato", "mohamed", "ali", "al", "j", "john", "jon", "rashid", "rasheed", "kim", "x", "7", "д"),
  fc.string({ unit: fc.constantFrom("a", "e", "i", "o", "h", "k", "m", "r", "s", "t", "d"), minLength: 1, maxLength: 9 }),
);

function bruteForce(query: string, vocabulary: readonly string[]): Map<number, number> {
  const found = new Map<number, number>();
  vocabulary.forEach((text, id) => {
    const score = compareTokens(prepareToken(query), prepareToken(text)).score;
    if (score >= MIN_PAIR_SCORE) found.set(id, score);
  });
  return found;
}

describe("token neighbours", () => {
  it("are exactly the vocabulary tokens scoring at least MIN_PAIR_SCORE, with their scores", () => {
    fc.assert(fc.property(word, fc.uniqueArray(word, { minLength: 1, maxLength: 40 }), (query, vocabulary) => {
      const neighbourhood = new TokenNeighbourhood(vocabulary.map(prepareToken));
      const selfId = vocabulary.indexOf(query);
      const { ids, scores } = neighbourhood.neighboursOf(prepareToken(query), selfId < 0 ? undefined : selfId);
      const found = new Map([...ids].map((id, k) => [id, scores[k]]));
      expect(found).toEqual(bruteForce(query, vocabulary));
    }), { numRuns: 400 });
  });

  it("include pairs scoring exactly the minimum (0.6 × Jaro-Winkler 5/6), initials and the token itself", () => {
    const vocabulary = ["mohato", "j", "john", "mohammed", "smith"];
    const neighbourhood = new TokenNeighbourhood(vocabulary.map(prepareToken));
    const { ids, scores } = neighbourhood.neighboursOf(prepareToken("mohammed"), 3);
    expect(compareTokens(prepareToken("mohammed"), prepareToken("mohato")).score).toBe(0.5);
    expect([...ids].map((id) => vocabulary[id]).sort()).toEqual(["mohammed", "mohato"]);
    expect([...scores]).toContain(1);
    expect([...neighbourhood.neighboursOf(prepareToken("j")).ids].map((id) => vocabulary[id]).sort()).toEqual(["j", "john"]);
    expect([...neighbourhood.neighboursOf(prepareToken("jim")).ids].map((id) => vocabulary[id])).toContain("j");
  });

  it("answers the same for a vocabulary token the second time (remembered)", () => {
    const neighbourhood = new TokenNeighbourhood(["ali", "aly", "alley"].map(prepareToken));
    const first = neighbourhood.neighboursOf(prepareToken("ali"), 0);
    expect(neighbourhood.neighboursOf(prepareToken("ali"), 0)).toBe(first);
  });
});
