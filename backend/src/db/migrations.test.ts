import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config";
import { appendAuditEntry, auditEntriesFor } from "./audit";
import { appliedMigrations, checksumOf, loadMigrations, MigrationError, runMigrations } from "./migrations";
import { openTestDatabase, type TestDatabase } from "./testing";
import { withTransaction } from "./transaction";

const serverUrl = loadConfig().testDatabaseUrl;
const backends: { name: string; serverUrl: string | null }[] = [{ name: "PGlite", serverUrl: null }];
if (serverUrl !== undefined) backends.push({ name: "PostgreSQL (TEST_DATABASE_URL)", serverUrl });

let scratchCounter = 0;

function migrationFolder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-migrations-"));
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
  return dir;
}

describe("loadMigrations", () => {
  it("loads the service migrations in order with checksums", () => {
    const migrations = loadMigrations();
    expect(migrations[0]).toMatchObject({ version: 1, name: "core", fileName: "001_core.sql" });
    expect(migrations[0].checksum).toBe(checksumOf(migrations[0].sql));
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
  });

  it("sorts by number, not by name", () => {
    const dir = migrationFolder({ "010_b.sql": "SELECT 1;", "002_a.sql": "SELECT 1;", "README.md": "ignored" });
    expect(loadMigrations(dir).map((m) => m.fileName)).toEqual(["002_a.sql", "010_b.sql"]);
  });

  it.each([
    [{ "1_core.sql": "SELECT 1;" }, /must look like NNN_lower_snake_name\.sql/],
    [{ "001_Core.sql": "SELECT 1;" }, /must look like NNN_lower_snake_name\.sql/],
    [{ "001_a.sql": "SELECT 1;", "001_b.sql": "SELECT 1;" }, /share version 001/],
    [{ "000_a.sql": "SELECT 1;" }, /version 000 is not allowed/],
    [{ "001_a.sql": "  \n" }, /001_a\.sql is empty/],
    [{ "001_a.sql": "BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;" }, /contains "BEGIN;"/],
  ])("refuses a malformed folder %#", (files, message) => {
    expect(() => loadMigrations(migrationFolder(files))).toThrow(message);
  });

  it("accepts plpgsql bodies (BEGIN without semicolon)", () => {
    const sql = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$;";
    expect(loadMigrations(migrationFolder({ "001_f.sql": sql }))).toHaveLength(1);
  });
});

describe.each(backends)("migrations on $name", ({ serverUrl: url }) => {
  let db: TestDatabase;
  const scratchSchemas: string[] = [];

  const scratchSchema = (): string => {
    const name = `scratch_${process.pid}_${Date.now().toString(36)}_${scratchCounter++}`;
    scratchSchemas.push(name);
    return name;
  };

  beforeAll(async () => {
    db = await openTestDatabase({ serverUrl: url });
  });

  afterAll(async () => {
    for (const schema of scratchSchemas) await db.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.close();
  });

  it("applies the service migrations and records them with their checksums", async () => {
    const history = await appliedMigrations(db.pool);
    const files = loadMigrations();
    expect(history.map((h) => [h.version, h.name, h.checksum])).toEqual(files.map((f) => [f.version, f.name, f.checksum]));
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM audit_log");
    expect(rows[0].n).toBe(0);
  });

  it("is idempotent: a second run applies nothing", async () => {
    const result = await runMigrations(db.pool, { schema: db.schema });
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied.map((m) => m.fileName)).toEqual(loadMigrations().map((m) => m.fileName));
  });

  it("applies only what is new, in order", async () => {
    const schema = scratchSchema();
    const dir = migrationFolder({ "001_a.sql": "CREATE TABLE a (x int);" });
    expect((await runMigrations(db.pool, { directory: dir, schema })).applied.map((m) => m.version)).toEqual([1]);
    fs.writeFileSync(path.join(dir, "003_c.sql"), "INSERT INTO b VALUES (2);");
    fs.writeFileSync(path.join(dir, "002_b.sql"), "CREATE TABLE b (y int); INSERT INTO b VALUES (1);");
    const second = await runMigrations(db.pool, { directory: dir, schema });
    expect(second.applied.map((m) => m.version)).toEqual([2, 3]);
    expect(second.alreadyApplied.map((m) => m.version)).toEqual([1]);
    const { rows } = await db.pool.query(`SELECT y FROM "${schema}".b ORDER BY y`);
    expect(rows.map((r) => r.y)).toEqual([1, 2]);
  });

  it("refuses an applied migration whose file was edited, and applies nothing", async () => {
    const schema = scratchSchema();
    const dir = migrationFolder({ "001_a.sql": "CREATE TABLE a (x int);" });
    await runMigrations(db.pool, { directory: dir, schema });
    fs.writeFileSync(path.join(dir, "001_a.sql"), "CREATE TABLE a (x bigint);");
    fs.writeFileSync(path.join(dir, "002_b.sql"), "CREATE TABLE b (y int);");
    const run = runMigrations(db.pool, { directory: dir, schema });
    await expect(run).rejects.toThrow(MigrationError);
    await expect(run).rejects.toThrow(/001_a\.sql was changed after it was applied/);
    expect((await appliedMigrations(db.pool, { schema })).map((h) => h.version)).toEqual([1]);
    const { rows } = await db.pool.query("SELECT to_regclass($1) AS t", [`"${schema}".b`]);
    expect(rows[0].t).toBeNull();
  });

  it("refuses a database that has a migration this build does not know", async () => {
    const schema = scratchSchema();
    const dir = migrationFolder({ "001_a.sql": "CREATE TABLE a (x int);", "002_b.sql": "CREATE TABLE b (y int);" });
    await runMigrations(db.pool, { directory: dir, schema });
    fs.rmSync(path.join(dir, "002_b.sql"));
    await expect(runMigrations(db.pool, { directory: dir, schema })).rejects.toThrow(/002_b applied, but no such file exists/);
  });

  it("rolls back a failing migration alone and names its file", async () => {
    const schema = scratchSchema();
    const dir = migrationFolder({
      "001_a.sql": "CREATE TABLE a (x int);",
      "002_bad.sql": "CREATE TABLE half (z int);\nSELECT no_such_function();",
    });
    await expect(runMigrations(db.pool, { directory: dir, schema })).rejects.toThrow(/migration 002_bad\.sql failed: .*no_such_function/);
    expect((await appliedMigrations(db.pool, { schema })).map((h) => h.version)).toEqual([1]);
    const { rows } = await db.pool.query("SELECT to_regclass($1) AS t", [`"${schema}".half`]);
    expect(rows[0].t).toBeNull();
    // The pool is healthy afterwards.
    expect((await db.pool.query("SELECT 1 AS one")).rows[0].one).toBe(1);
  });

  it("applies each migration once when several runners race", async () => {
    const schema = scratchSchema();
    const dir = migrationFolder({
      "001_a.sql": "CREATE TABLE counter (n int);",
      "002_b.sql": "INSERT INTO counter VALUES (1);",
      "003_c.sql": "INSERT INTO counter VALUES (1);",
    });
    const results = await Promise.all([1, 2, 3].map(() => runMigrations(db.pool, { directory: dir, schema })));
    expect(results.flatMap((r) => r.applied.map((m) => m.version)).sort()).toEqual([1, 2, 3]);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM "${schema}".counter`);
    expect(rows[0].n).toBe(2);
  });

  describe("audit_log", () => {
    it("appends and reads entries", async () => {
      const first = await appendAuditEntry(db.pool, {
        actor: "oracle-node-1",
        action: "registry.lock.submitted",
        subject: "serial:19385-941467007",
        details: { quantity: "425" },
      });
      await appendAuditEntry(db.pool, { actor: "oracle-node-1", action: "registry.lock.confirmed", subject: "serial:19385-941467007" });
      const entries = await auditEntriesFor(db.pool, "serial:19385-941467007");
      expect(entries.map((e) => e.action)).toEqual(["registry.lock.submitted", "registry.lock.confirmed"]);
      expect(entries[0]).toMatchObject({ id: first.id, actor: "oracle-node-1", details: { quantity: "425" } });
      expect(entries[1].details).toEqual({});
      expect(entries[0].at).toBeInstanceOf(Date);
    });

    it("rejects a malformed entry before writing", async () => {
      await expect(appendAuditEntry(db.pool, { actor: "", action: "Bad Action", subject: "x" })).rejects.toThrow(/actor|action/);
    });

    it.each([
      ["UPDATE", "UPDATE audit_log SET actor = 'mallory'"],
      ["DELETE", "DELETE FROM audit_log"],
      ["TRUNCATE", "TRUNCATE audit_log"],
    ])("refuses %s", async (op, sql) => {
      await appendAuditEntry(db.pool, { actor: "test", action: "test.append_only", subject: `append-only:${op}` });
      const before = (await db.pool.query("SELECT count(*)::int AS n FROM audit_log")).rows[0].n;
      await expect(db.pool.query(sql)).rejects.toThrow(new RegExp(`audit_log is append-only: ${op} is not allowed`));
      const after = (await db.pool.query("SELECT count(*)::int AS n, bool_and(actor <> 'mallory') AS untouched FROM audit_log")).rows[0];
      expect(after).toEqual({ n: before, untouched: true });
    });
  });

  describe("withTransaction", () => {
    beforeAll(async () => {
      await db.pool.query("CREATE TABLE tx_probe (v int)");
    });

    it("commits what fn did and returns its result", async () => {
      const result = await withTransaction(db.pool, async (client) => {
        await client.query("INSERT INTO tx_probe VALUES (1)");
        return "done";
      });
      expect(result).toBe("done");
      expect((await db.pool.query("SELECT count(*)::int AS n FROM tx_probe WHERE v = 1")).rows[0].n).toBe(1);
    });

    it("rolls back and rethrows when fn fails, leaving the pool usable", async () => {
      const failure = new Error("boom");
      await expect(
        withTransaction(db.pool, async (client) => {
          await client.query("INSERT INTO tx_probe VALUES (2)");
          throw failure;
        }),
      ).rejects.toBe(failure);
      await expect(
        withTransaction(db.pool, async (client) => {
          await client.query("INSERT INTO tx_probe VALUES (3)");
          await client.query("SELECT 1/0");
        }),
      ).rejects.toThrow(/division by zero/);
      expect((await db.pool.query("SELECT count(*)::int AS n FROM tx_probe WHERE v IN (2, 3)")).rows[0].n).toBe(0);
    });

    it("runs with the requested isolation level and read-only mode", async () => {
      const level = await withTransaction(
        db.pool,
        async (client) => (await client.query("SHOW transaction_isolation")).rows[0].transaction_isolation,
        { isolation: "serializable" },
      );
      expect(level).toBe("serializable");
      await expect(
        withTransaction(db.pool, (client) => client.query("INSERT INTO tx_probe VALUES (4)"), { readOnly: true }),
      ).rejects.toThrow(/read-only transaction/);
    });
  });
});
