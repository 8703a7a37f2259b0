/**
 * Reorg safety of the mutable read-model tables.
 *
 * Before an unfinalized block first changes a row of a mutable table, {@link rememberRow} saves
 * the row as it was (or "absent") in `indexer_undo`, once per (block, row). Rolling back to a fork
 * point restores, for every row touched at or above it, the snapshot taken by the lowest such
 * block, i.e. the row as it was before the fork. Snapshots of blocks that became final are
 * pruned. Append-only tables need none of this: their rows above the fork point are deleted.
 *
 * The SQL below is assembled once from this module's constant table names and key predicates;
 * values are always bound parameters.
 */
import type { Queryable } from "../../db";
import { numericParam } from "../encoding";

/** Each mutable table and the predicate matching a row by its key (JSON array `$K`, after chain_id). */
const MUTABLE_TABLE_KEYS = {
  batches: "t.batch_id = ($K::text::jsonb->>0)::numeric",
  transfer_rules: "t.batch_id = ($K::text::jsonb->>0)::numeric",
  balances: "t.wallet = ($K::text::jsonb->>0) AND t.batch_id = ($K::text::jsonb->>1)::numeric",
  certificates: "t.certificate_id = ($K::text::jsonb->>0)::numeric",
  redemptions: "t.redemption_id = ($K::text::jsonb->>0)::numeric",
  identities: "t.wallet = ($K::text::jsonb->>0)",
  freezes: "t.wallet = ($K::text::jsonb->>0) AND t.frozen_tx = ($K::text::jsonb->>1) AND t.frozen_log_index = ($K::text::jsonb->>2)::integer",
  role_members: "t.contract_address = ($K::text::jsonb->>0) AND t.role = ($K::text::jsonb->>1) AND t.account = ($K::text::jsonb->>2)",
  contract_pause_states: "t.contract_address = ($K::text::jsonb->>0)",
} as const;

export type MutableTable = keyof typeof MUTABLE_TABLE_KEYS;
export const MUTABLE_TABLES = Object.keys(MUTABLE_TABLE_KEYS) as MutableTable[];

/** Key values of a row after chain_id, in the order of {@link MUTABLE_TABLE_KEYS}. */
export type RowKey = readonly (string | bigint | number)[];

interface TableStatements {
  readonly remember: string;
  readonly remove: string;
  readonly restore: string;
}

const STATEMENTS = Object.fromEntries(
  MUTABLE_TABLES.map((table) => {
    const key = (parameter: string) => MUTABLE_TABLE_KEYS[table].replaceAll("$K", parameter);
    const statements: TableStatements = {
      remember: `INSERT INTO indexer_undo (chain_id, block_number, table_name, entity_key, previous)
        SELECT $1, $2, $3, $4, (SELECT to_jsonb(t) FROM ${table} t WHERE t.chain_id = $1 AND ${key("$4")})
        ON CONFLICT DO NOTHING`,
      remove: `DELETE FROM ${table} t WHERE t.chain_id = $1 AND ${key("$2")}`,
      restore: `INSERT INTO ${table} SELECT * FROM jsonb_populate_record(NULL::${table}, $1::jsonb)`,
    };
    return [table, statements];
  }),
) as Record<MutableTable, TableStatements>;

/** Where a projection writes: the transaction's client and the block being applied. */
export interface BlockWriteTarget {
  readonly db: Queryable;
  readonly chainId: number;
  readonly blockNumber: bigint;
  /** Whether the block is above the finalized height (its changes may have to be undone). */
  readonly reversible: boolean;
}

function entityKey(key: RowKey): string {
  return JSON.stringify(key.map((part) => (typeof part === "string" ? part : numericParam(part))));
}

/** Saves the row of `table` with `key` as it was before this block, if the block is reversible. Call before every change. */
export async function rememberRow(target: BlockWriteTarget, table: MutableTable, key: RowKey): Promise<void> {
  if (!target.reversible) return;
  await target.db.query(STATEMENTS[table].remember, [target.chainId, numericParam(target.blockNumber), table, entityKey(key)]);
}

/** Restores every mutable row touched at or above `forkBlock` to its state before it, and drops those snapshots. */
export async function undoMutableRows(db: Queryable, chainId: number, forkBlock: bigint): Promise<number> {
  const { rows } = await db.query<{ table_name: string; entity_key: string; previous: unknown }>(
    `SELECT DISTINCT ON (table_name, entity_key) table_name, entity_key, previous
       FROM indexer_undo WHERE chain_id = $1 AND block_number >= $2
      ORDER BY table_name, entity_key, block_number`,
    [chainId, numericParam(forkBlock)],
  );
  for (const row of rows) {
    if (!(row.table_name in STATEMENTS)) throw new Error(`indexer_undo names unknown table ${row.table_name}`);
    const statements = STATEMENTS[row.table_name as MutableTable];
    await db.query(statements.remove, [chainId, row.entity_key]);
    if (row.previous !== null) await db.query(statements.restore, [JSON.stringify(row.previous)]);
  }
  await db.query("DELETE FROM indexer_undo WHERE chain_id = $1 AND block_number >= $2", [chainId, numericParam(forkBlock)]);
  return rows.length;
}

/** Drops the snapshots of blocks at or below `finalizedBlock`: they can no longer be rolled back. */
export async function pruneUndo(db: Queryable, chainId: number, finalizedBlock: bigint): Promise<void> {
  await db.query("DELETE FROM indexer_undo WHERE chain_id = $1 AND block_number <= $2", [chainId, numericParam(finalizedBlock)]);
}
