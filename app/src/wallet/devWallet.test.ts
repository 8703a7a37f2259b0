/**
 * The development wallet against a real chain (in-process Hardhat over JSON-RPC): it signs what
 * viem verifies, sends transactions that confirm, and refuses to act for another account or chain.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWalletClient, custom, defineChain, parseEther, recoverTypedDataAddress, verifyMessage, type Chain } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { startTestChain, type TestChain } from "../../../backend/src/testing";
import { devWalletProvider } from "./devWallet";

let chain: TestChain;
let viemChain: Chain;

beforeAll(async () => {
  chain = await startTestChain();
  viemChain = defineChain({
    id: chain.chainId,
    name: "test",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  });
}, 120_000);

afterAll(async () => {
  await chain?.close();
});

describe("development wallet provider", () => {
  it("exposes exactly its own account and chain", async () => {
    const key = chain.accounts[5];
    const provider = devWalletProvider(key, viemChain, chain.rpcUrl);
    expect(await provider.request({ method: "eth_accounts" })).toEqual([]); // nothing before the person connects
    await expect(provider.request({ method: "personal_sign", params: ["0x00", privateKeyToAccount(key).address] })).rejects.toThrow(/connect/);
    expect(await provider.request({ method: "eth_requestAccounts" })).toEqual([privateKeyToAccount(key).address]);
    expect(await provider.request({ method: "eth_accounts" })).toEqual([privateKeyToAccount(key).address]);
    expect(await provider.request({ method: "eth_chainId" })).toBe(`0x${chain.chainId.toString(16)}`);
    await expect(provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: "0x1" }] })).rejects.toThrow(/serves chain 31337 only/);
  });

  it("signs Sign-In messages and EIP-712 orders that verify for its address", async () => {
    const key = chain.accounts[6];
    const address = privateKeyToAccount(key).address;
    const provider = devWalletProvider(key, viemChain, chain.rpcUrl);
    await provider.request({ method: "eth_requestAccounts" });
    const wallet = createWalletClient({ account: address, chain: viemChain, transport: custom(provider) });
    const message = "carbonclear.test wants you to sign in";
    const signature = await wallet.signMessage({ message });
    expect(await verifyMessage({ address, message, signature })).toBe(true);

    const typed = {
      domain: { name: "CarbonClear Settlement", version: "1", chainId: chain.chainId, verifyingContract: chain.deployment.contracts.escrow! },
      types: { Order: [{ name: "seller", type: "address" }, { name: "quantity", type: "uint64" }] },
      primaryType: "Order" as const,
      message: { seller: address, quantity: 5n },
    };
    const typedSignature = await wallet.signTypedData(typed);
    expect(await recoverTypedDataAddress({ ...typed, signature: typedSignature })).toBe(address);
  });

  it("sends transactions that confirm on the chain, and refuses to send for another account", async () => {
    const key = chain.accounts[7];
    const address = privateKeyToAccount(key).address;
    const provider = devWalletProvider(key, viemChain, chain.rpcUrl);
    await provider.request({ method: "eth_requestAccounts" });
    const wallet = createWalletClient({ account: address, chain: viemChain, transport: custom(provider) });
    const to = privateKeyToAccount(generatePrivateKey()).address;
    const hash = await wallet.sendTransaction({ to, value: parseEther("1.5") });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    expect(receipt.from.toLowerCase()).toBe(address.toLowerCase());
    expect(await chain.publicClient.getBalance({ address: to })).toBe(parseEther("1.5"));

    const other = privateKeyToAccount(chain.accounts[8]).address;
    await expect(provider.request({ method: "eth_sendTransaction", params: [{ from: other, to, value: "0x1" }] })).rejects.toThrow(
      `the development wallet holds ${address}, not ${other}`,
    );
    expect(await chain.publicClient.getBalance({ address: to })).toBe(parseEther("1.5"));
  });
});
