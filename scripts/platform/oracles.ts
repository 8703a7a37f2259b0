/**
 * The oracle nodes of the embedded platform: one HTTP node per quorum key, each reading the
 * registry (simulator) on its own. In production each operator runs one node in its own process
 * with its own ORACLE_KEY; here the three development keys run side by side.
 */
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { oracleQuorumAbi } from "../../backend/src/chain/abis";
import { publicClientFor } from "../../backend/src/chain/clients";
import type { Deployment } from "../../backend/src/chain/deployment";
import type { RegistryId } from "../../backend/src/domain";
import { createRegistryAdapter, registryApiBaseUrl } from "../../backend/src/registry";
import { DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS } from "../../backend/src/registry/simulator";
import { nativeLockRecordSource } from "../../backend/src/oracle/lockRecords";
import { createOracleNode } from "../../backend/src/oracle/node";
import { startOracleNodeServer, type RunningOracleNodeServer } from "../../backend/src/oracle/server";

/** Registries the embedded oracle nodes attest for. */
export const ORACLE_REGISTRIES: readonly RegistryId[] = ["VERRA", "GOLD_STANDARD"];

export async function startOracleNodes(options: {
  keys: readonly Hex[];
  registryUrl: string;
  rpcUrl: string;
  deployment: Deployment;
}): Promise<RunningOracleNodeServer[]> {
  const { deployment, registryUrl } = options;
  const publicClient = publicClientFor(options.rpcUrl, deployment.chainId);
  const registries = Object.fromEntries(
    ORACLE_REGISTRIES.map((r) => [r, createRegistryAdapter(r, { baseUrl: registryApiBaseUrl(registryUrl, r), timeoutMs: 5_000 })]),
  );
  const custodyAccounts = Object.fromEntries(ORACLE_REGISTRIES.map((r) => [r, DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS[r]]));
  const servers: RunningOracleNodeServer[] = [];
  try {
    for (const key of options.keys) {
      const node = createOracleNode({
        account: privateKeyToAccount(key),
        registries,
        custodyAccounts,
        lockRecords: nativeLockRecordSource(registryUrl, { timeoutMs: 5_000 }),
        chainId: deployment.chainId,
        quorumAddress: deployment.contracts.quorum,
        readEpoch: () => publicClient.readContract({ address: deployment.contracts.quorum, abi: oracleQuorumAbi, functionName: "epoch" }),
        now: () => BigInt(Math.floor(Date.now() / 1000)),
      });
      servers.push(await startOracleNodeServer(node));
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    throw error;
  }
  return servers;
}
