/**
 * Seeded pseudo-random numbers (mulberry32). Every random choice of the simulator comes from a
 * stream derived from the instance's seed and a purpose name, so that one concern (say, webhook
 * chaos) draws the same sequence whatever another concern (say, API faults) does.
 */

export interface SeededRandom {
  /** A float in [0, 1). */
  next(): number;
  /** True with probability `probability` (0 never draws true, 1 always does). */
  chance(probability: number): boolean;
  /** An integer in [min, max], both inclusive. */
  integerBetween(min: number, max: number): number;
  /** `bytes` random bytes. */
  bytes(count: number): Uint8Array;
}

/** FNV-1a of `text`, to turn a purpose name into a seed offset. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A stream of numbers determined entirely by `seed` and `purpose`. */
export function createSeededRandom(seed: number, purpose = ""): SeededRandom {
  let state = (Math.trunc(seed) ^ hashText(purpose)) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (probability) => (probability <= 0 ? false : probability >= 1 ? true : next() < probability),
    integerBetween: (min, max) => min + Math.floor(next() * (max - min + 1)),
    bytes: (count) => Uint8Array.from({ length: count }, () => Math.floor(next() * 256)),
  };
}

/**
 * A permutation of `items` that differs from the original order (for two or more distinct
 * positions), drawn from `random`.
 */
export function shuffleDifferently<T>(items: readonly T[], random: SeededRandom): T[] {
  if (items.length < 2) return [...items];
  for (;;) {
    const shuffled = [...items];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = random.integerBetween(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    if (shuffled.some((item, index) => item !== items[index])) return shuffled;
  }
}
