/**
 * Assembles registry synchronisation in one process (for `npm start`, the sync worker and tests):
 * oracle node HTTP servers (one per key; in production each operator runs `npm run oracle:node`
 * instead), the pg-boss pipeline with its submitter, the webhook intake and `/metrics` on an HTTP
 * server, and the polling reconciler. Everything is passed in; nothing is global.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import PgBoss from "pg-boss";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Account, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { z } from "zod";
import type { Deployment } from "../chain/deployment";
import type { Database } from "../db";
import { REGISTRY_IDS, type RegistryId } from "../domain";
import { createRegistryAdapter, registryApiBaseUrl, type RegistryAdapter } from "../registry";
import { nativeSigningAccount } from "../chain/signing";
import { createOracleNode, type WalletRegistryAccounts } from "../oracle/node";
import { databaseWalletDirectory } from "../oracle/walletDirectory";
import { startOracleNodeServer, type RunningOracleNodeServer } from "../oracle/server";
import { AttestationSubmitter } from "../oracle/submitter";
import { createWebhookIntake, WEBHOOK_SOURCE, type WebhookIntake } from "./intake";

export { WEBHOOK_SOURCE };
import { createSyncMetrics, type SyncMetrics } from "./metrics";
import { startSyncPipeline, type SyncPipeline } from "./pipeline";
import { startReconciler, type ReconcileReport } from "./reconcile";

/** Path of the webhook route (`:source` names the configured source, e.g. `simulator`). */
export const WEBHOOK_PATH = "/v1/webhooks/registry/:source";

export interface OracleNodeSetup {
  readonly key: Hex;
  readonly registryUrl: string;
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
  /**
   * Where the node learns trade parties' registry accounts (checked against the chain): the
   * platform database in-process (`databaseWalletDirectory`), the platform API in a node process
   * (`httpWalletDirectory`).
   */
  readonly walletRegistryAccounts: WalletRegistryAccounts;
  readonly metrics?: SyncMetrics;
  readonly logger?: Logger;
  readonly port?: number;
  readonly host?: string;
  /** Registry calls time out after this long. Default 5 000 ms. */
  readonly registryTimeoutMs?: number;
}

/** Reads each registry's platform custody account from the registry server (`GET /v1/registries`). */
export async function custodyAccountsOf(registryUrl: string): Promise<Partial<Record<RegistryId, string>>> {
  const response = await fetch(`${registryUrl.replace(/\/+$/, "")}/v1/registries`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`registry ${registryUrl} answered HTTP ${response.status} to GET /v1/registries`);
  const list = z.array(z.object({ id: z.enum(REGISTRY_IDS), platformCustodyAccountId: z.string() })).parse(await response.json());
  return Object.fromEntries(list.map((r) => [r.id, r.platformCustodyAccountId]));
}

/** Starts one oracle node (its own key) serving HTTP; the node reads `registryUrl` and the chain itself. */
export async function startOracleNode(setup: OracleNodeSetup & { custodyAccounts?: Partial<Record<RegistryId, string>> }): Promise<RunningOracleNodeServer> {
  const account = nativeSigningAccount(setup.key);
  const custodyAccounts = setup.custodyAccounts ?? (await custodyAccountsOf(setup.registryUrl));
  const registries: Partial<Record<RegistryId, RegistryAdapter>> = {};
  for (const id of REGISTRY_IDS) {
    registries[id] = createRegistryAdapter(id, { baseUrl: registryApiBaseUrl(setup.registryUrl, id), timeoutMs: setup.registryTimeoutMs ?? 5_000 });
  }
  const node = createOracleNode({
    account,
    registries,
    custodyAccounts,
    publicClient: setup.publicClient,
    deployment: setup.deployment,
    walletRegistryAccounts: setup.walletRegistryAccounts,
    now: () => BigInt(Math.floor(Date.now() / 1000)),
    onSigned: (kind) => setup.metrics?.signatures.inc({ signer: account.address, kind }),
  });
  return startOracleNodeServer(node, { port: setup.port, host: setup.host, metrics: setup.metrics?.registry, logger: setup.logger });
}

/** The HTTP app of the sync worker: the webhook intake (raw body) and `/metrics`. */
export function createSyncHttpApp(intake: WebhookIntake, metrics: Registry): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: "256kb" }), async (req, res, next) => {
    try {
      const body = Buffer.isBuffer(req.body) ? req.body : undefined;
      const result = await intake(String(req.params.source), body, req.headers);
      res.status(result.status).json(result.body);
    } catch (error) {
      next(error);
    }
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json({ error: { code: "NOT_FOUND", message: "no such route" } });
  });
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: { code: "INTERNAL", message: "the sync worker failed; see its log" } });
  });
  return app;
}

export interface StartSyncPlatformOptions {
  /** Migrated database (`openDatabase` + migrations). */
  readonly db: Database;
  /** pg-boss schema; default `pgboss`. Tests on a shared server pass their own schema. */
  readonly queueSchema?: string;
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
  /** Sends the attestation transactions (any funded key: relaying needs no role). */
  readonly submitterWallet: WalletClient<Transport, Chain, Account>;
  /** Registry server root (the simulator's URL). */
  readonly registryUrl: string;
  /** Oracle node keys to run in this process (e.g. the three development keys). */
  readonly oracleKeys?: readonly Hex[];
  /** Oracle nodes running elsewhere (`npm run oracle:node`). */
  readonly remoteNodeUrls?: readonly string[];
  /** Standard Webhooks secret of the registry's webhooks (`whsec_…`). */
  readonly webhookSecret: string;
  /** Register `<this server>/v1/webhooks/registry/simulator` as an endpoint at the simulator. Default true. */
  readonly registerWebhook?: boolean;
  readonly logger: Logger;
  /** HTTP port of the intake and `/metrics` (0 = any). Default 0. */
  readonly port?: number;
  readonly host?: string;
  /** Change-feed polling period. Default 5 000 ms. */
  readonly reconcileIntervalMs?: number;
  readonly staleAfterMs?: number;
  readonly batchSize?: number;
  readonly retryDelaySeconds?: number;
  readonly retryLimit?: number;
  readonly receiptTimeoutMs?: number;
}

export interface RunningSyncPlatform {
  /** Base URL of the intake / metrics server. */
  readonly url: string;
  /** Where the registry posts webhooks. */
  readonly webhookUrl: string;
  readonly nodeUrls: readonly string[];
  readonly metrics: SyncMetrics;
  readonly pipeline: SyncPipeline;
  readonly boss: PgBoss;
  /** Runs a reconciliation pass now. */
  reconcile(): Promise<ReconcileReport | undefined>;
  /** Stops the reconciler, the HTTP server, the worker, the queue and the nodes (not the database). */
  close(): Promise<void>;
}

/**
 * Starts the whole sync side in-process. Call `close()` to stop it (the database stays open: it is
 * the caller's).
 */
export async function startSyncPlatform(options: StartSyncPlatformOptions): Promise<RunningSyncPlatform> {
  const { logger } = options;
  const metrics = createSyncMetrics();
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) {
      await closer().catch((error: unknown) => logger.warn({ err: error }, "sync: error while stopping"));
    }
  };
  try {
    const custodyAccounts = await custodyAccountsOf(options.registryUrl);
    const nodes: RunningOracleNodeServer[] = [];
    for (const key of options.oracleKeys ?? []) {
      const node = await startOracleNode({
        key,
        registryUrl: options.registryUrl,
        publicClient: options.publicClient,
        deployment: options.deployment,
        walletRegistryAccounts: databaseWalletDirectory(options.db.pool),
        metrics,
        logger,
        custodyAccounts,
      });
      nodes.push(node);
      closers.push(() => node.close());
    }
    const nodeUrls = [...nodes.map((n) => n.url), ...(options.remoteNodeUrls ?? [])];
    if (nodeUrls.length === 0) throw new Error("startSyncPlatform: give oracleKeys or remoteNodeUrls");

    const boss = new PgBoss({
      connectionString: options.db.connectionString,
      max: options.db.queuePoolSize,
      schema: options.queueSchema ?? "pgboss",
      application_name: "carbonclear-sync",
    });
    boss.on("error", (error: Error) => logger.error({ err: error }, "sync: job queue error"));
    await boss.start();
    closers.push(() => boss.stop({ graceful: true, wait: true, timeout: 5_000 }));

    const submitter = new AttestationSubmitter({
      walletClient: options.submitterWallet,
      publicClient: options.publicClient,
      deployment: options.deployment,
      receiptTimeoutMs: options.receiptTimeoutMs,
    });
    const pipeline = await startSyncPipeline({
      boss,
      pool: options.db.pool,
      publicClient: options.publicClient,
      deployment: options.deployment,
      submitter,
      nodeUrls,
      logger,
      metrics,
      batchSize: options.batchSize,
      queueSchema: options.queueSchema ?? "pgboss",
      retryDelaySeconds: options.retryDelaySeconds,
      retryLimit: options.retryLimit,
    });
    closers.push(() => pipeline.stop());

    const intake = createWebhookIntake({
      pool: options.db.pool,
      sources: [{ name: WEBHOOK_SOURCE, secret: options.webhookSecret }],
      enqueue: (ops) => pipeline.enqueue(ops),
      metrics,
    });
    const server: Server = createServer(createSyncHttpApp(intake, metrics.registry));
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const url = `http://${host}:${(server.address() as AddressInfo).port}`;
    const webhookUrl = `${url}${WEBHOOK_PATH.replace(":source", WEBHOOK_SOURCE)}`;
    if (options.registerWebhook ?? true) {
      const response = await fetch(`${options.registryUrl.replace(/\/+$/, "")}/v1/webhook-endpoints`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: webhookUrl, secret: options.webhookSecret, eventTypes: ["operation.updated"] }),
      });
      if (!response.ok) throw new Error(`registering the webhook endpoint failed: HTTP ${response.status} ${await response.text()}`);
    }

    const reconciler = startReconciler({
      pool: options.db.pool,
      registryUrl: options.registryUrl,
      feed: `registry:${options.registryUrl}`,
      enqueue: (ops) => pipeline.enqueue(ops),
      requeue: (ops) => pipeline.requeueLost(ops),
      logger,
      intervalMs: options.reconcileIntervalMs ?? 5_000,
      staleAfterMs: options.staleAfterMs,
    });
    closers.push(async () => reconciler.stop());

    return { url, webhookUrl, nodeUrls, metrics, pipeline, boss, reconcile: () => reconciler.runNow(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
