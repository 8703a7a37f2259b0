/**
 * CPU time of the benchmark's processes, from /proc (Linux): which part of the system a phase's
 * cores went to. Elsewhere every reading is null.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks a second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** utime + stime of `pid` in seconds, or null when it cannot be read. */
function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Every process whose command name is `name` (e.g. the PostgreSQL server's backends). */
function pidsNamed(name: string): number[] {
  try {
    return readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === name;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

export type ProcessGroups = Readonly<Record<string, { readonly pids?: readonly number[]; readonly named?: string }>>;

/** A reading of each group's CPU seconds; `since` turns two readings into what each group used in between. */
export function readProcessCpu(groups: ProcessGroups): Map<string, Map<number, number>> {
  const reading = new Map<string, Map<number, number>>();
  for (const [group, { pids = [], named }] of Object.entries(groups)) {
    const byPid = new Map<number, number>();
    for (const pid of [...pids, ...(named === undefined ? [] : pidsNamed(named))]) {
      const seconds = cpuSecondsOf(pid);
      if (seconds !== null) byPid.set(pid, seconds);
    }
    reading.set(group, byPid);
  }
  return reading;
}

/** CPU seconds each group used between two readings (processes present in both), or null where none could be read. */
export function cpuSecondsBetween(before: Map<string, Map<number, number>>, after: Map<string, Map<number, number>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [group, byPid] of after) {
    const earlier = before.get(group) ?? new Map<number, number>();
    let total = 0;
    let seen = false;
    for (const [pid, seconds] of byPid) {
      const start = earlier.get(pid);
      if (start === undefined) continue;
      total += seconds - start;
      seen = true;
    }
    out[group] = seen ? Math.round(total * 100) / 100 : null;
  }
  return out;
}
