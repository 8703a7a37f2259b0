import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createVerraAdapter,
  RegistryApiError,
  registryApiBaseUrl,
  registryOperationSchema,
  registryWebhookEventSchema,
  retirementRequestSchema,
  type FetchLike,
  type LockRequestInput,
  type RegistryOperation,
  type SerialBlockStatus,
} from "./index";

const SERIAL = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1";
const LOCK_REF = `0x${"ab".repeat(32)}`;

const lockedStatus: SerialBlockStatus = {
  registry: "VERRA",
  serial: SERIAL,
  status: "LOCKED",
  holderAccount: "carbonclear-custody",
  quantity: "425",
  lockRef: LOCK_REF as SerialBlockStatus["lockRef"],
  successors: [],
  updatedAt: "2026-04-10T12:00:00.000Z",
};

const operation = (overrides: Partial<RegistryOperation> = {}): RegistryOperation => ({
  operationId: "op-1",
  requestId: "lock-0001",
  registry: "VERRA",
  kind: "LOCK",
  status: "PENDING",
  serial: SERIAL,
  resultSerial: null,
  rejectionReason: null,
  fromAccount: null,
  toAccount: null,
  memo: null,
  platformReference: null,
  registryRef: null,
  quantity: null,
  createdAt: "2026-04-10T12:00:00Z",
  updatedAt: "2026-04-10T12:00:00Z",
  ...overrides,
});

const lockRequest: LockRequestInput = {
  requestId: "lock-0001",
  serial: SERIAL,
  fromAccount: "acme-holding",
  custodyAccount: "carbonclear-custody",
  lockRef: LOCK_REF,
  owner: "0x00000000000000000000000000000000000000a1",
  chainId: 31337,
};

interface Call {
  url: string;
  init: RequestInit | undefined;
}

/** A fetch that records calls and answers from `respond`. */
function fakeFetch(respond: (call: Call) => Response | Promise<Response>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      const call = { url, init };
      calls.push(call);
      return respond(call);
    },
  };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

async function apiError(promise: Promise<unknown>): Promise<RegistryApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryApiError);
  return error as RegistryApiError;
}

describe("registry API client", () => {
  it("fetches a serial block's status from the encoded path with the API key", async () => {
    const { fetch, calls } = fakeFetch(() => json(200, lockedStatus));
    const verra = createVerraAdapter({ baseUrl: "http://sim.local/registries/verra/", fetch, apiKey: "k-123" });
    expect(await verra.getSerialBlockStatus(SERIAL)).toEqual(lockedStatus);
    expect(calls[0].url).toBe(`http://sim.local/registries/verra/v1/serial-blocks/${SERIAL}`);
    expect(calls[0].init?.method).toBe("GET");
    expect(new Headers(calls[0].init?.headers).get("authorization")).toBe("Bearer k-123");
  });

  it("returns null for an unknown serial or operation", async () => {
    const { fetch } = fakeFetch(() => json(404, { error: { code: "NOT_FOUND", message: "no such serial" } }));
    const verra = createVerraAdapter({ baseUrl: "http://sim.local", fetch });
    expect(await verra.getSerialBlockStatus(SERIAL)).toBeNull();
    expect(await verra.getOperation("op-404")).toBeNull();
  });

  it("posts a validated request and returns the operation", async () => {
    const { fetch, calls } = fakeFetch(() => json(202, operation()));
    const verra = createVerraAdapter({ baseUrl: "http://sim.local", fetch });
    expect(await verra.submitLock(lockRequest)).toEqual(operation());
    expect(calls[0].url).toBe("http://sim.local/v1/locks");
    expect(JSON.parse(String(calls[0].init?.body))).toEqual(lockRequest);
  });

  it("refuses an invalid request without sending it, naming the field", async () => {
    const { fetch, calls } = fakeFetch(() => json(202, operation()));
    const verra = createVerraAdapter({ baseUrl: "http://sim.local", fetch });
    const error = await apiError(verra.submitLock({ ...lockRequest, lockRef: "0x12", requestId: "x" }));
    expect(error).toMatchObject({ code: "INVALID_REQUEST", retryable: false, status: null });
    expect(error.message).toMatch(/requestId: .*lockRef: must be 0x followed by 64 hex digits/);
    expect(calls).toHaveLength(0);
  });

  it("passes the registry's error code on, and marks server errors retryable", async () => {
    const conflict = createVerraAdapter({
      baseUrl: "http://sim.local",
      fetch: fakeFetch(() => json(409, { error: { code: "BLOCK_NOT_HELD", message: "acme-holding does not hold the block" } })).fetch,
    });
    expect(await apiError(conflict.submitLock(lockRequest))).toMatchObject({
      code: "BLOCK_NOT_HELD",
      status: 409,
      retryable: false,
      message: "VERRA registry submitLock: acme-holding does not hold the block (HTTP 409)",
    });
    const down = createVerraAdapter({ baseUrl: "http://sim.local", fetch: fakeFetch(() => new Response("upstream down", { status: 503 })).fetch });
    expect(await apiError(down.getSerialBlockStatus(SERIAL))).toMatchObject({ code: "HTTP_503", status: 503, retryable: true });
  });

  it("refuses a malformed answer or an answer about another registry", async () => {
    const malformed = createVerraAdapter({
      baseUrl: "http://sim.local",
      fetch: fakeFetch(() => json(200, { ...lockedStatus, lockRef: null })).fetch,
    });
    const error = await apiError(malformed.getSerialBlockStatus(SERIAL));
    expect(error).toMatchObject({ code: "INVALID_RESPONSE", retryable: false });
    expect(error.message).toContain("lockRef: is required when LOCKED");

    const other = createVerraAdapter({
      baseUrl: "http://sim.local",
      fetch: fakeFetch(() => json(200, { ...lockedStatus, registry: "GOLD_STANDARD" })).fetch,
    });
    expect(await apiError(other.getSerialBlockStatus(SERIAL))).toMatchObject({ code: "WRONG_REGISTRY" });
  });

  it("reports network failures and timeouts as retryable", async () => {
    const unreachable = createVerraAdapter({
      baseUrl: "http://sim.local",
      fetch: () => Promise.reject(new TypeError("fetch failed")),
    });
    expect(await apiError(unreachable.getOperation("op-1"))).toMatchObject({ code: "NETWORK", retryable: true });

    const hanging: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const slow = createVerraAdapter({ baseUrl: "http://sim.local", fetch: hanging, timeoutMs: 50 });
    expect(await apiError(slow.getOperation("op-1"))).toMatchObject({ code: "TIMEOUT", retryable: true, message: expect.stringContaining("50 ms") });
  });
});

describe("registry API over HTTP", () => {
  let server: http.Server;
  let serverUrl: string;

  beforeAll(async () => {
    // A minimal registry that implements POST /v1/retirements with the shared schemas.
    server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk) => (raw += chunk));
      req.on("end", () => {
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (req.method !== "POST" || req.url !== "/registries/verra/v1/retirements") return reply(404, { error: { code: "NOT_FOUND", message: req.url ?? "" } });
        const parsed = retirementRequestSchema.safeParse(JSON.parse(raw));
        if (!parsed.success) return reply(400, { error: { code: "INVALID_REQUEST", message: parsed.error.message } });
        const r = parsed.data;
        reply(200, operation({ operationId: "ret-1", requestId: r.requestId, kind: "RETIREMENT", status: "COMPLETED", resultSerial: r.serial }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("round-trips a retirement through a server built on the same schemas", async () => {
    const verra = createVerraAdapter({ baseUrl: registryApiBaseUrl(serverUrl, "VERRA") });
    const retired = verra.subBlockSerial(verra.parseSerial(SERIAL), 941467007n, 941467016n);
    const result = await verra.submitRetirement({
      requestId: "retire-0001",
      serial: SERIAL,
      range: { first: "941467007", last: "941467016" },
      custodyAccount: "carbonclear-custody",
      beneficiaryName: "Example AG",
      beneficiaryCommitment: null,
      reason: "Scope 1 emissions 2025",
      periodStart: "2025-01-01",
      periodEnd: "2025-12-31",
      consumptionCountry: "CH",
      certificateId: "1",
      chainId: 31337,
    });
    expect(result).toMatchObject({ operationId: "ret-1", kind: "RETIREMENT", status: "COMPLETED", requestId: "retire-0001" });
    expect(retired).toBe("19385-941467007-941467016-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1");
  });

  it("surfaces the server's validation error", async () => {
    const verra = createVerraAdapter({ baseUrl: registryApiBaseUrl(serverUrl, "VERRA") });
    const error = await apiError(verra.submitTransfer({ requestId: "transfer-1", serial: SERIAL, fromAccount: "a", toAccount: "b" }));
    expect(error).toMatchObject({ code: "NOT_FOUND", status: 404 });
  });
});

describe("shared shapes", () => {
  it("accepts real certificate ids, which are wider than 64 bits", () => {
    const base = {
      requestId: "retire-0002",
      serial: SERIAL,
      range: { first: "941467007", last: "941467016" },
      custodyAccount: "carbonclear-custody",
      beneficiaryName: "Example AG",
      beneficiaryCommitment: null,
      reason: "Scope 1 emissions 2025",
      periodStart: "2025-01-01",
      periodEnd: "2025-12-31",
      consumptionCountry: "CH",
      chainId: 31337,
    };
    const certificateId = ((3n << 64n) | 941467007n).toString();
    expect(retirementRequestSchema.parse({ ...base, certificateId }).certificateId).toBe(certificateId);
    expect(retirementRequestSchema.safeParse({ ...base, certificateId: (1n << 256n).toString() }).error?.issues[0].path).toEqual(["certificateId"]);
  });

  it("keeps operations and webhook events consistent", () => {
    expect(registryOperationSchema.safeParse(operation({ status: "REJECTED" })).error?.issues[0].path).toEqual(["rejectionReason"]);
    expect(registryWebhookEventSchema.parse({
      type: "operation.updated",
      timestamp: "2026-04-10T12:00:05Z",
      data: { registry: "VERRA", operationId: "op-1", status: "COMPLETED" },
    }).type).toBe("operation.updated");
    expect(registryWebhookEventSchema.safeParse({ type: "serial_block.updated", timestamp: "now", data: {} }).success).toBe(false);
  });
});
