/**
 * `npm start`: the platform on embedded defaults, on one machine with no set-up.
 *
 * - an in-process Hardhat chain served over JSON-RPC, with the ledger contracts deployed and the
 *   deployment file written where every service reads it (`config.deploymentFile`);
 * - PostgreSQL on embedded PGlite (or DATABASE_URL), migrated;
 * - the registry simulator (the one simulated part), with the platform's custody accounts;
 * - demo identities: the Hardhat development accounts below, KYC-verified on-chain.
 *
 * Run by `hardhat run` so `hre` is the in-process network. Stops cleanly on Ctrl-C.
 */
import hre from "hardhat";
import { loadConfig, describeConfig } from "../backend/src/config";
import { openDatabase, runMigrations } from "../backend/src/db";
import { writeDeployment } from "../backend/src/chain/deployment";
import { startRegistrySimulator } from "../backend/src/registry/simulator";
import { serveEmbeddedChain } from "./platform/chain";
import { deployLedger, describeDeployment, type LedgerOptions } from "./deploy/ledger";

/** Roles of Hardhat's public development accounts in the demo (well-known test keys, no value). */
const DEMO_ROLES = ["admin", "compliance", "oracle node 1", "oracle node 2", "oracle node 3"] as const;
const DEMO_TRADERS = 3;
const CHAIN_PORT = 8545;

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.rpcUrl !== undefined) {
    throw new Error("npm start runs the embedded chain; with RPC_URL set, deploy with scripts/deploy.ts instead");
  }
  const signers = await hre.ethers.getSigners();
  const [admin, compliance, oracle1, oracle2, oracle3] = signers;
  const traders = signers.slice(DEMO_ROLES.length, DEMO_ROLES.length + DEMO_TRADERS);

  const chain = await serveEmbeddedChain(hre, CHAIN_PORT);
  const options: LedgerOptions = {
    admin: admin.address,
    compliance: compliance.address,
    pauser: admin.address,
    oracleSigners: [oracle1.address, oracle2.address, oracle3.address],
    threshold: 2,
    settlement: { treasury: admin.address, feeBps: 50 },
  };
  const ledger = await deployLedger(admin, options);
  const deployment = writeDeployment(config.deploymentFile, await describeDeployment(ledger, options, admin));

  const expiry = Math.floor(Date.now() / 1000) + 365 * 24 * 3600;
  for (const trader of traders) {
    await (
      await ledger.identity.connect(compliance).setIdentity(trader.address, {
        status: 2, // Verified
        entityType: 2, // Company
        country: hre.ethers.hexlify(hre.ethers.toUtf8Bytes("US")),
        kycExpiry: expiry,
        sanctionsCleared: true,
        registryAccountsHash: hre.ethers.ZeroHash,
      })
    ).wait();
  }

  const db = await openDatabase(config);
  const migrated = await runMigrations(db.pool);
  const registry = await startRegistrySimulator({ port: 0 });

  console.log("\nCarbonClear is running (embedded defaults)\n");
  console.table({
    chain: { url: chain.rpcUrl, detail: `chainId ${chain.chainId}` },
    database: { url: db.kind === "pglite" ? "embedded PGlite" : "PostgreSQL", detail: `${migrated.applied.length} migrations applied` },
    registry: { url: registry.url, detail: "registry simulator (Verra, Gold Standard, CCTS)" },
    deployment: { url: config.deploymentFile, detail: "contract addresses for every service" },
  });
  console.table(deployment.contracts);
  console.log("Demo accounts (Hardhat development keys — public, for this local chain only):");
  console.table([
    ...DEMO_ROLES.map((role, i) => ({ role, address: signers[i].address })),
    ...traders.map((t, i) => ({ role: `trader ${i + 1} (KYC verified, US)`, address: t.address })),
  ]);
  console.log("config:", describeConfig(config));
  console.log("Press Ctrl-C to stop.");

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.log("\nstopping…");
  await registry.close();
  await db.close();
  await chain.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
