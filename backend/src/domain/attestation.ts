/**
 * Oracle attestations: what M-of-N oracle nodes sign (EIP-712) before the chain acts on registry
 * or MRV facts. The signed struct of each kind is defined by the contract that consumes it; the
 * envelope below is how nodes exchange and aggregate signatures for any kind.
 */
import { z } from "zod";
import { bytes32Schema, uint64Schema } from "./encoding";
import { addressSchema } from "./retirement";

export const ATTESTATION_KINDS = [
  /** The registry locked a serial block in the platform custody account: mint it (RegistryBridge.tokenize, `TokenizeAttestation`). */
  "TOKENIZE",
  /** The registry accepted or rejected a redemption (RegistryBridge.finalizeRedemption, `RedemptionResult`). */
  "REDEMPTION_RESULT",
  /** The registry confirmed or rejected the registry-side retirement of an on-chain retirement. */
  "RETIREMENT_RESULT",
  /** An MRV dataset's Merkle root, recorded on-chain. */
  "MRV_DATASET",
] as const;
export const attestationKindSchema = z.enum(ATTESTATION_KINDS);
export type AttestationKind = z.infer<typeof attestationKindSchema>;

/** One node's EIP-712 signature (65 bytes r‖s‖v). */
export const attestationSignatureSchema = z.object({
  signer: addressSchema,
  signature: z
    .string()
    .regex(/^0x[0-9a-fA-F]{130}$/, { message: "must be a 65-byte signature (0x + 130 hex digits)" })
    .transform((value) => value.toLowerCase() as `0x${string}`),
});
export type AttestationSignature = z.output<typeof attestationSignatureSchema>;

/** An attestation being aggregated: its EIP-712 digest, the signer-set epoch, the deadline and the signatures so far. */
export const attestationEnvelopeSchema = z
  .object({
    kind: attestationKindSchema,
    /** EIP-712 digest every signer signed. */
    digest: bytes32Schema,
    signerEpoch: uint64Schema,
    /** Last unix second at which the attestation is valid. */
    deadline: uint64Schema,
    signatures: z.array(attestationSignatureSchema),
  })
  .superRefine((envelope, ctx) => {
    const signers = envelope.signatures.map((s) => s.signer.toLowerCase());
    if (new Set(signers).size !== signers.length) {
      ctx.addIssue({ code: "custom", path: ["signatures"], message: "a signer appears more than once" });
    }
  });
export type AttestationEnvelope = z.output<typeof attestationEnvelopeSchema>;

/**
 * The `signatures` bytes OracleQuorum.consume expects: 65-byte signatures concatenated, signers in
 * ascending address order.
 */
export function packSignatures(signatures: readonly AttestationSignature[]): `0x${string}` {
  const sorted = [...signatures].sort((a, b) => {
    const x = BigInt(a.signer);
    const y = BigInt(b.signer);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return `0x${sorted.map((s) => s.signature.slice(2)).join("")}`;
}
