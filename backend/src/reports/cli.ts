/** `carbonclear report claims ...` and `carbonclear verify-certificate <id>`. */
import { writeFileSync } from "node:fs";
import { CliError, EXIT, type RegisterCommands } from "../cli/command";
import { jsonSafe } from "../custody/json";
import { isoDateSchema, type IsoDate } from "../domain";
import { claimsCsv } from "./claimsCsv";
import { claimsPdf } from "./claimsPdf";
import { claimsReport, InvalidReportQueryError } from "./claimsReport";
import { verifyCertificate } from "./certificateVerification";

function isoDate(option: string, value: string): IsoDate {
  const parsed = isoDateSchema.safeParse(value);
  if (!parsed.success) throw new CliError(`${option} must be a date YYYY-MM-DD (got ${value})`, EXIT.USAGE);
  return parsed.data;
}

export const registerReportCommands: RegisterCommands = (program, context) => {
  const report = program.command("report").description("reports from the read model");
  report
    .command("claims")
    .description("retirement claims of a beneficiary for a reporting period; totals count registry-confirmed retirements only")
    .requiredOption("--beneficiary <wallet-or-name>", "wallet address (certificate owner) or exact beneficiary name")
    .requiredOption("--from <date>", "reporting period start, YYYY-MM-DD")
    .requiredOption("--to <date>", "reporting period end, YYYY-MM-DD")
    .option("--format <format>", "table (default), csv or pdf (--json for JSON)", "table")
    .option("--out <file>", "write csv/pdf to this file (required for pdf)")
    .action(async (options: { beneficiary: string; from: string; to: string; format: string; out?: string }) => {
      const ctx = context();
      const from = isoDate("--from", options.from);
      const to = isoDate("--to", options.to);
      if (!["table", "csv", "pdf"].includes(options.format)) throw new CliError(`--format must be table, csv or pdf (got ${options.format})`, EXIT.USAGE);
      if (options.format === "pdf" && options.out === undefined) throw new CliError("--format pdf needs --out <file>", EXIT.USAGE);
      const pool = (await ctx.openDatabase()).pool;
      let result;
      try {
        result = await claimsReport(pool, ctx.config.chainId, { beneficiary: options.beneficiary, from, to });
      } catch (error) {
        if (error instanceof InvalidReportQueryError) throw new CliError(error.message, EXIT.USAGE);
        throw error;
      }
      if (options.format === "csv" || options.format === "pdf") {
        const body = options.format === "csv" ? claimsCsv(result) : await claimsPdf(result);
        if (options.out === undefined) ctx.out.line(String(body).trimEnd());
        else {
          writeFileSync(options.out, body);
          ctx.out.error(`wrote ${options.out}`);
        }
        return;
      }
      const found = result;
      ctx.out.result(() => {
        ctx.out.line(`${found.beneficiary}, ${found.period.from} to ${found.period.to}`);
        const rows = [...found.confirmed, ...found.pending, ...found.rejected].map((l) => ({
          certificate: l.certificateId,
          status: l.registryStatus,
          quantity: l.quantity,
          registry: l.registry,
          project: l.projectId,
          vintage: `${l.vintageStart.slice(0, 4)}-${l.vintageEnd.slice(0, 4)}`,
          labels: l.labels.join(" "),
          serials: `${l.firstSerial}-${l.lastSerial}`,
        }));
        ctx.out.table(rows);
        const t = found.totals;
        ctx.out.line(`registry-confirmed: ${t.confirmedQuantity} tCO2e (${t.confirmedCount}); pending, not counted: ${t.pendingQuantity} (${t.pendingCount}); rejected, not counted: ${t.rejectedQuantity} (${t.rejectedCount})`);
      }, jsonSafe(found));
    });

  program
    .command("verify-certificate <id>")
    .description("check a retirement certificate id against the chain (exit 3 if it does not exist, 5 if a check fails)")
    .action(async (id: string) => {
      const ctx = context();
      if (!/^\d{1,78}$/.test(id)) throw new CliError(`certificate id must be a decimal integer (got ${id})`, EXIT.USAGE);
      const { publicClient, deployment } = await ctx.chain();
      const result = await verifyCertificate(publicClient, deployment, BigInt(id));
      if (!result.exists) throw new CliError(result.message, EXIT.NOT_FOUND);
      ctx.out.result(() => {
        ctx.out.table([
          { field: "certificate", value: result.certificateId },
          { field: "owner", value: result.owner },
          { field: "batch", value: result.batchId },
          { field: "serials", value: `${result.firstSerial}-${result.lastSerial} (${result.quantity} tCO2e)` },
          { field: "registry block", value: result.batch?.serialNumber ?? "" },
          { field: "status", value: result.status },
          { field: "registry ref", value: result.registryRef ?? "" },
          { field: "beneficiary", value: result.claim?.beneficiaryName ?? result.claim?.beneficiaryCommitment ?? "" },
          { field: "retired in tx", value: result.retiredTx ?? "" },
          { field: "id = batch<<64 | first serial", value: result.checks.idMatchesSerials ? "yes" : "NO" },
          { field: "claim matches details hash", value: result.checks.claimMatchesDetailsHash ? "yes" : "NO" },
          { field: "non-transferable", value: result.checks.nonTransferable ? "yes" : "NO" },
        ]);
        ctx.out.line(result.valid ? "certificate verified" : "certificate FAILED verification");
      }, jsonSafe(result));
      if (!result.valid) ctx.setExitCode(EXIT.CHECK_FAILED);
    });
};
