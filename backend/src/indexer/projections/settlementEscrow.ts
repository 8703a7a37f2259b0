/**
 * SettlementEscrow: atomic fills, escrow trades with every transition of their timeline, and the
 * makers' cancellations and counter bumps (migration `402_settlement_projections.sql`).
 *
 * All of its tables are append-only: an order's filled quantity is the sum of its fills and
 * locked trades; a trade's status is its latest transition. The credits the escrow stages are
 * already `reserved` holdings of the escrow in `balances` (the escrow is a custody address); the
 * `reserved` / `released` custody events of those transfers are annotated with the trade here.
 */
import type { Hash, Hex } from "viem";
import { settlementEscrowAbi } from "../../chain/abis";
import type { ProjectionContext } from "../contractModule";
import { defineContractModule } from "../contractModule";
import { numericParam, storedHex } from "../encoding";
import { accessControlHandlers, pausableHandlers } from "./common";
import { annotateCustodyEvent, ProjectionError } from "./custody";

export type TradeTransition = "agreed" | "locked" | "confirmed" | "released" | "refunded" | "payment_deferred";

interface TransitionInput {
  readonly tradeId: Hash;
  readonly kind: TradeTransition;
  readonly seq?: number;
  readonly registryRef?: Hex;
  readonly attestation?: Hash;
  readonly account?: string;
  readonly amount?: bigint;
}

async function recordTransition(ctx: ProjectionContext, t: TransitionInput): Promise<void> {
  await ctx.db.query(
    `INSERT INTO settlement_trade_events (chain_id, tx_hash, log_index, seq, trade_id, kind, registry_ref, attestation_digest,
       account, amount, block_number, block_hash, block_time)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      ctx.chainId,
      storedHex(ctx.txHash),
      ctx.logIndex,
      t.seq ?? 0,
      storedHex(t.tradeId),
      t.kind,
      t.registryRef === undefined ? null : storedHex(t.registryRef),
      t.attestation === undefined ? null : storedHex(t.attestation),
      t.account === undefined ? null : storedHex(t.account),
      t.amount === undefined ? null : numericParam(t.amount),
      numericParam(ctx.blockNumber),
      storedHex(ctx.blockHash),
      ctx.blockTime,
    ],
  );
}

/** The locked trade `tradeId` (seller, buyer, batch, quantity), or a ProjectionError: the escrow only settles trades it locked. */
async function lockedTrade(ctx: ProjectionContext, tradeId: Hash): Promise<{ seller: string; buyer: string; batchId: bigint; quantity: bigint }> {
  const { rows } = await ctx.db.query<{ seller: string; buyer: string; batch_id: string; quantity: string }>(
    "SELECT seller, buyer, batch_id, quantity FROM settlement_trades WHERE chain_id = $1 AND trade_id = $2",
    [ctx.chainId, storedHex(tradeId)],
  );
  const row = rows[0];
  if (row === undefined) throw new ProjectionError(ctx, `settlement of unknown trade ${tradeId}`);
  return { seller: row.seller, buyer: row.buyer, batchId: BigInt(row.batch_id), quantity: BigInt(row.quantity) };
}

async function recordMakerEvent(
  ctx: ProjectionContext,
  kind: "cancelled" | "counter_incremented",
  seller: string,
  orderHash: Hash | null,
  counter: bigint | null,
): Promise<void> {
  await ctx.db.query(
    `INSERT INTO settlement_maker_events (chain_id, tx_hash, log_index, kind, seller, order_hash, counter, block_number, block_hash, block_time)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      ctx.chainId,
      storedHex(ctx.txHash),
      ctx.logIndex,
      kind,
      storedHex(seller),
      orderHash === null ? null : storedHex(orderHash),
      counter === null ? null : numericParam(counter),
      numericParam(ctx.blockNumber),
      storedHex(ctx.blockHash),
      ctx.blockTime,
    ],
  );
}

export const settlementEscrowModule = defineContractModule({
  name: "SettlementEscrow",
  abi: settlementEscrowAbi,
  addressIn: (deployment) => deployment.contracts.escrow,
  handlers: {
    ...accessControlHandlers,
    ...pausableHandlers,
    OrderFilled: async ({ orderHash, seller, buyer, batchId, quantity, amount, fee }, ctx) => {
      await ctx.db.query(
        `INSERT INTO settlement_fills (chain_id, tx_hash, log_index, escrow, order_hash, seller, buyer, batch_id, quantity, amount, fee,
           block_number, block_hash, block_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [
          ctx.chainId,
          storedHex(ctx.txHash),
          ctx.logIndex,
          ctx.address,
          storedHex(orderHash),
          storedHex(seller),
          storedHex(buyer),
          numericParam(batchId),
          numericParam(quantity),
          numericParam(amount),
          numericParam(fee),
          numericParam(ctx.blockNumber),
          storedHex(ctx.blockHash),
          ctx.blockTime,
        ],
      );
    },
    PurchaseRetired: async ({ orderHash, buyer, certificateId, beneficiary }, ctx) => {
      // OrderFilled of the same purchase precedes it in the transaction
      const result = await ctx.db.query(
        `UPDATE settlement_fills SET certificate_id = $6, beneficiary = $7
          WHERE (chain_id, tx_hash, log_index) = (
            SELECT chain_id, tx_hash, log_index FROM settlement_fills
             WHERE chain_id = $1 AND tx_hash = $2 AND log_index < $3 AND order_hash = $4 AND buyer = $5
             ORDER BY log_index DESC LIMIT 1)`,
        [
          ctx.chainId,
          storedHex(ctx.txHash),
          ctx.logIndex,
          storedHex(orderHash),
          storedHex(buyer),
          numericParam(certificateId),
          storedHex(beneficiary),
        ],
      );
      if (result.rowCount !== 1) throw new ProjectionError(ctx, `PurchaseRetired without its OrderFilled (order ${orderHash})`);
    },
    OrderCancelled: async ({ orderHash, seller }, ctx) => recordMakerEvent(ctx, "cancelled", seller, orderHash, null),
    CounterIncremented: async ({ seller, counter }, ctx) => recordMakerEvent(ctx, "counter_incremented", seller, null, counter),
    TradeLocked: async ({ tradeId, trade }, ctx) => {
      await ctx.db.query(
        `INSERT INTO settlement_trades (chain_id, trade_id, escrow, order_hash, seller, buyer, batch_id, quantity, order_offset,
           release_deadline, amount, fee, lock_slot, tx_hash, log_index, block_number, block_hash, block_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
        [
          ctx.chainId,
          storedHex(tradeId),
          ctx.address,
          storedHex(trade.orderHash),
          storedHex(trade.seller),
          storedHex(trade.buyer),
          numericParam(trade.batchId),
          numericParam(trade.quantity),
          numericParam(trade.orderOffset),
          numericParam(trade.releaseDeadline),
          numericParam(trade.amount),
          numericParam(trade.fee),
          trade.lockSlot,
          storedHex(ctx.txHash),
          ctx.logIndex,
          numericParam(ctx.blockNumber),
          storedHex(ctx.blockHash),
          ctx.blockTime,
        ],
      );
      await recordTransition(ctx, { tradeId, kind: "agreed", seq: 0, account: trade.buyer });
      await recordTransition(ctx, { tradeId, kind: "locked", seq: 1, amount: trade.amount });
      await annotateCustodyEvent(
        ctx,
        { kinds: ["reserved"], batchId: trade.batchId, from: trade.seller, to: ctx.address, amount: trade.quantity },
        { reason: `escrow trade ${storedHex(tradeId)}` },
      );
    },
    TradeReleased: async ({ tradeId, registryRef, attestation, treasury }, ctx) => {
      const trade = await lockedTrade(ctx, tradeId);
      await recordTransition(ctx, { tradeId, kind: "confirmed", seq: 0, registryRef, attestation });
      await recordTransition(ctx, { tradeId, kind: "released", seq: 1, account: treasury });
      await annotateCustodyEvent(
        ctx,
        { kinds: ["released"], batchId: trade.batchId, from: ctx.address, to: trade.buyer, amount: trade.quantity },
        { registryRef, reason: `escrow trade ${storedHex(tradeId)}` },
      );
    },
    TradeRefunded: async ({ tradeId, caller }, ctx) => {
      const trade = await lockedTrade(ctx, tradeId);
      await recordTransition(ctx, { tradeId, kind: "refunded", account: caller });
      await annotateCustodyEvent(
        ctx,
        { kinds: ["custody_returned"], batchId: trade.batchId, from: ctx.address, to: trade.seller, amount: trade.quantity },
        { reason: `escrow trade ${storedHex(tradeId)} refunded` },
      );
    },
    PaymentDeferred: async ({ tradeId, account, amount }, ctx) => {
      await recordTransition(ctx, { tradeId, kind: "payment_deferred", account, amount });
    },
  },
});
