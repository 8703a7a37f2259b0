import type { ListedName, SanctionsEntry, SanctionsList } from "./model";
import { blockingKeys, prepareToken, type PreparedToken } from "./name-tokens";
import { type PreparedName, prepareName } from "./name-similarity";

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
 * tokens interned in a vocabulary with their phonetic codes, and an inverted index from blocking key
 * (Soundex, Double Metaphone, exact token for non-Latin/digit tokens) to the names containing such a token.
 */
export interface ScreeningIndex {
  readonly entries: readonly SanctionsEntry[];
  readonly names: readonly IndexedName[];
  readonly namesByBlockingKey: ReadonlyMap<string, readonly number[]>;
  readonly vocabulary: readonly PreparedToken[];
  readonly tokenIds: ReadonlyMap<string, number>;
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
  const namesByBlockingKey = new Map<string, number[]>();
  entries.forEach((entry, entryIndex) => {
    for (const listed of entry.names) {
      const prepared = prepareName(listed.full, intern);
      if (prepared.variants[0].length === 0) continue;
      const nameIndex = names.length;
      names.push({
        entryIndex,
        listed,
        prepared,
        variantTokenIds: prepared.variants.map((variant) => Int32Array.from(variant, (token) => tokenIds.get(token.text) as number)),
        variantWeights: prepared.variants.map((variant) => Float64Array.from(variant, (token) => token.weight)),
      });
      for (const variant of prepared.variants) {
        for (const token of variant) {
          for (const key of blockingKeys(token)) {
            const posting = namesByBlockingKey.get(key);
            if (!posting) namesByBlockingKey.set(key, [nameIndex]);
            else if (posting[posting.length - 1] !== nameIndex) posting.push(nameIndex);
          }
        }
      }
    }
  });
  return { entries, names, namesByBlockingKey, vocabulary, tokenIds, listVersions };
}
