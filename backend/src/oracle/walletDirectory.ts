/**
 * Wallet directories for oracle nodes: where a node learns the registry accounts of a trade's
 * seller and buyer. A node checks every answer against the chain (see `node.ts`), so a directory
 * only has to be available, not trusted.
 */
import type { Address } from "viem";
import { z } from "zod";
import type { Queryable } from "../db";
import { registryAccountsOfWallet } from "../onboarding/workflow/wallet-accounts";
import { AttestationRefusedError } from "./errors";
import type { WalletRegistryAccounts } from "./node";

/** Reads the platform database (in-process nodes: `startSyncPlatform`, `npm start`). */
export function databaseWalletDirectory(db: Queryable): WalletRegistryAccounts {
  return (wallet) => registryAccountsOfWallet(db, wallet);
}

/** The error code of the route's 404 for a wallet the platform wrote no confirmed identity for. */
export const WALLET_UNKNOWN = "WALLET_UNKNOWN";

/**
 * For a node without a directory (e.g. a node process without PLATFORM_API_URL, as `bench:sync`
 * runs them for tokenization only): every trade confirmation is refused ACCOUNTS_UNVERIFIED, saying why.
 */
export function unconfiguredWalletDirectory(why: string): WalletRegistryAccounts {
  return async (wallet) => {
    throw new AttestationRefusedError("ACCOUNTS_UNVERIFIED", `cannot verify the registry accounts of ${wallet}: ${why}`);
  };
}

/** The answer of `GET /v1/wallets/:address/registry-accounts`. */
export const walletRegistryAccountsSchema = z.object({
  wallet: z.string().regex(/^0x[0-9a-f]{40}$/),
  registryAccounts: z.array(z.string().min(1)),
});
export type WalletRegistryAccountsBody = z.infer<typeof walletRegistryAccountsSchema>;

export interface HttpWalletDirectoryOptions {
  /** The platform API's base URL (`PLATFORM_API_URL`). */
  readonly apiUrl: string;
  /** Default 5 000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Reads the platform API's `GET /v1/wallets/:address/registry-accounts` (node processes, `npm run
 * oracle:node`): null on its 404 WALLET_UNKNOWN, the list on 200; anything else throws (the node answers unavailable).
 */
export function httpWalletDirectory(options: HttpWalletDirectoryOptions): WalletRegistryAccounts {
  const base = options.apiUrl.replace(/\/+$/, "");
  return async (wallet: Address) => {
    const url = `${base}/v1/wallets/${wallet.toLowerCase()}/registry-accounts`;
    const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
    if (response.status === 404) {
      // Only the route's own "no such wallet" means the platform knows none; any other 404 (an API
      // without the route, a wrong base URL) is a misconfiguration, not a verdict.
      const error = (await response.json().catch(() => undefined)) as { error?: { code?: unknown } } | undefined;
      if (error?.error?.code === WALLET_UNKNOWN) return null;
      throw new Error(`GET ${url} answered HTTP 404 (${String(error?.error?.code ?? "no error code")}); is PLATFORM_API_URL the platform API?`);
    }
    if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
    const body = walletRegistryAccountsSchema.safeParse(await response.json());
    if (!body.success) throw new Error(`GET ${url} answered an unexpected body: ${body.error.message}`);
    if (body.data.wallet !== wallet.toLowerCase()) throw new Error(`GET ${url} answered for wallet ${body.data.wallet}`);
    return body.data.registryAccounts;
  };
}
