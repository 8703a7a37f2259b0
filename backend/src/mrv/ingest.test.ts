import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import fc from "fast-check";
import PDFDocument from "pdfkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDatabase, openTestDatabase } from "../db/testing";
import { MrvError, createDataset, getDataset, listUploads, quarantinedRows } from "./dataset";
import { createSeededFactorLibrary } from "./factors/seed";
import { type IngestFileInput, type IngestProgress, ingestFile, ingestRecords } from "./ingest";
import { buildDatasetTree } from "./merkle";
import { normalizeReading } from "./records";
import { createOcrEngine } from "./parsers/ocr";
import { findSystemFont, renderTextPng } from "./parsers/testing/renderTextPng";
import { recordProof, sealDataset, verifyRecordProof } from "./seal";

const library = createSeededFactorLibrary();
const ACTOR = "0x00000000000000000000000000000000000000a1";
const MAPPING = {
  timestamp: { column: "timestamp", format: "iso8601" },
  value: { column: "export_kwh" },
  unit: { constant: "kWh" },
  sensorId: { column: "inverter" },
  parameter: { constant: "EG_export" },
} as const;

function inverterCsv(days: number, options: { month?: string; extra?: string[] } = {}): Buffer {
  const month = options.month ?? "2024-01";
  const lines = ["timestamp,inverter,export_kwh"];
  for (let day = 1; day <= days; day++) {
    for (const inverter of ["INV-1", "INV-2"]) lines.push(`${month}-${String(day).padStart(2, "0")}T12:00:00+05:30,${inverter},${inverter === "INV-1" ? "160125.5" : "158874.5"}`);
  }
  lines.push(...(options.extra ?? []));
  return Buffer.from(lines.join("\n"));
}

let db: TestDatabase;
let tmp: string;
let projectCounter = 0;

async function newDataset(period = { start: "2024-01-01", end: "2024-01-31" }) {
  projectCounter += 1;
  return createDataset(
    db.pool,
    {
      projectId: `VCS-${1000 + projectCounter}`,
      period,
      libraryVersion: "2025.1",
      methodology: { kind: "grid-renewable-electricity", methodology: "ACM0002 v21", gwpSet: "AR5", gridEmissionFactorId: "cea-v20.india-grid.combined-margin-wind-solar" },
      qualityRules: { expectedIntervalMs: 86_400_000 },
    },
    ACTOR,
    library.versions(),
  );
}

async function tableCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ["mrv_uploads", "mrv_record_chunks", "mrv_leaf_chunks", "mrv_quarantine", "mrv_dataset_leaves", "audit_log"]) {
    const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
    counts[table] = Number(rows[0].n);
  }
  return counts;
}

const upload = (datasetId: string, bytes: Uint8Array, overrides: Partial<IngestFileInput> = {}) =>
  ingestFile(db.pool, { datasetId, fileName: "jan.csv", content: { bytes }, source: { format: "csv" }, mapping: MAPPING, actor: ACTOR, ...overrides });

async function expectRejected(attempt: () => Promise<unknown>, message: RegExp): Promise<void> {
  const before = await tableCounts();
  await expect(attempt()).rejects.toSatisfy((error: unknown) => error instanceof MrvError && error.code === "FILE_REJECTED" && message.test(error.message));
  expect(await tableCounts()).toEqual(before);
}

beforeAll(async () => {
  db = await openTestDatabase();
  tmp = await mkdtemp(path.join(tmpdir(), "mrv-ingest-"));
}, 60_000);

afterAll(async () => {
  await db?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("ingestion service", () => {
  it("ingests a CSV: accepted, quarantined with reasons, quality flags, exact totals, persisted", async () => {
    const dataset = await newDataset();
    const csv = inverterCsv(31, {
      extra: [
        "2024-01-31T00:00:00+05:30,INV-3,-1", // accepted, flagged negative
        "2024-01-30T00:00:00+05:30,INV-1,n/a", // text in a number column
        "2024-02-01T12:00:00+05:30,INV-1,5", // after the monitoring period
        "2024-01-05T12:00:00+05:30,INV-1,160125.5", // same reading again: a duplicate
        "2024-01-06T12:00:00+05:30,INV-1,1", // a different value for a reading already there: a conflict
      ],
    });
    const progress: IngestProgress[] = [];
    const summary = await upload(dataset.id, csv, { onProgress: (p) => progress.push(p) });
    expect(summary).toMatchObject({ status: "accepted", rows: 67, accepted: 63, quarantined: 3, duplicates: 1, bytes: csv.length });
    expect(summary.quarantine.map((q) => [q.row, q.errors[0].column])).toEqual([
      [65, "export_kwh"],
      [66, "(timestamp)"],
      [68, "(reading)"],
    ]);
    expect(summary.quarantine[0].errors[0]).toMatchObject({ got: "n/a" });
    expect(summary.quarantine[2].errors[0].expected).toMatch(/already holds 576451800000 J \(from jan.csv row 12\)/);
    expect(summary.duplicateRows).toEqual([
      { file: "jan.csv", row: 67, sensorId: "INV-1", parameter: "EG_export", timestamp: "2024-01-05T06:30:00.000Z", firstSeen: { file: "jan.csv", row: 10 } },
    ]);
    expect(summary.qualityFlags.byKind).toEqual({ negative: 1 });
    expect(summary.qualityFlags.flags[0]).toMatchObject({ kind: "negative", sensorId: "INV-3", row: 64, parameter: "EG_export" });
    // 31 × (160125.5 + 158874.5) kWh − 1 kWh = 9,888,999 kWh, in joules
    expect(summary.totals).toEqual([{ parameter: "EG_export", unit: "J", quantity: "35600396400000", count: 63 }]);
    expect(progress.at(-1)).toEqual({ bytesRead: csv.length, totalBytes: csv.length, rows: 67 });

    expect(await getDataset(db.pool, dataset.id)).toMatchObject({ recordCount: 63, status: "open" });
    const [stored] = await listUploads(db.pool, dataset.id);
    expect(stored).toMatchObject({ acceptedCount: 63, quarantinedCount: 3, duplicateCount: 1, fileName: "jan.csv" });
    const quarantine = await quarantinedRows(db.pool, stored.id);
    expect(quarantine.map((q) => q.row)).toEqual([65, 66, 68]);
    expect(quarantine[0].raw).toContain('export_kwh="n/a"');
  });

  it("recognizes a re-upload of the same bytes, under any name, and counts nothing twice", async () => {
    const dataset = await newDataset();
    const first = await upload(dataset.id, inverterCsv(3));
    const before = await tableCounts();
    const again = await upload(dataset.id, inverterCsv(3), { fileName: "renamed.csv" });
    expect(again).toMatchObject({ status: "already-uploaded", uploadId: first.uploadId, accepted: 6 });
    expect(await tableCounts()).toEqual(before);
    expect((await getDataset(db.pool, dataset.id)).recordCount).toBe(6);
  });

  it("a second file overlapping the first: identical readings are duplicates, not double counted", async () => {
    const dataset = await newDataset();
    await upload(dataset.id, inverterCsv(3));
    const second = await upload(dataset.id, inverterCsv(5), { fileName: "jan-1-5.csv" });
    expect(second).toMatchObject({ accepted: 4, duplicates: 6, quarantined: 0 });
    expect(second.duplicateRows[0]).toMatchObject({ file: "jan-1-5.csv", row: 2, firstSeen: { file: "jan.csv", row: 2 } });
    expect((await getDataset(db.pool, dataset.id)).recordCount).toBe(10);
  });

  it("streams a file from disk in batches", async () => {
    const dataset = await newDataset();
    const file = path.join(tmp, "month.csv");
    await writeFile(file, inverterCsv(31));
    const summary = await ingestFile(db.pool, { datasetId: dataset.id, fileName: "month.csv", content: { path: file }, source: { format: "csv" }, mapping: MAPPING, actor: ACTOR, batchSize: 7 });
    expect(summary).toMatchObject({ accepted: 62, quarantined: 0, duplicates: 0 });
  });

  it("ingests posted JSON records; the same records posted again are recognized", async () => {
    const dataset = await newDataset();
    const records = [
      { sensorId: "M-1", parameter: "EG_export", timestamp: "2024-01-01T00:00:00Z", value: "1.5", unit: "MWh" },
      { sensorId: "M-1", parameter: "EG_export", timestamp: "2024-01-02T00:00:00Z", value: "abc", unit: "MWh" },
    ];
    const summary = await ingestRecords(db.pool, { datasetId: dataset.id, records, actor: ACTOR });
    expect(summary).toMatchObject({ accepted: 1, quarantined: 1, format: "json" });
    expect((await ingestRecords(db.pool, { datasetId: dataset.id, records, actor: ACTOR })).status).toBe("already-uploaded");
    expect((await listUploads(db.pool, dataset.id))[0].format).toBe("records");
    await expect(ingestRecords(db.pool, { datasetId: dataset.id, records: [{ ...records[0], value: 1.5 }], actor: ACTOR })).rejects.toThrow(/invalid records: 0.value/);
  });

  it("refuses uploads to an unknown or sealed dataset and bad arguments, changing nothing", async () => {
    const before = await tableCounts();
    await expect(upload(`0x${"99".repeat(32)}`, inverterCsv(1))).rejects.toMatchObject({ code: "UNKNOWN_DATASET" });
    await expect(upload("nope", inverterCsv(1))).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/dataset id/) });
    await expect(upload(`0x${"99".repeat(32)}`, inverterCsv(1), { mapping: { ...MAPPING, unit: { constant: "furlongs" } } })).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/unit.constant/) });
    expect(await tableCounts()).toEqual(before);
  });
});

describe("scanned reports", () => {
  it("ingests a scanned PDF (no text layer) through OCR of its page image", { timeout: 240_000 }, async () => {
    const font = findSystemFont();
    expect(font, "install fonts-dejavu-core to draw the scanned page").toBeDefined();
    const png = renderTextPng(["Date Meter Energy", "01/01/2024 INV-7 1,234.5 kWh", "02/01/2024 INV-7 1,301.25 kWh"], { fontPath: font as string });
    const doc = new PDFDocument({ size: "A4" });
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((resolve) => doc.on("end", () => resolve()));
    doc.image(png, 40, 40, { width: 500 });
    doc.end();
    await done;
    const ocr = await createOcrEngine();
    try {
      const dataset = await newDataset();
      const summary = await upload(dataset.id, Buffer.concat(chunks), {
        fileName: "field-report.pdf",
        source: { format: "pdf", table: { rowPattern: String.raw`^(?<date>\d{2}/\d{2}/\d{4}) (?<meter>INV-\d+) (?<value>[\d,]+(?:\.\d+)?) (?<unit>kWh|MWh)$`, startAfter: "^Date Meter Energy$" } },
        mapping: { timestamp: { column: "date", format: "DD/MM/YYYY" }, value: { column: "value", number: { decimalSeparator: ".", thousandsSeparator: "," } }, unit: { column: "unit" }, sensorId: { column: "meter" }, parameter: { constant: "EG_export" } },
        ocr,
      });
      expect(summary).toMatchObject({ format: "pdf", accepted: 2, quarantined: 0, totals: [{ parameter: "EG_export", unit: "J", quantity: "9128700000", count: 2 }] });
    } finally {
      await ocr.terminate();
    }
  });
});

describe("rejected files persist nothing", () => {
  it("bad encoding: bytes that are not UTF-8", async () => {
    const dataset = await newDataset();
    const latin1 = Buffer.concat([inverterCsv(2), Buffer.from("\n2024-01-03T00:00:00Z,Z\xfcrich-1,5", "latin1")]);
    await expectRejected(() => upload(dataset.id, latin1), /not valid UTF-8 at byte \d+.*latin1/);
    // declared as latin1 it is read
    expect((await upload(dataset.id, latin1, { source: { format: "csv", csv: { encoding: "latin1" } } })).accepted).toBe(5);
  });

  it("wrong delimiter: the mapped columns are not found, and the header is shown", async () => {
    const dataset = await newDataset();
    const semicolons = Buffer.from(inverterCsv(2).toString().replaceAll(",", ";"));
    await expectRejected(() => upload(dataset.id, semicolons), /mapped column\(s\) not found: timestamp -> timestamp.*"timestamp;inverter;export_kwh"/);
  });

  it("missing column", async () => {
    const dataset = await newDataset();
    await expectRejected(() => upload(dataset.id, Buffer.from("timestamp,inverter\n2024-01-01T00:00:00Z,INV-1\n")), /value -> export_kwh/);
  });

  it("an enormous cell stops the reader: the file is rejected, not half-read", async () => {
    const dataset = await newDataset();
    const huge = Buffer.concat([inverterCsv(2), Buffer.from(`\n2024-01-03T00:00:00Z,INV-1,"${"9".repeat(2_000)}"\n2024-01-04T00:00:00Z,INV-1,5`)]);
    await expectRejected(() => upload(dataset.id, huge, { limits: { maxRecordChars: 1_000 } }), /row 6: .*Max Record Size.*not read/i);
  });

  it("an unclosed quote", async () => {
    const dataset = await newDataset();
    await expectRejected(() => upload(dataset.id, Buffer.concat([inverterCsv(2), Buffer.from('\n2024-01-03T00:00:00Z,"INV-1,5\n2024-01-04T00:00:00Z,INV-1,5')])), /row 6: .*quote/i);
  });

  it("a header and no data rows; a file over the size limit", async () => {
    const dataset = await newDataset();
    await expectRejected(() => upload(dataset.id, Buffer.from("timestamp,inverter,export_kwh\n")), /no data rows/);
    await expectRejected(() => upload(dataset.id, inverterCsv(2), { limits: { maxFileBytes: 10 } }), /more than the limit of 10/);
  });

  it("a zip-bomb-like spreadsheet is refused before it is expanded", async () => {
    const dataset = await newDataset();
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Readings");
    sheet.addRow(["timestamp", "inverter", "export_kwh"]);
    sheet.addRow(["2024-01-01T00:00:00Z", "INV-1", "A".repeat(5_000_000)]);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    await expectRejected(() => upload(dataset.id, bytes, { fileName: "bomb.xlsx", source: { format: "xlsx" } }), /expands \d+x .*zip bomb/);
    await expectRejected(() => upload(dataset.id, Buffer.from("not a zip at all"), { fileName: "x.xlsx", source: { format: "xlsx" } }), /not an XLSX workbook/);
  });

  it("malformed JSON and a non-array document", async () => {
    const dataset = await newDataset();
    const json = { format: "json" as const };
    await expectRejected(() => upload(dataset.id, Buffer.from('[{"timestamp": '), { fileName: "r.json", source: json }), /not valid JSON/);
    await expectRejected(() => upload(dataset.id, Buffer.from('{"a": 1}'), { fileName: "r.json", source: json }), /expected an array of records/);
  });
});

describe("sealing, proofs and quantification", () => {
  it("seals: Merkle root equal to the in-memory tree's, exact quantification, proofs that verify", async () => {
    const dataset = await newDataset();
    await upload(dataset.id, inverterCsv(31));
    const sealed = await sealDataset(db.pool, { datasetId: dataset.id, library, actor: ACTOR });
    expect(sealed.quantification).toMatchObject({ netReductions: "8514.429", issuableCredits: "8514", libraryVersion: "2025.1" });
    expect(sealed.dataset).toMatchObject({ status: "sealed", merkleRoot: sealed.merkleRoot, netReductionsTco2e: "8514.429" });

    const readings = [];
    for (let day = 1; day <= 31; day++) {
      for (const inverter of ["INV-1", "INV-2"]) {
        readings.push(
          normalizeReading(
            { file: "x", row: 0, timestamp: new Date(`2024-01-${String(day).padStart(2, "0")}T12:00:00+05:30`), value: inverter === "INV-1" ? "160125.5" : "158874.5", unit: "kWh", sensorId: inverter, parameter: "EG_export" },
            "b".repeat(64),
          ),
        );
      }
    }
    expect(sealed.merkleRoot).toBe(buildDatasetTree(dataset.id, readings).root);

    const proof = await recordProof(db.pool, { datasetId: dataset.id, index: 17 });
    expect(proof.record).toMatchObject({ sensorId: "INV-2", source: { file: "jan.csv", row: 19 } });
    expect(await verifyRecordProof(db.pool, { datasetId: dataset.id, leaf: proof.leaf, proof: proof.proof })).toMatchObject({ valid: true });
    const forged = [...proof.leaf] as typeof proof.leaf;
    forged[5] = "999999999999999999";
    expect((await verifyRecordProof(db.pool, { datasetId: dataset.id, leaf: forged, proof: proof.proof })).valid).toBe(false);
    await expect(verifyRecordProof(db.pool, { datasetId: dataset.id, leaf: ["x"], proof: [] })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(recordProof(db.pool, { datasetId: dataset.id, index: 62 })).rejects.toMatchObject({ code: "UNKNOWN_RECORD" });

    await expect(upload(dataset.id, inverterCsv(2))).rejects.toMatchObject({ code: "DATASET_SEALED" });
    await expect(sealDataset(db.pool, { datasetId: dataset.id, library, actor: ACTOR })).rejects.toMatchObject({ code: "DATASET_SEALED" });
  });

  it("the same root whether uploads arrive in canonical order (hashed while ingesting) or not (sorted when sealing)", { timeout: 120_000 }, async () => {
    // 5 inverters, one reading a minute: 25,000 readings, more than two record chunks
    const lines: { time: string; inverter: string; value: string }[] = [];
    for (let minute = 0; minute < 5000; minute++) {
      for (let i = 0; i < 5; i++) lines.push({ time: new Date(Date.UTC(2024, 0, 2) + minute * 60_000).toISOString(), inverter: `INV-${i}`, value: String(((minute * 5 + i) * 7919) % 5000 / 10 + 1) });
    }
    const csv = (part: typeof lines) => Buffer.from(["timestamp,inverter,export_kwh", ...part.map((l) => `${l.time},${l.inverter},${l.value}`)].join("\n"));
    const expectedRoot = (datasetId: string) =>
      buildDatasetTree(
        datasetId,
        lines.map((l) => normalizeReading({ file: "x", row: 0, timestamp: new Date(l.time), value: l.value, unit: "kWh", sensorId: l.inverter, parameter: "EG_export" }, "b".repeat(64))),
      ).root;

    // in canonical order: 22,000 readings (hashed while ingesting), then the rest in a second file
    const ordered = await newDataset();
    expect(await upload(ordered.id, csv(lines.slice(0, 22_000)), { fileName: "a.csv" })).toMatchObject({ accepted: 22_000 });
    expect(await upload(ordered.id, csv(lines.slice(21_990)), { fileName: "b.csv" })).toMatchObject({ accepted: 3000, duplicates: 10 });
    const sealedOrdered = await sealDataset(db.pool, { datasetId: ordered.id, library, actor: ACTOR });
    expect(sealedOrdered.merkleRoot).toBe(expectedRoot(ordered.id));

    // shuffled, in two overlapping files, one reading conflicting: sorted and hashed when sealing
    const shuffled = await newDataset();
    const order = lines.map((_, i) => i).sort((a, b) => ((a * 7_654_321) % 25_013) - ((b * 7_654_321) % 25_013));
    const mixed = order.map((i) => lines[i]);
    expect(await upload(shuffled.id, csv(mixed.slice(0, 15_000)), { fileName: "c.csv" })).toMatchObject({ accepted: 15_000 });
    const conflicting = { ...mixed[3], value: "77" };
    const second = await upload(shuffled.id, csv([...mixed.slice(10_000), conflicting]), { fileName: "d.csv" });
    expect(second).toMatchObject({ accepted: 10_000, duplicates: 5000, quarantined: 1 });
    expect(second.quarantine[0].errors[0]).toMatchObject({ column: "(reading)", expected: expect.stringContaining("(from c.csv row 5)") });
    const sealedShuffled = await sealDataset(db.pool, { datasetId: shuffled.id, library, actor: ACTOR });
    expect(sealedShuffled.merkleRoot).toBe(expectedRoot(shuffled.id));
    expect(sealedShuffled.quantification.netReductions).toBe(sealedOrdered.quantification.netReductions);

    for (const [dataset, index] of [[ordered.id, 0], [ordered.id, 21_999], [ordered.id, 24_999], [shuffled.id, 12_345]] as const) {
      const proof = await recordProof(db.pool, { datasetId: dataset, index });
      expect(proof.record.timestamp).toBe(lines[index].time);
      expect(proof.record.sensorId).toBe(lines[index].inverter);
      expect(await verifyRecordProof(db.pool, { datasetId: dataset, leaf: proof.leaf, proof: proof.proof })).toMatchObject({ valid: true });
    }
  });

  describe("the root built on the leaf worker while ingesting (migration 103)", () => {
    // 4 inverters, one reading a minute: 24,000 readings in canonical order
    const lines: { time: string; inverter: string; value: string }[] = [];
    for (let minute = 0; minute < 6000; minute++) {
      for (let i = 0; i < 4; i++) lines.push({ time: new Date(Date.UTC(2024, 0, 3) + minute * 60_000).toISOString(), inverter: `INV-${i}`, value: String((((minute * 4 + i) * 7919) % 5000) / 10 + 1) });
    }
    const csv = (part: readonly (typeof lines)[number][]) => Buffer.from(["timestamp,inverter,export_kwh", ...part.map((l) => `${l.time},${l.inverter},${l.value}`)].join("\n"));
    const fullRoot = (datasetId: string, part: readonly (typeof lines)[number][]) =>
      buildDatasetTree(
        datasetId,
        part.map((l) => normalizeReading({ file: "x", row: 0, timestamp: new Date(l.time), value: l.value, unit: "kWh", sensorId: l.inverter, parameter: "EG_export" }, "b".repeat(64))),
      ).root;
    const leafRoot = async (datasetId: string) =>
      (await db.pool.query<{ leaf_root: string | null; leaf_root_count: string | null }>(`SELECT leaf_root, leaf_root_count::text AS leaf_root_count FROM mrv_datasets WHERE id = $1`, [datasetId])).rows[0];

    it("one upload in canonical order: written with the records, the sealed root, proofs that verify", { timeout: 120_000 }, async () => {
      const dataset = await newDataset();
      expect(await upload(dataset.id, csv(lines), { fileName: "all.csv" })).toMatchObject({ accepted: 24_000 });
      const expected = fullRoot(dataset.id, lines);
      expect(await leafRoot(dataset.id)).toEqual({ leaf_root: expected, leaf_root_count: "24000" });
      const sealed = await sealDataset(db.pool, { datasetId: dataset.id, library, actor: ACTOR });
      expect(sealed.merkleRoot).toBe(expected);
      for (const index of [0, 9_999, 10_000, 23_999]) {
        const proof = await recordProof(db.pool, { datasetId: dataset.id, index });
        expect(proof.record.timestamp).toBe(lines[index].time);
        expect(await verifyRecordProof(db.pool, { datasetId: dataset.id, leaf: proof.leaf, proof: proof.proof })).toMatchObject({ valid: true });
      }
    });

    it("an upload that fails persists no root; a small first upload (hashed when sealing) gives none", { timeout: 120_000 }, async () => {
      const failing = await newDataset();
      await expect(upload(failing.id, Buffer.concat([csv(lines.slice(0, 12_000)), Buffer.from("\n2024-01-05T00:00:00.000Z,INV-0,\"unclosed")]))).rejects.toMatchObject({ code: "FILE_REJECTED" });
      expect(await leafRoot(failing.id)).toEqual({ leaf_root: null, leaf_root_count: null });
      const small = await newDataset();
      await upload(small.id, csv(lines.slice(0, 5000)), { fileName: "small.csv" });
      expect(await leafRoot(small.id)).toEqual({ leaf_root: null, leaf_root_count: null });
      await upload(small.id, csv(lines.slice(5000)), { fileName: "rest.csv" });
      expect(await leafRoot(small.id)).toEqual({ leaf_root: null, leaf_root_count: null });
      expect((await sealDataset(db.pool, { datasetId: small.id, library, actor: ACTOR })).merkleRoot).toBe(fullRoot(small.id, lines));
    });

    it("any split into uploads (in order or not, overlapping, re-uploaded): the sealed root is the full computation's", { timeout: 600_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 24_000 }), fc.integer({ min: 1, max: 24_000 })), { minLength: 1, maxLength: 3 }),
          fc.boolean(),
          fc.boolean(),
          async (cuts, reverse, again) => {
            const dataset = await newDataset();
            // upload k holds lines [start, start + length) (clamped); the last one fills whatever is missing
            const parts = cuts.map(([start, length]) => lines.slice(start, Math.min(lines.length, start + length)));
            const covered = new Set(parts.flatMap((part) => part.map((l) => `${l.time} ${l.inverter}`)));
            parts.push(lines.filter((l) => !covered.has(`${l.time} ${l.inverter}`)));
            if (reverse) parts.reverse();
            let n = 0;
            for (const part of parts) {
              if (part.length === 0) continue;
              n += 1;
              await upload(dataset.id, csv(part), { fileName: `part-${n}.csv` });
              if (again) expect(await upload(dataset.id, csv(part), { fileName: `again-${n}.csv` })).toMatchObject({ status: "already-uploaded" });
            }
            // a root is only ever built over the dataset's first upload (its records are the whole sequence then)
            const first = parts.find((part) => part.length > 0) as (typeof lines)[number][];
            const state = await leafRoot(dataset.id);
            if (state.leaf_root !== null) expect(state).toEqual({ leaf_root: fullRoot(dataset.id, first), leaf_root_count: String(first.length) });
            else expect(first.length).toBeLessThan(10_000);
            const sealed = await sealDataset(db.pool, { datasetId: dataset.id, library, actor: ACTOR });
            expect(sealed.recordCount).toBe(lines.length);
            expect(sealed.merkleRoot).toBe(fullRoot(dataset.id, lines));
          },
        ),
        { numRuns: 4 },
      );
    });
  });

  it("refuses to seal an empty dataset, or one the methodology cannot quantify, changing nothing", async () => {
    const empty = await newDataset();
    await expect(sealDataset(db.pool, { datasetId: empty.id, library, actor: ACTOR })).rejects.toMatchObject({ code: "NO_RECORDS" });
    const wrong = await newDataset();
    await upload(wrong.id, inverterCsv(2), { mapping: { ...MAPPING, parameter: { constant: "fuel" } } });
    await expect(sealDataset(db.pool, { datasetId: wrong.id, library, actor: ACTOR })).rejects.toMatchObject({ code: "QUANTIFICATION_FAILED", message: expect.stringMatching(/no readings of the export parameter "EG_export"/) });
    expect((await getDataset(db.pool, wrong.id)).status).toBe("open");
    await expect(recordProof(db.pool, { datasetId: wrong.id, index: 0 })).rejects.toMatchObject({ code: "DATASET_NOT_SEALED" });
  });

  it("one dataset per project and period", async () => {
    const dataset = await newDataset();
    await expect(
      createDataset(db.pool, { projectId: dataset.projectId, period: dataset.period, libraryVersion: "2025.1", methodology: dataset.methodology }, ACTOR, library.versions()),
    ).rejects.toMatchObject({ code: "DATASET_EXISTS" });
    await expect(
      createDataset(db.pool, { projectId: "P", period: { start: "2024-02-01", end: "2024-01-01" }, libraryVersion: "2025.1", methodology: dataset.methodology }, ACTOR, library.versions()),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/period/) });
    await expect(
      createDataset(db.pool, { projectId: "P", period: dataset.period, libraryVersion: "1999.9", methodology: dataset.methodology }, ACTOR, library.versions()),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/unknown emission-factor library version "1999.9"/) });
  });
});
