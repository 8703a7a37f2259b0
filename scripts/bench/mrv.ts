/**
 * MRV ingestion benchmark: a generated 1,000,000-row sensor CSV through the engine alone (no
 * database), then through the real ingestion service (stream, parse, declared mapping, exact
 * normalization, records written in chunks, leaf hashes on a worker thread, quality flags,
 * totals) and sealing (leaf hashes sorted, Merkle root, exact quantification), on embedded PGlite
 * (a data folder in a temp dir, created and migrated first; the service runs in a child process
 * that opens it as `npm start` does) or on DATABASE_URL when set. Writes bench/results/mrv.json
 * and prints a table.
 *
 *   npm run bench:mrv                  (= tsx scripts/bench/mrv.ts)
 *   npm run bench:mrv -- --rows 200000 --service-rows 100000   (engine rows; service rows, default = rows)
 *
 * Peak memory is sampled every 50 ms (RSS of the whole process, which includes the embedded
 * PGlite; and the V8 heap). Exits non-zero when a target is missed.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { spawn } from "node:child_process";
import { loadConfig } from "../../backend/src/config";
import { openDatabase } from "../../backend/src/db/openDatabase";
import { runMigrations } from "../../backend/src/db/migrations";
import { createDataset } from "../../backend/src/mrv/dataset";
import { createSeededFactorLibrary } from "../../backend/src/mrv/factors/seed";
import { ingestFile } from "../../backend/src/mrv/ingest";
import { sealDataset } from "../../backend/src/mrv/seal";
import { createReadStream } from "node:fs";
import { loadKeccak256 } from "../../backend/src/mrv/keccak";
import { hexToBytes32, buildFlatTree } from "../../backend/src/mrv/merkleTree";
import { ParallelLeafHasher } from "../../backend/src/mrv/parallelLeafHasher";
import { mapSourceRowBatches } from "../../backend/src/mrv/parsers/mapping";
import { readCsvRowBatches } from "../../backend/src/mrv/parsers/csv";
import { ScaledSum, formatScaledDecimal } from "../../backend/src/mrv/scaledDecimal";
import { normalizeReading } from "../../backend/src/mrv/records";
import { sha256OfFile } from "../../backend/src/mrv/parsers/contentHash";
import { quantify } from "../../backend/src/mrv/quantification";
import { convert } from "../../backend/src/mrv/units";
import { datasetIdFor } from "../../backend/src/mrv/dataset";

const TARGET_ROWS_PER_SECOND = 100_000;
const TARGET_PEAK_MB = 512;

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} expects a positive integer`);
  return value;
}

const MB = 1024 * 1024;

class MemorySampler {
  peakRss = 0;
  peakHeap = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
  }

  sample(): void {
    const usage = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, usage.rss);
    this.peakHeap = Math.max(this.peakHeap, usage.heapUsed);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

/** 20 inverters, one reading a minute each, kWh with one decimal, in January-February 2024. */
async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write("timestamp,inverter,export_kwh\n");
  const start = Date.UTC(2024, 0, 1);
  let chunk = "";
  for (let i = 0; i < rows; i++) {
    const minute = Math.floor(i / 20);
    chunk += `${new Date(start + minute * 60_000).toISOString()},INV-${String(i % 20).padStart(2, "0")},${((i * 7919) % 5000) / 10 + 1}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
}

const MAPPING = { timestamp: { column: "timestamp", format: "iso8601" }, value: { column: "export_kwh" }, unit: { constant: "kWh" }, sensorId: { column: "inverter" }, parameter: { constant: "EG_export" } } as const;

/**
 * The engine alone, no database: stream, parse, map, normalize, exact sum, leaf hash, Merkle
 * root, quantify. The generated file is already in the canonical Merkle order (time, then
 * sensor); this checks that while streaming instead of sorting.
 */
async function engineRun(csv: string, rows: number) {
  const library = createSeededFactorLibrary();
  const datasetId = datasetIdFor("BENCH-ENGINE", { start: "2024-01-01", end: "2024-02-29" });
  const keccak = await loadKeccak256();
  const sha = await sha256OfFile(csv);
  const hasher = new ParallelLeafHasher(hexToBytes32(datasetId), rows);
  const total = new ScaledSum();
  let previousTime = -1;
  let previousSensor = "";
  let index = 0;
  let leaves;
  try {
    for await (const batch of mapSourceRowBatches(readCsvRowBatches(createReadStream(csv), { fileName: "inverters.csv" }), MAPPING)) {
      for (const item of batch) {
        if (item.kind !== "accepted") throw new Error(`row ${item.quarantined.row} quarantined`);
        const record = normalizeReading(item.reading, sha);
        const time = item.reading.timestamp.getTime();
        if (time < previousTime || (time === previousTime && record.sensorId <= previousSensor)) throw new Error("the generated file is not in canonical order");
        previousTime = time;
        previousSensor = record.sensorId;
        total.addText(record.quantity);
        const wait = hasher.add(index, record.sensorId, record.parameter, time, record.quantity, record.unit);
        if (wait !== undefined) await wait;
        index += 1;
      }
    }
    leaves = await hasher.finish();
  } finally {
    await hasher.close();
  }
  const tree = buildFlatTree(leaves.sorted(), keccak);
  const result = quantify(
    {
      kind: "grid-renewable-electricity",
      methodology: "ACM0002 v21",
      monitoringPeriod: { start: "2024-01-01", end: "2024-02-29" },
      libraryVersion: "2025.1",
      gwpSet: "AR5",
      electricityExported: { value: convert(formatScaledDecimal(total.value), "J", "MWh").toFixed(), unit: "MWh" },
      gridEmissionFactorId: "cea-v20.india-grid.combined-margin-wind-solar",
    },
    library,
  );
  return { records: index, root: tree.root, netReductions: result.netReductions };
}

/** CPU seconds (user + system) of this process since `since`: on a shared, loaded machine the wall clock says more about the neighbours. */
function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

async function measure<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number; peakRssMb: number; peakHeapMb: number }> {
  global.gc?.();
  const memory = new MemorySampler();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  memory.stop();
  return { value, seconds, cpuSeconds, peakRssMb: Math.round(memory.peakRss / MB), peakHeapMb: Math.round(memory.peakHeap / MB) };
}

async function main(): Promise<void> {
  if (process.argv.includes("--engine")) return engineMain();
  if (process.argv.includes("--service")) return serviceMain();
  const engineRows = argument("rows", 1_000_000);
  const rows = argument("service-rows", engineRows);
  const config = loadConfig();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "bench-mrv-"));
  const csv = path.join(tmp, "inverters.csv");
  const loadBefore = os.loadavg()[0];
  try {
    await writeCsv(csv, engineRows);
    const engine = await measure(() => engineRun(csv, engineRows));
    const engineResult = {
      rows: engineRows,
      seconds: round(engine.seconds),
      cpuSeconds: round(engine.cpuSeconds),
      rowsPerSecond: Math.round(engineRows / engine.seconds),
      rowsPerCpuSecond: Math.round(engineRows / engine.cpuSeconds),
      peakMemoryMb: { rss: engine.peakRssMb, heapUsed: engine.peakHeapMb },
      merkleRoot: engine.value.root,
      netReductionsTco2e: engine.value.netReductions,
    };
    console.log(`engine: ${engineRows} rows in ${engineResult.seconds} s`);
    if (rows !== engineRows) await writeCsv(csv, rows);
    // The database is created and migrated first (PGlite's initdb runs once, when a data folder is
    // new); the service is then measured in a child process that opens it as `npm start` does, so
    // its peak memory is the service's, not the engine run's or initdb's.
    const dataDir = path.join(tmp, "data");
    const setup = await openDatabase(config.databaseUrl === undefined ? { dataDir, pgliteInMemory: false, databasePoolMax: 1 } : config);
    let databaseKind: string;
    try {
      await runMigrations(setup.pool);
      databaseKind = setup.kind;
    } finally {
      await setup.close();
    }
    const service = await runServiceChild(csv, dataDir);
    {
      const { summary, sealed, t0, t1, t2, serviceCpuSeconds, memory } = service;
      if (summary.accepted !== rows) throw new Error(`expected ${rows} accepted rows, got ${summary.accepted} (quarantined ${summary.quarantined})`);

      const ingestSeconds = (t1 - t0) / 1000;
      const sealSeconds = (t2 - t1) / 1000;
      const totalSeconds = (t2 - t0) / 1000;
      const rowsPerSecond = Math.round(rows / totalSeconds);
      const peakRssMb = Math.round(memory.peakRss / MB);
      const result = {
        benchmark: "mrv",
        description: "generated sensor CSV (20 inverters, one reading a minute). engine: stream + tokenize + map + normalize (scaled-integer exact decimals) + exact sum + leaf hashes (WebAssembly keccak on a worker thread, in parallel with parsing) + sort + Merkle root + quantify, no database; CPU seconds count both threads. service, in a child process on the migrated database: ingestFile (the same plus records written in chunks of 10,000, duplicate detection, quality flags, totals; leaf hashes on a worker thread) then sealDataset (Merkle root: the one the leaf worker built while the dataset's single canonical upload was ingested, else from the leaf hashes read back and sorted; quantification)",
        engine: engineResult,
        rows,
        fileBytes: statSync(csv).size,
        database: databaseKind,
        seconds: { ingest: round(ingestSeconds), seal: round(sealSeconds), total: round(totalSeconds) },
        rowsPerSecond: { ingest: Math.round(rows / ingestSeconds), seal: Math.round(rows / sealSeconds), total: rowsPerSecond },
        // the embedded PGlite runs on this process's thread, so its work is in these CPU seconds too
        cpuSeconds: round(serviceCpuSeconds),
        rowsPerCpuSecond: Math.round(rows / serviceCpuSeconds),
        peakMemoryMb: { rss: peakRssMb, heapUsed: Math.round(memory.peakHeap / MB), rssIngest: Math.round(memory.ingestPeakRss / MB), rssSeal: Math.round(memory.sealPeakRss / MB) },
        merkleRoot: sealed.merkleRoot,
        netReductionsTco2e: sealed.quantification.netReductions,
        qualityFlags: summary.qualityFlags.count,
        targets: {
          engineRowsPerSecond: { target: TARGET_ROWS_PER_SECOND, met: engineResult.rowsPerSecond >= TARGET_ROWS_PER_SECOND },
          enginePeakRssMb: { target: TARGET_PEAK_MB, met: engineResult.peakMemoryMb.rss <= TARGET_PEAK_MB },
          serviceRowsPerSecond: { target: TARGET_ROWS_PER_SECOND, met: rowsPerSecond >= TARGET_ROWS_PER_SECOND },
          servicePeakRssMb: { target: TARGET_PEAK_MB, met: peakRssMb <= TARGET_PEAK_MB },
        },
        machine: { cpus: os.cpus().length, loadAverage1mBefore: round(loadBefore), loadAverage1mAfter: round(os.loadavg()[0]), node: process.version },
        measuredAt: new Date().toISOString(),
      };
      mkdirSync("bench/results", { recursive: true });
      writeFileSync("bench/results/mrv.json", JSON.stringify(result, null, 2) + "\n");
      console.table([
        { phase: `engine, ${engineRows} rows (no database)`, seconds: engineResult.seconds, "rows/s": engineResult.rowsPerSecond },
        { phase: `service ingest, ${rows} rows (parse, map, normalize, write, quality, totals)`, seconds: result.seconds.ingest, "rows/s": result.rowsPerSecond.ingest },
        { phase: "service seal (root from ingestion, or leaf hashes read back, sorted, Merkle root; quantify)", seconds: result.seconds.seal, "rows/s": result.rowsPerSecond.seal },
        { phase: "service total", seconds: result.seconds.total, "rows/s": result.rowsPerSecond.total },
      ]);
      console.table([
        { measure: "engine rows/s", value: engineResult.rowsPerSecond, target: `>= ${TARGET_ROWS_PER_SECOND}`, met: result.targets.engineRowsPerSecond.met },
        { measure: "engine rows per CPU second", value: engineResult.rowsPerCpuSecond, target: "", met: "" },
        { measure: "engine peak RSS MB / heap MB", value: `${engineResult.peakMemoryMb.rss} / ${engineResult.peakMemoryMb.heapUsed}`, target: `<= ${TARGET_PEAK_MB}`, met: result.targets.enginePeakRssMb.met },
        { measure: "service rows/s", value: rowsPerSecond, target: `>= ${TARGET_ROWS_PER_SECOND}`, met: result.targets.serviceRowsPerSecond.met },
        { measure: "service rows per CPU second", value: result.rowsPerCpuSecond, target: "", met: "" },
        { measure: "service peak RSS MB / heap MB (RSS includes embedded PGlite)", value: `${peakRssMb} / ${result.peakMemoryMb.heapUsed}`, target: `<= ${TARGET_PEAK_MB}`, met: result.targets.servicePeakRssMb.met },
        { measure: "load average (1m) before/after", value: `${result.machine.loadAverage1mBefore} / ${result.machine.loadAverage1mAfter}`, target: "", met: "" },
      ]);
      if (Object.values(result.targets).some((t) => !t.met)) process.exitCode = 1;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface ServiceRun {
  summary: { accepted: number; quarantined: number; qualityFlags: { count: number } };
  sealed: { merkleRoot: string; quantification: { netReductions: string } };
  t0: number;
  t1: number;
  t2: number;
  serviceCpuSeconds: number;
  memory: { peakRss: number; peakHeap: number; ingestPeakRss: number; sealPeakRss: number };
}

/** Runs `--service` in a child process (same Node flags and loader) and returns what it measured. */
async function runServiceChild(csv: string, dataDir: string): Promise<ServiceRun> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], "--service", csv, dataDir], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (text: string) => {
    out += text;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`the service run exited with code ${code}`);
  return JSON.parse(out.trim().split("\n").at(-1) as string) as ServiceRun;
}

/** The service alone, in this process: ingestFile then sealDataset on the migrated database. */
async function serviceMain(): Promise<void> {
  const at = process.argv.indexOf("--service");
  const csv = process.argv[at + 1];
  const dataDir = process.argv[at + 2];
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl === undefined ? { dataDir, pgliteInMemory: false, databasePoolMax: 1 } : config);
  try {
    const library = createSeededFactorLibrary();
    const dataset = await createDataset(
      database.pool,
      {
        projectId: `BENCH-${Date.now()}`,
        period: { start: "2024-01-01", end: "2024-02-29" },
        libraryVersion: "2025.1",
        methodology: { kind: "grid-renewable-electricity", methodology: "ACM0002 v21", gwpSet: "AR5", gridEmissionFactorId: "cea-v20.india-grid.combined-margin-wind-solar" },
        qualityRules: { expectedIntervalMs: 60_000 },
      },
      "bench",
      library.versions(),
    );
    global.gc?.();
    const memory = new MemorySampler();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const summary = await ingestFile(database.pool, {
      datasetId: dataset.id,
      fileName: "inverters.csv",
      content: { path: csv },
      source: { format: "csv" },
      mapping: MAPPING,
      actor: "bench",
    });
    const t1 = performance.now();
    const ingestPeakRss = memory.peakRss;
    const sealMemory = new MemorySampler();
    const sealed = await sealDataset(database.pool, { datasetId: dataset.id, library, actor: "bench" });
    sealMemory.stop();
    const t2 = performance.now();
    const serviceCpuSeconds = cpuSecondsSince(cpu);
    memory.stop();
    const run: ServiceRun = {
      summary: { accepted: summary.accepted, quarantined: summary.quarantined, qualityFlags: { count: summary.qualityFlags.count } },
      sealed: { merkleRoot: sealed.merkleRoot, quantification: { netReductions: sealed.quantification.netReductions } },
      t0,
      t1,
      t2,
      serviceCpuSeconds,
      memory: { peakRss: memory.peakRss, peakHeap: memory.peakHeap, ingestPeakRss, sealPeakRss: sealMemory.peakRss },
    };
    console.log(JSON.stringify(run));
  } finally {
    await database.close();
  }
}

async function engineMain(): Promise<void> {
  const rows = argument("rows", 1_000_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "bench-mrv-engine-"));
  const csv = path.join(tmp, "inverters.csv");
  try {
    await writeCsv(csv, rows);
    const loadBefore = os.loadavg()[0];
    const run = await measure(() => engineRun(csv, rows));
    console.log(JSON.stringify({ mode: "engine", rows, seconds: round(run.seconds), rowsPerSecond: Math.round(rows / run.seconds), cpuSeconds: round(run.cpuSeconds), rowsPerCpuSecond: Math.round(rows / run.cpuSeconds), peakRssMb: run.peakRssMb, peakHeapMb: run.peakHeapMb, root: run.value.root, netReductionsTco2e: run.value.netReductions, loadAverage1mBefore: round(loadBefore), loadAverage1mAfter: round(os.loadavg()[0]) }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
