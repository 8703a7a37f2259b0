import { type ListedName, nameQualitySchema, type SanctionsEntry, type SanctionsList } from "./model";
import { prepareToken, type PreparedToken } from "./name-tokens";
import { type PreparedName, prepareName } from "./name-similarity";
import { TokenNeighbourhood } from "./token-neighbours";

/** One listed name of one entry, prepared for comparison. */
export interface IndexedName {
  readonly entryIndex: number;
  readonly listed: ListedName;
  readonly prepared: PreparedName;
  /** Per variant of prepared: the vocabulary id and the weight of each token. */
  readonly variantTokenIds: readonly Int32Array[];
  readonly variantWeights: readonly Float64Array[];
}

/**
 * An immutable, in-memory screening index over one or more lists: every name normalised once, its
 * tokens interned in a vocabulary with their phonetic codes, an inverted index from vocabulary token to
 * the names containing it, and the neighbourhood that finds the vocabulary tokens a query token can pair with.
 */
export interface ScreeningIndex {
  readonly entries: readonly SanctionsEntry[];
  readonly names: readonly IndexedName[];
  /** Names containing vocabulary token t (in any variant), ascending: namesOfToken[namesOfTokenStart[t] … namesOfTokenStart[t + 1]). */
  readonly namesOfTokenStart: Int32Array;
  readonly namesOfToken: Int32Array;
  /** Per name, the least total token weight of its variants. */
  readonly nameWeightFloor: Float64Array;
  /** Per name, its quality as an index into nameQualitySchema.options (the alias factor applied to its score depends on it). */
  readonly nameQuality: Uint8Array;
  readonly vocabulary: readonly PreparedToken[];
  readonly tokenIds: ReadonlyMap<string, number>;
  readonly neighbourhood: TokenNeighbourhood;
  /** listId → listVersion of the lists indexed. */
  readonly listVersions: ReadonlyMap<string, string>;
}

export class ScreeningIndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScreeningIndexError";
  }
}

function collectEntries(lists: readonly SanctionsList[]): { entries: SanctionsEntry[]; listVersions: Map<string, string> } {
  const listVersions = new Map<string, string>();
  const entries: SanctionsEntry[] = [];
  for (const list of lists) {
    if (listVersions.has(list.listId)) throw new ScreeningIndexError(`list ${list.listId} is given more than once`);
    listVersions.set(list.listId, list.listVersion);
    const entryIds = new Set<string>();
    for (const entry of list.entries) {
      if (entry.listId !== list.listId || entry.listVersion !== list.listVersion) {
        throw new ScreeningIndexError(`entry ${entry.entryId} claims ${entry.listId}@${entry.listVersion} inside ${list.listId}@${list.listVersion}`);
      }
      if (entryIds.has(entry.entryId)) throw new ScreeningIndexError(`entry ${entry.entryId} appears twice in ${list.listId}`);
      entryIds.add(entry.entryId);
      entries.push(entry);
    }
  }
  return { entries, listVersions };
}

export function buildScreeningIndex(lists: readonly SanctionsList[]): ScreeningIndex {
  const { entries, listVersions } = collectEntries(lists);
  const vocabulary: PreparedToken[] = [];
  const tokenIds = new Map<string, number>();
  const intern = (text: string): PreparedToken => {
    const id = tokenIds.get(text);
    if (id !== undefined) return vocabulary[id];
    const token = prepareToken(text);
    tokenIds.set(text, vocabulary.length);
    vocabulary.push(token);
    return token;
  };
  const names: IndexedName[] = [];
  entries.forEach((entry, entryIndex) => {
    for (const listed of entry.names) {
      const prepared = prepareName(listed.full, intern);
      if (prepared.variants[0].length === 0) continue;
      names.push({
        entryIndex,
        listed,
        prepared,
        variantTokenIds: prepared.variants.map((variant) => Int32Array.from(variant, (token) => tokenIds.get(token.text) as number)),
        variantWeights: prepared.variants.map((variant) => Float64Array.from(variant, (token) => token.weight)),
      });
    }
  });
  const { namesOfTokenStart, namesOfToken } = invertTokens(names, vocabulary.length);
  const nameWeightFloor = Float64Array.from(names, (name) => Math.min(...name.variantWeights.map((weights) => weights.reduce((sum, weight) => sum + weight, 0))));
  const nameQuality = Uint8Array.from(names, (name) => nameQualitySchema.options.indexOf(name.listed.quality));
  return {
    entries, names, namesOfTokenStart, namesOfToken, nameWeightFloor, nameQuality, vocabulary, tokenIds, listVersions,
    neighbourhood: new TokenNeighbourhood(vocabulary),
  };
}

/** Vocabulary token → names containing it, in compressed rows (one offsets array, one flat array). */
function invertTokens(names: readonly IndexedName[], vocabularySize: number): { namesOfTokenStart: Int32Array; namesOfToken: Int32Array } {
  const counts = new Int32Array(vocabularySize + 1);
  const lastName = new Int32Array(vocabularySize).fill(-1);
  const forEachToken = (visit: (tokenId: number, nameIndex: number) => void) => {
    names.forEach((name, nameIndex) => {
      for (const tokenIds of name.variantTokenIds) {
        for (const tokenId of tokenIds) {
          if (lastName[tokenId] === nameIndex) continue;
          lastName[tokenId] = nameIndex;
          visit(tokenId, nameIndex);
        }
      }
    });
  };
  forEachToken((tokenId) => counts[tokenId + 1]++);
  for (let tokenId = 0; tokenId < vocabularySize; tokenId++) counts[tokenId + 1] += counts[tokenId];
  const namesOfToken = new Int32Array(counts[vocabularySize]);
  const next = counts.slice(0, vocabularySize);
  lastName.fill(-1);
  forEachToken((tokenId, nameIndex) => { namesOfToken[next[tokenId]++] = nameIndex; });
  return { namesOfTokenStart: counts, namesOfToken };
}
