import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { areSortedAndDisjoint, rangeQuantity, takeExactSerials, takeFirstSerials, totalQuantity, uncoveredParts, type SerialRange } from "./ranges";

/** Ascending disjoint ranges built from alternating gap/length pairs. */
const sortedRanges = fc
  .array(fc.tuple(fc.bigInt({ min: 0n, max: 50n }), fc.bigInt({ min: 1n, max: 60n })), { minLength: 1, maxLength: 8 })
  .map((parts) => {
    let cursor = 1n;
    return parts.map(([gap, length]) => {
      const start = cursor + gap;
      cursor = start + length;
      return { start, end: start + length - 1n };
    });
  });

function serialsOf(ranges: readonly SerialRange[]): bigint[] {
  return ranges.flatMap((range) => Array.from({ length: Number(rangeQuantity(range)) }, (_, i) => range.start + BigInt(i)));
}

describe("takeFirstSerials", () => {
  it("takes from the lowest serial up, splitting the last range touched", () => {
    const cut = takeFirstSerials(
      [
        { start: 10n, end: 19n },
        { start: 30n, end: 39n },
      ],
      13n,
    );
    expect(cut.taken).toEqual([
      { start: 10n, end: 19n, sourceIndex: 0 },
      { start: 30n, end: 32n, sourceIndex: 1 },
    ]);
    expect(cut.rest).toEqual([{ start: 33n, end: 39n, sourceIndex: 1 }]);
  });

  it("refuses more than is there and non-positive quantities", () => {
    expect(() => takeFirstSerials([{ start: 1n, end: 5n }], 6n)).toThrow(/exceeds the 5 serials/);
    expect(() => takeFirstSerials([{ start: 1n, end: 5n }], 0n)).toThrow(/positive/);
  });

  it("property: conserves the total, pieces are disjoint, cover the source exactly, and taken is a prefix", () => {
    fc.assert(
      fc.property(
        sortedRanges.chain((ranges) => fc.tuple(fc.constant(ranges), fc.bigInt({ min: 1n, max: totalQuantity(ranges) }))),
        ([ranges, quantity]) => {
          const { taken, rest } = takeFirstSerials(ranges, quantity);
          expect(totalQuantity(taken)).toBe(quantity);
          expect(totalQuantity(taken) + totalQuantity(rest)).toBe(totalQuantity(ranges));
          const all = [...taken, ...rest].sort((a, b) => (a.start < b.start ? -1 : 1));
          expect(areSortedAndDisjoint(all)).toBe(true);
          expect(serialsOf(all)).toEqual(serialsOf(ranges));
          if (rest.length > 0) expect(taken.at(-1)!.end < rest[0].start).toBe(true);
          for (const piece of [...taken, ...rest]) {
            const source = ranges[piece.sourceIndex];
            expect(piece.start >= source.start && piece.end <= source.end).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("takeExactSerials", () => {
  it("cuts exactly the wanted range out of the ranges covering it", () => {
    const cut = takeExactSerials(
      [
        { start: 1n, end: 10n },
        { start: 11n, end: 20n },
      ],
      { start: 8n, end: 12n },
    );
    expect(cut?.taken).toEqual([
      { start: 8n, end: 10n, sourceIndex: 0 },
      { start: 11n, end: 12n, sourceIndex: 1 },
    ]);
    expect(cut?.rest).toEqual([
      { start: 1n, end: 7n, sourceIndex: 0 },
      { start: 13n, end: 20n, sourceIndex: 1 },
    ]);
  });

  it("returns undefined when a wanted serial is missing, and names the gaps", () => {
    const ranges = [
      { start: 1n, end: 10n },
      { start: 15n, end: 20n },
    ];
    expect(takeExactSerials(ranges, { start: 8n, end: 16n })).toBeUndefined();
    expect(uncoveredParts({ start: 8n, end: 16n }, ranges)).toEqual([{ start: 11n, end: 14n }]);
  });

  it("property: taken is exactly the wanted range when covered; the rest keeps every other serial", () => {
    fc.assert(
      fc.property(
        sortedRanges.chain((ranges) => {
          const lowest = ranges[0].start;
          const highest = ranges.at(-1)!.end;
          return fc.tuple(
            fc.constant(ranges),
            fc.bigInt({ min: lowest, max: highest }).chain((start) => fc.tuple(fc.constant(start), fc.bigInt({ min: start, max: highest }))),
          );
        }),
        ([ranges, [start, end]]) => {
          const wanted = { start, end };
          const cut = takeExactSerials(ranges, wanted);
          const covered = uncoveredParts(wanted, ranges).length === 0;
          expect(cut !== undefined).toBe(covered);
          if (cut === undefined) return;
          expect(serialsOf(cut.taken)).toEqual(serialsOf([wanted]));
          expect(totalQuantity(cut.taken) + totalQuantity(cut.rest)).toBe(totalQuantity(ranges));
          const all = [...cut.taken, ...cut.rest].sort((a, b) => (a.start < b.start ? -1 : 1));
          expect(areSortedAndDisjoint(all)).toBe(true);
          expect(serialsOf(all)).toEqual(serialsOf(ranges));
        },
      ),
      { numRuns: 300 },
    );
  });
});
