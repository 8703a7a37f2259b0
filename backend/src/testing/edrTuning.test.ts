import type { EthereumProvider, RequestArguments } from "hardhat/types";
import { describe, expect, it } from "vitest";
import { edrArenaPages, tuneEdrProvider } from "./edrTuning";
import { loadEdr } from "./hardhat";

/** A provider whose requests finish when the test says so, recording when each one started. */
function controlledProvider() {
  const started: string[] = [];
  const finish = new Map<string, { resolve(value: unknown): void; reject(error: Error): void }>();
  const provider = {
    chainName: "controlled",
    request(args: RequestArguments) {
      started.push(args.method);
      return new Promise((resolve, reject) => finish.set(args.method, { resolve, reject }));
    },
    describe() {
      return this.chainName;
    },
  };
  return { provider: provider as unknown as EthereumProvider & { describe(): string }, started, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("tuneEdrProvider", () => {
  it("hands requests to the provider one at a time, in arrival order, each with its own answer", async () => {
    const { provider, started, finish } = controlledProvider();
    const tuned = tuneEdrProvider(provider);
    const first = tuned.request({ method: "eth_call" });
    const second = tuned.request({ method: "eth_blockNumber" });
    const third = tuned.request({ method: "eth_sendRawTransaction" });
    await tick();
    expect(started).toEqual(["eth_call"]);
    finish.get("eth_call")?.resolve("0x01");
    await tick();
    expect(started).toEqual(["eth_call", "eth_blockNumber"]);
    finish.get("eth_blockNumber")?.resolve("0x02");
    await tick();
    finish.get("eth_sendRawTransaction")?.resolve("0x03");
    expect(await Promise.all([first, second, third])).toEqual(["0x01", "0x02", "0x03"]);
  });

  it("passes a failure to its caller and goes on with the next request", async () => {
    const { provider, started, finish } = controlledProvider();
    const tuned = tuneEdrProvider(provider);
    const failing = tuned.request({ method: "eth_estimateGas" });
    const next = tuned.request({ method: "eth_chainId" });
    await tick();
    finish.get("eth_estimateGas")?.reject(new Error("execution reverted"));
    await expect(failing).rejects.toThrow("execution reverted");
    await tick();
    expect(started).toEqual(["eth_estimateGas", "eth_chainId"]);
    finish.get("eth_chainId")?.resolve("0x7a69");
    expect(await next).toBe("0x7a69");
  });

  it("leaves every other property and method of the provider as it was", () => {
    const { provider } = controlledProvider();
    const tuned = tuneEdrProvider(provider) as typeof provider;
    expect(tuned.describe()).toBe("controlled");
    expect((tuned as unknown as { chainName: string }).chainName).toBe("controlled");
  });
});

/** An smaps entry: header line, the fields this reads, and VmFlags. */
function mapping(header: string, sizeKib: number, flags: string): string {
  return [header, `Size:           ${sizeKib} kB`, "KernelPageSize:        4 kB", "Rss:               12345 kB", "AnonHugePages:         0 kB", `VmFlags: ${flags}`].join("\n");
}

const ARENA = 2 * 1024 * 1024;
const MADVISE = "always [madvise] never\n";

describe("edrArenaPages", () => {
  const library = mapping("7f0012340000-7f0012380000 r-xp 00000000 fd:01 123 /work/node_modules/@nomicfoundation/edr-linux-x64-gnu/edr.node", 256, "rd ex mr mw me");
  const reserved = mapping("7fbaa0010000-7fbd20000000 ---p 00000000 00:00 0 ", 10485696, "mr mw me dc nr");

  it("reads the arena's mapping: huge pages when it is flagged hg, regular when not", () => {
    const huge = mapping("7fb978000000-7fb9f8000000 rw-p 00000000 00:00 0 ", ARENA, "rd wr mr mw me nr hg");
    const regular = mapping("7fcbe0000000-7fcc60000000 rw-p 00000000 00:00 0 ", ARENA, "rd wr mr mw me nr");
    expect(edrArenaPages([library, huge, reserved].join("\n"), MADVISE)).toBe("huge");
    expect(edrArenaPages([library, regular, reserved].join("\n"), MADVISE)).toBe("regular");
  });

  it("only counts a private anonymous read-write mapping of the arena's size", () => {
    const file = mapping("7fb978000000-7fb9f8000000 rw-p 00000000 fd:01 77 /tmp/big.bin", ARENA, "rd wr mr mw me hg");
    const other = mapping("7fb978000000-7fb9b8000000 rw-p 00000000 00:00 0 ", ARENA / 2, "rd wr mr mw me hg");
    expect(edrArenaPages([library, file, other, reserved].join("\n"), MADVISE)).toBe("unknown");
  });

  it("follows the kernel's huge page mode: always means huge, never means unknown", () => {
    const regular = mapping("7fcbe0000000-7fcc60000000 rw-p 00000000 00:00 0 ", ARENA, "rd wr mr mw me nr");
    expect(edrArenaPages(regular, "[always] madvise never\n")).toBe("huge");
    expect(edrArenaPages(regular, "always madvise [never]\n")).toBe("unknown");
  });

  it.runIf(process.platform === "linux")("finds EDR's arena in this process once EDR is loaded", () => {
    loadEdr();
    expect(["huge", "regular"]).toContain(edrArenaPages());
  });
});
