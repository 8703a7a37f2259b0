/**
 * viem helpers that act on a deployed ledger the way the platform's actors do: compliance writes
 * identities, oracle nodes sign EIP-712 attestations (with the `backend/src/chain/eip712.ts` types)
 * and a relayer submits them, holders transfer, retire and redeem.
 *
 * Every helper waits for its transaction's receipt and throws when it reverts (viem decodes the
 * custom error from the ABI). Actors are given as a private key or a viem local account.
 */
import {
  concat,
  type Abi,
  hashTypedData,
  parseEventLogs,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type TypedDataDefinition,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  carbonCreditAbi,
  identityRegistryAbi,
  oracleQuorumAbi,
  registryBridgeAbi,
  retirementCertificateAbi,
} from "../chain/abis";
import { walletClientFor } from "../chain/clients";
import type { Deployment } from "../chain/deployment";
import { ATTESTATION_TYPES, quorumDomain, type AttestationKind, type AttestationMessages } from "../chain/eip712";
import { ENTITY_TYPES, enumValue, IDENTITY_STATUSES, type EntityType, type IdentityStatus } from "../chain/ledgerEnums";
import { countryToBytes2, type BatchInfo, type RetirementClaimTuple } from "../domain";
import { testClaim, testRef } from "./fixtures";

/** Who sends a transaction: a private key or a viem local account. */
export type Actor = Hex | LocalAccount;

/** The parts of a {@link TestChain} the helpers need (any chain with the ledger deployed fits). */
export interface LedgerChain {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly deployment: Deployment;
  readonly publicClient: PublicClient<Transport, Chain>;
  readonly admin: LocalAccount;
  readonly compliance: LocalAccount;
  readonly pauser: LocalAccount;
  /** Oracle signer keys of the current epoch; the first `threshold` sign by default. */
  readonly oracleKeys: readonly Hex[];
  readonly threshold: number;
}

export interface KycOptions {
  readonly status?: IdentityStatus;
  readonly entityType?: EntityType;
  /** ISO 3166-1 alpha-2 (default "US"). */
  readonly country?: string;
  /** Unix seconds (default: latest block + 1 year). */
  readonly kycExpiry?: bigint;
  readonly sanctionsCleared?: boolean;
  readonly registryAccountsHash?: Hex;
}

export interface AttestOptions {
  /** Oracle keys that sign (default: the first `threshold` of `oracleKeys`); sorted by address here. */
  readonly signers?: readonly Hex[];
  /** Signer-set epoch (default: the quorum's current one). */
  readonly epoch?: bigint;
  /** Unix seconds (default: latest block + 1 hour). */
  readonly deadline?: bigint;
}

/** A message of `kind` without `epoch` and `deadline`, which {@link LedgerActions.attest} fills in. */
export type AttestationBody<K extends AttestationKind> = Omit<AttestationMessages[K], "epoch" | "deadline">;

export interface SignedAttestation<K extends AttestationKind> {
  readonly message: AttestationMessages[K];
  /** Concatenated 65-byte signatures, ascending signer address. */
  readonly signatures: Hex;
  /** The EIP-712 digest the quorum records as consumed. */
  readonly digest: Hash;
}

export interface RegistryVerdict {
  /** Default true. */
  readonly accepted?: boolean;
  /** The registry's reference (default: `keccak256("registry-ref-<id>")`). */
  readonly registryRef?: Hex;
  readonly relayer?: Actor;
  readonly attest?: AttestOptions;
}

const ONE_YEAR = 365n * 24n * 3600n;
const ONE_HOUR = 3600n;

/**
 * Custom errors of every ledger contract. A call reverts with the error of whichever contract it
 * reached (e.g. the quorum's `InsufficientSignatures` under `RegistryBridge.tokenize`): adding them
 * all to each call's ABI lets viem name it.
 */
const LEDGER_ERRORS = [identityRegistryAbi, oracleQuorumAbi, carbonCreditAbi, retirementCertificateAbi, registryBridgeAbi]
  .flatMap((abi) => abi.filter((item): item is Extract<typeof item, { type: "error" }> => item.type === "error"));

const withLedgerErrors = <const A extends Abi>(abi: A) => [...abi, ...LEDGER_ERRORS] as unknown as A;
const identityAbi = withLedgerErrors(identityRegistryAbi);
const quorumAbi = withLedgerErrors(oracleQuorumAbi);
const creditAbi = withLedgerErrors(carbonCreditAbi);
const certificateAbi = withLedgerErrors(retirementCertificateAbi);
const bridgeAbi = withLedgerErrors(registryBridgeAbi);

const toAccount = (actor: Actor): LocalAccount => (typeof actor === "string" ? privateKeyToAccount(actor) : actor);

/** Helpers bound to one chain (see the module comment). */
export function ledgerActions(chain: LedgerChain) {
  const { publicClient, deployment } = chain;
  const contracts = deployment.contracts;
  const walletOf = (actor: Actor) => walletClientFor(chain.rpcUrl, chain.chainId, toAccount(actor));

  async function confirmed(hash: Hash): Promise<TransactionReceipt> {
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  }

  async function latestTimestamp(): Promise<bigint> {
    return (await publicClient.getBlock({ blockTag: "latest" })).timestamp;
  }

  async function attest<K extends AttestationKind>(
    kind: K,
    body: AttestationBody<K>,
    options: AttestOptions = {},
  ): Promise<SignedAttestation<K>> {
    const epoch = options.epoch ?? (await publicClient.readContract({ address: contracts.quorum, abi: quorumAbi, functionName: "epoch" }));
    const deadline = options.deadline ?? (await latestTimestamp()) + ONE_HOUR;
    const message = { ...body, epoch, deadline } as AttestationMessages[K];
    const typedData = {
      domain: quorumDomain(chain.chainId, contracts.quorum),
      types: ATTESTATION_TYPES[kind],
      primaryType: kind,
      message,
    } as unknown as TypedDataDefinition;
    const signers = (options.signers ?? chain.oracleKeys.slice(0, chain.threshold))
      .map((key) => privateKeyToAccount(key))
      .sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
    const signatures = concat(await Promise.all(signers.map((signer) => signer.signTypedData(typedData))));
    return { message, signatures, digest: hashTypedData(typedData) };
  }

  return {
    attest,
    latestTimestamp,

    /** Writes an identity record for `wallet` (default: verified company in the US, KYC valid one year). */
    async kyc(wallet: Address, options: KycOptions = {}): Promise<TransactionReceipt> {
      const hash = await walletOf(chain.compliance).writeContract({
        address: contracts.identity,
        abi: identityAbi,
        functionName: "setIdentity",
        args: [
          wallet,
          {
            status: enumValue(IDENTITY_STATUSES, options.status ?? "Verified"),
            entityType: enumValue(ENTITY_TYPES, options.entityType ?? "Company"),
            country: countryToBytes2(options.country ?? "US"),
            kycExpiry: options.kycExpiry ?? (await latestTimestamp()) + ONE_YEAR,
            sanctionsCleared: options.sanctionsCleared ?? true,
            registryAccountsHash: options.registryAccountsHash ?? testRef(`accounts-${wallet.toLowerCase()}`),
          },
        ],
      });
      return confirmed(hash);
    },

    async freeze(wallet: Address, reason = "compliance review"): Promise<TransactionReceipt> {
      const hash = await walletOf(chain.compliance).writeContract({
        address: contracts.identity,
        abi: identityAbi,
        functionName: "freeze",
        args: [wallet, reason],
      });
      return confirmed(hash);
    },

    async unfreeze(wallet: Address, reason = "review closed"): Promise<TransactionReceipt> {
      const hash = await walletOf(chain.compliance).writeContract({
        address: contracts.identity,
        abi: identityAbi,
        functionName: "unfreeze",
        args: [wallet, reason],
      });
      return confirmed(hash);
    },

    /**
     * Mints `batch` to `owner` on a quorum attestation of a registry lock (`owner` needs KYC first).
     * @returns the batch id and the consumed attestation digest.
     */
    async tokenize(
      batch: BatchInfo,
      owner: Address,
      options: { lockRef?: Hex; relayer?: Actor; attest?: AttestOptions } = {},
    ): Promise<{ batchId: bigint; attestation: Hash; lockRef: Hex; receipt: TransactionReceipt }> {
      const lockRef = options.lockRef ?? testRef(`lock-${batch.registry}-${batch.serialScope}-${batch.serialStart}-${batch.serialEnd}`);
      const signed = await attest("TokenizeAttestation", { batch, owner, lockRef }, options.attest);
      const namespace = await publicClient.readContract({
        address: contracts.credit,
        abi: creditAbi,
        functionName: "serialNamespace",
        args: [batch.registry, batch.serialScope],
      });
      const hint = await publicClient.readContract({
        address: contracts.credit,
        abi: creditAbi,
        functionName: "serialPredecessor",
        args: [namespace, batch.serialStart],
      });
      const hash = await walletOf(options.relayer ?? chain.admin).writeContract({
        address: contracts.bridge,
        abi: bridgeAbi,
        functionName: "tokenize",
        args: [batch, owner, lockRef, hint, signed.message.epoch, signed.message.deadline, signed.signatures],
      });
      const receipt = await confirmed(hash);
      const [tokenized] = parseEventLogs({ abi: bridgeAbi, logs: receipt.logs, eventName: "Tokenized" });
      return { batchId: tokenized.args.batchId, attestation: tokenized.args.attestation, lockRef, receipt };
    },

    /** ERC-1155 `safeTransferFrom` of `amount` units of `batchId` from `from` to `to`. */
    async transfer(from: Actor, to: Address, batchId: bigint, amount: bigint): Promise<TransactionReceipt> {
      const sender = toAccount(from);
      const hash = await walletOf(sender).writeContract({
        address: contracts.credit,
        abi: creditAbi,
        functionName: "safeTransferFrom",
        args: [sender.address, to, batchId, amount, "0x"],
      });
      return confirmed(hash);
    },

    /** Compliance moves credits without the holder's consent. */
    async forcedTransfer(from: Address, to: Address, batchId: bigint, amount: bigint, reason = "court order"): Promise<TransactionReceipt> {
      const hash = await walletOf(chain.compliance).writeContract({
        address: contracts.credit,
        abi: creditAbi,
        functionName: "forcedTransfer",
        args: [from, to, batchId, amount, reason],
      });
      return confirmed(hash);
    },

    /** Retires `amount` of `holder`'s credits (FIFO serials) with `claim` (default {@link testClaim}). */
    async retire(
      holder: Actor,
      batchId: bigint,
      amount: bigint,
      claim: RetirementClaimTuple = testClaim(),
    ): Promise<{ certificateId: bigint; firstSerial: bigint; lastSerial: bigint; receipt: TransactionReceipt }> {
      const hash = await walletOf(holder).writeContract({
        address: contracts.credit,
        abi: creditAbi,
        functionName: "retire",
        args: [batchId, amount, claim],
      });
      const receipt = await confirmed(hash);
      const [retired] = parseEventLogs({ abi: creditAbi, logs: receipt.logs, eventName: "Retired" });
      return { certificateId: retired.args.certificateId, firstSerial: retired.args.firstSerial, lastSerial: retired.args.lastSerial, receipt };
    },

    /** Records the registry's verdict on a retirement (quorum-signed `RetirementConfirmation`). */
    async confirmRetirement(
      certificateId: bigint,
      verdict: RegistryVerdict = {},
    ): Promise<{ attestation: Hash; registryRef: Hex; receipt: TransactionReceipt }> {
      const certificate = await publicClient.readContract({
        address: contracts.certificate,
        abi: certificateAbi,
        functionName: "certificate",
        args: [certificateId],
      });
      const accepted = verdict.accepted ?? true;
      const registryRef = verdict.registryRef ?? testRef(`registry-ref-certificate-${certificateId}`);
      const signed = await attest(
        "RetirementConfirmation",
        { certificateId, lastSerial: certificate.lastSerial, accepted, registryRef },
        verdict.attest,
      );
      const hash = await walletOf(verdict.relayer ?? chain.admin).writeContract({
        address: contracts.certificate,
        abi: certificateAbi,
        functionName: "confirmRetirement",
        args: [certificateId, accepted, registryRef, signed.message.epoch, signed.message.deadline, signed.signatures],
      });
      return { attestation: signed.digest, registryRef, receipt: await confirmed(hash) };
    },

    /** Burns `amount` of `holder`'s credits to take them back to `registryAccount`. */
    async redeem(
      holder: Actor,
      batchId: bigint,
      amount: bigint,
      registryAccount = "VCS-HOLDER-ACCOUNT-1",
    ): Promise<{ redemptionId: bigint; firstSerial: bigint; lastSerial: bigint; receipt: TransactionReceipt }> {
      const hash = await walletOf(holder).writeContract({
        address: contracts.bridge,
        abi: bridgeAbi,
        functionName: "redeem",
        args: [batchId, amount, registryAccount],
      });
      const receipt = await confirmed(hash);
      const [requested] = parseEventLogs({ abi: bridgeAbi, logs: receipt.logs, eventName: "RedemptionRequested" });
      return {
        redemptionId: requested.args.redemptionId,
        firstSerial: requested.args.firstSerial,
        lastSerial: requested.args.lastSerial,
        receipt,
      };
    },

    /** Records the registry's verdict on a redemption; a rejection restores the credits to the holder. */
    async finalizeRedemption(
      redemptionId: bigint,
      verdict: RegistryVerdict = {},
    ): Promise<{ attestation: Hash; registryRef: Hex; receipt: TransactionReceipt }> {
      const redemption = await publicClient.readContract({
        address: contracts.bridge,
        abi: bridgeAbi,
        functionName: "redemption",
        args: [redemptionId],
      });
      const accepted = verdict.accepted ?? true;
      const registryRef = verdict.registryRef ?? testRef(`registry-ref-redemption-${redemptionId}`);
      const signed = await attest(
        "RedemptionResult",
        {
          redemptionId,
          batchId: redemption.batchId,
          firstSerial: redemption.firstSerial,
          lastSerial: redemption.lastSerial,
          accepted,
          registryRef,
        },
        verdict.attest,
      );
      const hash = await walletOf(verdict.relayer ?? chain.admin).writeContract({
        address: contracts.bridge,
        abi: bridgeAbi,
        functionName: "finalizeRedemption",
        args: [redemptionId, accepted, registryRef, signed.message.epoch, signed.message.deadline, signed.signatures],
      });
      return { attestation: signed.digest, registryRef, receipt: await confirmed(hash) };
    },

    /** Replaces the oracle signer set (admin); starts a new epoch. */
    async setSignerSet(signers: readonly Address[], threshold: number): Promise<TransactionReceipt> {
      const sorted = [...signers].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      const hash = await walletOf(chain.admin).writeContract({
        address: contracts.quorum,
        abi: quorumAbi,
        functionName: "setSignerSet",
        args: [sorted, threshold],
      });
      return confirmed(hash);
    },

    async pause(): Promise<TransactionReceipt> {
      const hash = await walletOf(chain.pauser).writeContract({ address: contracts.credit, abi: creditAbi, functionName: "pause" });
      return confirmed(hash);
    },

    async unpause(): Promise<TransactionReceipt> {
      const hash = await walletOf(chain.pauser).writeContract({ address: contracts.credit, abi: creditAbi, functionName: "unpause" });
      return confirmed(hash);
    },

    /** ERC-1155 balance of `wallet` in `batchId`. */
    async balanceOf(wallet: Address, batchId: bigint): Promise<bigint> {
      return publicClient.readContract({ address: contracts.credit, abi: creditAbi, functionName: "balanceOf", args: [wallet, batchId] });
    },
  };
}

export type LedgerActions = ReturnType<typeof ledgerActions>;
