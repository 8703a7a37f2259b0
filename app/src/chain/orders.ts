/**
 * The order book: signed orders come from the API (`GET /v1/orders`), their live state (filled,
 * cancelled) and their batch's registry data from the chain. Buying, selling and cancelling go
 * through the wallet.
 */
import { hashTypedData, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import type { Api } from "../api";
import type { PlatformInfo } from "../platform";
import { shortText } from "../format";
import {
  carbonCreditAbi,
  ORDER_TYPES,
  orderFromJson,
  orderToJson,
  settlementDomain,
  settlementEscrowAbi,
  SettlementMode,
  testStablecoinAbi,
  type Order,
  type OrderJson,
} from "./contracts";

export interface ListedOrder {
  orderHash: Hex;
  order: Order;
  signature: Hex;
  remaining: bigint;
  registry: string;
  projectId: string;
  vintageStart: number;
  vintageEnd: number;
  labels: number;
}

interface ApiOrder {
  orderHash?: Hex;
  order: OrderJson;
  signature: Hex;
}

export async function loadOrders(api: Api, client: PublicClient, info: PlatformInfo): Promise<ListedOrder[]> {
  const answer = await api.get<ApiOrder[] | { orders: ApiOrder[] }>("/v1/orders?status=open");
  const rows = Array.isArray(answer) ? answer : answer.orders;
  const now = BigInt(Math.floor(Date.now() / 1000));
  const metas = new Map<bigint, Awaited<ReturnType<typeof batchMeta>>>();
  const batchMeta = (batchId: bigint) =>
    client.readContract({ address: info.contracts.credit, abi: carbonCreditAbi, functionName: "batchMeta", args: [batchId] });
  const listed = await Promise.all(
    rows.map(async (row): Promise<ListedOrder | undefined> => {
      const order = orderFromJson(row.order);
      const orderHash = hashTypedData({
        domain: settlementDomain(info.chainId, info.contracts.escrow),
        types: ORDER_TYPES,
        primaryType: "Order",
        message: order,
      });
      const [filled, cancelled] = await client.readContract({
        address: info.contracts.escrow,
        abi: settlementEscrowAbi,
        functionName: "orderState",
        args: [order.seller, order.salt], // the escrow keys fill records by (seller, salt)
      });
      if (cancelled || filled >= order.quantity || order.expiry < now) return undefined;
      if (!metas.has(order.batchId)) metas.set(order.batchId, await batchMeta(order.batchId));
      const meta = metas.get(order.batchId)!;
      return {
        orderHash,
        order,
        signature: row.signature,
        remaining: order.quantity - filled,
        registry: shortText(meta.registry),
        projectId: shortText(meta.projectId),
        vintageStart: meta.vintageStart,
        vintageEnd: meta.vintageEnd,
        labels: meta.labels,
      };
    }),
  );
  return listed.filter((o): o is ListedOrder => o !== undefined);
}

export interface OrderFilter {
  registry?: string;
  vintage?: number;
  labelBit?: number;
  maxPrice?: bigint;
}

export function filterOrders(orders: ListedOrder[], f: OrderFilter): ListedOrder[] {
  return orders.filter(
    (o) =>
      (f.registry === undefined || o.registry === f.registry) &&
      (f.vintage === undefined || (o.vintageStart <= f.vintage && f.vintage <= o.vintageEnd)) &&
      (f.labelBit === undefined || (o.labels & f.labelBit) !== 0) &&
      (f.maxPrice === undefined || o.order.pricePerTonne <= f.maxPrice),
  );
}

type Progress = (step: string) => void;

/** How long an escrow-mode trade waits for the registry's delivery confirmation before either side can refund. */
const ESCROW_RELEASE_WINDOW = 3n * 86_400n;

async function send(client: PublicClient, progress: Progress, label: string, write: () => Promise<Hex>): Promise<void> {
  progress(`${label}: confirm in your wallet…`);
  const hash = await write();
  progress(`${label}: waiting for the transaction to confirm…`);
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${label} failed on-chain (transaction ${hash}).`);
}

/** Buys `quantity` of an order (atomic settlement): approves the stablecoin if needed, then fills. */
export async function buy(
  client: PublicClient,
  wallet: WalletClient,
  info: PlatformInfo,
  buyer: Address,
  listed: ListedOrder,
  quantity: bigint,
  progress: Progress,
): Promise<void> {
  const amount = listed.order.pricePerTonne * quantity;
  // Simulate first: a refusal is explained before anything is signed.
  const allowance = await client.readContract({
    address: info.contracts.stablecoin,
    abi: testStablecoinAbi,
    functionName: "allowance",
    args: [buyer, info.contracts.escrow],
  });
  if (allowance < amount) {
    const { request } = await client.simulateContract({
      account: buyer,
      address: info.contracts.stablecoin,
      abi: testStablecoinAbi,
      functionName: "approve",
      args: [info.contracts.escrow, amount],
    });
    await send(client, progress, "Approve the payment", () => wallet.writeContract({ ...request, account: buyer, chain: wallet.chain }));
  }
  if (listed.order.mode === SettlementMode.Escrow) {
    // Escrow settlement: both legs are locked now and released when the registry confirms delivery.
    const releaseDeadline = BigInt(Math.floor(Date.now() / 1000)) + ESCROW_RELEASE_WINDOW;
    // the buyer's lowest lock slot without an open trade: a slot freed by a settled trade costs ~17k less
    const lockSlot = await client.readContract({ address: info.contracts.escrow, abi: settlementEscrowAbi, functionName: "freeLockSlot", args: [buyer] });
    const { request } = await client.simulateContract({
      account: buyer,
      address: info.contracts.escrow,
      abi: settlementEscrowAbi,
      functionName: "agree",
      args: [listed.order, listed.signature, quantity, releaseDeadline, lockSlot],
    });
    await send(client, progress, "Agree and lock", () => wallet.writeContract({ ...request, account: buyer, chain: wallet.chain }));
    return;
  }
  const { request } = await client.simulateContract({
    account: buyer,
    address: info.contracts.escrow,
    abi: settlementEscrowAbi,
    functionName: "fill",
    args: [listed.order, listed.signature, quantity],
  });
  await send(client, progress, "Buy", () => wallet.writeContract({ ...request, account: buyer, chain: wallet.chain }));
}

/**
 * The salt of the seller's next order: the lowest salt that no live order of theirs in the book uses
 * and whose on-chain fill record is empty (never written, or stale because every order that wrote it
 * expired). The escrow keeps four orders' fill records in one storage word per (seller, salt >> 2)
 * and lets a salt's record go stale when its orders expire, so reusing low salts keeps a seller's
 * fills in words that are already written (~17k gas less than a fresh word). Falls back to a random
 * salt when the book cannot be read.
 */
async function nextSalt(client: PublicClient, api: Api, info: PlatformInfo, seller: Address): Promise<bigint> {
  let live: Set<bigint>;
  try {
    // open orders: live and not yet filled or cancelled, so their records may still be empty;
    // the others' records are non-empty on chain until they expire
    const answer = await api.get<ApiOrder[] | { orders: ApiOrder[] }>(`/v1/orders?seller=${seller}&status=open&limit=200`);
    const rows = Array.isArray(answer) ? answer : answer.orders;
    live = new Set(rows.map((row) => BigInt(row.order.salt)));
  } catch {
    return BigInt(`0x${[...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("")}`);
  }
  for (let salt = 0n; ; salt += 1n) {
    if (live.has(salt)) continue;
    const [filled, cancelled] = await client.readContract({
      address: info.contracts.escrow,
      abi: settlementEscrowAbi,
      functionName: "orderState",
      args: [seller, salt],
    });
    if (filled === 0n && !cancelled) return salt;
  }
}

/** Signs a sell order and posts it to the order book; grants the escrow transfer approval first if needed. */
export async function sell(
  client: PublicClient,
  wallet: WalletClient,
  api: Api,
  info: PlatformInfo,
  seller: Address,
  terms: { batchId: bigint; quantity: bigint; pricePerTonne: bigint; minFill: bigint; expiry: bigint },
  progress: Progress,
): Promise<Hex> {
  const approved = await client.readContract({
    address: info.contracts.credit,
    abi: carbonCreditAbi,
    functionName: "isApprovedForAll",
    args: [seller, info.contracts.escrow],
  });
  if (!approved) {
    const { request } = await client.simulateContract({
      account: seller,
      address: info.contracts.credit,
      abi: carbonCreditAbi,
      functionName: "setApprovalForAll",
      args: [info.contracts.escrow, true],
    });
    await send(client, progress, "Let the escrow deliver your credits", () => wallet.writeContract({ ...request, account: seller, chain: wallet.chain }));
  }
  const counter = await client.readContract({ address: info.contracts.escrow, abi: settlementEscrowAbi, functionName: "counterOf", args: [seller] });
  const salt = await nextSalt(client, api, info, seller);
  const order: Order = {
    seller,
    ...terms,
    salt,
    counter,
    buyer: "0x0000000000000000000000000000000000000000",
    mode: SettlementMode.Atomic,
  };
  progress("Sign the order in your wallet…");
  const signature = await wallet.signTypedData({
    account: seller,
    domain: settlementDomain(info.chainId, info.contracts.escrow),
    types: ORDER_TYPES,
    primaryType: "Order",
    message: order,
  });
  progress("Publishing the order…");
  const posted = await api.post<{ orderHash?: Hex }>("/v1/orders", { order: orderToJson(order), signature });
  return (
    posted?.orderHash ??
    hashTypedData({ domain: settlementDomain(info.chainId, info.contracts.escrow), types: ORDER_TYPES, primaryType: "Order", message: order })
  );
}

export async function cancel(client: PublicClient, wallet: WalletClient, info: PlatformInfo, seller: Address, order: Order, progress: Progress): Promise<void> {
  const { request } = await client.simulateContract({
    account: seller,
    address: info.contracts.escrow,
    abi: settlementEscrowAbi,
    functionName: "cancel",
    args: [order],
  });
  await send(client, progress, "Cancel the order", () => wallet.writeContract({ ...request, account: seller, chain: wallet.chain }));
}
