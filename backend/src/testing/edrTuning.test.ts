import type { EthereumProvider, RequestArguments } from "hardhat/types";
import { describe, expect, it } from "vitest";
import { tuneEdrProvider } from "./edrTuning";

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
