/**
 * ICAO Doc 9303 part 3 recommends writing these letters in the MRZ as two Latin letters
 * (MÜLLER → MUELLER). Other accented letters lose their accent, which folding already does.
 */
const ICAO_DIGRAPHS: ReadonlyMap<string, string> = new Map([
  ["Ä", "AE"], ["ä", "ae"], ["Å", "AA"], ["å", "aa"], ["Æ", "AE"], ["æ", "ae"], ["Ö", "OE"], ["ö", "oe"],
  ["Ø", "OE"], ["ø", "oe"], ["Ü", "UE"], ["ü", "ue"], ["ß", "SS"], ["Þ", "TH"], ["þ", "th"], ["Ĳ", "IJ"],
  ["ĳ", "ij"], ["Œ", "OE"], ["œ", "oe"],
]);

const DIGRAPH_LETTERS = /[ÄäÅåÆæÖöØøÜüßÞþĲĳŒœ]/gu;

/** Applies the ICAO digraph transliterations to text in NFC form. */
export function icaoTransliterate(text: string): string {
  return text.normalize("NFC").replace(DIGRAPH_LETTERS, (letter) => ICAO_DIGRAPHS.get(letter) ?? letter);
}
