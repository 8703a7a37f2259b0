/**
 * Sanctions screening benchmark: a 20,000-entity synthetic list written as an OFAC SDN legacy CSV
 * release and read back with the real importer, 10,000 labeled names (true variants and look-alike
 * non-matches, see backend/src/onboarding/sanctions/labeled-set.ts) screened one by one at the
 * default threshold. Writes bench/results/screen.json and prints a table.
 *
 *   npm run bench:screen [-- --entries 20000 --names 10000]
 *
 * Throughput is names per second of this process's CPU time (other processes on a shared machine
 * do not inflate it); wall time is reported too. Exits non-zero when a target is missed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildLabeledSet, evaluateLabeledSet, syntheticOfacList } from "../../backend/src/onboarding/sanctions/labeled-set";
import { buildScreeningIndex } from "../../backend/src/onboarding/sanctions/screening-index";
import { screeningOptionsSchema } from "../../backend/src/onboarding/sanctions/screening-options";

const TARGETS = { namesPerSecond: 1_000, recall: 0.98, precision: 0.9 };

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number`);
  return value;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function main(): void {
  const entries = argument("entries", 20_000);
  const names = argument("names", 10_000);
  const threshold = screeningOptionsSchema.parse({}).threshold;
  const loadBefore = os.loadavg()[0];

  let started = cpuMs();
  const list = syntheticOfacList(entries);
  const importCpuMs = cpuMs() - started;
  started = cpuMs();
  const index = buildScreeningIndex([list]);
  const indexCpuMs = cpuMs() - started;
  const queries = buildLabeledSet(list, { queries: names });

  const wallStart = performance.now();
  const evaluation = evaluateLabeledSet(index, queries, threshold);
  const wallMs = performance.now() - wallStart;

  const checks = {
    namesPerSecond: evaluation.namesPerSecond >= TARGETS.namesPerSecond,
    recall: evaluation.recall >= TARGETS.recall,
    precision: evaluation.precision >= TARGETS.precision,
  };
  const result = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      node: process.version,
      loadAverage1mBefore: Math.round(loadBefore * 100) / 100,
      loadAverage1mAfter: Math.round(os.loadavg()[0] * 100) / 100,
    },
    list: { format: "ofac-legacy-csv (synthetic, round-tripped through the importer)", entries: list.entries.length, names: index.names.length, listVersion: list.listVersion },
    labeledSet: { names: queries.length, matches: queries.filter((q) => q.label === "match").length, nonMatches: queries.filter((q) => q.label === "non-match").length },
    threshold,
    setup: { importCpuMs: Math.round(importCpuMs), indexCpuMs: Math.round(indexCpuMs) },
    screening: {
      cpuMs: Math.round(evaluation.cpuMs),
      wallMs: Math.round(wallMs),
      namesPerSecondCpu: Math.round(evaluation.namesPerSecond),
      namesPerSecondWall: Math.round(queries.length / (wallMs / 1000)),
    },
    quality: {
      recall: Math.round(evaluation.recall * 10_000) / 10_000,
      precision: Math.round(evaluation.precision * 10_000) / 10_000,
      truePositives: evaluation.truePositives,
      falsePositives: evaluation.falsePositives,
      falseNegatives: evaluation.falseNegatives,
      trueNegatives: evaluation.trueNegatives,
      byVariant: Object.fromEntries(
        Object.entries(evaluation.byVariant).sort().map(([variant, v]) => [variant, { ...v, accuracy: Math.round((v.correct / v.queries) * 10_000) / 10_000 }]),
      ),
    },
    examples: { misses: evaluation.misses.slice(0, 10), falseAlarms: evaluation.falseAlarms.slice(0, 10) },
    targets: { ...TARGETS, met: checks },
  };
  const file = path.join(__dirname, "..", "..", "bench", "results", "screen.json");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

  const rows: [string, string, string][] = [
    ["list entries (names)", `${result.list.entries} (${result.list.names})`, ""],
    ["labeled names (match / non-match)", `${queries.length} (${result.labeledSet.matches} / ${result.labeledSet.nonMatches})`, ""],
    ["threshold", String(threshold), ""],
    ["names/s (CPU)", String(result.screening.namesPerSecondCpu), `≥ ${TARGETS.namesPerSecond} ${checks.namesPerSecond ? "PASS" : "FAIL"}`],
    ["names/s (wall)", String(result.screening.namesPerSecondWall), `load ${result.machine.loadAverage1mBefore} → ${result.machine.loadAverage1mAfter}`],
    ["recall", result.quality.recall.toFixed(4), `≥ ${TARGETS.recall} ${checks.recall ? "PASS" : "FAIL"}`],
    ["precision", result.quality.precision.toFixed(4), `≥ ${TARGETS.precision} ${checks.precision ? "PASS" : "FAIL"}`],
    ...Object.entries(result.quality.byVariant).map(([variant, v]): [string, string, string] => [`  ${variant}`, `${v.correct}/${v.queries}`, v.accuracy.toFixed(4)]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const valueWidth = Math.max(...rows.map(([, v]) => v.length));
  console.log(`${"measure".padEnd(width)}  ${"value".padStart(valueWidth)}  target / note`);
  for (const [k, v, note] of rows) console.log(`${k.padEnd(width)}  ${v.padStart(valueWidth)}  ${note}`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  if (!Object.values(checks).every(Boolean)) process.exitCode = 1;
}

main();
