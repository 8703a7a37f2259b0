import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRegistryAdapter } from "../adapter";
import { registryApiBaseUrl } from "../api";
import { RegistryApiError } from "../apiClient";
import type { RunningRegistrySimulator } from "./index";
import { seedHolding, SimulatorClient, startTestSimulator } from "./testing";
import type { ErrorDocument } from "./wire";

const ADMIN = { Authorization: "Bearer admin-token-123" };

let sim: RunningRegistrySimulator;
let client: SimulatorClient;

beforeEach(async () => {
  ({ sim, client } = await startTestSimulator({ adminToken: "admin-token-123" }));
});
afterEach(async () => {
  await sim.close();
});

describe("API faults", () => {
  it("answers 5xx while an error fault is set, but keeps the admin API up", async () => {
    sim.control.setApiFaults([{ mode: "error", status: 502 }]);
    const failed = await client.get<ErrorDocument>("/v1/health");
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe("REGISTRY_UNAVAILABLE");
    expect((await client.post("/v1/admin/tick", {}, ADMIN)).status).toBe(200);
    expect((await client.call("DELETE", "/v1/admin/faults", undefined, ADMIN)).status).toBe(204);
    expect((await client.get("/v1/health")).status).toBe(200);
  });

  it("fails about the configured fraction of requests, drawn from the seed", async () => {
    sim.control.setApiFaults([{ mode: "error", fraction: 0.3 }]);
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await client.get("/v1/health")).status);
    const failures = statuses.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(200 * 0.3 * 0.6);
    expect(failures).toBeLessThan(200 * 0.3 * 1.4);
    expect(sim.control.apiFaults().stats).toMatchObject({ error: failures, passed: 200 - failures });
  });

  it("rate-limits with 429 and Retry-After, only under the path prefix, and only for the duration", async () => {
    sim.control.setApiFaults([{ mode: "rate-limit", retryAfterSeconds: 7, pathPrefix: "/v1/locks", durationMs: 300 }]);
    const limited = await client.post<ErrorDocument>("/v1/locks", {});
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.body.error.code).toBe("RATE_LIMITED");
    expect((await client.get("/v1/health")).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await client.post("/v1/locks", {})).status).toBe(400);
    expect(sim.control.apiFaults().rules).toEqual([]);
  });

  it("hangs until the client gives up, and still shuts down promptly", async () => {
    sim.control.setApiFaults([{ mode: "timeout" }]);
    const started = Date.now();
    const outcome = await fetch(`${sim.url}/v1/health`, { signal: AbortSignal.timeout(150) }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).name).toBe("TimeoutError");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sim.control.apiFaults().stats.timeout).toBe(1);
    // leave one request hanging: close() must not wait for it
    void fetch(`${sim.url}/v1/health`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = Date.now();
    await sim.close();
    expect(Date.now() - closing).toBeLessThan(3_000);
  });

  it("reaches the adapters' client as retryable errors", async () => {
    const { issuance } = await seedHolding(client, "VERRA", 10);
    const verra = createRegistryAdapter("VERRA", { baseUrl: registryApiBaseUrl(sim.url, "VERRA"), timeoutMs: 200 });
    for (const [rule, expected] of [
      [{ mode: "error" as const }, { status: 503, code: "REGISTRY_UNAVAILABLE", retryable: true }],
      [{ mode: "rate-limit" as const }, { status: 429, code: "RATE_LIMITED", retryable: true }],
      [{ mode: "timeout" as const }, { status: null, code: "TIMEOUT", retryable: true }],
    ] as const) {
      sim.control.setApiFaults([rule]);
      const error = await verra.getSerialBlockStatus(issuance.serialNumber).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryApiError);
      expect(error).toMatchObject(expected);
    }
    sim.control.clearApiFaults();
    expect(await verra.getSerialBlockStatus(issuance.serialNumber)).toMatchObject({ status: "ACTIVE" });
  });
});

describe("admin API over HTTP", () => {
  it("needs the admin token", async () => {
    expect((await client.post<ErrorDocument>("/v1/admin/tick", {})).status).toBe(401);
    expect((await client.post("/v1/admin/tick", {}, { Authorization: "Bearer wrong" })).status).toBe(401);
    const open = await startTestSimulator();
    try {
      const disabled = await open.client.post<ErrorDocument>("/v1/admin/tick", {});
      expect(disabled.status).toBe(403);
      expect(disabled.body.error.code).toBe("ADMIN_DISABLED");
    } finally {
      await open.sim.close();
    }
  });

  it("ticks, sets the cycle, faults, chaos and a forced rejection", async () => {
    const { account, issuance } = await seedHolding(client, "VERRA", 10);
    expect((await client.post("/v1/admin/reject-next", { kind: "cancellation", reason: "registry audit" }, ADMIN)).status).toBe(204);
    const cancel = await client.submit("cancellations", { fromAccountId: account.id, issuanceId: issuance.id, quantity: 1 });
    const tick = await client.ok(client.post<{ completed: string[]; rejected: string[] }>("/v1/admin/tick", {}, ADMIN));
    expect(tick).toEqual({ completed: [], rejected: [cancel.body.id] });
    expect(await client.request(cancel.body.id)).toMatchObject({ rejectionCode: "REJECTED_BY_REGISTRY", rejectionReason: "registry audit" });

    expect(await client.ok(client.put("/v1/admin/cycle", { cycleMs: 1234 }, ADMIN))).toEqual({ cycleMs: 1234 });
    expect(sim.control.cycleMs).toBe(1234);
    expect(await client.ok(client.put("/v1/admin/webhook-chaos", { duplicateRate: 0.5 }, ADMIN))).toMatchObject({ duplicateRate: 0.5, reorderRate: 0 });
    const badChaos = await client.put<ErrorDocument>("/v1/admin/webhook-chaos", { duplicateRate: 2 }, ADMIN);
    expect(badChaos.body.error.issues?.[0].field).toBe("duplicateRate");
    expect(await client.ok(client.put("/v1/admin/webhook-time-factor", { timeFactor: 0.001 }, ADMIN))).toEqual({ timeFactor: 0.001 });
    const faults = await client.ok(client.put<{ rules: unknown[] }>("/v1/admin/faults", { rules: [{ mode: "error", fraction: 0.5 }] }, ADMIN));
    expect(faults.rules).toEqual([{ mode: "error", fraction: 0.5, status: 503, retryAfterSeconds: 1 }]);
    const badFault = await client.put<ErrorDocument>("/v1/admin/faults", { rules: [{ mode: "explode" }] }, ADMIN);
    expect(badFault.body.error.issues?.[0].field).toBe("rules.0.mode");
    expect((await client.get("/v1/admin/webhook-deliveries", ADMIN)).status).toBe(200);
  });
});
