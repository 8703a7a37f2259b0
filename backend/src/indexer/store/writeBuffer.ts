/**
 * Set-based writes for the indexer's hot path.
 *
 * Applying a chunk of logs one statement per row costs a database round trip per row, which is
 * what limits indexing speed. The write buffer collects, for one write transaction, the rows of
 * the append-only tables every log produces (`chain_logs`, `custody_events`) and the balance
 * changes of final blocks summed per (wallet, batch), and writes each with one multi-row
 * statement.
 *
 * Ordering is preserved: projections reach the database only through {@link WriteBuffer.db},
 * which flushes the buffer before running any other statement, so a projection that reads or
 * updates a row (e.g. annotating the custody event of its transaction) always sees every earlier
 * log applied. Balance changes of reversible blocks are not summed: they need an undo snapshot per
 * block first, so they go straight to the database (after a flush).
 *
 * The SQL is constant; values are bound parameters (one JSON document or one array per column).
 */
import type { Queryable } from "../../db";
import { numericParam, storedHex } from "../encoding";

/** Columns of a `custody_events` row after chain_id, as stored. */
export interface CustodyEventRow {
  readonly tx_hash: string;
  readonly log_index: number;
  readonly seq: number;
  readonly kind: string;
  readonly batch_id: string;
  readonly from_address: string | null;
  readonly to_address: string | null;
  readonly amount: string;
  readonly first_serial: string | null;
  readonly last_serial: string | null;
  readonly attestation_digest: string | null;
  readonly registry_ref: string | null;
  readonly certificate_id: string | null;
  readonly redemption_id: string | null;
  readonly registry_account: string | null;
  readonly reason: string | null;
  readonly block_number: string;
  readonly block_hash: string;
  readonly block_time: Date;
}

/** Columns of a `chain_logs` row after chain_id, as stored; `args` is already JSON text. */
export interface ChainLogRow {
  readonly block_number: string;
  readonly block_hash: string;
  readonly block_time: Date;
  readonly tx_hash: string;
  readonly log_index: number;
  readonly address: string;
  readonly contract: string;
  readonly event_name: string | null;
  readonly args: string | null;
  readonly topics: readonly string[];
  readonly data: string;
}

/** Amounts added to one balance row, per state. */
export interface BalanceAmounts {
  available: bigint;
  reserved: bigint;
  retired: bigint;
  redeemedPending: bigint;
  redeemedConfirmed: bigint;
}

interface PendingBalance extends BalanceAmounts {
  readonly wallet: string;
  readonly batchId: bigint;
  blockNumber: bigint;
  blockHash: string;
}

// One array per column (cheaper for the server to read than a JSON document per row). Topics
// travel comma-joined (hex has no comma) because unnest flattens arrays of arrays.
const INSERT_CHAIN_LOGS = `INSERT INTO chain_logs (chain_id, block_number, block_hash, block_time, tx_hash, log_index, address, contract, event_name, args, topics, data)
  SELECT $1, r.block_number, r.block_hash, r.block_time, r.tx_hash, r.log_index, r.address, r.contract, r.event_name, r.args::jsonb,
         string_to_array(r.topics, ','), r.data
    FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::integer[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
      AS r(block_number, block_hash, block_time, tx_hash, log_index, address, contract, event_name, args, topics, data)
  ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING`;

const INSERT_CUSTODY_EVENTS = `INSERT INTO custody_events (chain_id, tx_hash, log_index, seq, kind, batch_id, from_address, to_address, amount,
    first_serial, last_serial, attestation_digest, registry_ref, certificate_id, redemption_id, registry_account, reason,
    block_number, block_hash, block_time)
  SELECT $1, r.*
    FROM unnest($2::text[], $3::integer[], $4::integer[], $5::text[], $6::numeric[], $7::text[], $8::text[], $9::numeric[],
      $10::numeric[], $11::numeric[], $12::text[], $13::text[], $14::numeric[], $15::numeric[], $16::text[], $17::text[],
      $18::bigint[], $19::text[], $20::timestamptz[])
      AS r(tx_hash, log_index, seq, kind, batch_id, from_address, to_address, amount, first_serial, last_serial, attestation_digest,
        registry_ref, certificate_id, redemption_id, registry_account, reason, block_number, block_hash, block_time)`;

// Update the existing rows, insert the others: a debit never reaches the CHECK (>= 0) as a row of
// its own, while a net debit on a wallet that held nothing still fails it (a missed event).
const APPLY_BALANCE_CHANGES = `WITH d AS (
    SELECT * FROM unnest($2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::bigint[], $10::text[])
      AS d(wallet, batch_id, available, reserved, retired, redeemed_pending, redeemed_confirmed, block_number, block_hash)),
  updated AS (
    UPDATE balances b SET
      available = b.available + d.available, reserved = b.reserved + d.reserved, retired = b.retired + d.retired,
      redeemed_pending = b.redeemed_pending + d.redeemed_pending, redeemed_confirmed = b.redeemed_confirmed + d.redeemed_confirmed,
      block_number = d.block_number, block_hash = d.block_hash
    FROM d WHERE b.chain_id = $1 AND b.wallet = d.wallet AND b.batch_id = d.batch_id
    RETURNING b.wallet, b.batch_id)
  INSERT INTO balances (chain_id, wallet, batch_id, available, reserved, retired, redeemed_pending, redeemed_confirmed, block_number, block_hash)
  SELECT $1, d.wallet, d.batch_id, d.available, d.reserved, d.retired, d.redeemed_pending, d.redeemed_confirmed, d.block_number, d.block_hash
    FROM d WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.wallet = d.wallet AND u.batch_id = d.batch_id)`;

const SELECT_RECORDED_LOGS = `SELECT c.tx_hash, c.log_index FROM chain_logs c
  JOIN unnest($2::text[], $3::integer[]) AS k(tx_hash, log_index) ON c.tx_hash = k.tx_hash AND c.log_index = k.log_index
  WHERE c.chain_id = $1`;

/** The columns of {@link CustodyEventRow} in the order of INSERT_CUSTODY_EVENTS. */
const CUSTODY_EVENT_COLUMNS = [
  "tx_hash",
  "log_index",
  "seq",
  "kind",
  "batch_id",
  "from_address",
  "to_address",
  "amount",
  "first_serial",
  "last_serial",
  "attestation_digest",
  "registry_ref",
  "certificate_id",
  "redemption_id",
  "registry_account",
  "reason",
  "block_number",
  "block_hash",
  "block_time",
] as const satisfies readonly (keyof CustodyEventRow)[];

function column<R, K extends keyof R>(rows: readonly R[], name: K): R[K][] {
  return rows.map((row) => row[name]);
}

/** Buffers one write transaction's hot-path rows; see the module comment. */
export class WriteBuffer {
  readonly #target: Queryable;
  readonly #chainId: number;
  #chainLogs: ChainLogRow[] = [];
  #custodyEvents: CustodyEventRow[] = [];
  readonly #balances = new Map<string, PendingBalance>();

  /** Runs a statement after writing everything buffered: what projections use for direct SQL. */
  readonly db: Queryable;

  constructor(target: Queryable, chainId: number) {
    this.#target = target;
    this.#chainId = chainId;
    const query = async (...args: unknown[]): Promise<unknown> => {
      await this.flush();
      return (target.query as (...a: unknown[]) => Promise<unknown>)(...args);
    };
    this.db = { query: query as Queryable["query"] };
  }

  /** Whether nothing is waiting to be written. */
  get empty(): boolean {
    return this.#chainLogs.length === 0 && this.#custodyEvents.length === 0 && this.#balances.size === 0;
  }

  /**
   * The (tx hash, log index) pairs of `logs` already in `chain_logs` (a replayed range), as
   * `txHash:logIndex` keys; read after a flush.
   */
  async recordedLogs(logs: readonly { readonly txHash: string; readonly logIndex: number }[]): Promise<Set<string>> {
    if (logs.length === 0) return new Set();
    const { rows } = await this.db.query<{
      tx_hash: string;
      log_index: number;
    }>(SELECT_RECORDED_LOGS, [this.#chainId, logs.map((log) => storedHex(log.txHash)), logs.map((log) => log.logIndex)]);
    return new Set(rows.map((row) => `${row.tx_hash}:${row.log_index}`));
  }

  /** Queues a `chain_logs` row. */
  addChainLog(row: ChainLogRow): void {
    this.#chainLogs.push(row);
  }

  /** Queues a `custody_events` row. */
  addCustodyEvent(row: CustodyEventRow): void {
    this.#custodyEvents.push(row);
  }

  /** Adds `amounts` to the balance of (`wallet`, `batchId`) as of a FINAL block. */
  addToBalance(wallet: string, batchId: bigint, amounts: Partial<BalanceAmounts>, blockNumber: bigint, blockHash: string): void {
    const key = `${wallet}:${batchId}`;
    let pending = this.#balances.get(key);
    if (pending === undefined) {
      pending = {
        wallet,
        batchId,
        available: 0n,
        reserved: 0n,
        retired: 0n,
        redeemedPending: 0n,
        redeemedConfirmed: 0n,
        blockNumber,
        blockHash,
      };
      this.#balances.set(key, pending);
    }
    pending.available += amounts.available ?? 0n;
    pending.reserved += amounts.reserved ?? 0n;
    pending.retired += amounts.retired ?? 0n;
    pending.redeemedPending += amounts.redeemedPending ?? 0n;
    pending.redeemedConfirmed += amounts.redeemedConfirmed ?? 0n;
    pending.blockNumber = blockNumber;
    pending.blockHash = blockHash;
  }

  /** Writes everything buffered, in the order the logs produced it (chain logs, custody events, balances). */
  async flush(): Promise<void> {
    if (this.empty) return;
    const chainLogs = this.#chainLogs;
    const custodyEvents = this.#custodyEvents;
    const balances = [...this.#balances.values()];
    this.#chainLogs = [];
    this.#custodyEvents = [];
    this.#balances.clear();
    if (chainLogs.length > 0) {
      await this.#target.query(INSERT_CHAIN_LOGS, [
        this.#chainId,
        column(chainLogs, "block_number"),
        column(chainLogs, "block_hash"),
        column(chainLogs, "block_time"),
        column(chainLogs, "tx_hash"),
        column(chainLogs, "log_index"),
        column(chainLogs, "address"),
        column(chainLogs, "contract"),
        column(chainLogs, "event_name"),
        column(chainLogs, "args"),
        chainLogs.map((row) => row.topics.join(",")),
        column(chainLogs, "data"),
      ]);
    }
    if (custodyEvents.length > 0) {
      await this.#target.query(INSERT_CUSTODY_EVENTS, [this.#chainId, ...CUSTODY_EVENT_COLUMNS.map((name) => column(custodyEvents, name))]);
    }
    if (balances.length > 0) {
      await this.#target.query(APPLY_BALANCE_CHANGES, [
        this.#chainId,
        balances.map((b) => b.wallet),
        balances.map((b) => numericParam(b.batchId)),
        balances.map((b) => numericParam(b.available)),
        balances.map((b) => numericParam(b.reserved)),
        balances.map((b) => numericParam(b.retired)),
        balances.map((b) => numericParam(b.redeemedPending)),
        balances.map((b) => numericParam(b.redeemedConfirmed)),
        balances.map((b) => numericParam(b.blockNumber)),
        balances.map((b) => b.blockHash),
      ]);
    }
  }
}
