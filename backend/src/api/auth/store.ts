/**
 * Persistence for sign-in: nonces (single use, short-lived), sessions (bearer tokens stored as
 * SHA-256 hashes) and role grants. Every grant and revocation is written to the audit log in the
 * same transaction.
 */
import { createHash, randomBytes } from "node:crypto";
import { getAddress, type Address } from "viem";
import { appendAuditEntry } from "../../db/audit";
import { withTransaction, type Queryable } from "../../db/transaction";
import type pg from "pg";
import { ROLES, type Role, type Session } from "../route";

const NONCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** 24 alphanumeric characters (EIP-4361 wants >= 8), from the CSPRNG. */
export function newNonce(): string {
  const bytes = randomBytes(24);
  let nonce = "";
  for (const byte of bytes) nonce += NONCE_ALPHABET[byte % NONCE_ALPHABET.length];
  return nonce;
}

export async function issueNonce(db: Queryable, ttlSeconds: number, now = new Date()): Promise<{ nonce: string; expiresAt: Date }> {
  const nonce = newNonce();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await db.query(`INSERT INTO auth_nonces (nonce, issued_at, expires_at) VALUES ($1, $2, $3)`, [nonce, now, expiresAt]);
  // keep the table small: spent or expired nonces older than a day go
  await db.query(`DELETE FROM auth_nonces WHERE expires_at < $1`, [new Date(now.getTime() - 86_400_000)]);
  return { nonce, expiresAt };
}

export type NonceState = "ok" | "unknown" | "used" | "expired";

/** Spends `nonce` if it is known, unspent and unexpired; says which of those failed otherwise. */
export async function spendNonce(db: Queryable, nonce: string, now = new Date()): Promise<NonceState> {
  const spent = await db.query(`UPDATE auth_nonces SET used_at = $2 WHERE nonce = $1 AND used_at IS NULL AND expires_at > $2`, [nonce, now]);
  if (spent.rowCount === 1) return "ok";
  const { rows } = await db.query<{ used_at: Date | null }>(`SELECT used_at FROM auth_nonces WHERE nonce = $1`, [nonce]);
  if (rows.length === 0) return "unknown";
  return rows[0].used_at === null ? "expired" : "used";
}

const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest();

export async function createSession(
  db: Queryable,
  input: { address: Address; chainId: number; expiresAt: Date },
): Promise<{ token: string; id: string }> {
  const token = randomBytes(32).toString("base64url");
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO api_sessions (token_hash, address, chain_id, expires_at) VALUES ($1, $2, $3, $4) RETURNING id::text AS id`,
    [hashToken(token), input.address.toLowerCase(), input.chainId, input.expiresAt],
  );
  return { token, id: rows[0].id };
}

/** The live session a bearer token names, with the wallet's current roles; undefined otherwise. */
export async function sessionForToken(db: Queryable, token: string, now = new Date()): Promise<Session | undefined> {
  const { rows } = await db.query<{ id: string; address: string; expires_at: Date; roles: string[] | null }>(
    `SELECT s.id::text AS id, s.address, s.expires_at,
            (SELECT array_agg(g.role ORDER BY g.role) FROM role_grants g WHERE g.address = s.address) AS roles
       FROM api_sessions s
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2`,
    [hashToken(token), now],
  );
  if (rows.length === 0) return undefined;
  const row = rows[0];
  return { id: row.id, address: getAddress(row.address), expiresAt: row.expires_at, roles: (row.roles ?? []) as Role[] };
}

export async function revokeSession(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE api_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Grants `role` to `address` (idempotent), audit-logged. */
export async function grantRole(pool: pg.Pool, address: Address, role: Role, grantedBy: string): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const inserted = await client.query(
      `INSERT INTO role_grants (address, role, granted_by) VALUES ($1, $2, $3) ON CONFLICT (address, role) DO NOTHING`,
      [address.toLowerCase(), role, grantedBy],
    );
    if (inserted.rowCount === 1) {
      await appendAuditEntry(client, { actor: grantedBy, action: "auth.role.granted", subject: `wallet:${address.toLowerCase()}`, details: { role } });
    }
    return inserted.rowCount === 1;
  });
}

/** Revokes `role` from `address` (idempotent), audit-logged. */
export async function revokeRole(pool: pg.Pool, address: Address, role: Role, revokedBy: string): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const deleted = await client.query(`DELETE FROM role_grants WHERE address = $1 AND role = $2`, [address.toLowerCase(), role]);
    if (deleted.rowCount === 1) {
      await appendAuditEntry(client, { actor: revokedBy, action: "auth.role.revoked", subject: `wallet:${address.toLowerCase()}`, details: { role } });
    }
    return deleted.rowCount === 1;
  });
}

export async function rolesOf(db: Queryable, address: Address): Promise<Role[]> {
  const { rows } = await db.query<{ role: Role }>(`SELECT role FROM role_grants WHERE address = $1 ORDER BY role`, [address.toLowerCase()]);
  return rows.map((r) => r.role);
}

export async function listRoleGrants(db: Queryable): Promise<{ address: Address; role: Role; grantedBy: string; grantedAt: Date }[]> {
  const { rows } = await db.query<{ address: string; role: Role; granted_by: string; granted_at: Date }>(
    `SELECT address, role, granted_by, granted_at FROM role_grants ORDER BY address, role`,
  );
  return rows.map((r) => ({ address: getAddress(r.address), role: r.role, grantedBy: r.granted_by, grantedAt: r.granted_at }));
}
