/**
 * One oracle node as its own process (one per operator, each with its own key):
 *
 *   ORACLE_KEY=0x… REGISTRY_SIM_URL=http://127.0.0.1:4010 RPC_URL=http://127.0.0.1:8545 \
 *   PLATFORM_API_URL=http://127.0.0.1:8080 npm run oracle:node
 *
 * Reads the registry itself (REGISTRY_SIM_URL) and the chain (RPC_URL, CARBONCLEAR_DEPLOYMENT_FILE)
 * before it signs; asks the platform API (PLATFORM_API_URL) for the registry accounts of a trade's
 * seller and buyer, and uses an answer only when it matches the wallet's on-chain hash (without
 * PLATFORM_API_URL it refuses every escrow trade confirmation, ACCOUNTS_UNVERIFIED); serves `POST /v1/attestations`, `GET /health` and `GET /metrics` on
 * ORACLE_HOST:ORACLE_PORT. Stops cleanly on SIGINT / SIGTERM. The key is never logged.
 */
import { pino } from "pino";
import { privateKeyToAccount } from "viem/accounts";
import { publicClientFor } from "../backend/src/chain/clients";
import { readDeployment } from "../backend/src/chain/deployment";
import { describeConfig, loadConfig } from "../backend/src/config";
import { httpWalletDirectory, unconfiguredWalletDirectory } from "../backend/src/oracle/walletDirectory";
import { createSyncMetrics } from "../backend/src/sync/metrics";
import { startOracleNode } from "../backend/src/sync/platform";

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel, name: "oracle-node" });
  const missing = [
    config.oracleKey === undefined ? "ORACLE_KEY" : undefined,
    config.registrySimUrl === undefined ? "REGISTRY_SIM_URL" : undefined,
    config.rpcUrl === undefined ? "RPC_URL" : undefined,
  ].filter((v) => v !== undefined);
  if (missing.length > 0) throw new Error(`oracle node: set ${missing.join(", ")}`);
  const key = config.oracleKey!.reveal();
  const deployment = readDeployment(config.deploymentFile);
  const metrics = createSyncMetrics();
  const server = await startOracleNode({
    key,
    registryUrl: config.registrySimUrl!,
    publicClient: publicClientFor(config.rpcUrl!, deployment.chainId),
    deployment,
    walletRegistryAccounts:
      config.platformApiUrl === undefined
        ? unconfiguredWalletDirectory("this oracle node has no PLATFORM_API_URL")
        : httpWalletDirectory({ apiUrl: config.platformApiUrl, account: privateKeyToAccount(key), chainId: deployment.chainId }),
    metrics,
    logger,
    port: config.oraclePort,
    host: config.oracleHost,
  });
  if (config.platformApiUrl === undefined) logger.warn("PLATFORM_API_URL is unset: this node refuses every escrow trade confirmation (ACCOUNTS_UNVERIFIED)");
  logger.info({ url: server.url, signer: privateKeyToAccount(key).address, config: describeConfig(config) }, "oracle node listening");
  const stop = () => {
    logger.info("oracle node stopping");
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
