/**
 * The demo's development wallet: an EIP-1193 provider over one of the platform's seeded
 * development keys (Hardhat's public test keys — never real funds). It signs locally with viem and
 * forwards reads to the chain's JSON-RPC endpoint, so the dApp drives it exactly like an injected
 * browser wallet. Demo only: the platform offers these keys only when it runs on embedded defaults.
 */
import {
  createWalletClient,
  http,
  numberToHex,
  type Chain,
  type EIP1193Provider,
  type Hex,
  type TransactionRequest,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

type Listener = (...args: unknown[]) => void;

interface RpcTransaction {
  from?: Hex;
  to?: Hex;
  data?: Hex;
  value?: Hex;
  gas?: Hex;
  nonce?: Hex;
}

export function devWalletProvider(privateKey: Hex, chain: Chain, rpcUrl: string): EIP1193Provider {
  const account = privateKeyToAccount(privateKey);
  const client = createWalletClient({ account, chain, transport: http(rpcUrl) });
  const listeners = new Map<string, Set<Listener>>();
  // Like a browser wallet, the account is exposed only after the person connects (eth_requestAccounts).
  let connected = false;

  const request = async ({ method, params }: { method: string; params?: unknown }): Promise<unknown> => {
    const p = (params ?? []) as unknown[];
    switch (method) {
      case "eth_requestAccounts":
        connected = true;
        return [account.address];
      case "eth_accounts":
        return connected ? [account.address] : [];
      case "eth_chainId":
        return numberToHex(chain.id);
      case "wallet_switchEthereumChain": {
        const wanted = Number((p[0] as { chainId: Hex }).chainId);
        if (wanted !== chain.id) throw Object.assign(new Error(`the development wallet serves chain ${chain.id} only`), { code: 4902 });
        return null;
      }
      case "wallet_requestPermissions":
        connected = true;
        return [{ parentCapability: "eth_accounts" }];
      case "wallet_getPermissions":
        return connected ? [{ parentCapability: "eth_accounts" }] : [];
      case "wallet_revokePermissions":
        connected = false;
        return null;
      case "personal_sign":
        if (!connected) throw Object.assign(new Error("connect the development wallet first"), { code: 4100 });
        return account.signMessage({ message: { raw: p[0] as Hex } });
      case "eth_signTypedData_v4": {
        if (!connected) throw Object.assign(new Error("connect the development wallet first"), { code: 4100 });
        const typed = typeof p[1] === "string" ? JSON.parse(p[1]) : p[1];
        const { EIP712Domain: _domain, ...types } = typed.types;
        return account.signTypedData({ domain: typed.domain, types, primaryType: typed.primaryType, message: typed.message });
      }
      case "eth_sendTransaction": {
        if (!connected) throw Object.assign(new Error("connect the development wallet first"), { code: 4100 });
        const tx = p[0] as RpcTransaction;
        if (tx.from !== undefined && tx.from.toLowerCase() !== account.address.toLowerCase()) {
          throw Object.assign(new Error(`the development wallet holds ${account.address}, not ${tx.from}`), { code: 4100 });
        }
        const request: TransactionRequest = {
          to: tx.to,
          data: tx.data,
          value: tx.value === undefined ? undefined : BigInt(tx.value),
          gas: tx.gas === undefined ? undefined : BigInt(tx.gas),
        };
        return client.sendTransaction({ ...request, account, chain } as Parameters<typeof client.sendTransaction>[0]);
      }
      default:
        return client.request({ method, params } as never);
    }
  };

  return {
    request,
    on(event: string, listener: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
    },
    removeListener(event: string, listener: Listener) {
      listeners.get(event)?.delete(listener);
    },
  } as unknown as EIP1193Provider;
}
