import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { carbonCreditAbi } from "../chain/abis";
import { startTestChainProcess, type ChainProcess } from "./chainProcess";

describe("startTestChainProcess", () => {
  let chain: ChainProcess;
  beforeAll(async () => {
    chain = await startTestChainProcess();
  }, 120_000);
  afterAll(async () => {
    await chain?.close();
  });

  it("keeps a process whose EVM arena has huge pages, unless it ran out of starts or cannot tell", () => {
    expect(chain.starts).toBeGreaterThanOrEqual(1);
    expect(chain.starts).toBeLessThanOrEqual(10);
    // A process without huge pages is only kept as the last start, when nothing better came.
    if (chain.arenaPages === "regular") expect(chain.starts).toBe(10);
    else expect(["huge", "unknown"]).toContain(chain.arenaPages);
  });

  it("serves the deployed ledger over JSON-RPC from its own process", async () => {
    const count = await chain.publicClient.readContract({ address: chain.deployment.contracts.credit, abi: carbonCreditAbi, functionName: "batchCount" });
    expect(count).toBe(0n);
    expect(chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
  });
});
