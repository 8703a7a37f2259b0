/**
 * The whole platform on embedded defaults, in one process: an in-process Hardhat chain served over
 * JSON-RPC with the ledger deployed, PostgreSQL on PGlite (or DATABASE_URL), the registry
 * simulator, three oracle nodes (2-of-3), the indexer, the API and the dApp, seeded with a demo
 * world through the real oracle path. Used by `npm start` (scripts/start.ts) and by the browser
 * end-to-end test, so the test runs the platform exactly as a person starts it.
 */
import { rmSync } from "node:fs";
import { BrowserProvider } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Logger } from "pino";
import type { Hex, PublicClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { Secret, type Config } from "../../backend/src/config";
import { publicClientFor } from "../../backend/src/chain/clients";
import { writeDeployment, type Deployment } from "../../backend/src/chain/deployment";
import { openDatabase, runMigrations, type Database } from "../../backend/src/db";
import { pgliteDataFolder } from "../../backend/src/db/openDatabase";
import { runIndexer } from "../../backend/src/indexer";
import { reconciliationMetrics, startReconciliationJob } from "../../backend/src/reconciliation";
import { registryAdaptersFor } from "../../backend/src/custody/registryView";
import { startRegistrySimulator, type RunningRegistrySimulator } from "../../backend/src/registry/simulator";
import { createInProcessNetwork } from "../../backend/src/testing/hardhat";
import { startPlatformApi } from "../../backend/src/api/platform";
import { grantRole } from "../../backend/src/api/auth/store";
import { deployLedger, describeDeployment, type LedgerOptions } from "../deploy/ledger";
import { serveEmbeddedChain } from "./chain";
import { ensureDappBuilt } from "./dapp";
import { startSyncPlatform, custodyAccountsOf } from "../../backend/src/sync/platform";
import { startRegistryInstructionForwarder } from "../../backend/src/sync/registryInstructions";
import { walletClientFor } from "../../backend/src/chain/clients";
import { randomBytes } from "node:crypto";
import { platformInfo, platformInfoApi } from "./platformInfoApi";
import { approveEscrow, labelDemoBatches, onboardTraders, postDemoOrders, tokenizeDemoBatches, type DemoBatch } from "./seed";
import { signInWithKey } from "./siweClient";
import { freePort } from "./ports";

export const DEMO_ROLES = ["admin", "compliance", "oracle node 1", "oracle node 2", "oracle node 3"] as const;
export const RELAYER_ROLE = "attestation relayer";
export const DEMO_TRADERS = 3;

export interface StartPlatformOptions {
  config: Config;
  logger: Logger;
  /** JSON-RPC port of the embedded chain (8545 for `npm start`, 0 = any free port). */
  chainPort: number;
  /** API + dApp port (0 = any free port). */
  apiPort: number;
  /** Seconds between registry processing cycles (default 5: the demo registry answers quickly). */
  registryCycleMs?: number;
  log?: (line: string) => void;
}

export interface DemoAccount {
  role: string;
  address: string;
  privateKey: Hex;
}

export interface RunningPlatform {
  rpcUrl: string;
  apiUrl: string;
  registryUrl: string;
  oracleNodeUrls: string[];
  deployment: Deployment;
  databaseKind: Database["kind"];
  migrationsApplied: number;
  accounts: DemoAccount[];
  traders: PrivateKeyAccount[];
  batches: DemoBatch[];
  publicClient: PublicClient;
  registry: RunningRegistrySimulator;
  close(): Promise<void>;
}

/** Whether the running API serves `method path` (from its route table). */
async function hasRoute(apiUrl: string, method: string, path: string): Promise<boolean> {
  const response = await fetch(`${apiUrl}/v1/routes`);
  if (!response.ok) throw new Error(`GET /v1/routes answered ${response.status}`);
  const routes = (await response.json()) as { method: string; path: string }[];
  return routes.some((r) => r.method === method && r.path === path);
}

export async function startPlatform(options: StartPlatformOptions): Promise<RunningPlatform> {
  const { config, logger } = options;
  const log = options.log ?? ((line: string) => logger.info(line));
  if (config.rpcUrl !== undefined) {
    throw new Error("the embedded platform runs its own chain; with RPC_URL set, deploy with `npm run deploy` and run the services against it");
  }
  const closers: Array<[string, () => Promise<void>]> = [];
  const close = async () => {
    for (const [name, closer] of closers.reverse()) {
      try {
        await closer();
      } catch (error) {
        logger.warn({ err: error }, `closing ${name} failed`);
      }
    }
    closers.length = 0;
  };
  try {
    // Chain: a fresh in-process Hardhat network, served over JSON-RPC like any EVM node.
    const network = await createInProcessNetwork();
    const keys = network.accountKeys;
    const [admin, compliance, ...rest] = keys.map((k) => privateKeyToAccount(k));
    const oracleKeys = keys.slice(2, 5);
    const traders = rest.slice(3, 3 + DEMO_TRADERS);
    // Relays the oracle quorum's attestations (any funded key; relaying needs no role).
    const relayer = privateKeyToAccount(keys[5 + DEMO_TRADERS]);
    const hre = { ...network.hre, network: { ...network.hre.network, provider: network.provider } } as HardhatRuntimeEnvironment;
    const chain = await serveEmbeddedChain(hre, options.chainPort);
    closers.push(["chain", () => chain.close()]);
    const deployer = await new BrowserProvider(network.provider, undefined, { cacheTimeout: -1 }).getSigner(admin.address);
    const ledgerOptions: LedgerOptions = {
      admin: admin.address,
      compliance: compliance.address,
      pauser: admin.address,
      oracleSigners: oracleKeys.map((k) => privateKeyToAccount(k).address),
      threshold: 2,
      settlement: { treasury: admin.address, feeBps: 50 },
    };
    const ledger = await deployLedger(deployer, ledgerOptions);
    const deployment = writeDeployment(config.deploymentFile, await describeDeployment(ledger, ledgerOptions, deployer));
    const publicClient = publicClientFor(chain.rpcUrl, chain.chainId) as PublicClient;
    log(`chain ${chain.chainId} at ${chain.rpcUrl}, ledger deployed (deployment file ${config.deploymentFile})`);

    // Database: the embedded chain is new on every start, so is the embedded database's state.
    if (config.databaseUrl === undefined && !config.pgliteInMemory) rmSync(pgliteDataFolder(config.dataDir), { recursive: true, force: true });
    const db = await openDatabase(config);
    closers.push(["database", () => db.close()]);
    const migrated = await runMigrations(db.pool);

    const registry = await startRegistrySimulator({ port: 0, cycleMs: options.registryCycleMs ?? 5_000, logger: logger.child({ service: "registry-simulator" }) });
    closers.push(["registry simulator", () => registry.close()]);
    // Registry sync: three oracle nodes (one per development key), the pg-boss pipeline and its
    // submitter, the webhook intake registered at the simulator, and the polling reconciler.
    const webhookSecret = config.webhookSecret?.reveal() ?? `whsec_${randomBytes(24).toString("base64")}`;
    const sync = await startSyncPlatform({
      db,
      publicClient,
      deployment,
      submitterWallet: walletClientFor(chain.rpcUrl, chain.chainId, keys[5 + DEMO_TRADERS]),
      registryUrl: registry.url,
      oracleKeys,
      webhookSecret,
      logger: logger.child({ service: "sync" }),
      reconcileIntervalMs: 2_000,
      retryDelaySeconds: 1,
    });
    closers.push(["sync", () => sync.close()]);
    const forwarder = startRegistryInstructionForwarder({
      publicClient,
      deployment,
      registryUrl: registry.url,
      custodyAccounts: await custodyAccountsOf(registry.url),
      logger: logger.child({ service: "registry-instructions" }),
    });
    closers.push(["registry instruction forwarder", () => forwarder.stop()]);

    const indexerStop = new AbortController();
    const indexer = runIndexer({
      pool: db.pool,
      publicClient,
      deployment,
      confirmations: 0, // an automining local chain does not reorg
      pollIntervalMs: 1_000,
      logger: logger.child({ service: "indexer" }),
      signal: indexerStop.signal,
    }).catch((error: unknown) => logger.error({ err: error }, "indexer stopped"));
    closers.push(["indexer", async () => { indexerStop.abort(); await indexer; }]);

    // Three-way reconciliation (registry, chain, read model) every minute; its gauges and incident
    // counter are served on the sync worker's /metrics.
    const reconciliation = startReconciliationJob({
      pool: db.pool,
      publicClient,
      deployment,
      registries: registryAdaptersFor(registry.url),
      log: logger.child({ service: "reconciliation" }),
      metrics: reconciliationMetrics(sync.metrics.registry),
      intervalMs: 60_000,
    });
    closers.push(["reconciliation", () => reconciliation.stop()]);

    const seed = { rpcUrl: chain.rpcUrl, publicClient, deployment, registry, admin, compliance, traders, log };
    await onboardTraders(seed);
    const batches = await tokenizeDemoBatches(seed);
    await labelDemoBatches(seed, batches);
    await approveEscrow(seed, traders[0]);

    const staticDir = await ensureDappBuilt(log);
    const accounts: DemoAccount[] = [
      ...DEMO_ROLES.map((role, i) => ({ role, address: privateKeyToAccount(keys[i]).address, privateKey: keys[i] })),
      ...traders.map((t, i) => ({ role: `trader ${i + 1} (KYC verified, US)`, address: t.address, privateKey: keys[5 + i] })),
      { role: RELAYER_ROLE, address: relayer.address, privateKey: keys[5 + DEMO_TRADERS] },
    ];
    const devAccounts = accounts.filter((a) => a.role.startsWith("trader")).map((a) => ({ label: a.role.replace(/ \(.*$/, ""), privateKey: a.privateKey }));
    // Demo roles in the API (on a real deployment they come from onboarding and the admin API).
    for (const trader of traders) await grantRole(db.pool, trader.address, "trader", "npm-start:demo");
    await grantRole(db.pool, compliance.address, "compliance", "npm-start:demo");
    await grantRole(db.pool, admin.address, "admin", "npm-start:demo");

    // The dApp signs in with the page's host as SIWE domain: fix the port before the API starts.
    const apiPort = options.apiPort === 0 ? await freePort() : options.apiPort;
    const api = await startPlatformApi({
      pool: db.pool,
      // compliance decisions in the API (approvals, freezes) sign with the demo compliance key
      config: { ...config, complianceKey: config.complianceKey ?? new Secret(keys[1]) },
      logger: logger.child({ service: "api" }),
      publicClient,
      deployment,
      registryUrl: registry.url,
      port: apiPort,
      staticDir,
      modules: [platformInfoApi(platformInfo(deployment, chain.rpcUrl, devAccounts))],
      extraSiweDomains: [`127.0.0.1:${apiPort}`, `localhost:${apiPort}`],
    });
    closers.push(["api", () => api.close()]);
    if (await hasRoute(api.url, "POST", "/v1/orders")) {
      const sellerToken = await signInWithKey(api.url, traders[0], deployment.chainId);
      await postDemoOrders({ ...seed, apiUrl: api.url, token: sellerToken }, traders[0], batches);
    } else {
      log("the API has no order book (POST /v1/orders): no demo orders were posted");
    }

    return {
      rpcUrl: chain.rpcUrl,
      apiUrl: api.url,
      registryUrl: registry.url,
      oracleNodeUrls: [...sync.nodeUrls],
      deployment,
      databaseKind: db.kind,
      migrationsApplied: migrated.applied.length,
      accounts,
      traders,
      batches,
      publicClient,
      registry,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
