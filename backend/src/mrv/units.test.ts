import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec, exactPlus, toDecimalString } from "./decimal";
import {
  AmbiguousUnitError,
  BASE_UNIT,
  DimensionMismatchError,
  UNIT_SYMBOLS,
  UnknownUnitError,
  type UnitSymbol,
  convert,
  parseUnit,
  quantity,
  sumQuantities,
  toBaseUnit,
  unitDefinition,
} from "./units";

const conv = (value: string, from: string, to: string) => toDecimalString(convert(value, from, to));

describe("unit constants (DOMAIN.md, exact)", () => {
  it.each([
    ["1", "BTU", "J", "1055.05585262"],
    ["1", "MMBtu", "GJ", "1.05505585262"],
    ["1", "therm", "BTU", "100000"],
    ["1", "kWh", "MJ", "3.6"],
    ["1", "MWh", "GJ", "3.6"],
    ["1", "GWh", "TJ", "3.6"],
    ["1", "US gal", "L", "3.785411784"],
    ["1", "imp gal", "L", "4.54609"],
    ["1", "ft3", "m3", "0.028316846592"],
    ["1", "lb", "kg", "0.45359237"],
    ["1", "short ton", "kg", "907.18474"],
    ["1", "t", "kg", "1000"],
    ["1", "Gg", "t", "1000"],
  ])("%s %s = %s %s", (value, from, to, expected) => {
    expect(conv(value, from, to)).toBe(expected);
  });

  it("a conversion that does not terminate is rounded once, half-even, at the 40th significant digit", () => {
    // 10^12 / 1055055852.62 = 947.81712031331720001278504447561063565867165...
    expect(conv("1", "TJ", "MMBtu")).toBe("947.8171203133172000127850444756106356587");
  });

  it("t is the metric tonne, not the short ton (unlike convert-units/mathjs)", () => {
    expect(conv("1", "t", "short ton")).not.toBe("1");
    expect(conv("907.18474", "kg", "short ton")).toBe("1");
    expect(conv("2000", "lb", "short ton")).toBe("1");
  });
});

describe("unit names", () => {
  it.each([
    ["kwh", "kWh"],
    ["KWh", "kWh"],
    ["KWH", "kWh"],
    [" kilowatt-hours ", "kWh"],
    ["m3", "m3"],
    ["m^3", "m3"],
    ["m³", "m3"],
    ["M3", "m3"],
    ["mmbtu", "MMBtu"],
    ["MMBTU", "MMBtu"],
    ["Therm", "therm"],
    ["therm (US)", "therm"],
    ["BTU(IT)", "BTU"],
    ["US  gal", "US gal"],
    ["Imperial Gallons", "imp gal"],
    ["tonnes", "t"],
    ["LBS", "lb"],
    ["Short Ton", "short ton"],
    ["litres", "L"],
    ["cu ft", "ft3"],
  ])("%j is %s", (text, symbol) => {
    expect(parseUnit(text).symbol).toBe(symbol);
  });

  it.each(["gal", "Gallon", "GALLONS"])("%j is ambiguous and asks for US gal or imp gal", (text) => {
    expect(() => parseUnit(text)).toThrow(AmbiguousUnitError);
    expect(() => parseUnit(text)).toThrow(/"US gal".*"imp gal"/);
  });

  it.each(["ton", "Tons"])("%j is ambiguous and asks for t or short ton", (text) => {
    expect(() => parseUnit(text)).toThrow(/ambiguous unit.*"t" \(metric tonne.*"short ton"/);
  });

  it("MBtu (thousand or million?) and MT (metric ton or megatonne?) are refused too", () => {
    expect(() => parseUnit("MBtu")).toThrow(AmbiguousUnitError);
    expect(() => parseUnit("MT")).toThrow(AmbiguousUnitError);
  });

  it("an unknown unit names the known ones", () => {
    expect(() => parseUnit("furlong")).toThrow(UnknownUnitError);
    expect(() => parseUnit("furlong")).toThrow(/known units: J, kJ/);
  });

  it("converting across dimensions names both units and dimensions", () => {
    expect(() => convert("1", "kWh", "m3")).toThrow(DimensionMismatchError);
    expect(() => convert("1", "kWh", "m3")).toThrow('cannot convert "kWh" (energy) to "m3" (volume)');
    expect(() => convert("1", "lb", "US gal")).toThrow('cannot convert "lb" (mass) to "US gal" (volume)');
  });

  it("refuses values that are not plain decimals", () => {
    expect(() => convert("0x10", "kWh", "J")).toThrow(/expected a decimal number/);
    expect(() => convert("NaN", "kWh", "J")).toThrow(/expected a decimal number/);
    expect(() => convert("Infinity", "kWh", "J")).toThrow(/expected a decimal number/);
  });
});

/** Decimals with up to 20 significant digits, from 1e-9 to 1e12, as strings. */
const decimalText = fc
  .tuple(fc.bigInt({ min: -(10n ** 20n) + 1n, max: 10n ** 20n - 1n }), fc.integer({ min: -29, max: -8 }))
  .map(([mantissa, exponent]) => `${mantissa}e${exponent}`);

const unitOfDimension = (dimension: "energy" | "volume" | "mass") =>
  fc.constantFrom(...UNIT_SYMBOLS.filter((u) => unitDefinition(u).dimension === dimension));
const unitPair = fc
  .constantFrom("energy" as const, "volume" as const, "mass" as const)
  .chain((dimension) => fc.tuple(unitOfDimension(dimension), unitOfDimension(dimension)));

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** Whether the ratio of two units' sizes is a terminating decimal (its reduced denominator is 2^a 5^b). */
function ratioTerminates(from: UnitSymbol, to: UnitSymbol): boolean {
  const [a1, a2] = unitDefinition(from).toBase.toFraction().map((x) => BigInt(x.toFixed()));
  const [b1, b2] = unitDefinition(to).toBase.toFraction().map((x) => BigInt(x.toFixed()));
  const numerator = a1 * b2;
  let denominator = a2 * b1;
  denominator /= gcd(numerator, denominator);
  while (denominator % 2n === 0n) denominator /= 2n;
  while (denominator % 5n === 0n) denominator /= 5n;
  return denominator === 1n;
}

/** Meter-like readings: up to 12 significant digits, 0 to 6 decimal places. */
const readingText = fc
  .tuple(fc.bigInt({ min: -(10n ** 12n) + 1n, max: 10n ** 12n - 1n }), fc.integer({ min: -6, max: 0 }))
  .map(([mantissa, exponent]) => `${mantissa}e${exponent}`);

describe("unit properties", () => {
  it("normalizing to the base unit and back is exact, for every unit", () => {
    fc.assert(
      fc.property(decimalText, fc.constantFrom(...UNIT_SYMBOLS), (text, unit) => {
        const base = BASE_UNIT[parseUnit(unit).dimension];
        const there = convert(text, unit, base);
        expect(convert(there, base, unit).eq(new Dec(text))).toBe(true);
      }),
    );
  });

  it("a round trip between any two units of a dimension is exact when the conversion terminates, and otherwise off by at most one rounding at the 40th digit", () => {
    fc.assert(
      fc.property(decimalText, unitPair, (text, [from, to]) => {
        const original = new Dec(text);
        const back = convert(convert(text, from, to), to, from);
        if (ratioTerminates(from, to)) expect(back.eq(original)).toBe(true);
        else expect(back.toSignificantDigits(38).eq(original)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("conversions between metric prefixes, and from any unit into J, m3 or kg, always terminate", () => {
    expect(ratioTerminates("kWh", "GJ")).toBe(true);
    expect(ratioTerminates("MMBtu", "TJ")).toBe(true);
    expect(ratioTerminates("US gal", "L")).toBe(true);
    expect(ratioTerminates("GJ", "MMBtu")).toBe(false);
  });

  it("sums are exact and associative: any order and grouping gives the same total", () => {
    const readings = fc.array(fc.tuple(readingText, unitOfDimension("energy")), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(
        readings.chain((items) => fc.tuple(fc.constant(items), fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length }))),
        ([items, shuffled]) => {
          const quantities = items.map(([value, unit]) => quantity(value, unit));
          const total = sumQuantities(quantities, "J");
          const reordered = sumQuantities(shuffled.map(([value, unit]) => quantity(value, unit)), "J");
          expect(reordered.value.eq(total.value)).toBe(true);
          const inJoules = quantities.map((q) => convert(q.value, q.unit, "J"));
          const leftFold = inJoules.reduce((a, b) => exactPlus(a, b), new Dec(0));
          const rightFold = inJoules.reduceRight((a, b) => exactPlus(b, a), new Dec(0));
          expect(leftFold.eq(rightFold)).toBe(true);
          expect(leftFold.eq(total.value)).toBe(true);
        },
      ),
    );
  });

  it("does not drift where binary floats do", () => {
    const tenths = Array.from({ length: 10 }, () => quantity("0.1", "kWh"));
    expect(toDecimalString(sumQuantities(tenths, "kWh").value)).toBe("1");
    expect(tenths.reduce((sum) => sum + 0.1, 0)).not.toBe(1);
  });

  it("normalization and totals refuse to round silently when a value does not fit 40 digits", () => {
    const huge = quantity("1234567890123456789012345678901.5", "MMBtu");
    expect(() => toBaseUnit(huge)).toThrow(/refusing to round/);
    expect(() => sumQuantities([quantity("1e30", "J"), quantity("1e-30", "J")], "J")).toThrow(/refusing to round/);
  });

  it("a total refuses quantities of another dimension", () => {
    expect(() => sumQuantities([quantity("1", "kWh"), quantity("1", "L")], "MWh")).toThrow(DimensionMismatchError);
  });
});
