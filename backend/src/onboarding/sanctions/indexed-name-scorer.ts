import { partScoreAtLeast, type PreparedToken } from "./name-tokens";
import type { PreparedName } from "./name-similarity";
import type { IndexedName } from "./screening-index";
import { AlignmentWorkspace, MIN_PAIR_SCORE, solveAlignment } from "./token-alignment";

/**
 * Scores one query name against many indexed names quickly: part scores are computed once per
 * (query token, vocabulary token) and kept in a flat table, alignment buffers are reused. Part scores
 * below MIN_PAIR_SCORE do not count in an alignment, so they are not computed exactly. Gives the same
 * scores as compareNameVariants; lives for one screening run.
 */
export class IndexedNameScorer {
  private readonly queryTokens: PreparedToken[] = [];
  private readonly queryVariants: { positions: Int32Array; weights: Float64Array }[];
  private readonly partScores: Float64Array;
  /** 1 where partScores holds a computed value (fresh typed arrays are zeroed: nothing to fill). */
  private readonly partScoreKnown: Uint8Array;
  private readonly workspace = new AlignmentWorkspace();
  /** Part scores of the pair of variants being aligned, query-major. */
  private pairScores = new Float64Array(64);

  constructor(query: PreparedName, private readonly vocabulary: readonly PreparedToken[]) {
    const positionByText = new Map<string, number>();
    this.queryVariants = query.variants.map((variant) => ({
      positions: Int32Array.from(variant, (token) => {
        let position = positionByText.get(token.text);
        if (position === undefined) {
          position = this.queryTokens.length;
          positionByText.set(token.text, position);
          this.queryTokens.push(token);
        }
        return position;
      }),
      weights: Float64Array.from(variant, (token) => token.weight),
    }));
    this.partScores = new Float64Array(vocabulary.length * this.queryTokens.length);
    this.partScoreKnown = new Uint8Array(vocabulary.length * this.queryTokens.length);
  }

  private partScore(queryPosition: number, tokenId: number): number {
    const slot = tokenId * this.queryTokens.length + queryPosition;
    if (this.partScoreKnown[slot] === 1) return this.partScores[slot];
    const score = partScoreAtLeast(this.queryTokens[queryPosition], this.vocabulary[tokenId], MIN_PAIR_SCORE);
    this.partScores[slot] = score;
    this.partScoreKnown[slot] = 1;
    return score;
  }

  /** Best score over the variants of the query and of the name. */
  score(name: IndexedName): number {
    let best = 0;
    for (const queryVariant of this.queryVariants) {
      const positions = queryVariant.positions;
      for (let variant = 0; variant < name.variantTokenIds.length; variant++) {
        const tokenIds = name.variantTokenIds[variant];
        const candidateCount = tokenIds.length;
        if (this.pairScores.length < positions.length * candidateCount) this.pairScores = new Float64Array(positions.length * candidateCount * 2);
        for (let q = 0; q < positions.length; q++) {
          for (let c = 0; c < candidateCount; c++) this.pairScores[q * candidateCount + c] = this.partScore(positions[q], tokenIds[c]);
        }
        const { score } = solveAlignment(queryVariant.weights, name.variantWeights[variant], this.pairScores, this.workspace);
        if (score > best) best = score;
      }
    }
    return best;
  }
}
