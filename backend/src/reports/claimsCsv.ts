/** The claims report as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote or line break). */
import type { ClaimLine, ClaimsReport } from "./claimsReport";

export const CLAIMS_CSV_COLUMNS = [
  "section",
  "certificate_id",
  "registry_status",
  "quantity_tco2e",
  "registry",
  "project_id",
  "vintage_start",
  "vintage_end",
  "labels",
  "first_serial",
  "last_serial",
  "serial_block",
  "beneficiary",
  "beneficiary_name",
  "reason",
  "claim_period_start",
  "claim_period_end",
  "consumption_country",
  "registry_ref",
  "retired_at",
  "tx_hash",
] as const;

/** One CSV field; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function row(section: string, l: ClaimLine): string[] {
  return [
    section,
    l.certificateId.toString(),
    l.registryStatus,
    l.quantity.toString(),
    l.registry,
    l.projectId,
    l.vintageStart,
    l.vintageEnd,
    l.labels.join(" "),
    l.firstSerial.toString(),
    l.lastSerial.toString(),
    l.serialBlock,
    l.beneficiary,
    l.beneficiaryName ?? "",
    l.reason,
    l.claimPeriodStart,
    l.claimPeriodEnd,
    l.consumptionCountry,
    l.registryRef ?? "",
    l.retiredAt.toISOString(),
    l.txHash,
  ];
}

/** Detail rows (confirmed, then pending, then rejected) followed by total rows; only confirmed tonnes count as claimed. */
export function claimsCsv(report: ClaimsReport): string {
  const lines: string[][] = [[...CLAIMS_CSV_COLUMNS]];
  for (const l of report.confirmed) lines.push(row("confirmed", l));
  for (const l of report.pending) lines.push(row("pending", l));
  for (const l of report.rejected) lines.push(row("rejected", l));
  const total = (section: string, quantity: bigint, count: number) => {
    const cells: string[] = CLAIMS_CSV_COLUMNS.map(() => "");
    cells[0] = section;
    cells[1] = `${count} certificates`;
    cells[3] = quantity.toString();
    lines.push(cells);
  };
  total("total_confirmed", report.totals.confirmedQuantity, report.totals.confirmedCount);
  total("total_pending_not_counted", report.totals.pendingQuantity, report.totals.pendingCount);
  total("total_rejected_not_counted", report.totals.rejectedQuantity, report.totals.rejectedCount);
  return lines.map((cells) => cells.map(csvField).join(",")).join("\r\n") + "\r\n";
}
