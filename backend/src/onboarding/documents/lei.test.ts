import { describe, expect, it } from "vitest";
import { computeLeiCheckDigits, validateLei } from "./lei";

/** Independent check of ISO 7064 MOD 97-10 with BigInt: letters become 10..35, the number mod 97 must be 1. */
function mod97WithBigInt(lei: string): bigint {
  return BigInt([...lei].map((character) => Number.parseInt(character, 36)).join("")) % 97n;
}

describe("validateLei", () => {
  it.each([
    "5493001KJTIIGC8Y1R12",
    "HWUPKR0MPOU8FGXBT394", // Apple Inc.
    "7LTWFZYICNSX8D621K86", // Deutsche Bank AG
  ])("accepts the real LEI %s (checksum verified independently)", (lei) => {
    expect(mod97WithBigInt(lei)).toBe(1n);
    expect(validateLei(lei)).toEqual({ valid: true, lei, louPrefix: lei.slice(0, 4), entityPart: lei.slice(4, 18), checkDigits: lei.slice(18) });
  });

  it("accepts lower case and surrounding spaces, returning the canonical form", () => {
    expect(validateLei(" 5493001kjtiigc8y1r12 ")).toMatchObject({ valid: true, lei: "5493001KJTIIGC8Y1R12" });
  });

  it("reports a wrong check digit with the expected one", () => {
    expect(validateLei("5493001KJTIIGC8Y1R13")).toEqual({ valid: false, reason: "check-digits", message: "check digits 13 do not match; expected 12" });
  });

  it("detects every digit-for-digit and letter-for-letter substitution and adjacent transposition in a real LEI", () => {
    // ISO 7064 MOD 97-10 guarantees these; a digit swapped for a letter changes the length of the
    // digit string and is caught only with probability 96/97 (e.g. "1B" ↔ "B1" both read 111).
    const lei = "5493001KJTIIGC8Y1R12";
    const sameClass = (a: string, b: string) => /\d/u.test(a) === /\d/u.test(b);
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let checked = 0;
    for (let position = 0; position < 20; position++) {
      for (const character of alphabet) {
        if (character === lei[position] || !sameClass(character, lei[position])) continue;
        expect(validateLei(lei.slice(0, position) + character + lei.slice(position + 1)).valid).toBe(false);
        checked++;
      }
    }
    for (let position = 0; position < 19; position++) {
      const [a, b] = [lei[position], lei[position + 1]];
      if (a === b || !sameClass(a, b)) continue;
      expect(validateLei(lei.slice(0, position) + b + a + lei.slice(position + 2)).valid).toBe(false);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  it("rejects wrong lengths and characters", () => {
    expect(validateLei("5493001KJTIIGC8Y1R1")).toMatchObject({ valid: false, reason: "length" });
    expect(validateLei("5493001KJTIIGC8Y1R1-")).toMatchObject({ valid: false, reason: "characters" });
    expect(validateLei("5493001KJTIIGC8Y1RAB")).toMatchObject({ valid: false, reason: "characters" });
  });
});

describe("computeLeiCheckDigits", () => {
  it("reproduces the check digits of real LEIs", () => {
    expect(computeLeiCheckDigits("5493001KJTIIGC8Y1R")).toBe("12");
    expect(computeLeiCheckDigits("HWUPKR0MPOU8FGXBT3")).toBe("94");
  });

  it("produces valid LEIs for any base", () => {
    for (const base of ["000000000000000000", "ZZZZZZZZZZZZZZZZZZ", "529900ABCDEFGHIJKL"]) {
      const lei = base + computeLeiCheckDigits(base);
      expect(mod97WithBigInt(lei)).toBe(1n);
      expect(validateLei(lei).valid).toBe(true);
    }
    expect(() => computeLeiCheckDigits("SHORT")).toThrow(RangeError);
  });
});
