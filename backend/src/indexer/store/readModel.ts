/**
 * Whole-read-model operations: the raw event log (the idempotency guard of every projection),
 * rolling back append-only tables, and erasing a chain's read model for a rebuild.
 */
import type { Queryable } from "../../db";
import { argsJson, numericParam, storedHex } from "../encoding";
import type { LedgerLog } from "../logSource";
import { MUTABLE_TABLES } from "./undo";

/** Tables whose rows never change after their block (apart from same-transaction annotations). */
export const APPEND_ONLY_TABLES = [
  "chain_logs",
  "custody_events",
  "retirements",
  "attestations",
  "signer_sets",
  "settlement_fills",
  "settlement_trades",
  "settlement_trade_events",
  "settlement_maker_events",
] as const;

const DELETE_APPEND_ONLY_FROM: Record<(typeof APPEND_ONLY_TABLES)[number], string> = {
  chain_logs: "DELETE FROM chain_logs WHERE chain_id = $1 AND block_number >= $2",
  custody_events: "DELETE FROM custody_events WHERE chain_id = $1 AND block_number >= $2",
  retirements: "DELETE FROM retirements WHERE chain_id = $1 AND block_number >= $2",
  attestations: "DELETE FROM attestations WHERE chain_id = $1 AND block_number >= $2",
  signer_sets: "DELETE FROM signer_sets WHERE chain_id = $1 AND block_number >= $2",
  settlement_fills: "DELETE FROM settlement_fills WHERE chain_id = $1 AND block_number >= $2",
  settlement_trades: "DELETE FROM settlement_trades WHERE chain_id = $1 AND block_number >= $2",
  settlement_trade_events: "DELETE FROM settlement_trade_events WHERE chain_id = $1 AND block_number >= $2",
  settlement_maker_events: "DELETE FROM settlement_maker_events WHERE chain_id = $1 AND block_number >= $2",
};

const BOOKKEEPING_TABLES = ["indexer_undo", "indexer_blocks", "indexer_checkpoints"] as const;

/** Every table of the read model, for rebuilds and comparisons. */
export const READ_MODEL_TABLES = [...APPEND_ONLY_TABLES, ...MUTABLE_TABLES] as const;

/**
 * Records `log` in `chain_logs`.
 * @returns false when it is already there (a replayed range): its projections ran already.
 */
export async function recordChainLog(db: Queryable, chainId: number, log: LedgerLog): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO chain_logs (chain_id, block_number, block_hash, block_time, tx_hash, log_index, address, contract, event_name, args, topics, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::text[], $12)
     ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING`,
    [
      chainId,
      numericParam(log.blockNumber),
      storedHex(log.blockHash),
      log.blockTime,
      storedHex(log.txHash),
      log.logIndex,
      storedHex(log.address),
      log.contract,
      log.event?.eventName ?? null,
      log.event === undefined ? null : argsJson(log.event.args),
      log.topics.map(storedHex),
      storedHex(log.data),
    ],
  );
  return result.rowCount === 1;
}

/** Deletes the append-only rows of blocks at or above `forkBlock`. */
export async function deleteAppendOnlyRowsFrom(db: Queryable, chainId: number, forkBlock: bigint): Promise<void> {
  for (const table of APPEND_ONLY_TABLES) {
    await db.query(DELETE_APPEND_ONLY_FROM[table], [chainId, numericParam(forkBlock)]);
  }
}

const DELETE_CHAIN_ROWS = [...READ_MODEL_TABLES, ...BOOKKEEPING_TABLES].map(
  (table) => `DELETE FROM ${table} WHERE chain_id = $1`,
);

/** Erases the read model and checkpoint of `chainId`: the next run rebuilds it from its start block. */
export async function resetReadModel(db: Queryable, chainId: number): Promise<void> {
  for (const statement of DELETE_CHAIN_ROWS) await db.query(statement, [chainId]);
}

/**
 * Every read-model row of `chainId`, per table, in a canonical order: for comparing two builds
 * (a rebuild, or an index that went through a reorg against a fresh one).
 */
export async function dumpReadModel(db: Queryable, chainId: number): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of READ_MODEL_TABLES) {
    const { rows } = await db.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM ${table} t WHERE t.chain_id = $1`, [chainId]);
    dump[table] = rows.map((r) => r.row).sort().map((row) => JSON.parse(row) as unknown);
  }
  return dump;
}
