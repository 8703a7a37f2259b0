/**
 * The sync API module on the real API app: webhook intake over HTTP (signature over the raw body,
 * idempotency on webhook-id, durable before 2xx) and the operations listing's access control.
 */
import { Webhook } from "standardwebhooks";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiForTest, type TestApi } from "../api/testing";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import { syncApi } from "./api";
import type { OperationRef } from "./operations";

const SECRET = `whsec_${Buffer.from("sync-api-test-secret-0123").toString("base64")}`;
let db: TestDatabase;
let api: TestApi;
const enqueued: OperationRef[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  api = await startApiForTest({
    pool: db.pool,
    modules: [syncApi({ pool: db.pool, sources: [{ name: "simulator", secret: SECRET }], enqueue: async (ops) => void enqueued.push(...ops) })],
  });
}, 60_000);

afterAll(async () => {
  await api.close();
  await db.close();
});

function signed(id: string, payload: unknown, secret = SECRET, at = new Date()) {
  // Deliberately unusual spacing: the signature covers these exact bytes, not a re-serialisation.
  const body = JSON.stringify(payload, null, 3);
  return {
    body,
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": new Webhook(secret).sign(id, at, body) },
  };
}

const settled = (operationId: string) => ({ type: "operation.updated", timestamp: new Date().toISOString(), data: { registry: "VERRA", operationId, status: "COMPLETED" } });

async function post(path: string, message: { body: string; headers: Record<string, string> }) {
  const response = await fetch(`${api.url}${path}`, { method: "POST", headers: message.headers, body: message.body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("POST /v1/webhooks/registry/:source", () => {
  it("stores a verified event and its operation before answering, once per webhook-id", async () => {
    const message = signed("msg_api_1", settled("op-api-1"));
    expect(await post("/v1/webhooks/registry/simulator", message)).toEqual({ status: 200, body: { received: true, duplicate: false, operations: 1 } });
    expect(enqueued).toEqual([{ registry: "VERRA", operationId: "op-api-1" }]);
    const rows = await db.pool.query("SELECT event_type, source FROM sync_webhook_events WHERE webhook_id = 'msg_api_1'");
    expect(rows.rows).toEqual([{ event_type: "operation.updated", source: "simulator" }]);

    expect(await post("/v1/webhooks/registry/simulator", message)).toEqual({ status: 200, body: { received: true, duplicate: true, operations: 0 } });
    // A new webhook-id about the same operation is stored but does not queue it twice.
    expect((await post("/v1/webhooks/registry/simulator", signed("msg_api_2", settled("op-api-1")))).body).toMatchObject({ duplicate: false, operations: 0 });
    expect(enqueued).toHaveLength(1);
  });

  it("refuses bad signatures, other secrets, unknown sources and malformed events, storing nothing", async () => {
    const wrongSecret = signed("msg_bad_1", settled("op-bad-1"), `whsec_${Buffer.from("someone-else-entirely").toString("base64")}`);
    expect(await post("/v1/webhooks/registry/simulator", wrongSecret)).toMatchObject({ status: 401, body: { error: { code: "INVALID_SIGNATURE" } } });
    const future = signed("msg_bad_2", settled("op-bad-2"), SECRET, new Date(Date.now() + 10 * 60_000));
    expect(await post("/v1/webhooks/registry/simulator", future)).toMatchObject({ status: 401, body: { error: { code: "STALE_TIMESTAMP" } } });
    expect(await post("/v1/webhooks/registry/elsewhere", signed("msg_bad_3", settled("op-bad-3")))).toMatchObject({
      status: 404,
      body: { error: { code: "UNKNOWN_SOURCE" } },
    });
    expect(await post("/v1/webhooks/registry/simulator", signed("msg_bad_4", { type: "operation.updated", timestamp: "x", data: { registry: "NOPE" } }))).toMatchObject({
      status: 400,
      body: { error: { code: "MALFORMED_BODY" } },
    });
    const count = await db.pool.query("SELECT count(*)::int AS n FROM sync_webhook_events WHERE webhook_id LIKE 'msg_bad_%'");
    expect(count.rows[0].n).toBe(0);
    const ops = await db.pool.query("SELECT count(*)::int AS n FROM sync_operations WHERE operation_id LIKE 'op-bad-%'");
    expect(ops.rows[0].n).toBe(0);
  });
});

describe("GET /v1/sync/operations", () => {
  it("is for compliance and admin only", async () => {
    expect((await api.call("GET", "/v1/sync/operations")).status).toBe(401);
    const trader = await api.signIn(privateKeyToAccount(generatePrivateKey()), ["trader"]);
    expect((await api.call("GET", "/v1/sync/operations", { token: trader })).status).toBe(403);
    const compliance = await api.signIn(privateKeyToAccount(generatePrivateKey()), ["compliance"]);
    const listed = await api.call("GET", "/v1/sync/operations?state=queued", { token: compliance });
    expect(listed.status).toBe(200);
    expect(listed.body.operations).toEqual([expect.objectContaining({ registry: "VERRA", operationId: "op-api-1", state: "queued", source: "webhook" })]);
  });
});
