/** `carbonclear reconcile`: one three-way reconciliation run; exit CHECK_FAILED when it finds differences. */
import { pino } from "pino";
import { CliError, EXIT, type RegisterCommands } from "../cli/command";
import { jsonSafe } from "../custody/json";
import { registryAdaptersFor } from "../custody/registryView";
import { reconcile } from "./reconcile";

export const registerReconciliationCommands: RegisterCommands = (program, context) => {
  program
    .command("reconcile")
    .description("compare registry (REGISTRY_SIM_URL), chain and read model once; differences past their SLA raise incidents (exit 5 when any difference is found)")
    .option("--registry-lag-hours <h>", "how long the registry may lag an on-chain retirement", "6")
    .option("--stale-blocks <n>", "blocks the read model may trail the head", "20")
    .action(async (options: { registryLagHours: string; staleBlocks: string }) => {
      const ctx = context();
      const lagHours = Number(options.registryLagHours);
      const staleBlocks = Number(options.staleBlocks);
      if (!Number.isFinite(lagHours) || lagHours < 0) throw new CliError(`--registry-lag-hours must be a number >= 0 (got ${options.registryLagHours})`, EXIT.USAGE);
      if (!Number.isSafeInteger(staleBlocks) || staleBlocks < 0) throw new CliError(`--stale-blocks must be an integer >= 0 (got ${options.staleBlocks})`, EXIT.USAGE);
      if (ctx.config.registrySimUrl === undefined) throw new CliError("REGISTRY_SIM_URL is not set: reconciliation needs the registry API", EXIT.USAGE);
      const { publicClient, deployment } = await ctx.chain();
      const pool = (await ctx.openDatabase()).pool;
      const report = await reconcile({
        pool,
        publicClient,
        deployment,
        registries: registryAdaptersFor(ctx.config.registrySimUrl),
        policy: { registryLagMs: lagHours * 3_600_000, staleReadModelBlocks: staleBlocks },
        log: pino({ level: ctx.json ? "silent" : "warn" }, process.stderr),
      });
      ctx.out.result(() => {
        ctx.out.line(`chain ${report.chainId} head ${report.headBlock}, read model at ${report.indexedBlock ?? "none"}, ${report.batches} batches compared`);
        ctx.out.table(
          report.differences.map((d) => ({ kind: d.kind, severity: d.severity, age: `${Math.round(d.ageMs / 60_000)} min`, pastSla: d.pastSla, message: d.message })),
        );
        for (const incident of report.incidentsRaised) ctx.out.line(`incident ${incident.id} raised: ${incident.message}`);
        for (const error of report.errors) ctx.out.error(`not compared: ${error}`);
      }, jsonSafe(report));
      if (report.differences.length > 0) ctx.setExitCode(EXIT.CHECK_FAILED);
      else if (report.errors.length > 0) ctx.setExitCode(EXIT.UNAVAILABLE);
    });
};
