import type { IndexedNameScorer } from "./indexed-name-scorer";
import type { ScreeningIndex } from "./screening-index";
import { alignmentScoreUpperBound } from "./token-alignment";

/** Per-name buffers reused across queries on one index (screening is synchronous, so never shared by two runs). */
class CandidateBuffers {
  /** Bound on the alignment numerator of each name, for the query variant being processed. */
  readonly numerator: Float64Array;
  /** Best pair value so far of the query token being processed, per name. */
  readonly bestOfToken: Float64Array;
  readonly variantStamp: Int32Array;
  readonly tokenStamp: Int32Array;
  readonly candidateStamp: Int32Array;
  stamp = 0;

  constructor(size: number) {
    this.numerator = new Float64Array(size);
    this.bestOfToken = new Float64Array(size);
    this.variantStamp = new Int32Array(size);
    this.tokenStamp = new Int32Array(size);
    this.candidateStamp = new Int32Array(size);
  }

  nextStamp(): number {
    if (this.stamp === 0x7fffffff) {
      this.variantStamp.fill(0);
      this.tokenStamp.fill(0);
      this.candidateStamp.fill(0);
      this.stamp = 0;
    }
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
    buffers = new CandidateBuffers(index.names.length);
    buffersByIndex.set(index, buffers);
  }
  const { numerator, bestOfToken, variantStamp, tokenStamp, candidateStamp } = buffers;
  const { namesOfTokenStart, namesOfToken, nameWeightFloor, nameQuality, vocabulary } = index;
  const candidateRun = buffers.nextStamp();
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
          if (variantStamp[name] !== variantRun) {
            variantStamp[name] = variantRun;
            numerator[name] = 0;
            seen.push(name);
          }
          if (tokenStamp[name] !== tokenRun) {
            tokenStamp[name] = tokenRun;
            bestOfToken[name] = value;
            numerator[name] += value;
          } else if (value > bestOfToken[name]) {
            numerator[name] += value - bestOfToken[name];
            bestOfToken[name] = value;
          }
        }
      }
    }
    for (const name of seen) {
      if (candidateStamp[name] === candidateRun) continue;
      if (alignmentScoreUpperBound(numerator[name], queryWeight + nameWeightFloor[name]) < leastScoreByQuality[nameQuality[name]]) continue;
      candidateStamp[name] = candidateRun;
      candidates.push(name);
    }
  }
  return candidates;
}
