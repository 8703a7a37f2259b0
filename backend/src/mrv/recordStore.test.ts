import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_DIRECTORY, runMigrations } from "../db/migrations";
import { openTestDatabase } from "../db/testing";
import { datasetChunks, decodeChunk, emptyColumns, encodeChunk, pushRecord, recordAt, recordByIndex, type RecordColumns, type StoredRecord } from "./recordStore";

// Few distinct values per column, so constant columns and repeated dictionary words both occur.
const word = fc.constantFrom("INV-01", "INV-02", "énergie ⚡", "", "a\"b\\c");
const record: fc.Arbitrary<StoredRecord> = fc.record({
  uploadId: fc.constantFrom(1, 2, 7),
  sensorId: word,
  parameter: fc.constantFrom("energy_exported", "fuel"),
  timeMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  quantity: fc.constantFrom("0", "3600000", "12.5", "-1"),
  unit: fc.constantFrom("J", "m3", "kg"),
  measuredValue: fc.constantFrom("1", "1.000", "2.5e3"),
  measuredUnit: fc.constantFrom("kWh", "MWh", "L"),
  sourceRow: fc.integer({ min: 0, max: 2_000_000 }),
  sourcePage: fc.option(fc.integer({ min: 1, max: 500 })),
});

describe("record chunks", () => {
  it("decode(encode(records)) gives the records back, column by column and record by record", () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 60 }), (records) => {
        const columns = emptyColumns();
        for (const r of records) pushRecord(columns, r);
        const decoded = decodeChunk(encodeChunk(columns), records.length);
        expect(decoded).toEqual(columns);
        records.forEach((r, i) => expect(recordAt(decoded, i)).toEqual(r));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a chunk that does not hold the count it declares, or an unknown version", () => {
    const columns = emptyColumns();
    pushRecord(columns, { uploadId: 1, sensorId: "S", parameter: "p", timeMs: 1, quantity: "1", unit: "J", measuredValue: "1", measuredUnit: "J", sourceRow: 2, sourcePage: null });
    const text = encodeChunk(columns);
    expect(() => decodeChunk(text, 2)).toThrow(/does not hold the 2 records/);
    expect(() => decodeChunk(text.replace('"v":2', '"v":9'), 1)).toThrow(/unknown record chunk version 9/);
  });

  it("migration 102 moves the rows of mrv_records into chunks in canonical order, every field intact", async () => {
    // A database at migration 101, with records written the old way, then migrated to the end.
    const before = mkdtempSync(path.join(os.tmpdir(), "migrations-101-"));
    for (const file of readdirSync(MIGRATIONS_DIRECTORY)) if (/^\d{3}_/.test(file) && Number(file.slice(0, 3)) <= 101) copyFileSync(path.join(MIGRATIONS_DIRECTORY, file), path.join(before, file));
    const db = await openTestDatabase({ migrate: { directory: before } });
    try {
      const dataset = `0x${"ab".repeat(32)}`;
      await db.pool.query(
        `INSERT INTO mrv_datasets (id, project_id, period_start, period_end, library_version, methodology, created_by) VALUES ($1, 'P-1', '2024-01-01', '2024-01-31', '2025.1', '{"kind":"x"}', 'test')`,
        [dataset],
      );
      const { rows } = await db.pool.query<{ id: string }>(
        `INSERT INTO mrv_uploads (dataset_id, sha256, file_name, format, byte_size, mapping, accepted_count, quarantined_count, duplicate_count, summary, uploaded_by)
         VALUES ($1, $2, 'a.csv', 'csv', 10, '{}', 3, 0, 0, '{}', 'test') RETURNING id::text AS id`,
        [dataset, "0".repeat(64)],
      );
      const upload = Number(rows[0].id);
      // Inserted out of canonical order; one from a PDF page.
      const old: StoredRecord[] = [
        { uploadId: upload, sensorId: "INV-02", parameter: "energy_exported", timeMs: 120_000, quantity: "3600000", unit: "J", measuredValue: "1", measuredUnit: "kWh", sourceRow: 4, sourcePage: null },
        { uploadId: upload, sensorId: "INV-01", parameter: "energy_exported", timeMs: 120_000, quantity: "7200000", unit: "J", measuredValue: "2", measuredUnit: "kWh", sourceRow: 3, sourcePage: 2 },
        { uploadId: upload, sensorId: "INV-02", parameter: "energy_exported", timeMs: 60_000, quantity: "0", unit: "J", measuredValue: "0.000", measuredUnit: "kWh", sourceRow: 2, sourcePage: null },
      ];
      for (const r of old) {
        await db.pool.query(
          `INSERT INTO mrv_records (dataset_id, upload_id, sensor_id, parameter, ts_ms, quantity, unit, measured_value, measured_unit, source_row, source_page) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [dataset, r.uploadId, r.sensorId, r.parameter, r.timeMs, r.quantity, r.unit, r.measuredValue, r.measuredUnit, r.sourceRow, r.sourcePage],
        );
      }

      const migrated = await runMigrations(db.pool, { schema: db.schema });
      expect(migrated.applied.map((m) => m.version)).toContain(102);
      const chunks: { firstIndex: number; columns: RecordColumns }[] = [];
      for await (const chunk of datasetChunks(db.pool, dataset)) chunks.push(chunk);
      expect(chunks).toHaveLength(1);
      expect(chunks[0].firstIndex).toBe(0);
      const canonical = [old[2], old[1], old[0]];
      expect([0, 1, 2].map((i) => recordAt(chunks[0].columns, i))).toEqual(canonical);
      expect(await recordByIndex(db.pool, dataset, 1)).toEqual(canonical[1]);
      expect(await recordByIndex(db.pool, dataset, 3)).toBeUndefined();
      const state = await db.pool.query<{ records_canonical: boolean }>(`SELECT records_canonical FROM mrv_datasets WHERE id = $1`, [dataset]);
      expect(state.rows[0].records_canonical).toBe(false);
      expect((await db.pool.query(`SELECT to_regclass('mrv_records') AS t`)).rows[0].t).toBeNull();
    } finally {
      await db.close();
      rmSync(before, { recursive: true, force: true });
    }
  }, 60_000);
});
