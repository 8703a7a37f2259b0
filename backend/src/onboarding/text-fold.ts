/**
 * Unicode folding shared by name normalisation, country lookup and document comparison:
 * lower case, Cyrillic transliterated to Latin, compatibility decomposition (NFKD) with the
 * combining marks dropped, and the Latin letters that NFKD does not decompose mapped by hand.
 */

const CYRILLIC_TO_LATIN: Readonly<Record<string, string>> = {
  а: "a", б: "b", в: "v", г: "g", д: "d", е: "e", ё: "e", ж: "zh", з: "z", и: "i", й: "y",
  к: "k", л: "l", м: "m", н: "n", о: "o", п: "p", р: "r", с: "s", т: "t", у: "u", ф: "f",
  х: "kh", ц: "ts", ч: "ch", ш: "sh", щ: "shch", ъ: "", ы: "y", ь: "", э: "e", ю: "yu", я: "ya",
  і: "i", ї: "yi", є: "ye", ґ: "g", ў: "u", ј: "j", љ: "lj", њ: "nj", ћ: "c", ђ: "dj", џ: "dz",
};

/** Latin letters without a canonical decomposition. */
const UNDECOMPOSABLE_LATIN: Readonly<Record<string, string>> = {
  ß: "ss", æ: "ae", œ: "oe", ø: "o", đ: "d", ð: "d", ł: "l", þ: "th", ı: "i", ħ: "h", ŧ: "t",
  ŋ: "n", ĸ: "k", ſ: "s", ƒ: "f", ɨ: "i", ʉ: "u",
};

const CYRILLIC_LETTER = /[\u0400-\u04ff]/gu;
const UNDECOMPOSABLE_LETTER = /[ßæœøđðłþıħŧŋĸſƒɨʉ]/gu;
const COMBINING_MARK = /\p{M}/gu;
/** Plain ASCII text has nothing to decompose or transliterate. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/u;

/** Precomposed letters first (й → y, not i), then what decomposition leaves (ѐ → е → e). */
function transliterateCyrillic(text: string): string {
  return text.replace(CYRILLIC_LETTER, (letter) => (Object.hasOwn(CYRILLIC_TO_LATIN, letter) ? CYRILLIC_TO_LATIN[letter] : letter));
}

/** Folds text for comparison. Idempotent: foldText(foldText(s)) === foldText(s). */
export function foldText(input: string): string {
  if (PRINTABLE_ASCII.test(input)) return input.toLowerCase();
  return transliterateCyrillic(transliterateCyrillic(input.toLowerCase().normalize("NFC"))
    .normalize("NFKD")
    .replace(COMBINING_MARK, "")
    .toLowerCase())
    .replace(UNDECOMPOSABLE_LETTER, (letter) => (Object.hasOwn(UNDECOMPOSABLE_LATIN, letter) ? UNDECOMPOSABLE_LATIN[letter] : letter))
    .normalize("NFKD")
    .replace(COMBINING_MARK, "");
}
