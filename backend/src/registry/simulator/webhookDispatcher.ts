/**
 * Outbound webhooks after Standard Webhooks: every change-feed entry is sent to each enabled
 * endpoint that wants its type, as `{type, timestamp, data}` signed with the endpoint's `whsec_`
 * secret (headers webhook-id, webhook-timestamp, webhook-signature). Any 2xx is delivered; 410
 * disables the endpoint; anything else (or no answer within the attempt timeout) is retried after
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h — each delay multiplied by `timeFactor`.
 *
 * Chaos (seeded, decided when a batch is dispatched): reorder a batch, send a message twice, drop
 * a first attempt (never sent, then retried on schedule), or drop a whole delivery (never sent).
 * Each endpoint gets its attempts in the order they fall due, at most `maxInFlightPerEndpoint` at
 * once (default one at a time).
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { Webhook } from "standardwebhooks";
import type { Change } from "./changeFeed";
import { notFound } from "./errors";
import { shuffleDifferently, type SeededRandom } from "./rng";
import type { ChangeType, WebhookEndpointDocument, WebhookPayload } from "./wire";

/** Delay before each attempt, in real-time milliseconds (attempt 1 is immediate). */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
];

export interface WebhookChaos {
  /** Probability that a message is sent to an endpoint twice (same webhook-id). */
  readonly duplicateRate: number;
  /** Probability that a batch of two or more messages is sent in another order. */
  readonly reorderRate: number;
  /** Probability that a delivery's first attempt is lost (it is retried on schedule). */
  readonly dropFirstAttemptRate: number;
  /** Probability that a delivery is never attempted at all. */
  readonly dropDeliveryRate: number;
}

export const NO_WEBHOOK_CHAOS: WebhookChaos = { duplicateRate: 0, reorderRate: 0, dropFirstAttemptRate: 0, dropDeliveryRate: 0 };

export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly eventTypes: readonly ChangeType[] | null;
  enabled: boolean;
  disabledReason: string | null;
  readonly createdAt: string;
}

export type AttemptOutcome = "delivered" | "failed" | "dropped" | "gone";

export interface DeliveryAttempt {
  readonly number: number;
  /** When the attempt was made (or would have been, when dropped). */
  readonly at: string;
  /** Its delay after the previous attempt, as scheduled (scaled) — 0 for the first. */
  readonly scheduledDelayMs: number;
  readonly outcome: AttemptOutcome;
  readonly status: number | null;
  readonly error: string | null;
}

export type DeliveryState = "pending" | "delivered" | "failed" | "dropped" | "endpoint-disabled";

export interface WebhookDelivery {
  readonly id: string;
  readonly endpointId: string;
  readonly messageId: string;
  readonly eventType: ChangeType;
  /** Feed sequence of the change. */
  readonly sequence: number;
  /** True for the extra copy sent by the duplicate chaos. */
  readonly duplicate: boolean;
  state: DeliveryState;
  readonly attempts: DeliveryAttempt[];
}

export interface WebhookDispatcherOptions {
  readonly random: SeededRandom;
  readonly now: () => Date;
  /** Multiplies every retry delay (1 = real time; 0.001 turns 5 min into 300 ms). */
  readonly timeFactor: number;
  /** How long an attempt waits for an answer. */
  readonly attemptTimeoutMs: number;
  readonly chaos: WebhookChaos;
  /**
   * Attempts sent to one endpoint at once (senders such as Svix deliver concurrently); 1 sends
   * them strictly one after the other. Default 1.
   */
  readonly maxInFlightPerEndpoint?: number;
}

interface QueuedAttempt {
  readonly delivery: WebhookDelivery;
  readonly payload: string;
  readonly number: number;
  readonly scheduledDelayMs: number;
  readonly dropped: boolean;
}

export class WebhookDispatcher {
  readonly #random: SeededRandom;
  readonly #now: () => Date;
  #timeFactor: number;
  readonly #attemptTimeoutMs: number;
  #chaos: WebhookChaos;
  readonly #endpoints = new Map<string, WebhookEndpoint>();
  readonly #deliveries: WebhookDelivery[] = [];
  readonly #queues = new Map<string, QueuedAttempt[]>();
  /** Attempts running, per endpoint. */
  readonly #inFlight = new Map<string, number>();
  readonly #maxInFlight: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #closing = new AbortController();
  readonly #httpAgent = new http.Agent({ keepAlive: true });
  readonly #httpsAgent = new https.Agent({ keepAlive: true });
  readonly #idleWaiters: (() => void)[] = [];
  /** Scheduled, queued or running attempts. */
  #outstanding = 0;
  #batches = 0;
  #reorderedBatches = 0;
  #nextEndpointNumber = 1;
  readonly #instanceTag = randomBytes(4).toString("hex");

  constructor(options: WebhookDispatcherOptions) {
    this.#random = options.random;
    this.#now = options.now;
    this.#timeFactor = options.timeFactor;
    this.#attemptTimeoutMs = options.attemptTimeoutMs;
    this.#chaos = options.chaos;
    this.#maxInFlight = Math.max(1, options.maxInFlightPerEndpoint ?? 1);
  }

  // -- endpoints --------------------------------------------------------------------------------

  registerEndpoint(input: { url: string; eventTypes?: readonly ChangeType[]; secret?: string }): WebhookEndpoint {
    const endpoint: WebhookEndpoint = {
      id: `ep_${this.#nextEndpointNumber++}`,
      url: input.url,
      secret: input.secret ?? `whsec_${randomBytes(24).toString("base64")}`,
      eventTypes: input.eventTypes === undefined ? null : [...input.eventTypes],
      enabled: true,
      disabledReason: null,
      createdAt: this.#now().toISOString(),
    };
    this.#endpoints.set(endpoint.id, endpoint);
    return endpoint;
  }

  getEndpoint(id: string): WebhookEndpoint {
    const endpoint = this.#endpoints.get(id);
    if (endpoint === undefined) throw notFound("webhook endpoint", id);
    return endpoint;
  }

  listEndpoints(): WebhookEndpoint[] {
    return [...this.#endpoints.values()];
  }

  /** Removes an endpoint; its pending deliveries are abandoned. */
  deleteEndpoint(id: string): void {
    this.getEndpoint(id);
    this.#endpoints.delete(id);
  }

  // -- knobs ------------------------------------------------------------------------------------

  get chaos(): WebhookChaos {
    return this.#chaos;
  }

  setChaos(chaos: Partial<WebhookChaos>): void {
    this.#chaos = { ...this.#chaos, ...chaos };
  }

  get timeFactor(): number {
    return this.#timeFactor;
  }

  setTimeFactor(timeFactor: number): void {
    this.#timeFactor = timeFactor;
  }

  // -- dispatch ---------------------------------------------------------------------------------

  /** Sends a batch of changes to every interested endpoint (the change-feed listener). */
  dispatchBatch(batch: readonly Change[]): void {
    if (this.#closing.signal.aborted || batch.length === 0) return;
    this.#batches++;
    let ordered = batch;
    if (batch.length > 1 && this.#random.chance(this.#chaos.reorderRate)) {
      ordered = shuffleDifferently(batch, this.#random);
      this.#reorderedBatches++;
    }
    for (const change of ordered) {
      const payload = JSON.stringify({
        type: change.type,
        timestamp: change.timestamp,
        data: { ...change.data, cursor: String(change.sequence) },
      } satisfies WebhookPayload);
      for (const endpoint of this.#endpoints.values()) {
        if (!endpoint.enabled || (endpoint.eventTypes !== null && !endpoint.eventTypes.includes(change.type))) continue;
        const copies = this.#random.chance(this.#chaos.duplicateRate) ? 2 : 1;
        for (let copy = 0; copy < copies; copy++) this.#startDelivery(endpoint, change, payload, copy > 0);
      }
    }
  }

  #startDelivery(endpoint: WebhookEndpoint, change: Change, payload: string, duplicate: boolean): void {
    const delivery: WebhookDelivery = {
      id: `dlv_${this.#deliveries.length + 1}`,
      endpointId: endpoint.id,
      messageId: `msg_${this.#instanceTag}_${change.sequence}`,
      eventType: change.type,
      sequence: change.sequence,
      duplicate,
      state: "pending",
      attempts: [],
    };
    this.#deliveries.push(delivery);
    if (this.#random.chance(this.#chaos.dropDeliveryRate)) {
      delivery.state = "dropped";
      return;
    }
    const dropFirst = this.#random.chance(this.#chaos.dropFirstAttemptRate);
    this.#enqueue({ delivery, payload, number: 1, scheduledDelayMs: 0, dropped: dropFirst });
  }

  #scheduleRetry(previous: QueuedAttempt): void {
    const number = previous.number + 1;
    if (number > RETRY_SCHEDULE_MS.length) {
      previous.delivery.state = "failed";
      return;
    }
    const delayMs = Math.round(RETRY_SCHEDULE_MS[number - 1] * this.#timeFactor);
    const next: QueuedAttempt = { delivery: previous.delivery, payload: previous.payload, number, scheduledDelayMs: delayMs, dropped: false };
    this.#outstanding++;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#outstanding--;
      this.#enqueue(next);
    }, delayMs);
    this.#timers.add(timer);
  }

  #enqueue(attempt: QueuedAttempt): void {
    if (this.#closing.signal.aborted) return;
    const queue = this.#queues.get(attempt.delivery.endpointId) ?? [];
    queue.push(attempt);
    this.#queues.set(attempt.delivery.endpointId, queue);
    this.#outstanding++;
    void this.#pump(attempt.delivery.endpointId);
  }

  /** Runs an endpoint's due attempts in order, at most `maxInFlightPerEndpoint` at once. */
  #pump(endpointId: string): void {
    const queue = this.#queues.get(endpointId) ?? [];
    let inFlight = this.#inFlight.get(endpointId) ?? 0;
    while (inFlight < this.#maxInFlight && queue.length > 0) {
      const attempt = queue.shift() as QueuedAttempt;
      inFlight++;
      void this.#attempt(attempt)
        .catch(() => undefined)
        .finally(() => {
          this.#outstanding--;
          this.#inFlight.set(endpointId, (this.#inFlight.get(endpointId) ?? 1) - 1);
          this.#pump(endpointId);
          this.#notifyIfIdle();
        });
    }
    this.#inFlight.set(endpointId, inFlight);
  }

  async #attempt(attempt: QueuedAttempt): Promise<void> {
    const { delivery } = attempt;
    const endpoint = this.#endpoints.get(delivery.endpointId);
    if (this.#closing.signal.aborted) return;
    if (endpoint === undefined || !endpoint.enabled) {
      delivery.state = "endpoint-disabled";
      return;
    }
    const sentAt = this.#now();
    const record = (outcome: AttemptOutcome, status: number | null, error: string | null) =>
      delivery.attempts.push({
        number: attempt.number,
        at: sentAt.toISOString(),
        scheduledDelayMs: attempt.scheduledDelayMs,
        outcome,
        status,
        error,
      });
    if (attempt.dropped) {
      record("dropped", null, "first attempt dropped (chaos)");
      this.#scheduleRetry(attempt);
      return;
    }
    let status: number;
    try {
      status = await this.#post(
        endpoint.url,
        {
          "content-type": "application/json",
          "webhook-id": delivery.messageId,
          "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
          "webhook-signature": new Webhook(endpoint.secret).sign(delivery.messageId, sentAt, attempt.payload),
        },
        attempt.payload,
      );
    } catch (error) {
      if (this.#closing.signal.aborted) return;
      record("failed", null, describePostError(error));
      this.#scheduleRetry(attempt);
      return;
    }
    if (status >= 200 && status < 300) {
      record("delivered", status, null);
      delivery.state = "delivered";
    } else if (status === 410) {
      record("gone", status, null);
      delivery.state = "endpoint-disabled";
      endpoint.enabled = false;
      endpoint.disabledReason = `answered 410 Gone to ${delivery.messageId} at ${sentAt.toISOString()}`;
    } else {
      record("failed", status, null);
      this.#scheduleRetry(attempt);
    }
  }

  /**
   * One POST over node:http with kept-alive connections (a sender's connection pool; fetch costs
   * several times more CPU a request); @returns the status once the answer's body is read.
   */
  #post(url: string, headers: Record<string, string>, body: string): Promise<number> {
    const target = new URL(url);
    const client = target.protocol === "https:" ? https : http;
    const agent = target.protocol === "https:" ? this.#httpsAgent : this.#httpAgent;
    return new Promise((resolve, reject) => {
      const request = client.request(
        target,
        {
          method: "POST",
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
          agent,
          signal: AbortSignal.any([AbortSignal.timeout(this.#attemptTimeoutMs), this.#closing.signal]),
        },
        (response) => {
          response.on("error", reject);
          response.on("end", () => resolve(response.statusCode ?? 0));
          response.resume();
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  }

  // -- observation ------------------------------------------------------------------------------

  /** Every delivery so far, in dispatch order (copies: do not mutate). */
  deliveries(): WebhookDelivery[] {
    return this.#deliveries.map((d) => ({ ...d, attempts: [...d.attempts] }));
  }

  stats(): { batches: number; reorderedBatches: number } {
    return { batches: this.#batches, reorderedBatches: this.#reorderedBatches };
  }

  /** Resolves once no attempt is scheduled, queued or running. */
  whenIdle(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #notifyIfIdle(): void {
    if (this.#outstanding !== 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /** Stops every timer and aborts attempts in flight. */
  close(): void {
    this.#closing.abort();
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#outstanding = 0;
    this.#notifyIfIdle();
  }
}

export function toWebhookEndpointDocument(endpoint: WebhookEndpoint): WebhookEndpointDocument {
  return {
    id: endpoint.id,
    url: endpoint.url,
    eventTypes: endpoint.eventTypes === null ? null : [...endpoint.eventTypes],
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason,
    createdAt: endpoint.createdAt,
  };
}

function describePostError(error: unknown): string {
  if (error instanceof Error) {
    // An aborted request fails with an AbortError whose cause is the signal's reason.
    if (error.name === "TimeoutError" || (error.cause instanceof Error && error.cause.name === "TimeoutError")) return "no answer before the attempt timeout";
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
