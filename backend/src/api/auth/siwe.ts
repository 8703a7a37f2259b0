/**
 * Sign-In with Ethereum (EIP-4361): checks a signed message field by field — domain, chain, nonce,
 * validity window, signature — and opens a session. viem parses the message and verifies the
 * signature (EOAs, and ERC-1271 / ERC-6492 smart wallets when a public client is given).
 */
import { verifyMessage, type Address, type Hex, type PublicClient } from "viem";
import { parseSiweMessage } from "viem/siwe";
import type pg from "pg";
import { ApiError } from "../errors";
import { withTransaction } from "../../db/transaction";
import { appendAuditEntry } from "../../db/audit";
import { createSession, spendNonce } from "./store";

export interface SignInOptions {
  /** `host[:port]` values the API accepts as the message's domain (the dApp's origin). */
  readonly domains: readonly string[];
  readonly chainId: number;
  readonly sessionTtlSeconds: number;
  /** When given, smart-contract wallets (ERC-1271/6492) can sign in too. */
  readonly publicClient?: PublicClient;
  readonly now?: () => Date;
}

const refuse = (code: string, message: string) => new ApiError(401, code, message);

/** Verifies a SIWE `message` + `signature` and returns a new session token for its address. */
export async function signIn(
  pool: pg.Pool,
  input: { message: string; signature: Hex },
  options: SignInOptions,
): Promise<{ token: string; address: Address; expiresAt: Date }> {
  const now = options.now?.() ?? new Date();
  const fields = parseSiweMessage(input.message);
  if (fields.address === undefined || fields.domain === undefined || fields.nonce === undefined || fields.chainId === undefined || fields.uri === undefined || fields.version !== "1") {
    throw new ApiError(400, "SIWE_MALFORMED", "message is not an EIP-4361 message (needs domain, address, URI, version 1, chain ID and nonce)");
  }
  if (!options.domains.includes(fields.domain)) {
    throw refuse("SIWE_DOMAIN", `message domain ${JSON.stringify(fields.domain)} is not this service (expected one of ${options.domains.join(", ")})`);
  }
  if (fields.chainId !== options.chainId) {
    throw refuse("SIWE_CHAIN", `message chain ID ${fields.chainId} is not this network's (${options.chainId})`);
  }
  if (fields.expirationTime !== undefined && fields.expirationTime.getTime() <= now.getTime()) {
    throw refuse("SIWE_EXPIRED", `message expired at ${fields.expirationTime.toISOString()}`);
  }
  if (fields.notBefore !== undefined && fields.notBefore.getTime() > now.getTime()) {
    throw refuse("SIWE_NOT_YET_VALID", `message is not valid before ${fields.notBefore.toISOString()}`);
  }
  if (fields.issuedAt !== undefined && fields.issuedAt.getTime() > now.getTime() + 5 * 60_000) {
    throw refuse("SIWE_ISSUED_IN_FUTURE", `message issued-at ${fields.issuedAt.toISOString()} is in the future`);
  }
  const valid = options.publicClient
    ? await options.publicClient.verifyMessage({ address: fields.address, message: input.message, signature: input.signature })
    : await verifyMessage({ address: fields.address, message: input.message, signature: input.signature }).catch(() => false);
  if (!valid) throw refuse("SIWE_BAD_SIGNATURE", `signature does not belong to ${fields.address}`);

  const address = fields.address;
  const sessionExpiry = new Date(
    Math.min(now.getTime() + options.sessionTtlSeconds * 1000, fields.expirationTime?.getTime() ?? Number.POSITIVE_INFINITY),
  );
  return withTransaction(pool, async (client) => {
    const nonce = await spendNonce(client, fields.nonce as string, now);
    if (nonce !== "ok") {
      const reasons = { unknown: "was not issued by this service", used: "was already used (replayed sign-in)", expired: "has expired; ask for a new one" };
      throw refuse(`SIWE_NONCE_${nonce.toUpperCase()}`, `nonce ${reasons[nonce]}`);
    }
    const session = await createSession(client, { address, chainId: fields.chainId as number, expiresAt: sessionExpiry });
    await appendAuditEntry(client, { actor: address.toLowerCase(), action: "auth.signed_in", subject: `wallet:${address.toLowerCase()}`, details: { sessionId: session.id, domain: fields.domain } });
    return { token: session.token, address, expiresAt: sessionExpiry };
  });
}
