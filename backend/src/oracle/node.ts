/**
 * An oracle node's tokenization signer (fetch-after-notify): given only the id of a registry lock,
 * it reads the registry itself, checks that the lock completed into the platform custody account
 * and that the serial block is LOCKED there under the lock's reference, derives the on-chain
 * BatchInfo from the registry's serial, and signs a TokenizeAttestation (EIP-712, quorum domain).
 */
import { getAddress, isAddress, type Address, type Hex, type LocalAccount } from "viem";
import { ATTESTATION_TYPES, quorumDomain, type TokenizeMessage } from "../chain/eip712";
import { DomainValidationError, toBatchInfo, type RegistryId } from "../domain";
import { RegistryApiError, SerialFormatError, type RegistryAdapter, type RegistryOperation, type SerialBlockStatus } from "../registry";
import { AttestationRefusedError, RegistryUnavailableError } from "./errors";
import type { LockRecord, LockRecordSource } from "./lockRecords";

export interface OracleNodeOptions {
  /** The node's own signing key. */
  readonly account: LocalAccount;
  /** The registries this node can read, by id. */
  readonly registries: Partial<Record<RegistryId, RegistryAdapter>>;
  /** The platform custody account in each registry. */
  readonly custodyAccounts: Partial<Record<RegistryId, string>>;
  /** Where the node reads a lock's destination account and wallet memo. */
  readonly lockRecords: LockRecordSource;
  readonly chainId: number;
  readonly quorumAddress: Address;
  /** The quorum's current signer-set epoch, read from the chain. */
  readonly readEpoch: () => Promise<bigint>;
  /** Current unix time in seconds. */
  readonly now: () => bigint;
  /** Longest validity the node grants a signature (deadline - now); 1 hour by default. */
  readonly maxTtlSeconds?: bigint;
}

export interface AttestLockRequest {
  readonly registry: RegistryId;
  /** The registry's id of the LOCK operation. */
  readonly operationId: string;
  /**
   * Last unix second the signature is valid. The aggregator picks it so that every node signs the
   * same message; the node signs only if it lies within `maxTtlSeconds` from now.
   */
  readonly deadline: bigint;
}

export interface SignedTokenizeAttestation {
  readonly signer: Address;
  readonly signature: Hex;
  readonly message: TokenizeMessage;
}

export interface OracleNode {
  readonly signer: Address;
  /**
   * @throws AttestationRefusedError naming why the lock does not warrant a mint.
   * @throws RegistryUnavailableError when the registry could not be read (retryable).
   */
  attestLock(request: AttestLockRequest): Promise<SignedTokenizeAttestation>;
}

const DEFAULT_MAX_TTL_SECONDS = 3600n;

/** The typed data of a tokenize attestation in the quorum domain on `chainId` at `quorum`. */
export function tokenizeTypedData(chainId: number, quorum: Address, message: TokenizeMessage) {
  return {
    domain: quorumDomain(chainId, quorum),
    types: ATTESTATION_TYPES.TokenizeAttestation,
    primaryType: "TokenizeAttestation" as const,
    message,
  };
}

export function createOracleNode(options: OracleNodeOptions): OracleNode {
  const maxTtl = options.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;

  async function attestLock(request: AttestLockRequest): Promise<SignedTokenizeAttestation> {
    const adapter = options.registries[request.registry];
    const custodyAccount = options.custodyAccounts[request.registry];
    if (adapter === undefined || custodyAccount === undefined) {
      throw new AttestationRefusedError("UNKNOWN_REGISTRY", `this node does not serve registry ${request.registry}`);
    }
    const now = options.now();
    if (request.deadline <= now || request.deadline > now + maxTtl) {
      throw new AttestationRefusedError("DEADLINE_OUT_OF_RANGE", `deadline ${request.deadline} is not within (${now}, ${now + maxTtl}]`);
    }

    const operation = await readRegistry(() => adapter.getOperation(request.operationId));
    const lockedSerial = requireCompletedLock(operation, request.operationId);
    const record = await readRegistry(() => options.lockRecords(request.registry, request.operationId));
    const owner = requireCustodyLock(record, request.operationId, custodyAccount);
    const block = await readRegistry(() => adapter.getSerialBlockStatus(lockedSerial));
    const { lockRef, quantity } = requireLockedInCustody(block, lockedSerial, custodyAccount);
    const batch = batchInfoOf(adapter, lockedSerial);
    if (quantity !== batch.serialEnd - batch.serialStart + 1n) {
      throw new AttestationRefusedError("QUANTITY_MISMATCH", `block ${lockedSerial} holds ${quantity}, its serial range says ${batch.serialEnd - batch.serialStart + 1n}`);
    }

    const epoch = await options.readEpoch();
    const message: TokenizeMessage = { batch, owner, lockRef, epoch, deadline: request.deadline };
    const signature = await options.account.signTypedData(tokenizeTypedData(options.chainId, options.quorumAddress, message));
    return { signer: options.account.address, signature, message };
  }

  return { signer: options.account.address, attestLock };
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

/** @returns the serial of the block the lock produced. */
function requireCompletedLock(operation: RegistryOperation | null, operationId: string): string {
  if (operation === null) throw new AttestationRefusedError("OPERATION_NOT_FOUND", `the registry has no operation ${operationId}`);
  if (operation.kind !== "LOCK") throw new AttestationRefusedError("NOT_A_LOCK", `operation ${operationId} is a ${operation.kind}`);
  if (operation.status === "REJECTED") {
    throw new AttestationRefusedError("LOCK_REJECTED", `the registry rejected lock ${operationId}: ${operation.rejectionReason}`);
  }
  if (operation.status !== "COMPLETED") throw new AttestationRefusedError("NOT_COMPLETED", `lock ${operationId} is ${operation.status}`);
  if (operation.resultSerial === null) {
    throw new AttestationRefusedError("MALFORMED_SERIAL", `completed lock ${operationId} names no single locked block`);
  }
  return operation.resultSerial;
}

/** @returns the owner wallet from the lock's memo. */
function requireCustodyLock(record: LockRecord | null, operationId: string, custodyAccount: string): Address {
  if (record === null) throw new AttestationRefusedError("OPERATION_NOT_FOUND", `the registry has no lock record ${operationId}`);
  if (record.toAccount !== custodyAccount) {
    throw new AttestationRefusedError("WRONG_CUSTODY_ACCOUNT", `lock ${operationId} moved the credits to ${record.toAccount}, not to the platform custody account ${custodyAccount}`);
  }
  const memo = record.memo?.trim() ?? "";
  if (!isAddress(memo, { strict: false })) {
    throw new AttestationRefusedError("MISSING_OWNER", `lock ${operationId} carries no destination wallet (memo ${JSON.stringify(record.memo)})`);
  }
  return getAddress(memo);
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
