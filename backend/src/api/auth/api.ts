/**
 * Sign-in and role routes:
 *
 *   POST   /v1/auth/nonce      public       → {nonce, expiresAt}
 *   POST   /v1/auth/verify     public       {message, signature} → {token, address, roles, expiresAt}
 *   GET    /v1/auth/session    signed_in    → {address, roles, expiresAt}
 *   POST   /v1/auth/logout     signed_in    → 204
 *   GET    /v1/admin/roles     admin        → [{address, role, grantedBy, grantedAt}]
 *   POST   /v1/admin/roles     admin        {address, role} → {granted}
 *   DELETE /v1/admin/roles     admin        {address, role} → {revoked}
 */
import type pg from "pg";
import { getAddress, isAddress, type PublicClient } from "viem";
import { z } from "zod";
import { unauthorized } from "../errors";
import { ROLES, defineRoute, reply, type ApiModule } from "../route";
import { signIn } from "./siwe";
import { grantRole, issueNonce, listRoleGrants, revokeRole, revokeSession, rolesOf } from "./store";

export interface AuthApiOptions {
  readonly pool: pg.Pool;
  readonly domains: readonly string[];
  readonly chainId: number;
  readonly sessionTtlSeconds: number;
  readonly nonceTtlSeconds: number;
  readonly publicClient?: PublicClient;
  readonly now?: () => Date;
}

export const addressSchema = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), { message: "must be a 0x-prefixed 20-byte hex address" })
  .transform((value) => getAddress(value));

const signInBody = z.object({
  message: z.string().min(1).max(4096),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/, { message: "must be 0x-prefixed hex" }).max(20_000) as z.ZodType<`0x${string}`>,
});

const roleBody = z.object({ address: addressSchema, role: z.enum(ROLES) });

export function authApi(options: AuthApiOptions): ApiModule {
  const { pool } = options;
  return {
    name: "auth",
    routes: [
      defineRoute({
        method: "post",
        path: "/v1/auth/nonce",
        access: "public",
        summary: "Issue a single-use Sign-In with Ethereum nonce",
        handler: async () => {
          const { nonce, expiresAt } = await issueNonce(pool, options.nonceTtlSeconds, options.now?.());
          return { nonce, expiresAt: expiresAt.toISOString() };
        },
      }),
      defineRoute({
        method: "post",
        path: "/v1/auth/verify",
        access: "public",
        summary: "Verify a signed EIP-4361 message and open a session (bearer token)",
        body: signInBody,
        handler: async ({ body }) => {
          const session = await signIn(pool, body, options);
          return { token: session.token, address: session.address, roles: await rolesOf(pool, session.address), expiresAt: session.expiresAt.toISOString() };
        },
      }),
      defineRoute({
        method: "get",
        path: "/v1/auth/session",
        access: "signed_in",
        summary: "The caller's session: address and roles",
        handler: async ({ ctx }) => {
          if (!ctx.session) throw unauthorized();
          return { address: ctx.session.address, roles: ctx.session.roles, expiresAt: ctx.session.expiresAt.toISOString() };
        },
      }),
      defineRoute({
        method: "post",
        path: "/v1/auth/logout",
        access: "signed_in",
        summary: "End the caller's session",
        handler: async ({ ctx }) => {
          if (!ctx.session) throw unauthorized();
          await revokeSession(pool, ctx.session.id);
          return reply(204, undefined);
        },
      }),
      defineRoute({
        method: "get",
        path: "/v1/admin/roles",
        access: ["admin"],
        summary: "List role grants",
        handler: async () => (await listRoleGrants(pool)).map((g) => ({ ...g, grantedAt: g.grantedAt.toISOString() })),
      }),
      defineRoute({
        method: "post",
        path: "/v1/admin/roles",
        access: ["admin"],
        summary: "Grant a role to a wallet",
        body: roleBody,
        handler: async ({ body, ctx }) => ({ granted: await grantRole(pool, body.address, body.role, ctx.session?.address.toLowerCase() ?? "admin") }),
      }),
      defineRoute({
        method: "delete",
        path: "/v1/admin/roles",
        access: ["admin"],
        summary: "Revoke a role from a wallet",
        body: roleBody,
        handler: async ({ body, ctx }) => ({ revoked: await revokeRole(pool, body.address, body.role, ctx.session?.address.toLowerCase() ?? "admin") }),
      }),
    ],
  };
}
