import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config";
import { DataDirLockedError } from "./dataDirLock";
import { runMigrations } from "./migrations";
import { openDatabase, pgliteDataFolder } from "./openDatabase";

const serverUrl = loadConfig().testDatabaseUrl;

// Each PGlite start takes seconds (more on a busy machine): give these tests room.
const PGLITE_TIMEOUT = 240_000;

describe("openDatabase on embedded PGlite", () => {
  it("keeps data across close and reopen, locks the folder while open, and serves a second pool", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-pglite-"));
    const config = { dataDir, pgliteInMemory: false, databasePoolMax: 10 };

    const first = await openDatabase(config);
    try {
      expect(first.kind).toBe("pglite");
      expect(first.queuePoolSize).toBe(1);
      expect(fs.existsSync(path.join(pgliteDataFolder(dataDir), "PG_VERSION"))).toBe(true);
      await runMigrations(first.pool);
      await first.pool.query("CREATE TABLE kept (v text)");
      await first.pool.query("INSERT INTO kept VALUES ($1)", ["survives"]);

      // A second opener of the same folder is refused before it touches the files.
      const second = openDatabase(config);
      await expect(second).rejects.toThrow(DataDirLockedError);
      await expect(second).rejects.toThrow(/database folder is locked by process \d+/);

      // The job queue connects through the same socket with its own one-connection pool.
      const queuePool = new pg.Pool({ connectionString: first.connectionString, max: first.queuePoolSize });
      try {
        const [fromApp, fromQueue] = await Promise.all([
          first.pool.query("SELECT v FROM kept"),
          queuePool.query("SELECT count(*)::int AS n FROM kept"),
        ]);
        expect(fromApp.rows).toEqual([{ v: "survives" }]);
        expect(fromQueue.rows).toEqual([{ n: 1 }]);
      } finally {
        await queuePool.end();
      }
    } finally {
      await first.close();
      await first.close(); // idempotent
    }
    expect(fs.existsSync(`${pgliteDataFolder(dataDir)}.lock`)).toBe(false);

    const reopened = await openDatabase(config);
    try {
      expect((await reopened.pool.query("SELECT v FROM kept")).rows).toEqual([{ v: "survives" }]);
      expect((await runMigrations(reopened.pool)).applied).toEqual([]);
    } finally {
      await reopened.close();
    }
  }, PGLITE_TIMEOUT);

  it("runs in memory without touching the data folder", async () => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cc-mem-")), "never-created");
    const db = await openDatabase({ dataDir, pgliteInMemory: true, databasePoolMax: 10 });
    try {
      expect((await db.pool.query("SELECT $1::int + 1 AS n", [41])).rows).toEqual([{ n: 42 }]);
      // A failed query leaves the single shared session usable.
      await expect(db.pool.query("SELECT 1/0")).rejects.toThrow(/division by zero/);
      expect((await db.pool.query("SELECT 2 AS n")).rows).toEqual([{ n: 2 }]);
    } finally {
      await db.close();
    }
    expect(fs.existsSync(dataDir)).toBe(false);
  }, PGLITE_TIMEOUT);
});

describe.skipIf(serverUrl === undefined)("openDatabase on PostgreSQL (TEST_DATABASE_URL)", () => {
  it("opens a pool on DATABASE_URL", async () => {
    const db = await openDatabase({ databaseUrl: serverUrl, databasePoolMax: 3, dataDir: ".unused", pgliteInMemory: false });
    try {
      expect(db.kind).toBe("postgres");
      expect(db.connectionString).toBe(serverUrl);
      expect(db.queuePoolSize).toBe(3);
      const { rows } = await db.pool.query("SELECT current_setting('server_version_num')::int >= 150000 AS ok");
      expect(rows[0].ok).toBe(true);
    } finally {
      await db.close();
    }
  });
});
