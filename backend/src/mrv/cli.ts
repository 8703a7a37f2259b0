import { readFileSync, writeFileSync } from "node:fs";
import { extname } from "node:path";
import type { Command } from "commander";
import { mRVRegistryAbi } from "../chain/abis";
import { CliError, type CliContext, EXIT, type RegisterCommands } from "../cli/command";
import { MrvError, createDataset, datasetIdFor, getDataset, listDatasets } from "./dataset";
import { DraftFormatSchema, buildSubmissionDraft, renderDraftPdf } from "./draft";
import { createSeededFactorLibrary } from "./factors/seed";
import { type IngestSource, SOURCE_FORMATS, ingestFile } from "./ingest";
import type { RecordLeaf } from "./merkle";
import type { SourceMappingInput } from "./parsers/mapping";
import { createOcrEngine } from "./parsers/ocr";
import { recordProof, sealDataset, verifyRecordProof } from "./seal";

/**
 * `carbonclear mrv ...`:
 *   mrv datasets [--project <id>] [--status open|sealed]
 *   mrv dataset create --project <id> --period <from>/<to> --methodology <file.json> [--library 2025.1] [--quality <file.json>]
 *   mrv ingest <file> --project <id> --period <from>/<to> [--mapping <name|file>] [--format csv|json|ndjson|xlsx|pdf|image] [--methodology <file.json>]
 *   mrv seal <dataset>
 *   mrv proof <dataset> <index>
 *   mrv verify <dataset> --proof-file <file.json> | --leaf <json> --proof <json> [--onchain]
 *   mrv draft <dataset> --format vcs|gs|ccts --out <file.pdf|file.json>
 *
 * A mapping file holds either a mapping (SourceMappingSchema) or { "source": {...}, "mapping": {...} }.
 * Built-in mapping "generic": columns timestamp (ISO 8601), sensor_id, parameter, value, unit.
 */

const BUILT_IN_MAPPINGS: Record<string, SourceMappingInput> = {
  generic: {
    timestamp: { column: "timestamp", format: "iso8601" },
    value: { column: "value" },
    unit: { column: "unit" },
    sensorId: { column: "sensor_id" },
    parameter: { column: "parameter" },
  },
};

const EXIT_FOR: Record<string, number> = {
  UNKNOWN_DATASET: EXIT.NOT_FOUND,
  UNKNOWN_RECORD: EXIT.NOT_FOUND,
  INVALID_INPUT: EXIT.USAGE,
  FILE_REJECTED: EXIT.USAGE,
};

async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof MrvError) throw new CliError(error.message, EXIT_FOR[error.code] ?? EXIT.FAILURE);
    throw error;
  }
}

function readJsonFile(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch (error) {
    throw new CliError(`cannot read ${what} ${file}: ${(error as Error).message}`, EXIT.USAGE);
  }
}

function parseJsonOption(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`${what} must be JSON`, EXIT.USAGE);
  }
}

export function parsePeriod(text: string): { start: string; end: string } {
  const match = /^(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})$/.exec(text);
  if (match === null) throw new CliError(`--period ${JSON.stringify(text)}: expected <from>/<to> as ISO dates, e.g. 2024-01-01/2024-01-31`, EXIT.USAGE);
  return { start: match[1], end: match[2] };
}

function formatOf(file: string, declared?: string): IngestSource["format"] {
  const format = declared ?? { ".csv": "csv", ".tsv": "csv", ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson", ".xlsx": "xlsx", ".pdf": "pdf", ".png": "image", ".jpg": "image", ".jpeg": "image" }[extname(file).toLowerCase()];
  if (format === undefined || !(SOURCE_FORMATS as readonly string[]).includes(format)) {
    throw new CliError(`cannot tell the format of ${file}: give --format (${SOURCE_FORMATS.join(", ")})`, EXIT.USAGE);
  }
  return format as IngestSource["format"];
}

function mappingFrom(option: string | undefined, format: IngestSource["format"]): { source: IngestSource; mapping: SourceMappingInput } {
  const name = option ?? "generic";
  const loaded: unknown = BUILT_IN_MAPPINGS[name] ?? readJsonFile(name, "mapping file");
  if (typeof loaded === "object" && loaded !== null && "mapping" in loaded) {
    const { source, mapping } = loaded as { source?: IngestSource; mapping: SourceMappingInput };
    return { source: source ?? ({ format } as IngestSource), mapping };
  }
  if (format === "pdf" || format === "image") throw new CliError(`a ${format} source needs a mapping file with { "source": { "format": "${format}", "table": {...} }, "mapping": {...} }`, EXIT.USAGE);
  return { source: { format } as IngestSource, mapping: loaded as SourceMappingInput };
}

function printSummary(ctx: CliContext, summary: Awaited<ReturnType<typeof ingestFile>>): void {
  ctx.out.result(() => {
    ctx.out.line(`${summary.file}: ${summary.status === "already-uploaded" ? "already uploaded (same SHA-256), nothing added" : "ingested"} — upload ${summary.uploadId}, sha256 ${summary.sha256}`);
    ctx.out.table([{ rows: summary.rows, accepted: summary.accepted, quarantined: summary.quarantined, duplicates: summary.duplicates, "quality flags": summary.qualityFlags.count }]);
    if (summary.totals.length > 0) ctx.out.table(summary.totals.map((t) => ({ parameter: t.parameter, readings: t.count, total: `${t.quantity} ${t.unit}` })));
    for (const q of summary.quarantine.slice(0, 20)) {
      for (const e of q.errors) ctx.out.line(`quarantined ${q.file} row ${q.row}${q.page === undefined ? "" : ` page ${q.page}`}, ${e.column}: expected ${e.expected}, got ${e.got}`);
    }
    if (summary.quarantined > 20) ctx.out.line(`... ${summary.quarantined - 20} more quarantined rows (GET /v1/mrv/uploads/${summary.uploadId}/quarantine)`);
    for (const f of summary.qualityFlags.flags.slice(0, 20)) ctx.out.line(`quality ${f.kind}: ${f.explanation}`);
  }, summary);
}

export const registerMrvCommands: RegisterCommands = (program: Command, context) => {
  const mrv = program.command("mrv").description("MRV datasets: ingest sensor exports, spreadsheets and reports; seal, prove, verify; registry submission drafts");
  const library = createSeededFactorLibrary();

  mrv
    .command("datasets")
    .description("list datasets")
    .option("--project <id>", "only this project")
    .option("--status <status>", "open or sealed")
    .action(async (options: { project?: string; status?: "open" | "sealed" }) => {
      const ctx = context();
      const pool = (await ctx.openDatabase()).pool;
      const datasets = await run(() => listDatasets(pool, { ...(options.project === undefined ? {} : { projectId: options.project }), ...(options.status === undefined ? {} : { status: options.status }) }));
      ctx.out.result(
        () => ctx.out.table(datasets.map((d) => ({ id: d.id, project: d.projectId, period: `${d.period.start}/${d.period.end}`, status: d.status, records: d.recordCount, "net tCO2e": d.netReductionsTco2e ?? "", root: d.merkleRoot ?? "" }))),
        datasets,
      );
    });

  const createFrom = async (ctx: CliContext, options: { project: string; period: string; methodology: string; library?: string; quality?: string; by: string }) => {
    const pool = (await ctx.openDatabase()).pool;
    return run(() =>
      createDataset(
        pool,
        {
          projectId: options.project,
          period: parsePeriod(options.period),
          libraryVersion: options.library ?? "2025.1",
          methodology: readJsonFile(options.methodology, "methodology file") as never,
          ...(options.quality === undefined ? {} : { qualityRules: readJsonFile(options.quality, "quality rules file") as never }),
        },
        `cli:${options.by}`,
        library.versions(),
      ),
    );
  };

  mrv
    .command("dataset")
    .description("datasets")
    .command("create")
    .description("create a dataset for a project and monitoring period")
    .requiredOption("--project <id>", "project id, e.g. VCS-1234")
    .requiredOption("--period <from/to>", "monitoring period, e.g. 2024-01-01/2024-01-31")
    .requiredOption("--methodology <file>", "JSON: how records become a quantification (kind, methodology, gwpSet, factor ids)")
    .option("--library <version>", "emission-factor library version", "2025.1")
    .option("--quality <file>", "JSON quality rules (expectedIntervalMs, bounds, jump)")
    .option("--by <who>", "who is acting, for the audit log", "operator")
    .action(async (options: { project: string; period: string; methodology: string; library?: string; quality?: string; by: string }) => {
      const ctx = context();
      const dataset = await createFrom(ctx, options);
      ctx.out.result(() => ctx.out.line(`created dataset ${dataset.id} for ${dataset.projectId} ${dataset.period.start}/${dataset.period.end}`), dataset);
    });

  mrv
    .command("ingest <file>")
    .description("ingest a source file into the project's dataset for the period (a re-upload of the same file is recognized)")
    .requiredOption("--project <id>", "project id")
    .requiredOption("--period <from/to>", "monitoring period, e.g. 2024-01-01/2024-01-31")
    .option("--mapping <name|file>", "built-in mapping name (generic) or a JSON mapping file", "generic")
    .option("--format <format>", `source format (${SOURCE_FORMATS.join(", ")}); default from the extension`)
    .option("--methodology <file>", "create the dataset with this methodology if it does not exist yet")
    .option("--by <who>", "who is acting, for the audit log", "operator")
    .action(async (file: string, options: { project: string; period: string; mapping?: string; format?: string; methodology?: string; by: string }) => {
      const ctx = context();
      const period = parsePeriod(options.period);
      const { source, mapping } = mappingFrom(options.mapping, formatOf(file, options.format));
      const pool = (await ctx.openDatabase()).pool;
      const datasetId = datasetIdFor(options.project, period);
      try {
        await getDataset(pool, datasetId);
      } catch (error) {
        if (!(error instanceof MrvError && error.code === "UNKNOWN_DATASET")) throw error;
        if (options.methodology === undefined) {
          throw new CliError(`no dataset for ${options.project} ${options.period}: create it with mrv dataset create, or pass --methodology <file>`, EXIT.NOT_FOUND);
        }
        await createFrom(ctx, { project: options.project, period: options.period, methodology: options.methodology, by: options.by });
      }
      const bar = ctx.progress(`ingest ${file}`);
      let totalSet = false;
      const ocr = source.format === "image" || source.format === "pdf" ? await createOcrEngine() : undefined;
      try {
        const summary = await run(() =>
          ingestFile(pool, {
            datasetId,
            fileName: file,
            content: { path: file },
            source,
            mapping,
            actor: `cli:${options.by}`,
            ...(ocr === undefined ? {} : { ocr }),
            onProgress: (p) => {
              if (!totalSet) {
                bar.setTotal(p.totalBytes);
                totalSet = true;
              }
              bar.update(p.bytesRead);
            },
          }),
        );
        bar.stop();
        printSummary(ctx, summary);
      } finally {
        bar.stop();
        await ocr?.terminate();
      }
    });

  mrv
    .command("seal <dataset>")
    .description("seal a dataset: Merkle root over its records and the quantification; it never changes afterwards")
    .option("--by <who>", "who is acting, for the audit log", "operator")
    .action(async (dataset: string, options: { by: string }) => {
      const ctx = context();
      const pool = (await ctx.openDatabase()).pool;
      const sealed = await run(() => sealDataset(pool, { datasetId: dataset, library, actor: `cli:${options.by}` }));
      ctx.out.result(
        () => {
          ctx.out.line(`sealed ${sealed.dataset.id}: ${sealed.recordCount} records, Merkle root ${sealed.merkleRoot}`);
          ctx.out.table([{ baseline: sealed.quantification.baselineEmissions, project: sealed.quantification.projectEmissions, leakage: sealed.quantification.leakage, "net tCO2e": sealed.quantification.netReductions, credits: sealed.quantification.issuableCredits }]);
        },
        { dataset: sealed.dataset, merkleRoot: sealed.merkleRoot, recordCount: sealed.recordCount },
      );
    });

  mrv
    .command("proof <dataset> <index>")
    .description("a record of a sealed dataset with its Merkle proof (save with --json for mrv verify --proof-file)")
    .action(async (dataset: string, index: string) => {
      const ctx = context();
      if (!/^\d+$/.test(index)) throw new CliError(`index ${JSON.stringify(index)}: expected a record number (0, 1, ...)`, EXIT.USAGE);
      const pool = (await ctx.openDatabase()).pool;
      const proof = await run(() => recordProof(pool, { datasetId: dataset, index: Number(index) }));
      ctx.out.result(() => {
        ctx.out.line(`record ${proof.index} of ${proof.datasetId} (root ${proof.merkleRoot})`);
        ctx.out.table([{ sensor: proof.record.sensorId, parameter: proof.record.parameter, time: proof.record.timestamp, quantity: `${proof.record.quantity} ${proof.record.unit}`, measured: `${proof.record.measured.value} ${proof.record.measured.unit}`, source: `${proof.record.source.file} row ${proof.record.source.row}` }]);
        ctx.out.line(`leaf ${JSON.stringify(proof.leaf)}`);
        ctx.out.line(`proof ${JSON.stringify(proof.proof)}`);
      }, proof);
    });

  mrv
    .command("verify <dataset>")
    .description("check a record's Merkle proof against the sealed dataset's root (and, with --onchain, MRVRegistry.verifyRecord)")
    .option("--proof-file <file>", "JSON from mrv proof --json")
    .option("--leaf <json>", "the leaf: [datasetId, index, sensorId, parameter, timestampMs, quantity, unit]")
    .option("--proof <json>", "the proof: [\"0x...\", ...]")
    .option("--onchain", "also ask MRVRegistry on the chain (the dataset must be attested)")
    .action(async (dataset: string, options: { proofFile?: string; leaf?: string; proof?: string; onchain?: boolean }) => {
      const ctx = context();
      let leaf: unknown;
      let proof: unknown;
      if (options.proofFile !== undefined) {
        const loaded = readJsonFile(options.proofFile, "proof file") as { leaf?: unknown; proof?: unknown };
        leaf = loaded.leaf;
        proof = loaded.proof;
      } else if (options.leaf !== undefined && options.proof !== undefined) {
        leaf = parseJsonOption(options.leaf, "--leaf");
        proof = parseJsonOption(options.proof, "--proof");
      } else {
        throw new CliError("give --proof-file, or --leaf and --proof", EXIT.USAGE);
      }
      const pool = (await ctx.openDatabase()).pool;
      const result = await run(() => verifyRecordProof(pool, { datasetId: dataset, leaf, proof }));
      let onchain: boolean | undefined;
      if (options.onchain === true) {
        const { publicClient, deployment } = await ctx.chain();
        const address = deployment.contracts.mrv;
        if (address === undefined) throw new CliError("the deployment has no MRVRegistry", EXIT.UNAVAILABLE);
        const [datasetId, index, sensorId, parameter, timestampMs, quantity, unit] = leaf as RecordLeaf;
        onchain = await publicClient.readContract({
          address,
          abi: mRVRegistryAbi,
          functionName: "verifyRecord",
          args: [{ datasetId, index: BigInt(index), sensorId, parameter, timestampMs: BigInt(timestampMs), quantity, unit }, proof as `0x${string}`[]],
        });
      }
      const valid = result.valid && onchain !== false;
      ctx.out.result(() => ctx.out.line(`${valid ? "VALID" : "INVALID"}: the record ${valid ? "belongs" : "does not belong"} to dataset ${dataset} (root ${result.merkleRoot})${onchain === undefined ? "" : `; on-chain: ${onchain}`}`), { ...result, ...(onchain === undefined ? {} : { onchain }), valid });
      if (!valid) ctx.setExitCode(EXIT.CHECK_FAILED);
    });

  mrv
    .command("draft <dataset>")
    .description("registry submission draft from a sealed dataset: VCS monitoring report, Gold Standard or CCTS Form A")
    .requiredOption("--format <format>", "vcs, gs or ccts")
    .requiredOption("--out <file>", "output file: .pdf or .json")
    .action(async (dataset: string, options: { format: string; out: string }) => {
      const ctx = context();
      const format = DraftFormatSchema.safeParse(options.format);
      if (!format.success) throw new CliError(`--format ${JSON.stringify(options.format)}: expected vcs, gs or ccts`, EXIT.USAGE);
      const kind = extname(options.out).toLowerCase();
      if (kind !== ".pdf" && kind !== ".json") throw new CliError(`--out ${options.out}: expected a .pdf or .json file`, EXIT.USAGE);
      const pool = (await ctx.openDatabase()).pool;
      const draft = await run(() => buildSubmissionDraft(pool, { datasetId: dataset, format: format.data }));
      writeFileSync(options.out, kind === ".pdf" ? await renderDraftPdf(draft) : JSON.stringify(draft, null, 2) + "\n");
      ctx.out.result(() => ctx.out.line(`wrote ${draft.title} draft (${draft.standard}) to ${options.out}`), { file: options.out, format: draft.format });
    });
};
