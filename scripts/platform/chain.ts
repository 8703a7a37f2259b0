/**
 * The embedded chain of `npm start`: Hardhat's in-process EVM, served over JSON-RPC on localhost
 * so the oracle nodes, the backend and the browser reach it like any EVM node.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { JsonRpcServer } from "hardhat/internal/hardhat-network/jsonrpc/server";

export interface EmbeddedChain {
  rpcUrl: string;
  chainId: number;
  close(): Promise<void>;
}

/** Serves `hre.network.provider` (must be the in-process `hardhat` network) on 127.0.0.1:`port`. */
export async function serveEmbeddedChain(hre: HardhatRuntimeEnvironment, port: number): Promise<EmbeddedChain> {
  if (hre.network.name !== "hardhat") {
    throw new Error(`the embedded chain needs the in-process "hardhat" network, not "${hre.network.name}"`);
  }
  const server = new JsonRpcServer({ hostname: "127.0.0.1", port, provider: hre.network.provider });
  const { address, port: actualPort } = await server.listen();
  const chainId = Number(await hre.network.provider.request({ method: "eth_chainId" }));
  return {
    rpcUrl: `http://${address}:${actualPort}`,
    chainId,
    close: () => server.close(),
  };
}
