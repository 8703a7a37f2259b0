/**
 * Transactions over a `pg.Pool`.
 *
 * Keep transactions short: on embedded PGlite an open transaction stalls every other connection.
 * Inside `fn` use only the client it receives: on PGlite the pool has a single connection, so a
 * `pool.query` inside the transaction would wait for itself.
 */
import type pg from "pg";

/** Anything that runs queries: a pool or a checked-out client. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

export type IsolationLevel = "read committed" | "repeatable read" | "serializable";

export interface TransactionOptions {
  readonly isolation?: IsolationLevel;
  readonly readOnly?: boolean;
}

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  "read committed": "ISOLATION LEVEL READ COMMITTED",
  "repeatable read": "ISOLATION LEVEL REPEATABLE READ",
  serializable: "ISOLATION LEVEL SERIALIZABLE",
};

/**
 * Runs `fn` in a transaction on a client of `pool`: commits when it resolves, rolls back and
 * rethrows when it rejects. A connection whose rollback failed is discarded, not reused.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const modes = [
    options.isolation === undefined ? undefined : ISOLATION_SQL[options.isolation],
    options.readOnly === true ? "READ ONLY" : undefined,
  ].filter((m): m is string => m !== undefined);
  const client = await pool.connect();
  try {
    await client.query(modes.length === 0 ? "BEGIN" : `BEGIN ${modes.join(" ")}`);
  } catch (error) {
    client.release(asError(error));
    throw error;
  }
  try {
    const result = await fn(client);
    await client.query("COMMIT");
    client.release();
    return result;
  } catch (error) {
    try {
      await client.query("ROLLBACK");
      client.release();
    } catch (rollbackError) {
      client.release(asError(rollbackError));
    }
    throw error;
  }
}

const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));
