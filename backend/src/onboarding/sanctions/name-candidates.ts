import type { IndexedNameScorer } from "./indexed-name-scorer";
import type { ScreeningIndex } from "./screening-index";
import { alignmentScoreUpperBound } from "./token-alignment";

/**
 * Per-name state reused across queries on one index (screening is synchronous, so never shared by two
 * runs), interleaved so that visiting a name touches one cache line: the stamps of the query variant,
 * query token and run that last wrote it, the numerator bound, the best pair value of the current
 * query token, and the name's weight floor and quality (copied from the index).
 */
const STRIDE = 8;
const VARIANT_STAMP = 0;
const TOKEN_STAMP = 1;
const RUN_STAMP = 2;
const NUMERATOR = 3;
const BEST_OF_TOKEN = 4;
const WEIGHT_FLOOR = 5;
const QUALITY = 6;

class CandidateBuffers {
  readonly state: Float64Array;
  stamp = 0;

  constructor(index: ScreeningIndex) {
    this.state = new Float64Array(index.names.length * STRIDE);
    for (let name = 0; name < index.names.length; name++) {
      this.state[name * STRIDE + WEIGHT_FLOOR] = index.nameWeightFloor[name];
      this.state[name * STRIDE + QUALITY] = index.nameQuality[name];
    }
  }

  nextStamp(): number {
    return ++this.stamp;
  }
}

const buffersByIndex = new WeakMap<ScreeningIndex, CandidateBuffers>();

/**
 * The names that may reach the threshold, each once, in first-seen order. Walks, for every query token,
 * the names containing one of its neighbours (the only tokens it can pair with) and adds up an upper
 * bound of each name's alignment numerator: per query token, its best pair value in the name. A name no
 * query token can pair with scores 0 and is never seen; a seen name is kept when the bound
 * alignmentScoreUpperBound gives, never below the name's real score, is at least
 * `leastScoreByQuality[index.nameQuality[name]]`. So, when those are the least name scores that can
 * still reach the threshold, no name that reaches it is left out.
 */
export function candidateNames(scorer: IndexedNameScorer, index: ScreeningIndex, leastScoreByQuality: Float64Array): number[] {
  let buffers = buffersByIndex.get(index);
  if (!buffers) {
    buffers = new CandidateBuffers(index);
    buffersByIndex.set(index, buffers);
  }
  const state = buffers.state;
  const { namesOfTokenStart, namesOfToken, vocabulary } = index;
  const run = buffers.nextStamp();
  const candidates: number[] = [];
  const seen: number[] = [];
  for (const variant of scorer.variants) {
    const variantRun = buffers.nextStamp();
    seen.length = 0;
    let queryWeight = 0;
    for (let q = 0; q < variant.positions.length; q++) {
      const tokenRun = buffers.nextStamp();
      const weight = variant.weights[q];
      queryWeight += weight;
      const { ids, scores } = scorer.neighbours[variant.positions[q]];
      for (let k = 0; k < ids.length; k++) {
        const tokenId = ids[k];
        const value = (scores[k] * (weight + vocabulary[tokenId].weight)) / 2;
        const end = namesOfTokenStart[tokenId + 1];
        for (let at = namesOfTokenStart[tokenId]; at < end; at++) {
          const name = namesOfToken[at];
          const base = name * STRIDE;
          if (state[base + VARIANT_STAMP] !== variantRun) {
            state[base + VARIANT_STAMP] = variantRun;
            state[base + NUMERATOR] = 0;
            seen.push(name);
          }
          if (state[base + TOKEN_STAMP] !== tokenRun) {
            state[base + TOKEN_STAMP] = tokenRun;
            state[base + BEST_OF_TOKEN] = value;
            state[base + NUMERATOR] += value;
          } else if (value > state[base + BEST_OF_TOKEN]) {
            state[base + NUMERATOR] += value - state[base + BEST_OF_TOKEN];
            state[base + BEST_OF_TOKEN] = value;
          }
        }
      }
    }
    for (const name of seen) {
      const base = name * STRIDE;
      if (state[base + RUN_STAMP] === run) continue;
      const bound = alignmentScoreUpperBound(state[base + NUMERATOR], queryWeight + state[base + WEIGHT_FLOOR]);
      if (bound < leastScoreByQuality[state[base + QUALITY]]) continue;
      state[base + RUN_STAMP] = run;
      candidates.push(name);
    }
  }
  return candidates;
}
