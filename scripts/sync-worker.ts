/**
 * The registry sync worker as its own process: webhook intake + `/metrics` on SYNC_PORT, the pg-boss
 * pipeline asking the oracle nodes of ORACLE_NODE_URLS (run with `npm run oracle:node`), batched
 * submission with SUBMITTER_KEY, and change-feed reconciliation every SYNC_RECONCILE_INTERVAL_MS.
 *
 *   DATABASE_URL=… RPC_URL=… REGISTRY_SIM_URL=… WEBHOOK_SECRET=whsec_… SUBMITTER_KEY=0x… \
 *   ORACLE_NODE_URLS=http://127.0.0.1:4101,http://127.0.0.1:4102,http://127.0.0.1:4103 npm run sync:worker
 */
import { pino } from "pino";
import { publicClientFor, walletClientFor } from "../backend/src/chain/clients";
import { readDeployment } from "../backend/src/chain/deployment";
import { describeConfig, loadConfig } from "../backend/src/config";
import { openDatabase, runMigrations } from "../backend/src/db";
import { startSyncPlatform } from "../backend/src/sync/platform";

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel, name: "sync-worker" });
  const missing = [
    config.submitterKey === undefined ? "SUBMITTER_KEY" : undefined,
    config.registrySimUrl === undefined ? "REGISTRY_SIM_URL" : undefined,
    config.rpcUrl === undefined ? "RPC_URL" : undefined,
    config.webhookSecret === undefined ? "WEBHOOK_SECRET" : undefined,
    config.oracleNodeUrls.length === 0 ? "ORACLE_NODE_URLS" : undefined,
  ].filter((v) => v !== undefined);
  if (missing.length > 0) throw new Error(`sync worker: set ${missing.join(", ")}`);
  const deployment = readDeployment(config.deploymentFile);
  const db = await openDatabase(config);
  await runMigrations(db.pool);
  const platform = await startSyncPlatform({
    db,
    publicClient: publicClientFor(config.rpcUrl!, deployment.chainId),
    deployment,
    submitterWallet: walletClientFor(config.rpcUrl!, deployment.chainId, config.submitterKey!.reveal()),
    registryUrl: config.registrySimUrl!,
    remoteNodeUrls: config.oracleNodeUrls,
    webhookSecret: config.webhookSecret!.reveal(),
    logger,
    port: config.syncPort,
    reconcileIntervalMs: config.syncReconcileIntervalMs,
  });
  logger.info({ webhookUrl: platform.webhookUrl, metrics: `${platform.url}/metrics`, nodes: platform.nodeUrls, config: describeConfig(config) }, "sync worker running");
  const stop = () => {
    logger.info("sync worker stopping");
    void platform
      .close()
      .then(() => db.close())
      .then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
