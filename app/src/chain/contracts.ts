/** Typed ABIs of the ledger (generated from the Hardhat artifacts) and the order's EIP-712 shape. */
import type { Address, Hex } from "viem";
export {
  carbonCreditAbi,
  identityRegistryAbi,
  retirementCertificateAbi,
  settlementEscrowAbi,
  testStablecoinAbi,
  mRVRegistryAbi as mrvRegistryAbi,
} from "../../../backend/src/chain/abis";

export const SettlementMode = { Atomic: 0, Escrow: 1 } as const;

/** SettlementEscrow.Order, as signed by a seller. */
export interface Order {
  seller: Address;
  batchId: bigint;
  quantity: bigint;
  pricePerTonne: bigint;
  minFill: bigint;
  expiry: bigint;
  salt: bigint;
  counter: bigint;
  buyer: Address;
  mode: number;
}

/** The escrow's order typed data: one definition for the backend, the dApp and the seed. */
export { ORDER_TYPES, settlementDomain } from "../../../backend/src/chain/eip712";

const ZERO = "0x0000000000000000000000000000000000000000" as Address;
const MODES = ["atomic", "escrow"] as const;

/** Order as the API carries it: integers as decimal strings, mode by name, buyer null or absent for anyone. */
export interface OrderJson {
  seller: Address;
  batchId: string;
  quantity: string;
  pricePerTonne: string;
  minFill: string;
  expiry: string;
  salt: string;
  counter: string;
  buyer?: Address | null;
  mode: (typeof MODES)[number];
}

export function orderToJson(order: Order): OrderJson {
  return {
    seller: order.seller,
    batchId: order.batchId.toString(),
    quantity: order.quantity.toString(),
    pricePerTonne: order.pricePerTonne.toString(),
    minFill: order.minFill.toString(),
    expiry: order.expiry.toString(),
    salt: order.salt.toString(),
    counter: order.counter.toString(),
    buyer: order.buyer.toLowerCase() === ZERO ? undefined : order.buyer,
    mode: MODES[order.mode],
  };
}

export function orderFromJson(json: OrderJson): Order {
  const mode = MODES.indexOf(json.mode);
  if (mode < 0) throw new Error(`unknown settlement mode ${JSON.stringify(json.mode)}`);
  return {
    seller: json.seller,
    batchId: BigInt(json.batchId),
    quantity: BigInt(json.quantity),
    pricePerTonne: BigInt(json.pricePerTonne),
    minFill: BigInt(json.minFill),
    expiry: BigInt(json.expiry),
    salt: BigInt(json.salt),
    counter: BigInt(json.counter),
    buyer: json.buyer ?? ZERO,
    mode,
  };
}

export type { Hex };
