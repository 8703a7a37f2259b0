import fc from "fast-check";
import { bytesToHex, hexToBytes, recoverAddress, recoverTransactionAddress, type Hex, type TransactionSerializable } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { InvalidSignatureError, nativeSigningAccount, recoverDigestSigner, signDigest } from "./signing";

const ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const privateKeys = fc.bigInt({ min: 1n, max: ORDER - 1n }).map((k) => `0x${k.toString(16).padStart(64, "0")}` as Hex);
const digests = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b));

describe("native secp256k1 signing", () => {
  it("signs exactly as viem does and recovers the address viem recovers", async () => {
    await fc.assert(
      fc.asyncProperty(privateKeys, digests, async (key, digest) => {
        const native = signDigest(key, digest);
        expect(native).toBe(await sign({ hash: digest, privateKey: key, to: "hex" }));
        expect(recoverDigestSigner(digest, native)).toBe(await recoverAddress({ hash: digest, signature: native }));
        expect(recoverDigestSigner(digest, native)).toBe(privateKeyToAccount(key).address);
      }),
      { numRuns: 200 },
    );
  });

  it("signs typed data as viem's account does", async () => {
    const key = `0x${"42".repeat(32)}` as Hex;
    const typedData = {
      domain: { name: "OracleQuorum", version: "1", chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" },
      types: { Ping: [{ name: "value", type: "uint256" }, { name: "note", type: "string" }] },
      primaryType: "Ping",
      message: { value: 7n, note: "hello" },
    } as const;
    expect(await nativeSigningAccount(key).signTypedData(typedData)).toBe(await privateKeyToAccount(key).signTypedData(typedData));
    expect(nativeSigningAccount(key).address).toBe(privateKeyToAccount(key).address);
  });

  it("signs transactions exactly as viem's account does (legacy, EIP-2930, EIP-1559; large calldata)", async () => {
    const transactions = fc.record({
      nonce: fc.nat({ max: 1_000_000 }),
      gas: fc.bigInt({ min: 21_000n, max: 30_000_000n }),
      fee: fc.bigInt({ min: 1n, max: 10n ** 12n }),
      data: fc.uint8Array({ maxLength: 40_000 }).map((b) => bytesToHex(b)),
      type: fc.constantFrom("legacy", "eip2930", "eip1559"),
    });
    await fc.assert(
      fc.asyncProperty(privateKeys, transactions, async (key, { nonce, gas, fee, data, type }) => {
        const to = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        const transaction: TransactionSerializable =
          type === "eip1559"
            ? { type, chainId: 31337, nonce, gas, to, data, maxFeePerGas: fee * 2n, maxPriorityFeePerGas: fee }
            : { type, chainId: 31337, nonce, gas, to, data, gasPrice: fee };
        const signed = await nativeSigningAccount(key).signTransaction(transaction);
        expect(signed).toBe(await privateKeyToAccount(key).signTransaction(transaction));
        expect(await recoverTransactionAddress({ serializedTransaction: signed as never })).toBe(privateKeyToAccount(key).address);
      }),
      { numRuns: 40 },
    );
  });

  it("refuses what OpenZeppelin's ECDSA.recover refuses: high s, v other than 27/28, wrong length", () => {
    const key = `0x${"07".repeat(32)}` as Hex;
    const digest = `0x${"ab".repeat(32)}` as Hex;
    const good = hexToBytes(signDigest(key, digest));
    // The malleable twin (r, n - s, flipped v) recovers to the same key, and ECDSA.recover refuses it.
    const twin = new Uint8Array(good);
    const s = BigInt(bytesToHex(good.subarray(32, 64)));
    twin.set(hexToBytes(`0x${(ORDER - s).toString(16).padStart(64, "0")}`), 32);
    twin[64] = good[64] === 27 ? 28 : 27;
    expect(() => recoverDigestSigner(digest, bytesToHex(twin))).toThrow(/upper half/);
    const badV = new Uint8Array(good);
    badV[64] = 1;
    expect(() => recoverDigestSigner(digest, bytesToHex(badV))).toThrow(/v must be 27 or 28, got 1/);
    expect(() => recoverDigestSigner(digest, bytesToHex(good.subarray(0, 64)))).toThrow(InvalidSignatureError);
    // r = 0 recovers to no key.
    const zeroR = new Uint8Array(good);
    zeroR.fill(0, 0, 32);
    expect(() => recoverDigestSigner(digest, bytesToHex(zeroR))).toThrow(/no public key/);
  });
});
