import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { z } from "zod";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import { auditEntriesFor } from "../db/audit";
import { defineRoute, reply, type ApiModule } from "./route";
import { ApiError } from "./errors";
import { TEST_CHAIN_ID, TEST_SIWE_DOMAIN, startApiForTest, type TestApi } from "./testing";

const probe: ApiModule = {
  name: "probe",
  routes: [
    defineRoute({ method: "get", path: "/v1/probe/public", access: "public", summary: "public", handler: async ({ ctx }) => ({ who: ctx.session?.address ?? null }) }),
    defineRoute({ method: "get", path: "/v1/probe/signed-in", access: "signed_in", summary: "signed in", handler: async ({ ctx }) => ({ who: ctx.session?.address }) }),
    defineRoute({ method: "get", path: "/v1/probe/compliance", access: ["compliance", "admin"], summary: "compliance", handler: async () => ({ ok: true }) }),
    defineRoute({
      method: "post",
      path: "/v1/probe/items/:id",
      access: "public",
      summary: "validated",
      params: z.object({ id: z.string().regex(/^\d+$/) }),
      query: z.object({ dryRun: z.enum(["true", "false"]).optional() }),
      body: z.object({ quantity: z.number().int().positive(), memo: z.string().max(10) }),
      bodyLimit: 1024,
      handler: async ({ params, body, ctx }) => reply(201, { id: params.id, ...body, rawLength: ctx.rawBody?.length }),
    }),
    defineRoute({ method: "post", path: "/v1/probe/raw", access: "public", summary: "raw", handler: async ({ body }) => ({ bytes: Buffer.isBuffer(body) ? body.length : -1 }) }),
    defineRoute({ method: "get", path: "/v1/probe/teapot", access: "public", summary: "api error", handler: async () => { throw new ApiError(418, "TEAPOT", "short and stout"); } }),
    defineRoute({ method: "get", path: "/v1/probe/crash", access: "public", summary: "crash", handler: async () => { throw new Error("secret internals"); } }),
    defineRoute({ method: "get", path: "/v1/probe/csv", access: "public", summary: "file", handler: async () => reply(200, "a,b\n1,2\n", { contentType: "text/csv", headers: { "content-disposition": "attachment; filename=x.csv" } }) }),
  ],
};

let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await openTestDatabase();
  api = await startApiForTest({ modules: [probe], pool: db.pool });
}, 60_000);
afterAll(async () => {
  await api?.close();
  await db?.close();
});

async function siwe(account = privateKeyToAccount(generatePrivateKey()), overrides: Partial<Parameters<typeof createSiweMessage>[0]> = {}) {
  const { body } = await api.call("POST", "/v1/auth/nonce");
  const message = createSiweMessage({ address: account.address, chainId: TEST_CHAIN_ID, domain: TEST_SIWE_DOMAIN, nonce: body.nonce, uri: `https://${TEST_SIWE_DOMAIN}`, version: "1", issuedAt: new Date(), ...overrides });
  return { account, message, signature: await account.signMessage({ message }) };
}

describe("request handling", () => {
  it("answers health and lists routes with their access", async () => {
    expect((await api.call("GET", "/health")).body).toEqual({ status: "ok" });
    const routes = (await api.call("GET", "/v1/routes")).body as { path: string; access: unknown }[];
    expect(routes.find((r) => r.path === "/v1/probe/compliance")?.access).toEqual(["compliance", "admin"]);
  });

  it("validates params, query and body, naming each bad field", async () => {
    const bad = await api.call("POST", "/v1/probe/items/abc?dryRun=maybe", { body: { quantity: -1, memo: "far too long a memo" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_REQUEST");
    expect(bad.body.error.message).toContain("params.id");
    const fields = (bad.body.error.details.issues as { path: string }[]).map((i) => i.path);
    expect(fields).toEqual(expect.arrayContaining(["params.id"]));
    const badBody = await api.call("POST", "/v1/probe/items/7", { body: { quantity: -1, memo: "far too long a memo" } });
    expect((badBody.body.error.details.issues as { path: string }[]).map((i) => i.path).sort()).toEqual(["body.memo", "body.quantity"]);
    const good = await api.call("POST", "/v1/probe/items/7?dryRun=true", { body: { quantity: 3, memo: "ok" } });
    expect(good.status).toBe(201);
    expect(good.body).toEqual({ id: "7", quantity: 3, memo: "ok", rawLength: JSON.stringify({ quantity: 3, memo: "ok" }).length });
  });

  it("refuses malformed JSON and oversized bodies with their own codes", async () => {
    const malformed = await api.call("POST", "/v1/probe/items/7", { body: "{not json" });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, "INVALID_JSON"]);
    const big = await api.call("POST", "/v1/probe/items/7", { body: { quantity: 1, memo: "x".repeat(5000) } });
    expect([big.status, big.body.error.code]).toEqual([413, "BODY_TOO_LARGE"]);
  });

  it("hands non-JSON bodies to the handler as raw bytes", async () => {
    const res = await api.call("POST", "/v1/probe/raw", { body: "a,b\n1,2\n", headers: { "content-type": "text/csv" } });
    expect(res.body).toEqual({ bytes: 8 });
  });

  it("renders ApiError, hides internal errors and answers unknown routes uniformly", async () => {
    expect(await api.call("GET", "/v1/probe/teapot")).toEqual({ status: 418, body: { error: { code: "TEAPOT", message: "short and stout" } } });
    const crash = await api.call("GET", "/v1/probe/crash");
    expect(crash).toEqual({ status: 500, body: { error: { code: "INTERNAL", message: "the server failed; see its log" } } });
    const missing = await api.call("GET", "/v1/nothing-here");
    expect([missing.status, missing.body.error.code]).toEqual([404, "NOT_FOUND"]);
  });

  it("serves other content types with their headers", async () => {
    const response = await fetch(`${api.url}/v1/probe/csv`);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toBe("attachment; filename=x.csv");
    expect(await response.text()).toBe("a,b\n1,2\n");
  });
});

describe("Sign-In with Ethereum", () => {
  it("signs in, reports the session and its roles, and signs out", async () => {
    const { account, message, signature } = await siwe();
    const verified = await api.call("POST", "/v1/auth/verify", { body: { message, signature } });
    expect(verified.status).toBe(200);
    expect(verified.body.address).toBe(account.address);
    const token = verified.body.token as string;
    expect((await api.call("GET", "/v1/probe/public", { token })).body).toEqual({ who: account.address });
    expect((await api.call("GET", "/v1/auth/session", { token })).body).toMatchObject({ address: account.address, roles: [] });
    expect((await auditEntriesFor(db.pool, `wallet:${account.address.toLowerCase()}`)).map((e) => e.action)).toContain("auth.signed_in");
    expect((await api.call("POST", "/v1/auth/logout", { token })).status).toBe(204);
    const after = await api.call("GET", "/v1/auth/session", { token });
    expect([after.status, after.body.error.code]).toEqual([401, "SESSION_INVALID"]);
  });

  it("refuses a replayed nonce", async () => {
    const signed = await siwe();
    expect((await api.call("POST", "/v1/auth/verify", { body: signed })).status).toBe(200);
    const replay = await api.call("POST", "/v1/auth/verify", { body: signed });
    expect([replay.status, replay.body.error.code]).toEqual([401, "SIWE_NONCE_USED"]);
  });

  it("refuses a signature by another key, and does not spend the nonce for it", async () => {
    const { account, message } = await siwe();
    const forged = await privateKeyToAccount(generatePrivateKey()).signMessage({ message });
    const res = await api.call("POST", "/v1/auth/verify", { body: { message, signature: forged } });
    expect([res.status, res.body.error.code]).toEqual([401, "SIWE_BAD_SIGNATURE"]);
    const genuine = await account.signMessage({ message });
    expect((await api.call("POST", "/v1/auth/verify", { body: { message, signature: genuine } })).status).toBe(200);
  });

  it.each([
    ["another domain", { domain: "evil.example" }, "SIWE_DOMAIN"],
    ["another chain", { chainId: 1 }, "SIWE_CHAIN"],
    ["an expired message", { expirationTime: new Date(Date.now() - 1000) }, "SIWE_EXPIRED"],
    ["a message not yet valid", { notBefore: new Date(Date.now() + 3_600_000) }, "SIWE_NOT_YET_VALID"],
    ["a nonce it never issued", { nonce: "NeverIssuedNonce12345" }, "SIWE_NONCE_UNKNOWN"],
  ])("refuses %s", async (_label, overrides, code) => {
    const signed = await siwe(undefined, overrides);
    const res = await api.call("POST", "/v1/auth/verify", { body: signed });
    expect([res.status, res.body.error.code]).toEqual([401, code]);
  });

  it("refuses text that is not an EIP-4361 message, and a malformed signature", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const message = "please log me in";
    const res = await api.call("POST", "/v1/auth/verify", { body: { message, signature: await account.signMessage({ message }) } });
    expect([res.status, res.body.error.code]).toEqual([400, "SIWE_MALFORMED"]);
    const badSig = await api.call("POST", "/v1/auth/verify", { body: { message, signature: "nope" } });
    expect([badSig.status, badSig.body.error.code]).toEqual([400, "INVALID_REQUEST"]);
  });

  it("refuses a malformed Authorization header and an unknown token", async () => {
    const malformed = await api.call("GET", "/v1/probe/public", { headers: { authorization: "Basic abc" } });
    expect([malformed.status, malformed.body.error.code]).toEqual([401, "INVALID_AUTHORIZATION"]);
    const unknown = await api.call("GET", "/v1/probe/public", { token: "A".repeat(43) });
    expect([unknown.status, unknown.body.error.code]).toEqual([401, "SESSION_INVALID"]);
  });
});

describe("access control", () => {
  it("lets each route's declared callers in and refuses the rest", async () => {
    const trader = await api.signIn(privateKeyToAccount(generatePrivateKey()), ["trader"]);
    const officer = await api.signIn(privateKeyToAccount(generatePrivateKey()), ["compliance"]);
    expect((await api.call("GET", "/v1/probe/signed-in")).status).toBe(401);
    expect((await api.call("GET", "/v1/probe/signed-in", { token: trader })).status).toBe(200);
    expect((await api.call("GET", "/v1/probe/compliance")).status).toBe(401);
    const refused = await api.call("GET", "/v1/probe/compliance", { token: trader });
    expect([refused.status, refused.body.error.code]).toEqual([403, "ROLE_REQUIRED"]);
    expect(refused.body.error.message).toContain("compliance or admin");
    expect((await api.call("GET", "/v1/probe/compliance", { token: officer })).status).toBe(200);
  });

  it("applies a role grant or revocation to live sessions at once, audit-logged", async () => {
    const admin = await api.signIn(privateKeyToAccount(generatePrivateKey()), ["admin"]);
    const wallet = privateKeyToAccount(generatePrivateKey());
    const token = await api.signIn(wallet);
    expect((await api.call("GET", "/v1/probe/compliance", { token })).status).toBe(403);
    expect((await api.call("POST", "/v1/admin/roles", { token: admin, body: { address: wallet.address, role: "compliance" } })).body).toEqual({ granted: true });
    expect((await api.call("GET", "/v1/probe/compliance", { token })).status).toBe(200);
    expect((await api.call("DELETE", "/v1/admin/roles", { token: admin, body: { address: wallet.address, role: "compliance" } })).body).toEqual({ revoked: true });
    expect((await api.call("GET", "/v1/probe/compliance", { token })).status).toBe(403);
    const actions = (await auditEntriesFor(db.pool, `wallet:${wallet.address.toLowerCase()}`)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["auth.role.granted", "auth.role.revoked"]));
    const badRole = await api.call("POST", "/v1/admin/roles", { token: admin, body: { address: wallet.address, role: "king" } });
    expect([badRole.status, badRole.body.error.code]).toEqual([400, "INVALID_REQUEST"]);
    expect((await api.call("POST", "/v1/admin/roles", { token, body: { address: wallet.address, role: "admin" } })).status).toBe(403);
  });
});
