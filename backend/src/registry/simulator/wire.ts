/**
 * The registry simulator's HTTP wire shapes (JSON, `/v1`): request bodies it accepts and the
 * documents it answers with. Serial numbers and quantities travel as decimal strings (the domain's
 * uint64 wire form); dates as `YYYY-MM-DD`; instants as ISO 8601 UTC. A client (the registry
 * adapter) can validate answers with the response schemas below.
 */
import { z } from "zod";
import { addressSchema, bytes32Schema, countryCodeSchema, isoDateSchema, registryIdSchema, uintStringSchema } from "../../domain";
import { CCTS_FIRST_COMPLIANCE_YEAR, CCTS_LAST_COMPLIANCE_YEAR } from "../ccts";
import { GOLD_STANDARD_FIRST_VINTAGE, GOLD_STANDARD_LAST_VINTAGE } from "../goldStandard";

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

export const ACCOUNT_KINDS = ["holding", "custody"] as const;
export const accountKindSchema = z.enum(ACCOUNT_KINDS);
export type AccountKind = z.infer<typeof accountKindSchema>;

/** Verra's project statuses (the registry's own words). */
export const PROJECT_STATUSES = [
  "Under development",
  "Under validation",
  "Registration requested",
  "Registered",
  "On Hold",
  "Withdrawn",
  "Rejected by Administrator",
  "Inactive",
  "Crediting Period Renewal Requested",
] as const;
export const projectStatusSchema = z.enum(PROJECT_STATUSES);
export type ProjectStatus = z.infer<typeof projectStatusSchema>;

/** Verra's retirement reasons (used for every registry). */
export const RETIREMENT_REASONS = [
  "Environmental Benefit",
  "Retirement for Person or Organization",
  "Corporate Emissions Inventory Accounting",
  "Other",
] as const;
export const retirementReasonSchema = z.enum(RETIREMENT_REASONS);
export type RetirementReason = z.infer<typeof retirementReasonSchema>;

/** Gold Standard's retirement use cases. */
export const USE_CASES = ["Voluntary", "Compliance"] as const;
export const useCaseSchema = z.enum(USE_CASES);
export type UseCase = z.infer<typeof useCaseSchema>;

export const PRODUCT_TYPES = ["VCU", "VER", "CER", "CCC"] as const;
export const productTypeSchema = z.enum(PRODUCT_TYPES);
export type ProductType = z.infer<typeof productTypeSchema>;

export const REQUEST_KINDS = ["transfer", "lock", "retirement", "redemption", "cancellation"] as const;
export const requestKindSchema = z.enum(REQUEST_KINDS);
export type RequestKind = z.infer<typeof requestKindSchema>;

export const REQUEST_STATUSES = ["queued", "completed", "rejected"] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Why the registry rejected a request. */
export const REJECTION_CODES = [
  "ACCOUNT_NOT_FOUND",
  "ACCOUNT_CLOSED",
  "REGISTRY_MISMATCH",
  "NOT_A_HOLDING_ACCOUNT",
  "NOT_A_CUSTODY_ACCOUNT",
  "ISSUANCE_NOT_FOUND",
  "SERIAL_NOT_FOUND",
  "INSUFFICIENT_HOLDINGS",
  "SERIALS_NOT_HELD",
  "REJECTED_BY_REGISTRY",
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export const LOT_STATES = ["held", "retired", "cancelled"] as const;
export type LotState = (typeof LOT_STATES)[number];

/**
 * Types of the change feed entries, which are also the webhook event types. `operation.updated`
 * and `serial_block.updated` are the adapter API's events (`registryWebhookEventSchema` of
 * `../api.ts`), sent for the same changes as `request.*` and `issuance.created`.
 */
export const CHANGE_TYPES = [
  "account.created",
  "account.updated",
  "project.created",
  "issuance.created",
  "request.completed",
  "request.rejected",
  "operation.updated",
  "serial_block.updated",
] as const;
export const changeTypeSchema = z.enum(CHANGE_TYPES);
export type ChangeType = z.infer<typeof changeTypeSchema>;

// ---------------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------------

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A positive whole number given as a JSON number or a decimal string; parses to a bigint. */
const positiveWholeNumber = z
  .union([
    z.number().int({ message: "must be a whole number" }).min(1, { message: "must be at least 1" }).max(MAX_SAFE),
    z.string().regex(/^[1-9]\d*$/, { message: "must be a positive decimal integer without leading zeros" }),
  ])
  .transform((value) => BigInt(value))
  .refine((value) => value <= 2n ** 63n, { message: "is too large" });

const identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, { message: "must be 1–64 letters, digits, '.', '_', ':' or '-'" });

const shortText = (max: number) => z.string().trim().min(1, { message: "must not be empty" }).max(max);

export const createAccountBodySchema = z
  .strictObject({
    registry: registryIdSchema,
    /** Chosen by the registry when absent. */
    id: identifier.optional(),
    name: shortText(200),
    kind: accountKindSchema.default("holding"),
    country: countryCodeSchema,
    closed: z.boolean().default(false),
    note: z.string().max(500).default(""),
  })
  .superRefine((account, ctx) => {
    if (account.registry === "CCTS" && account.country !== "IN") {
      ctx.addIssue({ code: "custom", path: ["country"], message: "CCTS accounts must belong to entities registered in India (IN)" });
    }
  });
export type CreateAccountBody = z.output<typeof createAccountBodySchema>;

export const setAccountNoteBodySchema = z.strictObject({ note: z.string().max(500) });

export const createProjectBodySchema = z
  .strictObject({
    registry: registryIdSchema,
    /** Verra: digits ("1340"); Gold Standard: "GS" + GSID ("GS11603"); CCTS: entity code, 3–16 of A–Z 0–9. Chosen when absent. */
    id: z.string().optional(),
    name: shortText(300),
    country: countryCodeSchema,
    methodology: z.string().max(200).default(""),
    /** Verra/UNFCCC sectoral scope 1–16. */
    sectoralScope: z.number().int().min(1).max(16),
    /** Free-text project type; derived from the scope (Verra, CCTS) or the type code (Gold Standard) when absent. */
    projectType: z.string().max(300).optional(),
    /** Gold Standard project type code (1 PV, 2 solar thermal, 4 biogas heat, 5 biogas electricity, 12 wind, 13 geothermal, 16 EE domestic, 17 EE transport, 21 other, 22 A/R). */
    projectTypeCode: z.number().int().min(1).max(99).optional(),
    status: projectStatusSchema.default("Registered"),
    developer: z.string().max(300).default(""),
    sdgs: z.array(z.number().int().min(1).max(17)).default([]),
    /** Gold Standard programme of activities the project belongs to (its GSID); absent for standalone projects. */
    poaGsid: z.string().regex(/^\d{1,9}$/).optional(),
  })
  .superRefine((project, ctx) => {
    const idPattern = { VERRA: /^[1-9]\d{0,9}$/, GOLD_STANDARD: /^GS[1-9]\d{0,7}$/, CCTS: /^[A-Z0-9]{3,16}$/ }[project.registry];
    if (project.id !== undefined && !idPattern.test(project.id)) {
      ctx.addIssue({ code: "custom", path: ["id"], message: `must match ${idPattern} for ${project.registry}` });
    }
    if (project.registry === "GOLD_STANDARD" && project.projectTypeCode === undefined) {
      ctx.addIssue({ code: "custom", path: ["projectTypeCode"], message: "is required for Gold Standard projects" });
    }
  });
export type CreateProjectBody = z.output<typeof createProjectBodySchema>;

export const issueBodySchema = z
  .strictObject({
    registry: registryIdSchema,
    projectId: z.string().min(1),
    /** Account that receives the issued block. */
    accountId: z.string().min(1),
    quantity: positiveWholeNumber,
    /** Verra: any period. Gold Standard: a calendar year (YYYY-01-01). CCTS: a compliance year, the Indian financial year (YYYY-04-01). */
    vintageStart: isoDateSchema,
    /** Gold Standard: YYYY-12-31 of the same year. CCTS: (YYYY+1)-03-31. */
    vintageEnd: isoDateSchema,
    /** Defaults to the simulator's current date. */
    issuanceDate: isoDateSchema.optional(),
    monitoringPeriodStart: isoDateSchema.optional(),
    monitoringPeriodEnd: isoDateSchema.optional(),
    /** Verra "Additional Certifications" / Gold Standard "Label" values, e.g. "ICVCM CCP". */
    certifications: z.array(shortText(200)).default([]),
    article6Authorization: z.string().max(200).default("Not Applicable"),
    /** Defaults: VCU (Verra), VER (Gold Standard), CCC (CCTS). */
    productType: productTypeSchema.optional(),
    /** Verra's undecoded serial segment after "VCU"; drawn at random when absent. */
    verraCode: z.string().regex(/^\d{1,6}$/).optional(),
  })
  .superRefine((issue, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (issue.vintageEnd < issue.vintageStart) problem("vintageEnd", `is before vintageStart ${issue.vintageStart}`);
    const year = Number(issue.vintageStart.slice(0, 4));
    if (issue.registry === "GOLD_STANDARD") {
      if (issue.vintageStart !== `${year}-01-01`) problem("vintageStart", "a Gold Standard vintage is a calendar year: must be YYYY-01-01");
      else if (issue.vintageEnd !== `${year}-12-31`) problem("vintageEnd", `a Gold Standard vintage is a calendar year: must be ${year}-12-31`);
      if (year < GOLD_STANDARD_FIRST_VINTAGE || year > GOLD_STANDARD_LAST_VINTAGE) {
        problem("vintageStart", `must be in ${GOLD_STANDARD_FIRST_VINTAGE}..${GOLD_STANDARD_LAST_VINTAGE}`);
      }
    }
    if (issue.registry === "CCTS") {
      if (issue.vintageStart !== `${year}-04-01`) problem("vintageStart", "a CCTS compliance year starts on 1 April: must be YYYY-04-01");
      else if (issue.vintageEnd !== `${year + 1}-03-31`) problem("vintageEnd", `a CCTS compliance year ends on 31 March: must be ${year + 1}-03-31`);
      if (year < CCTS_FIRST_COMPLIANCE_YEAR || year > CCTS_LAST_COMPLIANCE_YEAR) {
        problem("vintageStart", `compliance year must be in ${CCTS_FIRST_COMPLIANCE_YEAR}..${CCTS_LAST_COMPLIANCE_YEAR}`);
      }
    }
  });
export type IssueBody = z.output<typeof issueBodySchema>;

/**
 * Which credits an operation moves, from the source account's holdings. Exactly one of
 * `issuanceId` and `serialNumber`:
 * - `serialNumber`: a serial string naming a block: the whole block; with `quantity`, that many
 *   serials first-in first-out from the block's start; with `serialStart`/`serialEnd`, exactly
 *   that sub-range of the block;
 * - `issuanceId` with `quantity`: first-in first-out over the account's holdings of the issuance;
 * - `issuanceId` with `serialStart`/`serialEnd`: exactly that range.
 */
const unitSelectionShape = {
  issuanceId: z.string().min(1).optional(),
  serialNumber: z.string().min(1).max(512).optional(),
  quantity: positiveWholeNumber.optional(),
  serialStart: positiveWholeNumber.optional(),
  serialEnd: positiveWholeNumber.optional(),
};

interface UnitSelectionFields {
  issuanceId?: string;
  serialNumber?: string;
  quantity?: bigint;
  serialStart?: bigint;
  serialEnd?: bigint;
}

function refineUnitSelection(units: UnitSelectionFields, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if ((units.issuanceId === undefined) === (units.serialNumber === undefined)) {
    issue("issuanceId", "give exactly one of issuanceId and serialNumber");
    return;
  }
  const hasRange = units.serialStart !== undefined || units.serialEnd !== undefined;
  if (hasRange && (units.serialStart === undefined || units.serialEnd === undefined)) {
    issue(units.serialStart === undefined ? "serialStart" : "serialEnd", "serialStart and serialEnd go together");
  } else if (hasRange && units.quantity !== undefined) {
    issue("quantity", "give either quantity or serialStart/serialEnd, not both");
  } else if (units.issuanceId !== undefined && !hasRange && units.quantity === undefined) {
    issue("quantity", "with issuanceId give quantity or serialStart/serialEnd");
  }
  if (units.serialStart !== undefined && units.serialEnd !== undefined && units.serialEnd < units.serialStart) {
    issue("serialEnd", `must not be less than serialStart (${units.serialEnd} < ${units.serialStart})`);
  }
}

export const transferBodySchema = z
  .strictObject({ fromAccountId: z.string().min(1), toAccountId: z.string().min(1), memo: z.string().max(500).optional(), ...unitSelectionShape })
  .superRefine(refineUnitSelection);
export type TransferBody = z.output<typeof transferBodySchema>;

/** A transfer into a custody account (the registry's platform custody account by default); the memo carries the destination wallet. */
export const lockBodySchema = z
  .strictObject({
    fromAccountId: z.string().min(1),
    destinationWallet: addressSchema,
    /** A custody account of the credits' registry; the platform custody account when absent. */
    custodyAccountId: z.string().min(1).optional(),
    /** The platform's lock reference (on-chain lockRef); derived from the registry reference when absent. */
    lockRef: bytes32Schema.optional(),
    chainId: z.number().int().positive().optional(),
    ...unitSelectionShape,
  })
  .superRefine(refineUnitSelection);
export type LockBody = z.output<typeof lockBodySchema>;

export const retirementBodySchema = z
  .strictObject({
    fromAccountId: z.string().min(1),
    beneficiary: shortText(512),
    reason: retirementReasonSchema,
    details: z.string().max(2000).default(""),
    /** The platform's own reference, e.g. the on-chain retirement certificate id. */
    platformReference: z.string().max(200).optional(),
    useCase: useCaseSchema.default("Voluntary"),
    ...unitSelectionShape,
  })
  .superRefine(refineUnitSelection);
export type RetirementBody = z.output<typeof retirementBodySchema>;

/** A transfer out of the platform custody account to a holder account of the same registry. */
export const redemptionBodySchema = z
  .strictObject({
    /** Defaults to the platform custody account of the credits' registry. */
    fromAccountId: z.string().min(1).optional(),
    toAccountId: z.string().min(1),
    platformReference: z.string().max(200).optional(),
    ...unitSelectionShape,
  })
  .superRefine(refineUnitSelection);
export type RedemptionBody = z.output<typeof redemptionBodySchema>;

export const cancellationBodySchema = z
  .strictObject({ fromAccountId: z.string().min(1), reason: z.string().max(500).default(""), ...unitSelectionShape })
  .superRefine(refineUnitSelection);
export type CancellationBody = z.output<typeof cancellationBodySchema>;

/** Parsed body of each request kind. */
export interface RequestBodies {
  transfer: TransferBody;
  lock: LockBody;
  retirement: RetirementBody;
  redemption: RedemptionBody;
  cancellation: CancellationBody;
}
export type AnyRequestBody = RequestBodies[RequestKind];

export const REQUEST_BODY_SCHEMAS = {
  transfer: transferBodySchema,
  lock: lockBodySchema,
  retirement: retirementBodySchema,
  redemption: redemptionBodySchema,
  cancellation: cancellationBodySchema,
} as const;

/** Route segment of each request kind: `POST /v1/{segment}`. */
export const REQUEST_ROUTES: Readonly<Record<RequestKind, string>> = {
  transfer: "transfers",
  lock: "locks",
  retirement: "retirements",
  redemption: "redemptions",
  cancellation: "cancellations",
};

export const createWebhookEndpointBodySchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }),
  /** Event types to receive; all when absent. */
  eventTypes: z.array(changeTypeSchema).min(1).optional(),
  /** Signing secret to use (`whsec_<base64>`); generated when absent. */
  secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, { message: "must be whsec_ followed by base64 (at least 12 bytes)" })
    .optional(),
});
export type CreateWebhookEndpointBody = z.output<typeof createWebhookEndpointBodySchema>;

export const changesQuerySchema = z.object({
  after: z.string().regex(/^(0|[1-9]\d*)$/, { message: "must be a cursor returned by this feed" }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const creditsQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  size: z.coerce.number().int().min(1).max(25, { message: "must be at most 25" }).default(25),
});

// ---------------------------------------------------------------------------------------------
// Response documents
// ---------------------------------------------------------------------------------------------

const instant = z.string();

export const accountSchema = z.object({
  id: z.string(),
  registry: registryIdSchema,
  name: z.string(),
  kind: accountKindSchema,
  country: z.string(),
  closed: z.boolean(),
  /** Public note, where a holder displays a challenge code to prove control of the account. */
  note: z.string(),
  /** Whether this is the registry's designated platform custody account (target of locks). */
  platformCustody: z.boolean(),
  createdAt: instant,
  updatedAt: instant,
});
export type AccountDocument = z.infer<typeof accountSchema>;

export const projectSchema = z.object({
  registry: registryIdSchema,
  id: z.string(),
  name: z.string(),
  country: z.string(),
  methodology: z.string(),
  sectoralScope: z.number(),
  projectType: z.string(),
  projectTypeCode: z.number().nullable(),
  status: projectStatusSchema,
  developer: z.string(),
  sdgs: z.array(z.number()),
  poaGsid: z.string().nullable(),
  createdAt: instant,
});
export type ProjectDocument = z.infer<typeof projectSchema>;

export const issuanceSchema = z.object({
  id: z.string(),
  registry: registryIdSchema,
  projectId: z.string(),
  batchId: z.string(),
  /** Serial string of the whole issued block. */
  serialNumber: z.string(),
  /** Numbering namespace of the serials (domain `SerialBlock.serialScope`): 0 registry-wide (Verra), else the batch. */
  serialScope: uintStringSchema,
  serialStart: uintStringSchema,
  serialEnd: uintStringSchema,
  quantity: uintStringSchema,
  vintageStart: z.string(),
  vintageEnd: z.string(),
  issuanceDate: z.string(),
  monitoringPeriodStart: z.string(),
  monitoringPeriodEnd: z.string(),
  certifications: z.array(z.string()),
  article6Authorization: z.string(),
  productType: productTypeSchema,
  /** Account the block was issued to. */
  accountId: z.string(),
  createdAt: instant,
});
export type IssuanceDocument = z.infer<typeof issuanceSchema>;

/** A contiguous serial range of one issuance, with its own serial string. */
export const serialRangeDocumentSchema = z.object({
  issuanceId: z.string(),
  serialNumber: z.string(),
  serialScope: uintStringSchema,
  serialStart: uintStringSchema,
  serialEnd: uintStringSchema,
  quantity: uintStringSchema,
});
export type SerialRangeDocument = z.infer<typeof serialRangeDocumentSchema>;

export const holdingSchema = serialRangeDocumentSchema.extend({
  registry: registryIdSchema,
  projectId: z.string(),
  vintageStart: z.string(),
  vintageEnd: z.string(),
  /** When the account came to hold this block. */
  since: instant,
});
export type HoldingDocument = z.infer<typeof holdingSchema>;

export const holdingsSchema = z.object({
  accountId: z.string(),
  registry: registryIdSchema,
  total: uintStringSchema,
  holdings: z.array(holdingSchema),
});
export type HoldingsDocument = z.infer<typeof holdingsSchema>;

export const serialStatusSchema = z.object({
  serialNumber: z.string(),
  registry: registryIdSchema,
  issuanceId: z.string(),
  serialScope: uintStringSchema,
  serialStart: uintStringSchema,
  serialEnd: uintStringSchema,
  quantity: uintStringSchema,
  /** `mixed` when the parts differ in state. */
  status: z.enum([...LOT_STATES, "mixed"]),
  /** The one account holding (or having retired/cancelled) every part; null when parts differ. */
  holderAccountId: z.string().nullable(),
  parts: z.array(
    serialRangeDocumentSchema.extend({
      status: z.enum(LOT_STATES),
      accountId: z.string(),
      /** Retirement or cancellation reference when retired or cancelled. */
      registryRef: z.string().nullable(),
    }),
  ),
});
export type SerialStatusDocument = z.infer<typeof serialStatusSchema>;

export const requestSchema = z.object({
  id: z.string(),
  kind: requestKindSchema,
  status: z.enum(REQUEST_STATUSES),
  idempotencyKey: z.string().nullable(),
  submittedAt: instant,
  processedAt: instant.nullable(),
  /** The request as accepted (quantities and serials as decimal strings). */
  input: z.record(z.string(), z.unknown()),
  /** Known once processed. */
  registry: registryIdSchema.nullable(),
  fromAccountId: z.string().nullable(),
  toAccountId: z.string().nullable(),
  memo: z.string().nullable(),
  quantity: uintStringSchema.nullable(),
  /** Exact serial ranges moved, retired or cancelled (completed requests). */
  ranges: z.array(serialRangeDocumentSchema),
  /** Registry reference of a completed request (transfer, retirement or cancellation id). */
  registryRef: z.string().nullable(),
  rejectionCode: z.enum(REJECTION_CODES).nullable(),
  rejectionReason: z.string().nullable(),
});
export type RequestDocument = z.infer<typeof requestSchema>;

export const changeSchema = z.object({
  cursor: z.string(),
  type: changeTypeSchema,
  timestamp: instant,
  /** Ids only: fetch the resource for its state. */
  data: z.record(z.string(), z.string().nullable()),
});
export type ChangeDocument = z.infer<typeof changeSchema>;

export const changesPageSchema = z.object({
  changes: z.array(changeSchema),
  /** Pass as `after` to continue; unchanged when there was nothing new. */
  nextCursor: z.string().nullable(),
  hasMore: z.boolean(),
});
export type ChangesPageDocument = z.infer<typeof changesPageSchema>;

/** Body of every webhook the simulator sends (Standard Webhooks). */
export const webhookPayloadSchema = z.object({
  type: changeTypeSchema,
  timestamp: instant,
  data: z.record(z.string(), z.string().nullable()),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

export const webhookEndpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  eventTypes: z.array(changeTypeSchema).nullable(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  createdAt: instant,
});
export type WebhookEndpointDocument = z.infer<typeof webhookEndpointSchema>;

/** A Gold Standard-style public credit record (`GET /credits`). */
export const goldStandardCreditSchema = z.object({
  id: z.number(),
  number_of_credits: z.number(),
  serial_number: z.string(),
  vintage: z.number(),
  status: z.enum(["ISSUED", "RETIRED", "CANCELLED"]),
  certified_date: z.string(),
  labels: z.array(z.string()),
  project: z.object({ id: z.number(), name: z.string(), country: z.string(), project_type: z.string() }),
});
export type GoldStandardCreditDocument = z.infer<typeof goldStandardCreditSchema>;

/** Every error answer (the adapter API's `registryApiErrorBodySchema`, plus the fields at fault). */
export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ location: z.string(), field: z.string(), message: z.string() })).optional(),
  }),
});
export type ErrorDocument = z.infer<typeof errorSchema>;
