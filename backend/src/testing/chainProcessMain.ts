/**
 * Entry point of {@link startTestChainProcess}'s child: starts a test chain with the options in
 * argv[2] (JSON), reports it to the parent over IPC, and serves until it is told to stop.
 */
import type { ChainProcessReady } from "./chainProcess";
import { startTestChain, type StartTestChainOptions } from "./testChain";

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as StartTestChainOptions;
  const chain = await startTestChain(options);
  const ready: ChainProcessReady = {
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    deployment: chain.deployment,
    accounts: chain.accounts,
    oracleKeys: chain.oracleKeys,
    threshold: chain.threshold,
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
