/**
 * Makes Hardhat 2's EDR provider several times faster on heavy transactions.
 *
 * The cost is memory, not the EVM. EDR records every EVM step of every call and transaction
 * (NomicFoundation/edr#1657), about 430 bytes a step, into buffers its allocator (mimalloc, inside
 * the native module) takes from the OS. `perf` on the chain process of `npm run bench:sync`
 * showed most of its time in `memmove` (the step vectors being copied as they grow) and page
 * faults: the traces were written into fresh pages, not into memory already in use. Five
 * conditions keep that cost down:
 * - mimalloc keeps what it takes ({@link configureEdrAllocator}): a 2 GiB arena reserved and
 *   committed up front, and freed pages never returned to the OS. With mimalloc's defaults a
 *   fresh chain ran its first ten 40-tokenize transactions at 200–300 ms each, and only then at
 *   70–90 ms; with these settings it runs them at 70–90 ms from the second one. The arena is
 *   address space: only the pages a trace touches count towards the process's memory.
 * - Requests reach EDR one at a time. With 40 concurrent reads beside each 40-tokenize
 *   transaction, a transaction took 350–700 ms; sent one at a time, 70–100 ms. (Concurrent
 *   requests are spread over EDR's native threads, 114 in the bench's chain process against 17
 *   when serialized; most likely each thread's freed pages then sit unused while another thread
 *   takes fresh ones.)
 * - The responses are freed promptly. A response holds its trace in native memory that V8 does
 *   not see, so V8 frees it only when its own heap fills. A young-generation collection after each
 *   request that ran the EVM frees it right away. A 280,000-step transaction took 170 ms (609 ns a
 *   step) without it and 20 ms (70 ns a step) with it.
 * - The provider knows the contracts (`createProvider` given the artifacts). Without them, a
 *   40-tokenize transaction took 500 ms in steady state; with them, 50–70 ms. Loading the build
 *   info costs about 0.4 s per chain.
 * - The arena is backed by transparent huge pages. mimalloc asks the kernel for them
 *   (`madvise(MADV_HUGEPAGE)`) only when the 2 GiB reservation comes back aligned to its 32 MiB
 *   segment size; otherwise it over-allocates, trims, and leaves the arena on 4 KiB pages. That
 *   depends on where the kernel places the mapping, so it changes from process to process. In
 *   16 fresh processes running a 600,000-step call, 8 of the 9 whose arena had huge pages (`hg`
 *   in its `/proc/self/smaps` flags) ran at 56–84 ns a step (the ninth at 310 ns), all 7
 *   without at 478–656 ns. This was the two-speed chain behind `bench:sync`'s run-to-run
 *   spread. {@link edrArenaPages} tells which one a process got; the chain process of
 *   `startTestChainProcess` starts again until it gets huge pages.
 *
 * {@link configureEdrAllocator} runs before Hardhat loads (`loadHardhatRuntime`,
 * `hardhat.config.ts`), {@link tuneEdrProvider} wraps each provider, and `createInProcessNetwork`
 * passes the artifacts.
 */
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { EthereumProvider, RequestArguments } from "hardhat/types";

/**
 * mimalloc's options, read from the environment when EDR's native module loads (mimalloc is linked
 * into it): reserve and commit a 2 GiB arena at once, and never purge freed pages.
 */
/** The arena mimalloc reserves up front, in GiB. */
const ARENA_GIB = 2;

const EDR_ALLOCATOR_ENVIRONMENT = {
  MIMALLOC_RESERVE_OS_MEMORY: `${ARENA_GIB}GiB`,
  MIMALLOC_ARENA_EAGER_COMMIT: "1",
  MIMALLOC_PURGE_DELAY: "-1",
} as const;

/** The arena's size as `/proc/self/smaps` gives it. */
const ARENA_KIB = ARENA_GIB * 1024 * 1024;

/**
 * Puts EDR's allocator settings into this process's environment, keeping any value already set
 * there. Takes effect only when called before EDR's native module is loaded (it is loaded with
 * the first Hardhat network provider).
 */
export function configureEdrAllocator(): void {
  // The one place that writes the environment: these are settings of a native library, which
  // reads them with getenv when it loads, not settings of CarbonClear (those are in config.ts).
  for (const [name, value] of Object.entries(EDR_ALLOCATOR_ENVIRONMENT)) {
    if (process.env[name] === undefined) process.env[name] = value;
  }
}

/**
 * What backs EDR's allocator arena in this process (call it after EDR's native module has loaded,
 * e.g. after `require("@nomicfoundation/edr")`):
 * - `"huge"`: transparent huge pages (the arena's mapping is flagged `hg`, or the kernel gives
 *   huge pages to every mapping);
 * - `"regular"`: 4 KiB pages, the slow case;
 * - `"unknown"`: no arena of the configured size found (allocator settings overridden, EDR not
 *   loaded) or no `/proc` (not Linux), or the kernel has huge pages turned off.
 * `smaps` and `thpMode` are the contents of `/proc/self/smaps` and
 * `/sys/kernel/mm/transparent_hugepage/enabled` (read when not given).
 */
export function edrArenaPages(smaps?: string, thpMode?: string): "huge" | "regular" | "unknown" {
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  };
  const mode = thpMode ?? read("/sys/kernel/mm/transparent_hugepage/enabled");
  const maps = smaps ?? read("/proc/self/smaps");
  if (mode === undefined || maps === undefined || mode.includes("[never]")) return "unknown";
  // One entry per mapping: a header line `start-end perms offset dev inode [path]`, then fields.
  const arenas = maps
    .split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)
    .filter((entry) => /^[0-9a-f]+-[0-9a-f]+ rw-p 00000000 00:00 0\s*$/m.test(entry.split("\n")[0]) && Number(/^Size:\s+(\d+) kB$/m.exec(entry)?.[1]) === ARENA_KIB);
  if (arenas.length === 0) return "unknown";
  if (mode.includes("[always]")) return "huge";
  return arenas.some((entry) => /^VmFlags:.*\bhg\b/m.test(entry)) ? "huge" : "regular";
}

type Collect = (options: { type: "minor" | "major" }) => void;

let collect: Collect | undefined;

/** V8's `gc`, without `--expose-gc` on the command line: the flag is set at run time and the
 * function taken from a fresh context, where V8 installs it. */
function garbageCollector(): Collect {
  if (collect === undefined) {
    setFlagsFromString("--expose-gc");
    collect = runInNewContext("gc") as Collect;
  }
  return collect;
}

/** JSON-RPC methods that run the EVM and so come back with step traces. */
const EXECUTING_METHODS = new Set([
  "eth_call",
  "eth_estimateGas",
  "eth_sendTransaction",
  "eth_sendRawTransaction",
  "eth_createAccessList",
  "evm_mine",
  "hardhat_mine",
  "debug_traceTransaction",
  "debug_traceCall",
]);

/**
 * `provider`, with its requests handed to EDR one at a time (in arrival order) and a minor
 * collection after each one that ran the EVM. Every other property and method is the provider's
 * own. This gives up whatever overlap EDR had between requests; as measured above, the chain is
 * faster for it.
 */
export function tuneEdrProvider(provider: EthereumProvider): EthereumProvider {
  const gc = garbageCollector();
  let collectionScheduled = false;
  const collectSoon = () => {
    if (collectionScheduled) return;
    collectionScheduled = true;
    // After the caller has taken the result: the response object is unreachable by then.
    setImmediate(() => {
      collectionScheduled = false;
      gc({ type: "minor" });
    });
  };
  let previous: Promise<unknown> = Promise.resolve();
  const request = (args: RequestArguments): Promise<unknown> => {
    const run = async () => {
      try {
        return await provider.request(args);
      } finally {
        if (EXECUTING_METHODS.has(args.method)) collectSoon();
      }
    };
    const result = previous.then(run);
    previous = result.catch(() => undefined);
    return result;
  };
  return new Proxy(provider, {
    get(target, property, receiver) {
      if (property === "request") return request;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
