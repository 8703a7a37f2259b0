/**
 * `carbonclear audit`: the verifier audit from chain events and the registries' public exports. It
 * never opens the platform database. Exit CHECK_FAILED when any check fails.
 */
import { readFileSync } from "node:fs";
import { CliError, EXIT, type RegisterCommands } from "../cli/command";
import { jsonSafe } from "../custody/json";
import { runAudit } from "./audit";
import { mrvSamplesSchema, type MrvSamples } from "./mrv";
import { simulatorExportSources } from "./registryExports";

function readSamples(file: string): MrvSamples {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CliError(`--mrv-samples ${file}: ${(error as Error).message}`, EXIT.USAGE);
  }
  const parsed = mrvSamplesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new CliError(`--mrv-samples ${file}: ${parsed.error.issues.map((i) => `[${i.path.join(".")}] ${i.message}`).join("; ")}`, EXIT.USAGE);
  }
  return parsed.data;
}

export const registerAuditCommands: RegisterCommands = (program, context) => {
  program
    .command("audit")
    .description("recompute balances, retirements and certificates from chain events, re-verify every attestation, check the registries' public exports (never reads the platform database; exit 5 on any failure)")
    .option("--exports-from <url>", "registry server whose public CSV exports to check against (default REGISTRY_SIM_URL; none: skip)")
    .option("--from-block <n>", "first block to read", "0")
    .option("--mrv-samples <file>", "JSON array of MRV sample records with Merkle proofs ({ datasetId, leaf, proof }) to check against attested roots")
    .action(async (options: { exportsFrom?: string; fromBlock: string; mrvSamples?: string }) => {
      const ctx = context();
      if (!/^\d{1,20}$/.test(options.fromBlock)) throw new CliError(`--from-block must be a block number (got ${options.fromBlock})`, EXIT.USAGE);
      const exportsFrom = options.exportsFrom ?? ctx.config.registrySimUrl;
      if (exportsFrom !== undefined && !/^https?:\/\//.test(exportsFrom)) throw new CliError(`--exports-from must be an http(s) URL (got ${exportsFrom})`, EXIT.USAGE);
      const mrvSamples = options.mrvSamples === undefined ? undefined : readSamples(options.mrvSamples);
      const { publicClient, deployment } = await ctx.chain();
      const report = await runAudit({
        publicClient,
        deployment,
        fromBlock: BigInt(options.fromBlock),
        mrvSamples,
        registryExports: exportsFrom === undefined ? undefined : simulatorExportSources(exportsFrom),
      });
      ctx.out.result(() => {
        ctx.out.line(`chain ${report.chainId} up to block ${report.headBlock}: ${report.events} events read`);
        ctx.out.table(report.checks.map((c) => ({ check: c.name, result: c.status.toUpperCase(), checked: c.checked, failed: c.failed })));
        for (const c of report.checks) {
          for (const f of c.failures) ctx.out.line(`FAIL ${c.name}: ${f}`);
          for (const n of c.notes) ctx.out.line(`note ${c.name}: ${n}`);
        }
        ctx.out.line(report.passed ? "audit passed" : "audit FAILED");
      }, jsonSafe(report));
      if (!report.passed) ctx.setExitCode(EXIT.CHECK_FAILED);
    });
};
