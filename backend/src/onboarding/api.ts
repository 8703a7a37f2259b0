/**
 * Onboarding and screening API (mounted by `api/platform.ts`).
 *
 * Applicant routes (any signed-in wallet, only its own application):
 *   POST /v1/onboarding/application                              apply (individual or organisation)
 *   GET  /v1/onboarding/application                              own application, documents, links, history
 *   POST /v1/onboarding/application/documents                    upload a document (base64) with its MRZ / LEI
 *   POST /v1/onboarding/application/submit                       submit documents: verification, then screening
 *   POST /v1/onboarding/application/registry-accounts            get the challenge code for a registry account
 *   POST /v1/onboarding/application/registry-accounts/verify     prove the account shows the challenge
 * Compliance routes (compliance or admin):
 *   GET  /v1/onboarding/applicants[?state=]                       GET /v1/onboarding/applicants/:applicantId
 *   GET  /v1/onboarding/applicants/:applicantId/documents/:documentId   the stored file
 *   POST /v1/onboarding/applicants/:applicantId/{screen,approve,reject}
 *   GET  /v1/onboarding/cases[?status=]                           POST /v1/onboarding/cases/:caseId/resolve
 *   POST /v1/onboarding/chain-writes/retry
 *   GET  /v1/sanctions/lists                                      POST /v1/sanctions/lists (import a release)
 *   POST /v1/screening/search                                     top candidates with scores and explanations
 * Oracle nodes (signed by a current quorum signer, see oracle/walletDirectory.ts):
 *   GET  /v1/wallets/:address/registry-accounts                   the registry accounts of the wallet's on-chain identity
 */
import type pg from "pg";
import type { Address, PublicClient } from "viem";
import { z } from "zod";
import { ApiError } from "../api/errors";
import { grantRole, revokeRole } from "../api/auth/store";
import { defineRoute, reply, type ApiModule, type RequestContext } from "../api/route";
import type { Deployment } from "../chain/deployment";
import type { Config } from "../config";
import type { AuditEntry } from "../db";
import { screeningQuerySchema } from "./sanctions/screening-options";
import { applicantStateSchema, applicationSchema } from "./workflow/applicants";
import { DEFAULT_MAX_DOCUMENT_BYTES, documentMetadataSchema } from "./workflow/documents";
import { OnboardingError } from "./workflow/errors";
import { createIdentityWriter } from "./workflow/identity-writer";
import { listFilesSchema, readListFiles } from "./workflow/list-import";
import { registryAccountReader } from "./workflow/registry-reader";
import { registryAccountsOfWallet } from "./workflow/wallet-accounts";
import { walletDirectoryCallerError } from "../oracle/walletDirectory";
import { type ApplicantDetails, OnboardingService } from "./workflow/service";

export interface OnboardingApiDeps {
  readonly pool: pg.Pool;
  readonly config: Pick<Config, "complianceKey" | "screeningThreshold">;
  readonly publicClient?: PublicClient;
  readonly deployment?: Deployment;
  /** Registry (simulator) server hosting every registry's adapter API. */
  readonly registryUrl?: string;
  /** Use this service instead of building one from the other deps (tests). */
  readonly service?: OnboardingService;
}

/** The service the platform runs: chain writes when a compliance key and deployment are configured. */
export function onboardingServiceFor(deps: Omit<OnboardingApiDeps, "service">): OnboardingService {
  const { publicClient, deployment, config } = deps;
  return new OnboardingService({
    pool: deps.pool,
    identity:
      publicClient !== undefined && deployment !== undefined && config.complianceKey !== undefined
        ? createIdentityWriter({ publicClient, identityAddress: deployment.contracts.identity, complianceKey: config.complianceKey.reveal() })
        : undefined,
    registryAccounts: deps.registryUrl === undefined ? undefined : registryAccountReader(deps.registryUrl),
    grantRole: (pool, address, role, grantedBy) => grantRole(pool, address, role, grantedBy),
    revokeRole: (pool, address, role, revokedBy) => revokeRole(pool, address, role, revokedBy),
    screeningThreshold: config.screeningThreshold,
  });
}

const COMPLIANCE = ["compliance", "admin"] as const;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/u;
const reason = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
const accountRef = z.strictObject({ registry: z.string().min(1).max(40), accountId: z.string().trim().min(1).max(128) });
const applicantParams = z.object({ applicantId: z.uuid() });
const walletParams = z.object({
  address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, { message: "must be a 20-byte 0x wallet address" }).transform((a) => a.toLowerCase() as Address),
});

/** Maps workflow errors onto the API's error shape; everything else propagates (500). */
async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof OnboardingError) throw new ApiError(error.status, error.code, error.message, error.details);
    throw error;
  }
}

function sessionAddress(ctx: RequestContext): Address {
  if (ctx.session === undefined) throw new ApiError(401, "UNAUTHENTICATED", "sign in first");
  return ctx.session.address;
}

const auditJson = (entry: AuditEntry) => ({ ...entry, id: entry.id.toString() });
const detailsJson = (details: ApplicantDetails) => ({ ...details, history: details.history.map(auditJson) });

export function onboardingApi(deps: OnboardingApiDeps): ApiModule {
  const service = deps.service ?? onboardingServiceFor(deps);

  const ownApplicant = async (ctx: RequestContext) => {
    const applicant = await service.applicantByWallet(sessionAddress(ctx));
    if (applicant === undefined) throw new ApiError(404, "NOT_FOUND", "this wallet has no application: POST /v1/onboarding/application first");
    return applicant;
  };

  const routes = [
    // ------------------------------------------------------------- applicant
    defineRoute({
      method: "post",
      path: "/v1/onboarding/application",
      access: "signed_in",
      summary: "Apply for onboarding as an individual or organisation (one application per wallet)",
      body: applicationSchema,
      handler: ({ body, ctx }) =>
        mapped(async () => reply(201, await service.apply(sessionAddress(ctx), body, sessionAddress(ctx).toLowerCase()))),
    }),
    defineRoute({
      method: "get",
      path: "/v1/onboarding/application",
      access: "signed_in",
      summary: "The signed-in wallet's application: state, documents and checks, registry links, history",
      handler: ({ ctx }) => mapped(async () => detailsJson(await service.details((await ownApplicant(ctx)).id))),
    }),
    defineRoute({
      method: "post",
      path: "/v1/onboarding/application/documents",
      access: "signed_in",
      summary: "Upload a passport, national ID or LEI certificate (base64) with its MRZ or LEI; returns every check",
      bodyLimit: Math.ceil((DEFAULT_MAX_DOCUMENT_BYTES * 4) / 3) + 64 * 1024,
      body: z.object({ contentBase64: z.string().min(1).regex(BASE64, "must be base64") }).loose(),
      handler: ({ body, ctx }) =>
        mapped(async () => {
          const { contentBase64, ...metadata } = body as { contentBase64: string } & Record<string, unknown>;
          const parsed = documentMetadataSchema.safeParse(metadata);
          if (!parsed.success) {
            throw new ApiError(400, "INVALID_REQUEST", `invalid document: ${parsed.error.issues.map((i) => `body.${i.path.join(".")}: ${i.message}`).join("; ")}`);
          }
          const applicant = await ownApplicant(ctx);
          const document = await service.uploadDocument(applicant.id, parsed.data, Buffer.from(contentBase64, "base64"), sessionAddress(ctx).toLowerCase());
          return reply(201, document);
        }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/onboarding/application/submit",
      access: "signed_in",
      summary: "Submit the uploaded documents: verification, then sanctions screening",
      handler: ({ ctx }) => mapped(async () => service.submitDocuments((await ownApplicant(ctx)).id, sessionAddress(ctx).toLowerCase())),
    }),
    defineRoute({
      method: "post",
      path: "/v1/onboarding/application/registry-accounts",
      access: "signed_in",
      summary: "Get the challenge code to show in a registry account's public note",
      body: accountRef,
      handler: ({ body, ctx }) =>
        mapped(async () => {
          const link = await service.registryChallenge((await ownApplicant(ctx)).id, body.registry, body.accountId, sessionAddress(ctx).toLowerCase());
          return { ...link, instructions: `Put ${link.challenge} in the public note of ${link.registry} account ${link.accountId}, then POST /v1/onboarding/application/registry-accounts/verify` };
        }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/onboarding/application/registry-accounts/verify",
      access: "signed_in",
      summary: "Prove control of a registry account: the registry must show the challenge in its note",
      body: accountRef,
      handler: ({ body, ctx }) =>
        mapped(async () => service.verifyRegistryAccount((await ownApplicant(ctx)).id, body.registry, body.accountId, sessionAddress(ctx).toLowerCase())),
    }),

    // ------------------------------------------------------------- oracle nodes
    defineRoute({
      method: "get",
      path: "/v1/wallets/:address/registry-accounts",
      // Oracle node processes read it before confirming an escrow trade; they trust an answer only
      // when it hashes to the wallet's on-chain registryAccountsHashOf. It names the registry
      // accounts behind a wallet, so it answers current oracle signers only (signed request headers,
      // checked against the OracleQuorum), not sessions.
      access: "public",
      summary: "The registry accounts (REGISTRY:accountId) of the wallet's latest confirmed on-chain identity (oracle signers only)",
      params: walletParams,
      handler: async ({ params, ctx }) => {
        const { publicClient, deployment } = deps;
        if (publicClient === undefined || deployment === undefined) {
          throw new ApiError(503, "CHAIN_UNAVAILABLE", "the API has no chain connection to check the oracle signer against");
        }
        const refused = await walletDirectoryCallerError(
          { wallet: params.address, headers: ctx.headers },
          { publicClient, chainId: deployment.chainId, quorum: deployment.contracts.quorum, now: () => Math.floor(Date.now() / 1000) },
        );
        if (refused !== undefined) throw new ApiError(refused.status, refused.status === 401 ? "UNAUTHENTICATED" : "FORBIDDEN", refused.message);
        const registryAccounts = await registryAccountsOfWallet(deps.pool, params.address);
        if (registryAccounts === null) {
          throw new ApiError(404, "WALLET_UNKNOWN", `the platform has written no confirmed identity for wallet ${params.address}`);
        }
        return { wallet: params.address, registryAccounts };
      },
    }),

    // ------------------------------------------------------------- compliance
    defineRoute({
      method: "get",
      path: "/v1/onboarding/applicants",
      access: COMPLIANCE,
      summary: "Applicants, optionally in one state",
      query: z.object({ state: applicantStateSchema.optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
      handler: ({ query }) => mapped(() => service.list(query)),
    }),
    defineRoute({
      method: "get",
      path: "/v1/onboarding/applicants/:applicantId",
      access: COMPLIANCE,
      summary: "One applicant with documents, checks, screenings, cases, chain writes and history",
      params: applicantParams,
      handler: ({ params }) => mapped(async () => detailsJson(await service.details(params.applicantId))),
    }),
    defineRoute({
      method: "get",
      path: "/v1/onboarding/applicants/:applicantId/documents/:documentId",
      access: COMPLIANCE,
      summary: "The stored bytes of an applicant's document",
      params: z.object({ applicantId: z.uuid(), documentId: z.string().regex(/^\d{1,18}$/u, "must be a document id") }),
      handler: ({ params }) =>
        mapped(async () => {
          const file = await service.documentFile(params.applicantId, params.documentId);
          return reply(200, file.content, { contentType: file.mimeType });
        }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/onboarding/applicants/:applicantId/screen",
      access: COMPLIANCE,
      summary: "Screen a documents_verified applicant against the current sanctions lists",
      params: applicantParams,
      handler: ({ params, ctx }) => mapped(() => service.screenApplicant(params.applicantId, sessionAddress(ctx).toLowerCase())),
    }),
    defineRoute({
      method: "post",
      path: "/v1/onboarding/applicants/:applicantId/approve",
      access: COMPLIANCE,
      summary: "Approve a registry_linked applicant: trader role and on-chain identity",
      params: applicantParams,
      body: reason,
      handler: ({ params, body, ctx }) => mapped(() => service.approve(params.applicantId, sessionAddress(ctx).toLowerCase(), body.reason)),
    }),
    defineRoute({
      method: "post",
      path: "/v1/onboarding/applicants/:applicantId/reject",
      access: COMPLIANCE,
      summary: "Reject an applicant with a reason",
      params: applicantParams,
      body: reason,
      handler: ({ params, body, ctx }) => mapped(() => service.reject(params.applicantId, sessionAddress(ctx).toLowerCase(), body.reason)),
    }),
    defineRoute({
      method: "get",
      path: "/v1/onboarding/cases",
      access: COMPLIANCE,
      summary: "Review cases (documents, screening hits, list-update hits)",
      query: z.object({ status: z.enum(["open", "cleared", "confirmed"]).optional() }),
      handler: ({ query }) => mapped(() => service.cases(query)),
    }),
    defineRoute({
      method: "post",
      path: "/v1/onboarding/cases/:caseId/resolve",
      access: COMPLIANCE,
      summary: "Resolve a review case: clear (false positive / documents accepted) or confirm (reject)",
      params: z.object({ caseId: z.string().regex(/^\d{1,18}$/u, "must be a case id") }),
      body: z.strictObject({ decision: z.enum(["clear", "confirm"]), reason: z.string().trim().min(1).max(2000) }),
      handler: ({ params, body, ctx }) => mapped(() => service.resolveCase(params.caseId, body.decision, sessionAddress(ctx).toLowerCase(), body.reason)),
    }),
    defineRoute({
      method: "post",
      path: "/v1/onboarding/chain-writes/retry",
      access: COMPLIANCE,
      summary: "Send every identity write or freeze not yet confirmed on-chain",
      handler: () => mapped(() => service.retryChainWrites()),
    }),
    defineRoute({
      method: "get",
      path: "/v1/sanctions/lists",
      access: COMPLIANCE,
      summary: "Imported sanctions list versions, the current one of each list marked",
      handler: () => mapped(() => service.listVersions()),
    }),
    defineRoute({
      method: "post",
      path: "/v1/sanctions/lists",
      access: COMPLIANCE,
      summary: "Import a list release (OFAC legacy CSV, UN XML, OpenSanctions FtM); a new version re-screens approved counterparties",
      bodyLimit: 64 * 1024 * 1024,
      body: listFilesSchema,
      handler: ({ body, ctx }) =>
        mapped(async () => {
          const { list, warnings } = readListFiles(body);
          const result = await service.importList(list, warnings, sessionAddress(ctx).toLowerCase());
          return reply(result.created ? 201 : 200, { listId: list.listId, listVersion: list.listVersion, entries: list.entries.length, warnings, ...result });
        }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/sanctions/rescreens/resume",
      access: COMPLIANCE,
      summary: "Finish every list-update re-screening a crash or restart interrupted (each counterparty is screened once per run)",
      handler: ({ ctx }) => mapped(() => service.resumeRescreens(sessionAddress(ctx).toLowerCase())),
    }),
    defineRoute({
      method: "post",
      path: "/v1/screening/search",
      access: COMPLIANCE,
      summary: "Screen a name (with optional date of birth and country): top candidates with scores and explanations",
      body: z.strictObject({
        name: z.string().max(300),
        dob: z.string().max(10).optional(),
        country: z.string().max(100).optional(),
        kind: z.enum(["individual", "entity", "vessel", "aircraft"]).optional(),
        limit: z.number().int().min(1).max(100).optional(),
        threshold: z.number().min(0).max(1).optional(),
      }),
      handler: ({ body }) =>
        mapped(async () => {
          const { limit, threshold, ...query } = body;
          const parsed = screeningQuerySchema.safeParse(query);
          if (!parsed.success) throw new ApiError(400, "INVALID_REQUEST", parsed.error.issues.map((i) => `body.${i.path.join(".")}: ${i.message}`).join("; "));
          const result = await service.search(query, { limit, threshold });
          return { threshold: threshold ?? service.threshold, ...result };
        }),
    }),
  ];
  return { name: "onboarding", routes };
}
