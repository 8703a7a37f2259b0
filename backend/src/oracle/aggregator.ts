/**
 * Collects a quorum of attestations on registry operations from the oracle nodes (submission is
 * `submitter.ts`): `collectQuorums` for a batch (M nodes first, more only when needed),
 * `collectQuorum` for one operation.
 * The aggregator trusts no node: it recovers every signature locally, counts a signer only if it
 * is in the quorum's signer set and has not been counted, and counts only signatures over one
 * identical EIP-712 digest that matches the request.
 */
import type { Address, Hash, Hex } from "viem";
import { recoverDigestSigner } from "../chain/signing";
import { packSignatures, type RegistryId } from "../domain";
import type { FetchLike } from "../registry";
import { attestationDigest, type SignedAttestation } from "./node";
import {
  ATTEST_BATCH_LIMIT,
  attestationBatchResponseSchema,
  ORACLE_API_PATHS,
  oracleErrorBodySchema,
  signedAttestationFromJson,
} from "./wire";

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
 * One request: {@link collectQuorums} with a batch of one (the same checks, the same fan-out).
 * @throws QuorumNotReachedError naming each node's failure.
 */
export async function collectQuorum(options: CollectQuorumOptions & Pick<CollectQuorumsOptions, "fanOut" | "hedgeAfterMs" | "firstNode">): Promise<CollectedQuorum> {
  const { request, ...rest } = options;
  const [outcome] = await collectQuorums({ ...rest, requests: [request] });
  if (!outcome.ok) throw outcome.error;
  return outcome.quorum;
}

function compareAddresses(a: Address, b: Address): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}


export interface CollectQuorumsOptions extends Omit<CollectQuorumOptions, "request"> {
  readonly requests: readonly QuorumRequest[];
  /**
   * Whom to ask at first. `"quorum"` (the default): `threshold` nodes, since M signatures are all a
   * request needs; another node is asked, for the requests still open, as soon as an answer
   * leaves one short (a node down, a refusal, a bad signature) or `hedgeAfterMs` pass with
   * requests unsettled. Each node re-reads the registry and signs, so asking M of N nodes instead
   * of all N saves (N - M) / N of the network's work. `"all"`: every node at once.
   */
  readonly fanOut?: "quorum" | "all";
  /** With `fanOut: "quorum"`, when to ask one more node for requests still unsettled. Default 1,000 ms. */
  readonly hedgeAfterMs?: number;
  /** Which node is asked first (an index into `nodeUrls`, modulo its length), so that load rotates. Default: random. */
  readonly firstNode?: number;
}

/** The quorum collected for one request of a batch, or why none was. */
export type QuorumOutcome = { readonly ok: true; readonly quorum: CollectedQuorum } | { readonly ok: false; readonly error: QuorumNotReachedError };

interface ItemState {
  readonly byDigest: Map<Hash, { attestation: UnsignedAttestation; signatures: ValidSignature[] }>;
  readonly counted: Set<string>;
  readonly failures: NodeFailure[];
  /** Nodes asked for this request: the first `asked` of the rotated node order. */
  asked: number;
  answered: number;
  outcome?: QuorumOutcome;
}

/**
 * The batch form of {@link collectQuorum}: sends the requests to the nodes (one
 * `POST /v1/attestations/batch` per node asked, concurrently; whom and when: `fanOut`) and settles
 * each request as soon as `threshold` distinct signers validly signed one digest — or as soon as
 * the nodes still to answer could no longer make up a quorum. Resolves once every request is
 * settled (a slow or dead node does not hold up requests the others already settled); never
 * rejects.
 */
export async function collectQuorums(options: CollectQuorumsOptions): Promise<QuorumOutcome[]> {
  if (options.requests.length > ATTEST_BATCH_LIMIT) {
    const parts: QuorumRequest[][] = [];
    for (let i = 0; i < options.requests.length; i += ATTEST_BATCH_LIMIT) parts.push(options.requests.slice(i, i + ATTEST_BATCH_LIMIT));
    return (await Promise.all(parts.map((requests) => collectQuorums({ ...options, requests })))).flat();
  }
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const members = new Set(options.signers.map((s) => s.toLowerCase()));
  const items: ItemState[] = options.requests.map(() => ({ byDigest: new Map(), counted: new Set(), failures: [], asked: 0, answered: 0 }));
  const digests = new Map<string, Hash>();
  const abort = new AbortController();
  const nodes = options.nodeUrls.length;
  const first = options.firstNode ?? Math.floor(Math.random() * Math.max(1, nodes));
  /** The nodes in the order they are asked. */
  const order = options.nodeUrls.map((_, i) => options.nodeUrls[(((first + i) % nodes) + nodes) % nodes]);
  const initial = options.fanOut === "all" ? nodes : Math.min(nodes, Math.max(1, options.threshold));
  const hedgeAfterMs = options.hedgeAfterMs ?? 1_000;
  if (options.requests.length === 0) return [];

  return new Promise<QuorumOutcome[]>((resolve) => {
    let unsettled = items.length;
    let hedge: NodeJS.Timeout | undefined;
    const settle = (item: ItemState, outcome: QuorumOutcome): void => {
      if (item.outcome !== undefined) return;
      item.outcome = outcome;
      unsettled -= 1;
      if (unsettled === 0) {
        clearTimeout(hedge);
        abort.abort();
        resolve(items.map((i) => i.outcome as QuorumOutcome));
      }
    };
    const best = (item: ItemState): number => Math.max(0, ...[...item.byDigest.values()].map((g) => g.signatures.length));
    const afterAnswer = (item: ItemState): void => {
      item.answered += 1;
      if (item.outcome === undefined && best(item) + (nodes - item.answered) < options.threshold) {
        settle(item, { ok: false, error: new QuorumNotReachedError(options.threshold, best(item), item.failures) });
      }
    };
    if (nodes === 0) for (const item of items) afterAnswer(item);

    /** Asks each of `indexes`' next node (in `order`) for them: one request per node. */
    const askNext = (indexes: readonly number[]): void => {
      const byNode = new Map<number, number[]>();
      for (const index of indexes) {
        const item = items[index];
        if (item.outcome !== undefined || item.asked >= nodes) continue;
        const group = byNode.get(item.asked);
        if (group === undefined) byNode.set(item.asked, [index]);
        else group.push(index);
        item.asked += 1;
      }
      for (const [position, group] of byNode) ask(order[position], group);
    };
    /** Open requests that the answers still expected cannot complete. */
    const short = (indexes: readonly number[]): number[] =>
      indexes.filter((index) => {
        const item = items[index];
        return item.outcome === undefined && best(item) + (item.asked - item.answered) < options.threshold;
      });
    const scheduleHedge = (): void => {
      if (options.fanOut === "all") return;
      hedge = setTimeout(() => {
        const open = items.flatMap((item, index) => (item.outcome === undefined && item.asked < nodes ? [index] : []));
        if (open.length === 0) return;
        askNext(open);
        scheduleHedge();
      }, hedgeAfterMs);
      hedge.unref();
    };

    const ask = (nodeUrl: string, indexes: readonly number[]): void => {
      askNode(nodeUrl, indexes)
        .catch((error: unknown) => `unusable answer: ${(error as Error).message}`)
        .then(async (answer) => {
          for (const [position, index] of indexes.entries()) {
            const item = items[index];
            if (item.outcome !== undefined) continue;
            if (typeof answer === "string") item.failures.push({ nodeUrl, reason: answer });
            else await take(nodeUrl, item, index, answer[position]);
            afterAnswer(item);
          }
          askNext(short(indexes));
        });
    };
    const everyone = items.map((_, index) => index);
    for (let n = 0; n < initial; n++) askNext(everyone);
    scheduleHedge();

    async function take(nodeUrl: string, item: ItemState, index: number, result: BatchResult): Promise<void> {
      const fail = (reason: string, code?: string): void => {
        item.failures.push({ nodeUrl, reason, ...(code === undefined ? {} : { code }) });
      };
      if (!result.ok) {
        fail(`refused: ${result.error.message}`, result.error.code);
        return;
      }
      const { kind, signer, signature, message } = result.attestation;
      const request = options.requests[index];
      if (message.deadline !== request.deadline) return fail(`signed deadline ${message.deadline}, asked for ${request.deadline}`);
      if (!members.has(signer.toLowerCase())) return fail(`signer ${signer} is not in the quorum's signer set`);
      if (item.counted.has(signer.toLowerCase())) return fail(`duplicate signer ${signer}`);
      item.counted.add(signer.toLowerCase());
      const digest = digestOf(kind, message, result.rawMessage);
      let recovered: Address;
      try {
        recovered = recoverDigestSigner(digest, signature);
      } catch (error) {
        item.counted.delete(signer.toLowerCase());
        return fail(`unrecoverable signature: ${(error as Error).message}`);
      }
      if (recovered.toLowerCase() !== signer.toLowerCase()) {
        item.counted.delete(signer.toLowerCase());
        return fail(`signature does not match the message it returned (recovers to ${recovered}, claims ${signer})`);
      }
      if (item.outcome !== undefined) return;
      const group = item.byDigest.get(digest) ?? { attestation: { kind, message } as UnsignedAttestation, signatures: [] };
      item.byDigest.set(digest, group);
      group.signatures.push({ signer, signature });
      if (group.signatures.length >= options.threshold) {
        const chosen = [...group.signatures].sort((a, b) => compareAddresses(a.signer, b.signer)).slice(0, options.threshold);
        settle(item, { ok: true, quorum: { attestation: group.attestation, digest, signatures: packSignatures(chosen), signers: chosen.map((s) => s.signer) } });
      }
    }
  });

  function digestOf(kind: SignedAttestation["kind"], message: SignedAttestation["message"], raw: string): Hash {
    const key = `${kind}:${raw}`;
    let digest = digests.get(key);
    if (digest === undefined) {
      digest = attestationDigest(kind, options.chainId, options.quorumAddress, message as never);
      digests.set(key, digest);
    }
    return digest;
  }

  /** Asks `nodeUrl` for the requests at `indexes`: its results in that order, or why there are none. */
  async function askNode(nodeUrl: string, indexes: readonly number[]): Promise<BatchResult[] | string> {
    const body = JSON.stringify({
      requests: indexes.map((index) => {
        const r = options.requests[index];
        return { registry: r.registry, operationId: r.operationId, deadline: String(r.deadline) };
      }),
    });
    const answer = await postToNode(fetchFn, nodeUrl, ORACLE_API_PATHS.attestBatch, body, AbortSignal.any([abort.signal, AbortSignal.timeout(options.timeoutMs)]));
    if (!answer.ok) return answer.reason;
    const json = answer.json;
    const parsed = attestationBatchResponseSchema.safeParse(json);
    if (!parsed.success) return `malformed answer: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
    if (parsed.data.results.length !== indexes.length) return `malformed answer: ${parsed.data.results.length} results for ${indexes.length} requests`;
    const raw = (json as { results: { attestation?: { message?: unknown } }[] }).results;
    return parsed.data.results.map((result, i): BatchResult =>
      result.ok ? { ok: true, attestation: signedAttestationFromJson(result.attestation), rawMessage: JSON.stringify(raw[i].attestation?.message) } : result,
    );
  }
}

type BatchResult =
  | { readonly ok: true; readonly attestation: SignedAttestation; readonly rawMessage: string }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** POSTs `body` to `path` of an oracle node: its JSON answer, or why there is no usable one (with the node's error code when it refused). */
async function postToNode(
  fetchFn: FetchLike,
  nodeUrl: string,
  path: string,
  body: string,
  signal: AbortSignal,
): Promise<{ readonly ok: true; readonly json: unknown } | { readonly ok: false; readonly reason: string; readonly code?: string }> {
  let response: Response;
  try {
    response = await fetchFn(`${nodeUrl.replace(/\/+$/, "")}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
      signal,
    });
  } catch (error) {
    return { ok: false, reason: `unreachable: ${(error as Error).message}` };
  }
  const json: unknown = await response.json().catch(() => undefined);
  if (response.ok) return { ok: true, json };
  const refusal = oracleErrorBodySchema.safeParse(json);
  return refusal.success ? { ok: false, reason: `HTTP ${response.status} ${refusal.data.error.message}`, code: refusal.data.error.code } : { ok: false, reason: `HTTP ${response.status}` };
}
