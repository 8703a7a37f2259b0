/**
 * The indexer's progress: its checkpoint (last applied block, finalized height, the sources the
 * model was built from) and the headers of unfinalized blocks that reorg detection compares.
 */
import type { Hash } from "viem";
import type { Queryable } from "../../db";
import { numericParam, storedHex } from "../encoding";

export interface Checkpoint {
  readonly chainId: number;
  readonly startBlock: bigint;
  /** Last block whose events are all applied (`startBlock - 1` before the first). */
  readonly indexedBlock: bigint;
  readonly indexedBlockHash: Hash | null;
  /** Highest block that was final when indexed. */
  readonly finalizedBlock: bigint;
  readonly sources: IndexedSources;
  readonly updatedBy: string;
}

/** What the read model is built from: contract name → address, and the custody addresses (all lower case). */
export interface IndexedSources {
  readonly contracts: Readonly<Record<string, string>>;
  readonly custody: readonly string[];
}

export interface StoredHeader {
  readonly number: bigint;
  readonly hash: Hash;
  readonly parentHash: Hash;
}

interface CheckpointRow {
  chain_id: string;
  start_block: string;
  indexed_block: string;
  indexed_block_hash: string | null;
  finalized_block: string;
  sources: IndexedSources;
  updated_by: string;
}

export async function readCheckpoint(db: Queryable, chainId: number, options: { forUpdate?: boolean } = {}): Promise<Checkpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT chain_id, start_block, indexed_block, indexed_block_hash, finalized_block, sources, updated_by
       FROM indexer_checkpoints WHERE chain_id = $1${options.forUpdate === true ? " FOR UPDATE" : ""}`,
    [chainId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    chainId: Number(row.chain_id),
    startBlock: BigInt(row.start_block),
    indexedBlock: BigInt(row.indexed_block),
    indexedBlockHash: row.indexed_block_hash as Hash | null,
    finalizedBlock: BigInt(row.finalized_block),
    sources: row.sources,
    updatedBy: row.updated_by,
  };
}

/** Creates the checkpoint of an empty read model that starts at `startBlock`. */
export async function createCheckpoint(
  db: Queryable,
  checkpoint: { chainId: number; startBlock: bigint; sources: IndexedSources; updatedBy: string },
): Promise<void> {
  await db.query(
    `INSERT INTO indexer_checkpoints (chain_id, start_block, indexed_block, indexed_block_hash, finalized_block, sources, updated_by)
     VALUES ($1, $2, $3, NULL, $3, $4, $5)`,
    [
      checkpoint.chainId,
      numericParam(checkpoint.startBlock),
      numericParam(checkpoint.startBlock - 1n),
      JSON.stringify(checkpoint.sources),
      checkpoint.updatedBy,
    ],
  );
}

export async function advanceCheckpoint(
  db: Queryable,
  update: { chainId: number; indexedBlock: bigint; indexedBlockHash: Hash | null; finalizedBlock: bigint; updatedBy: string },
): Promise<void> {
  await db.query(
    `UPDATE indexer_checkpoints
        SET indexed_block = $2, indexed_block_hash = $3, finalized_block = $4, updated_by = $5, updated_at = now()
      WHERE chain_id = $1`,
    [
      update.chainId,
      numericParam(update.indexedBlock),
      update.indexedBlockHash === null ? null : storedHex(update.indexedBlockHash),
      numericParam(update.finalizedBlock),
      update.updatedBy,
    ],
  );
}

/** Stored headers, highest first. */
export async function storedHeaders(db: Queryable, chainId: number): Promise<StoredHeader[]> {
  const { rows } = await db.query<{ block_number: string; block_hash: string; parent_hash: string }>(
    "SELECT block_number, block_hash, parent_hash FROM indexer_blocks WHERE chain_id = $1 ORDER BY block_number DESC",
    [chainId],
  );
  return rows.map((r) => ({ number: BigInt(r.block_number), hash: r.block_hash as Hash, parentHash: r.parent_hash as Hash }));
}

export async function saveHeaders(db: Queryable, chainId: number, headers: readonly StoredHeader[]): Promise<void> {
  if (headers.length === 0) return;
  await db.query(
    `INSERT INTO indexer_blocks (chain_id, block_number, block_hash, parent_hash)
     SELECT $1, n, h, p FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(n, h, p)
     ON CONFLICT (chain_id, block_number) DO UPDATE SET block_hash = EXCLUDED.block_hash, parent_hash = EXCLUDED.parent_hash`,
    [
      chainId,
      headers.map((h) => numericParam(h.number)),
      headers.map((h) => storedHex(h.hash)),
      headers.map((h) => storedHex(h.parentHash)),
    ],
  );
}

/**
 * Drops the headers reorg detection no longer needs: all below the highest one at or below
 * `finalizedBlock`, which stays as the anchor a fork search stops at.
 */
export async function pruneHeaders(db: Queryable, chainId: number, finalizedBlock: bigint): Promise<void> {
  await db.query(
    `DELETE FROM indexer_blocks WHERE chain_id = $1 AND block_number <
       (SELECT max(block_number) FROM indexer_blocks WHERE chain_id = $1 AND block_number <= $2)`,
    [chainId, numericParam(finalizedBlock)],
  );
}

export async function deleteHeadersFrom(db: Queryable, chainId: number, fromBlock: bigint): Promise<void> {
  await db.query("DELETE FROM indexer_blocks WHERE chain_id = $1 AND block_number >= $2", [chainId, numericParam(fromBlock)]);
}
