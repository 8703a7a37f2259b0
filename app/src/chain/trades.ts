/** A wallet's trades and their settlement timeline, from the escrow's events. */
import type { Address, Hex, PublicClient } from "viem";
import type { PlatformInfo } from "../platform";
import { settlementEscrowAbi } from "./contracts";

export type StepName = "agreed" | "locked" | "confirmed" | "released" | "refunded";

export interface TradeView {
  id: Hex;
  mode: "atomic" | "escrow";
  side: "bought" | "sold";
  batchId: bigint;
  quantity: bigint;
  amount: bigint;
  counterparty: Address;
  steps: { name: StepName; time?: number; tx?: Hex }[];
  status: "settled" | "awaiting registry confirmation" | "refunded";
  releaseDeadline?: bigint;
}

export async function loadTrades(client: PublicClient, info: PlatformInfo, me: Address): Promise<TradeView[]> {
  const escrow = info.contracts.escrow;
  const ev = <N extends "OrderFilled" | "TradeLocked">(eventName: N, args: Record<string, Address>) =>
    client.getContractEvents({ address: escrow, abi: settlementEscrowAbi, eventName, args, fromBlock: 0n } as never);
  const [boughtFills, soldFills, boughtLocks, soldLocks, releases, refunds] = await Promise.all([
    ev("OrderFilled", { buyer: me }),
    ev("OrderFilled", { seller: me }),
    ev("TradeLocked", { buyer: me }),
    ev("TradeLocked", { seller: me }),
    client.getContractEvents({ address: escrow, abi: settlementEscrowAbi, eventName: "TradeReleased", fromBlock: 0n }),
    client.getContractEvents({ address: escrow, abi: settlementEscrowAbi, eventName: "TradeRefunded", fromBlock: 0n }),
  ]);
  const times = new Map<bigint, number>();
  const timeOf = async (block: bigint) => {
    if (!times.has(block)) times.set(block, Number((await client.getBlock({ blockNumber: block })).timestamp));
    return times.get(block)!;
  };
  type FillLog = { args: { orderHash?: Hex; seller?: Address; buyer?: Address; batchId?: bigint; quantity?: bigint; amount?: bigint }; blockNumber: bigint; transactionHash: Hex; logIndex: number };
  type LockLog = { args: { tradeId?: Hex; seller?: Address; buyer?: Address; trade?: { batchId: bigint; quantity: bigint; amount: bigint; releaseDeadline: bigint } }; blockNumber: bigint; transactionHash: Hex };
  const trades: TradeView[] = [];
  for (const [logs, side] of [[boughtFills, "bought"], [soldFills, "sold"]] as const) {
    for (const log of logs as unknown as FillLog[]) {
      const t = await timeOf(log.blockNumber);
      const step = (name: StepName) => ({ name, time: t, tx: log.transactionHash });
      trades.push({
        id: `${log.transactionHash}:${log.logIndex}` as Hex,
        mode: "atomic",
        side,
        batchId: log.args.batchId!,
        quantity: log.args.quantity!,
        amount: log.args.amount!,
        counterparty: side === "bought" ? log.args.seller! : log.args.buyer!,
        steps: [step("agreed"), step("locked"), step("confirmed"), step("released")],
        status: "settled",
      });
    }
  }
  const released = new Map(releases.map((l) => [l.args.tradeId!, l]));
  const refunded = new Map(refunds.map((l) => [l.args.tradeId!, l]));
  for (const [logs, side] of [[boughtLocks, "bought"], [soldLocks, "sold"]] as const) {
    for (const log of logs as unknown as LockLog[]) {
      const id = log.args.tradeId!;
      const trade = log.args.trade!;
      const locked = await timeOf(log.blockNumber);
      const steps: TradeView["steps"] = [
        { name: "agreed", time: locked, tx: log.transactionHash },
        { name: "locked", time: locked, tx: log.transactionHash },
      ];
      let status: TradeView["status"] = "awaiting registry confirmation";
      const rel = released.get(id);
      const ref = refunded.get(id);
      if (rel !== undefined) {
        const t = await timeOf(rel.blockNumber);
        steps.push({ name: "confirmed", time: t, tx: rel.transactionHash }, { name: "released", time: t, tx: rel.transactionHash });
        status = "settled";
      } else if (ref !== undefined) {
        steps.push({ name: "refunded", time: await timeOf(ref.blockNumber), tx: ref.transactionHash });
        status = "refunded";
      } else {
        steps.push({ name: "confirmed" }, { name: "released" });
      }
      trades.push({
        id,
        mode: "escrow",
        side,
        batchId: trade.batchId,
        quantity: trade.quantity,
        amount: trade.amount,
        counterparty: side === "bought" ? log.args.seller! : log.args.buyer!,
        steps,
        status,
        releaseDeadline: trade.releaseDeadline,
      });
    }
  }
  return trades.sort((a, b) => (b.steps[0].time ?? 0) - (a.steps[0].time ?? 0));
}
