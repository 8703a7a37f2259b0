/**
 * Settlement history from the indexer's read model: an escrow trade with its timeline (agreed,
 * locked, confirmed, released or refunded, each with block number, block time and tx hash), and
 * a wallet's trades and atomic fills.
 */
import { getAddress, type Address, type Hex } from "viem";
import type { Queryable } from "../db";
import type { TradeTransition } from "../indexer/projections/settlementEscrow";

export type TradeStatus = "locked" | "released" | "refunded";

export interface TimelineStep {
  step: TradeTransition;
  blockNumber: string;
  blockTime: string;
  txHash: Hex;
  registryRef?: Hex;
  attestation?: Hex;
  /** released: fee receiver; refunded: caller; agreed: buyer; payment_deferred: the account owed. */
  account?: Address;
  amount?: string;
}

export interface TradeView {
  tradeId: Hex;
  escrow: Address;
  status: TradeStatus;
  /** The Trade struct as locked: what `release` / `refund` take back. */
  trade: {
    orderHash: Hex;
    seller: Address;
    buyer: Address;
    batchId: string;
    quantity: string;
    orderOffset: string;
    releaseDeadline: string;
    amount: string;
    fee: string;
    /** The buyer's lock slot holding the trade (null for an escrow without lock slots). */
    lockSlot: number | null;
  };
  timeline: TimelineStep[];
}

export interface FillView {
  orderHash: Hex;
  seller: Address;
  buyer: Address;
  batchId: string;
  quantity: string;
  amount: string;
  fee: string;
  certificateId: string | null;
  beneficiary: Address | null;
  blockNumber: string;
  blockTime: string;
  txHash: Hex;
}

interface TradeRow {
  trade_id: Hex;
  escrow: Address;
  order_hash: Hex;
  seller: Address;
  buyer: Address;
  batch_id: string;
  quantity: string;
  order_offset: string;
  release_deadline: string;
  amount: string;
  fee: string;
  lock_slot: string | null;
}

interface EventRow {
  trade_id: Hex;
  kind: TradeTransition;
  registry_ref: Hex | null;
  attestation_digest: Hex | null;
  account: Address | null;
  amount: string | null;
  block_number: string;
  block_time: Date;
  tx_hash: Hex;
}

const TRADE_COLUMNS = `trade_id, escrow, order_hash, seller, buyer, batch_id::text, quantity::text, order_offset::text,
  release_deadline::text, amount::text, fee::text, lock_slot::text`;

function step(row: EventRow): TimelineStep {
  return {
    step: row.kind,
    blockNumber: row.block_number,
    blockTime: row.block_time.toISOString(),
    txHash: row.tx_hash,
    ...(row.registry_ref === null ? {} : { registryRef: row.registry_ref }),
    ...(row.attestation_digest === null ? {} : { attestation: row.attestation_digest }),
    ...(row.account === null ? {} : { account: getAddress(row.account) }),
    ...(row.amount === null ? {} : { amount: row.amount }),
  };
}

function tradeView(row: TradeRow, events: readonly EventRow[]): TradeView {
  const timeline = events.map(step);
  const final = timeline.findLast((s) => s.step === "released" || s.step === "refunded");
  return {
    tradeId: row.trade_id,
    escrow: getAddress(row.escrow),
    status: final === undefined ? "locked" : (final.step as TradeStatus),
    trade: {
      orderHash: row.order_hash,
      seller: getAddress(row.seller),
      buyer: getAddress(row.buyer),
      batchId: row.batch_id,
      quantity: row.quantity,
      orderOffset: row.order_offset,
      releaseDeadline: row.release_deadline,
      amount: row.amount,
      fee: row.fee,
      lockSlot: row.lock_slot === null ? null : Number(row.lock_slot),
    },
    timeline,
  };
}

async function eventsOf(db: Queryable, chainId: number, tradeIds: readonly string[]): Promise<Map<string, EventRow[]>> {
  const byTrade = new Map<string, EventRow[]>();
  if (tradeIds.length === 0) return byTrade;
  const { rows } = await db.query<EventRow>(
    `SELECT trade_id, kind, registry_ref, attestation_digest, account, amount::text, block_number::text, block_time, tx_hash
       FROM settlement_trade_events WHERE chain_id = $1 AND trade_id = ANY($2::text[])
      ORDER BY block_number, log_index, seq`,
    [chainId, tradeIds],
  );
  for (const row of rows) byTrade.set(row.trade_id, [...(byTrade.get(row.trade_id) ?? []), row]);
  return byTrade;
}

/** The escrow trade `tradeId` with its timeline, or undefined when the read model has not seen it. */
export async function getTrade(db: Queryable, chainId: number, tradeId: Hex): Promise<TradeView | undefined> {
  const id = tradeId.toLowerCase();
  const { rows } = await db.query<TradeRow>(`SELECT ${TRADE_COLUMNS} FROM settlement_trades WHERE chain_id = $1 AND trade_id = $2`, [chainId, id]);
  if (rows[0] === undefined) return undefined;
  const events = await eventsOf(db, chainId, [id]);
  return tradeView(rows[0], events.get(id) ?? []);
}

/** Escrow trades and atomic fills where `wallet` is buyer or seller, newest first. */
export async function tradesOfWallet(
  db: Queryable,
  chainId: number,
  wallet: Address,
  page: { limit?: number; offset?: number } = {},
): Promise<{ trades: TradeView[]; fills: FillView[] }> {
  const who = wallet.toLowerCase();
  const limit = page.limit ?? 50;
  const offset = page.offset ?? 0;
  const { rows } = await db.query<TradeRow>(
    `SELECT ${TRADE_COLUMNS} FROM settlement_trades WHERE chain_id = $1 AND (buyer = $2 OR seller = $2)
      ORDER BY block_number DESC, log_index DESC LIMIT $3 OFFSET $4`,
    [chainId, who, limit, offset],
  );
  const events = await eventsOf(
    db,
    chainId,
    rows.map((r) => r.trade_id),
  );
  const fills = await db.query<{
    order_hash: Hex;
    seller: Address;
    buyer: Address;
    batch_id: string;
    quantity: string;
    amount: string;
    fee: string;
    certificate_id: string | null;
    beneficiary: Address | null;
    block_number: string;
    block_time: Date;
    tx_hash: Hex;
  }>(
    `SELECT order_hash, seller, buyer, batch_id::text, quantity::text, amount::text, fee::text, certificate_id::text, beneficiary,
            block_number::text, block_time, tx_hash
       FROM settlement_fills WHERE chain_id = $1 AND (buyer = $2 OR seller = $2)
      ORDER BY block_number DESC, log_index DESC LIMIT $3 OFFSET $4`,
    [chainId, who, limit, offset],
  );
  return {
    trades: rows.map((row) => tradeView(row, events.get(row.trade_id) ?? [])),
    fills: fills.rows.map((f) => ({
      orderHash: f.order_hash,
      seller: getAddress(f.seller),
      buyer: getAddress(f.buyer),
      batchId: f.batch_id,
      quantity: f.quantity,
      amount: f.amount,
      fee: f.fee,
      certificateId: f.certificate_id,
      beneficiary: f.beneficiary === null ? null : getAddress(f.beneficiary),
      blockNumber: f.block_number,
      blockTime: f.block_time.toISOString(),
      txHash: f.tx_hash,
    })),
  };
}

/** Stablecoin locked in the escrow by trades neither released nor refunded, per the read model. */
export async function stablecoinReserved(db: Queryable, chainId: number): Promise<bigint> {
  const { rows } = await db.query<{ total: string }>(
    `SELECT COALESCE(SUM(t.amount), 0)::text AS total FROM settlement_trades t
      WHERE t.chain_id = $1 AND NOT EXISTS (
        SELECT 1 FROM settlement_trade_events e WHERE e.chain_id = t.chain_id AND e.trade_id = t.trade_id AND e.kind IN ('released', 'refunded'))`,
    [chainId],
  );
  return BigInt(rows[0]?.total ?? "0");
}
