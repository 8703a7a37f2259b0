/**
 * Verra (VCS) registry: serial numbers and CSV exports.
 *
 * Serial: `{batchId}-{blockStart}-{blockEnd}-VCS-VCU-{code}-VER-{ISO2}-{sectoralScope}-{projectId}-{vintageStart DDMMYYYY}-{vintageEnd DDMMYYYY}-{flag}`,
 * e.g. `19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1` (425 credits).
 * Block numbers are unique across the registry, so serialScope is 0. `flag` is 1 when the batch
 * carries additional certifications; `code` is kept as written (not decoded).
 */
import { toDdmmyyyy, type CountryCode, type IsoDate } from "../domain";
import { readCsvExport, type CreditStatus, type ExportInput, type ExportParseResult, type ExportRecord, type RowCells } from "./csvExport";
import { labelsFromCertifications } from "./certificationLabels";
import { SerialReader, type SerialCommon, type SerialFormat } from "./serial";

export interface VerraSerialParts {
  readonly batchId: string;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
  /** The number after VCU (not decoded by anyone outside Verra). */
  readonly code: string;
  readonly country: CountryCode;
  /** VCS sectoral scope, 1..16 (e.g. 14 AFOLU). */
  readonly sectoralScope: number;
  readonly projectId: string;
  readonly vintageStart: IsoDate;
  readonly vintageEnd: IsoDate;
  readonly additionalCertifications: boolean;
}

export interface VerraSerial extends SerialCommon, VerraSerialParts {
  readonly registry: "VERRA";
}

const PARTS = [
  "batchId",
  "blockStart",
  "blockEnd",
  "program",
  "unitType",
  "code",
  "issuanceType",
  "country",
  "sectoralScope",
  "projectId",
  "vintageStart",
  "vintageEnd",
  "flag",
] as const;
const LAYOUT =
  "{batchId}-{blockStart}-{blockEnd}-VCS-VCU-{code}-VER-{ISO2}-{sectoralScope}-{projectId}-{vintageStart DDMMYYYY}-{vintageEnd DDMMYYYY}-{flag}";

export const verraSerialFormat: SerialFormat<VerraSerial, VerraSerialParts> = {
  registry: "VERRA",
  layout: LAYOUT,

  parse(serial: string): VerraSerial {
    const r = new SerialReader("VERRA", serial.trim(), PARTS, LAYOUT);
    const batchId = r.digits("batchId", { maxLength: 12 });
    const range = r.serialRange("blockStart", "blockEnd");
    r.literal("program", "VCS");
    r.literal("unitType", "VCU");
    const code = r.digits("code", { maxLength: 8, allowLeadingZeros: true });
    r.literal("issuanceType", "VER");
    const country = r.country("country");
    const sectoralScope = r.integer("sectoralScope", { min: 1, max: 16 });
    const projectId = r.digits("projectId", { maxLength: 10 });
    const vintageStart = r.ddmmyyyy("vintageStart");
    const vintageEnd = r.ddmmyyyy("vintageEnd");
    r.notBefore("vintageEnd", vintageEnd, "vintageStart", vintageStart);
    const flag = r.text("flag");
    if (flag !== "0" && flag !== "1") r.fail("flag", `"${flag}" must be 0 or 1`);
    return {
      registry: "VERRA",
      serial: r.serial,
      serialScope: 0n,
      ...range,
      batchId,
      code,
      country,
      sectoralScope,
      projectId,
      vintageStart,
      vintageEnd,
      additionalCertifications: flag === "1",
    };
  },

  format(p: VerraSerialParts): string {
    const serial = [
      p.batchId,
      p.serialStart,
      p.serialEnd,
      "VCS",
      "VCU",
      p.code,
      "VER",
      p.country,
      p.sectoralScope,
      p.projectId,
      toDdmmyyyy(p.vintageStart),
      toDdmmyyyy(p.vintageEnd),
      p.additionalCertifications ? 1 : 0,
    ].join("-");
    return verraSerialFormat.parse(serial).serial;
  },
};

/** Columns of Verra's VCU export (newer exports add the optional ones at the end). */
const COLUMNS = {
  issuanceDate: { header: "Issuance Date", required: true },
  sdgs: { header: "Sustainable Development Goals", required: false },
  vintageStart: { header: "Vintage Start", required: true },
  vintageEnd: { header: "Vintage End", required: true },
  projectId: { header: "ID", required: true },
  name: { header: "Name", required: true },
  country: { header: "Country/Area", required: false },
  projectType: { header: "Project Type", required: false },
  methodology: { header: "Methodology", required: false },
  totalVintageQuantity: { header: "Total Vintage Quantity", required: false },
  quantityIssued: { header: "Quantity Issued", required: true },
  serialNumber: { header: "Serial Number", required: true },
  additionalCertifications: { header: "Additional Certifications", required: false },
  retirementDate: { header: "Retirement/Cancellation Date", required: false },
  retirementBeneficiary: { header: "Retirement Beneficiary", required: false },
  retirementReason: { header: "Retirement Reason", required: false },
  retirementDetails: { header: "Retirement Details", required: false },
  isCancelled: { header: "Is Cancelled", required: false },
} as const;
type Column = keyof typeof COLUMNS;

function convertRow(cells: RowCells<Column>): ExportRecord<VerraSerial> | null {
  const serialText = cells.text("serialNumber", { required: true });
  let serial: VerraSerial | null = null;
  if (serialText !== null) {
    try {
      serial = verraSerialFormat.parse(serialText);
    } catch (error) {
      cells.error("serialNumber", (error as Error).message, serialText);
    }
  }
  const quantity = cells.quantity("quantityIssued", { required: true });
  const total = cells.quantity("totalVintageQuantity");
  const projectId = cells.text("projectId", { required: true });
  const vintageStart = cells.date("vintageStart", { required: true });
  const vintageEnd = cells.date("vintageEnd", { required: true });
  const issuanceDate = cells.date("issuanceDate", { required: true });
  const retirementDate = cells.date("retirementDate");
  const cancelled = cells.oneOf("isCancelled", ["true", "false", "yes", "no"]);
  const certifications = cells.list("additionalCertifications", ";");

  if (serial !== null) {
    if (quantity !== null && quantity !== serial.quantity) {
      cells.error("quantityIssued", `${quantity} does not match the serial block's ${serial.quantity} credits`, String(quantity));
    }
    if (projectId !== null && projectId !== serial.projectId) {
      cells.error("projectId", `"${projectId}" does not match the serial's project ${serial.projectId}`, projectId);
    }
    if (vintageStart !== null && vintageStart !== serial.vintageStart) {
      cells.error("vintageStart", `${vintageStart} does not match the serial's ${serial.vintageStart}`, vintageStart);
    }
    if (vintageEnd !== null && vintageEnd !== serial.vintageEnd) {
      cells.error("vintageEnd", `${vintageEnd} does not match the serial's ${serial.vintageEnd}`, vintageEnd);
    }
  }
  if (total !== null && quantity !== null && total < quantity) {
    cells.error("totalVintageQuantity", `${total} is less than the ${quantity} issued in this row`, String(total));
  }
  if (cancelled !== null && ["true", "yes"].includes(cancelled) && retirementDate === null) {
    cells.error("retirementDate", "is empty although the row is cancelled");
  }
  if (serial === null || quantity === null || projectId === null || vintageStart === null || vintageEnd === null) return null;

  const status: CreditStatus =
    retirementDate === null ? "ISSUED" : cancelled === "true" || cancelled === "yes" ? "CANCELLED" : "RETIRED";
  return {
    registry: "VERRA",
    serial,
    quantity,
    status,
    projectId,
    projectName: cells.text("name"),
    countryName: cells.text("country"),
    projectType: cells.text("projectType"),
    methodology: cells.text("methodology"),
    issuanceDate,
    vintageStart,
    vintageEnd,
    labels: labelsFromCertifications(certifications),
    certifications,
    retirement:
      status === "ISSUED"
        ? null
        : {
            date: retirementDate,
            beneficiary: cells.text("retirementBeneficiary"),
            reason: cells.text("retirementReason"),
            details: cells.text("retirementDetails"),
          },
  };
}

/**
 * Parses a Verra VCU export (CSV with the registry's column names; quantities may carry thousands
 * separators; "Additional Certifications" lists values separated by ";").
 */
export function parseVerraExport(input: ExportInput): Promise<ExportParseResult<VerraSerial>> {
  return readCsvExport(input, COLUMNS, convertRow);
}
