/**
 * `GET /v1/platform`: what the dApp needs to find the chain and the contracts. On the embedded demo
 * platform it also hands out the development wallet's keys — Hardhat's public test keys, holding
 * nothing of value, and never offered when the platform runs against a configured RPC_URL.
 */
import type { Address, Hex } from "viem";
import { defineRoute, type ApiModule } from "../../backend/src/api/route";
import type { Deployment } from "../../backend/src/chain/deployment";

export interface PlatformInfo {
  chainId: number;
  rpcUrl: string;
  contracts: Record<"identity" | "quorum" | "credit" | "certificate" | "bridge" | "escrow" | "stablecoin", Address> & { mrv?: Address };
  devWallet?: { accounts: { label: string; privateKey: Hex }[] };
}

export function platformInfo(deployment: Deployment, rpcUrl: string, devAccounts?: { label: string; privateKey: Hex }[]): PlatformInfo {
  const { escrow, stablecoin, identity, quorum, credit, certificate, bridge, mrv } = deployment.contracts;
  if (escrow === undefined || stablecoin === undefined) {
    throw new Error("the deployment has no settlement escrow / stablecoin: the dApp needs both (deploy with settlement)");
  }
  return {
    chainId: deployment.chainId,
    rpcUrl,
    contracts: { identity, quorum, credit, certificate, bridge, escrow, stablecoin, mrv },
    devWallet: devAccounts === undefined ? undefined : { accounts: devAccounts },
  };
}

export function platformInfoApi(info: PlatformInfo): ApiModule {
  return {
    name: "platform",
    routes: [
      defineRoute({
        method: "get",
        path: "/v1/platform",
        access: "public",
        summary: "Chain, contract addresses (and on the embedded demo only, the development wallet) for the dApp",
        handler: async () => info,
      }),
    ],
  };
}
