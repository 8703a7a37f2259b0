/**
 * The registry's request queue. Submitted requests wait (status `queued`) until the next
 * processing cycle, which takes everything queued at its start, applies each request in
 * submission order — completing or rejecting it — and publishes the outcomes to the change feed
 * as one batch. Cycles run on a timer (`cycleMs`; minutes to hours like a real registry, a few
 * milliseconds in tests) or on demand (`runCycle`).
 */
import type { RegistryId } from "../../domain";
import type { ChangeFeed, NewChange } from "./changeFeed";
import { toWireJson } from "./documents";
import { OperationRejection, SimulatorApiError } from "./errors";
import type { RegistryLedger } from "./ledger";
import { executeOperation, type OperationOutcome } from "./operations";
import { resultBlockStatus } from "./serialBlockStatus";
import type { AnyRequestBody, RejectionCode, RequestBodies, RequestKind, RequestStatus } from "./wire";

export interface RegistryRequest {
  readonly id: string;
  readonly kind: RequestKind;
  status: RequestStatus;
  readonly idempotencyKey: string | null;
  readonly submittedAt: string;
  processedAt: string | null;
  readonly input: AnyRequestBody;
  /** What idempotent replays are compared on: the request as the client sent it. */
  readonly fingerprint: string;
  /** Registry of the credits, when known. */
  registry: RegistryId | null;
  /** Serial string of the block the request named (the issuance's block when it named an issuance). */
  readonly namedSerial: string | null;
  outcome: OperationOutcome | null;
  rejection: { readonly code: RejectionCode; readonly reason: string } | null;
}

export interface CycleReport {
  readonly completed: readonly string[];
  readonly rejected: readonly string[];
}

export interface RequestProcessorOptions {
  readonly ledger: RegistryLedger;
  readonly feed: ChangeFeed;
  readonly now: () => Date;
  /** Time between processing cycles; null = only on demand. */
  readonly cycleMs: number | null;
  /** Told about unexpected errors while processing (the request is rejected; it should not happen). */
  readonly onCycleError: (error: unknown) => void;
}

export class RequestProcessor {
  readonly #ledger: RegistryLedger;
  readonly #feed: ChangeFeed;
  readonly #now: () => Date;
  readonly #onCycleError: (error: unknown) => void;
  readonly #requests = new Map<string, RegistryRequest>();
  readonly #byIdempotencyKey = new Map<string, RegistryRequest>();
  #queue: RegistryRequest[] = [];
  readonly #forcedRejections = new Map<RequestKind, string[]>();
  #cycleMs: number | null;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #nextRequestNumber = 1;

  constructor(options: RequestProcessorOptions) {
    this.#ledger = options.ledger;
    this.#feed = options.feed;
    this.#now = options.now;
    this.#cycleMs = options.cycleMs;
    this.#onCycleError = options.onCycleError;
    this.#schedule();
  }

  /**
   * Queues a request. With an idempotency key already used for the same kind, returns the
   * original request (`replayed`) when the request is the same (same `fingerprint`; by default
   * the input itself).
   * @throws SimulatorApiError 422 when the key was used for a different request.
   */
  submit<K extends RequestKind>(
    kind: K,
    input: RequestBodies[K],
    options: { idempotencyKey?: string; fingerprint?: string; registry?: RegistryId } = {},
  ): { request: RegistryRequest; replayed: boolean } {
    const { idempotencyKey } = options;
    const fingerprint = options.fingerprint ?? JSON.stringify(toWireJson(input));
    if (idempotencyKey !== undefined) {
      const previous = this.#byIdempotencyKey.get(`${kind}:${idempotencyKey}`);
      if (previous !== undefined) {
        if (previous.fingerprint !== fingerprint) {
          throw new SimulatorApiError(
            422,
            "IDEMPOTENCY_KEY_REUSED",
            `Idempotency-Key ${JSON.stringify(idempotencyKey)} was used for a different ${kind} request (${previous.id})`,
          );
        }
        return { request: previous, replayed: true };
      }
    }
    const request: RegistryRequest = {
      id: `req_${String(this.#nextRequestNumber++).padStart(6, "0")}`,
      kind,
      status: "queued",
      idempotencyKey: idempotencyKey ?? null,
      submittedAt: this.#now().toISOString(),
      processedAt: null,
      input,
      fingerprint,
      registry: options.registry ?? this.#registryOf(input),
      namedSerial: this.#namedSerialOf(input),
      outcome: null,
      rejection: null,
    };
    this.#requests.set(request.id, request);
    if (idempotencyKey !== undefined) this.#byIdempotencyKey.set(`${kind}:${idempotencyKey}`, request);
    this.#queue.push(request);
    return { request, replayed: false };
  }

  get(id: string): RegistryRequest | undefined {
    return this.#requests.get(id);
  }

  get queuedCount(): number {
    return this.#queue.length;
  }

  /** The next request of `kind` to be processed is rejected with `reason` (REJECTED_BY_REGISTRY). */
  rejectNext(kind: RequestKind, reason: string): void {
    const reasons = this.#forcedRejections.get(kind) ?? [];
    reasons.push(reason);
    this.#forcedRejections.set(kind, reasons);
  }

  /** Processes every request queued now, in submission order. */
  runCycle(): CycleReport {
    const batch = this.#queue;
    this.#queue = [];
    const completed: string[] = [];
    const rejected: string[] = [];
    const changes: NewChange[] = [];
    for (const request of batch) {
      this.#process(request);
      (request.status === "completed" ? completed : rejected).push(request.id);
      changes.push(...this.#changesOf(request));
    }
    this.#feed.publish(changes);
    return { completed, rejected };
  }

  /**
   * What a processed request tells the feed: `request.completed`/`request.rejected`, the adapter
   * API's `operation.updated`, and `serial_block.updated` for each block split and each piece produced.
   */
  #changesOf(request: RegistryRequest): NewChange[] {
    const changes: NewChange[] = [
      {
        type: request.status === "completed" ? "request.completed" : "request.rejected",
        data: {
          requestId: request.id,
          kind: request.kind,
          registry: request.registry,
          registryRef: request.outcome?.registryRef ?? null,
          idempotencyKey: request.idempotencyKey,
        },
      },
    ];
    if (request.registry === null) return changes;
    const registry = request.registry;
    if (request.kind !== "cancellation") {
      changes.push({
        type: "operation.updated",
        data: { registry, operationId: request.id, status: request.status === "completed" ? "COMPLETED" : "REJECTED" },
      });
    }
    const outcome = request.outcome;
    if (outcome !== null) {
      for (const serial of outcome.splitSerials) changes.push({ type: "serial_block.updated", data: { registry, serial, status: "SPLIT" } });
      const status = resultBlockStatus(request.kind);
      for (const range of outcome.ranges) {
        changes.push({ type: "serial_block.updated", data: { registry, serial: range.serialNumber, status } });
      }
    }
    return changes;
  }

  #process(request: RegistryRequest): void {
    const at = this.#now().toISOString();
    request.processedAt = at;
    try {
      const forced = this.#forcedRejections.get(request.kind)?.shift();
      if (forced !== undefined) throw new OperationRejection("REJECTED_BY_REGISTRY", forced);
      request.outcome = executeOperation({ ledger: this.#ledger, requestId: request.id, at }, request.kind, request.input);
      request.registry = request.outcome.registry;
      request.status = "completed";
    } catch (error) {
      request.status = "rejected";
      if (error instanceof OperationRejection) {
        request.rejection = { code: error.code, reason: error.message };
      } else {
        this.#onCycleError(error);
        request.rejection = { code: "REJECTED_BY_REGISTRY", reason: `internal registry error: ${(error as Error).message}` };
      }
      request.registry ??= this.#registryOf(request.input);
    }
  }

  /** Registry of the credits a request names, when it names existing ones. */
  #registryOf(input: AnyRequestBody): RegistryId | null {
    try {
      return this.#ledger.resolveIssuance(input).registry;
    } catch (error) {
      if (error instanceof OperationRejection) return null;
      throw error;
    }
  }

  #namedSerialOf(input: AnyRequestBody): string | null {
    if (input.serialNumber !== undefined) return input.serialNumber;
    try {
      const issuance = this.#ledger.resolveIssuance(input);
      return this.#ledger.serialNumberOf(issuance, { start: issuance.serialStart, end: issuance.serialEnd });
    } catch (error) {
      if (error instanceof OperationRejection) return null;
      throw error;
    }
  }

  get cycleMs(): number | null {
    return this.#cycleMs;
  }

  /** Changes the cycle period (null = on demand only); the next cycle is `cycleMs` from now. */
  setCycleMs(cycleMs: number | null): void {
    this.#cycleMs = cycleMs;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped || this.#cycleMs === null) return;
    this.#timer = setTimeout(() => {
      this.runCycle();
      this.#schedule();
    }, this.#cycleMs);
    this.#timer.unref();
  }
}
