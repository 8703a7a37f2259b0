/**
 * JSON shapes between the aggregator and the oracle nodes' HTTP API: bigints as decimal strings,
 * hex as 0x strings. Both sides validate with these schemas.
 */
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { TokenizeMessage } from "../chain/eip712";
import { addressSchema, bytes32Schema, registryIdSchema, uintStringSchema } from "../domain";

/** Routes of an oracle node's HTTP API (`server.ts`). */
export const ORACLE_API_PATHS = { tokenize: "/v1/attestations/tokenize", health: "/health" } as const;

const hexSchema = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), { message: `must be ${bytes} bytes of 0x hex` })
    .transform((value) => value.toLowerCase() as Hex);
const uintSchema = uintStringSchema.transform((value) => BigInt(value));
const smallUintSchema = z.number().int().min(0).max(0xffffffff);

export const tokenizeAttestationRequestSchema = z.strictObject({
  registry: registryIdSchema,
  operationId: z.string().min(1).max(128),
  /** Last unix second the signature is valid, as a decimal string. */
  deadline: uintSchema,
});
export type TokenizeAttestationRequestJson = z.input<typeof tokenizeAttestationRequestSchema>;

export const tokenizeMessageSchema = z.strictObject({
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

export const signedTokenizeAttestationSchema = z.strictObject({
  signer: addressSchema,
  signature: hexSchema(65),
  message: tokenizeMessageSchema,
});
export type SignedTokenizeAttestationJson = z.input<typeof signedTokenizeAttestationSchema>;

export const oracleErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** A tokenize message as JSON (bigints as decimal strings). */
export function tokenizeMessageToJson(message: TokenizeMessage): z.input<typeof tokenizeMessageSchema> {
  const { batch } = message;
  return {
    batch: {
      ...batch,
      serialScope: String(batch.serialScope),
      serialStart: String(batch.serialStart),
      serialEnd: String(batch.serialEnd),
    },
    owner: message.owner,
    lockRef: message.lockRef,
    epoch: String(message.epoch),
    deadline: String(message.deadline),
  };
}

export function signedTokenizeAttestationToJson(signed: { signer: Address; signature: Hex; message: TokenizeMessage }): SignedTokenizeAttestationJson {
  return { signer: signed.signer, signature: signed.signature, message: tokenizeMessageToJson(signed.message) };
}
