/**
 * Collects a quorum of attestations on one registry operation from the oracle nodes (submission is
 * `submitter.ts`).
 * The aggregator trusts no node: it recovers every signature locally, counts a signer only if it
 * is in the quorum's signer set and has not been counted, and counts only signatures over one
 * identical EIP-712 digest that matches the request.
 */
import { hashTypedData, recoverTypedDataAddress, type Address, type Hash, type Hex } from "viem";
import { packSignatures, type RegistryId } from "../domain";
import type { FetchLike } from "../registry";
import { attestationTypedData, type SignedAttestation } from "./node";
import { ORACLE_API_PATHS, oracleErrorBodySchema, signedAttestationFromJson, signedAttestationSchema } from "./wire";

export interface QuorumRequest {
  readonly registry: RegistryId;
  readonly operationId: string;
  /** Deadline every node is asked to sign (unix seconds). */
  readonly deadline: bigint;
}

export interface CollectQuorumOptions {
  readonly nodeUrls: readonly string[];
  readonly request: QuorumRequest;
  /** M: distinct valid signatures needed. */
  readonly threshold: number;
  /** The quorum's current signer set. */
  readonly signers: readonly Address[];
  readonly chainId: number;
  readonly quorumAddress: Address;
  readonly timeoutMs: number;
  readonly fetch?: FetchLike;
}

/** The attestation a quorum signed, without a signature. */
export type UnsignedAttestation = { [K in SignedAttestation["kind"]]: Omit<Extract<SignedAttestation, { kind: K }>, "signer" | "signature"> }[SignedAttestation["kind"]];

export interface CollectedQuorum {
  readonly attestation: UnsignedAttestation;
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
  const byDigest = new Map<Hash, { attestation: UnsignedAttestation; signatures: ValidSignature[] }>();
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
      resolve({ attestation: group.attestation, digest, signatures: packSignatures(chosen), signers: chosen.map((s) => s.signer) });
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
          const group = byDigest.get(outcome.digest) ?? { attestation: outcome.attestation, signatures: [] };
          byDigest.set(outcome.digest, group);
          group.signatures.push(outcome.valid);
          finishIfReached(outcome.digest);
        })
        .finally(settleOne);
    }
    if (pending === 0) reject(new QuorumNotReachedError(options.threshold, 0, failures));
  });

  async function askNode(nodeUrl: string): Promise<NodeFailure | { digest: Hash; attestation: UnsignedAttestation; valid: ValidSignature }> {
    const failure = (reason: string, code?: string): NodeFailure => ({ nodeUrl, reason, ...(code === undefined ? {} : { code }) });
    let response: Response;
    try {
      response = await fetchFn(`${nodeUrl.replace(/\/+$/, "")}${ORACLE_API_PATHS.attest}`, {
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
    const parsed = signedAttestationSchema.safeParse(json);
    if (!parsed.success) return failure(`malformed answer: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const { kind, signer, signature, message } = signedAttestationFromJson(parsed.data);
    if (message.deadline !== options.request.deadline) return failure(`signed deadline ${message.deadline}, asked for ${options.request.deadline}`);
    if (!members.has(signer.toLowerCase())) return failure(`signer ${signer} is not in the quorum's signer set`);
    const typedData = attestationTypedData(kind, options.chainId, options.quorumAddress, message as never);
    let recovered: Address;
    try {
      recovered = await recoverTypedDataAddress({ ...typedData, signature } as unknown as Parameters<typeof recoverTypedDataAddress>[0]);
    } catch (error) {
      return failure(`unrecoverable signature: ${(error as Error).message}`);
    }
    if (recovered.toLowerCase() !== signer.toLowerCase()) {
      return failure(`signature does not match the message it returned (recovers to ${recovered}, claims ${signer})`);
    }
    return { digest: hashTypedData(typedData as unknown as Parameters<typeof hashTypedData>[0]), attestation: { kind, message } as UnsignedAttestation, valid: { signer, signature } };
  }
}

function compareAddresses(a: Address, b: Address): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

