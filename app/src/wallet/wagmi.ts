/** wagmi configuration for the platform's chain: an injected browser wallet and, in the demo, the development wallet. */
import { createConfig, http, injected, type Config } from "wagmi";
import { defineChain, type Chain } from "viem";
import type { PlatformInfo } from "../platform";
import { devWalletProvider } from "./devWallet";

export const DEV_WALLET_LABEL = "development wallet — demo only";

export function platformChain(info: PlatformInfo): Chain {
  return defineChain({
    id: info.chainId,
    name: info.chainId === 31337 ? "CarbonClear local chain" : `chain ${info.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [info.rpcUrl] } },
  });
}

export function createWagmiConfig(info: PlatformInfo): Config {
  const chain = platformChain(info);
  const devConnectors = (info.devWallet?.accounts ?? []).map((account, i) =>
    injected({
      shimDisconnect: true,
      target: {
        id: `dev-wallet-${i}`,
        name: `${account.label} (${DEV_WALLET_LABEL})`,
        provider: devWalletProvider(account.privateKey, chain, info.rpcUrl) as never,
      },
    }),
  );
  return createConfig({
    chains: [chain],
    connectors: [injected({ shimDisconnect: true }), ...devConnectors],
    transports: { [chain.id]: http(info.rpcUrl) },
    multiInjectedProviderDiscovery: false,
  });
}
