/**
 * The real API app for tests: served on an ephemeral port, with real SIWE sign-in.
 *
 *   const api = await startApiForTest({ modules: [myApi(deps)], pool: db.pool });
 *   const token = await api.signIn(privateKeyToAccount(key), ["trader"]);
 *   await fetch(`${api.url}/v1/...`, { headers: { authorization: `Bearer ${token}` } });
 */
import { pino } from "pino";
import type pg from "pg";
import type { LocalAccount } from "viem";
import { createSiweMessage } from "viem/siwe";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import { createApiApp } from "./app";
import { authApi } from "./auth/api";
import { grantRole } from "./auth/store";
import type { ApiModule, Role } from "./route";
import { startHttpServer } from "./server";

export const TEST_SIWE_DOMAIN = "carbonclear.test";
export const TEST_CHAIN_ID = 31337;

export interface TestApi {
  readonly url: string;
  readonly pool: pg.Pool;
  /** Signs in over HTTP with a real EIP-4361 message (granting `roles` first); returns the bearer token. */
  signIn(account: LocalAccount, roles?: readonly Role[]): Promise<string>;
  /** fetch + JSON with an optional bearer token; returns status and parsed body. */
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

export async function startApiForTest(options: {
  modules: readonly ApiModule[];
  pool?: pg.Pool;
  chainId?: number;
  /** Mount the sign-in routes for {@link TEST_SIWE_DOMAIN} (default true; false when `modules` bring their own). */
  withAuth?: boolean;
}): Promise<TestApi> {
  let database: TestDatabase | undefined;
  const pool = options.pool ?? (database = await openTestDatabase()).pool;
  const chainId = options.chainId ?? TEST_CHAIN_ID;
  const logger = pino({ level: "silent" });
  const app = createApiApp({
    pool,
    logger,
    modules: [
      ...(options.withAuth === false ? [] : [authApi({ pool, domains: [TEST_SIWE_DOMAIN], chainId, sessionTtlSeconds: 3600, nonceTtlSeconds: 300 })]),
      ...options.modules,
    ],
  });
  const server = await startHttpServer(app);

  const call: TestApi["call"] = async (method, path, callOptions = {}) => {
    const headers: Record<string, string> = { ...callOptions.headers };
    if (callOptions.token !== undefined) headers.authorization = `Bearer ${callOptions.token}`;
    let body: string | undefined;
    if (callOptions.body !== undefined) {
      headers["content-type"] ??= "application/json";
      body = typeof callOptions.body === "string" ? callOptions.body : JSON.stringify(callOptions.body);
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // not JSON: return the text
    }
    return { status: response.status, body: parsed };
  };

  return {
    url: server.url,
    pool,
    call,
    async signIn(account, roles = []) {
      for (const role of roles) await grantRole(pool, account.address, role, "test");
      const { body: nonceBody } = await call("POST", "/v1/auth/nonce");
      const message = createSiweMessage({
        address: account.address,
        chainId,
        domain: TEST_SIWE_DOMAIN,
        nonce: nonceBody.nonce,
        uri: `https://${TEST_SIWE_DOMAIN}`,
        version: "1",
        issuedAt: new Date(),
      });
      const signature = await account.signMessage({ message });
      const { status, body } = await call("POST", "/v1/auth/verify", { body: { message, signature } });
      if (status !== 200) throw new Error(`sign-in failed: ${status} ${JSON.stringify(body)}`);
      return body.token as string;
    },
    async close() {
      await server.close();
      await database?.close();
    },
  };
}
