/**
 * Turns whatever went wrong — a contract revert, a rejected signature, an API error — into a
 * sentence a person understands. Raw revert strings and selectors never reach the screen.
 */
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, UserRejectedRequestError, type Abi, type Hex } from "viem";
import {
  carbonCreditAbi,
  identityRegistryAbi,
  oracleQuorumAbi,
  registryBridgeAbi,
  retirementCertificateAbi,
  settlementEscrowAbi,
  testStablecoinAbi,
} from "../../backend/src/chain/abis";
import { ApiCallError } from "./api";
import { formatTime, formatUsd } from "./format";

const INELIGIBILITY: Record<number, string> = {
  1: "has not completed identity verification (KYC)",
  2: "is frozen by compliance",
  3: "has not been cleared against the sanctions lists",
  4: "has a KYC check that has expired",
  5: "is registered in a jurisdiction this batch may not move to",
  6: "is an entity type this batch may not be held by",
};

type Args = readonly unknown[];

const CLAIM_FIELDS: Record<string, string> = {
  beneficiary: "name the beneficiary",
  beneficiaryName: "the beneficiary's name is too long",
  reason: "give a reason (at most a few hundred characters)",
  period: "the reporting period must start before it ends",
  consumptionCountry: "give the country of consumption as a two-letter ISO code",
};
const n = (v: unknown): bigint => BigInt(v as bigint);

const CONTRACT_ERRORS: Record<string, (args: Args) => string> = {
  NotEligible: ([wallet, reason]) =>
    `Not eligible: wallet ${String(wallet)} ${INELIGIBILITY[Number(reason)] ?? "is not eligible to hold these credits"}.`,
  ERC1155InsufficientBalance: ([, balance, needed]) =>
    `Insufficient balance: you hold ${n(balance)} t of this batch but ${n(needed)} t are needed.`,
  ERC20InsufficientBalance: ([, balance, needed]) =>
    `Insufficient balance: you have ${formatUsd(n(balance))} of stablecoin but this needs ${formatUsd(n(needed))}.`,
  ERC20InsufficientAllowance: ([, allowance, needed]) =>
    `The escrow may spend only ${formatUsd(n(allowance))} of your stablecoin; approve ${formatUsd(n(needed))} first.`,
  OrderExpired: ([expiry]) => `Order expired: it could be filled until ${formatTime(n(expiry))}.`,
  Overfill: ([quantity, remaining]) => `Only ${n(remaining)} t are left in this order; you asked for ${n(quantity)} t.`,
  BelowMinFill: ([quantity, minFill]) => `This order's minimum fill is ${n(minFill)} t; ${n(quantity)} t is too little.`,
  OrderIsCancelled: () => "The seller has cancelled this order.",
  QuantityTooLarge: ([quantity]) => `An order of ${n(quantity)} t is too large to trade: the escrow takes at most 2^63 − 1 t per order.`,
  StaleCounter: () => "The seller has withdrawn all their earlier orders; this one is no longer valid.",
  InvalidSignature: () => "The order's signature does not match its seller; it cannot be filled.",
  NotDesignatedBuyer: ([, designated]) => `This is a bilateral order reserved for ${String(designated)}.`,
  NotSeller: () => "Only the seller can cancel this order.",
  EnforcedPause: () => "Trading is paused by the platform's incident response; try again later.",
  ZeroQuantity: () => "Enter a quantity of at least 1 t.",
  ZeroPrice: () => "Enter a price above zero.",
  UnknownBatch: ([batchId]) => `Batch ${String(batchId)} does not exist on this platform.`,
  ZeroAmount: () => "Enter a quantity of at least 1 t.",
  EmptyReason: () => "Give a reason for the retirement.",
  InvalidClaim: ([field]) => `The retirement claim is incomplete: ${CLAIM_FIELDS[String(field)] ?? `check the ${String(field)}`}.`,
  RedemptionAlreadyPending: () => "A redemption of this batch is pending; retire or trade it once the registry has answered.",
  WrongSettlementMode: () => "This order settles in a different mode (escrow vs. atomic).",
  UnknownCertificate: ([id]) => `Certificate ${String(id)} does not exist.`,
};

/**
 * Every custom error of the ledger: a call to one contract can revert with another's error (a fill
 * reverts with the identity registry's NotEligible), which the called contract's ABI cannot decode.
 */
const LEDGER_ERRORS: Abi = [
  identityRegistryAbi,
  oracleQuorumAbi,
  carbonCreditAbi,
  retirementCertificateAbi,
  registryBridgeAbi,
  settlementEscrowAbi,
  testStablecoinAbi,
].flatMap((abi) => (abi as Abi).filter((item) => item.type === "error"));

function decodeLedgerError(revert: ContractFunctionRevertedError): { errorName: string; args: readonly unknown[] } | undefined {
  if (revert.data?.errorName !== undefined) return { errorName: revert.data.errorName, args: revert.data.args ?? [] };
  const raw = (revert as { raw?: Hex }).raw;
  if (raw === undefined || raw.length < 10) return undefined;
  try {
    const decoded = decodeErrorResult({ abi: LEDGER_ERRORS, data: raw });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}

/** A sentence for any error the dApp can meet. */
export function humanError(error: unknown): string {
  if (error instanceof ApiCallError) return error.message;
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError) !== null) return "You rejected the request in your wallet.";
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const decoded = decodeLedgerError(revert);
      if (decoded !== undefined) {
        const name = decoded.errorName;
        const explain = CONTRACT_ERRORS[name];
        if (explain !== undefined) return explain(decoded.args);
        return `The transaction was refused by the contract (${name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()}).`;
      }
      return "The transaction was refused by the contract.";
    }
    if (/insufficient funds/i.test(error.message)) return "Your wallet has too little native currency to pay for gas.";
    return error.shortMessage.replace(/\s*\n[\s\S]*$/, "");
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
