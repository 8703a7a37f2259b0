/**
 * One simulated registry service: the ledger of Verra, Gold Standard and CCTS, its request queue
 * and processing cycle, its change feed, its webhook dispatcher and its fault injector — all held
 * by the instance (nothing global), all randomness drawn from streams of one seed.
 */
import type { Logger } from "pino";
import pino from "pino";
import type { RegistryId } from "../../domain";
import { ApiFaultInjector, type ApiFaultRule, type ApiFaultRuleInput, type ApiFaultStats } from "./apiFaults";
import { ChangeFeed } from "./changeFeed";
import { RegistryLedger, type Account, type Issuance, type Project } from "./ledger";
import { RequestProcessor, type CycleReport, type RegistryRequest } from "./requestProcessor";
import { createSeededRandom } from "./rng";
import { NO_WEBHOOK_CHAOS, WebhookDispatcher, type WebhookChaos, type WebhookDelivery } from "./webhookDispatcher";
import type { CreateAccountBody, CreateProjectBody, IssueBody, RequestBodies, RequestKind } from "./wire";

export interface RegistrySimulatorOptions {
  /** Seed of every random choice (starting numbers, Verra codes, chaos, faults). Default 1. */
  readonly seed?: number;
  /** Time between processing cycles in ms; null = only on `control.tick()`. Default 60 000. */
  readonly cycleMs?: number | null;
  /** Multiplies the webhook retry schedule (1 = real time). Default 1. */
  readonly webhookTimeFactor?: number;
  /** How long a webhook attempt waits for an answer. Default 15 000 ms. */
  readonly webhookAttemptTimeoutMs?: number;
  readonly webhookChaos?: Partial<WebhookChaos>;
  /** Webhook attempts in flight per endpoint at once. Default 1 (strictly one after the other). */
  readonly webhookConcurrency?: number;
  /** Bearer token guarding `/v1/admin/*` over HTTP; without one the admin API answers 403. */
  readonly adminToken?: string;
  /** Ids of the platform custody accounts (defaults: VCS-CARBONCLEAR-CUSTODY, GS-CARBONCLEAR-CUSTODY, CCTS-CARBONCLEAR-CUSTODY). */
  readonly platformCustodyAccountIds?: Partial<Record<RegistryId, string>>;
  /** Clock for timestamps (webhook timestamps must stay within 5 minutes of real time to verify). */
  readonly now?: () => Date;
  readonly logger?: Logger;
}

/** Knobs and probes of a running simulator (in-process; also over HTTP at `/v1/admin/*`). */
export interface RegistrySimulatorControl {
  /** Runs a processing cycle now: every queued request completes or is rejected. */
  tick(): CycleReport;
  readonly cycleMs: number | null;
  /** Changes the cycle period; null = only on tick. */
  setCycleMs(cycleMs: number | null): void;
  /** Replaces the API fault rules (see {@link ApiFaultRuleInput}). */
  setApiFaults(rules: readonly ApiFaultRuleInput[]): ApiFaultRule[];
  clearApiFaults(): void;
  apiFaults(): { rules: ApiFaultRule[]; stats: ApiFaultStats };
  setWebhookChaos(chaos: Partial<WebhookChaos>): WebhookChaos;
  setWebhookTimeFactor(timeFactor: number): void;
  /** The next request of `kind` processed is rejected with `reason` (code REJECTED_BY_REGISTRY). */
  rejectNext(kind: RequestKind, reason: string): void;
  webhookDeliveries(): WebhookDelivery[];
  webhookStats(): { batches: number; reorderedBatches: number };
  /** Resolves when no webhook attempt is scheduled or running. */
  whenWebhooksIdle(): Promise<void>;
  platformCustodyAccountId(registry: RegistryId): string;
}

export class RegistrySimulator {
  readonly ledger: RegistryLedger;
  readonly feed: ChangeFeed;
  readonly processor: RequestProcessor;
  readonly webhooks: WebhookDispatcher;
  readonly faults: ApiFaultInjector;
  readonly logger: Logger;
  readonly adminToken: string | undefined;
  readonly control: RegistrySimulatorControl;

  constructor(options: RegistrySimulatorOptions = {}) {
    const seed = options.seed ?? 1;
    const now = options.now ?? (() => new Date());
    this.logger = options.logger ?? pino({ level: "silent" });
    this.adminToken = options.adminToken;
    this.ledger = new RegistryLedger({
      random: createSeededRandom(seed, "ledger"),
      now,
      platformCustodyAccountIds: options.platformCustodyAccountIds,
    });
    this.feed = new ChangeFeed(now);
    this.webhooks = new WebhookDispatcher({
      random: createSeededRandom(seed, "webhook-chaos"),
      now,
      timeFactor: options.webhookTimeFactor ?? 1,
      attemptTimeoutMs: options.webhookAttemptTimeoutMs ?? 15_000,
      chaos: { ...NO_WEBHOOK_CHAOS, ...options.webhookChaos },
      maxInFlightPerEndpoint: options.webhookConcurrency,
    });
    this.feed.onBatch((batch) => this.webhooks.dispatchBatch(batch));
    this.processor = new RequestProcessor({
      ledger: this.ledger,
      feed: this.feed,
      now,
      cycleMs: options.cycleMs === undefined ? 60_000 : options.cycleMs,
      onCycleError: (error) => this.logger.error({ err: error }, "registry simulator: unexpected error while processing a request"),
    });
    this.faults = new ApiFaultInjector(createSeededRandom(seed, "api-faults"), () => now().getTime());
    this.control = this.#createControl();
  }

  createAccount(body: CreateAccountBody): Account {
    const account = this.ledger.createAccount(body);
    this.feed.publish([{ type: "account.created", data: { accountId: account.id, registry: account.registry } }]);
    return account;
  }

  setAccountNote(accountId: string, note: string): Account {
    const account = this.ledger.setAccountNote(accountId, note);
    this.feed.publish([{ type: "account.updated", data: { accountId: account.id, registry: account.registry } }]);
    return account;
  }

  closeAccount(accountId: string): Account {
    const wasClosed = this.ledger.getAccount(accountId).closed;
    const account = this.ledger.closeAccount(accountId);
    if (!wasClosed) this.feed.publish([{ type: "account.updated", data: { accountId: account.id, registry: account.registry } }]);
    return account;
  }

  createProject(body: CreateProjectBody): Project {
    const project = this.ledger.createProject(body);
    this.feed.publish([{ type: "project.created", data: { registry: project.registry, projectId: project.id } }]);
    return project;
  }

  issue(body: IssueBody): Issuance {
    const issuance = this.ledger.issue(body);
    this.feed.publish([
      {
        type: "issuance.created",
        data: { issuanceId: issuance.id, registry: issuance.registry, projectId: issuance.projectId, accountId: issuance.accountId },
      },
      {
        type: "serial_block.updated",
        data: {
          registry: issuance.registry,
          serial: this.ledger.serialNumberOf(issuance, { start: issuance.serialStart, end: issuance.serialEnd }),
          status: "ACTIVE",
        },
      },
    ]);
    return issuance;
  }

  /** Queues a request (see {@link RequestProcessor.submit}). */
  submit<K extends RequestKind>(
    kind: K,
    body: RequestBodies[K],
    options: { idempotencyKey?: string; fingerprint?: string; registry?: RegistryId } = {},
  ): { request: RegistryRequest; replayed: boolean } {
    return this.processor.submit(kind, body, options);
  }

  /** Stops the cycle timer and the webhook dispatcher. */
  close(): void {
    this.processor.stop();
    this.webhooks.close();
    this.faults.releaseHanging();
  }

  #createControl(): RegistrySimulatorControl {
    const processor = this.processor;
    const webhooks = this.webhooks;
    const faults = this.faults;
    const ledger = this.ledger;
    return {
      tick: () => processor.runCycle(),
      get cycleMs() {
        return processor.cycleMs;
      },
      setCycleMs: (cycleMs) => processor.setCycleMs(cycleMs),
      setApiFaults: (rules) => faults.setRules(rules),
      clearApiFaults: () => faults.clear(),
      apiFaults: () => ({ rules: faults.activeRules(), stats: faults.stats() }),
      setWebhookChaos: (chaos) => {
        webhooks.setChaos(chaos);
        return webhooks.chaos;
      },
      setWebhookTimeFactor: (timeFactor) => webhooks.setTimeFactor(timeFactor),
      rejectNext: (kind, reason) => processor.rejectNext(kind, reason),
      webhookDeliveries: () => webhooks.deliveries(),
      webhookStats: () => webhooks.stats(),
      whenWebhooksIdle: () => webhooks.whenIdle(),
      platformCustodyAccountId: (registry) => ledger.platformCustodyAccount(registry).id,
    };
  }
}
