/**
 * The claim attached to a retirement, and its on-chain form `ICarbonCredit.RetirementClaim`.
 * Exactly one of `beneficiaryName` and `beneficiaryCommitment` (a hash commitment, for private
 * retirements) is set, as the contract requires.
 */
import { getAddress, isAddress, zeroAddress } from "viem";
import { z } from "zod";
import { countryCodeSchema } from "./countries";
import { isoDateSchema, toYyyymmdd } from "./dates";
import { bytes32Schema, countryToBytes2, utf8Length, ZERO_BYTES32, type Hex } from "./encoding";
import { parseOrThrow } from "./validation";

/** Longest free text the contract accepts (name, reason), in UTF-8 bytes. */
export const MAX_CLAIM_TEXT_BYTES = 512;

const claimText = z.string().refine((value) => utf8Length(value) <= MAX_CLAIM_TEXT_BYTES, {
  message: `must be at most ${MAX_CLAIM_TEXT_BYTES} UTF-8 bytes`,
});

export const addressSchema = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), { message: "must be a 20-byte 0x address" })
  .transform((value) => getAddress(value));

export const retirementClaimSchema = z
  .object({
    /** Receives the certificate; null = the holder. */
    beneficiary: addressSchema.nullable().default(null),
    beneficiaryName: claimText.nullable().default(null),
    beneficiaryCommitment: bytes32Schema.nullable().default(null),
    reason: claimText.refine((value) => value.trim() !== "", { message: "must not be empty" }),
    /** Reporting period the retirement is claimed against. */
    periodStart: isoDateSchema,
    periodEnd: isoDateSchema,
    consumptionCountry: countryCodeSchema,
  })
  .superRefine((claim, ctx) => {
    const named = claim.beneficiaryName !== null && claim.beneficiaryName !== "";
    const committed = claim.beneficiaryCommitment !== null && claim.beneficiaryCommitment !== ZERO_BYTES32;
    if (named === committed) {
      ctx.addIssue({
        code: "custom",
        path: ["beneficiary"],
        message: "exactly one of beneficiaryName and beneficiaryCommitment must be set",
      });
    }
    if (claim.periodEnd < claim.periodStart) {
      ctx.addIssue({ code: "custom", path: ["period"], message: `periodEnd ${claim.periodEnd} is before periodStart ${claim.periodStart}` });
    }
  });

export type RetirementClaim = z.output<typeof retirementClaimSchema>;
export type RetirementClaimInput = z.input<typeof retirementClaimSchema>;

/** `ICarbonCredit.RetirementClaim` with viem's types. */
export interface RetirementClaimTuple {
  readonly beneficiary: Hex;
  readonly beneficiaryName: string;
  readonly beneficiaryCommitment: Hex;
  readonly reason: string;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly consumptionCountry: Hex;
}

export function parseRetirementClaim(input: RetirementClaimInput): RetirementClaim {
  return parseOrThrow("retirement claim", retirementClaimSchema, input);
}

/**
 * The exact on-chain `RetirementClaim` tuple.
 * @throws DomainValidationError naming the field (contract names: beneficiary, reason, period, …).
 */
export function toRetirementClaimTuple(input: RetirementClaimInput): RetirementClaimTuple {
  const claim = parseRetirementClaim(input);
  return {
    beneficiary: claim.beneficiary ?? zeroAddress,
    beneficiaryName: claim.beneficiaryName ?? "",
    beneficiaryCommitment: claim.beneficiaryCommitment ?? ZERO_BYTES32,
    reason: claim.reason,
    periodStart: toYyyymmdd(claim.periodStart),
    periodEnd: toYyyymmdd(claim.periodEnd),
    consumptionCountry: countryToBytes2(claim.consumptionCountry),
  };
}
