/**
 * Type declarations for the talisman subpath modules used by onboarding. talisman 1.1.4 ships
 * CommonJS without types; each of these modules sets `module.exports` to the function itself.
 */
declare module "talisman/metrics/jaro-winkler" {
  /** Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, boost threshold 0.7). */
  const jaroWinkler: (a: string, b: string) => number;
  export = jaroWinkler;
}

declare module "talisman/phonetics/soundex" {
  /** American Soundex code, e.g. "R163" for "Robert". Non-letters are ignored. */
  const soundex: (word: string) => string;
  export = soundex;
}

declare module "talisman/phonetics/double-metaphone" {
  /** Double Metaphone [primary, secondary] codes. */
  const doubleMetaphone: (word: string) => [string, string];
  export = doubleMetaphone;
}
