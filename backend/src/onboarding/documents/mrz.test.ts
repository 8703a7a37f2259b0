import { describe, expect, it } from "vitest";
import { computeIcaoCheckDigit } from "./icao-check-digit";
import { MrzFormatError, mrzDateIso, parseMrz } from "./mrz";

/** ICAO Doc 9303 part 4 specimen passport (TD3). */
const TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"];
/** ICAO Doc 9303 part 5 specimen identity card (TD1). */
const TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"];
const referenceDate = { year: 2025, month: 6, day: 1 };

function withCharacter(line: string, index: number, character: string): string {
  return line.slice(0, index) + character + line.slice(index + 1);
}

describe("ICAO check digits", () => {
  it("weights 7-3-1 with A=10 … Z=35 and < = 0", () => {
    expect(computeIcaoCheckDigit("L898902C3")).toBe(6);
    expect(computeIcaoCheckDigit("740812")).toBe(2);
    expect(computeIcaoCheckDigit("120415")).toBe(9);
    expect(computeIcaoCheckDigit("ZE184226B<<<<<")).toBe(1);
    expect(computeIcaoCheckDigit("D23145890")).toBe(7);
    expect(computeIcaoCheckDigit("<<<<")).toBe(0);
    // L=21·7 + 8·3 + 9·1 = 180 → 0
    expect(computeIcaoCheckDigit("L89")).toBe(0);
    expect(() => computeIcaoCheckDigit("ab")).toThrow(RangeError);
  });
});

describe("parseMrz — TD3 passport", () => {
  it("reads the ICAO specimen and verifies all five check digits", () => {
    const passport = parseMrz(TD3.join("\n"), { referenceDate });
    expect(passport).toMatchObject({
      format: "TD3", documentCode: "P", issuingState: { code: null, raw: "UTO" }, surname: "ERIKSSON", givenNames: "ANNA MARIA",
      namesMayBeTruncated: false, documentNumber: "L898902C3", nationality: { code: null, raw: "UTO" }, sex: "F",
      optionalData: ["ZE184226B"], problems: [], valid: true,
    });
    expect(mrzDateIso(passport.birthDate)).toBe("1974-08-12");
    expect(mrzDateIso(passport.expiryDate)).toBe("2012-04-15");
    expect(passport.checks.map((check) => [check.field, check.expected, check.valid])).toEqual([
      ["documentNumber", 6, true], ["birthDate", 2, true], ["expiryDate", 9, true], ["personalNumber", 1, true], ["composite", 0, true],
    ]);
  });

  it.each([
    ["documentNumber", 9, "5"],
    ["birthDate", 19, "3"],
    ["expiryDate", 27, "8"],
    ["personalNumber", 42, "2"],
  ] as const)("reports a wrong %s check digit (and the composite, which covers it)", (field, position, wrong) => {
    const passport = parseMrz([TD3[0], withCharacter(TD3[1], position, wrong)], { referenceDate });
    expect(passport.valid).toBe(false);
    expect(passport.problems).toEqual([
      { field, message: expect.stringContaining(`is ${wrong}, expected`) },
      { field: "composite", message: expect.stringContaining("check digit for composite is 0, expected") },
    ]);
  });

  it("reports a wrong composite check digit alone", () => {
    const passport = parseMrz([TD3[0], withCharacter(TD3[1], 43, "1")], { referenceDate });
    expect(passport.problems).toEqual([{ field: "composite", message: "check digit for composite is 1, expected 0" }]);
  });

  it.each([
    ["document number", 3, "9", ["documentNumber", "composite"]],
    ["birth date", 14, "5", ["birthDate", "composite"]],
    ["expiry date", 24, "5", ["expiryDate", "composite"]],
    ["personal number", 30, "X", ["personalNumber", "composite"]],
    ["nationality, which no check digit covers", 11, "S", []],
  ] as const)("detects a corrupted %s", (_label, position, character, fields) => {
    const passport = parseMrz([TD3[0], withCharacter(TD3[1], position, character)], { referenceDate });
    expect(passport.problems.map((problem) => problem.field)).toEqual(fields);
  });

  it("reports an impossible date even when its check digit matches", () => {
    const line2 = withCharacter(withCharacter(TD3[1], 15, "1"), 16, "3");
    const fixed = withCharacter(line2, 19, String(computeIcaoCheckDigit(line2.slice(13, 19))));
    const composite = withCharacter(fixed, 43, String(computeIcaoCheckDigit(fixed.slice(0, 10) + fixed.slice(13, 20) + fixed.slice(21, 43))));
    const passport = parseMrz([TD3[0], composite], { referenceDate });
    expect(passport.birthDate.date).toBeNull();
    expect(passport.problems).toEqual([{ field: "birthDate", message: "birth date 741312 is not a calendar date (YYMMDD)" }]);
  });

  it("accepts a filler check digit for an empty personal number", () => {
    const line2 = "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<<";
    const withComposite = withCharacter(line2, 43, String(computeIcaoCheckDigit(line2.slice(0, 10) + line2.slice(13, 20) + line2.slice(21, 43))));
    const passport = parseMrz([TD3[0], withComposite], { referenceDate });
    expect(passport.valid).toBe(true);
    expect(passport.optionalData).toEqual([]);
  });

  it("infers centuries from the reference date", () => {
    const passport = parseMrz(TD3, { referenceDate: { year: 1999, month: 1, day: 1 } });
    expect(mrzDateIso(passport.birthDate)).toBe("1974-08-12");
    expect(mrzDateIso(passport.expiryDate)).toBe("2012-04-15");
    const child = parseMrz([TD3[0], "L898902C36UTO1508128F3004151ZE184226B<<<<<16"], { referenceDate });
    expect(mrzDateIso(child.birthDate)).toBe("2015-08-12");
  });

  it("flags a name field used to its last character as possibly truncated", () => {
    const passport = parseMrz(["P<UTOVANDERBERGHE<<MARIA<ALEXANDRA<CHRISTINA", TD3[1]], { referenceDate });
    expect(passport.namesMayBeTruncated).toBe(true);
    expect(passport.givenNames).toBe("MARIA ALEXANDRA CHRISTINA");
  });
});

describe("parseMrz — TD1 identity card", () => {
  it("reads the ICAO specimen and verifies its check digits", () => {
    const card = parseMrz(TD1, { referenceDate });
    expect(card).toMatchObject({ format: "TD1", documentCode: "I", documentNumber: "D23145890", surname: "ERIKSSON", givenNames: "ANNA MARIA", sex: "F", valid: true });
    expect(card.checks.map((check) => [check.field, check.valid])).toEqual([
      ["documentNumber", true], ["birthDate", true], ["expiryDate", true], ["composite", true],
    ]);
  });

  it("reports a wrong composite check digit", () => {
    const card = parseMrz([TD1[0], withCharacter(TD1[1], 29, "7"), TD1[2]], { referenceDate });
    expect(card.problems).toEqual([{ field: "composite", message: "check digit for composite is 7, expected 6" }]);
  });

  it("reads a document number longer than nine characters from optional data", () => {
    const line1 = `I<UTOD23145890<734${computeIcaoCheckDigit("D23145890734")}<<<<<<<<<<<`;
    const line2Body = "7408122F1204159UTO<<<<<<<<<<<";
    const composite = computeIcaoCheckDigit(line1.slice(5, 30) + line2Body.slice(0, 7) + line2Body.slice(8, 15) + line2Body.slice(18, 29));
    const card = parseMrz([line1, `${line2Body}${composite}`, TD1[2]], { referenceDate });
    expect(card.documentNumber).toBe("D23145890734");
    expect(card.valid).toBe(true);
  });

  it("resolves real state codes, including Germany's single-letter code", () => {
    const line1 = "I<D<<T220001293<<<<<<<<<<<<<<<";
    const line2Body = "6408125<2010315D<<<<<<<<<<<<<";
    const composite = computeIcaoCheckDigit(line1.slice(5, 30) + line2Body.slice(0, 7) + line2Body.slice(8, 15) + line2Body.slice(18, 29));
    const card = parseMrz([line1, `${line2Body}${composite}`, "MUSTERMANN<<ERIKA<<<<<<<<<<<<<"], { referenceDate });
    expect(card.issuingState).toEqual({ code: "DE", raw: "D" });
    expect(card.nationality).toEqual({ code: "DE", raw: "D" });
    expect(card.sex).toBe("X");
    expect(card.valid).toBe(true);
  });
});

describe("parseMrz — malformed input", () => {
  it("rejects unknown shapes, naming what it found", () => {
    expect(() => parseMrz([TD3[0]], { referenceDate })).toThrow(/TD3 \(2 lines of 44\) or TD1 \(3 lines of 30\), found 1 line\(s\) of 44 characters/u);
    expect(() => parseMrz(["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"], { referenceDate })).toThrow(/TD2 \(2 × 36\) is not supported/u);
  });

  it("rejects characters outside the MRZ alphabet with their position", () => {
    const error = (() => {
      try {
        parseMrz([TD3[0], withCharacter(TD3[1], 5, "o")], { referenceDate });
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(MrzFormatError);
    expect(error).toMatchObject({ line: 2, column: 6, found: '"o"' });
  });

  it("rejects an invalid sex marker", () => {
    expect(() => parseMrz([TD3[0], withCharacter(TD3[1], 20, "Q")], { referenceDate })).toThrow(/line 2, column 21: expected sex M, F, X or </u);
  });
});
