/**
 * EIP-712 attestation types signed by oracle nodes and verified by OracleQuorum. The struct layouts
 * and type names must match the type hashes in the consumer contracts (RegistryBridge,
 * RetirementCertificate, SettlementEscrow); `test/chain-eip712.test.ts` checks them against the
 * deployed contracts.
 */
import type { Address, Hex, TypedDataDomain } from "viem";

export const QUORUM_DOMAIN_NAME = "CarbonClear OracleQuorum";
export const QUORUM_DOMAIN_VERSION = "1";

/** The EIP-712 domain of the quorum on `chainId` at `quorum`. */
export function quorumDomain(chainId: number, quorum: Address): TypedDataDomain {
  return { name: QUORUM_DOMAIN_NAME, version: QUORUM_DOMAIN_VERSION, chainId, verifyingContract: quorum };
}

export const BATCH_INFO_FIELDS = [
  { name: "registry", type: "bytes16" },
  { name: "projectId", type: "bytes16" },
  { name: "methodology", type: "bytes16" },
  { name: "serialScope", type: "uint64" },
  { name: "serialStart", type: "uint64" },
  { name: "serialEnd", type: "uint64" },
  { name: "vintageStart", type: "uint32" },
  { name: "vintageEnd", type: "uint32" },
  { name: "country", type: "bytes2" },
  { name: "jurisdiction", type: "bytes2" },
  { name: "labels", type: "uint16" },
  { name: "correspondingAdjustment", type: "uint8" },
  { name: "mrvDatasetId", type: "bytes32" },
  { name: "serialNumber", type: "string" },
] as const;

/** Attestation kinds and their EIP-712 types (primary type = kind). */
export const ATTESTATION_TYPES = {
  TokenizeAttestation: {
    TokenizeAttestation: [
      { name: "batch", type: "BatchInfo" },
      { name: "owner", type: "address" },
      { name: "lockRef", type: "bytes32" },
      { name: "epoch", type: "uint64" },
      { name: "deadline", type: "uint64" },
    ],
    BatchInfo: BATCH_INFO_FIELDS,
  },
  RedemptionResult: {
    RedemptionResult: [
      { name: "redemptionId", type: "uint256" },
      { name: "batchId", type: "uint256" },
      { name: "firstSerial", type: "uint64" },
      { name: "lastSerial", type: "uint64" },
      { name: "accepted", type: "bool" },
      { name: "registryRef", type: "bytes32" },
      { name: "epoch", type: "uint64" },
      { name: "deadline", type: "uint64" },
    ],
  },
  RetirementConfirmation: {
    RetirementConfirmation: [
      { name: "certificateId", type: "uint256" },
      { name: "lastSerial", type: "uint64" },
      { name: "accepted", type: "bool" },
      { name: "registryRef", type: "bytes32" },
      { name: "epoch", type: "uint64" },
      { name: "deadline", type: "uint64" },
    ],
  },
  // SettlementEscrow.release: the registry confirmed delivery of escrow trade `tradeId`
  TradeConfirmation: {
    TradeConfirmation: [
      { name: "tradeId", type: "bytes32" },
      { name: "registryRef", type: "bytes32" },
      { name: "epoch", type: "uint64" },
      { name: "deadline", type: "uint64" },
    ],
  },
} as const;

export type AttestationKind = keyof typeof ATTESTATION_TYPES;

/** On-chain BatchInfo tuple as viem encodes it. */
export interface BatchInfoTuple {
  registry: Hex;
  projectId: Hex;
  methodology: Hex;
  serialScope: bigint;
  serialStart: bigint;
  serialEnd: bigint;
  vintageStart: number;
  vintageEnd: number;
  country: Hex;
  jurisdiction: Hex;
  labels: number;
  correspondingAdjustment: number;
  mrvDatasetId: Hex;
  serialNumber: string;
}

export interface TokenizeMessage {
  batch: BatchInfoTuple;
  owner: Address;
  lockRef: Hex;
  epoch: bigint;
  deadline: bigint;
}

export interface RedemptionResultMessage {
  redemptionId: bigint;
  batchId: bigint;
  firstSerial: bigint;
  lastSerial: bigint;
  accepted: boolean;
  registryRef: Hex;
  epoch: bigint;
  deadline: bigint;
}

export interface RetirementConfirmationMessage {
  certificateId: bigint;
  lastSerial: bigint;
  accepted: boolean;
  registryRef: Hex;
  epoch: bigint;
  deadline: bigint;
}

export interface TradeConfirmationMessage {
  tradeId: Hex;
  registryRef: Hex;
  epoch: bigint;
  deadline: bigint;
}

export interface AttestationMessages {
  TokenizeAttestation: TokenizeMessage;
  RedemptionResult: RedemptionResultMessage;
  RetirementConfirmation: RetirementConfirmationMessage;
  TradeConfirmation: TradeConfirmationMessage;
}

/* SettlementEscrow orders (signed by the maker, verified by the escrow and the order book). */

export const SETTLEMENT_DOMAIN_NAME = "CarbonClear Settlement";
export const SETTLEMENT_DOMAIN_VERSION = "1";

/** The EIP-712 domain of the escrow at `escrow` on `chainId`. */
export function settlementDomain(chainId: number, escrow: Address): TypedDataDomain {
  return { name: SETTLEMENT_DOMAIN_NAME, version: SETTLEMENT_DOMAIN_VERSION, chainId, verifyingContract: escrow };
}

/** Must match `SettlementEscrow.ORDER_TYPEHASH`. */
export const ORDER_TYPES = {
  Order: [
    { name: "seller", type: "address" },
    { name: "batchId", type: "uint256" },
    { name: "quantity", type: "uint64" },
    { name: "pricePerTonne", type: "uint128" },
    { name: "minFill", type: "uint64" },
    { name: "expiry", type: "uint64" },
    { name: "salt", type: "uint256" },
    { name: "counter", type: "uint64" },
    { name: "buyer", type: "address" },
    { name: "mode", type: "uint8" },
  ],
} as const;
