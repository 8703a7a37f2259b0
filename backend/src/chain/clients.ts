/**
 * viem clients for the ledger: a public client for reads and event logs, and wallet clients for
 * the keys a process holds (an oracle node's signer, the submitter, compliance). No global state:
 * every caller passes the RPC URL and deployment it works with.
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getContract,
  http,
  type Account,
  type Chain,
  type MulticallParameters,
  type MulticallReturnType,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import {
  carbonCreditAbi,
  identityRegistryAbi,
  oracleQuorumAbi,
  registryBridgeAbi,
  retirementCertificateAbi,
} from "./abis";
import { nativeSigningAccount } from "./signing";
import type { Deployment } from "./deployment";

/** A chain definition for `chainId` served at `rpcUrl` (Hardhat's 31337 by default). */
export function chainFor(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: chainId === 31337 ? "Hardhat" : `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export function publicClientFor(rpcUrl: string, chainId: number): PublicClient<Transport, Chain> {
  // Reads issued in the same tick (e.g. one per attestation of a batch) travel as one JSON-RPC batch.
  return createPublicClient({
    chain: chainFor(chainId, rpcUrl),
    transport: http(rpcUrl, { retryCount: 2, batch: { batchSize: 200, wait: 0 } }),
    pollingInterval: 250,
  });
}

/**
 * Many view calls in one `eth_call`: a deployless Multicall3 (nothing needs deploying on the
 * chain), every call in the one request (`batchSize: 0`), and any failing call fails the read.
 * @returns each call's result, in order.
 */
export function readAllAtOnce<const contracts extends readonly unknown[]>(
  client: PublicClient,
  contracts: MulticallParameters<contracts, false>["contracts"],
): Promise<MulticallReturnType<contracts, false>> {
  return client.multicall({ contracts, allowFailure: false, deployless: true, batchSize: 0 });
}

/** A wallet client on `rpcUrl`; a private key becomes a local account that signs in native code (`nativeSigningAccount`). */
export function walletClientFor(
  rpcUrl: string,
  chainId: number,
  account: Account | `0x${string}`,
): WalletClient<Transport, Chain, Account> {
  const acct = typeof account === "string" ? nativeSigningAccount(account) : account;
  return createWalletClient({ account: acct, chain: chainFor(chainId, rpcUrl), transport: http(rpcUrl) });
}

/** Typed read-only handles on the deployed ledger contracts. */
export function ledgerContracts(client: PublicClient<Transport, Chain>, deployment: Deployment) {
  const c = deployment.contracts;
  return {
    identity: getContract({ address: c.identity, abi: identityRegistryAbi, client }),
    quorum: getContract({ address: c.quorum, abi: oracleQuorumAbi, client }),
    credit: getContract({ address: c.credit, abi: carbonCreditAbi, client }),
    certificate: getContract({ address: c.certificate, abi: retirementCertificateAbi, client }),
    bridge: getContract({ address: c.bridge, abi: registryBridgeAbi, client }),
  };
}

export type LedgerContracts = ReturnType<typeof ledgerContracts>;
