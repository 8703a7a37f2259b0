import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  type NormalizedRecord,
  type QuarantinedRow,
  type Reading,
  assessQuality,
  buildDatasetTree,
  createSeededFactorLibrary,
  mapSourceRows,
  normalizeReading,
  quantify,
  readCsvRows,
  sha256OfBytes,
  sumRecords,
  toDecimalString,
  verifyProof,
} from "./index";

describe("the engine end to end: meter CSV -> records -> quality -> Merkle root -> credits", () => {
  it("turns an inverter export into a quantified, Merkle-rooted monitoring period", async () => {
    const lines = ["timestamp,inverter,export_kwh"];
    for (let day = 1; day <= 31; day++) {
      for (const inverter of ["INV-1", "INV-2"]) lines.push(`2024-01-${String(day).padStart(2, "0")}T00:00:00+05:30,${inverter},${inverter === "INV-1" ? "160125.5" : "158874.5"}`);
    }
    lines.push("2024-01-31T00:00:00+05:30,INV-3,-1"); // a faulty reading: accepted, flagged by quality
    lines.push("2024-02-01T00:00:00+05:30,INV-1,n/a"); // quarantined
    const bytes = Buffer.from(lines.join("\n"));
    const sha = sha256OfBytes(bytes);

    const readings: Reading[] = [];
    const quarantined: QuarantinedRow[] = [];
    const mapping = {
      timestamp: { column: "timestamp", format: "iso8601" },
      value: { column: "export_kwh" },
      unit: { constant: "kWh" },
      sensorId: { column: "inverter" },
      parameter: { constant: "EG_export" },
    } as const;
    for await (const item of mapSourceRows(readCsvRows(Readable.from([bytes]), { fileName: "jan.csv" }), mapping)) {
      if (item.kind === "accepted") readings.push(item.reading);
      else quarantined.push(item.quarantined);
    }
    expect(readings).toHaveLength(63);
    expect(quarantined.map((q) => q.row)).toEqual([65]);

    const flags = assessQuality(readings, { expectedIntervalMs: 86_400_000 });
    expect(flags.map((f) => [f.kind, f.sensorId, f.row])).toEqual([["negative", "INV-3", 64]]);

    const records: NormalizedRecord[] = readings.filter((r) => !flags.some((f) => f.row === r.row)).map((r) => normalizeReading(r, sha));
    const tree = buildDatasetTree(`0x${sha}`, records);
    expect(verifyProof(tree.root, tree.leaf(10), tree.proofFor(10))).toBe(true);

    const exported = sumRecords(records, { parameter: "EG_export" }, "MWh");
    expect([toDecimalString(exported.value), exported.count]).toEqual(["9889", 62]);

    const result = quantify(
      {
        kind: "grid-renewable-electricity",
        methodology: "ACM0002",
        monitoringPeriod: { start: "2024-01-01", end: "2024-01-31" },
        libraryVersion: "2025.1",
        gwpSet: "AR5",
        electricityExported: { value: toDecimalString(exported.value), unit: exported.unit },
        gridEmissionFactorId: "cea-v20.india-grid.combined-margin-wind-solar",
      },
      createSeededFactorLibrary(),
    );
    expect(result.netReductions).toBe("8514.429"); // 9889 MWh × 0.861 tCO2/MWh
    expect(result.issuableCredits).toBe("8514");
  });
});
