/** Identity and entity document checks: ICAO 9303 MRZ, LEI, expiry, and document-versus-form comparison. */
export { computeIcaoCheckDigit } from "./icao-check-digit";
export { type MrzCheck, type MrzDocument, MrzFormatError, type MrzProblem, mrzDateIso, parseMrz } from "./mrz";
export { computeLeiCheckDigits, type LeiValidation, validateLei } from "./lei";
export { checkDocumentExpiry, type ExpiryCheck, type ExpiryStatus } from "./document-expiry";
export {
  compareDocumentFields, type DeclaredIdentity, declaredIdentitySchema, type DocumentComparison, type DocumentIdentity,
  type FieldComparison, identityFromMrz,
} from "./field-comparison";
export { icaoTransliterate } from "./icao-transliteration";
