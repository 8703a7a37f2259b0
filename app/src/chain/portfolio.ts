/**
 * A wallet's portfolio read straight from the chain (every custody change is an event): holdings
 * per batch with the batch's registry data, reserved (locked in escrow) and retired quantities, the
 * last traded price, and a time series of holdings and retirements for the chart.
 */
import type { Address, Hex, PublicClient } from "viem";
import type { PlatformInfo } from "../platform";
import { carbonCreditAbi, settlementEscrowAbi } from "./contracts";
import { shortText } from "../format";

export interface BatchHolding {
  batchId: bigint;
  registry: string;
  projectId: string;
  methodology: string;
  vintageStart: number;
  vintageEnd: number;
  country: string;
  labels: number;
  serialStart: bigint;
  serialEnd: bigint;
  nextRetireSerial: bigint;
  available: bigint;
  reserved: bigint;
  retired: bigint;
  /** Last traded price per tonne (stablecoin base units), when the batch has traded. */
  lastPrice?: bigint;
}

export interface PortfolioPoint {
  time: number;
  holdings: bigint;
  retired: bigint;
}

export interface Portfolio {
  batches: BatchHolding[];
  series: PortfolioPoint[];
}

interface Delta {
  block: bigint;
  logIndex: number;
  holdings: bigint;
  retired: bigint;
}

export async function loadPortfolio(client: PublicClient, info: PlatformInfo, owner: Address): Promise<Portfolio> {
  const credit = info.contracts.credit;
  const escrow = info.contracts.escrow;
  const [incoming, outgoing, retirements, locks, releases, refunds, fills] = await Promise.all([
    client.getContractEvents({ address: credit, abi: carbonCreditAbi, eventName: "TransferSingle", args: { to: owner }, fromBlock: 0n }),
    client.getContractEvents({ address: credit, abi: carbonCreditAbi, eventName: "TransferSingle", args: { from: owner }, fromBlock: 0n }),
    client.getContractEvents({ address: credit, abi: carbonCreditAbi, eventName: "Retired", args: { holder: owner }, fromBlock: 0n }),
    client.getContractEvents({ address: escrow, abi: settlementEscrowAbi, eventName: "TradeLocked", args: { seller: owner }, fromBlock: 0n }),
    client.getContractEvents({ address: escrow, abi: settlementEscrowAbi, eventName: "TradeReleased", fromBlock: 0n }),
    client.getContractEvents({ address: escrow, abi: settlementEscrowAbi, eventName: "TradeRefunded", fromBlock: 0n }),
    client.getContractEvents({ address: escrow, abi: settlementEscrowAbi, eventName: "OrderFilled", fromBlock: 0n }),
  ]);

  const batchIds = new Set<bigint>();
  const deltas: Delta[] = [];
  const retiredBy = new Map<bigint, bigint>();
  const retireTx = new Set<Hex>();
  for (const r of retirements) {
    const { batchId, firstSerial, lastSerial } = r.args;
    const q = BigInt(lastSerial!) - BigInt(firstSerial!) + 1n;
    batchIds.add(batchId!);
    retiredBy.set(batchId!, (retiredBy.get(batchId!) ?? 0n) + q);
    retireTx.add(r.transactionHash);
    deltas.push({ block: r.blockNumber, logIndex: r.logIndex, holdings: 0n, retired: q });
  }
  for (const log of incoming) {
    batchIds.add(log.args.id!);
    deltas.push({ block: log.blockNumber, logIndex: log.logIndex, holdings: log.args.value!, retired: 0n });
  }
  for (const log of outgoing) {
    deltas.push({ block: log.blockNumber, logIndex: log.logIndex, holdings: -log.args.value!, retired: 0n });
  }

  const closed = new Set<Hex>([...releases.map((l) => l.args.tradeId!), ...refunds.map((l) => l.args.tradeId!)]);
  const reservedBy = new Map<bigint, bigint>();
  for (const lock of locks) {
    if (closed.has(lock.args.tradeId!)) continue;
    const trade = lock.args.trade!;
    reservedBy.set(trade.batchId, (reservedBy.get(trade.batchId) ?? 0n) + trade.quantity);
    batchIds.add(trade.batchId);
  }
  const lastPrice = new Map<bigint, bigint>();
  for (const fill of fills) {
    if (fill.args.quantity! > 0n) lastPrice.set(fill.args.batchId!, fill.args.amount! / fill.args.quantity!);
  }

  const ids = [...batchIds].sort((a, b) => (a < b ? -1 : 1));
  const batches = await Promise.all(
    ids.map(async (batchId): Promise<BatchHolding> => {
      const [balance, meta, serials] = await Promise.all([
        client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "balanceOf", args: [owner, batchId] }),
        client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "batchMeta", args: [batchId] }),
        client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "serialState", args: [batchId] }),
      ]);
      return {
        batchId,
        registry: shortText(meta.registry),
        projectId: shortText(meta.projectId),
        methodology: shortText(meta.methodology),
        vintageStart: meta.vintageStart,
        vintageEnd: meta.vintageEnd,
        country: shortText(meta.country),
        labels: meta.labels,
        serialStart: serials.serialStart,
        serialEnd: serials.serialEnd,
        nextRetireSerial: serials.nextRetireSerial,
        available: balance,
        reserved: reservedBy.get(batchId) ?? 0n,
        retired: retiredBy.get(batchId) ?? 0n,
        lastPrice: lastPrice.get(batchId),
      };
    }),
  );

  deltas.sort((a, b) => (a.block === b.block ? a.logIndex - b.logIndex : a.block < b.block ? -1 : 1));
  const blockTimes = new Map<bigint, number>();
  await Promise.all(
    [...new Set(deltas.map((d) => d.block))].map(async (block) => {
      blockTimes.set(block, Number((await client.getBlock({ blockNumber: block })).timestamp));
    }),
  );
  const series: PortfolioPoint[] = [];
  let holdings = 0n;
  let retired = 0n;
  for (const d of deltas) {
    holdings += d.holdings;
    retired += d.retired;
    series.push({ time: blockTimes.get(d.block)!, holdings, retired });
  }
  return { batches, series };
}
