/**
 * The order book: signed SettlementEscrow orders, checked against the chain before they are
 * stored, and listed with their live status from the indexer's read model.
 *
 * Posting verifies, in this order: the signature over the EIP-712 digest in the escrow's domain
 * (chain id and escrow address of the deployment; ECDSA, or ERC-1271 for a contract seller), the
 * escrow's own digest of the order (same domain on chain), the seller's counter, the order's fill
 * state and cancellation on chain, its expiry against the latest block, the seller's eligibility
 * for the batch, their balance for what is left of the order and their operator approval of the
 * escrow. Nothing is stored unless every check passes. Posting the same order twice is idempotent.
 */
import { getAddress, recoverTypedDataAddress, zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { carbonCreditAbi, identityRegistryAbi, settlementEscrowAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import type pg from "pg";
import { appendAuditEntry, withTransaction } from "../db";
import { LABEL_BITS, labelsFromBitmask, type Label } from "../domain/labels";
import { SettlementError } from "./errors";
import { ORDER_TYPES, orderHash, orderJson, orderTuple, settlementDomain, type Order, type OrderJson, type SettlementMode, type SignedOrder } from "./order";

export interface OrderBookDeps {
  readonly db: pg.Pool;
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
}

/** IIdentityRegistry.Ineligibility, by index. */
export const INELIGIBILITY_REASONS = [
  "None",
  "NotVerified",
  "Frozen",
  "SanctionsNotCleared",
  "KycExpired",
  "WrongJurisdiction",
  "EntityTypeNotAllowed",
] as const;

const ERC1271_MAGIC = "0x1626ba7e";
const erc1271Abi = [
  {
    type: "function",
    name: "isValidSignature",
    stateMutability: "view",
    inputs: [
      { name: "hash", type: "bytes32" },
      { name: "signature", type: "bytes" },
    ],
    outputs: [{ name: "", type: "bytes4" }],
  },
] as const;

export type OrderStatus = "open" | "filled" | "cancelled" | "voided" | "expired";
export const ORDER_STATUSES: readonly OrderStatus[] = ["open", "filled", "cancelled", "voided", "expired"];

export interface BookOrder {
  orderHash: Hex;
  order: OrderJson;
  signature: Hex;
  status: OrderStatus;
  filled: string;
  remaining: string;
  postedAt: string;
  /** The batch as the read model knows it (null until the indexer has seen the batch). */
  batch: { registry: string; projectId: string; vintageStart: number; vintageEnd: number; country: string; labels: Label[] } | null;
}

function escrowOf(deployment: Deployment): Address {
  const escrow = deployment.contracts.escrow;
  if (escrow === undefined) throw new SettlementError("ESCROW_NOT_DEPLOYED", "this deployment has no SettlementEscrow");
  return escrow;
}

async function checkSignature(deps: OrderBookDeps, order: Order, digest: Hex, signature: Hex, escrow: Address): Promise<void> {
  if (signature.length === 2 + 2 * 65) {
    let recovered: Address | undefined;
    try {
      recovered = await recoverTypedDataAddress({
        domain: settlementDomain(deps.deployment.chainId, escrow),
        types: ORDER_TYPES,
        primaryType: "Order",
        message: orderTuple(order),
        signature,
      });
    } catch {
      recovered = undefined;
    }
    if (recovered === order.seller) return;
  }
  const code = await deps.publicClient.getCode({ address: order.seller });
  if (code !== undefined && code !== "0x") {
    const magic = await deps.publicClient
      .readContract({ address: order.seller, abi: erc1271Abi, functionName: "isValidSignature", args: [digest, signature] })
      .catch(() => undefined);
    if (magic === ERC1271_MAGIC) return;
  }
  throw new SettlementError(
    "INVALID_SIGNATURE",
    `signature is not the seller ${order.seller}'s EIP-712 signature of this order for escrow ${escrow} on chain ${deps.deployment.chainId}`,
  );
}

/** Verifies a signed order against the chain and stores it. `created` is false when it was already in the book. */
export async function postOrder(deps: OrderBookDeps, input: SignedOrder, postedBy: Address): Promise<{ created: boolean; order: BookOrder }> {
  const escrow = escrowOf(deps.deployment);
  const { order, signature } = input;
  if (postedBy !== order.seller) {
    throw new SettlementError("NOT_ORDER_SELLER", `only the seller ${order.seller} may post this order (signed in as ${postedBy})`);
  }
  const chainId = await deps.publicClient.getChainId();
  if (chainId !== deps.deployment.chainId) {
    throw new SettlementError("WRONG_CHAIN", `the node serves chain ${chainId}, the deployment is for chain ${deps.deployment.chainId}`);
  }
  const digest = orderHash(order, chainId, escrow);
  await checkSignature(deps, order, digest, signature, escrow);

  const tuple = orderTuple(order);
  const read = <const F extends "hashOrder" | "counterOf" | "orderState">(functionName: F, args: readonly unknown[]) =>
    deps.publicClient.readContract({ address: escrow, abi: settlementEscrowAbi, functionName, args } as never);
  const [onChainHash, counter, state, block, eligibility, balance, approved] = await Promise.all([
    read("hashOrder", [tuple]) as Promise<Hex>,
    read("counterOf", [order.seller]) as Promise<bigint>,
    read("orderState", [order.seller, order.salt]) as Promise<readonly [bigint, boolean]>, // fill record of (seller, salt)
    deps.publicClient.getBlock({ blockTag: "latest" }),
    deps.publicClient.readContract({
      address: deps.deployment.contracts.identity,
      abi: identityRegistryAbi,
      functionName: "eligibility",
      args: [order.seller, order.batchId],
    }),
    deps.publicClient.readContract({
      address: deps.deployment.contracts.credit,
      abi: carbonCreditAbi,
      functionName: "balanceOf",
      args: [order.seller, order.batchId],
    }),
    deps.publicClient.readContract({
      address: deps.deployment.contracts.credit,
      abi: carbonCreditAbi,
      functionName: "isApprovedForAll",
      args: [order.seller, escrow],
    }),
  ]);
  if (onChainHash.toLowerCase() !== digest.toLowerCase()) {
    throw new SettlementError("WRONG_CHAIN", `escrow ${escrow} hashes this order to ${onChainHash}, not ${digest}: wrong chain or escrow`);
  }
  if (order.counter !== counter) {
    throw new SettlementError("STALE_COUNTER", `order counter ${order.counter} is not the seller's current counter ${counter}`, {
      currentCounter: counter.toString(),
    });
  }
  const [filled, cancelled] = state;
  if (cancelled) throw new SettlementError("ORDER_CANCELLED", `order ${digest} was cancelled on chain`);
  if (filled >= order.quantity) throw new SettlementError("ORDER_FILLED", `order ${digest} is already filled (${filled} of ${order.quantity} t)`);
  if (order.expiry < block.timestamp) {
    throw new SettlementError("ORDER_EXPIRED", `order expired at ${order.expiry}, the chain is at ${block.timestamp}`);
  }
  if (eligibility !== 0) {
    const reason = INELIGIBILITY_REASONS[eligibility] ?? `reason ${eligibility}`;
    throw new SettlementError("MAKER_NOT_ELIGIBLE", `seller ${order.seller} is not eligible to hold batch ${order.batchId}: ${reason}`, { reason });
  }
  const left = order.quantity - filled;
  if (balance < left) {
    throw new SettlementError("INSUFFICIENT_CREDITS", `seller holds ${balance} t of batch ${order.batchId}, the order offers ${left} t`);
  }
  if (!approved) throw new SettlementError("ESCROW_NOT_APPROVED", `seller has not approved escrow ${escrow} as operator of their credits`);

  // the order and its audit entry commit together, before the caller hears "created"
  const created = await withTransaction(deps.db, async (client) => {
    // The escrow keeps one fill record per (seller, salt), live until the orders that wrote it
    // expire: two live orders with one salt would share it (fills of either count against both;
    // cancelling one voids both). Refuse a salt another order still uses; once that order expired
    // the salt is free again (its record reads as empty, and reusing it keeps the record's storage
    // word warm).
    const sameSalt = await client.query<{ order_hash: string; expiry: string }>(
      `SELECT order_hash, expiry::text FROM settlement_orders
        WHERE chain_id = $1 AND escrow = $2 AND seller = $3 AND salt = $4::numeric AND order_hash <> $5 AND expiry >= $6::bigint
        LIMIT 1`,
      [chainId, escrow.toLowerCase(), order.seller.toLowerCase(), order.salt.toString(), digest.toLowerCase(), block.timestamp.toString()],
    );
    if (sameSalt.rows.length > 0) {
      throw new SettlementError(
        "SALT_IN_USE",
        `seller ${order.seller} posted order ${sameSalt.rows[0].order_hash} with salt ${order.salt}, live until ${sameSalt.rows[0].expiry}: each live order needs its own salt`,
        { orderHash: sameSalt.rows[0].order_hash },
      );
    }
    const inserted = await client.query(
      `INSERT INTO settlement_orders (chain_id, escrow, order_hash, seller, batch_id, quantity, price_per_tonne, min_fill, expiry, salt,
         counter, buyer, mode, signature, posted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (chain_id, order_hash) DO NOTHING`,
      [
        chainId,
        escrow.toLowerCase(),
        digest.toLowerCase(),
        order.seller.toLowerCase(),
        order.batchId.toString(),
        order.quantity.toString(),
        order.pricePerTonne.toString(),
        order.minFill.toString(),
        order.expiry.toString(),
        order.salt.toString(),
        order.counter.toString(),
        order.buyer === zeroAddress ? null : order.buyer.toLowerCase(),
        order.mode,
        signature,
        postedBy.toLowerCase(),
      ],
    );
    if (inserted.rowCount !== 1) return false;
    await appendAuditEntry(client, {
      actor: postedBy.toLowerCase(),
      action: "settlement.order.posted",
      subject: `order:${digest.toLowerCase()}`,
      details: { ...orderJson(order), chainId, escrow: escrow.toLowerCase() },
    });
    return true;
  });
  const stored = await getOrder(deps, digest, block.timestamp);
  if (stored === undefined) throw new Error(`order ${digest} vanished after insert`);
  return { created, order: stored };
}

export interface OrderFilter {
  status?: OrderStatus | "any";
  batchId?: bigint;
  registry?: string;
  label?: Label;
  /** A vintage year the batch's vintage period overlaps. */
  vintage?: number;
  minPrice?: bigint;
  maxPrice?: bigint;
  seller?: Address;
  mode?: SettlementMode;
  limit?: number;
  offset?: number;
}

interface OrderRow {
  order_hash: Hex;
  seller: Address;
  batch_id: string;
  quantity: string;
  price_per_tonne: string;
  min_fill: string;
  expiry: string;
  salt: string;
  counter: string;
  buyer: Address | null;
  mode: SettlementMode;
  signature: Hex;
  posted_at: Date;
  filled: string;
  status: OrderStatus;
  registry: string | null;
  project_id: string | null;
  vintage_start: number | null;
  vintage_end: number | null;
  country: string | null;
  labels: number | null;
}

/**
 * Orders of chain $1 and escrow $3 that match `where` (SQL over `o` = settlement_orders and
 * `b` = batches), with their filled quantity (fills + locked trades) and status at unix time $2.
 * Only matching orders get their status computed.
 */
function ordersWithStatus(where: string): string {
  return `
  WITH book AS (
    SELECT o.*, b.registry, b.project_id, b.vintage_start, b.vintage_end, b.country, b.labels,
      COALESCE((SELECT SUM(f.quantity) FROM settlement_fills f WHERE f.chain_id = o.chain_id AND f.order_hash = o.order_hash), 0)
      + COALESCE((SELECT SUM(t.quantity) FROM settlement_trades t WHERE t.chain_id = o.chain_id AND t.order_hash = o.order_hash), 0) AS filled,
      EXISTS (SELECT 1 FROM settlement_maker_events m
               WHERE m.chain_id = o.chain_id AND m.kind = 'cancelled' AND m.order_hash = o.order_hash) AS cancelled,
      EXISTS (SELECT 1 FROM settlement_maker_events m
               WHERE m.chain_id = o.chain_id AND m.kind = 'counter_incremented' AND m.seller = o.seller AND m.counter > o.counter) AS voided
    FROM settlement_orders o LEFT JOIN batches b ON b.chain_id = o.chain_id AND b.batch_id = o.batch_id
    WHERE o.chain_id = $1 AND o.escrow = $3${where === "" ? "" : ` AND ${where}`}
  )
  SELECT book.order_hash, book.seller, book.batch_id::text, book.quantity::text, book.price_per_tonne::text, book.min_fill::text,
    book.expiry::text, book.salt::text, book.counter::text, book.buyer, book.mode, book.signature, book.posted_at, book.filled::text AS filled,
    CASE WHEN book.cancelled THEN 'cancelled' WHEN book.voided THEN 'voided' WHEN book.filled >= book.quantity THEN 'filled'
         WHEN book.expiry < $2 THEN 'expired' ELSE 'open' END AS status,
    book.registry, book.project_id, book.vintage_start, book.vintage_end, book.country, book.labels,
    book.price_per_tonne AS price_sort
  FROM book`;
}

function toBookOrder(row: OrderRow): BookOrder {
  const order: Order = {
    seller: row.seller,
    batchId: BigInt(row.batch_id),
    quantity: BigInt(row.quantity),
    pricePerTonne: BigInt(row.price_per_tonne),
    minFill: BigInt(row.min_fill),
    expiry: BigInt(row.expiry),
    salt: BigInt(row.salt),
    counter: BigInt(row.counter),
    buyer: row.buyer ?? zeroAddress,
    mode: row.mode,
  };
  const json = orderJson(order);
  json.seller = checksum(row.seller);
  json.buyer = row.buyer === null ? null : checksum(row.buyer);
  const filled = BigInt(row.filled);
  return {
    orderHash: row.order_hash,
    order: json,
    signature: row.signature,
    status: row.status,
    filled: filled.toString(),
    remaining: (order.quantity > filled ? order.quantity - filled : 0n).toString(),
    postedAt: row.posted_at.toISOString(),
    batch:
      row.registry === null
        ? null
        : {
            registry: row.registry,
            projectId: row.project_id ?? "",
            vintageStart: row.vintage_start ?? 0,
            vintageEnd: row.vintage_end ?? 0,
            country: row.country ?? "",
            labels: labelsFromBitmask(row.labels ?? 0),
          },
  };
}

function checksum(a: string): Address {
  return getAddress(a);
}

/** The latest block's time (what the escrow compares expiries with); the wall clock when the node does not answer. */
async function chainNow(deps: OrderBookDeps): Promise<bigint> {
  try {
    return (await deps.publicClient.getBlock({ blockTag: "latest" })).timestamp;
  } catch {
    return BigInt(Math.floor(Date.now() / 1000));
  }
}

/** One order of the book by its hash, with status; undefined when it was never posted. */
export async function getOrder(deps: OrderBookDeps, hash: Hex, now?: bigint): Promise<BookOrder | undefined> {
  const escrow = escrowOf(deps.deployment);
  const at = now ?? (await chainNow(deps));
  const { rows } = await deps.db.query<OrderRow>(`SELECT * FROM (${ordersWithStatus("o.order_hash = $4")}) x`, [
    deps.deployment.chainId,
    at.toString(),
    escrow.toLowerCase(),
    hash.toLowerCase(),
  ]);
  return rows[0] === undefined ? undefined : toBookOrder(rows[0]);
}

/** Orders matching `filter` (default: open ones), cheapest first, paginated. */
export async function listOrders(deps: OrderBookDeps, filter: OrderFilter = {}): Promise<{ orders: BookOrder[]; total: number }> {
  const escrow = escrowOf(deps.deployment);
  const params: unknown[] = [deps.deployment.chainId, (await chainNow(deps)).toString(), escrow.toLowerCase()];
  const where: string[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.batchId !== undefined) where.push(`o.batch_id = ${bind(filter.batchId.toString())}::numeric`);
  if (filter.registry !== undefined) where.push(`b.registry = ${bind(filter.registry)}`);
  if (filter.label !== undefined) where.push(`(b.labels & ${bind(LABEL_BITS[filter.label])}::integer) <> 0`);
  if (filter.vintage !== undefined) {
    const year = bind(filter.vintage);
    where.push(`b.vintage_start / 10000 <= ${year}::integer AND b.vintage_end / 10000 >= ${year}::integer`);
  }
  if (filter.minPrice !== undefined) where.push(`o.price_per_tonne >= ${bind(filter.minPrice.toString())}::numeric`);
  if (filter.maxPrice !== undefined) where.push(`o.price_per_tonne <= ${bind(filter.maxPrice.toString())}::numeric`);
  if (filter.seller !== undefined) where.push(`o.seller = ${bind(filter.seller.toLowerCase())}`);
  if (filter.mode !== undefined) where.push(`o.mode = ${bind(filter.mode)}`);
  const status = filter.status ?? "open";
  const statusCondition = status === "any" ? "" : `WHERE x.status = ${bind(status)}`;
  const matching = `SELECT * FROM (${ordersWithStatus(where.join(" AND "))}) x ${statusCondition}`;
  const { rows: countRows } = await deps.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${matching}) y`, params);
  const limit = bind(filter.limit ?? 50);
  const offset = bind(filter.offset ?? 0);
  const { rows } = await deps.db.query<OrderRow>(
    `${matching} ORDER BY x.price_sort, x.posted_at, x.order_hash LIMIT ${limit}::integer OFFSET ${offset}::integer`,
    params,
  );
  return { orders: rows.map(toBookOrder), total: Number(countRows[0]?.n ?? 0) };
}
