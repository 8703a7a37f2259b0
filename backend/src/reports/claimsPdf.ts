/**
 * The claims report as a PDF (pdfkit, built-in Helvetica: no font files needed) that a finance
 * team can attach to a disclosure: totals first (registry-confirmed only), then the confirmed
 * retirements, the pending and the rejected ones, each with certificate id, registry, project,
 * vintage, labels, serial range and quantity, and how to verify a certificate independently.
 */
import PDFDocument from "pdfkit";
import type { ClaimLine, ClaimsReport } from "./claimsReport";

interface Column {
  readonly title: string;
  readonly width: number;
  readonly value: (l: ClaimLine) => string;
  readonly align?: "left" | "right";
}

const COLUMNS: readonly Column[] = [
  { title: "Certificate id", width: 118, value: (l) => l.certificateId.toString() },
  { title: "Registry / project", width: 82, value: (l) => `${l.registry} ${l.projectId}` },
  { title: "Vintage", width: 62, value: (l) => (l.vintageStart.slice(0, 4) === l.vintageEnd.slice(0, 4) ? l.vintageStart.slice(0, 4) : `${l.vintageStart.slice(0, 4)}–${l.vintageEnd.slice(0, 4)}`) },
  { title: "Labels", width: 52, value: (l) => l.labels.join(", ") || "–" },
  { title: "Serials", width: 110, value: (l) => `${l.firstSerial}–${l.lastSerial}` },
  { title: "Retired", width: 50, value: (l) => l.retiredAt.toISOString().slice(0, 10) },
  { title: "tCO2e", width: 41, value: (l) => l.quantity.toLocaleString("en-US"), align: "right" },
];

const fmt = (n: bigint) => n.toLocaleString("en-US");

export function claimsPdf(report: ClaimsReport): Promise<Buffer> {
  const doc = new PDFDocument({
    size: "A4",
    margin: 40,
    info: {
      Title: `Retirement claims — ${report.beneficiary} — ${report.period.from} to ${report.period.to}`,
      Author: "CarbonClear",
      Subject: "Carbon credit retirement claims report",
      CreationDate: report.generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  const left = doc.page.margins.left;
  doc.font("Helvetica-Bold").fontSize(16).text("Carbon credit retirement claims");
  doc.moveDown(0.3).font("Helvetica").fontSize(10);
  doc.text(`Beneficiary: ${report.beneficiary}`);
  doc.text(`Reporting period: ${report.period.from} to ${report.period.to} (retirements whose claim period overlaps it)`);
  doc.text(`Generated: ${report.generatedAt.toISOString()} from chain ${report.chainId}, indexed to block ${report.indexedBlock ?? "none"}`);
  doc.moveDown(0.8);

  doc.font("Helvetica-Bold").fontSize(12).text("Totals");
  doc.font("Helvetica").fontSize(10);
  doc.text(`Registry-confirmed (claimable): ${fmt(report.totals.confirmedQuantity)} tCO2e in ${report.totals.confirmedCount} retirements`);
  doc.text(`Pending registry confirmation (not counted): ${fmt(report.totals.pendingQuantity)} tCO2e in ${report.totals.pendingCount} retirements`);
  doc.text(`Rejected by the registry (not counted): ${fmt(report.totals.rejectedQuantity)} tCO2e in ${report.totals.rejectedCount} retirements`);
  doc.moveDown(0.8);

  const table = (title: string, lines: readonly ClaimLine[]) => {
    doc.x = left;
    doc.font("Helvetica-Bold").fontSize(12).text(title);
    doc.moveDown(0.2);
    if (lines.length === 0) {
      doc.font("Helvetica-Oblique").fontSize(9).text("None.");
      doc.moveDown(0.8);
      return;
    }
    const drawRow = (cells: readonly string[], bold: boolean) => {
      doc.font(bold ? "Helvetica-Bold" : "Helvetica").fontSize(7.5);
      const heights = cells.map((c, i) => doc.heightOfString(c, { width: COLUMNS[i].width - 4 }));
      const height = Math.max(...heights) + 4;
      if (doc.y + height > doc.page.height - doc.page.margins.bottom) doc.addPage();
      const y = doc.y;
      let x = left;
      cells.forEach((c, i) => {
        doc.text(c, x, y + 2, { width: COLUMNS[i].width - 4, align: COLUMNS[i].align ?? "left" });
        x += COLUMNS[i].width;
      });
      doc.moveTo(left, y + height).lineTo(x, y + height).lineWidth(0.3).strokeColor("#999999").stroke();
      doc.x = left;
      doc.y = y + height;
    };
    drawRow(COLUMNS.map((c) => c.title), true);
    for (const l of lines) drawRow(COLUMNS.map((c) => c.value(l)), false);
    doc.moveDown(0.3);
    doc.x = left;
    doc.font("Helvetica").fontSize(7);
    for (const l of lines) {
      doc.text(`${l.certificateId}: serial block ${l.serialBlock}; reason "${l.reason}"; claim period ${l.claimPeriodStart} to ${l.claimPeriodEnd}; consumed in ${l.consumptionCountry}; tx ${l.txHash}${l.registryRef === null ? "" : `; registry ref ${l.registryRef}`}`);
    }
    doc.moveDown(0.8);
  };
  table("Registry-confirmed retirements", report.confirmed);
  table("Pending registry confirmation (not counted in totals)", report.pending);
  table("Rejected by the registry (not counted in totals)", report.rejected);

  doc.x = left;
  doc.font("Helvetica-Bold").fontSize(10).text("Independent verification");
  doc.font("Helvetica").fontSize(8).text(
    "Every certificate is a non-transferable token on the chain named above. Check one against the chain with GET /v1/certificates/<id>/verify or `carbonclear verify-certificate <id>`: it reads the certificate's owner, serial range and registry status directly from the RetirementCertificate contract and checks that the published claim hashes to the certificate's details hash.",
  );
  doc.end();
  return done;
}
