import { compareTokens, type PartComparison, type PhoneticAgreement, prepareToken, type PreparedToken } from "./name-tokens";
import { normalizeName } from "./normalize";
import { AlignmentWorkspace, alignTokens, type TokenAlignment } from "./token-alignment";

/** A name ready for comparison: its normalised tokens and, when particles are present, the glued variant. */
export interface PreparedName {
  readonly text: string;
  readonly variants: readonly (readonly PreparedToken[])[];
}

/** One line of a match explanation; part or candidatePart is null for a token left unmatched. */
export interface PartExplanation {
  readonly part: string | null;
  readonly candidatePart: string | null;
  readonly jaroWinkler: number;
  readonly phonetic: PhoneticAgreement;
  /** Share of the name score this line accounts for; the lines sum to the name score. */
  readonly contribution: number;
}

export interface NameComparison {
  readonly score: number;
  readonly queryTokens: readonly PreparedToken[];
  readonly candidateTokens: readonly PreparedToken[];
  readonly alignment: TokenAlignment;
}

export type TokenComparer = (query: PreparedToken, candidate: PreparedToken) => PartComparison;

export function prepareName(name: string, intern: (text: string) => PreparedToken = prepareToken): PreparedName {
  const normalized = normalizeName(name);
  const variants = [normalized.tokens.map(intern)];
  if (normalized.gluedTokens) variants.push(normalized.gluedTokens.map(intern));
  return { text: normalized.text, variants };
}

/** Best comparison over the variants of both names (as written, and with particles glued). */
export function compareNameVariants(
  query: PreparedName,
  candidate: PreparedName,
  compare: TokenComparer = compareTokens,
  workspace: AlignmentWorkspace = new AlignmentWorkspace(),
): NameComparison {
  const comparisons = query.variants.flatMap((queryTokens) => candidate.variants.map((candidateTokens): NameComparison => {
    const alignment = alignTokens(queryTokens, candidateTokens, (q, c) => compare(queryTokens[q], candidateTokens[c]), workspace);
    return { score: alignment.score, queryTokens, candidateTokens, alignment };
  }));
  return comparisons.reduce((best, comparison) => (comparison.score > best.score ? comparison : best));
}

/** Compares two names as written ("Mohammed Al-Rashid" vs "AL RASHID, Muhammad"); score in [0, 1]. */
export function compareNames(a: string, b: string): NameComparison {
  return compareNameVariants(prepareName(a), prepareName(b));
}

/** Explains a comparison part by part, in query order, then the candidate tokens left over. */
export function explainComparison(comparison: NameComparison): PartExplanation[] {
  const { alignment, queryTokens, candidateTokens } = comparison;
  const pairByQuery = new Map(alignment.pairs.map((pair) => [pair.queryIndex, pair]));
  const lines: PartExplanation[] = queryTokens.map((token, index) => {
    const pair = pairByQuery.get(index);
    if (!pair) return { part: token.text, candidatePart: null, jaroWinkler: 0, phonetic: "none", contribution: 0 };
    const candidateToken = candidateTokens[pair.candidateIndex];
    const weight = (token.weight + candidateToken.weight) / 2;
    return {
      part: token.text,
      candidatePart: candidateToken.text,
      jaroWinkler: pair.comparison.jaroWinkler,
      phonetic: pair.comparison.phonetic,
      contribution: alignment.totalWeight === 0 ? 0 : (pair.comparison.score * weight) / alignment.totalWeight,
    };
  });
  for (const index of alignment.unmatchedCandidate) {
    lines.push({ part: null, candidatePart: candidateTokens[index].text, jaroWinkler: 0, phonetic: "none", contribution: 0 });
  }
  return lines;
}
