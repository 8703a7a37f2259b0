import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec, canonicalDecimalString, toDecimal, toDecimalString } from "./decimal";
import { ScaledSum, formatScaledDecimal, parseScaledDecimal, plusScaled, significantDigits, timesScaled } from "./scaledDecimal";
import { UNIT_SYMBOLS, quantity, toBaseUnit, toBaseUnitText } from "./units";

/** Decimal literals as meters and spreadsheets write them, and some odd ones. */
const literal = fc
  .tuple(
    fc.constantFrom("", "+", "-"),
    fc.stringMatching(/^\d{0,25}$/),
    fc.option(fc.stringMatching(/^\d{0,25}$/), { nil: undefined }),
    fc.option(fc.integer({ min: -60, max: 60 }), { nil: undefined }),
  )
  .filter(([, integer, fraction]) => integer !== "" || (fraction ?? "") !== "")
  .map(([sign, integer, fraction, exponent]) => `${sign}${integer}${fraction === undefined ? "" : `.${fraction}`}${exponent === undefined ? "" : `e${exponent}`}`);

const viaDecimalJs = (text: string) => toDecimalString(toDecimal(text));

function outcome(f: () => string): string {
  try {
    return f();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe("scaled-integer decimals", () => {
  it("parse and format to decimal.js's canonical text, for any literal", () => {
    fc.assert(
      fc.property(literal, (text) => {
        const scaled = parseScaledDecimal(text);
        expect(scaled).toBeDefined();
        expect(formatScaledDecimal(scaled!)).toBe(viaDecimalJs(text));
        expect(canonicalDecimalString(text)).toBe(viaDecimalJs(text));
        expect(significantDigits(scaled!)).toBe(toDecimal(text).sd());
      }),
      { numRuns: 2000 },
    );
  });

  it("refuse what is not a decimal literal as decimal.js does, and exponents beyond ±1000 with a clear error", () => {
    for (const text of ["", ".", "-", "1e", "e5", "0x10", "NaN", "Infinity", "1,5", "1 5"]) {
      expect(parseScaledDecimal(text)).toBeUndefined();
      expect(outcome(() => canonicalDecimalString(text))).toBe(outcome(() => viaDecimalJs(text)));
      expect(() => canonicalDecimalString(text)).toThrow(/expected a decimal number such as "1234.5"/);
    }
    for (const text of ["1e1001", "1e-1001", "10.5e-1000", "1e99999999999", "-5e-99999999999"]) {
      expect(parseScaledDecimal(text)).toBeUndefined();
      expect(() => canonicalDecimalString(text)).toThrow(/expected a decimal number whose exponent is within ±1000/);
    }
    expect(canonicalDecimalString(" 0e99999999999 ")).toBe("0");
    expect(canonicalDecimalString("1e1000")).toBe(`1${"0".repeat(1000)}`);
    expect(canonicalDecimalString("+001.500")).toBe("1.5");
    expect(canonicalDecimalString("-0.000")).toBe("0");
  });

  it("multiply and add exactly, as decimal.js does at enough precision", () => {
    fc.assert(
      fc.property(literal, literal, (a, b) => {
        const x = parseScaledDecimal(a)!;
        const y = parseScaledDecimal(b)!;
        const Wide = Dec.clone({ precision: 200 });
        expect(formatScaledDecimal(timesScaled(x, y))).toBe(toDecimalString(new Wide(a).times(new Wide(b))));
        expect(formatScaledDecimal(plusScaled(x, y))).toBe(toDecimalString(new Wide(a).plus(new Wide(b))));
      }),
      { numRuns: 1000 },
    );
  });

  it("a running sum of integers near 2^53 stays exact", () => {
    const sum = new ScaledSum();
    for (let i = 0; i < 2000; i++) sum.addText("999999999999999");
    sum.addText("-1");
    sum.addText("0.5");
    expect(formatScaledDecimal(sum.value)).toBe((999999999999999n * 2000n - 1n).toString() + ".5");
    expect(() => sum.addText("abc")).toThrow(/not a decimal/);
  });

  it("a running sum equals the exact total in any order", () => {
    fc.assert(
      fc.property(fc.array(literal, { maxLength: 40 }), (values) => {
        const sum = new ScaledSum();
        const reversed = new ScaledSum();
        values.forEach((v) => sum.add(parseScaledDecimal(v)!));
        // as text: small integers take the number path, the rest the BigInt one
        [...values].reverse().forEach((v) => reversed.addText(canonicalDecimalString(v)));
        const Wide = Dec.clone({ precision: 400 });
        const expected = toDecimalString(values.reduce((t, v) => t.plus(new Wide(v)), new Wide(0)));
        expect(formatScaledDecimal(sum.value)).toBe(expected);
        expect(formatScaledDecimal(reversed.value)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("normalize into the base unit with toBaseUnit's result, or its error, for every unit", () => {
    fc.assert(
      fc.property(literal, fc.constantFrom(...UNIT_SYMBOLS), (value, unit) => {
        const expected = outcome(() => {
          const q = toBaseUnit(quantity(value, unit));
          return `${toDecimalString(q.value)} ${q.unit}`;
        });
        expect(outcome(() => {
          const q = toBaseUnitText(value, unit);
          return `${q.quantity} ${q.unit}`;
        })).toBe(expected);
        expect(outcome(() => {
          const q = toBaseUnitText(canonicalDecimalString(value), unit, true);
          return `${q.quantity} ${q.unit}`;
        })).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    // 39 significant digits in kWh (3.6e6: 2 more) cannot be normalized exactly
    const tooPrecise = `1.${"1".repeat(38)}`;
    expect(() => toBaseUnitText(tooPrecise, "kWh")).toThrow(/refusing to round/);
    expect(toBaseUnitText("1.5", "kilowatt hours")).toEqual({ quantity: "5400000", unit: "J" });
  });
});
