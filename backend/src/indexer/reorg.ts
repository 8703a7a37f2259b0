/**
 * Reorg handling. The indexer keeps the headers of the blocks it indexed while they were not
 * final (plus one anchor at or below the finalized height). A fork is found by comparing them,
 * highest first, with the chain's current blocks: the tip matching means nothing changed (a hash
 * commits to its ancestors); otherwise the fork point is just above the highest block that still
 * matches, and everything from it up is rolled back, then indexed again from the new chain.
 */
import type { Queryable } from "../db";
import { storedHex } from "./encoding";
import type { LogSource } from "./logSource";
import { deleteAppendOnlyRowsFrom } from "./store/readModel";
import { deleteHeadersFrom, type Checkpoint, type StoredHeader } from "./store/progress";
import { undoMutableRows } from "./store/undo";

/** The chain reorganized below the finalized height: blocks taken as final changed. */
export class DeepReorgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeepReorgError";
  }
}

export interface ForkPoint {
  /** First block to drop. */
  readonly forkBlock: bigint;
  /** The highest stored block still on the chain: the new checkpoint. */
  readonly commonAncestor: StoredHeader;
}

/**
 * Compares the stored headers (highest first) with the chain.
 * @returns undefined when the stored tip is still on the chain (or nothing is stored), else the fork point.
 * @throws DeepReorgError when no stored header above the finalized height's anchor matches.
 */
export async function findForkPoint(source: LogSource, headers: readonly StoredHeader[], checkpoint: Checkpoint): Promise<ForkPoint | undefined> {
  if (headers.length === 0) return undefined;
  for (const [index, stored] of headers.entries()) {
    const current = await source.header(stored.number);
    if (current !== undefined && storedHex(current.hash) === storedHex(stored.hash)) {
      if (index === 0) return undefined;
      const forkBlock = stored.number + 1n;
      if (forkBlock <= checkpoint.finalizedBlock) {
        throw new DeepReorgError(
          `chain ${checkpoint.chainId} changed at block ${forkBlock}, at or below the finalized height ${checkpoint.finalizedBlock}: ` +
            "raise the confirmation depth and rebuild the read model",
        );
      }
      return { forkBlock, commonAncestor: stored };
    }
  }
  const lowest = headers.at(-1);
  throw new DeepReorgError(
    `chain ${checkpoint.chainId} no longer contains any indexed block header` +
      (lowest === undefined ? "" : ` (lowest kept: ${lowest.number})`) +
      ": it was replaced (e.g. a restarted dev chain) or reorganized below the finalized height; rebuild the read model",
  );
}

/** Removes everything the read model took from blocks at or above `forkBlock` (inside the caller's transaction). */
export async function rollBackFrom(db: Queryable, chainId: number, forkBlock: bigint): Promise<{ restoredRows: number }> {
  const restoredRows = await undoMutableRows(db, chainId, forkBlock);
  await deleteAppendOnlyRowsFrom(db, chainId, forkBlock);
  await deleteHeadersFrom(db, chainId, forkBlock);
  return { restoredRows };
}
