/**
 * The signed-in person: connected wallet (wagmi), Sign-In with Ethereum session against the API,
 * and the clients every page uses. One React context, no global state.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { useConnection, usePublicClient, useWalletClient } from "wagmi";
import { createSiweMessage } from "viem/siwe";
import type { Address, PublicClient, WalletClient } from "viem";
import { createApi, type Api } from "./api";
import type { PlatformInfo } from "./platform";

export interface SessionState {
  info: PlatformInfo;
  api: Api;
  address?: Address;
  signedIn: boolean;
  roles: readonly string[];
  publicClient: PublicClient;
  walletClient?: WalletClient;
  signIn(): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

interface StoredSession {
  token: string;
  address: Address;
  roles: string[];
  expiresAt: string;
}

const storageKey = (address: string) => `carbonclear.session.${address.toLowerCase()}`;

function readStored(address: Address | undefined): StoredSession | undefined {
  if (address === undefined) return undefined;
  const raw = sessionStorage.getItem(storageKey(address));
  if (raw === null) return undefined;
  const stored = JSON.parse(raw) as StoredSession;
  return new Date(stored.expiresAt).getTime() > Date.now() ? stored : undefined;
}

export function SessionProvider({ info, children }: { info: PlatformInfo; children: ReactNode }) {
  const { address } = useConnection();
  const publicClient = usePublicClient() as PublicClient;
  const { data: walletClient } = useWalletClient();
  const [version, setVersion] = useState(0);
  const stored = useMemo(() => readStored(address), [address, version]);
  const api = useMemo(() => createApi("", () => stored?.token), [stored]);

  const signIn = useCallback(async () => {
    if (address === undefined || walletClient === undefined) throw new Error("Connect a wallet first.");
    const { nonce } = await api.post<{ nonce: string }>("/v1/auth/nonce");
    const message = createSiweMessage({
      domain: window.location.host,
      address,
      statement: "Sign in to CarbonClear.",
      uri: window.location.origin,
      version: "1",
      chainId: info.chainId,
      nonce,
      issuedAt: new Date(),
      expirationTime: new Date(Date.now() + 12 * 3600_000),
    });
    const signature = await walletClient.signMessage({ account: address, message });
    const session = await api.post<StoredSession>("/v1/auth/verify", { message, signature });
    sessionStorage.setItem(storageKey(address), JSON.stringify(session));
    setVersion((v) => v + 1);
  }, [address, walletClient, api, info.chainId]);

  const signOut = useCallback(async () => {
    if (address === undefined) return;
    try {
      if (stored !== undefined) await api.post("/v1/auth/logout");
    } finally {
      sessionStorage.removeItem(storageKey(address));
      setVersion((v) => v + 1);
    }
  }, [address, api, stored]);

  const value: SessionState = {
    info,
    api,
    address,
    signedIn: stored !== undefined,
    roles: stored?.roles ?? [],
    publicClient,
    walletClient,
    signIn,
    signOut,
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error("useSession outside SessionProvider");
  return session;
}
