import PDFDocument from "pdfkit";
import { z } from "zod";
import type { Queryable } from "../db/transaction";
import { type Dataset, DatasetIdSchema, MrvError, getDataset, listUploads, parseOrThrow } from "./dataset";
import type { QuantificationResult } from "./quantification";
import { compareText, datasetChunks } from "./recordStore";
import { ScaledSum, formatScaledDecimal } from "./scaledDecimal";

/**
 * Registry submission drafts from a sealed dataset: a pre-filled monitoring report the verifier
 * works from, in the VCS monitoring report (v4.4) structure of reference/DOMAIN.md, a Gold
 * Standard variant and an Indian CCTS "Form A" variant; as JSON and as a human-readable PDF.
 *
 * Everything the platform knows is filled in (period, methodology, data and parameters from the
 * records, the exact quantification with its calculation trail and the factors used with their
 * sources, data-quality findings, the Merkle root that makes every record provable). What only the
 * proponent can write (safeguards, sustainable development, implementation narrative) is left as
 * an explicit "to be completed by the project proponent" field, never invented.
 */

export const DRAFT_FORMATS = ["vcs", "gs", "ccts"] as const;
export const DraftFormatSchema = z.enum(DRAFT_FORMATS);
export type DraftFormat = z.infer<typeof DraftFormatSchema>;

const TO_COMPLETE = "[to be completed by the project proponent]";

const STANDARD: Record<DraftFormat, { standard: string; template: string; title: string }> = {
  vcs: { standard: "Verified Carbon Standard (Verra)", template: "VCS Monitoring Report Template v4.4", title: "Monitoring Report" },
  gs: { standard: "Gold Standard for the Global Goals", template: "Gold Standard Monitoring Report", title: "Monitoring Report" },
  ccts: { standard: "Carbon Credit Trading Scheme, India (offset mechanism)", template: "CCTS Form A (monitoring report)", title: "Form A: Monitoring Report" },
};

export interface DraftSection {
  readonly number: string;
  readonly title: string;
  /** Label/value pairs. */
  readonly fields: readonly { label: string; value: string }[];
  /** Optional table. */
  readonly table?: { columns: readonly string[]; rows: readonly (readonly string[])[] };
}

export interface SubmissionDraft {
  readonly format: DraftFormat;
  readonly standard: string;
  readonly template: string;
  readonly title: string;
  readonly generatedAt: string;
  readonly dataset: { id: string; projectId: string; period: { start: string; end: string }; merkleRoot: string; recordCount: number; libraryVersion: string };
  readonly sections: readonly DraftSection[];
}

interface ParameterRow {
  parameter: string;
  unit: string;
  count: string;
  total: string;
  sensors: string;
  first_ms: string;
  last_ms: string;
}

/** Per parameter and unit: readings, exact total, sensors, first and last reading (from the stored record chunks). */
async function parameterRows(db: Queryable, datasetId: string): Promise<ParameterRow[]> {
  const groups = new Map<string, { parameter: string; unit: string; count: number; sum: ScaledSum; sensors: Set<string>; first: number; last: number }>();
  for await (const { columns } of datasetChunks(db, datasetId)) {
    for (let i = 0; i < columns.timeMs.length; i++) {
      const key = `${columns.parameter[i]}\u0000${columns.unit[i]}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = { parameter: columns.parameter[i], unit: columns.unit[i], count: 0, sum: new ScaledSum(), sensors: new Set(), first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
        groups.set(key, group);
      }
      group.count += 1;
      group.sum.addText(columns.quantity[i]);
      group.sensors.add(columns.sensorId[i]);
      group.first = Math.min(group.first, columns.timeMs[i]);
      group.last = Math.max(group.last, columns.timeMs[i]);
    }
  }
  return [...groups.values()]
    .sort((a, b) => compareText(a.parameter, b.parameter) || compareText(a.unit, b.unit))
    .map((g) => ({
      parameter: g.parameter,
      unit: g.unit,
      count: String(g.count),
      total: formatScaledDecimal(g.sum.value),
      sensors: [...g.sensors].sort(compareText).join(", "),
      first_ms: String(g.first),
      last_ms: String(g.last),
    }));
}

function field(label: string, value: string | undefined): { label: string; value: string } {
  return { label, value: value === undefined || value === "" ? TO_COMPLETE : value };
}

const iso = (ms: string) => new Date(Number(ms)).toISOString();

/** Builds the draft of `format` for a sealed dataset. */
export async function buildSubmissionDraft(db: Queryable, input: { datasetId: string; format: string; now?: Date }): Promise<SubmissionDraft> {
  const datasetId = parseOrThrow(DatasetIdSchema, input.datasetId, "dataset id");
  const format = parseOrThrow(DraftFormatSchema, input.format, "draft format");
  const dataset = await getDataset(db, datasetId);
  if (dataset.status !== "sealed" || dataset.merkleRoot === null) throw new MrvError("DATASET_NOT_SEALED", `dataset ${datasetId} is not sealed: seal it before drafting a report`);
  const result = dataset.quantification as QuantificationResult & { notes?: string[] };
  const parameters = await parameterRows(db, datasetId);
  const uploads = await listUploads(db, datasetId);
  const flagCounts = new Map<string, number>();
  for (const upload of uploads) {
    const byKind = (upload.summary as { qualityFlags?: { byKind?: Record<string, number> } }).qualityFlags?.byKind ?? {};
    for (const [kind, n] of Object.entries(byKind)) flagCounts.set(kind, (flagCounts.get(kind) ?? 0) + n);
  }
  const meta = STANDARD[format];
  const sections = [
    projectDetails(format, dataset, result),
    ...(format === "ccts" ? [] : [{ number: "2", title: "Safeguards", fields: [field(format === "gs" ? "Safeguarding principles assessment" : "No net harm / stakeholder consultation", undefined)] }]),
    {
      number: format === "ccts" ? "2" : "3",
      title: "Implementation status",
      fields: [field("Implementation status and deviations", undefined), field("Baseline reassessment", undefined)],
    },
    dataAndParameters(format, parameters, uploads, flagCounts),
    quantification(format, result),
    {
      number: format === "ccts" ? "5" : "6",
      title: "Data integrity",
      fields: [
        field("Dataset id", dataset.id),
        field("Merkle root over the normalized records", dataset.merkleRoot),
        field("Records", String(dataset.recordCount)),
        field("Leaf encoding", "keccak256(keccak256(abi.encode(bytes32 datasetId, uint256 index, string sensorId, string parameter, uint64 timestampMs, string quantity, string unit)))"),
        field("How to verify a record", "carbonclear mrv proof <dataset> <index>, then mrv verify, or MRVRegistry.verifyRecord on-chain once attested"),
        field("Source files", uploads.map((u) => `${u.fileName} (sha256 ${u.sha256}, ${u.acceptedCount} accepted, ${u.quarantinedCount} quarantined, ${u.duplicateCount} duplicates)`).join("; ")),
      ],
    },
  ];
  return {
    format,
    ...meta,
    generatedAt: (input.now ?? new Date()).toISOString(),
    dataset: { id: dataset.id, projectId: dataset.projectId, period: dataset.period, merkleRoot: dataset.merkleRoot, recordCount: dataset.recordCount, libraryVersion: dataset.libraryVersion },
    sections,
  };
}

function projectDetails(format: DraftFormat, dataset: Dataset, result: QuantificationResult): DraftSection {
  const common = [
    field("Project id", dataset.projectId),
    field("Monitoring period", `${dataset.period.start} to ${dataset.period.end} (inclusive)`),
    field("Methodology", result.methodology),
    field("Methodology shape", result.kind === "grid-renewable-electricity" ? "grid-connected renewable electricity (ACM0002 / AMS-I.D)" : "fuel combustion / fuel switch"),
    field("Emission-factor library version", dataset.libraryVersion),
    field("GWP set", result.gwpSet),
  ];
  const byFormat: Record<DraftFormat, { label: string; value?: string }[]> = {
    vcs: [{ label: "Project title" }, { label: "Sectoral scope" }, { label: "Project proponent" }, { label: "Project start date" }, { label: "Crediting period" }, { label: "Location" }, { label: "Audit history" }, { label: "Double counting and participation under other GHG programs" }, { label: "Sustainable development contributions" }],
    gs: [{ label: "Project title" }, { label: "GS project id (GSID)" }, { label: "Project developer" }, { label: "Crediting period" }, { label: "Location" }, { label: "SDG impacts monitored (SDG 13 and at least two others)" }, { label: "Stakeholder feedback and grievance mechanism" }],
    ccts: [{ label: "Project title" }, { label: "Registration number (Indian Carbon Market registry)" }, { label: "Project participant" }, { label: "State / location" }, { label: "Crediting period" }, { label: "Sector (as per the approved offset methodology list)" }],
  };
  return { number: "1", title: format === "ccts" ? "Project and participant details" : "Project details", fields: [...byFormat[format].map((f) => field(f.label, f.value)), ...common] };
}

function dataAndParameters(format: DraftFormat, parameters: readonly ParameterRow[], uploads: readonly { fileName: string; format: string }[], flags: Map<string, number>): DraftSection {
  return {
    number: format === "ccts" ? "3" : "4",
    title: format === "ccts" ? "Monitored parameters" : "Data and parameters monitored",
    fields: [
      field("Source of data", uploads.map((u) => `${u.fileName} (${u.format})`).join(", ")),
      field("Measurement methods and procedures", undefined),
      field("Monitoring equipment and calibration", undefined),
      field("QA/QC procedures applied by the platform", "declared column mapping per source; row-level validation with quarantine; exact unit normalization (decimal arithmetic); duplicate and conflict detection per sensor, parameter and instant; automated data-quality checks"),
      field("Data-quality findings", flags.size === 0 ? "none" : [...flags.entries()].map(([kind, n]) => `${n} ${kind}`).join(", ")),
    ],
    table: {
      columns: ["Parameter", "Unit (base)", "Readings", "Value applied (total)", "Sensors", "First reading", "Last reading"],
      rows: parameters.map((p) => [p.parameter, p.unit, p.count, trimNumeric(p.total), p.sensors, iso(p.first_ms), iso(p.last_ms)]),
    },
  };
}

function trimNumeric(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

function quantification(format: DraftFormat, result: QuantificationResult & { notes?: string[] }): DraftSection {
  return {
    number: format === "ccts" ? "4" : "5",
    title: format === "ccts" ? "Emission reductions achieved" : "Quantification of GHG emission reductions",
    fields: [
      field("Baseline emissions (tCO2e)", result.baselineEmissions),
      field("Project emissions (tCO2e)", result.projectEmissions),
      field("Leakage (tCO2e)", result.leakage),
      field("Net emission reductions (tCO2e)", result.netReductions),
      field(format === "ccts" ? "Carbon credit certificates requested" : "Credits requested (whole tCO2e)", result.issuableCredits),
      field("Factors used", result.factorsUsed.map((f) => `${f.id} = ${f.value} ${f.unit} (${f.source.publisher}, ${f.source.document}${f.source.reference === undefined ? "" : `, ${f.source.reference}`}; version ${f.version})`).join("; ")),
      ...(result.notes !== undefined && result.notes.length > 0 ? [field("Notes", result.notes.join("; "))] : []),
    ],
    table: { columns: ["Term", "Step", "Calculation", "Result", "Unit"], rows: result.calculation.map((s) => [s.term, s.label, s.expression, s.result, s.unit]) },
  };
}

/** The draft as a PDF (pdfkit, built-in Helvetica: no font files needed). */
export function renderDraftPdf(draft: SubmissionDraft): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: "A4", margin: 50, info: { Title: `${draft.title} ${draft.dataset.projectId} ${draft.dataset.period.start}/${draft.dataset.period.end}`, Creator: "CarbonClear" } });
    const chunks: Buffer[] = [];
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    doc.font("Helvetica-Bold").fontSize(16).text(`${draft.title} (draft)`);
    doc.font("Helvetica").fontSize(10).text(`${draft.standard}: ${draft.template}`);
    doc.text(`Project ${draft.dataset.projectId}, monitoring period ${draft.dataset.period.start} to ${draft.dataset.period.end}`);
    doc.text(`Generated ${draft.generatedAt} by CarbonClear from dataset ${draft.dataset.id}`);
    doc.moveDown();
    for (const section of draft.sections) {
      doc.font("Helvetica-Bold").fontSize(12).text(`${section.number} ${section.title}`);
      doc.moveDown(0.3);
      for (const f of section.fields) {
        doc.font("Helvetica-Bold").fontSize(9).text(`${f.label}: `, { continued: true });
        doc.font("Helvetica").text(f.value);
      }
      if (section.table !== undefined) {
        doc.moveDown(0.3);
        doc.font("Helvetica-Bold").fontSize(8).text(section.table.columns.join("  |  "));
        doc.font("Helvetica");
        for (const row of section.table.rows) doc.text(row.join("  |  "));
      }
      doc.moveDown();
    }
    doc.end();
  });
}
