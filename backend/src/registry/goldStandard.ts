/**
 * Gold Standard Impact Registry: serial numbers and CSV exports.
 *
 * Serial: `GS1-1-{ISO2}-GS{GSID}-{projectTypeCode}-{vintage}-{batchId}-{start}-{end}`, e.g.
 * `GS1-1-KE-GS11603-16-2025-30256-110-5463` (5,354 credits). Credits are numbered per issuance
 * batch (`start`/`end` restart at 1 in every batch), so serialScope is the batch id.
 */
import { toIsoDate, type CountryCode, type IsoDate } from "../domain";
import { readCsvExport, type CreditStatus, type ExportInput, type ExportParseResult, type ExportRecord, type RowCells } from "./csvExport";
import { labelsFromCertifications } from "./certificationLabels";
import { SerialReader, type SerialCommon, type SerialFormat } from "./serial";

export interface GoldStandardSerialParts {
  readonly country: CountryCode;
  /** GSID without the "GS" prefix, e.g. "11603". */
  readonly gsId: string;
  /** Project type code (1 PV, 2 solar thermal, 4 biogas heat, 12 wind, 16 EE domestic, …). */
  readonly projectTypeCode: number;
  readonly vintageYear: number;
  readonly batchId: bigint;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
}

export interface GoldStandardSerial extends SerialCommon, GoldStandardSerialParts {
  readonly registry: "GOLD_STANDARD";
}

const PARTS = ["prefix", "program", "country", "gsId", "projectTypeCode", "vintage", "batchId", "start", "end"] as const;
const LAYOUT = "GS1-1-{ISO2}-GS{GSID}-{projectTypeCode}-{vintage}-{batchId}-{start}-{end}";
export const GOLD_STANDARD_FIRST_VINTAGE = 1990;
export const GOLD_STANDARD_LAST_VINTAGE = 2100;

export const goldStandardSerialFormat: SerialFormat<GoldStandardSerial, GoldStandardSerialParts> = {
  registry: "GOLD_STANDARD",
  layout: LAYOUT,

  parse(serial: string): GoldStandardSerial {
    const r = new SerialReader("GOLD_STANDARD", serial.trim(), PARTS, LAYOUT);
    r.literal("prefix", "GS1");
    r.literal("program", "1");
    const country = r.country("country");
    const gsPart = r.text("gsId");
    if (!/^GS/.test(gsPart)) r.fail("gsId", `"${gsPart}" must be GS followed by the project's GSID`);
    const gsId = gsPart.slice(2);
    if (!/^[1-9]\d{0,7}$/.test(gsId)) r.fail("gsId", `"${gsPart}": the GSID must be 1 to 8 digits without leading zeros`);
    const projectTypeCode = r.integer("projectTypeCode", { min: 1, max: 999 });
    const vintageText = r.text("vintage");
    if (!/^\d{4}$/.test(vintageText)) r.fail("vintage", `"${vintageText}" must be a four-digit year`);
    const vintageYear = r.integer("vintage", { min: GOLD_STANDARD_FIRST_VINTAGE, max: GOLD_STANDARD_LAST_VINTAGE });
    const batchId = r.serialNumber("batchId");
    const range = r.serialRange("start", "end");
    return {
      registry: "GOLD_STANDARD",
      serial: r.serial,
      serialScope: batchId,
      ...range,
      projectId: `GS${gsId}`,
      vintageStart: toIsoDate(`${vintageYear}-01-01`) as IsoDate,
      vintageEnd: toIsoDate(`${vintageYear}-12-31`) as IsoDate,
      country,
      gsId,
      projectTypeCode,
      vintageYear,
      batchId,
    };
  },

  format(p: GoldStandardSerialParts): string {
    const serial = ["GS1", "1", p.country, `GS${p.gsId}`, p.projectTypeCode, p.vintageYear, p.batchId, p.serialStart, p.serialEnd].join("-");
    return goldStandardSerialFormat.parse(serial).serial;
  },
};

/** Columns of the Impact Registry's credit exports (the retirement export adds the optional ones). */
const COLUMNS = {
  vintage: { header: "Vintage", required: true },
  creditStatus: { header: "Credit Status", required: true },
  quantity: { header: "Quantity", required: true },
  gsId: { header: "GSID", required: true },
  projectName: { header: "Project Name", required: false },
  projectDeveloper: { header: "Project Developer", required: false },
  country: { header: "Country", required: false },
  projectType: { header: "Project Type", required: false },
  methodology: { header: "Methodology", required: false },
  programmeOfActivities: { header: "Programme of Activities", required: false },
  poaGsId: { header: "POA GSID", required: false },
  productType: { header: "Product Type", required: false },
  issuanceDate: { header: "Issuance Date", required: false },
  retirementDate: { header: "Retirement Date", required: false },
  monitoringPeriodStart: { header: "Monitoring Period Start", required: false },
  monitoringPeriodEnd: { header: "Monitoring Period End", required: false },
  serialNumber: { header: "Serial Number", required: true },
  note: { header: "Note", required: false },
  aeroplaneOperatorName: { header: "Aeroplane Operator Name", required: false },
  label: { header: "Label", required: false },
  useCase: { header: "Use Case", required: false },
  usingEntity: { header: "Using Entity", required: false },
  articleSixAuthorization: { header: "Article Six Authorization", required: false },
} as const;
type Column = keyof typeof COLUMNS;

const STATUSES = ["Issued", "Retired", "Canceled", "Cancelled"] as const;
const STATUS: Record<(typeof STATUSES)[number], CreditStatus> = {
  Issued: "ISSUED",
  Retired: "RETIRED",
  Canceled: "CANCELLED",
  Cancelled: "CANCELLED",
};

/** "Article Six Authorization" cell → authorized or not; null (with an error) when unrecognised. */
function articleSixAuthorized(cells: RowCells<Column>): boolean | null {
  const value = cells.text("articleSixAuthorization");
  if (value === null) return false;
  const v = value.toLowerCase();
  if (["not applicable", "n/a", "no", "not authorized", "not authorised", "false"].includes(v)) return false;
  if (["yes", "true"].includes(v) || /^authori[sz]ed\b/.test(v)) return true;
  return cells.error("articleSixAuthorization", `"${value}" is neither an authorization nor "Not Applicable"`, value);
}

function convertRow(cells: RowCells<Column>): ExportRecord<GoldStandardSerial> | null {
  const serialText = cells.text("serialNumber", { required: true });
  let serial: GoldStandardSerial | null = null;
  if (serialText !== null) {
    try {
      serial = goldStandardSerialFormat.parse(serialText);
    } catch (error) {
      cells.error("serialNumber", (error as Error).message, serialText);
    }
  }
  const quantity = cells.quantity("quantity", { required: true });
  const statusText = cells.oneOf("creditStatus", STATUSES, { required: true });
  const gsId = cells.text("gsId", { required: true });
  const vintage = cells.text("vintage", { required: true });
  const issuanceDate = cells.date("issuanceDate");
  const retirementDate = cells.date("retirementDate");
  const certifications = cells.list("label", ",");
  const authorized = articleSixAuthorized(cells);

  if (serial !== null) {
    if (quantity !== null && quantity !== serial.quantity) {
      cells.error("quantity", `${quantity} does not match the serial block's ${serial.quantity} credits`, String(quantity));
    }
    if (gsId !== null && gsId !== serial.gsId) cells.error("gsId", `"${gsId}" does not match the serial's GS${serial.gsId}`, gsId);
    if (vintage !== null && vintage !== String(serial.vintageYear)) {
      cells.error("vintage", `"${vintage}" does not match the serial's vintage ${serial.vintageYear}`, vintage);
    }
  }
  if (serial === null || quantity === null || statusText === null || authorized === null) return null;

  const status = STATUS[statusText];
  const labels = labelsFromCertifications(authorized ? [...certifications, "Article 6 Authorized"] : certifications);
  return {
    registry: "GOLD_STANDARD",
    serial,
    quantity,
    status,
    projectId: serial.projectId,
    projectName: cells.text("projectName"),
    countryName: cells.text("country"),
    projectType: cells.text("projectType"),
    methodology: cells.text("methodology"),
    issuanceDate,
    vintageStart: serial.vintageStart,
    vintageEnd: serial.vintageEnd,
    labels,
    certifications,
    retirement:
      status === "ISSUED"
        ? null
        : { date: retirementDate, beneficiary: cells.text("usingEntity"), reason: cells.text("useCase"), details: cells.text("note") },
  };
}

/** Parses a Gold Standard Impact Registry credits export (issuances or retirements). */
export function parseGoldStandardExport(input: ExportInput): Promise<ExportParseResult<GoldStandardSerial>> {
  return readCsvExport(input, COLUMNS, convertRow);
}
