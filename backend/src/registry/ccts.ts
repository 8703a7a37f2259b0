/**
 * India's Carbon Credit Trading Scheme (CCTS; Grid-India keeps the registry, the Bureau of Energy
 * Efficiency issues Carbon Credit Certificates, 1 CCC = 1 tCO2e).
 *
 * ASSUMPTION: no serial format or registry export of the CCTS registry is public. CarbonClear
 * assumes the format below and the export columns of {@link parseCctsExport}; both are ours, to be
 * replaced when Grid-India publishes its own.
 *
 * Serial: `IN-CCC-{yyyy}-{entityCode}-{start}-{end}`, e.g. `IN-CCC-2025-ALUM0007-1-1000`:
 * - `yyyy`: the compliance year, i.e. the Indian financial year April yyyy – March yyyy+1 (the
 *   vintage); certificates are numbered per compliance year, so serialScope = yyyy;
 * - `entityCode`: the BEE registration code of the obligated entity (or offset project), 3-16
 *   upper-case letters and digits; it is the batch's projectId;
 * - `start`, `end`: the certificate numbers of the block.
 * Certificates are compliance instruments: holders must be registered Indian entities, so the
 * jurisdiction of every CCTS batch is "IN".
 */
import { toIsoDate, type IsoDate } from "../domain";
import { readCsvExport, type CreditStatus, type ExportInput, type ExportParseResult, type ExportRecord, type RowCells } from "./csvExport";
import { SerialReader, type SerialCommon, type SerialFormat } from "./serial";

export interface CctsSerialParts {
  readonly complianceYear: number;
  readonly entityCode: string;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
}

export interface CctsSerial extends SerialCommon, CctsSerialParts {
  readonly registry: "CCTS";
  readonly country: "IN";
}

/** CCTS certificates may be held by registered Indian entities only. */
export const CCTS_JURISDICTION = "IN";
export const CCTS_FIRST_COMPLIANCE_YEAR = 2023;
export const CCTS_LAST_COMPLIANCE_YEAR = 2100;

const PARTS = ["country", "instrument", "complianceYear", "entityCode", "start", "end"] as const;
const LAYOUT = "IN-CCC-{yyyy}-{entityCode}-{start}-{end}";

export const cctsSerialFormat: SerialFormat<CctsSerial, CctsSerialParts> = {
  registry: "CCTS",
  layout: LAYOUT,

  parse(serial: string): CctsSerial {
    const r = new SerialReader("CCTS", serial.trim(), PARTS, LAYOUT);
    r.literal("country", "IN");
    r.literal("instrument", "CCC");
    const yearText = r.text("complianceYear");
    if (!/^\d{4}$/.test(yearText)) r.fail("complianceYear", `"${yearText}" must be a four-digit year`);
    const complianceYear = r.integer("complianceYear", { min: CCTS_FIRST_COMPLIANCE_YEAR, max: CCTS_LAST_COMPLIANCE_YEAR });
    const entityCode = r.text("entityCode");
    if (!/^[A-Z0-9]{3,16}$/.test(entityCode)) {
      r.fail("entityCode", `"${entityCode}" must be 3 to 16 upper-case letters or digits`);
    }
    const range = r.serialRange("start", "end");
    return {
      registry: "CCTS",
      serial: r.serial,
      serialScope: BigInt(complianceYear),
      ...range,
      projectId: entityCode,
      vintageStart: toIsoDate(`${complianceYear}-04-01`) as IsoDate,
      vintageEnd: toIsoDate(`${complianceYear + 1}-03-31`) as IsoDate,
      country: CCTS_JURISDICTION,
      complianceYear,
      entityCode,
    };
  },

  format(p: CctsSerialParts): string {
    const serial = ["IN", "CCC", p.complianceYear, p.entityCode, p.serialStart, p.serialEnd].join("-");
    return cctsSerialFormat.parse(serial).serial;
  },
};

/** Columns of the CCTS certificate export (our assumption, see the module comment). */
const COLUMNS = {
  serialNumber: { header: "Certificate Serial Number", required: true },
  entityCode: { header: "Entity Registration Number", required: false },
  entityName: { header: "Entity Name", required: false },
  sector: { header: "Sector", required: false },
  complianceYear: { header: "Compliance Year", required: true },
  quantity: { header: "Quantity", required: true },
  issuanceDate: { header: "Issuance Date", required: false },
  status: { header: "Status", required: true },
  surrenderDate: { header: "Surrender Date", required: false },
  surrenderedBy: { header: "Surrendered By", required: false },
  surrenderPurpose: { header: "Surrender Purpose", required: false },
} as const;
type Column = keyof typeof COLUMNS;

const STATUSES = ["Issued", "Surrendered", "Cancelled"] as const;
const STATUS: Record<(typeof STATUSES)[number], CreditStatus> = { Issued: "ISSUED", Surrendered: "RETIRED", Cancelled: "CANCELLED" };

function convertRow(cells: RowCells<Column>): ExportRecord<CctsSerial> | null {
  const serialText = cells.text("serialNumber", { required: true });
  let serial: CctsSerial | null = null;
  if (serialText !== null) {
    try {
      serial = cctsSerialFormat.parse(serialText);
    } catch (error) {
      cells.error("serialNumber", (error as Error).message, serialText);
    }
  }
  const quantity = cells.quantity("quantity", { required: true });
  const year = cells.text("complianceYear", { required: true });
  const statusText = cells.oneOf("status", STATUSES, { required: true });
  const entityCode = cells.text("entityCode");
  const issuanceDate = cells.date("issuanceDate");
  const surrenderDate = cells.date("surrenderDate");

  if (serial !== null) {
    if (quantity !== null && quantity !== serial.quantity) {
      cells.error("quantity", `${quantity} does not match the serial block's ${serial.quantity} certificates`, String(quantity));
    }
    if (year !== null && year !== String(serial.complianceYear)) {
      cells.error("complianceYear", `"${year}" does not match the serial's compliance year ${serial.complianceYear}`, year);
    }
    if (entityCode !== null && entityCode !== serial.entityCode) {
      cells.error("entityCode", `"${entityCode}" does not match the serial's entity ${serial.entityCode}`, entityCode);
    }
  }
  if (statusText === "Surrendered" && surrenderDate === null && cells.has("surrenderDate")) {
    cells.error("surrenderDate", "is empty although the certificates are surrendered");
  }
  if (serial === null || quantity === null || statusText === null) return null;

  const status = STATUS[statusText];
  return {
    registry: "CCTS",
    serial,
    quantity,
    status,
    projectId: serial.projectId,
    projectName: cells.text("entityName"),
    countryName: "India",
    projectType: cells.text("sector"),
    methodology: null,
    issuanceDate,
    vintageStart: serial.vintageStart,
    vintageEnd: serial.vintageEnd,
    labels: [],
    certifications: [],
    retirement:
      status === "ISSUED"
        ? null
        : { date: surrenderDate, beneficiary: cells.text("surrenderedBy"), reason: cells.text("surrenderPurpose"), details: null },
  };
}

/** Parses a CCTS certificate export in the assumed format (see the module comment). */
export function parseCctsExport(input: ExportInput): Promise<ExportParseResult<CctsSerial>> {
  return readCsvExport(input, COLUMNS, convertRow);
}
