/**
 * Databases for tests.
 *
 * With `TEST_DATABASE_URL` set (CI runs a real PostgreSQL 15), each call creates a fresh schema
 * with a unique name on that server and a pool whose connections use it as their `search_path`;
 * closing drops the schema. Without it, each call starts an in-memory PGlite (a few seconds: open
 * one per test file, in `beforeAll`). Either way the service migrations are applied unless
 * `migrate: false`.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { loadConfig } from "../config";
import { runMigrations } from "./migrations";
import { openDatabase, type Database } from "./openDatabase";

export interface TestDatabase extends Database {
  /** The schema this database lives in on a real server; undefined on PGlite (it uses `public`). */
  readonly schema: string | undefined;
}

export interface OpenTestDatabaseOptions {
  /** Apply the migrations of this folder (default: the service's), or none with `false`. */
  readonly migrate?: false | { readonly directory?: string };
  /** Server to use instead of `TEST_DATABASE_URL` / PGlite: `null` forces PGlite. */
  readonly serverUrl?: string | null;
}

/** Opens an isolated, migrated database for a test file (see the module comment). */
export async function openTestDatabase(options: OpenTestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = options.serverUrl === undefined ? loadConfig().testDatabaseUrl : (options.serverUrl ?? undefined);
  const database = serverUrl === undefined ? await openPgliteTestDatabase() : await openSchemaTestDatabase(serverUrl);
  try {
    if (options.migrate !== false) {
      await runMigrations(database.pool, { directory: options.migrate?.directory, schema: database.schema });
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

async function openPgliteTestDatabase(): Promise<TestDatabase> {
  const database = await openDatabase({ pgliteInMemory: true, dataDir: "", databasePoolMax: 1 });
  return { ...database, schema: undefined };
}

async function openSchemaTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const schema = `test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl, application_name: "carbonclear-test-admin" });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({
    connectionString: serverUrl,
    max: 5,
    application_name: "carbonclear-test",
    options: `-c search_path=${schema}`,
  });
  pool.on("error", () => {
    // An idle test connection dropped by the server: the pool reconnects on demand.
  });
  let closing: Promise<void> | undefined;
  return {
    kind: "postgres",
    pool,
    connectionString: withSearchPath(serverUrl, schema),
    queuePoolSize: 2,
    schema,
    close: () => {
      closing ??= (async () => {
        await pool.end();
        const dropper = new pg.Client({ connectionString: serverUrl, application_name: "carbonclear-test-admin" });
        await dropper.connect();
        try {
          await dropper.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await dropper.end();
        }
      })();
      return closing;
    },
  };
}

/** `serverUrl` with an `options` parameter that puts connections in `schema`. */
function withSearchPath(serverUrl: string, schema: string): string {
  const url = new URL(serverUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}
