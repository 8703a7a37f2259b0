import type { PreparedName } from "./name-similarity";
import type { IndexedName, ScreeningIndex } from "./screening-index";
import type { TokenNeighbours } from "./token-neighbours";
import { AlignmentWorkspace, solveAlignment } from "./token-alignment";

/** One variant of the query: per token, its position among the query's distinct tokens and its weight. */
export interface QueryVariant {
  readonly positions: Int32Array;
  readonly weights: Float64Array;
}

/**
 * Scores one query name against many indexed names quickly. Each distinct query token's neighbours
 * (the vocabulary tokens it can pair with, with exact part scores) are looked up once and kept in a
 * table; every other pair scores below MIN_PAIR_SCORE and counts as unmatched, so it is left at 0.
 * Gives the same scores as compareNameVariants; lives for one screening run.
 */
export class IndexedNameScorer {
  readonly variants: readonly QueryVariant[];
  /** Per distinct query token (by position): its neighbours in the vocabulary. */
  readonly neighbours: readonly TokenNeighbours[];
  private readonly rowOfToken: Int32Array;
  private readonly table: Float64Array;
  /** Part scores of the pair of variants being aligned, query-major. */
  private pairScores = new Float64Array(64);

  constructor(
    query: PreparedName,
    index: Pick<ScreeningIndex, "vocabulary" | "tokenIds" | "neighbourhood">,
    private readonly workspace: AlignmentWorkspace = new AlignmentWorkspace(),
  ) {
    const positionByText = new Map<string, number>();
    const neighbours: TokenNeighbours[] = [];
    this.variants = query.variants.map((variant) => ({
      positions: Int32Array.from(variant, (token) => {
        let position = positionByText.get(token.text);
        if (position === undefined) {
          position = neighbours.length;
          positionByText.set(token.text, position);
          neighbours.push(index.neighbourhood.neighboursOf(token, index.tokenIds.get(token.text)));
        }
        return position;
      }),
      weights: Float64Array.from(variant, (token) => token.weight),
    }));
    this.neighbours = neighbours;
    this.rowOfToken = new Int32Array(index.vocabulary.length).fill(-1);
    let rows = 0;
    for (const { ids } of neighbours) for (const id of ids) if (this.rowOfToken[id] < 0) this.rowOfToken[id] = rows++;
    this.table = new Float64Array(rows * neighbours.length);
    neighbours.forEach(({ ids, scores }, position) => {
      ids.forEach((id, k) => { this.table[this.rowOfToken[id] * neighbours.length + position] = scores[k]; });
    });
  }

  private partScore(position: number, tokenId: number): number {
    const row = this.rowOfToken[tokenId];
    return row < 0 ? 0 : this.table[row * this.neighbours.length + position];
  }

  /** Best score over the variants of the query and of the name. */
  score(name: IndexedName): number {
    let best = 0;
    for (const queryVariant of this.variants) {
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
