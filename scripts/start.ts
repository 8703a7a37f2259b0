/**
 * `npm start`: the whole platform on embedded defaults, on one machine with no set-up
 * (see scripts/platform/platform.ts for what runs). Prints the URLs and the demo accounts and
 * stops cleanly on Ctrl-C (SIGINT) or SIGTERM: every service closed, the PGlite data folder's lock
 * released.
 */
import { loadConfig, describeConfig } from "../backend/src/config";
import { createLogger } from "../backend/src/logging";
import { startPlatform } from "./platform/platform";

const CHAIN_PORT = 8545;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "carbonclear" });
  // Handlers stay installed while stopping: a wrapper (npm, tsx) relays the same Ctrl-C or SIGTERM
  // the process group already got, and a second signal must not kill the process mid-shutdown.
  let stopping = false;
  const stop = new Promise<string>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return console.log(`${signal}: already stopping…`);
      stopping = true;
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  const platform = await startPlatform({ config, logger, chainPort: CHAIN_PORT, apiPort: config.apiPort, log: (line) => console.log(`· ${line}`) });

  console.log("\nCarbonClear is running (embedded defaults)\n");
  console.table({
    dApp: { url: `${platform.apiUrl}/`, detail: "wallet dApp (development wallet offered for the demo traders)" },
    api: { url: `${platform.apiUrl}/v1/routes`, detail: "platform API (route table)" },
    chain: { url: platform.rpcUrl, detail: `chainId ${platform.deployment.chainId}, in-process Hardhat` },
    database: { url: platform.databaseKind === "pglite" ? "embedded PGlite" : "PostgreSQL", detail: `${platform.migrationsApplied} migrations applied` },
    registry: { url: platform.registryUrl, detail: "registry simulator (Verra, Gold Standard, CCTS)" },
    ...Object.fromEntries(platform.oracleNodeUrls.map((url, i) => [`oracle ${i + 1}`, { url, detail: "oracle node (2-of-3 quorum)" }])),
    deployment: { url: config.deploymentFile, detail: "contract addresses for every service" },
  });
  console.table(platform.deployment.contracts);
  console.log("Demo batches (tokenized through the oracle quorum):");
  console.table(platform.batches.map((b) => ({ batch: b.batchId.toString(), registry: b.registry, serial: b.serialNumber, tonnes: b.quantity, owner: b.owner })));
  console.log("Demo accounts (Hardhat development keys — public, for this local chain only):");
  console.table(platform.accounts.map(({ role, address }) => ({ role, address })));
  console.log("config:", describeConfig(config));
  console.log("Press Ctrl-C to stop.");

  const signal = await stop;
  console.log(`\n${signal}: stopping…`);
  await platform.close();
  console.log("stopped.");
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
