/**
 * JSON shapes between the aggregator and the oracle nodes' HTTP API: bigints as decimal strings,
 * hex as 0x strings. Both sides validate with these schemas.
 */
import type { Hex } from "viem";
import { z } from "zod";
import type { AttestationMessages } from "../chain/eip712";
import { addressSchema, bytes32Schema, registryIdSchema, uint256StringSchema, uintStringSchema } from "../domain";
import type { SignedAttestation } from "./node";

/** Routes of an oracle node's HTTP API (`server.ts`). */
export const ORACLE_API_PATHS = { attest: "/v1/attestations", attestBatch: "/v1/attestations/batch", health: "/health", metrics: "/metrics" } as const;

/** Most requests in one batch (the node's `MAX_ATTEST_BATCH`). */
export const ATTEST_BATCH_LIMIT = 500;

const hexSchema = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), { message: `must be ${bytes} bytes of 0x hex` })
    .transform((value) => value.toLowerCase() as Hex);
const uintSchema = uintStringSchema.transform((value) => BigInt(value));
/** Token, certificate and redemption ids are uint256. */
const uint256Schema = uint256StringSchema.transform((value) => BigInt(value));
const smallUintSchema = z.number().int().min(0).max(0xffffffff);

export const attestationRequestSchema = z.strictObject({
  registry: registryIdSchema,
  operationId: z.string().min(1).max(128),
  /** Last unix second the signature is valid, as a decimal string. */
  deadline: uintSchema,
});
export type AttestationRequestJson = z.input<typeof attestationRequestSchema>;

export const attestationBatchRequestSchema = z.strictObject({
  requests: z.array(attestationRequestSchema).min(1).max(ATTEST_BATCH_LIMIT),
});

const tokenizeMessageSchema = z.strictObject({
  batch: z.strictObject({
    registry: hexSchema(16),
    projectId: hexSchema(16),
    methodology: hexSchema(16),
    serialScope: uintSchema,
    serialStart: uintSchema,
    serialEnd: uintSchema,
    vintageStart: smallUintSchema,
    vintageEnd: smallUintSchema,
    country: hexSchema(2),
    jurisdiction: hexSchema(2),
    labels: z.number().int().min(0).max(0xffff),
    correspondingAdjustment: z.number().int().min(0).max(0xff),
    mrvDatasetId: bytes32Schema,
    serialNumber: z.string().min(1).max(512),
  }),
  owner: addressSchema,
  lockRef: bytes32Schema,
  epoch: uintSchema,
  deadline: uintSchema,
});

const retirementMessageSchema = z.strictObject({
  certificateId: uint256Schema,
  lastSerial: uintSchema,
  accepted: z.boolean(),
  registryRef: bytes32Schema,
  epoch: uintSchema,
  deadline: uintSchema,
});

const redemptionMessageSchema = z.strictObject({
  redemptionId: uint256Schema,
  batchId: uint256Schema,
  firstSerial: uintSchema,
  lastSerial: uintSchema,
  accepted: z.boolean(),
  registryRef: bytes32Schema,
  epoch: uintSchema,
  deadline: uintSchema,
});

const tradeMessageSchema = z.strictObject({
  tradeId: bytes32Schema,
  registryRef: bytes32Schema,
  epoch: uintSchema,
  deadline: uintSchema,
});

const signed = <K extends string, S extends z.ZodType>(kind: K, message: S) =>
  z.strictObject({ kind: z.literal(kind), signer: addressSchema, signature: hexSchema(65), message });

export const signedAttestationSchema = z.discriminatedUnion("kind", [
  signed("TokenizeAttestation", tokenizeMessageSchema),
  signed("RetirementConfirmation", retirementMessageSchema),
  signed("RedemptionResult", redemptionMessageSchema),
  signed("TradeConfirmation", tradeMessageSchema),
]);

export const oracleErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** A batch answer: one result per request, in order — a signed attestation or the node's refusal. */
export const attestationBatchResponseSchema = z.strictObject({
  results: z.array(
    z.union([
      z.strictObject({ ok: z.literal(true), attestation: signedAttestationSchema }),
      z.strictObject({ ok: z.literal(false), error: z.strictObject({ code: z.string(), message: z.string() }) }),
    ]),
  ),
});
export type AttestationBatchResponseJson = z.input<typeof attestationBatchResponseSchema>;

/** `value` with every bigint as its decimal string. */
function toJson(value: unknown): unknown {
  if (typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}

export function signedAttestationToJson(attestation: SignedAttestation): z.input<typeof signedAttestationSchema> {
  return toJson(attestation) as z.input<typeof signedAttestationSchema>;
}

/** A parsed answer as a typed SignedAttestation. */
export function signedAttestationFromJson(json: z.output<typeof signedAttestationSchema>): SignedAttestation {
  return json as unknown as SignedAttestation;
}

export type { AttestationMessages };
