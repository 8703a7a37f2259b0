/**
 * Legal Entity Identifiers (ISO 17442): 20 characters — 18 alphanumeric (a 4-character LOU prefix,
 * then the entity part) and 2 check digits computed with ISO 7064 MOD 97-10 (as in IBANs).
 */

export type LeiValidation =
  | { readonly valid: true; readonly lei: string; readonly louPrefix: string; readonly entityPart: string; readonly checkDigits: string }
  | { readonly valid: false; readonly reason: "length" | "characters" | "check-digits"; readonly message: string };

/** The value mod 97 of a string of digits and letters, letters counting as 10 (A) to 35 (Z). */
function mod97(alphanumeric: string): number {
  let remainder = 0;
  for (const character of alphanumeric) {
    const value = Number.parseInt(character, 36);
    remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97;
  }
  return remainder;
}

/** Check digits for an 18-character LEI base: 98 − (base·100 mod 97), two digits. */
export function computeLeiCheckDigits(base: string): string {
  if (!/^[A-Z0-9]{18}$/u.test(base)) throw new RangeError(`an LEI base is 18 characters A-Z, 0-9; got ${JSON.stringify(base)}`);
  return String(98 - mod97(`${base}00`)).padStart(2, "0");
}

/** Validates an LEI; lower-case letters are accepted and returned upper-cased. */
export function validateLei(input: string): LeiValidation {
  const lei = input.trim().toUpperCase();
  if (lei.length !== 20) return { valid: false, reason: "length", message: `an LEI has 20 characters, this has ${lei.length}` };
  if (!/^[A-Z0-9]{18}[0-9]{2}$/u.test(lei)) {
    return { valid: false, reason: "characters", message: "an LEI is 18 characters A-Z, 0-9 followed by 2 digits" };
  }
  if (mod97(lei) !== 1) {
    return { valid: false, reason: "check-digits", message: `check digits ${lei.slice(18)} do not match; expected ${computeLeiCheckDigits(lei.slice(0, 18))}` };
  }
  return { valid: true, lei, louPrefix: lei.slice(0, 4), entityPart: lei.slice(4, 18), checkDigits: lei.slice(18) };
}
