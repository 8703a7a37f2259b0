import { encodeAbiParameters, keccak256, parseAbiParameters, toBytes } from "viem";
import { z } from "zod";
import type { Queryable } from "../db/transaction";
import { nonNegativeDecimalString, positiveDecimalString } from "./decimal";
import { LibraryVersionSchema } from "./factors";
import { GwpSetIdSchema } from "./gwp";
import type { Hex } from "./merkle";
import { QualityRulesSchema } from "./quality";
import { MonitoringPeriodSchema } from "./quantification";
import { isUnitOf } from "./units";

/**
 * Monitoring-period datasets (table mrv_datasets, migration 101): one per project and period.
 * A dataset is created "open" with the emission-factor library version it will be computed with
 * and how its records become a quantification (the methodology); uploads add records to it; when
 * it is sealed its Merkle root and quantification are computed once and it never changes again.
 *
 * Dataset id (bytes32, the id MRVRegistry attests; MRVRegistry.datasetIdOf computes the same):
 *   keccak256(abi.encode(keccak256("carbonclear.mrv.dataset.v1"), keccak256(projectId), uint32 YYYYMMDD start, uint32 YYYYMMDD end))
 */

export class MrvError extends Error {
  constructor(
    /** Machine-readable: UNKNOWN_DATASET, DATASET_EXISTS, DATASET_SEALED, DATASET_NOT_SEALED, FILE_REJECTED, INVALID_INPUT, NO_RECORDS, UNKNOWN_RECORD, QUANTIFICATION_FAILED. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "MrvError";
  }
}

const DATASET_ID_DOMAIN = keccak256(toBytes("carbonclear.mrv.dataset.v1"));

/** An ISO date as the YYYYMMDD integer the contract uses. */
export function yyyymmdd(isoDate: string): number {
  return Number(isoDate.replaceAll("-", ""));
}

export function datasetIdFor(projectId: string, period: { start: string; end: string }): Hex {
  return keccak256(
    encodeAbiParameters(parseAbiParameters("bytes32, bytes32, uint32, uint32"), [DATASET_ID_DOMAIN, keccak256(toBytes(projectId)), yyyymmdd(period.start), yyyymmdd(period.end)]),
  );
}

export const DatasetIdSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected a dataset id: 0x and 64 hex digits")
  .transform((s) => s.toLowerCase() as Hex);

export const ProjectIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, "printable ASCII, e.g. VCS-1234");

/** A fuel whose quantity is the sum of a parameter's records. */
const FuelFromRecordsSchema = z
  .object({
    label: z.string().min(1).max(200),
    /** The records' parameter that meters this fuel, e.g. "diesel_consumption". */
    parameter: z.string().min(1).max(256),
    emissionFactorIds: z.array(z.string().min(1)).min(1),
    netCalorificValue: z
      .union([z.object({ factorId: z.string().min(1) }).strict(), z.object({ value: positiveDecimalString, unit: z.string().min(3), source: z.string().min(1) }).strict()])
      .optional(),
    density: z.object({ value: positiveDecimalString, unit: z.string().min(3), source: z.string().min(1) }).strict().optional(),
  })
  .strict();

const massQuantity = z
  .object({ value: nonNegativeDecimalString, unit: z.string().refine((u) => isUnitOf(u, "mass"), { message: "expected a mass unit, e.g. t" }) })
  .strict();

const common = {
  /** Methodology reference, e.g. "ACM0002 v21". */
  methodology: z.string().min(1).max(200),
  gwpSet: GwpSetIdSchema,
  methaneGwp: z.enum(["CH4", "CH4-fossil"]).optional(),
  leakage: massQuantity.optional(),
  otherProjectEmissions: massQuantity.optional(),
};

export const DatasetMethodologySchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("grid-renewable-electricity"),
      ...common,
      exportParameter: z.string().min(1).default("EG_export"),
      importParameter: z.string().min(1).optional(),
      gridEmissionFactorId: z.string().min(1),
      projectFuels: z.array(FuelFromRecordsSchema).default([]),
    })
    .strict(),
  z
    .object({
      kind: z.literal("fuel-switch"),
      ...common,
      baselineFuels: z.array(FuelFromRecordsSchema).min(1),
      projectFuels: z.array(FuelFromRecordsSchema).default([]),
    })
    .strict(),
]);
export type DatasetMethodology = z.infer<typeof DatasetMethodologySchema>;

export const CreateDatasetSchema = z
  .object({
    projectId: ProjectIdSchema,
    period: MonitoringPeriodSchema,
    libraryVersion: LibraryVersionSchema,
    methodology: DatasetMethodologySchema,
    qualityRules: QualityRulesSchema.prefault({}),
  })
  .strict();
export type CreateDatasetInput = z.input<typeof CreateDatasetSchema>;

export interface Dataset {
  readonly id: Hex;
  readonly projectId: string;
  readonly period: { start: string; end: string };
  readonly libraryVersion: string;
  readonly methodology: DatasetMethodology;
  readonly qualityRules: z.input<typeof QualityRulesSchema>;
  readonly status: "open" | "sealed";
  readonly recordCount: number;
  readonly merkleRoot: Hex | null;
  readonly netReductionsTco2e: string | null;
  readonly quantification: unknown;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly sealedAt: string | null;
}

interface DatasetRow {
  id: string;
  project_id: string;
  period_start: string;
  period_end: string;
  library_version: string;
  methodology: DatasetMethodology;
  quality_rules: z.input<typeof QualityRulesSchema>;
  status: "open" | "sealed";
  record_count: string;
  merkle_root: string | null;
  net_reductions_tco2e: string | null;
  quantification: unknown;
  created_by: string;
  created_at: Date;
  sealed_at: Date | null;
}

const COLUMNS = `id, project_id, to_char(period_start, 'YYYY-MM-DD') AS period_start, to_char(period_end, 'YYYY-MM-DD') AS period_end,
  library_version, methodology, quality_rules, status, record_count::text AS record_count, merkle_root, net_reductions_tco2e,
  quantification, created_by, created_at, sealed_at`;

function toDataset(row: DatasetRow): Dataset {
  return {
    id: row.id as Hex,
    projectId: row.project_id,
    period: { start: row.period_start, end: row.period_end },
    libraryVersion: row.library_version,
    methodology: row.methodology,
    qualityRules: row.quality_rules,
    status: row.status,
    recordCount: Number(row.record_count),
    merkleRoot: row.merkle_root as Hex | null,
    netReductionsTco2e: row.net_reductions_tco2e,
    quantification: row.quantification,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    sealedAt: row.sealed_at?.toISOString() ?? null,
  };
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(value)"}: ${i.message}`);
    throw new MrvError("INVALID_INPUT", `invalid ${what}: ${issues.join("; ")}`, { issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
  }
  return parsed.data;
}

/** Creates an open dataset; refuses a second dataset for the same project and period. */
export async function createDataset(db: Queryable, input: CreateDatasetInput, actor: string, knownLibraryVersions: readonly string[]): Promise<Dataset> {
  const parsed = parseOrThrow(CreateDatasetSchema, input, "dataset");
  if (!knownLibraryVersions.includes(parsed.libraryVersion)) {
    throw new MrvError("INVALID_INPUT", `unknown emission-factor library version ${JSON.stringify(parsed.libraryVersion)} (known: ${knownLibraryVersions.join(", ")})`);
  }
  const id = datasetIdFor(parsed.projectId, parsed.period);
  const { rows } = await db.query<DatasetRow>(
    `INSERT INTO mrv_datasets (id, project_id, period_start, period_end, library_version, methodology, quality_rules, created_by)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8)
     ON CONFLICT DO NOTHING
     RETURNING ${COLUMNS}`,
    [id, parsed.projectId, parsed.period.start, parsed.period.end, parsed.libraryVersion, JSON.stringify(parsed.methodology), JSON.stringify(parsed.qualityRules), actor],
  );
  if (rows.length === 0) {
    throw new MrvError("DATASET_EXISTS", `project ${parsed.projectId} already has a dataset for ${parsed.period.start}/${parsed.period.end}: ${id}`, { datasetId: id });
  }
  return toDataset(rows[0]);
}

export async function findDataset(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<Dataset | undefined> {
  const datasetId = parseOrThrow(DatasetIdSchema, id, "dataset id");
  const { rows } = await db.query<DatasetRow>(`SELECT ${COLUMNS} FROM mrv_datasets WHERE id = $1${options.forUpdate === true ? " FOR UPDATE" : ""}`, [datasetId]);
  return rows.length === 0 ? undefined : toDataset(rows[0]);
}

export async function getDataset(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<Dataset> {
  const dataset = await findDataset(db, id, options);
  if (dataset === undefined) throw new MrvError("UNKNOWN_DATASET", `no MRV dataset ${id}`);
  return dataset;
}

export const ListDatasetsSchema = z
  .object({
    projectId: ProjectIdSchema.optional(),
    status: z.enum(["open", "sealed"]).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export async function listDatasets(db: Queryable, filter: z.input<typeof ListDatasetsSchema> = {}): Promise<Dataset[]> {
  const f = parseOrThrow(ListDatasetsSchema, filter, "dataset filter");
  const { rows } = await db.query<DatasetRow>(
    `SELECT ${COLUMNS} FROM mrv_datasets
     WHERE ($1::text IS NULL OR project_id = $1) AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at DESC, id LIMIT $3 OFFSET $4`,
    [f.projectId ?? null, f.status ?? null, f.limit, f.offset],
  );
  return rows.map(toDataset);
}

export interface UploadInfo {
  readonly id: number;
  readonly datasetId: Hex;
  readonly sha256: string;
  readonly fileName: string;
  readonly format: string;
  readonly byteSize: number;
  readonly acceptedCount: number;
  readonly quarantinedCount: number;
  readonly duplicateCount: number;
  readonly summary: unknown;
  readonly uploadedBy: string;
  readonly uploadedAt: string;
}

export async function listUploads(db: Queryable, datasetId: string): Promise<UploadInfo[]> {
  const id = parseOrThrow(DatasetIdSchema, datasetId, "dataset id");
  const { rows } = await db.query<{
    id: string; dataset_id: string; sha256: string; file_name: string; format: string; byte_size: string;
    accepted_count: string; quarantined_count: string; duplicate_count: string; summary: unknown; uploaded_by: string; uploaded_at: Date;
  }>(
    `SELECT id::text AS id, dataset_id, sha256, file_name, format, byte_size::text AS byte_size, accepted_count::text AS accepted_count,
       quarantined_count::text AS quarantined_count, duplicate_count::text AS duplicate_count, summary, uploaded_by, uploaded_at
     FROM mrv_uploads WHERE dataset_id = $1 ORDER BY id`,
    [id],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    datasetId: r.dataset_id as Hex,
    sha256: r.sha256,
    fileName: r.file_name,
    format: r.format,
    byteSize: Number(r.byte_size),
    acceptedCount: Number(r.accepted_count),
    quarantinedCount: Number(r.quarantined_count),
    duplicateCount: Number(r.duplicate_count),
    summary: r.summary,
    uploadedBy: r.uploaded_by,
    uploadedAt: r.uploaded_at.toISOString(),
  }));
}

export interface QuarantineEntry {
  readonly file: string;
  readonly row: number;
  readonly endRow?: number;
  readonly page?: number;
  readonly raw: string;
  readonly errors: readonly { column: string; expected: string; got: string }[];
}

export async function quarantinedRows(db: Queryable, uploadId: number, options: { limit?: number; offset?: number } = {}): Promise<QuarantineEntry[]> {
  const { rows } = await db.query<{ file_name: string; row_number: number; end_row: number | null; page: number | null; raw: string; errors: QuarantineEntry["errors"] }>(
    `SELECT file_name, row_number, end_row, page, raw, errors FROM mrv_quarantine WHERE upload_id = $1 ORDER BY id LIMIT $2 OFFSET $3`,
    [uploadId, options.limit ?? 1000, options.offset ?? 0],
  );
  return rows.map((r) => ({
    file: r.file_name,
    row: r.row_number,
    ...(r.end_row === null ? {} : { endRow: r.end_row }),
    ...(r.page === null ? {} : { page: r.page }),
    raw: r.raw,
    errors: r.errors,
  }));
}
