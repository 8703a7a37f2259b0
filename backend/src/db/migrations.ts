/**
 * Schema migrations: plain SQL files `NNN_name.sql` in `backend/src/db/migrations/`, applied in
 * number order, each in its own transaction, recorded in `schema_migrations` with a SHA-256
 * checksum. Re-running applies nothing new; an already-applied file whose content changed is
 * refused (write a new migration instead).
 *
 * Number ranges: 001-099 core/registry/sync, 100-199 mrv, 200-299 onboarding, 300-399 settlement,
 * 400-499 indexer/reports.
 *
 * SQL must run on PostgreSQL 15 and on PGlite (PostgreSQL 18), must not contain transaction control
 * (`BEGIN;`/`COMMIT;`/`ROLLBACK;`) nor statements that cannot run in a transaction
 * (`CREATE INDEX CONCURRENTLY`), and must not qualify objects with a schema name (tests run each
 * database in its own schema).
 *
 * Several processes may migrate one database at once: every step takes a transaction-scoped
 * advisory lock (`pg_advisory_xact_lock`; PGlite forbids session locks) and re-reads what is
 * applied under it.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type pg from "pg";
import { withTransaction } from "./transaction";

/** Folder of the service's migrations. */
export const MIGRATIONS_DIRECTORY = path.join(__dirname, "migrations");

/** Arbitrary constant key of the advisory lock that serializes migrators ("CCmigrat"). */
const MIGRATION_LOCK_KEY = "4343676967726174";

const FILE_NAME = /^(\d{3})_([a-z0-9][a-z0-9_]*)\.sql$/;
const TRANSACTION_CONTROL = /^\s*(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK)\s*;/im;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly fileName: string;
  readonly sql: string;
  /** Hex SHA-256 of the file content. */
  readonly checksum: string;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
}

export interface MigrationResult {
  /** Migrations applied by this run, in order. */
  readonly applied: readonly Migration[];
  /** Migrations that were already applied (checksums verified). */
  readonly alreadyApplied: readonly Migration[];
}

export interface RunMigrationsOptions {
  /** Folder of `NNN_name.sql` files; {@link MIGRATIONS_DIRECTORY} by default. */
  readonly directory?: string;
  /**
   * Schema to migrate (created if missing; made the `search_path` of each migration with
   * `SET LOCAL`). Default: the connection's own `search_path`.
   */
  readonly schema?: string;
}

/** A migration file is malformed, or the database's history disagrees with the files. */
export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MigrationError";
  }
}

export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/** Reads and validates the migration files of `directory`, sorted by version. */
export function loadMigrations(directory: string = MIGRATIONS_DIRECTORY): Migration[] {
  const migrations: Migration[] = [];
  const byVersion = new Map<number, string>();
  for (const fileName of fs.readdirSync(directory).sort()) {
    if (!fileName.endsWith(".sql")) continue;
    const match = FILE_NAME.exec(fileName);
    if (match === null) {
      throw new MigrationError(`migration file name ${fileName} must look like NNN_lower_snake_name.sql`);
    }
    const version = Number(match[1]);
    if (version === 0) throw new MigrationError(`migration ${fileName}: version 000 is not allowed`);
    const clash = byVersion.get(version);
    if (clash !== undefined) throw new MigrationError(`migrations ${clash} and ${fileName} share version ${match[1]}`);
    byVersion.set(version, fileName);
    const sql = fs.readFileSync(path.join(directory, fileName), "utf8");
    if (sql.trim() === "") throw new MigrationError(`migration ${fileName} is empty`);
    const control = TRANSACTION_CONTROL.exec(sql);
    if (control !== null) {
      throw new MigrationError(
        `migration ${fileName} contains "${control[0].trim()}": the runner wraps each migration in its own transaction`,
      );
    }
    migrations.push({ version, name: match[2], fileName, sql, checksum: checksumOf(sql) });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

function quoteIdentifier(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(identifier)) {
    throw new MigrationError(`schema name ${JSON.stringify(identifier)} must be a lower-case SQL identifier`);
  }
  return `"${identifier}"`;
}

const CREATE_HISTORY_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

async function beginStep(client: pg.PoolClient, schema: string | undefined): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
  if (schema !== undefined) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    await client.query(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
  }
}

async function readHistory(client: pg.PoolClient): Promise<AppliedMigration[]> {
  const { rows } = await client.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
    "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
  );
  return rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.applied_at }));
}

function verifyHistory(history: readonly AppliedMigration[], migrations: readonly Migration[]): void {
  const files = new Map(migrations.map((m) => [m.version, m]));
  for (const applied of history) {
    const file = files.get(applied.version);
    const label = `${String(applied.version).padStart(3, "0")}_${applied.name}`;
    if (file === undefined) {
      throw new MigrationError(`database has migration ${label} applied, but no such file exists: is this build older than the database?`);
    }
    if (file.checksum !== applied.checksum) {
      throw new MigrationError(
        `migration ${file.fileName} was changed after it was applied (checksum ${applied.checksum.slice(0, 12)}… in the database, ` +
          `${file.checksum.slice(0, 12)}… on disk): restore the file and put the change in a new migration`,
      );
    }
  }
}

/** The migrations recorded in the database (empty when none ran yet). */
export async function appliedMigrations(pool: pg.Pool, options: Pick<RunMigrationsOptions, "schema"> = {}): Promise<AppliedMigration[]> {
  return withTransaction(pool, async (client) => {
    await beginStep(client, options.schema);
    await client.query(CREATE_HISTORY_TABLE);
    return readHistory(client);
  });
}

/**
 * Applies the pending migrations of `options.directory` in order.
 * @throws MigrationError on a malformed file, an edited applied migration or an unknown applied
 *   version; nothing is applied then. A failing migration rolls back alone (earlier ones stay) and
 *   its error is rethrown with the file name.
 */
export async function runMigrations(pool: pg.Pool, options: RunMigrationsOptions = {}): Promise<MigrationResult> {
  const migrations = loadMigrations(options.directory);
  const history = await appliedMigrations(pool, options);
  verifyHistory(history, migrations);
  const done = new Set(history.map((h) => h.version));
  const applied: Migration[] = [];
  const alreadyApplied = migrations.filter((m) => done.has(m.version));

  for (const migration of migrations.filter((m) => !done.has(m.version))) {
    const ranNow = await withTransaction(pool, async (client) => {
      await beginStep(client, options.schema);
      // Another process may have applied it while we waited for the lock.
      const current = await readHistory(client);
      verifyHistory(current, migrations);
      if (current.some((h) => h.version === migration.version)) return false;
      try {
        await client.query(migration.sql);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(`migration ${migration.fileName} failed: ${reason}`, { cause: error });
      }
      await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      return true;
    });
    if (ranNow) applied.push(migration);
    else alreadyApplied.push(migration);
  }
  return { applied, alreadyApplied };
}
