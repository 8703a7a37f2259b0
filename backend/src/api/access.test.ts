/**
 * Every route of the platform API declares who may call it; this walks them all and proves that
 * callers outside the declaration are refused before any handler runs: no session → 401, a session
 * without one of the declared roles → 403.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { loadConfig } from "../config";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import { startTestChain, type TestChain } from "../testing";
import { startRegistrySimulator, type RunningRegistrySimulator } from "../registry/simulator";
import { platformApiModules } from "./platform";
import { ROLES, type Role } from "./route";
import { TEST_SIWE_DOMAIN, startApiForTest, type TestApi } from "./testing";

let db: TestDatabase;
let chain: TestChain;
let registry: RunningRegistrySimulator;
let api: TestApi;
let routes: ReturnType<typeof platformApiModules>[number]["routes"];
const tokens = new Map<Role | "none", string>();

beforeAll(async () => {
  db = await openTestDatabase();
  chain = await startTestChain();
  registry = await startRegistrySimulator({ seed: 7 });
  const modules = platformApiModules({
    pool: db.pool,
    config: loadConfig({ CHAIN_ID: String(chain.chainId), SIWE_DOMAINS: TEST_SIWE_DOMAIN }),
    logger: pino({ level: "silent" }),
    publicClient: chain.publicClient as never,
    deployment: chain.deployment,
    registryUrl: registry.url,
  });
  routes = modules.flatMap((m) => m.routes);
  api = await startApiForTest({ modules, pool: db.pool, chainId: chain.chainId, withAuth: false });
  tokens.set("none", await api.signIn(privateKeyToAccount(generatePrivateKey())));
  for (const role of ROLES) tokens.set(role, await api.signIn(privateKeyToAccount(generatePrivateKey()), [role]));
}, 120_000);
afterAll(async () => {
  await api?.close();
  await registry?.close();
  await chain?.close();
  await db?.close();
});

const concretePath = (path: string) => path.replace(/:[A-Za-z_]+/g, "1");

describe("declared access of every platform route", () => {
  it("has routes to check", () => {
    expect(routes.length).toBeGreaterThan(0);
  });

  it("refuses callers without a session on every non-public route (401)", async () => {
    for (const route of routes.filter((r) => r.access !== "public")) {
      const res = await api.call(route.method.toUpperCase(), concretePath(route.path), { body: route.method === "get" ? undefined : {} });
      expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({ route: `${route.method} ${route.path}`, status: 401 });
    }
  });

  it("refuses sessions without a declared role on every role-restricted route (403)", async () => {
    for (const route of routes.filter((r) => Array.isArray(r.access))) {
      const declared = route.access as readonly Role[];
      for (const [who, token] of tokens) {
        if (who !== "none" && declared.includes(who)) continue;
        const res = await api.call(route.method.toUpperCase(), concretePath(route.path), { token, body: route.method === "get" ? undefined : {} });
        expect({ route: `${route.method} ${route.path}`, who, status: res.status }).toEqual({ route: `${route.method} ${route.path}`, who, status: 403 });
      }
    }
  });

  it("lets the declared roles past the access check", async () => {
    for (const route of routes.filter((r) => Array.isArray(r.access))) {
      const token = tokens.get((route.access as readonly Role[])[0]);
      const res = await api.call(route.method.toUpperCase(), concretePath(route.path), { token, body: route.method === "get" ? undefined : {} });
      // the handler may still refuse for its own reasons, but not for the caller's identity or role
      const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
      expect({ route: `${route.method} ${route.path}`, code }).not.toEqual({ route: `${route.method} ${route.path}`, code: "ROLE_REQUIRED" });
      expect(code).not.toBe("UNAUTHENTICATED");
    }
  });
});
