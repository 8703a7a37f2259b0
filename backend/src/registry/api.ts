/**
 * The registry HTTP API CarbonClear speaks: request and response shapes (zod) and paths. The
 * registry simulator implements the server side with these same schemas; the adapters' client
 * (`apiClient.ts`) the client side. One API root per registry; JSON bodies; serial numbers and
 * quantities as decimal strings; all operations idempotent on `requestId`.
 *
 *   GET  {base}/v1/serial-blocks/{serial}      → SerialBlockStatus          (404: unknown serial)
 *   GET  {base}/v1/operations/{operationId}    → RegistryOperation          (404: unknown operation)
 *   GET  {base}/v1/accounts/{accountId}        → RegistryAccountStatus      (404: unknown account)
 *   POST {base}/v1/operations/search           {operationIds ≤ 100} → {operations}     (unknown ids left out)
 *   POST {base}/v1/serial-blocks/search        {serials ≤ 100}      → {serialBlocks}   (unknown serials left out)
 *   POST {base}/v1/transfers                   TransferRequest   → RegistryOperation
 *   POST {base}/v1/locks                       LockRequest       → RegistryOperation
 *   POST {base}/v1/redemptions                 RedemptionRequest → RegistryOperation
 *   POST {base}/v1/retirements                 RetirementRequest → RegistryOperation
 *   errors: non-2xx with RegistryApiErrorBody
 *
 * Registries confirm asynchronously: a submitted operation is usually PENDING; the registry then
 * sends a Standard Webhooks event (RegistryWebhookEvent) and the platform fetches the operation
 * or serial block again (fetch-after-notify).
 */
import { z } from "zod";
import { bytes32Schema, countryCodeSchema, isoDateSchema, registryIdSchema, uint256StringSchema, uintStringSchema, type RegistryId } from "../domain";

/** Registry account identifier (the contract caps redemption accounts at 128 bytes). */
export const registryAccountSchema = z.string().min(1).max(128);

/** Client-chosen idempotency key: resubmitting the same requestId returns the same operation. */
export const requestIdSchema = z
  .string()
  .min(8)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, { message: "must use only letters, digits and . _ : -" });

export const serialTextSchema = z.string().min(1).max(512);

/** Inclusive sub-range of a serial block; absent = the whole block. */
export const serialRangeSchema = z
  .object({ first: uintStringSchema, last: uintStringSchema })
  .refine((r) => BigInt(r.first) >= 1n && BigInt(r.last) >= BigInt(r.first), {
    message: "first must be at least 1 and last must not be less than first",
  });
export type SerialRange = z.infer<typeof serialRangeSchema>;

const timestampSchema = z.iso.datetime({ offset: true });

// ---------------------------------------------------------------- serial blocks

export const SERIAL_BLOCK_STATUSES = [
  "ACTIVE", // held in a registry account, free to move
  "LOCKED", // held in the platform custody account, locked for tokenization
  "RETIRED",
  "CANCELLED",
  "SPLIT", // no longer exists as one block: see `successors`
] as const;
export const serialBlockStatusValueSchema = z.enum(SERIAL_BLOCK_STATUSES);
export type SerialBlockStatusValue = z.infer<typeof serialBlockStatusValueSchema>;

export const serialBlockStatusSchema = z
  .object({
    registry: registryIdSchema,
    serial: serialTextSchema,
    status: serialBlockStatusValueSchema,
    holderAccount: registryAccountSchema,
    quantity: uintStringSchema,
    /** The platform's lock reference (on-chain lockRef) while LOCKED. */
    lockRef: bytes32Schema.nullable(),
    /** The blocks this one was split into, when SPLIT. */
    successors: z.array(serialTextSchema),
    updatedAt: timestampSchema,
  })
  .superRefine((s, ctx) => {
    if (s.status === "LOCKED" && s.lockRef === null) ctx.addIssue({ code: "custom", path: ["lockRef"], message: "is required when LOCKED" });
    if ((s.status === "SPLIT") !== s.successors.length > 0) {
      ctx.addIssue({ code: "custom", path: ["successors"], message: "must be non-empty exactly when the status is SPLIT" });
    }
  });
export type SerialBlockStatus = z.infer<typeof serialBlockStatusSchema>;

// ---------------------------------------------------------------- operations

export const OPERATION_KINDS = ["TRANSFER", "LOCK", "REDEMPTION", "RETIREMENT"] as const;
export const operationKindSchema = z.enum(OPERATION_KINDS);
export type OperationKind = z.infer<typeof operationKindSchema>;

export const OPERATION_STATUSES = ["PENDING", "COMPLETED", "REJECTED"] as const;
export const operationStatusSchema = z.enum(OPERATION_STATUSES);
export type OperationStatus = z.infer<typeof operationStatusSchema>;

export const registryOperationSchema = z
  .object({
    operationId: z.string().min(1).max(128),
    requestId: requestIdSchema,
    registry: registryIdSchema,
    kind: operationKindSchema,
    status: operationStatusSchema,
    /** The serial block the request named. */
    serial: serialTextSchema,
    /** The block the operation produced (e.g. the retired sub-block), once COMPLETED. */
    resultSerial: serialTextSchema.nullable(),
    /** Why the registry refused, when REJECTED. */
    rejectionReason: z.string().min(1).nullable(),
    /** Account the credits left (the request's source account). */
    fromAccount: registryAccountSchema.nullable().default(null),
    /** Account the credits went to (null for retirements, and until a transfer or lock is processed). */
    toAccount: registryAccountSchema.nullable().default(null),
    /** Free text the registry keeps with a transfer or lock (a lock's memo is the destination wallet). */
    memo: z.string().max(500).nullable().default(null),
    /** The platform's reference the request carried (e.g. `certificate <id> on chain <chainId>`). */
    platformReference: z.string().max(200).nullable().default(null),
    /** The registry's own reference of the completed operation (e.g. its retirement id). */
    registryRef: z.string().min(1).max(128).nullable().default(null),
    /** Units the operation moved, once COMPLETED. */
    quantity: uintStringSchema.nullable().default(null),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .superRefine((op, ctx) => {
    if ((op.status === "REJECTED") !== (op.rejectionReason !== null)) {
      ctx.addIssue({ code: "custom", path: ["rejectionReason"], message: "must be set exactly when the status is REJECTED" });
    }
  });
export type RegistryOperation = z.infer<typeof registryOperationSchema>;

/** Moves (part of) a block between two registry accounts. */
export const transferRequestSchema = z.object({
  requestId: requestIdSchema,
  serial: serialTextSchema,
  range: serialRangeSchema.optional(),
  fromAccount: registryAccountSchema,
  toAccount: registryAccountSchema,
  /** Kept by the registry with the transfer, e.g. `trade 0x<tradeId>` for an escrow delivery. */
  memo: z.string().min(1).max(500).optional(),
});
export type TransferRequest = z.output<typeof transferRequestSchema>;
export type TransferRequestInput = z.input<typeof transferRequestSchema>;

/** Moves (part of) a block into the platform custody account and locks it for tokenization. */
export const lockRequestSchema = z.object({
  requestId: requestIdSchema,
  serial: serialTextSchema,
  range: serialRangeSchema.optional(),
  fromAccount: registryAccountSchema,
  custodyAccount: registryAccountSchema,
  /** Reference the chain records with the mint (RegistryBridge.tokenize `lockRef`). */
  lockRef: bytes32Schema,
  /** Wallet the tokens are minted to. */
  owner: z.string().regex(/^0x[0-9a-fA-F]{40}$/, { message: "must be a 20-byte 0x address" }),
  chainId: z.number().int().positive(),
});
export type LockRequest = z.output<typeof lockRequestSchema>;
export type LockRequestInput = z.input<typeof lockRequestSchema>;

/** Releases a redeemed (burned on-chain) range from custody to a registry account. */
export const redemptionRequestSchema = z.object({
  requestId: requestIdSchema,
  serial: serialTextSchema,
  range: serialRangeSchema,
  custodyAccount: registryAccountSchema,
  toAccount: registryAccountSchema,
  /** RegistryBridge redemption id. */
  redemptionId: uintStringSchema,
  chainId: z.number().int().positive(),
});
export type RedemptionRequest = z.output<typeof redemptionRequestSchema>;
export type RedemptionRequestInput = z.input<typeof redemptionRequestSchema>;

/** Retires at the registry the exact range retired on-chain. */
export const retirementRequestSchema = z
  .object({
    requestId: requestIdSchema,
    serial: serialTextSchema,
    range: serialRangeSchema,
    custodyAccount: registryAccountSchema,
    beneficiaryName: z.string().min(1).max(512).nullable(),
    beneficiaryCommitment: bytes32Schema.nullable(),
    reason: z.string().min(1).max(512),
    periodStart: isoDateSchema,
    periodEnd: isoDateSchema,
    consumptionCountry: countryCodeSchema,
    /** RetirementCertificate token id: `(batchId << 64) | firstSerial`, wider than 64 bits. */
    certificateId: uint256StringSchema,
    chainId: z.number().int().positive(),
  })
  .superRefine((r, ctx) => {
    if ((r.beneficiaryName === null) === (r.beneficiaryCommitment === null)) {
      ctx.addIssue({ code: "custom", path: ["beneficiaryName"], message: "exactly one of beneficiaryName and beneficiaryCommitment must be set" });
    }
    if (r.periodEnd < r.periodStart) ctx.addIssue({ code: "custom", path: ["periodEnd"], message: "must not be before periodStart" });
  });
export type RetirementRequest = z.output<typeof retirementRequestSchema>;
export type RetirementRequestInput = z.input<typeof retirementRequestSchema>;

// ---------------------------------------------------------------- errors and webhooks

export const registryApiErrorBodySchema = z.object({
  error: z.object({ code: z.string().min(1), message: z.string() }),
});
export type RegistryApiErrorBody = z.infer<typeof registryApiErrorBodySchema>;

/**
 * Standard Webhooks payload the registry posts on every change. It carries only identifiers:
 * the receiver fetches the operation or block again before acting (never trusts the payload).
 */
export const registryWebhookEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("operation.updated"),
    timestamp: timestampSchema,
    data: z.object({ registry: registryIdSchema, operationId: z.string().min(1).max(128), status: operationStatusSchema }),
  }),
  z.object({
    type: z.literal("serial_block.updated"),
    timestamp: timestampSchema,
    data: z.object({ registry: registryIdSchema, serial: serialTextSchema, status: serialBlockStatusValueSchema }),
  }),
]);
export type RegistryWebhookEvent = z.infer<typeof registryWebhookEventSchema>;

// ---------------------------------------------------------------- paths

// ---------------------------------------------------------------- accounts

/**
 * A registry account as the registry shows it publicly: holder name, country, whether it is
 * closed, and its public note, where a holder displays a challenge code to prove control of the
 * account (onboarding's registry-account linkage).
 */
export const registryAccountStatusSchema = z.object({
  registry: registryIdSchema,
  accountId: registryAccountSchema,
  name: z.string(),
  country: z.string(),
  closed: z.boolean(),
  note: z.string(),
  updatedAt: timestampSchema,
});
export type RegistryAccountStatus = z.infer<typeof registryAccountStatusSchema>;

/**
 * Most records one search request may name. Real registries read many records per request the
 * same way — Verra's `POST /uiapi/asset/asset/search` takes a filter body, Gold Standard's
 * `GET /credits` pages at most 25 records — always with a page cap.
 */
export const REGISTRY_SEARCH_LIMIT = 100;

export const operationSearchRequestSchema = z.strictObject({
  operationIds: z.array(z.string().min(1).max(128)).min(1).max(REGISTRY_SEARCH_LIMIT),
});
export type OperationSearchRequest = z.infer<typeof operationSearchRequestSchema>;
export const operationSearchResultSchema = z.object({ operations: z.array(registryOperationSchema) });

export const serialBlockSearchRequestSchema = z.strictObject({
  serials: z.array(serialTextSchema).min(1).max(REGISTRY_SEARCH_LIMIT),
});
export type SerialBlockSearchRequest = z.infer<typeof serialBlockSearchRequestSchema>;
export const serialBlockSearchResultSchema = z.object({ serialBlocks: z.array(serialBlockStatusSchema) });

export const registryApiPaths = {
  operationSearch: "/v1/operations/search",
  serialBlockSearch: "/v1/serial-blocks/search",
  account: (accountId: string) => `/v1/accounts/${encodeURIComponent(accountId)}`,
  serialBlock: (serial: string) => `/v1/serial-blocks/${encodeURIComponent(serial)}`,
  operation: (operationId: string) => `/v1/operations/${encodeURIComponent(operationId)}`,
  transfers: "/v1/transfers",
  locks: "/v1/locks",
  redemptions: "/v1/redemptions",
  retirements: "/v1/retirements",
} as const;

/** API root of `registry` on a server that hosts several registries (the simulator). */
export function registryApiBaseUrl(serverUrl: string, registry: RegistryId): string {
  return `${serverUrl.replace(/\/+$/, "")}/registries/${registry.toLowerCase()}`;
}
