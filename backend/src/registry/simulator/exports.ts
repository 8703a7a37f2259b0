/**
 * The registries' public exports, with their real column names: Verra's issuance (VCU) CSV,
 * Gold Standard's credits and retirements CSVs, and Gold Standard's paged JSON credit records.
 * One row per lot: a block that has been split appears as its parts, each with its own serial
 * string, status and retirement details.
 */
import type { RegistryId } from "../../domain/registries";
import type { Issuance, Lot, Project, RegistryLedger } from "./ledger";
import { rangeQuantity } from "./ranges";
import { countryName, SDG_NAMES } from "./registryNames";
import type { GoldStandardCreditDocument } from "./wire";

export const VERRA_ISSUANCE_COLUMNS = [
  "Issuance Date",
  "Sustainable Development Goals",
  "Vintage Start",
  "Vintage End",
  "ID",
  "Name",
  "Country/Area",
  "Project Type",
  "Methodology",
  "Total Vintage Quantity",
  "Quantity Issued",
  "Serial Number",
  "Additional Certifications",
  "Retirement/Cancellation Date",
  "Retirement Beneficiary",
  "Retirement Reason",
  "Retirement Details",
] as const;

export const GOLD_STANDARD_CREDIT_COLUMNS = [
  "Vintage",
  "Credit Status",
  "Quantity",
  "GSID",
  "Project Name",
  "Project Developer",
  "Country",
  "Project Type",
  "Methodology",
  "Programme of Activities",
  "POA GSID",
  "Product Type",
  "Issuance Date",
  "Monitoring Period Start",
  "Monitoring Period End",
  "Serial Number",
  "Label",
  "Article Six Authorization",
] as const;

export const GOLD_STANDARD_RETIREMENT_COLUMNS = [
  "Vintage",
  "Credit Status",
  "Quantity",
  "GSID",
  "Project Name",
  "Project Developer",
  "Country",
  "Product Type",
  "Project Type",
  "Methodology",
  "Programme of Activities",
  "POA GSID",
  "Issuance Date",
  "Retirement Date",
  "Monitoring Period Start",
  "Monitoring Period End",
  "Serial Number",
  "Note",
  "Aeroplane Operator Name",
  "Label",
  "Use Case",
  "Using Entity",
  "Article Six Authorization",
] as const;

/** CCTS certificate export: the columns the CCTS adapter assumes (`../ccts.ts`; no official export is public). */
export const CCTS_CERTIFICATE_COLUMNS = [
  "Certificate Serial Number",
  "Entity Registration Number",
  "Entity Name",
  "Sector",
  "Compliance Year",
  "Quantity",
  "Issuance Date",
  "Status",
  "Surrender Date",
  "Surrendered By",
  "Surrender Purpose",
] as const;

type Row<Columns extends readonly string[]> = Record<Columns[number], string>;

/** RFC 4180 CSV: header row, CRLF line ends, fields quoted when they hold a comma, quote or line break. */
export function toCsv<Columns extends readonly string[]>(columns: Columns, rows: readonly Row<Columns>[]): string {
  const field = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const lines = [columns.map(field).join(","), ...rows.map((row) => columns.map((column: Columns[number]) => field(row[column])).join(","))];
  return `${lines.join("\r\n")}\r\n`;
}

/** "1454054" → "1,454,054". */
export function withThousandsSeparators(quantity: bigint): string {
  return quantity.toLocaleString("en-US");
}

interface LotContext {
  readonly lot: Lot;
  readonly issuance: Issuance;
  readonly project: Project;
  readonly serialNumber: string;
}

function lotsOf(ledger: RegistryLedger, registry: RegistryId, predicate: (lot: Lot) => boolean = () => true): LotContext[] {
  return ledger
    .allLots()
    .filter(predicate)
    .map((lot) => {
      const issuance = ledger.getIssuance(lot.issuanceId);
      return { lot, issuance, project: ledger.projectOf(issuance), serialNumber: ledger.serialNumberOf(issuance, lot) };
    })
    .filter((context) => context.issuance.registry === registry);
}

/** Verra's issuance export: one row per block (held, retired or cancelled). */
export function verraIssuanceCsv(ledger: RegistryLedger): string {
  const vintageTotals = new Map<string, bigint>();
  const vintageKey = (i: Issuance) => `${i.projectId}|${i.vintageStart}|${i.vintageEnd}`;
  for (const issuance of ledger.listIssuances({ registry: "VERRA" })) {
    const key = vintageKey(issuance);
    vintageTotals.set(key, (vintageTotals.get(key) ?? 0n) + (issuance.serialEnd - issuance.serialStart + 1n));
  }
  const rows = lotsOf(ledger, "VERRA").map(({ lot, issuance, project, serialNumber }) => {
    const disposal = lot.disposal;
    return {
      "Issuance Date": issuance.issuanceDate,
      "Sustainable Development Goals": project.sdgs.map((goal) => `${goal}: ${SDG_NAMES[goal]}`).join("; "),
      "Vintage Start": issuance.vintageStart,
      "Vintage End": issuance.vintageEnd,
      ID: project.id,
      Name: project.name,
      "Country/Area": countryName(project.country),
      "Project Type": project.projectType,
      Methodology: project.methodology,
      "Total Vintage Quantity": withThousandsSeparators(vintageTotals.get(vintageKey(issuance)) ?? 0n),
      "Quantity Issued": withThousandsSeparators(rangeQuantity(lot)),
      "Serial Number": serialNumber,
      "Additional Certifications": issuance.certifications.join("; "),
      "Retirement/Cancellation Date": disposal === null ? "" : disposal.at.slice(0, 10),
      "Retirement Beneficiary": disposal?.beneficiary ?? "",
      "Retirement Reason": disposal?.reason ?? "",
      "Retirement Details": disposal?.details ?? "",
    };
  });
  return toCsv(VERRA_ISSUANCE_COLUMNS, rows);
}

const GOLD_STANDARD_STATUS = { held: "Issued", retired: "Retired", cancelled: "Canceled" } as const;

function goldStandardCommon({ lot, issuance, project, serialNumber }: LotContext) {
  return {
    Vintage: issuance.vintageStart.slice(0, 4),
    "Credit Status": GOLD_STANDARD_STATUS[lot.state],
    Quantity: String(rangeQuantity(lot)),
    GSID: project.id.replace(/^GS/, ""),
    "Project Name": project.name,
    "Project Developer": project.developer,
    Country: countryName(project.country),
    "Project Type": project.projectType,
    Methodology: project.methodology,
    "Programme of Activities": project.poaGsid === null ? "Standalone" : "VPA",
    "POA GSID": project.poaGsid ?? "",
    "Product Type": issuance.productType,
    "Monitoring Period Start": issuance.monitoringPeriodStart,
    "Monitoring Period End": issuance.monitoringPeriodEnd,
    "Serial Number": serialNumber,
    Label: issuance.certifications.join(", "),
    "Article Six Authorization": issuance.article6Authorization,
  };
}

/** Gold Standard's issuance date: local date-time with microseconds, as its export prints it. */
function goldStandardIssuanceInstant(issuance: Issuance): string {
  return `${issuance.issuanceDate}T${issuance.createdAt.slice(11, 23)}000`;
}

/** Gold Standard's credits export: one row per block with its status (Issued, Retired, Canceled). */
export function goldStandardCreditsCsv(ledger: RegistryLedger): string {
  const rows = lotsOf(ledger, "GOLD_STANDARD").map((context) => ({
    ...goldStandardCommon(context),
    "Issuance Date": goldStandardIssuanceInstant(context.issuance),
  }));
  return toCsv(GOLD_STANDARD_CREDIT_COLUMNS, rows);
}

/** Gold Standard's retirements export: one row per retired block. */
export function goldStandardRetirementsCsv(ledger: RegistryLedger): string {
  const rows = lotsOf(ledger, "GOLD_STANDARD", (lot) => lot.state === "retired").map((context) => {
    const disposal = context.lot.disposal;
    return {
      ...goldStandardCommon(context),
      "Issuance Date": context.issuance.issuanceDate,
      "Retirement Date": disposal?.at.slice(0, 10) ?? "",
      Note: disposal?.details ?? "",
      "Aeroplane Operator Name": "",
      "Use Case": disposal?.useCase ?? "",
      "Using Entity": disposal?.beneficiary ?? "",
    };
  });
  return toCsv(GOLD_STANDARD_RETIREMENT_COLUMNS, rows);
}

const CCTS_STATUS = { held: "Issued", retired: "Surrendered", cancelled: "Cancelled" } as const;

/** CCTS certificate export: one row per block of certificates with its status (Issued, Surrendered, Cancelled). */
export function cctsCertificatesCsv(ledger: RegistryLedger): string {
  const rows = lotsOf(ledger, "CCTS").map(({ lot, issuance, project, serialNumber }) => {
    const disposal = lot.disposal;
    return {
      "Certificate Serial Number": serialNumber,
      "Entity Registration Number": project.id,
      "Entity Name": project.name,
      Sector: project.projectType,
      "Compliance Year": issuance.vintageStart.slice(0, 4),
      Quantity: String(rangeQuantity(lot)),
      "Issuance Date": issuance.issuanceDate,
      Status: CCTS_STATUS[lot.state],
      "Surrender Date": disposal?.at.slice(0, 10) ?? "",
      "Surrendered By": disposal?.beneficiary ?? "",
      "Surrender Purpose": disposal === null ? "" : [disposal.reason, disposal.details].filter((part) => part !== "").join(": "),
    };
  });
  return toCsv(CCTS_CERTIFICATE_COLUMNS, rows);
}

/** One page of Gold Standard's public credit records and the total number of records. */
export function goldStandardCreditsPage(ledger: RegistryLedger, page: number, size: number): { total: number; records: GoldStandardCreditDocument[] } {
  const all = lotsOf(ledger, "GOLD_STANDARD");
  const records = all.slice((page - 1) * size, page * size).map(({ lot, issuance, project, serialNumber }) => ({
    id: lot.id,
    number_of_credits: Number(rangeQuantity(lot)),
    serial_number: serialNumber,
    vintage: Number(issuance.vintageStart.slice(0, 4)),
    status: ({ held: "ISSUED", retired: "RETIRED", cancelled: "CANCELLED" } as const)[lot.state],
    certified_date: issuance.issuanceDate,
    labels: [...issuance.certifications],
    project: { id: Number(project.id.replace(/^GS/, "")), name: project.name, country: countryName(project.country), project_type: project.projectType },
  }));
  return { total: all.length, records };
}
