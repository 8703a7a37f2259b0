import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type QualityReading, assessQuality, assessSeries } from "./quality";

const T0 = Date.parse("2024-03-01T00:00:00Z");
const MINUTE = 60_000;

/** A 15-minute series of one meter's readings, row numbers from 2 (row 1 being a header). */
function series(values: readonly string[], options: { sensorId?: string; unit?: string; stepMs?: number } = {}): QualityReading[] {
  return values.map((value, i) => ({
    row: i + 2,
    timestamp: new Date(T0 + i * (options.stepMs ?? 15 * MINUTE)),
    value,
    unit: options.unit ?? "kWh",
    sensorId: options.sensorId ?? "M-1",
  }));
}

describe("data-quality flags", () => {
  it("a clean series has no flags", () => {
    const readings = series(["10", "10.5", "9.8", "10.2", "10.1", "9.9", "10.3", "10", "10.4", "9.7"]);
    expect(assessQuality(readings, { expectedIntervalMs: 15 * MINUTE, bounds: { min: "0", max: "100", unit: "kWh" }, jump: {} })).toEqual([]);
  });

  it("flags a gap with the rows around it and how many readings are missing", () => {
    const readings = series(["1", "1", "1", "1"]);
    readings[3] = { ...readings[3], timestamp: new Date(T0 + 2 * 15 * MINUTE + 3 * 60 * MINUTE) };
    const flags = assessQuality(readings, { expectedIntervalMs: 15 * MINUTE });
    expect(flags).toEqual([
      {
        kind: "gap",
        sensorId: "M-1",
        row: 5,
        relatedRow: 4,
        timestamp: "2024-03-01T03:30:00.000Z",
        explanation:
          'sensor "M-1": no reading for 3 h between 2024-03-01T00:30:00.000Z (row 4) and 2024-03-01T03:30:00.000Z (row 5); expected every 15 min (tolerance ×1.5), about 11 readings missing',
      },
    ]);
  });

  it("tolerates intervals within the declared tolerance", () => {
    const readings = series(["1", "1", "1"]);
    readings[2] = { ...readings[2], timestamp: new Date(T0 + 15 * MINUTE + 22 * MINUTE) };
    expect(assessQuality(readings, { expectedIntervalMs: 15 * MINUTE, gapTolerance: "1.5" })).toEqual([]);
    expect(assessQuality(readings, { expectedIntervalMs: 15 * MINUTE, gapTolerance: "1.2" }).map((f) => f.kind)).toEqual(["gap"]);
  });

  it("flags duplicates of a sensor and timestamp, saying whether the values conflict", () => {
    const readings = series(["5", "6", "7"]);
    readings.push({ ...readings[1], row: 9 }, { ...readings[2], row: 10, value: "7.5" });
    readings.push({ ...readings[1], row: 11, sensorId: "M-2" }); // another sensor at the same time is fine
    const flags = assessQuality(readings);
    expect(flags.map((f) => [f.kind, f.row, f.relatedRow])).toEqual([
      ["duplicate", 9, 3],
      ["duplicate", 10, 4],
    ]);
    expect(flags[0].explanation).toMatch(/two readings at 2024-03-01T00:15:00.000Z \(rows 3 and 9\), with the same value/);
    expect(flags[1].explanation).toMatch(/with different values 7 and 7.5 kWh/);
  });

  it("flags negative values unless allowed, and values out of declared bounds in another unit", () => {
    const readings = series(["-0.5", "5", "2500"]);
    const flags = assessQuality(readings, { bounds: { min: "0", max: "2", unit: "MWh" } });
    expect(flags.map((f) => [f.kind, f.row])).toEqual([
      ["negative", 2],
      ["out-of-range", 2],
      ["out-of-range", 4],
    ]);
    expect(flags[2].explanation).toBe('sensor "M-1": 2500 kWh is above the maximum 2 MWh');
    expect(assessQuality(series(["-0.5"]), { allowNegative: true })).toEqual([]);
  });

  it("flags a sudden jump against the rolling median absolute deviation of changes", () => {
    // a cumulative meter: steady increments of about 10, then a jump of 80
    const values = ["100", "110", "121", "130", "140", "151", "160", "240", "250", "261"];
    const flags = assessQuality(series(values), { jump: { window: 6, minSamples: 5, k: "6" } });
    expect(flags.map((f) => [f.kind, f.row, f.relatedRow])).toEqual([["jump", 9, 8]]);
    expect(flags[0].explanation).toMatch(/the change 80 kWh departs from the median change 10 by 70, more than 6 × MAD \(1\) over the previous 6 changes/);
  });

  it("a spike is flagged on the way up and on the way down; a flagged change does not widen the threshold", () => {
    const values = ["10", "10.2", "9.9", "10.1", "10", "10.2", "55", "10.1", "10", "10.2"];
    const flags = assessQuality(series(values), { jump: { k: "6" } });
    expect(flags.map((f) => [f.kind, f.row])).toEqual([
      ["jump", 8],
      ["jump", 9],
    ]);
  });

  it("flags a jump by ratio to the previous value, when configured", () => {
    const flags = assessQuality(series(["100", "104", "230"]), { jump: { maxRatio: "0.5" } });
    expect(flags.map((f) => [f.kind, f.row])).toEqual([["jump", 4]]);
    expect(flags[0].explanation).toMatch(/the change 126 kWh exceeds 0.5 × the previous value 104/);
  });

  it("minAbsoluteChange keeps quantized series quiet", () => {
    const values = ["10", "10", "10", "10", "10", "10", "11", "10"];
    expect(assessQuality(series(values), { jump: {} }).map((f) => f.kind)).toEqual(["jump", "jump"]);
    expect(assessQuality(series(values), { jump: { minAbsoluteChange: "1" } })).toEqual([]);
  });

  it("compares readings of one sensor in its first unit, and flags a unit that cannot be compared", () => {
    const readings = series(["1000", "1", "1000", "5"]);
    readings[1] = { ...readings[1], unit: "MWh" }; // the same as 1000 kWh: no jump
    readings[3] = { ...readings[3], unit: "L" };
    const flags = assessQuality(readings, { jump: { maxRatio: "0.1" } });
    expect(flags.map((f) => [f.kind, f.row])).toEqual([["unit-mismatch", 5]]);
    expect(flags[0].explanation).toMatch(/cannot convert "L" \(volume\) to "kWh" \(energy\)/);
  });

  it("readings without a sensor id form one series", () => {
    const readings = series(["1", "-1"]).map(({ sensorId: _sensorId, ...rest }) => rest);
    expect(assessQuality(readings)).toEqual([
      { kind: "negative", sensorId: "", row: 3, timestamp: "2024-03-01T00:15:00.000Z", explanation: "sensor (no sensor id): negative reading -1 kWh" },
    ]);
  });

  it("analyses readings in time order whatever the row order, and reports flags by row", () => {
    const readings = series(["1", "1", "1", "-2"]).reverse();
    const flags = assessQuality(readings, { expectedIntervalMs: 10 * MINUTE, gapTolerance: "1" });
    expect(flags.map((f) => [f.kind, f.row])).toEqual([
      ["gap", 3],
      ["gap", 4],
      ["gap", 5],
      ["negative", 5],
    ]);
  });

  it("rejects invalid rules", () => {
    expect(() => assessQuality([], { bounds: { min: "5", max: "1", unit: "kWh" } })).toThrow(/min is above max/);
    expect(() => assessQuality([], { gapTolerance: "0" })).toThrow();
  });

  it("assessSeries over columns (integers as numbers, typed arrays) flags exactly what assessQuality flags", () => {
    const rules = [{ expectedIntervalMs: MINUTE }, { jump: { maxRatio: "0.5" }, bounds: { min: "0", max: "900", unit: "kWh" } }, { allowNegative: true, jump: {} }];
    fc.assert(
      fc.property(
        fc.array(fc.record({ step: fc.constantFrom(0, MINUTE, 2 * MINUTE, 5 * MINUTE), value: fc.integer({ min: -1000, max: 1000 }), unit: fc.constantFrom("kWh", "kWh", "MWh", "kg") }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(...rules),
        (points, rule) => {
          let time = T0;
          const readings: QualityReading[] = points.map((p, i) => {
            time += p.step;
            return { row: i + 2, timestamp: new Date(time), value: String(p.value), unit: p.unit, sensorId: "M-1" };
          });
          const columns = {
            rows: Float64Array.from(readings, (r) => r.row),
            times: Float64Array.from(readings, (r) => r.timestamp.getTime()),
            values: Float64Array.from(points, (p) => p.value),
            units: readings.map((r) => r.unit),
          };
          expect(assessSeries("M-1", columns, rule)).toEqual(assessQuality(readings, rule));
        },
      ),
      { numRuns: 200 },
    );
  });
});
