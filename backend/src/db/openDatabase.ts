/**
 * Opens the service database: a PostgreSQL server when `databaseUrl` is set, otherwise an embedded
 * PGlite served over a local socket (`@electric-sql/pglite-socket`) so the same `pg` client code
 * runs on both.
 *
 * PGlite is ONE Postgres session shared by every socket connection (TOOLCHAIN.md). Code that uses
 * this pool must therefore never rely on session state: no named prepared statements (never pass
 * `name` to `query`), no session advisory locks (use `pg_advisory_xact_lock`), no temp tables,
 * `SET LOCAL` only, short transactions. The embedded pool has exactly one connection.
 */
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import type { Config } from "../config";
import { acquireDataDirLock, type DataDirLock } from "./dataDirLock";

/** Size of the embedded application pool. */
export const EMBEDDED_APP_POOL_SIZE = 1;
/** Size the job queue's pool must use on the embedded database (pg-boss defaults to 10). */
export const EMBEDDED_QUEUE_POOL_SIZE = 1;

export type DatabaseKind = "postgres" | "pglite";

export interface Database {
  readonly kind: DatabaseKind;
  /** The application pool. On PGlite it holds one connection: never wait on a second one inside a transaction. */
  readonly pool: pg.Pool;
  /**
   * Connection string other clients (the job queue) use to reach the same database. On PGlite it
   * points at the local socket server, which has room for one more pool of
   * {@link Database.queuePoolSize} connections.
   */
  readonly connectionString: string;
  /** Largest pool the job queue may open on this database. */
  readonly queuePoolSize: number;
  /** Ends the pool, and on PGlite stops the socket server, closes PGlite and releases the folder lock. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /**
   * Called when an idle pooled connection fails (e.g. the server restarted). The pool drops the
   * connection and opens a new one on the next query. Defaults to writing to stderr.
   */
  onIdleConnectionError?: (error: Error) => void;
}

type DatabaseConfig = Pick<Config, "databaseUrl" | "databasePoolMax" | "dataDir" | "pgliteInMemory">;

const defaultIdleError = (error: Error): void => {
  process.stderr.write(`carbonclear db: idle connection error: ${error.message}\n`);
};

/** Opens the database described by `config` (see the module comment). */
export async function openDatabase(config: DatabaseConfig, options: OpenDatabaseOptions = {}): Promise<Database> {
  const onIdleError = options.onIdleConnectionError ?? defaultIdleError;
  if (config.databaseUrl !== undefined) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: config.databasePoolMax,
      application_name: "carbonclear",
      connectionTimeoutMillis: 30_000,
    });
    pool.on("error", onIdleError);
    return {
      kind: "postgres",
      pool,
      connectionString: config.databaseUrl,
      queuePoolSize: config.databasePoolMax,
      close: () => pool.end(),
    };
  }
  return openEmbeddedDatabase(config.pgliteInMemory ? { inMemory: true } : { dataDir: config.dataDir }, onIdleError);
}

/** Folder holding the embedded database's files inside `dataDir`. */
export function pgliteDataFolder(dataDir: string): string {
  return path.join(dataDir, "pg");
}

/**
 * PGlite's start parameters: its defaults, with a 16 MB buffer pool instead of PostgreSQL's 128 MB.
 * The pool lives in the WebAssembly heap, which only grows: every page a large write touched stayed
 * resident in this process (bench:mrv peaked at 600 MB RSS for a million readings). Pages beyond the
 * pool are read back from the data folder's files, which the operating system caches anyway.
 */
const EMBEDDED_START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"];

async function openEmbeddedDatabase(
  where: { inMemory: true } | { dataDir: string },
  onIdleError: (error: Error) => void,
): Promise<Database> {
  let lock: DataDirLock | undefined;
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    if ("dataDir" in where) {
      const folder = path.resolve(pgliteDataFolder(where.dataDir));
      fs.mkdirSync(path.dirname(folder), { recursive: true });
      // The lockfile sits beside the folder: initdb wants an empty folder on first start.
      lock = acquireDataDirLock(`${folder}.lock`);
      fs.mkdirSync(folder, { recursive: true });
      db = await PGlite.create({ dataDir: folder, startParams: EMBEDDED_START_PARAMS });
    } else {
      db = await PGlite.create({ startParams: EMBEDDED_START_PARAMS });
    }
    server = new PGLiteSocketServer({
      db,
      host: "127.0.0.1",
      port: 0,
      // A pool whose size equals maxConnections fails its reconnects: keep one spare slot.
      maxConnections: EMBEDDED_APP_POOL_SIZE + EMBEDDED_QUEUE_POOL_SIZE + 1,
    });
    await server.start();
    const connectionString = `postgres://postgres@${server.getServerConn()}/postgres`;
    const pool = new pg.Pool({
      connectionString,
      max: EMBEDDED_APP_POOL_SIZE,
      idleTimeoutMillis: 0,
      connectionTimeoutMillis: 30_000,
    });
    pool.on("error", onIdleError);
    const started = { db, server, lock };
    let closing: Promise<void> | undefined;
    return {
      kind: "pglite",
      pool,
      connectionString,
      queuePoolSize: EMBEDDED_QUEUE_POOL_SIZE,
      close: () => {
        closing ??= (async () => {
          try {
            await pool.end();
          } finally {
            await shutDownEmbedded(started);
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    await shutDownEmbedded({ db, server, lock });
    throw error;
  }
}

async function shutDownEmbedded(parts: { db?: PGlite; server?: PGLiteSocketServer; lock?: DataDirLock }): Promise<void> {
  try {
    if (parts.server !== undefined) await parts.server.stop();
  } finally {
    try {
      if (parts.db !== undefined && !parts.db.closed) await parts.db.close();
    } finally {
      parts.lock?.release();
    }
  }
}
