/**
 * `npm run deploy`: deploys the CarbonClear ledger (identity, oracle quorum, credits, certificates,
 * bridge, settlement escrow and — without a `paymentToken` — a test stablecoin) to any EVM network
 * and writes the deployment file every service reads (`CARBONCLEAR_DEPLOYMENT_FILE`).
 *
 * Where it deploys:
 * - `RPC_URL` set: to that JSON-RPC endpoint, sending from `DEPLOYER_KEY`; the endpoint's chain id
 *   must equal `CHAIN_ID` (so the deployment file lands under the right name);
 * - otherwise: to hardhat's `--network` (`npm run deploy -- --network <name>`), first account.
 *
 * Roles come from `DEPLOY_ROLES_FILE` (see scripts/platform/deployPlan.ts). Without it every role
 * is the deployer with a 1-of-1 oracle quorum — refused on any chain other than the local 31337.
 * When the roles file names an admin other than the deployer, the admin role of every contract is
 * handed over to it at the end and the deployer keeps nothing.
 */
import hre from "hardhat";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import { loadConfig, describeConfig, type Config } from "../backend/src/config";
import { writeDeployment } from "../backend/src/chain/deployment";
import { deployLedger, describeDeployment } from "./deploy/ledger";
import { developmentRoles, handOverAdmin, ledgerOptionsFor, readDeployRoles, DeployPlanError } from "./platform/deployPlan";

const LOCAL_CHAIN_ID = 31337;

async function deployerFor(config: Config): Promise<{ signer: Signer; where: string }> {
  if (config.rpcUrl !== undefined) {
    if (config.deployerKey === undefined) {
      throw new DeployPlanError("RPC_URL is set but DEPLOYER_KEY is not: set the key that pays for the deployment");
    }
    const provider = new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: false });
    const { chainId } = await provider.getNetwork();
    if (Number(chainId) !== config.chainId) {
      throw new DeployPlanError(`RPC_URL serves chain ${chainId}, but CHAIN_ID is ${config.chainId}: set CHAIN_ID=${chainId}`);
    }
    return { signer: new Wallet(config.deployerKey.reveal(), provider), where: `RPC_URL (chain ${chainId})` };
  }
  const [signer] = await hre.ethers.getSigners();
  if (signer === undefined) throw new DeployPlanError(`hardhat network "${hre.network.name}" has no accounts configured`);
  return { signer, where: `hardhat network "${hre.network.name}"` };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { signer, where } = await deployerFor(config);
  const deployer = await signer.getAddress();
  const chainId = Number((await signer.provider!.getNetwork()).chainId);
  if (chainId !== config.chainId) {
    throw new DeployPlanError(`the network is chain ${chainId}, but CHAIN_ID is ${config.chainId}: set CHAIN_ID=${chainId}`);
  }
  let roles;
  if (config.deployRolesFile !== undefined) {
    roles = readDeployRoles(config.deployRolesFile);
  } else if (chainId === LOCAL_CHAIN_ID) {
    console.warn("DEPLOY_ROLES_FILE is not set: every role is the deployer, oracle quorum 1 of 1 (development only)");
    roles = developmentRoles(deployer);
  } else {
    throw new DeployPlanError(`DEPLOY_ROLES_FILE is required on chain ${chainId}: name the admin, compliance, pauser, oracle signers, threshold, treasury and fee`);
  }
  if (hre.network.name === "hardhat" && config.rpcUrl === undefined) {
    console.warn('deploying to the in-process "hardhat" network: the chain ends with this command (a dry run)');
  }
  console.log(`deploying from ${deployer} to ${where}`);
  const options = ledgerOptionsFor(roles, deployer);
  const ledger = await deployLedger(signer, options);
  await handOverAdmin(ledger, signer, roles.admin);
  const described = await describeDeployment(ledger, options, signer);
  const deployment = writeDeployment(config.deploymentFile, { ...described, roles: { ...described.roles, admin: roles.admin } });
  console.table(deployment.contracts);
  console.table({
    admin: deployment.roles.admin,
    compliance: deployment.roles.compliance,
    pauser: deployment.roles.pauser,
    oracleQuorum: `${deployment.roles.threshold} of ${deployment.roles.oracleSigners.length}`,
  });
  console.log(`deployment file: ${config.deploymentFile} (block ${deployment.blockNumber})`);
  console.log("config:", describeConfig(config));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`deploy failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
