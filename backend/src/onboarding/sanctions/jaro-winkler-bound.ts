/**
 * A cheap test that talisman's Jaro-Winkler similarity (boost threshold 0.7, scaling factor 0.1, common
 * prefix of at most 4) cannot reach a floor, for skipping comparisons. Works on any text: characters
 * are counted in 32 buckets (UTF-16 code unit & 31), so a-z each have their own.
 *
 * Jaro is (m/|a| + m/|b| + (m − t)/m) / 3 with m matched characters and t ≥ 0 transpositions, 0 without
 * matches. Matches pair equal characters one to one, so m ≤ Σ min(count in a, count in b) over
 * characters, and bucketing only raises that sum. Winkler's boost applies only from Jaro 0.7 and adds
 * prefix × 0.1 × (1 − Jaro), which grows with Jaro. So with m at that bound, t = 0 and the real common
 * prefix, the result is never below the real similarity; with the prefix at 4 it is a looser bound still.
 */

const BUCKETS = 32;
/** Texts longer than this do not fit the byte counts: the test never rules them out. */
const MAX_COUNTED_LENGTH = 255;

/** A text's character bucket counts. */
export interface CharacterProfile {
  readonly text: string;
  readonly counts: Uint8Array;
  /** Buckets with a non-zero count. */
  readonly mask: number;
  readonly countable: boolean;
}

export function characterProfile(text: string): CharacterProfile {
  const counts = new Uint8Array(BUCKETS);
  const countable = text.length <= MAX_COUNTED_LENGTH;
  let mask = 0;
  if (countable) {
    for (let index = 0; index < text.length; index++) {
      const bucket = text.charCodeAt(index) & 31;
      counts[bucket]++;
      mask |= 1 << bucket;
    }
  }
  return { text, counts, mask, countable };
}

function bitCount(bits: number): number {
  let v = bits - ((bits >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** The Jaro-Winkler bound above for m ≤ `matches`. */
function jaroWinklerBound(a: string, b: string, matches: number): number {
  if (matches === 0) return 0;
  const jaro = (matches / a.length + matches / b.length + 1) / 3;
  if (jaro < 0.7) return jaro;
  let prefix = 0;
  const prefixLimit = Math.min(4, a.length, b.length);
  while (prefix < prefixLimit && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** Character profiles of many texts in flat arrays, to test one text against each quickly. */
export class CharacterProfiles {
  private readonly counts: Uint8Array;
  private readonly masks: Int32Array;
  private readonly countable: Uint8Array;
  private readonly lengths: Int32Array;
  private readonly firstCodes: Int32Array;

  constructor(private readonly texts: readonly string[]) {
    this.lengths = Int32Array.from(texts, (text) => text.length);
    this.firstCodes = Int32Array.from(texts, (text) => text.charCodeAt(0));
    this.counts = new Uint8Array(texts.length * BUCKETS);
    this.masks = new Int32Array(texts.length);
    this.countable = new Uint8Array(texts.length);
    texts.forEach((text, id) => {
      const profile = characterProfile(text);
      this.counts.set(profile.counts, id * BUCKETS);
      this.masks[id] = profile.mask;
      this.countable[id] = profile.countable ? 1 : 0;
    });
  }

  /**
   * Ids of the texts whose Jaro-Winkler similarity with `query` may reach `floor`: every text that does,
   * and some that do not (equal texts score 1 and are always in).
   */
  mayReach(query: CharacterProfile, floor: number): number[] {
    const reaching: number[] = [];
    const { counts, masks, countable, lengths, firstCodes, texts } = this;
    const queryCounts = query.counts;
    const queryMask = query.mask;
    const queryLength = query.text.length;
    // Jaro-Winkler ≤ Jaro + 0.4 × (1 − Jaro) = 0.4 + 0.6 × Jaro: below this Jaro the floor is out of reach.
    const jaroFloor = (floor - 0.4) / 0.6;
    // Texts starting differently have no common prefix and no boost: Jaro itself must reach the floor.
    const queryFirst = query.text.charCodeAt(0);
    // A first, coarser bound on m: the shared buckets plus the query's repeated characters.
    const repeats = queryLength - bitCount(queryMask);
    for (let id = 0; id < texts.length; id++) {
      if (!query.countable || countable[id] === 0) {
        reaching.push(id);
        continue;
      }
      let shared = queryMask & masks[id];
      const coarse = bitCount(shared) + repeats;
      const leastJaro = firstCodes[id] === queryFirst ? jaroFloor : floor;
      if (coarse === 0 || (coarse / queryLength + coarse / lengths[id] + 1) / 3 < leastJaro) {
        if (floor <= 0) reaching.push(id);
        continue;
      }
      let matches = 0;
      const offset = id * BUCKETS;
      while (shared !== 0) {
        const lowest = shared & -shared;
        const bucket = 31 - Math.clz32(lowest);
        const a = queryCounts[bucket];
        const b = counts[offset + bucket];
        matches += a < b ? a : b;
        shared ^= lowest;
      }
      if (matches === 0) {
        if (floor <= 0) reaching.push(id);
        continue;
      }
      const jaro = (matches / queryLength + matches / lengths[id] + 1) / 3;
      if (jaro < leastJaro) continue;
      if (jaroWinklerBound(query.text, texts[id], matches) >= floor) reaching.push(id);
    }
    return reaching;
  }
}
