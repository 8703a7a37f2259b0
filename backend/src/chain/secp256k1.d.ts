/** The part of `secp256k1` (libsecp256k1 bindings, cryptocoinjs) this project uses; the package ships no types. */
declare module "secp256k1" {
  /** Signs a 32-byte digest (RFC 6979 nonce, low-s). */
  export function ecdsaSign(message: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  /** Recovers the public key (65 bytes uncompressed when `compressed` is false); throws on an invalid signature. */
  export function ecdsaRecover(signature: Uint8Array, recid: number, message: Uint8Array, compressed?: boolean): Uint8Array;
}
