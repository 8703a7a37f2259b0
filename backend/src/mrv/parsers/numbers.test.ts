import { describe, expect, it } from "vitest";
import { NumberFormatSchema, parseNumber } from "./numbers";

const format = (decimalSeparator: "." | ",", thousandsSeparator: "" | "," | "." | " " | "'") => NumberFormatSchema.parse({ decimalSeparator, thousandsSeparator });

describe("declared number formats", () => {
  it.each<[string, "." | ",", "" | "," | "." | " " | "'", string]>([
    ["1234.5", ".", "", "1234.5"],
    ["-0.000", ".", "", "0"],
    ["+12.50", ".", "", "12.5"],
    ["1,454,054", ".", ",", "1454054"],
    ["1,234.5", ".", ",", "1234.5"],
    ["12,34,567.89", ".", ",", "1234567.89"],
    ["1.234,5", ",", ".", "1234.5"],
    ["1 234,5", ",", " ", "1234.5"],
    ["1\u202f234,5", ",", " ", "1234.5"],
    ["1'234.5", ".", "'", "1234.5"],
    ["0,75", ",", "", "0.75"],
    ["1.5E3", ".", "", "1500"],
  ])("%j with decimal %j and thousands %j is %s", (text, decimal, thousands, expected) => {
    expect(parseNumber(text, format(decimal, thousands))).toBe(expected);
  });

  it.each<[string, "." | ",", "" | "," | "." | " " | "'"]>([
    ["1,234.5", ".", ""],
    ["1.234", ",", ""],
    ["12,34.5", ".", ","],
    ["1,2345", ".", ","],
    ["1.2.3", ".", ""],
    ["abc", ".", ""],
    ["", ".", ""],
    ["1.", ".", ""],
    ["0x10", ".", ""],
    ["1,234,5", ",", "."],
  ])("refuses %j with decimal %j and thousands %j", (text, decimal, thousands) => {
    expect(() => parseNumber(text, format(decimal, thousands))).toThrow(/^expected a number like/);
  });

  it("the same separator cannot be both", () => {
    expect(NumberFormatSchema.safeParse({ decimalSeparator: ",", thousandsSeparator: "," }).success).toBe(false);
  });
});
