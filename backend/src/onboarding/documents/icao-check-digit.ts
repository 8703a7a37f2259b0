/**
 * ICAO Doc 9303 part 3 §4.9 check digits: each character valued (0–9 as is, A–Z as 10–35, the filler
 * "<" as 0), multiplied by the repeating weights 7, 3, 1, summed, modulo 10.
 */

const WEIGHTS = [7, 3, 1] as const;

export function icaoCharacterValue(character: string): number {
  if (character === "<") return 0;
  const code = character.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  throw new RangeError(`"${character}" is not an MRZ character (0-9, A-Z, <)`);
}

export function computeIcaoCheckDigit(field: string): number {
  let sum = 0;
  for (let index = 0; index < field.length; index++) sum += icaoCharacterValue(field[index]) * WEIGHTS[index % 3];
  return sum % 10;
}
