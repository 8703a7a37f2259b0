/**
 * ECDSA over secp256k1 for the oracle's hot path, in native code (libsecp256k1 through the
 * `secp256k1` bindings): an oracle node signs and the aggregator checks one signature per
 * attestation, thousands a second under load, where viem's pure-JavaScript curve arithmetic costs
 * 1-2.5 ms each on this machine and libsecp256k1 about 0.1 ms.
 *
 * Same answers as viem (property-tested): the same deterministic RFC 6979 signatures, the same
 * recovered addresses; and recovery refuses what OpenZeppelin's `ECDSA.recover` refuses on-chain
 * (high-s, v other than 27/28), so a signature accepted here is accepted by `OracleQuorum`.
 */
import secp256k1 from "secp256k1";
import {
  bytesToHex,
  getAddress,
  hashTypedData,
  hexToBytes,
  parseSignature,
  serializeTransaction,
  type Address,
  type Hash,
  type Hex,
  type PrivateKeyAccount,
  type TransactionSerializable,
  type TypedDataDefinition,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { keccak256Bytes, keccak256Hex } from "./keccak";

/** Half the curve order: OpenZeppelin's ECDSA rejects `s` above it (signature malleability). */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Signs a 32-byte digest; @returns r ‖ s ‖ v (65 bytes, v = 27 or 28), as viem's `sign` serializes it. */
export function signDigest(privateKey: Hex, digest: Hash): Hex {
  const { signature, recid } = secp256k1.ecdsaSign(hexToBytes(digest), hexToBytes(privateKey));
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return bytesToHex(out);
}

/** Why {@link recoverDigestSigner} refused a signature. */
export class InvalidSignatureError extends Error {
  override readonly name = "InvalidSignatureError";
}

/**
 * The address that signed `digest`, checked as `ECDSA.recover` checks it.
 * @throws InvalidSignatureError for a signature that is not 65 bytes, has v other than 27/28,
 * a high s, or recovers to no key.
 */
export function recoverDigestSigner(digest: Hash, signature: Hex): Address {
  const bytes = hexToBytes(signature);
  if (bytes.length !== 65) throw new InvalidSignatureError(`a signature is 65 bytes, got ${bytes.length}`);
  const v = bytes[64];
  if (v !== 27 && v !== 28) throw new InvalidSignatureError(`v must be 27 or 28, got ${v}`);
  const s = BigInt(bytesToHex(bytes.subarray(32, 64)));
  if (s > HALF_ORDER) throw new InvalidSignatureError("s is in the upper half of the curve order (malleable signature)");
  let publicKey: Uint8Array;
  try {
    publicKey = secp256k1.ecdsaRecover(bytes.subarray(0, 64), v - 27, hexToBytes(digest), false);
  } catch (error) {
    throw new InvalidSignatureError(`no public key recovers from this signature: ${(error as Error).message}`);
  }
  // The address: the last 20 bytes of keccak256 over the key's 64 coordinate bytes.
  return getAddress(bytesToHex(keccak256Bytes(publicKey.subarray(1)).subarray(12)));
}

/**
 * viem's `privateKeyToAccount`, with `sign`, `signTypedData` and `signTransaction` in native code
 * (see the module comment; a transaction's keccak256 through `keccak.ts`, since a batch of
 * attestations makes a transaction of tens of kilobytes); everything else (messages,
 * authorizations) is viem's own. `signTransaction` is viem's, step for step: hash the serialized
 * transaction (an EIP-4844 one without its sidecars), sign, serialize with the signature.
 */
export function nativeSigningAccount(privateKey: Hex): PrivateKeyAccount {
  const account = privateKeyToAccount(privateKey);
  const signTransaction = async (transaction: TransactionSerializable, options?: { serializer?: typeof serializeTransaction }): Promise<Hex> => {
    const serializer = options?.serializer ?? serializeTransaction;
    const signable = transaction.type === "eip4844" ? { ...transaction, sidecars: false as const } : transaction;
    const signature = parseSignature(signDigest(privateKey, keccak256Hex(await serializer(signable))));
    return serializer(transaction, signature);
  };
  return {
    ...account,
    sign: async ({ hash }) => signDigest(privateKey, hash),
    signTypedData: async (typedData) => signDigest(privateKey, hashTypedData(typedData as TypedDataDefinition)),
    signTransaction: signTransaction as PrivateKeyAccount["signTransaction"],
  };
}
