/**
 * A registry batch as CarbonClear tokenizes it (one ERC-1155 id per batch), and its exact
 * on-chain form `ICarbonCredit.BatchInfo`.
 */
import { z } from "zod";
import {
  correspondingAdjustmentFromUint8,
  correspondingAdjustmentSchema,
  correspondingAdjustmentToUint8,
} from "./correspondingAdjustment";
import { countryCodeSchema } from "./countries";
import { fromYyyymmdd, isoDateSchema, toYyyymmdd } from "./dates";
import {
  asciiToBytes16,
  bytes16TextProblem,
  bytes16ToAscii,
  bytes2ToCountry,
  bytes32Schema,
  countryToBytes2,
  utf8Length,
  ZERO_BYTES2,
  ZERO_BYTES32,
  type Hex,
} from "./encoding";
import { labelSchema, labelsFromBitmask, labelsToBitmask } from "./labels";
import { registryIdSchema } from "./registries";
import { serialBlockSchema } from "./serialBlock";
import { DomainValidationError, parseOrThrow, type FieldIssue } from "./validation";

/** Longest serial number string the contract accepts, in UTF-8 bytes. */
export const MAX_SERIAL_NUMBER_BYTES = 512;

const bytes16Text = (options: { allowEmpty: boolean }) =>
  z.string().superRefine((value, ctx) => {
    const problem = bytes16TextProblem(value, options);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });

export const batchSchema = z
  .object({
    registry: registryIdSchema,
    /** Registry project id, e.g. "1340" (Verra) or "GS11603" (Gold Standard). */
    projectId: bytes16Text({ allowEmpty: false }),
    /** Methodology code, e.g. "VM0042"; empty when unknown. */
    methodology: bytes16Text({ allowEmpty: true }).default(""),
    serialScope: serialBlockSchema.shape.serialScope,
    serialStart: serialBlockSchema.shape.serialStart,
    serialEnd: serialBlockSchema.shape.serialEnd,
    vintageStart: isoDateSchema,
    vintageEnd: isoDateSchema,
    /** Host country of the project. */
    country: countryCodeSchema,
    /** Holders must be registered in this country (compliance credits); null = anywhere. */
    jurisdiction: countryCodeSchema.nullable().default(null),
    labels: z
      .array(labelSchema)
      .default([])
      .refine((labels) => new Set(labels).size === labels.length, { message: "must not repeat a label" }),
    correspondingAdjustment: correspondingAdjustmentSchema.default("Unknown"),
    /** MRV dataset behind the issuance; null when none. */
    mrvDatasetId: bytes32Schema.nullable().default(null),
    /** The registry's serial number string of the block. */
    serialNumber: z
      .string()
      .min(1, { message: "must not be empty" })
      .refine((value) => utf8Length(value) <= MAX_SERIAL_NUMBER_BYTES, {
        message: `must be at most ${MAX_SERIAL_NUMBER_BYTES} UTF-8 bytes`,
      }),
  })
  .superRefine((batch, ctx) => {
    if (batch.serialEnd < batch.serialStart) {
      ctx.addIssue({
        code: "custom",
        path: ["serialEnd"],
        message: `must not be less than serialStart (${batch.serialEnd} < ${batch.serialStart})`,
      });
    }
    if (batch.vintageEnd < batch.vintageStart) {
      ctx.addIssue({
        code: "custom",
        path: ["vintage"],
        message: `vintageEnd ${batch.vintageEnd} is before vintageStart ${batch.vintageStart}`,
      });
    }
  });

export type Batch = z.output<typeof batchSchema>;
export type BatchInput = z.input<typeof batchSchema>;

/** `ICarbonCredit.BatchInfo` with viem's types (uint64 → bigint, bytesN → hex). */
export interface BatchInfo {
  readonly registry: Hex;
  readonly projectId: Hex;
  readonly methodology: Hex;
  readonly serialScope: bigint;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
  readonly vintageStart: number;
  readonly vintageEnd: number;
  readonly country: Hex;
  readonly jurisdiction: Hex;
  readonly labels: number;
  readonly correspondingAdjustment: number;
  readonly mrvDatasetId: Hex;
  readonly serialNumber: string;
}

/** Validates a batch (DomainValidationError naming the field, e.g. "serialEnd"). */
export function parseBatch(input: BatchInput): Batch {
  return parseOrThrow("batch", batchSchema, input);
}

/**
 * The exact on-chain `BatchInfo` of a batch: bytes16 right-padded ASCII ids, YYYYMMDD dates,
 * bytes2 countries, the labels bitmask and the corresponding-adjustment enum index.
 * @throws DomainValidationError naming the first bad field.
 */
export function toBatchInfo(input: BatchInput): BatchInfo {
  const batch = parseBatch(input);
  return {
    registry: asciiToBytes16(batch.registry),
    projectId: asciiToBytes16(batch.projectId),
    methodology: asciiToBytes16(batch.methodology, { allowEmpty: true }),
    serialScope: batch.serialScope,
    serialStart: batch.serialStart,
    serialEnd: batch.serialEnd,
    vintageStart: toYyyymmdd(batch.vintageStart),
    vintageEnd: toYyyymmdd(batch.vintageEnd),
    country: countryToBytes2(batch.country),
    jurisdiction: batch.jurisdiction === null ? ZERO_BYTES2 : countryToBytes2(batch.jurisdiction),
    labels: labelsToBitmask(batch.labels),
    correspondingAdjustment: correspondingAdjustmentToUint8(batch.correspondingAdjustment),
    mrvDatasetId: batch.mrvDatasetId ?? ZERO_BYTES32,
    serialNumber: batch.serialNumber,
  };
}

/**
 * The batch an on-chain `BatchInfo` describes (e.g. from a `BatchCreated` event).
 * @throws DomainValidationError when the tuple does not decode to a valid batch.
 */
export function fromBatchInfo(info: BatchInfo): Batch {
  const issues: FieldIssue[] = [];
  const decode = <T>(field: string, decoder: () => T): T | undefined => {
    try {
      return decoder();
    } catch (error) {
      issues.push({ field, message: (error as Error).message });
      return undefined;
    }
  };
  const date = (field: string, value: number) =>
    decode(field, () => fromYyyymmdd(value) ?? raise(`${value} is not a YYYYMMDD date`));
  const decoded = {
    registry: decode("registry", () => bytes16ToAscii(info.registry)),
    projectId: decode("projectId", () => bytes16ToAscii(info.projectId)),
    methodology: decode("methodology", () => bytes16ToAscii(info.methodology)),
    serialScope: info.serialScope,
    serialStart: info.serialStart,
    serialEnd: info.serialEnd,
    vintageStart: date("vintageStart", info.vintageStart),
    vintageEnd: date("vintageEnd", info.vintageEnd),
    country: decode("country", () => bytes2ToCountry(info.country) ?? raise("must not be zero")),
    jurisdiction: decode("jurisdiction", () => bytes2ToCountry(info.jurisdiction) ?? null),
    labels: decode("labels", () => labelsFromBitmask(info.labels)),
    correspondingAdjustment: decode("correspondingAdjustment", () =>
      correspondingAdjustmentFromUint8(info.correspondingAdjustment),
    ),
    mrvDatasetId: info.mrvDatasetId.toLowerCase() === ZERO_BYTES32 ? null : info.mrvDatasetId,
    serialNumber: info.serialNumber,
  };
  if (issues.length > 0) throw new DomainValidationError("BatchInfo", issues);
  return parseOrThrow("BatchInfo", batchSchema, decoded);
}

function raise(message: string): never {
  throw new Error(message);
}
