/**
 * The compliance service's writes to the IdentityRegistry, signed with the compliance key
 * (`COMPLIANCE_KEY`, which must hold COMPLIANCE_ROLE). Each write waits for its receipt and
 * throws on revert. `freeze`/`unfreeze` read the record first, so repeating them is harmless.
 */
import {
  BaseError, ContractFunctionRevertedError, createWalletClient, custom, keccak256, stringToHex, toBytes, type Address, type Hash, type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { identityRegistryAbi } from "../../chain/abis";
import { ENTITY_TYPES, enumValue, IDENTITY_STATUSES } from "../../chain/ledgerEnums";

export interface IdentityRecord {
  readonly kind: "individual" | "organisation";
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  /** Unix seconds. */
  readonly kycExpiry: bigint;
  /** `REGISTRY:accountId` of every verified registry account. */
  readonly registryAccounts: readonly string[];
}

export interface IdentityWriter {
  /** Writes a Verified, sanctions-cleared record for `wallet`; resolves once mined. */
  setVerifiedIdentity(wallet: Address, record: IdentityRecord, onSent: (hash: Hash) => Promise<void>): Promise<Hash>;
  /** Freezes `wallet` unless it already is; returns the transaction hash, or null when nothing was sent. */
  freeze(wallet: Address, reason: string, onSent: (hash: Hash) => Promise<void>): Promise<Hash | null>;
  /** Lifts a freeze unless there is none; returns the transaction hash, or null when nothing was sent. */
  unfreeze(wallet: Address, reason: string, onSent: (hash: Hash) => Promise<void>): Promise<Hash | null>;
  isEligible(wallet: Address, batchId?: bigint): Promise<boolean>;
  isFrozen(wallet: Address): Promise<boolean>;
}

/** keccak256 over the sorted, newline-joined `REGISTRY:accountId` list: what the chain stores. */
export function registryAccountsHash(accounts: readonly string[]): Hash {
  return keccak256(toBytes([...accounts].sort().join("\n")));
}

export function describeChainError(error: unknown): string {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) return `reverted: ${revert.data?.errorName ?? revert.reason ?? revert.shortMessage}`;
    return error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A writer that signs locally with `complianceKey` and sends through `publicClient`'s connection. */
export function createIdentityWriter(options: {
  readonly publicClient: PublicClient;
  readonly identityAddress: Address;
  /** Private key holding COMPLIANCE_ROLE. */
  readonly complianceKey: `0x${string}`;
}): IdentityWriter {
  const { publicClient, identityAddress } = options;
  const wallet = createWalletClient({
    account: privateKeyToAccount(options.complianceKey),
    chain: publicClient.chain,
    transport: custom({ request: (args) => publicClient.request(args as never) }),
  });

  async function send(
    functionName: "setIdentity" | "freeze" | "unfreeze",
    args: readonly unknown[],
    onSent: (hash: Hash) => Promise<void>,
  ): Promise<Hash> {
    const { request } = await publicClient.simulateContract({
      account: wallet.account,
      address: identityAddress,
      abi: identityRegistryAbi,
      functionName,
      args: args as never,
    });
    const hash = await wallet.writeContract(request as never);
    await onSent(hash);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`IdentityRegistry.${functionName} transaction ${hash} reverted`);
    return hash;
  }

  const identityOf = (address: Address) =>
    publicClient.readContract({ address: identityAddress, abi: identityRegistryAbi, functionName: "identityOf", args: [address] });

  return {
    async setVerifiedIdentity(address, record, onSent) {
      return send(
        "setIdentity",
        [
          address,
          {
            status: enumValue(IDENTITY_STATUSES, "Verified"),
            entityType: enumValue(ENTITY_TYPES, record.kind === "individual" ? "Individual" : "Company"),
            country: stringToHex(record.country, { size: 2 }),
            kycExpiry: record.kycExpiry,
            sanctionsCleared: true,
            registryAccountsHash: registryAccountsHash(record.registryAccounts),
          },
        ],
        onSent,
      );
    },
    async freeze(address, reason, onSent) {
      if ((await identityOf(address)).frozen) return null;
      return send("freeze", [address, reason], onSent);
    },
    async unfreeze(address, reason, onSent) {
      if (!(await identityOf(address)).frozen) return null;
      return send("unfreeze", [address, reason], onSent);
    },
    async isEligible(address, batchId = 0n) {
      return publicClient.readContract({ address: identityAddress, abi: identityRegistryAbi, functionName: "isEligible", args: [address, batchId] });
    },
    async isFrozen(address) {
      return (await identityOf(address)).frozen;
    },
  };
}
