/**
 * One active indexer per chain across processes, without session state (PGlite is one shared
 * session, so no session advisory locks): a row in `indexer_leases` names the holder and an
 * expiry on the database clock.
 *
 * - {@link acquireLease} takes the lease when it is free or expired, or renews it for its holder.
 * - {@link fenceLease} runs first in every write transaction: it renews the lease and row-locks it
 *   until commit, or throws {@link LeaseLostError} if another process took it. A competitor's
 *   take-over therefore waits for the holder's open transaction, and a holder that lost the lease
 *   can never commit.
 * - A holder that stops renewing (crash, hang) loses the lease after its TTL.
 */
import type { Queryable } from "../db";

export interface Lease {
  /** What is leased, e.g. `indexer:31337`. */
  readonly name: string;
  /** Who holds it (unique per running indexer). */
  readonly holder: string;
  /** How long a renewal lasts. */
  readonly ttlMs: number;
}

export interface LeaseHolder {
  readonly holder: string;
  readonly expiresAt: Date;
}

/** The lease was taken over by another holder (or expired and was taken). */
export class LeaseLostError extends Error {
  constructor(lease: Lease) {
    super(`lease ${lease.name} is no longer held by ${lease.holder}`);
    this.name = "LeaseLostError";
  }
}

/** Takes or renews `lease`; false when another holder's lease is still valid. */
export async function acquireLease(db: Queryable, lease: Lease): Promise<boolean> {
  const { rows } = await db.query<{ holder: string }>(
    `INSERT INTO indexer_leases AS l (name, holder, acquired_at, expires_at)
     VALUES ($1, $2, clock_timestamp(), clock_timestamp() + make_interval(secs => $3::double precision / 1000))
     ON CONFLICT (name) DO UPDATE SET
       holder = EXCLUDED.holder,
       acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE EXCLUDED.acquired_at END,
       expires_at = EXCLUDED.expires_at
     WHERE l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp()
     RETURNING holder`,
    [lease.name, lease.holder, lease.ttlMs],
  );
  return rows[0]?.holder === lease.holder;
}

/**
 * Renews `lease` inside the caller's transaction and locks its row until commit.
 * @throws LeaseLostError when `lease.holder` does not hold a valid lease.
 */
export async function fenceLease(transaction: Queryable, lease: Lease): Promise<void> {
  const result = await transaction.query(
    `UPDATE indexer_leases SET expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
      WHERE name = $1 AND holder = $2 AND expires_at > clock_timestamp()`,
    [lease.name, lease.holder, lease.ttlMs],
  );
  if (result.rowCount !== 1) throw new LeaseLostError(lease);
}

/** Gives the lease up (no-op when `lease.holder` does not hold it). */
export async function releaseLease(db: Queryable, lease: Pick<Lease, "name" | "holder">): Promise<void> {
  await db.query("DELETE FROM indexer_leases WHERE name = $1 AND holder = $2", [lease.name, lease.holder]);
}

/** The current holder of lease `name`, if any (expired leases included: check `expiresAt`). */
export async function leaseHolder(db: Queryable, name: string): Promise<LeaseHolder | undefined> {
  const { rows } = await db.query<{ holder: string; expires_at: Date }>("SELECT holder, expires_at FROM indexer_leases WHERE name = $1", [name]);
  return rows[0] === undefined ? undefined : { holder: rows[0].holder, expiresAt: rows[0].expires_at };
}
