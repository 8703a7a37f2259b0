import fc from "fast-check";
import jaroWinkler from "talisman/metrics/jaro-winkler";
import { describe, expect, it } from "vitest";
import { characterProfile, CharacterProfiles } from "./jaro-winkler-bound";

/** Short words over a small alphabet (so pairs share letters often), with some non-Latin and digits. */
const word = fc.string({ unit: fc.constantFrom("a", "b", "e", "h", "k", "m", "o", "r", "s", "ü", "д", "7", "ß"), minLength: 1, maxLength: 10 });

describe("the Jaro-Winkler upper bound", () => {
  it("never rules out a text whose similarity reaches the floor", () => {
    fc.assert(fc.property(word, fc.array(word, { minLength: 1, maxLength: 30 }), fc.double({ min: 0, max: 1, noNaN: true }), (query, texts, floor) => {
      const reaching = new Set(new CharacterProfiles(texts).mayReach(characterProfile(query), floor));
      texts.forEach((text, id) => {
        if (jaroWinkler(query, text) >= floor) expect(reaching.has(id)).toBe(true);
      });
    }), { numRuns: 500 });
  });

  it("rules out texts that are clearly too different, and keeps equal texts", () => {
    const profiles = new CharacterProfiles(["kovalenko", "smith", "kowalenko", "xyz"]);
    expect(profiles.mayReach(characterProfile("kovalenko"), 0.8333)).toEqual([0, 2]);
    expect(profiles.mayReach(characterProfile("kovalenko"), 0)).toEqual([0, 1, 2, 3]);
  });

  it("never rules out texts too long to count", () => {
    const long = "a".repeat(300);
    expect(new CharacterProfiles([long, "b"]).mayReach(characterProfile(long), 0.9)).toEqual([0, 1]);
  });
});
