import { screen } from "./match";
import { buildScreeningIndex } from "./screening-index";
import { generateSyntheticList } from "./synthetic-list";

/** CPU time of this process in ms: unlike wall time, not inflated when other processes share the cores. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

interface QueryMeasurement {
  query: string;
  medianCpuMs: number;
  medianWallMs: number;
  namesCompared: number;
  matches: number;
}

/**
 * Measures index build and screening time over a synthetic list. Not a test: run it with
 * `npx tsx backend/src/onboarding/sanctions/screening-benchmark.ts` and read the numbers.
 */
export function measureScreening(entryCount: number, queries: readonly string[], repetitions: number): {
  buildCpuMs: number; names: number; perQuery: QueryMeasurement[];
} {
  const list = generateSyntheticList({ entries: entryCount, seed: 7 });
  const buildStart = cpuMs();
  const index = buildScreeningIndex([list]);
  const buildCpuMs = cpuMs() - buildStart;
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const perQuery = queries.map((query): QueryMeasurement => {
    const cpu: number[] = [];
    const wall: number[] = [];
    let namesCompared = 0;
    let matches = 0;
    for (let run = 0; run < repetitions; run++) {
      const cpuStart = cpuMs();
      const wallStart = performance.now();
      const result = screen({ name: query }, index, { threshold: 0.7, limit: 20 });
      wall.push(performance.now() - wallStart);
      cpu.push(cpuMs() - cpuStart);
      namesCompared = result.namesCompared;
      matches = result.matches.length;
    }
    return { query, medianCpuMs: median(cpu), medianWallMs: median(wall), namesCompared, matches };
  });
  return { buildCpuMs, names: index.names.length, perQuery };
}

if (require.main === module) {
  const queries = [
    "Mohammed Al-Rashid", "Muhammad", "Kovalenko Oleksandr", "Jose Antonio Mueller Garcia",
    "Acme Trading LLC", "Global Shipping Limited", "Kim Chol", "Zzyzx Qwerty",
  ];
  const result = measureScreening(20_000, queries, 25);
  console.log(`index: ${result.names} names from 20000 entries, built in ${result.buildCpuMs.toFixed(0)} ms CPU`);
  for (const line of result.perQuery) {
    console.log(`${line.query.padEnd(30)} median ${line.medianCpuMs.toFixed(1)} ms CPU (${line.medianWallMs.toFixed(1)} ms wall), ${line.namesCompared} names compared, ${line.matches} matches`);
  }
}
