/**
 * Whole-read-model operations: the raw event log (the idempotency guard of every projection),
 * rolling back append-only tables, and erasing a chain's read model for a rebuild.
 */
import type { Queryable } from "../../db";
import { argsJson, numericParam, storedHex } from "../encoding";
import type { LedgerLog } from "../logSource";
import { MUTABLE_TABLES } from "./undo";
import type { WriteBuffer } from "./writeBuffer";

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

/** Queues the `chain_logs` row of `log` in `buffer`. */
export function recordChainLog(buffer: WriteBuffer, log: LedgerLog): void {
  buffer.addChainLog({
    block_number: numericParam(log.blockNumber),
    block_hash: storedHex(log.blockHash),
    block_time: log.blockTime,
    tx_hash: storedHex(log.txHash),
    log_index: log.logIndex,
    address: storedHex(log.address),
    contract: log.contract,
    event_name: log.event?.eventName ?? null,
    args: log.event === undefined ? null : argsJson(log.event.args),
    topics: log.topics.map(storedHex),
    data: storedHex(log.data),
  });
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
