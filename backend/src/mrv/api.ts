import type pg from "pg";
import { z } from "zod";
import { ApiError } from "../api/errors";
import { type ApiModule, type RequestContext, defineRoute, reply } from "../api/route";
import { datasetClaimOf, DATASET_ATTESTATION_TYPES } from "./attestation";
import { CreateDatasetSchema, DatasetIdSchema, ListDatasetsSchema, MrvError, createDataset, getDataset, listDatasets, listUploads, quarantinedRows } from "./dataset";
import { DraftFormatSchema, buildSubmissionDraft, renderDraftPdf } from "./draft";
import type { FactorLibrary } from "./factors";
import { createSeededFactorLibrary } from "./factors/seed";
import { IngestSourceSchema, PostedRecordsSchema, type IngestLimits, ingestFile, ingestRecords } from "./ingest";
import { type OcrEngine, createOcrEngine } from "./parsers/ocr";
import { recordProof, sealDataset, verifyRecordProof } from "./seal";

/**
 * MRV routes (mounted by platformApiModules):
 *
 *   POST /v1/mrv/datasets                                 verifier|admin  create a dataset (project, period, library version, methodology)
 *   GET  /v1/mrv/datasets[?projectId&status]              public          list datasets
 *   GET  /v1/mrv/datasets/:datasetId                      public          a dataset and its uploads
 *   POST /v1/mrv/datasets/:datasetId/uploads?fileName=&source=&mapping=   verifier|admin
 *        the RAW file is the request body (any non-JSON Content-Type, e.g. text/csv,
 *        application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/pdf, image/png);
 *        `source` and `mapping` are JSON in the query string (see IngestSourceSchema and
 *        SourceMappingSchema). The exact bytes are hashed: a re-upload answers 200 "already-uploaded".
 *   POST /v1/mrv/datasets/:datasetId/records              verifier|admin  JSON { records: [{sensorId, parameter, timestamp, value, unit}] }
 *   GET  /v1/mrv/uploads/:uploadId/quarantine             verifier|compliance|admin  the quarantined rows with their reasons
 *   POST /v1/mrv/datasets/:datasetId/seal                 verifier|admin  Merkle root + quantification; the dataset is frozen
 *   GET  /v1/mrv/datasets/:datasetId/claim                public          the MRVRegistry claim and EIP-712 type to attest it
 *   GET  /v1/mrv/datasets/:datasetId/records/:index/proof public          a record, its leaf and Merkle proof
 *   POST /v1/mrv/datasets/:datasetId/verify               public          { leaf, proof } -> { valid }
 *   GET  /v1/mrv/datasets/:datasetId/draft?format=vcs|gs|ccts&as=json|pdf   signed in   the registry submission draft
 */

export interface MrvApiDeps {
  readonly pool: pg.Pool;
  /** Emission-factor library (default: the seeded one). */
  readonly library?: FactorLibrary;
  /** OCR for image uploads and scanned PDFs, started on first use (default: tesseract.js, offline); null: refuse them. */
  readonly ocr?: (() => Promise<OcrEngine>) | null;
  readonly limits?: Partial<IngestLimits>;
  /** Largest upload body, bytes (default 256 MiB). */
  readonly maxUploadBytes?: number;
}

const STATUS: Record<string, number> = {
  UNKNOWN_DATASET: 404,
  UNKNOWN_RECORD: 404,
  DATASET_EXISTS: 409,
  DATASET_SEALED: 409,
  DATASET_NOT_SEALED: 409,
  NO_RECORDS: 409,
  FILE_REJECTED: 422,
  QUANTIFICATION_FAILED: 422,
  INVALID_INPUT: 400,
};

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof MrvError) throw new ApiError(STATUS[error.code] ?? 400, error.code === "INVALID_INPUT" ? "INVALID_REQUEST" : error.code, error.message, error.details);
    throw error;
  }
}

function actorOf(ctx: RequestContext): string {
  if (ctx.session === undefined) throw new ApiError(401, "UNAUTHENTICATED", "sign in first");
  return ctx.session.address;
}

const DatasetParams = z.object({ datasetId: DatasetIdSchema }).strict();

function jsonParameter<S extends z.ZodType>(schema: S, name: string) {
  return z
    .string()
    .max(20_000)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: `${name} must be JSON` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const UploadQuery = z
  .object({
    fileName: z.string().trim().min(1).max(500),
    source: jsonParameter(IngestSourceSchema, "source"),
    mapping: jsonParameter(z.record(z.string(), z.unknown()), "mapping"),
  })
  .strict();

const toJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));

export function mrvApi(deps: MrvApiDeps): ApiModule {
  const library = deps.library ?? createSeededFactorLibrary();
  const writers = ["verifier", "admin"] as const;
  const startOcr = deps.ocr === undefined ? createOcrEngine : deps.ocr;
  let ocrEngine: Promise<OcrEngine> | undefined;
  return {
    name: "mrv",
    routes: [
      defineRoute({
        method: "post",
        path: "/v1/mrv/datasets",
        access: writers,
        summary: "create an MRV dataset for a project and monitoring period",
        body: CreateDatasetSchema,
        handler: async ({ body, ctx }) => reply(201, await mapped(() => createDataset(deps.pool, body, actorOf(ctx), library.versions()))),
      }),
      defineRoute({
        method: "get",
        path: "/v1/mrv/datasets",
        access: "public",
        summary: "list MRV datasets",
        query: ListDatasetsSchema,
        handler: async ({ query }) => ({ datasets: await mapped(() => listDatasets(deps.pool, query)) }),
      }),
      defineRoute({
        method: "get",
        path: "/v1/mrv/datasets/:datasetId",
        access: "public",
        summary: "an MRV dataset and its uploads",
        params: DatasetParams,
        handler: async ({ params }) =>
          mapped(async () => {
            const dataset = await getDataset(deps.pool, params.datasetId);
            const uploads = (await listUploads(deps.pool, params.datasetId)).map(({ summary: _summary, ...upload }) => upload);
            return { dataset, uploads };
          }),
      }),
      defineRoute({
        method: "post",
        path: "/v1/mrv/datasets/:datasetId/uploads",
        access: writers,
        summary: "upload a source file (raw body; fileName, source and mapping in the query)",
        params: DatasetParams,
        query: UploadQuery,
        bodyLimit: deps.maxUploadBytes ?? 256 * 1024 * 1024,
        handler: async ({ params, query, ctx }) => {
          const bytes = ctx.rawBody;
          if (bytes === undefined || !Buffer.isBuffer(bytes) || /json/i.test(String(ctx.headers["content-type"] ?? ""))) {
            throw new ApiError(400, "INVALID_REQUEST", "send the file itself as the request body with its own Content-Type (e.g. text/csv), not JSON; for JSON readings use POST .../records");
          }
          if (query.source.format === "image" && startOcr === null) throw new ApiError(422, "FILE_REJECTED", "image uploads need OCR, which this server was started without");
          const needsOcr = query.source.format === "image" || query.source.format === "pdf";
          const ocr = needsOcr && startOcr !== null ? await (ocrEngine ??= startOcr()) : undefined;
          const summary = await mapped(() =>
            ingestFile(deps.pool, {
              datasetId: params.datasetId,
              fileName: query.fileName,
              content: { bytes },
              source: query.source,
              mapping: query.mapping as never,
              actor: actorOf(ctx),
              ...(ocr === undefined ? {} : { ocr }),
              ...(deps.limits === undefined ? {} : { limits: deps.limits }),
            }),
          );
          return reply(summary.status === "accepted" ? 201 : 200, summary);
        },
      }),
      defineRoute({
        method: "post",
        path: "/v1/mrv/datasets/:datasetId/records",
        access: writers,
        summary: "post readings as JSON records",
        params: DatasetParams,
        body: z.object({ records: PostedRecordsSchema, label: z.string().trim().min(1).max(200).optional() }).strict(),
        bodyLimit: 32 * 1024 * 1024,
        handler: async ({ params, body, ctx }) => {
          const summary = await mapped(() => ingestRecords(deps.pool, { datasetId: params.datasetId, records: body.records, actor: actorOf(ctx), ...(body.label === undefined ? {} : { label: body.label }) }));
          return reply(summary.status === "accepted" ? 201 : 200, summary);
        },
      }),
      defineRoute({
        method: "get",
        path: "/v1/mrv/uploads/:uploadId/quarantine",
        access: ["verifier", "compliance", "admin"],
        summary: "quarantined rows of an upload, with the reasons",
        params: z.object({ uploadId: z.coerce.number().int().positive() }).strict(),
        query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), offset: z.coerce.number().int().min(0).default(0) }).strict(),
        handler: async ({ params, query }) => ({ rows: await quarantinedRows(deps.pool, params.uploadId, query) }),
      }),
      defineRoute({
        method: "post",
        path: "/v1/mrv/datasets/:datasetId/seal",
        access: writers,
        summary: "seal a dataset: Merkle root and quantification, then it never changes",
        params: DatasetParams,
        handler: async ({ params, ctx }) => {
          const sealed = await mapped(() => sealDataset(deps.pool, { datasetId: params.datasetId, library, actor: actorOf(ctx) }));
          return { dataset: sealed.dataset, merkleRoot: sealed.merkleRoot, recordCount: sealed.recordCount };
        },
      }),
      defineRoute({
        method: "get",
        path: "/v1/mrv/datasets/:datasetId/claim",
        access: "public",
        summary: "the MRVRegistry claim of a sealed dataset and the EIP-712 type a quorum signs",
        params: DatasetParams,
        handler: async ({ params }) =>
          mapped(async () => {
            const d = await getDataset(deps.pool, params.datasetId);
            if (d.merkleRoot === null || d.netReductionsTco2e === null) throw new MrvError("DATASET_NOT_SEALED", `dataset ${d.id} is not sealed`);
            const claim = datasetClaimOf({ datasetId: d.id, projectId: d.projectId, period: d.period, merkleRoot: d.merkleRoot, netReductionsTco2e: d.netReductionsTco2e, libraryVersion: d.libraryVersion, recordCount: d.recordCount });
            return toJson({ claim, types: DATASET_ATTESTATION_TYPES, primaryType: "DatasetAttestation" });
          }),
      }),
      defineRoute({
        method: "get",
        path: "/v1/mrv/datasets/:datasetId/records/:index/proof",
        access: "public",
        summary: "a record of a sealed dataset with its Merkle proof",
        params: z.object({ datasetId: DatasetIdSchema, index: z.coerce.number().int().min(0) }).strict(),
        handler: async ({ params }) => mapped(() => recordProof(deps.pool, params)),
      }),
      defineRoute({
        method: "post",
        path: "/v1/mrv/datasets/:datasetId/verify",
        access: "public",
        summary: "check a record's Merkle proof against the sealed dataset's root",
        params: DatasetParams,
        body: z.object({ leaf: z.array(z.string()).length(7), proof: z.array(z.string()).max(64) }).strict(),
        handler: async ({ params, body }) => mapped(() => verifyRecordProof(deps.pool, { datasetId: params.datasetId, leaf: body.leaf, proof: body.proof })),
      }),
      defineRoute({
        method: "get",
        path: "/v1/mrv/datasets/:datasetId/draft",
        access: "signed_in",
        summary: "registry submission draft (VCS, Gold Standard or CCTS Form A) as JSON or PDF",
        params: DatasetParams,
        query: z.object({ format: DraftFormatSchema, as: z.enum(["json", "pdf"]).default("json") }).strict(),
        handler: async ({ params, query }) => {
          const draft = await mapped(() => buildSubmissionDraft(deps.pool, { datasetId: params.datasetId, format: query.format }));
          if (query.as === "json") return draft;
          return reply(200, await renderDraftPdf(draft), { contentType: "application/pdf", headers: { "content-disposition": `attachment; filename="${query.format}-${draft.dataset.projectId.replace(/[^A-Za-z0-9._-]/g, "_")}.pdf"` } });
        },
      }),
    ],
  };
}
