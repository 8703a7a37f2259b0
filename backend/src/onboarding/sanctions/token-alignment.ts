import type { PartComparison, PreparedToken } from "./name-tokens";

/** A query token paired with a candidate token. */
export interface AlignedPair {
  readonly queryIndex: number;
  readonly candidateIndex: number;
  readonly comparison: PartComparison;
}

export interface TokenAlignment {
  readonly pairs: readonly AlignedPair[];
  readonly unmatchedQuery: readonly number[];
  readonly unmatchedCandidate: readonly number[];
  /** Σ score·w̄ over pairs / (Σ w̄ over pairs + UNMATCHED_TOKEN_PENALTY × Σ w of unmatched tokens), in [0, 1]. */
  readonly score: number;
  /** The denominator above, to express each pair's contribution. */
  readonly totalWeight: number;
}

/** Pairs scoring lower than this are not the same name part; both tokens count as unmatched. */
export const MIN_PAIR_SCORE = 0.5;
/**
 * Weight of a token left without a partner, relative to a paired one. Below 1 so a missing middle
 * name costs less than a wrong one ("John Smith" vs "John Michael Smith" scores 0.85).
 */
export const UNMATCHED_TOKEN_PENALTY = 0.35;
/** Up to this many tokens on the smaller side the pairing is optimal (dynamic programming); beyond, greedy. */
const MAX_EXACT_ALIGNMENT_TOKENS = 8;

/**
 * Reusable buffers for alignment, so scoring thousands of names allocates nothing per name.
 * Create one per screening run; it holds no results between calls.
 */
export class AlignmentWorkspace {
  values = new Float64Array(64);
  best = new Float64Array(1 << MAX_EXACT_ALIGNMENT_TOKENS);
  next = new Float64Array(1 << MAX_EXACT_ALIGNMENT_TOKENS);
  choice = new Int8Array(8 << MAX_EXACT_ALIGNMENT_TOKENS);
  previous = new Int32Array(8 << MAX_EXACT_ALIGNMENT_TOKENS);
  /** assignment[row] = column, or -1; rows are the longer token list (the query on ties). */
  assignment = new Int32Array(16);
  /** Whether the rows of the last alignment were the query tokens. */
  queryIsRows = true;
  columnPaired = new Uint8Array(16);

  reserve(rows: number, columns: number): void {
    if (this.values.length < rows * columns) this.values = new Float64Array(rows * columns * 2);
    if (this.assignment.length < rows) this.assignment = new Int32Array(rows * 2);
    if (this.columnPaired.length < columns) this.columnPaired = new Uint8Array(columns * 2);
    const states = rows << Math.min(columns, MAX_EXACT_ALIGNMENT_TOKENS);
    if (this.choice.length < states) {
      this.choice = new Int8Array(states * 2);
      this.previous = new Int32Array(states * 2);
    }
  }
}

/** Optimal one-to-one pairing of rows with columns maximising the sum of positive values. */
function optimalAssignment(rows: number, columns: number, workspace: AlignmentWorkspace): void {
  const size = 1 << columns;
  const { values, choice, previous, assignment } = workspace;
  let best = workspace.best;
  let next = workspace.next;
  best.fill(-1, 0, size);
  best[0] = 0;
  for (let row = 0; row < rows; row++) {
    next.fill(-1, 0, size);
    const base = row * size;
    for (let mask = 0; mask < size; mask++) {
      const current = best[mask];
      if (current < 0) continue;
      if (current > next[mask]) {
        next[mask] = current;
        choice[base + mask] = -1;
        previous[base + mask] = mask;
      }
      for (let column = 0; column < columns; column++) {
        const bit = 1 << column;
        const pairValue = values[row * columns + column];
        if (mask & bit || pairValue <= 0) continue;
        const total = current + pairValue;
        if (total > next[mask | bit]) {
          next[mask | bit] = total;
          choice[base + (mask | bit)] = column;
          previous[base + (mask | bit)] = mask;
        }
      }
    }
    [best, next] = [next, best];
  }
  let mask = 0;
  for (let candidate = 1; candidate < size; candidate++) if (best[candidate] > best[mask]) mask = candidate;
  for (let row = rows - 1; row >= 0; row--) {
    assignment[row] = choice[row * size + mask];
    mask = previous[row * size + mask];
  }
}

/** Greedy pairing, best pair first; used only when both names have very many tokens. */
function greedyAssignment(rows: number, columns: number, workspace: AlignmentWorkspace): void {
  const { values, assignment } = workspace;
  const candidates: { row: number; column: number; value: number }[] = [];
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const value = values[row * columns + column];
      if (value > 0) candidates.push({ row, column, value });
    }
  }
  candidates.sort((a, b) => b.value - a.value || a.row - b.row || a.column - b.column);
  assignment.fill(-1, 0, rows);
  const usedColumns = new Set<number>();
  for (const candidate of candidates) {
    if (assignment[candidate.row] !== -1 || usedColumns.has(candidate.column)) continue;
    assignment[candidate.row] = candidate.column;
    usedColumns.add(candidate.column);
  }
}

export interface AlignmentScore {
  readonly score: number;
  readonly totalWeight: number;
}

/**
 * Pairs the tokens of two names regardless of order and scores the pairing. `partScores` holds the
 * part score of query token q and candidate token c at q × candidateCount + c. The pairing is left
 * in workspace.assignment (see queryIsRows).
 */
export function solveAlignment(
  queryWeights: ArrayLike<number>,
  candidateWeights: ArrayLike<number>,
  partScores: ArrayLike<number>,
  workspace: AlignmentWorkspace,
): AlignmentScore {
  const queryCount = queryWeights.length;
  const candidateCount = candidateWeights.length;
  const queryIsRows = queryCount >= candidateCount;
  const rows = queryIsRows ? queryCount : candidateCount;
  const columns = queryIsRows ? candidateCount : queryCount;
  workspace.reserve(rows, columns);
  const { values, assignment, columnPaired } = workspace;
  for (let q = 0; q < queryCount; q++) {
    for (let c = 0; c < candidateCount; c++) {
      const score = partScores[q * candidateCount + c];
      const value = score < MIN_PAIR_SCORE ? 0 : (score * (queryWeights[q] + candidateWeights[c])) / 2;
      values[queryIsRows ? q * columns + c : c * columns + q] = value;
    }
  }
  if (columns <= MAX_EXACT_ALIGNMENT_TOKENS) optimalAssignment(rows, columns, workspace);
  else greedyAssignment(rows, columns, workspace);

  const rowWeights = queryIsRows ? queryWeights : candidateWeights;
  const columnWeights = queryIsRows ? candidateWeights : queryWeights;
  columnPaired.fill(0, 0, columns);
  let numerator = 0;
  let pairedWeight = 0;
  let unpairedWeight = 0;
  for (let row = 0; row < rows; row++) {
    const column = assignment[row];
    if (column < 0) {
      unpairedWeight += rowWeights[row];
      continue;
    }
    columnPaired[column] = 1;
    numerator += values[row * columns + column];
    pairedWeight += (rowWeights[row] + columnWeights[column]) / 2;
  }
  for (let column = 0; column < columns; column++) if (!columnPaired[column]) unpairedWeight += columnWeights[column];
  const totalWeight = pairedWeight + UNMATCHED_TOKEN_PENALTY * unpairedWeight;
  workspace.queryIsRows = queryIsRows;
  return { score: totalWeight <= 0 ? 0 : Math.min(1, numerator / totalWeight), totalWeight };
}

/**
 * Pairs query tokens with candidate tokens regardless of order, maximising the weighted part scores,
 * and scores the pairing, with every pair's comparison for explanations. Symmetric in its two lists.
 */
export function alignTokens(
  query: readonly PreparedToken[],
  candidate: readonly PreparedToken[],
  compare: (queryIndex: number, candidateIndex: number) => PartComparison,
  workspace: AlignmentWorkspace = new AlignmentWorkspace(),
): TokenAlignment {
  const comparisons: PartComparison[] = [];
  for (let q = 0; q < query.length; q++) {
    for (let c = 0; c < candidate.length; c++) comparisons.push(compare(q, c));
  }
  const { score, totalWeight } = solveAlignment(
    query.map((token) => token.weight),
    candidate.map((token) => token.weight),
    comparisons.map((comparison) => comparison.score),
    workspace,
  );
  const pairs: AlignedPair[] = [];
  const queryIsRows = workspace.queryIsRows;
  const rows = queryIsRows ? query.length : candidate.length;
  for (let row = 0; row < rows; row++) {
    const column = workspace.assignment[row];
    if (column < 0) continue;
    const [queryIndex, candidateIndex] = queryIsRows ? [row, column] : [column, row];
    pairs.push({ queryIndex, candidateIndex, comparison: comparisons[queryIndex * candidate.length + candidateIndex] });
  }
  pairs.sort((a, b) => a.queryIndex - b.queryIndex);
  const pairedQuery = new Set(pairs.map((pair) => pair.queryIndex));
  const pairedCandidate = new Set(pairs.map((pair) => pair.candidateIndex));
  return {
    pairs,
    unmatchedQuery: query.map((_, index) => index).filter((index) => !pairedQuery.has(index)),
    unmatchedCandidate: candidate.map((_, index) => index).filter((index) => !pairedCandidate.has(index)),
    score,
    totalWeight,
  };
}

/**
 * An upper bound of solveAlignment's score, from an upper bound of its numerator and the weight of all
 * tokens of both names. With pairs P the denominator is Σ_P w̄ + UNMATCHED_TOKEN_PENALTY × (W − 2 Σ_P w̄)
 * = UNMATCHED_TOKEN_PENALTY × W + (1 − 2 × UNMATCHED_TOKEN_PENALTY) × Σ_P w̄; part scores are at most 1,
 * so Σ_P w̄ is at least the numerator N, and N / (UNMATCHED_TOKEN_PENALTY × W + (1 − 2 × UNMATCHED_TOKEN_PENALTY) × N)
 * grows with N.
 */
export function alignmentScoreUpperBound(numeratorBound: number, totalTokenWeight: number): number {
  if (numeratorBound <= 0) return 0;
  const denominator = UNMATCHED_TOKEN_PENALTY * totalTokenWeight + (1 - 2 * UNMATCHED_TOKEN_PENALTY) * numeratorBound;
  return denominator <= 0 ? 1 : Math.min(1, numeratorBound / denominator);
}
