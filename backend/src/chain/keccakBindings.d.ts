/** The part of `keccak` (native Keccak bindings, cryptocoinjs) this project uses; the package ships no types. */
declare module "keccak" {
  interface KeccakHash {
    update(data: Buffer): KeccakHash;
    digest(): Buffer;
  }
  /** A fresh hash state; "keccak256" is Ethereum's Keccak-256 (not NIST SHA3-256). */
  export default function createKeccak(algorithm: "keccak256"): KeccakHash;
}
