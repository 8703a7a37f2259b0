/**
 * An oracle node's signer (fetch-after-notify): given only the id of a registry operation, it reads
 * the registry itself — and, for verdicts on on-chain requests, the chain — and signs the EIP-712
 * attestation (quorum domain) the operation warrants:
 *
 * | registry operation                                  | attestation            | consumer                                |
 * |-----------------------------------------------------|------------------------|-----------------------------------------|
 * | LOCK completed into the platform custody account    | TokenizeAttestation    | RegistryBridge.tokenize                 |
 * | RETIREMENT completed / rejected (`certificate <id>`) | RetirementConfirmation | RetirementCertificate.confirmRetirement |
 * | REDEMPTION completed / rejected (`redemption <id>`)  | RedemptionResult       | RegistryBridge.finalizeRedemption       |
 * | TRANSFER completed with memo `trade 0x<tradeId>`    | TradeConfirmation      | SettlementEscrow.release                |
 *
 * Nothing the caller says is trusted but the operation id and the deadline. A trade delivery must
 * move the credits from one of the seller's registry accounts to one of the buyer's: the node asks
 * its wallet directory for both lists and uses each only if it hashes to the wallet's on-chain
 * `IdentityRegistry.registryAccountsHashOf`.
 */
import { getAddress, isAddress, zeroHash, keccak256, parseEventLogs, stringToHex, size, type Address, type Hash, type Hex, type LocalAccount, type PublicClient } from "viem";
import { carbonCreditAbi, identityRegistryAbi, registryBridgeAbi, retirementCertificateAbi, settlementEscrowAbi } from "../chain/abis";
import { compileTypedDataHasher } from "../chain/typedDataHasher";
import type { Deployment } from "../chain/deployment";
import {
  ATTESTATION_TYPES,
  quorumDomain,
  type AttestationMessages,
  type RedemptionResultMessage,
  type RetirementConfirmationMessage,
  type TokenizeMessage,
  type TradeConfirmationMessage,
} from "../chain/eip712";
import { DomainValidationError, toBatchInfo, type RegistryId } from "../domain";
import { registryAccountsHash } from "../onboarding/workflow/identity-writer";
import { RegistryApiError, SerialFormatError, type RegistryAdapter, type RegistryOperation, type SerialBlockStatus } from "../registry";
import { AttestationRefusedError, RegistryUnavailableError, type RefusalCode } from "./errors";
import { ATTEST_BATCH_LIMIT } from "./wire";

export type AttestationKind = keyof AttestationMessages;

/** A signed attestation of any kind. */
export type SignedAttestation = {
  [K in AttestationKind]: { readonly kind: K; readonly signer: Address; readonly signature: Hex; readonly message: AttestationMessages[K] };
}[AttestationKind];

export type SignedTokenizeAttestation = Extract<SignedAttestation, { kind: "TokenizeAttestation" }>;

/**
 * A wallet's registry accounts as `REGISTRY:accountId` strings (the preimage of its on-chain
 * `registryAccountsHashOf`), or null when the directory knows none. An AttestationRefusedError it
 * throws is the node's refusal; any other throw means it cannot answer now (retryable).
 */
export type WalletRegistryAccounts = (wallet: Address) => Promise<readonly string[] | null>;

export interface OracleNodeOptions {
  /** The node's own signing key. */
  readonly account: LocalAccount;
  /** The registries this node can read, by id. */
  readonly registries: Partial<Record<RegistryId, RegistryAdapter>>;
  /** The platform custody account in each registry. */
  readonly custodyAccounts: Partial<Record<RegistryId, string>>;
  /**
   * Where the node learns the registry accounts of a trade's seller and buyer. Not trusted: an
   * answer is used only when its `registryAccountsHash` equals the wallet's on-chain hash.
   */
  readonly walletRegistryAccounts: WalletRegistryAccounts;
  /** The chain the node reads retirements, redemptions and trades from. */
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
  /** Current unix time in seconds. */
  readonly now: () => bigint;
  /** Longest validity the node grants a signature (deadline - now); 1 hour by default. */
  readonly maxTtlSeconds?: bigint;
  /** Called after each signature (metrics). */
  readonly onSigned?: (kind: AttestationKind) => void;
}

export interface AttestRequest {
  readonly registry: RegistryId;
  /** The registry's id of the operation. */
  readonly operationId: string;
  /**
   * Last unix second the signature is valid. The aggregator picks it so that every node signs the
   * same message; the node signs only if it lies within `maxTtlSeconds` from now.
   */
  readonly deadline: bigint;
}

/** What a node answers for one request of a batch. */
export type AttestOutcome =
  | { readonly ok: true; readonly attestation: SignedAttestation }
  | { readonly ok: false; readonly code: RefusalCode | "REGISTRY_UNAVAILABLE"; readonly message: string };

/** Most requests one `attestMany` call takes. */
export const MAX_ATTEST_BATCH = ATTEST_BATCH_LIMIT;

export interface OracleNode {
  readonly signer: Address;
  /**
   * @throws AttestationRefusedError naming why the operation warrants no attestation.
   * @throws RegistryUnavailableError when the registry or chain could not be read (retryable).
   */
  attest(request: AttestRequest): Promise<SignedAttestation>;
  /**
   * Attests many operations with batched reads: the registry's operations and serial blocks are
   * read with search requests (REGISTRY_SEARCH_LIMIT records each), the chain's epoch once. Each
   * operation is still judged on what this node read itself. One outcome per request, in order.
   */
  attestMany(requests: readonly AttestRequest[]): Promise<AttestOutcome[]>;
}

/** Where the node's registry reads come from: one request each, or a batch's prefetched searches. */
interface RegistryReads {
  operation(adapter: RegistryAdapter, operationId: string): Promise<RegistryOperation | null>;
  serialBlock(adapter: RegistryAdapter, serial: string): Promise<SerialBlockStatus | null>;
}

const DIRECT_READS: RegistryReads = {
  operation: (adapter, operationId) => adapter.getOperation(operationId),
  serialBlock: (adapter, serial) => adapter.getSerialBlockStatus(serial),
};

const DEFAULT_MAX_TTL_SECONDS = 3600n;
const RETIREMENT_REFERENCE = /^certificate (\d{1,78}) on chain (\d{1,20})$/;
const REDEMPTION_REFERENCE = /^redemption (\d{1,78}) on chain (\d{1,20})$/;
/** The memo of a registry transfer that delivers an escrow trade. */
export const TRADE_MEMO = /^trade (0x[0-9a-fA-F]{64})$/;
const PENDING = 1;

/** The typed data of an attestation of `kind` in the quorum domain on `chainId` at `quorum`. */
export function attestationTypedData<K extends AttestationKind>(kind: K, chainId: number, quorum: Address, message: AttestationMessages[K]) {
  return {
    domain: quorumDomain(chainId, quorum),
    types: ATTESTATION_TYPES[kind],
    primaryType: kind,
    message,
  } as const;
}

const attestationHashers = new Map<string, (message: unknown) => Hash>();

/**
 * The EIP-712 digest of an attestation, as `hashTypedData(attestationTypedData(...))` computes it
 * but with the types compiled once per (chain, quorum, kind) (see `chain/typedDataHasher.ts`).
 */
export function attestationDigest<K extends AttestationKind>(kind: K, chainId: number, quorum: Address, message: AttestationMessages[K]): Hash {
  const key = `${chainId}:${quorum.toLowerCase()}:${kind}`;
  let hasher = attestationHashers.get(key);
  if (hasher === undefined) {
    hasher = compileTypedDataHasher(quorumDomain(chainId, quorum), ATTESTATION_TYPES[kind], kind);
    attestationHashers.set(key, hasher);
  }
  return hasher(message);
}

/** The typed data of a tokenize attestation (kept for callers that only tokenize). */
export function tokenizeTypedData(chainId: number, quorum: Address, message: TokenizeMessage) {
  return attestationTypedData("TokenizeAttestation", chainId, quorum, message);
}

/** A registry's reference as the bytes32 the chain keeps: the text itself when it fits, else its keccak256. */
export function registryRefOf(reference: string): Hex {
  const hex = stringToHex(reference);
  return size(hex) <= 32 ? stringToHex(reference, { size: 32 }) : keccak256(hex);
}

export function createOracleNode(options: OracleNodeOptions): OracleNode {
  const maxTtl = options.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;
  const { publicClient, deployment } = options;
  const chainId = deployment.chainId;

  async function attest(request: AttestRequest, reads: RegistryReads = DIRECT_READS): Promise<SignedAttestation> {
    const adapter = options.registries[request.registry];
    const custodyAccount = options.custodyAccounts[request.registry];
    if (adapter === undefined || custodyAccount === undefined) {
      throw new AttestationRefusedError("UNKNOWN_REGISTRY", `this node does not serve registry ${request.registry}`);
    }
    const now = options.now();
    if (request.deadline <= now || request.deadline > now + maxTtl) {
      throw new AttestationRefusedError("DEADLINE_OUT_OF_RANGE", `deadline ${request.deadline} is not within (${now}, ${now + maxTtl}]`);
    }
    const operation = await readRegistry(() => reads.operation(adapter, request.operationId));
    if (operation === null) throw new AttestationRefusedError("OPERATION_NOT_FOUND", `the registry has no operation ${request.operationId}`);
    if (operation.registry !== request.registry) {
      throw new AttestationRefusedError("OPERATION_NOT_FOUND", `operation ${request.operationId} belongs to ${operation.registry}`);
    }
    if (operation.status === "PENDING") throw new AttestationRefusedError("NOT_COMPLETED", `operation ${request.operationId} is PENDING`);
    const context = { adapter, custodyAccount, deadline: request.deadline, reads };
    switch (operation.kind) {
      case "LOCK":
        return sign("TokenizeAttestation", await tokenizeMessage(operation, context));
      case "RETIREMENT":
        return sign("RetirementConfirmation", await retirementMessage(operation, context));
      case "REDEMPTION":
        return sign("RedemptionResult", await redemptionMessage(operation, context));
      case "TRANSFER":
        return sign("TradeConfirmation", await tradeMessage(operation, context));
    }
  }

  async function sign<K extends AttestationKind>(kind: K, message: AttestationMessages[K]): Promise<SignedAttestation> {
    const { account } = options;
    const signature =
      account.sign === undefined
        ? await account.signTypedData(attestationTypedData(kind, chainId, deployment.contracts.quorum, message) as never)
        : await account.sign({ hash: attestationDigest(kind, chainId, deployment.contracts.quorum, message) });
    options.onSigned?.(kind);
    return { kind, signer: options.account.address, signature, message } as SignedAttestation;
  }

  interface Context {
    readonly adapter: RegistryAdapter;
    readonly custodyAccount: string;
    readonly deadline: bigint;
    readonly reads: RegistryReads;
  }

  async function attestMany(requests: readonly AttestRequest[]): Promise<AttestOutcome[]> {
    if (requests.length > MAX_ATTEST_BATCH) throw new RangeError(`at most ${MAX_ATTEST_BATCH} requests per batch, got ${requests.length}`);
    // One search per registry for the operations; then one for the serial blocks completed locks produced.
    const operations = new Map<RegistryId, Promise<Map<string, RegistryOperation>>>();
    const blocks = new Map<RegistryId, Promise<Map<string, SerialBlockStatus>>>();
    for (const registry of new Set(requests.map((r) => r.registry))) {
      const adapter = options.registries[registry];
      if (adapter === undefined) continue;
      const found = adapter.getOperations(requests.filter((r) => r.registry === registry).map((r) => r.operationId));
      found.catch(() => undefined);
      operations.set(registry, found);
      const locked = found.then((ops) => {
        const serials = [...ops.values()].flatMap((op) => (op.kind === "LOCK" && op.status === "COMPLETED" && op.resultSerial !== null ? [op.resultSerial] : []));
        return serials.length === 0 ? new Map<string, SerialBlockStatus>() : adapter.getSerialBlockStatuses(serials);
      });
      locked.catch(() => undefined);
      blocks.set(registry, locked);
    }
    const reads: RegistryReads = {
      async operation(adapter, operationId) {
        const found = operations.get(adapter.id);
        return found === undefined ? adapter.getOperation(operationId) : ((await found).get(operationId) ?? null);
      },
      async serialBlock(adapter, serial) {
        const found = await blocks.get(adapter.id);
        return found?.get(serial) ?? adapter.getSerialBlockStatus(serial);
      },
    };
    const outcomes: AttestOutcome[] = new Array(requests.length);
    let next = 0;
    const lanes = Array.from({ length: Math.min(16, requests.length) }, async () => {
      while (next < requests.length) {
        const index = next++;
        outcomes[index] = await attest(requests[index], reads).then(
          (attestation): AttestOutcome => ({ ok: true, attestation }),
          (error: unknown): AttestOutcome => {
            if (error instanceof AttestationRefusedError) return { ok: false, code: error.code, message: error.message };
            if (error instanceof RegistryUnavailableError) return { ok: false, code: "REGISTRY_UNAVAILABLE", message: error.message };
            throw error;
          },
        );
      }
    });
    await Promise.all(lanes);
    return outcomes;
  }

  async function tokenizeMessage(operation: RegistryOperation, { adapter, custodyAccount, deadline, reads }: Context): Promise<TokenizeMessage> {
    const id = operation.operationId;
    if (operation.status === "REJECTED") throw new AttestationRefusedError("LOCK_REJECTED", `the registry rejected lock ${id}: ${operation.rejectionReason}`);
    if (operation.resultSerial === null) throw new AttestationRefusedError("MALFORMED_SERIAL", `completed lock ${id} names no single locked block`);
    if (operation.toAccount !== custodyAccount) {
      throw new AttestationRefusedError("WRONG_CUSTODY_ACCOUNT", `lock ${id} moved the credits to ${operation.toAccount}, not to the platform custody account ${custodyAccount}`);
    }
    const memo = operation.memo?.trim() ?? "";
    if (!isAddress(memo, { strict: false })) {
      throw new AttestationRefusedError("MISSING_OWNER", `lock ${id} carries no destination wallet (memo ${JSON.stringify(operation.memo)})`);
    }
    const block = await readRegistry(() => reads.serialBlock(adapter, operation.resultSerial as string));
    const { lockRef, quantity } = requireLockedInCustody(block, operation.resultSerial, custodyAccount);
    const batch = batchInfoOf(adapter, operation.resultSerial);
    if (quantity !== batch.serialEnd - batch.serialStart + 1n) {
      throw new AttestationRefusedError("QUANTITY_MISMATCH", `block ${operation.resultSerial} holds ${quantity}, its serial range says ${batch.serialEnd - batch.serialStart + 1n}`);
    }
    return { batch, owner: getAddress(memo), lockRef, epoch: await readEpoch(), deadline };
  }

  async function retirementMessage(operation: RegistryOperation, { adapter, custodyAccount, deadline }: Context): Promise<RetirementConfirmationMessage> {
    const certificateId = platformId(operation, RETIREMENT_REFERENCE, "certificate");
    if (operation.fromAccount !== custodyAccount) {
      throw new AttestationRefusedError("WRONG_CUSTODY_ACCOUNT", `retirement ${operation.operationId} retired credits of ${operation.fromAccount}, not of the platform custody account`);
    }
    const certificate = await readChain(() =>
      publicClient.readContract({ address: deployment.contracts.certificate, abi: retirementCertificateAbi, functionName: "certificate", args: [certificateId] }),
    ).catch((error: unknown) => {
      if (error instanceof RegistryUnavailableError) throw error;
      throw new AttestationRefusedError("UNKNOWN_ON_CHAIN", `there is no certificate ${certificateId} on chain ${chainId}`, { cause: error });
    });
    if (certificate.status !== PENDING) throw new AttestationRefusedError("ALREADY_SETTLED", `certificate ${certificateId} is no longer pending`);
    const accepted = operation.status === "COMPLETED";
    if (accepted) await requireRange(adapter, operation, certificate.batchId, certificate.firstSerial, certificate.lastSerial);
    else await requireNamespace(adapter, operation.serial, certificate.batchId);
    return { certificateId, lastSerial: certificate.lastSerial, accepted, registryRef: referenceOf(operation), epoch: await readEpoch(), deadline };
  }

  async function redemptionMessage(operation: RegistryOperation, { adapter, custodyAccount, deadline }: Context): Promise<RedemptionResultMessage> {
    const redemptionId = platformId(operation, REDEMPTION_REFERENCE, "redemption");
    if (operation.fromAccount !== custodyAccount) {
      throw new AttestationRefusedError("WRONG_CUSTODY_ACCOUNT", `redemption ${operation.operationId} moves credits of ${operation.fromAccount}, not of the platform custody account`);
    }
    const redemption = await readChain(() =>
      publicClient.readContract({ address: deployment.contracts.bridge, abi: registryBridgeAbi, functionName: "redemption", args: [redemptionId] }),
    );
    if (redemption.status === 0) throw new AttestationRefusedError("UNKNOWN_ON_CHAIN", `there is no redemption ${redemptionId} on chain ${chainId}`);
    if (redemption.status !== PENDING) throw new AttestationRefusedError("ALREADY_SETTLED", `redemption ${redemptionId} is no longer pending`);
    const accepted = operation.status === "COMPLETED";
    if (accepted) await requireRange(adapter, operation, redemption.batchId, redemption.firstSerial, redemption.lastSerial);
    else await requireNamespace(adapter, operation.serial, redemption.batchId);
    return {
      redemptionId,
      batchId: redemption.batchId,
      firstSerial: redemption.firstSerial,
      lastSerial: redemption.lastSerial,
      accepted,
      registryRef: referenceOf(operation),
      epoch: await readEpoch(),
      deadline,
    };
  }

  async function tradeMessage(operation: RegistryOperation, { adapter, deadline }: Context): Promise<TradeConfirmationMessage> {
    const id = operation.operationId;
    const match = TRADE_MEMO.exec(operation.memo ?? "");
    if (match === null) throw new AttestationRefusedError("NOT_ATTESTABLE", `transfer ${id} references no escrow trade (memo ${JSON.stringify(operation.memo)})`);
    if (operation.status !== "COMPLETED") throw new AttestationRefusedError("TRANSFER_REJECTED", `the registry rejected transfer ${id}: ${operation.rejectionReason}`);
    const tradeId = match[1].toLowerCase() as Hex;
    const trade = await lockedTrade(publicClient, deployment, tradeId);
    if (trade === null) throw new AttestationRefusedError("UNKNOWN_ON_CHAIN", `no trade ${tradeId} is locked in the escrow on chain ${chainId}`);
    const [sellerAccounts, buyerAccounts] = await Promise.all([verifiedRegistryAccounts(trade.seller, "seller"), verifiedRegistryAccounts(trade.buyer, "buyer")]);
    if (operation.fromAccount === null || operation.toAccount === null) {
      throw new AttestationRefusedError("WRONG_ACCOUNT", `transfer ${id} names no ${operation.fromAccount === null ? "source" : "destination"} account`);
    }
    const from = `${operation.registry}:${operation.fromAccount}`;
    if (!sellerAccounts.includes(from)) {
      throw new AttestationRefusedError("WRONG_ACCOUNT", `transfer ${id} moved the credits from ${from}, which is not a registry account of the seller ${trade.seller} of trade ${tradeId}`);
    }
    const to = `${operation.registry}:${operation.toAccount}`;
    if (!buyerAccounts.includes(to)) {
      throw new AttestationRefusedError("WRONG_ACCOUNT", `transfer ${id} moved the credits to ${to}, which is not a registry account of the buyer ${trade.buyer} of trade ${tradeId}`);
    }
    if (operation.quantity === null || BigInt(operation.quantity) !== trade.quantity) {
      throw new AttestationRefusedError("QUANTITY_MISMATCH", `transfer ${id} moved ${operation.quantity} units, trade ${tradeId} is for ${trade.quantity}`);
    }
    await requireNamespace(adapter, operation.resultSerial ?? operation.serial, trade.batchId);
    return { tradeId, registryRef: referenceOf(operation), epoch: await readEpoch(), deadline };
  }

  /**
   * `wallet`'s registry accounts as the directory lists them, once their hash matches the one the
   * IdentityRegistry holds for the wallet.
   */
  async function verifiedRegistryAccounts(wallet: Address, role: "seller" | "buyer"): Promise<readonly string[]> {
    const [listed, onChain] = await Promise.all([
      options.walletRegistryAccounts(wallet).catch((error: unknown) => {
        if (error instanceof AttestationRefusedError) throw error;
        throw new RegistryUnavailableError(`the wallet directory could not list the registry accounts of ${wallet}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }),
      readChain(() =>
        publicClient.readContract({ address: deployment.contracts.identity, abi: identityRegistryAbi, functionName: "registryAccountsHashOf", args: [wallet] }),
      ),
    ]);
    if (onChain === zeroHash) {
      throw new AttestationRefusedError("ACCOUNTS_UNVERIFIED", `the ${role} ${wallet} has no registry accounts on chain ${chainId} (registryAccountsHashOf is zero)`);
    }
    if (listed === null) throw new AttestationRefusedError("ACCOUNTS_UNVERIFIED", `the wallet directory knows no registry accounts of the ${role} ${wallet}`);
    const hash = registryAccountsHash(listed);
    if (hash !== onChain) {
      throw new AttestationRefusedError(
        "ACCOUNTS_UNVERIFIED",
        `the registry accounts the wallet directory lists for the ${role} ${wallet} (${listed.join(", ")}) hash to ${hash}, the chain holds ${onChain}`,
      );
    }
    return listed;
  }

  function platformId(operation: RegistryOperation, pattern: RegExp, what: string): bigint {
    const match = pattern.exec(operation.platformReference ?? "");
    if (match === null) {
      throw new AttestationRefusedError("NOT_ATTESTABLE", `${operation.kind.toLowerCase()} ${operation.operationId} names no platform ${what} (reference ${JSON.stringify(operation.platformReference)})`);
    }
    if (Number(match[2]) !== chainId) {
      throw new AttestationRefusedError("WRONG_CHAIN", `${operation.kind.toLowerCase()} ${operation.operationId} is for chain ${match[2]}, this node attests chain ${chainId}`);
    }
    return BigInt(match[1]);
  }

  /** The completed operation produced exactly serials first..last of on-chain batch `batchId`. */
  async function requireRange(adapter: RegistryAdapter, operation: RegistryOperation, batchId: bigint, first: bigint, last: bigint): Promise<void> {
    if (operation.resultSerial === null) throw new AttestationRefusedError("MALFORMED_SERIAL", `operation ${operation.operationId} names no single serial range`);
    const produced = await requireNamespace(adapter, operation.resultSerial, batchId);
    if (produced.serialStart !== first || produced.serialEnd !== last) {
      throw new AttestationRefusedError(
        "RANGE_MISMATCH",
        `the registry processed serials ${produced.serialStart}-${produced.serialEnd}, the chain expects ${first}-${last}`,
      );
    }
  }

  /** The serial lies in on-chain batch `batchId`'s registry namespace and range. */
  async function requireNamespace(adapter: RegistryAdapter, serial: string, batchId: bigint): Promise<TokenizeMessage["batch"]> {
    const info = batchInfoOf(adapter, serial);
    const [meta, state] = await readChain(() =>
      Promise.all([
        publicClient.readContract({ address: deployment.contracts.credit, abi: carbonCreditAbi, functionName: "batchMeta", args: [batchId] }),
        publicClient.readContract({ address: deployment.contracts.credit, abi: carbonCreditAbi, functionName: "serialState", args: [batchId] }),
      ]),
    );
    if (meta.registry !== info.registry || meta.serialScope !== info.serialScope || info.serialStart < state.serialStart || info.serialEnd > state.serialEnd) {
      throw new AttestationRefusedError("RANGE_MISMATCH", `serial ${serial} is not part of on-chain batch ${batchId}`);
    }
    return info;
  }

  // The signer-set epoch changes only on rotation; a signature for a just-rotated epoch is refused
  // on-chain and asked for again, so a one-second cache costs nothing in safety.
  let epochCache: { value: Promise<bigint>; at: number } | undefined;
  function readEpoch(): Promise<bigint> {
    if (epochCache === undefined || Date.now() - epochCache.at > 1_000) {
      const value = readChain(() => publicClient.readContract({ address: deployment.contracts.quorum, abi: quorumEpochAbi, functionName: "epoch" }));
      epochCache = { value, at: Date.now() };
      value.catch(() => {
        epochCache = undefined;
      });
    }
    return epochCache.value;
  }

  return { signer: options.account.address, attest: (request) => attest(request), attestMany };
}

const quorumEpochAbi = [{ type: "function", name: "epoch", stateMutability: "view", inputs: [], outputs: [{ type: "uint64" }] }] as const;

/** The registry reference the chain records: the registry's own reference, or the operation id for a refusal. */
function referenceOf(operation: RegistryOperation): Hex {
  return registryRefOf(operation.registryRef ?? `${operation.registry}:${operation.operationId}`);
}

export interface LockedTrade {
  readonly orderHash: Hex;
  readonly seller: Address;
  readonly buyer: Address;
  readonly batchId: bigint;
  readonly quantity: bigint;
  readonly orderOffset: bigint;
  readonly releaseDeadline: bigint;
  readonly amount: bigint;
  readonly fee: bigint;
  /** The buyer's escrow lock slot holding the trade id. */
  readonly lockSlot: number;
}

/** The trade `tradeId` as the escrow's TradeLocked event recorded it, or null when it never was locked. */
export async function lockedTrade(publicClient: PublicClient, deployment: Deployment, tradeId: Hex): Promise<LockedTrade | null> {
  const escrow = deployment.contracts.escrow;
  if (escrow === undefined) return null;
  const logs = await readChain(() =>
    publicClient.getContractEvents({ address: escrow, abi: settlementEscrowAbi, eventName: "TradeLocked", args: { tradeId }, fromBlock: BigInt(deployment.blockNumber) }),
  );
  const [log] = parseEventLogs({ abi: settlementEscrowAbi, logs, eventName: "TradeLocked" });
  return log === undefined ? null : log.args.trade;
}

/** Runs a registry read, turning API failures into a refusal (not retryable) or unavailability. */
async function readRegistry<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof RegistryApiError) {
      if (error.retryable) throw new RegistryUnavailableError(error.message, { cause: error });
      throw new AttestationRefusedError("REGISTRY_ERROR", error.message, { cause: error });
    }
    throw error;
  }
}

/** Runs a chain read; a failure to reach the node is unavailability (retryable). */
async function readChain<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const name = (error as Error).name;
    if (name === "HttpRequestError" || name === "TimeoutError" || name === "SocketClosedError") {
      throw new RegistryUnavailableError(`chain unavailable: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
}

/** @returns the lock reference the registry holds the block under, and the block's quantity. */
function requireLockedInCustody(block: SerialBlockStatus | null, serial: string, custodyAccount: string): { lockRef: Hex; quantity: bigint } {
  if (block === null) throw new AttestationRefusedError("SERIAL_BLOCK_NOT_LOCKED", `the registry does not know block ${serial}`);
  if (block.holderAccount !== custodyAccount) {
    throw new AttestationRefusedError("WRONG_CUSTODY_ACCOUNT", `block ${serial} is held by ${block.holderAccount}, not by ${custodyAccount}`);
  }
  if (block.status !== "LOCKED" || block.lockRef === null) {
    throw new AttestationRefusedError("SERIAL_BLOCK_NOT_LOCKED", `block ${serial} is ${block.status}, not LOCKED`);
  }
  return { lockRef: block.lockRef, quantity: BigInt(block.quantity) };
}

function batchInfoOf(adapter: RegistryAdapter, serial: string): TokenizeMessage["batch"] {
  try {
    return toBatchInfo(adapter.toBatch(adapter.parseSerial(serial)));
  } catch (error) {
    if (error instanceof SerialFormatError || error instanceof DomainValidationError) {
      throw new AttestationRefusedError("MALFORMED_SERIAL", `block ${serial}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
