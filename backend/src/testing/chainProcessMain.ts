/**
 * Entry point of {@link startTestChainProcess}'s child: starts a test chain with the options in
 * argv[2] (JSON), reports it to the parent over IPC, and serves until it is told to stop. With
 * argv[3] = `restart-without-huge-pages`, it exits at once (code 75) when EDR's arena did not get
 * huge pages.
 */
import { CHAIN_PROCESS_RESTART, type ChainProcessReady } from "./chainProcess";
import { edrArenaPages } from "./edrTuning";
import { loadEdr } from "./hardhat";
import { startTestChain, type StartTestChainOptions } from "./testChain";

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as StartTestChainOptions;
  // An EVM arena on 4 KiB pages runs EDR several times slower (edrTuning.ts): when the parent
  // allows it, ask for a fresh process instead, before any work is done here.
  loadEdr();
  const arenaPages = edrArenaPages();
  if (process.argv[3] === CHAIN_PROCESS_RESTART.argument && arenaPages === "regular") process.exit(CHAIN_PROCESS_RESTART.exitCode);
  const chain = await startTestChain(options);
  const ready: ChainProcessReady = {
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    deployment: chain.deployment,
    accounts: chain.accounts,
    oracleKeys: chain.oracleKeys,
    threshold: chain.threshold,
    arenaPages,
  };
  const stop = () => {
    void chain.close().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("disconnect", stop);
  process.send?.(ready);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
