/**
 * SettlementEscrow orders off-chain: the EIP-712 type the seller signs (domain "CarbonClear
 * Settlement" v1, bound to the chain id and the escrow's address), the zod schema of a signed
 * order as the API accepts it, and its JSON form (integers as decimal strings).
 */
import { getAddress, hashTypedData, zeroAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { ORDER_TYPES, settlementDomain } from "../chain/eip712";

export { ORDER_TYPES, SETTLEMENT_DOMAIN_NAME, SETTLEMENT_DOMAIN_VERSION, settlementDomain } from "../chain/eip712";
export const SETTLEMENT_MODES = ["atomic", "escrow"] as const;
export type SettlementMode = (typeof SETTLEMENT_MODES)[number];

/** An order as signed (the on-chain `Order` struct). */
export interface Order {
  readonly seller: Address;
  readonly batchId: bigint;
  readonly quantity: bigint;
  readonly pricePerTonne: bigint;
  readonly minFill: bigint;
  readonly expiry: bigint;
  readonly salt: bigint;
  readonly counter: bigint;
  /** The designated buyer; the zero address = anyone. */
  readonly buyer: Address;
  readonly mode: SettlementMode;
}

/** The struct as viem encodes it for the contract and for EIP-712 (mode as its enum index). */
export function orderTuple(order: Order) {
  return { ...order, mode: SETTLEMENT_MODES.indexOf(order.mode) };
}

/** The order's EIP-712 digest: what the seller signs and the escrow's key for the order. */
export function orderHash(order: Order, chainId: number, escrow: Address): Hex {
  return hashTypedData({ domain: settlementDomain(chainId, escrow), types: ORDER_TYPES, primaryType: "Order", message: orderTuple(order) });
}

const UINT64_MAX = (1n << 64n) - 1n;
const UINT128_MAX = (1n << 128n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;

/** A decimal string (or a safe integer) for a uint of `bits` bits. */
const uint = (bits: 64 | 128 | 256, what: string) =>
  z
    .union([z.string(), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
    .transform((value, ctx) => {
      const text = String(value);
      if (!/^(0|[1-9][0-9]*)$/.test(text)) {
        ctx.addIssue({ code: "custom", message: `${what} must be a non-negative decimal integer` });
        return z.NEVER;
      }
      const n = BigInt(text);
      const max = bits === 64 ? UINT64_MAX : bits === 128 ? UINT128_MAX : UINT256_MAX;
      if (n > max) {
        ctx.addIssue({ code: "custom", message: `${what} does not fit in uint${bits}` });
        return z.NEVER;
      }
      return n;
    });

export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address")
  .transform((a) => getAddress(a));

export const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex string")
  .transform((h) => h.toLowerCase() as Hex);

/** Largest order quantity the escrow's fill record holds (2^31 - 1 tonnes). */
export const MAX_ORDER_QUANTITY = 2n ** 31n - 1n;
/** Latest order expiry the escrow's fill record holds (2^32 - 1 unix seconds). */
export const MAX_ORDER_EXPIRY = 2n ** 32n - 1n;

export const orderSchema = z
  .object({
    seller: addressSchema,
    batchId: uint(256, "batchId"),
    quantity: uint(64, "quantity"),
    pricePerTonne: uint(128, "pricePerTonne"),
    minFill: uint(64, "minFill"),
    expiry: uint(64, "expiry"),
    salt: uint(256, "salt"),
    counter: uint(64, "counter"),
    buyer: addressSchema.optional().default(zeroAddress),
    mode: z.enum(SETTLEMENT_MODES),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.quantity === 0n) ctx.addIssue({ code: "custom", path: ["quantity"], message: "quantity must be at least 1 tonne" });
    if (o.pricePerTonne === 0n) ctx.addIssue({ code: "custom", path: ["pricePerTonne"], message: "pricePerTonne must be positive" });
    if (o.minFill > o.quantity) ctx.addIssue({ code: "custom", path: ["minFill"], message: "minFill must not exceed quantity" });
    if (o.batchId === 0n) ctx.addIssue({ code: "custom", path: ["batchId"], message: "batchId 0 does not exist" });
    // the escrow's fill record keeps 31 bits of filled quantity and 32 of expiry (QuantityTooLarge, ExpiryTooFar)
    if (o.quantity > MAX_ORDER_QUANTITY) ctx.addIssue({ code: "custom", path: ["quantity"], message: `quantity must be at most ${MAX_ORDER_QUANTITY} tonnes` });
    if (o.expiry > MAX_ORDER_EXPIRY) ctx.addIssue({ code: "custom", path: ["expiry"], message: `expiry must be at most ${MAX_ORDER_EXPIRY} (unix seconds, 2106-02-07)` });
  });

/** What POST /v1/orders takes: the order and the seller's signature (65-byte ECDSA, or any bytes for an ERC-1271 wallet). */
export const signedOrderSchema = z
  .object({
    order: orderSchema,
    signature: z
      .string()
      .regex(/^0x([0-9a-fA-F]{2})+$/, "must be 0x-prefixed hex bytes")
      .max(2 + 2 * 4096, "must be at most 4096 bytes")
      .transform((s) => s.toLowerCase() as Hex),
  })
  .strict();
export type SignedOrderInput = z.input<typeof signedOrderSchema>;
export type SignedOrder = z.output<typeof signedOrderSchema>;

/** JSON form of an order (integers as decimal strings; the designated buyer null when anyone may fill). */
export interface OrderJson {
  seller: Address;
  batchId: string;
  quantity: string;
  pricePerTonne: string;
  minFill: string;
  expiry: string;
  salt: string;
  counter: string;
  buyer: Address | null;
  mode: SettlementMode;
}

export function orderJson(order: Order): OrderJson {
  return {
    seller: order.seller,
    batchId: order.batchId.toString(),
    quantity: order.quantity.toString(),
    pricePerTonne: order.pricePerTonne.toString(),
    minFill: order.minFill.toString(),
    expiry: order.expiry.toString(),
    salt: order.salt.toString(),
    counter: order.counter.toString(),
    buyer: order.buyer === zeroAddress ? null : order.buyer,
    mode: order.mode,
  };
}
