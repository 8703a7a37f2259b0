/**
 * Collects a quorum of tokenize attestations from the oracle nodes and submits them on-chain.
 * The aggregator trusts no node: it recovers every signature locally, counts a signer only if it
 * is in the quorum's signer set and has not been counted, and counts only signatures over one
 * identical EIP-712 digest that matches the request.
 */
import {
  ContractFunctionRevertedError,
  BaseError,
  hashTypedData,
  parseEventLogs,
  publicActions,
  recoverTypedDataAddress,
  type Account,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type Transport,
  type WalletClient,
} from "viem";
import { carbonCreditAbi, oracleQuorumAbi, registryBridgeAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import type { TokenizeMessage } from "../chain/eip712";
import { packSignatures, type RegistryId } from "../domain";
import type { FetchLike } from "../registry";
import { tokenizeTypedData } from "./node";
import { ORACLE_API_PATHS, oracleErrorBodySchema, signedTokenizeAttestationSchema } from "./wire";

export interface TokenizeQuorumRequest {
  readonly registry: RegistryId;
  readonly operationId: string;
  /** Deadline every node is asked to sign (unix seconds). */
  readonly deadline: bigint;
}

export interface CollectQuorumOptions {
  readonly nodeUrls: readonly string[];
  readonly request: TokenizeQuorumRequest;
  /** M: distinct valid signatures needed. */
  readonly threshold: number;
  /** The quorum's current signer set. */
  readonly signers: readonly Address[];
  readonly chainId: number;
  readonly quorumAddress: Address;
  readonly timeoutMs: number;
  readonly fetch?: FetchLike;
}

export interface CollectedQuorum {
  readonly message: TokenizeMessage;
  /** EIP-712 digest of `message` in the quorum domain (what OracleQuorum consumes). */
  readonly digest: Hash;
  /** 65-byte signatures concatenated, signers ascending. */
  readonly signatures: Hex;
  /** The counted signers, ascending. */
  readonly signers: readonly Address[];
}

export interface NodeFailure {
  readonly nodeUrl: string;
  readonly reason: string;
  /** The node's refusal code, when it refused (e.g. NOT_COMPLETED). */
  readonly code?: string;
}

/** Fewer than M valid distinct signatures over one message came back. */
export class QuorumNotReachedError extends Error {
  readonly failures: readonly NodeFailure[];

  constructor(threshold: number, best: number, failures: readonly NodeFailure[]) {
    super(
      `quorum not reached: ${best} of ${threshold} valid signatures; ${failures.map((f) => `${f.nodeUrl}: ${f.reason}`).join("; ") || "no node answered"}`,
    );
    this.name = "QuorumNotReachedError";
    this.failures = failures;
  }
}

interface ValidSignature {
  readonly signer: Address;
  readonly signature: Hex;
}

/**
 * Asks every node in parallel and resolves as soon as `threshold` distinct signer-set members
 * have validly signed the same message.
 * @throws QuorumNotReachedError naming each node's failure.
 */
export async function collectQuorum(options: CollectQuorumOptions): Promise<CollectedQuorum> {
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const members = new Set(options.signers.map((s) => s.toLowerCase()));
  const byDigest = new Map<Hash, { message: TokenizeMessage; signatures: ValidSignature[] }>();
  const counted = new Set<string>();
  const failures: NodeFailure[] = [];
  const abort = new AbortController();
  const body = JSON.stringify({
    registry: options.request.registry,
    operationId: options.request.operationId,
    deadline: String(options.request.deadline),
  });

  return new Promise<CollectedQuorum>((resolve, reject) => {
    let pending = options.nodeUrls.length;
    let done = false;

    const finishIfReached = (digest: Hash): void => {
      const group = byDigest.get(digest);
      if (done || group === undefined || group.signatures.length < options.threshold) return;
      done = true;
      abort.abort();
      const chosen = [...group.signatures].sort((a, b) => compareAddresses(a.signer, b.signer)).slice(0, options.threshold);
      resolve({ message: group.message, digest, signatures: packSignatures(chosen), signers: chosen.map((s) => s.signer) });
    };
    const settleOne = (): void => {
      pending -= 1;
      if (pending === 0 && !done) {
        done = true;
        const best = Math.max(0, ...[...byDigest.values()].map((g) => g.signatures.length));
        reject(new QuorumNotReachedError(options.threshold, best, failures));
      }
    };

    for (const nodeUrl of options.nodeUrls) {
      askNode(nodeUrl)
        .catch((error: unknown): NodeFailure => ({ nodeUrl, reason: `unusable answer: ${(error as Error).message}` }))
        .then((outcome) => {
          if (done) return;
          if ("reason" in outcome) {
            failures.push(outcome);
            return;
          }
          const signer = outcome.valid.signer.toLowerCase();
          if (counted.has(signer)) {
            failures.push({ nodeUrl, reason: `duplicate signer ${outcome.valid.signer}` });
            return;
          }
          counted.add(signer);
          const group = byDigest.get(outcome.digest) ?? { message: outcome.message, signatures: [] };
          byDigest.set(outcome.digest, group);
          group.signatures.push(outcome.valid);
          finishIfReached(outcome.digest);
        })
        .finally(settleOne);
    }
    if (pending === 0) reject(new QuorumNotReachedError(options.threshold, 0, failures));
  });

  async function askNode(nodeUrl: string): Promise<NodeFailure | { digest: Hash; message: TokenizeMessage; valid: ValidSignature }> {
    const failure = (reason: string, code?: string): NodeFailure => ({ nodeUrl, reason, ...(code === undefined ? {} : { code }) });
    let response: Response;
    try {
      response = await fetchFn(`${nodeUrl.replace(/\/+$/, "")}${ORACLE_API_PATHS.tokenize}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body,
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(options.timeoutMs)]),
      });
    } catch (error) {
      return failure(`unreachable: ${(error as Error).message}`);
    }
    const json: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const refusal = oracleErrorBodySchema.safeParse(json);
      return refusal.success
        ? failure(`HTTP ${response.status} ${refusal.data.error.message}`, refusal.data.error.code)
        : failure(`HTTP ${response.status}`);
    }
    const parsed = signedTokenizeAttestationSchema.safeParse(json);
    if (!parsed.success) return failure(`malformed answer: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const { signer, signature, message } = parsed.data;
    if (message.deadline !== options.request.deadline) return failure(`signed deadline ${message.deadline}, asked for ${options.request.deadline}`);
    if (!members.has(signer.toLowerCase())) return failure(`signer ${signer} is not in the quorum's signer set`);
    const typedData = tokenizeTypedData(options.chainId, options.quorumAddress, message);
    let recovered: Address;
    try {
      recovered = await recoverTypedDataAddress({ ...typedData, signature });
    } catch (error) {
      return failure(`unrecoverable signature: ${(error as Error).message}`);
    }
    if (recovered.toLowerCase() !== signer.toLowerCase()) {
      return failure(`signature does not match the message it returned (recovers to ${recovered}, claims ${signer})`);
    }
    return { digest: hashTypedData(typedData), message, valid: { signer, signature } };
  }
}

function compareAddresses(a: Address, b: Address): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export type TokenizeSubmission =
  | { readonly status: "tokenized"; readonly batchId: bigint; readonly transactionHash: Hash; readonly digest: Hash }
  | { readonly status: "already-done"; readonly digest: Hash };

/** Bridge ABI plus the quorum's errors, so a revert inside `consume` decodes by name. */
const tokenizeAbi = [...registryBridgeAbi, ...oracleQuorumAbi.filter((item) => item.type === "error")];

/**
 * Sends `RegistryBridge.tokenize` with a collected quorum. Exactly-once in effect: an attestation
 * the quorum has already consumed (AttestationAlreadyUsed, or consumed by a racing submitter while
 * this transaction was in flight) is reported as "already-done", not as a failure.
 * @throws the contract error for any other revert.
 */
export async function submitTokenize(
  walletClient: WalletClient<Transport, Chain, Account>,
  deployment: Deployment,
  collected: CollectedQuorum,
  predecessorHint: bigint,
): Promise<TokenizeSubmission> {
  const client = walletClient.extend(publicActions);
  const { message, digest } = collected;
  const args = [message.batch, message.owner, message.lockRef, predecessorHint, message.epoch, message.deadline, collected.signatures] as const;
  try {
    await client.simulateContract({ address: deployment.contracts.bridge, abi: tokenizeAbi, functionName: "tokenize", args });
  } catch (error) {
    if (revertName(error) === "AttestationAlreadyUsed") return { status: "already-done", digest };
    throw error;
  }
  const hash = await client.writeContract({ address: deployment.contracts.bridge, abi: tokenizeAbi, functionName: "tokenize", args });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== "success") {
    const consumed = await client.readContract({ address: deployment.contracts.quorum, abi: oracleQuorumAbi, functionName: "isConsumed", args: [digest] });
    if (consumed) return { status: "already-done", digest };
    throw new Error(`tokenize transaction ${hash} reverted`);
  }
  const [tokenized] = parseEventLogs({ abi: registryBridgeAbi, logs: receipt.logs, eventName: "Tokenized" });
  return { status: "tokenized", batchId: tokenized.args.batchId, transactionHash: hash, digest };
}

/** `RegistryBridge.tokenize`'s `predecessorHint`: the start of the tokenized block just before `batch` in its serial namespace. */
export async function predecessorHintFor(
  walletClient: WalletClient<Transport, Chain, Account>,
  deployment: Deployment,
  batch: TokenizeMessage["batch"],
): Promise<bigint> {
  const client = walletClient.extend(publicActions);
  const credit = deployment.contracts.credit;
  const namespace = await client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "serialNamespace", args: [batch.registry, batch.serialScope] });
  return client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "serialPredecessor", args: [namespace, batch.serialStart] });
}

function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? reverted.data?.errorName : undefined;
}
