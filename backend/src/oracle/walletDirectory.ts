/**
 * Wallet directories for oracle nodes: where a node learns the registry accounts of a trade's
 * seller and buyer. A node checks every answer against the chain (see `node.ts`), so a directory
 * only has to be available, not trusted.
 */
import { recoverMessageAddress, type Address, type Hex, type LocalAccount, type PublicClient } from "viem";
import { z } from "zod";
import { oracleQuorumAbi } from "../chain/abis";
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

/**
 * The route answers oracle signers only (a wallet's registry accounts can name the company behind
 * it): a node signs this text (EIP-191) with its quorum key and sends the signature, its address and
 * the time in the `x-oracle-*` headers; the API recovers the signer and asks the OracleQuorum
 * whether it is in the current signer set.
 */
export function walletDirectoryMessage(wallet: Address, chainId: number, issuedAt: number): string {
  return `CarbonClear oracle node reads the registry accounts of ${wallet.toLowerCase()} on chain ${chainId} at ${issuedAt}`;
}

/** How far (seconds) a directory request's time may be from the API's clock. */
export const WALLET_DIRECTORY_MAX_SKEW_SECONDS = 60;

export const WALLET_DIRECTORY_HEADERS = { signer: "x-oracle-signer", issuedAt: "x-oracle-issued-at", signature: "x-oracle-signature" } as const;

/** Why a directory request is not from a current oracle signer, or undefined when it is. */
export async function walletDirectoryCallerError(
  request: { wallet: Address; headers: Record<string, string | string[] | undefined> },
  chain: { publicClient: PublicClient; chainId: number; quorum: Address; now: () => number },
): Promise<{ status: 401 | 403; message: string } | undefined> {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return typeof value === "string" ? value : undefined;
  };
  const signer = header(WALLET_DIRECTORY_HEADERS.signer);
  const issued = header(WALLET_DIRECTORY_HEADERS.issuedAt);
  const signature = header(WALLET_DIRECTORY_HEADERS.signature);
  if (signer === undefined || issued === undefined || signature === undefined) {
    return { status: 401, message: `oracle nodes only: send ${Object.values(WALLET_DIRECTORY_HEADERS).join(", ")}` };
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(signer)) return { status: 401, message: `${WALLET_DIRECTORY_HEADERS.signer} must be a 20-byte 0x address` };
  if (!/^[0-9]{1,12}$/.test(issued)) return { status: 401, message: `${WALLET_DIRECTORY_HEADERS.issuedAt} must be unix seconds` };
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return { status: 401, message: `${WALLET_DIRECTORY_HEADERS.signature} must be a 65-byte 0x signature` };
  const issuedAt = Number(issued);
  if (Math.abs(chain.now() - issuedAt) > WALLET_DIRECTORY_MAX_SKEW_SECONDS) {
    return { status: 401, message: `${WALLET_DIRECTORY_HEADERS.issuedAt} ${issuedAt} is more than ${WALLET_DIRECTORY_MAX_SKEW_SECONDS} s from now` };
  }
  let recovered: Address;
  try {
    recovered = await recoverMessageAddress({ message: walletDirectoryMessage(request.wallet, chain.chainId, issuedAt), signature: signature as Hex });
  } catch {
    return { status: 401, message: `${WALLET_DIRECTORY_HEADERS.signature} is not a valid signature` };
  }
  if (recovered.toLowerCase() !== signer.toLowerCase()) {
    return { status: 401, message: `${WALLET_DIRECTORY_HEADERS.signature} was not made by ${signer} for this wallet, chain and time` };
  }
  const isSigner = await chain.publicClient.readContract({ address: chain.quorum, abi: oracleQuorumAbi, functionName: "isSigner", args: [recovered] });
  if (!isSigner) return { status: 403, message: `${recovered} is not in the oracle quorum's current signer set` };
  return undefined;
}

export interface HttpWalletDirectoryOptions {
  /** The platform API's base URL (`PLATFORM_API_URL`). */
  readonly apiUrl: string;
  /** The node's quorum key: the API answers current oracle signers only. */
  readonly account: LocalAccount;
  readonly chainId: number;
  /** Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Unix seconds (default: the clock). */
  readonly now?: () => number;
}

/**
 * Reads the platform API's `GET /v1/wallets/:address/registry-accounts` (node processes, `npm run
 * oracle:node`): null on its 404 WALLET_UNKNOWN, the list on 200; anything else throws (the node answers unavailable).
 */
export function httpWalletDirectory(options: HttpWalletDirectoryOptions): WalletRegistryAccounts {
  const base = options.apiUrl.replace(/\/+$/, "");
  return async (wallet: Address) => {
    const url = `${base}/v1/wallets/${wallet.toLowerCase()}/registry-accounts`;
    const issuedAt = options.now?.() ?? Math.floor(Date.now() / 1000);
    const signature = await options.account.signMessage({ message: walletDirectoryMessage(wallet, options.chainId, issuedAt) });
    const response = await fetch(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      headers: {
        [WALLET_DIRECTORY_HEADERS.signer]: options.account.address,
        [WALLET_DIRECTORY_HEADERS.issuedAt]: String(issuedAt),
        [WALLET_DIRECTORY_HEADERS.signature]: signature,
      },
    });
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
