import { characterProfile, CharacterProfiles } from "./jaro-winkler-bound";
import { blockingKeys, compareTokens, JARO_WINKLER_SHARE, type PreparedToken } from "./name-tokens";
import { MIN_PAIR_SCORE } from "./token-alignment";

/** Vocabulary tokens that can pair with one token, with their exact part scores (compareTokens). */
export interface TokenNeighbours {
  readonly ids: Int32Array;
  readonly scores: Float64Array;
}

/**
 * Least Jaro-Winkler of a pair without phonetic agreement that scores MIN_PAIR_SCORE, a hair lower so
 * that rounding (0.6 × 0.8333… is exactly 0.5 while 0.5 / 0.6 rounds above 0.8333…) never leaves one out.
 */
const JARO_WINKLER_FLOOR = MIN_PAIR_SCORE / JARO_WINKLER_SHARE - 1e-9;

/**
 * For a token, every vocabulary token whose part score with it reaches MIN_PAIR_SCORE: the only pairs an
 * alignment counts (weaker pairs score as unmatched). Exact, not a heuristic. compareTokens scores two
 * different tokens JARO_WINKLER_SHARE × Jaro-Winkler unless their phonetic codes agree (then they share
 * a blocking key) or one is the other's initial; so the tokens to compare are those sharing a key, the
 * initial relations, and those whose Jaro-Winkler upper bound reaches MIN_PAIR_SCORE / JARO_WINKLER_SHARE.
 * Neighbours of vocabulary tokens are remembered (a query token found in the list is looked up once per
 * index); those of other tokens are computed per call.
 */
export class TokenNeighbourhood {
  private readonly tokensByKey = new Map<string, number[]>();
  /** Plain Latin tokens of two letters or more, by first letter; single plain Latin letters. */
  private readonly wordsByInitial = new Map<string, number[]>();
  private readonly initials = new Map<string, number>();
  private readonly characters: CharacterProfiles;
  private readonly remembered: (TokenNeighbours | undefined)[];
  private readonly visited: Int32Array;
  private visit = 0;
  /** Pairs compared in full while finding neighbours (for profiling). */
  comparisons = 0;

  constructor(private readonly vocabulary: readonly PreparedToken[]) {
    this.characters = new CharacterProfiles(vocabulary.map((token) => token.text));
    this.remembered = new Array<TokenNeighbours | undefined>(vocabulary.length);
    this.visited = new Int32Array(vocabulary.length);
    vocabulary.forEach((token, id) => {
      if (token.soundex === null) return;
      for (const key of blockingKeys(token)) {
        const tokens = this.tokensByKey.get(key);
        if (tokens) tokens.push(id);
        else this.tokensByKey.set(key, [id]);
      }
      if (token.text.length === 1) this.initials.set(token.text, id);
      else {
        const words = this.wordsByInitial.get(token.text[0]);
        if (words) words.push(id);
        else this.wordsByInitial.set(token.text[0], [id]);
      }
    });
  }

  /** Neighbours of `token`; pass its vocabulary id when it has one, so the answer is remembered. */
  neighboursOf(token: PreparedToken, vocabularyId?: number): TokenNeighbours {
    if (vocabularyId !== undefined) {
      const known = this.remembered[vocabularyId];
      if (known) return known;
    }
    const neighbours = this.search(token);
    if (vocabularyId !== undefined) this.remembered[vocabularyId] = neighbours;
    return neighbours;
  }

  /** Vocabulary tokens whose phonetic codes agree with the token's, or that are its initial or words it is the initial of. */
  private phoneticRelatives(token: PreparedToken): number[] {
    if (token.soundex === null) return [];
    const relatives = blockingKeys(token).flatMap((key) => this.tokensByKey.get(key) ?? []);
    if (token.text.length === 1) relatives.push(...(this.wordsByInitial.get(token.text) ?? []));
    else {
      const initial = this.initials.get(token.text[0]);
      if (initial !== undefined) relatives.push(initial);
    }
    return relatives;
  }

  private search(token: PreparedToken): TokenNeighbours {
    if (this.visit === 0x7fffffff) {
      this.visited.fill(0);
      this.visit = 0;
    }
    const visit = ++this.visit;
    const ids: number[] = [];
    const scores: number[] = [];
    const compare = (id: number) => {
      if (this.visited[id] === visit) return;
      this.visited[id] = visit;
      this.comparisons++;
      const score = compareTokens(token, this.vocabulary[id]).score;
      if (score >= MIN_PAIR_SCORE) {
        ids.push(id);
        scores.push(score);
      }
    };
    for (const id of this.phoneticRelatives(token)) compare(id);
    for (const id of this.characters.mayReach(characterProfile(token.text), JARO_WINKLER_FLOOR)) compare(id);
    return { ids: Int32Array.from(ids), scores: Float64Array.from(scores) };
  }
}
