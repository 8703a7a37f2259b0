/**
 * The test chain of {@link startTestChain} in a process of its own, as a real node is: its EVM
 * does not share an event loop (or, on a multi-core machine, a core) with the code under test.
 * Used by benchmarks that measure a pipeline against the chain (`npm run bench:sync`).
 *
 * ```ts
 * const chain = await startTestChainProcess({ threshold: 2 });   // same TestChain interface
 * ...
 * await chain.close();                                            // stops the process
 * ```
 *
 * The child runs `chainProcessMain.ts` and reports its chain over the IPC channel; `request`
 * goes over the chain's JSON-RPC endpoint.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { publicClientFor } from "../chain/clients";
import { deploymentSchema } from "../chain/deployment";
import { chainControls, type StartTestChainOptions, type TestChain } from "./testChain";

/** What the child reports once its chain is up (the deployment as JSON, checked on arrival). */
export type ChainProcessReady = Pick<TestChain, "rpcUrl" | "chainId" | "accounts" | "oracleKeys" | "threshold"> & {
  readonly deployment: unknown;
  /** What backs the child's EVM arena (`edrArenaPages`). */
  readonly arenaPages: "huge" | "regular" | "unknown";
};

/** A chain in a process of its own, with what backs its EVM arena, how many starts it took, and its process id. */
export type ChainProcess = TestChain & { readonly arenaPages: ChainProcessReady["arenaPages"]; readonly starts: number; readonly pid: number };

/**
 * How the child asks for a fresh process: given `argument`, it exits with `exitCode` (EX_TEMPFAIL)
 * when EDR's allocator arena did not get transparent huge pages (several times slower EVM; see
 * edrTuning.ts). Whether it gets them changes from process to process.
 */
export const CHAIN_PROCESS_RESTART = { argument: "restart-without-huge-pages", exitCode: 75 } as const;

/** Processes started at most in search of one whose EVM arena has huge pages; the last one is kept either way. */
const MAX_CHAIN_PROCESS_STARTS = 10;

/** Starts a chain with the ledger deployed in a child process (see the module comment). */
export async function startTestChainProcess(options: StartTestChainOptions = {}): Promise<ChainProcess> {
  for (let start = 1; ; start++) {
    const last = start === MAX_CHAIN_PROCESS_STARTS;
    const child = fork(path.join(__dirname, "chainProcessMain.ts"), [JSON.stringify(options), ...(last ? [] : [CHAIN_PROCESS_RESTART.argument])], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    const ready = await new Promise<ChainProcessReady | "restart">((resolve, reject) => {
      child.once("message", (message) => resolve(message as ChainProcessReady));
      child.once("error", reject);
      child.once("exit", (code) => {
        if (code === CHAIN_PROCESS_RESTART.exitCode && !last) resolve("restart");
        else reject(new Error(`the chain process exited (code ${code}) before its chain was up`));
      });
    }).catch((error: unknown) => {
      process.off("exit", killOnExit);
      throw error;
    });
    if (ready === "restart") {
      process.off("exit", killOnExit);
      continue;
    }
    return { ...connectToChainProcess(child, ready, killOnExit), arenaPages: ready.arenaPages, starts: start, pid: child.pid as number };
  }
}

function connectToChainProcess(child: ChildProcess, ready: ChainProcessReady, killOnExit: () => void): TestChain {
  const deployment = deploymentSchema.parse(ready.deployment);
  const [admin, compliance, pauser, treasury, ...users] = ready.accounts.map((key) => privateKeyToAccount(key));
  let id = 0;
  const request = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const response = await fetch(ready.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  return {
    rpcUrl: ready.rpcUrl,
    chainId: ready.chainId,
    deployment,
    accounts: ready.accounts,
    admin,
    compliance,
    pauser,
    treasury,
    users,
    oracleKeys: ready.oracleKeys,
    threshold: ready.threshold,
    publicClient: publicClientFor(ready.rpcUrl, ready.chainId),
    deploymentBlock: BigInt(deployment.blockNumber),
    ...chainControls(request),
    close: async () => {
      process.off("exit", killOnExit);
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}
