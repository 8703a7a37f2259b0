import { z } from "zod";
import { type CalendarDate, formatIsoDate, parseIsoDate } from "../calendar-date";
import { type CountryRef, resolveCountry, sameCountry } from "../countries";
import { compareNames } from "../sanctions/name-similarity";
import { normalizeName } from "../sanctions/normalize";
import { icaoTransliterate } from "./icao-transliteration";
import type { MrzDocument } from "./mrz";

/** What a document says about its holder, from the MRZ or another extraction. */
export interface DocumentIdentity {
  readonly surname: string;
  readonly givenNames: string;
  readonly birthDate: CalendarDate | null;
  readonly nationality: CountryRef | null;
  readonly documentNumber: string | null;
  /** The document's name field was full, so the names may be cut short (MRZ). */
  readonly namesMayBeTruncated: boolean;
}

/** What the applicant typed in the onboarding form. */
export const declaredIdentitySchema = z.object({
  surname: z.string().trim().min(1),
  givenNames: z.string().trim(),
  birthDate: z.string().refine((value) => parseIsoDate(value) !== null, "a date YYYY-MM-DD"),
  /** ISO alpha-2/alpha-3 code or English name. */
  nationality: z.string().trim().min(1),
  documentNumber: z.string().trim().min(1).optional(),
});
export type DeclaredIdentity = z.input<typeof declaredIdentitySchema>;

export type ComparedField = "surname" | "givenNames" | "birthDate" | "nationality" | "documentNumber";
export type FieldOutcome = "match" | "mismatch" | "not-compared";

export interface FieldComparison {
  readonly field: ComparedField;
  readonly outcome: FieldOutcome;
  readonly extracted: string | null;
  readonly declared: string | null;
  readonly reason: string;
}

export interface DocumentComparison {
  /** match only when every compared field matches. */
  readonly outcome: "match" | "mismatch";
  readonly fields: readonly FieldComparison[];
}

export function identityFromMrz(document: MrzDocument): DocumentIdentity {
  return {
    surname: document.surname,
    givenNames: document.givenNames,
    birthDate: document.birthDate.date,
    nationality: document.nationality,
    documentNumber: document.documentNumber,
    namesMayBeTruncated: document.namesMayBeTruncated,
  };
}

function nameSpellings(name: string): { label: string; tokens: string[] }[] {
  return [
    { label: "after normalisation", tokens: [...normalizeName(name).tokens] },
    { label: "after ICAO 9303 transliteration (Ä→AE, Ö→OE, Ü→UE, ß→SS, …)", tokens: [...normalizeName(icaoTransliterate(name)).tokens] },
  ];
}

function sameTokenBag(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(" ") === [...b].sort().join(" ");
}

function compareNameField(field: "surname" | "givenNames", extracted: string, declared: string, mayBeTruncated: boolean): FieldComparison {
  const base = { field, extracted, declared };
  if (extracted.trim() === "" && declared.trim() === "") return { ...base, outcome: "match", reason: "both empty" };
  for (const document of nameSpellings(extracted)) {
    for (const typed of nameSpellings(declared)) {
      if (document.tokens.length > 0 && sameTokenBag(document.tokens, typed.tokens)) {
        return { ...base, outcome: "match", reason: `equal ${typed.label}` };
      }
      const documentText = document.tokens.join(" ");
      if (mayBeTruncated && documentText.length > 0 && typed.tokens.join(" ").startsWith(documentText)) {
        return { ...base, outcome: "match", reason: `document name field is full; typed name continues it (${typed.label})` };
      }
    }
  }
  const similarity = compareNames(extracted, declared).score;
  return { ...base, outcome: "mismatch", reason: `different names (similarity ${similarity.toFixed(2)}): document "${extracted}", typed "${declared}"` };
}

function compareBirthDate(extracted: CalendarDate | null, declared: string): FieldComparison {
  const extractedText = extracted === null ? null : formatIsoDate(extracted);
  const base = { field: "birthDate" as const, extracted: extractedText, declared };
  if (extractedText === null) return { ...base, outcome: "mismatch", reason: "the document's birth date is unreadable or impossible" };
  return extractedText === declared
    ? { ...base, outcome: "match", reason: "same date" }
    : { ...base, outcome: "mismatch", reason: `document says ${extractedText}, typed ${declared}` };
}

function compareNationality(extracted: CountryRef | null, declared: string): FieldComparison {
  const typed = resolveCountry(declared);
  const base = { field: "nationality" as const, extracted: extracted === null ? null : extracted.code ?? extracted.raw, declared };
  if (extracted === null) return { ...base, outcome: "mismatch", reason: "the document states no nationality" };
  if (sameCountry(extracted, typed)) return { ...base, outcome: "match", reason: extracted.code === null ? `same code ${extracted.raw}` : `both ${extracted.code}` };
  if (typed.code === null) return { ...base, outcome: "mismatch", reason: `typed nationality "${declared}" is not a recognised country` };
  return { ...base, outcome: "mismatch", reason: `document says ${extracted.code ?? extracted.raw}, typed ${typed.code}` };
}

function canonicalDocumentNumber(value: string): string {
  return value.toUpperCase().replace(/[\s\-<./]/gu, "");
}

function compareDocumentNumber(extracted: string | null, declared: string | undefined): FieldComparison {
  const base = { field: "documentNumber" as const, extracted, declared: declared ?? null };
  if (declared === undefined) return { ...base, outcome: "not-compared", reason: "not typed by the applicant" };
  if (extracted === null) return { ...base, outcome: "mismatch", reason: "the document has no readable number" };
  return canonicalDocumentNumber(extracted) === canonicalDocumentNumber(declared)
    ? { ...base, outcome: "match", reason: "same number ignoring spaces, hyphens and fillers" }
    : { ...base, outcome: "mismatch", reason: `document says ${extracted}, typed ${declared}` };
}

/** Compares, field by field, what a document says with what the applicant typed. */
export function compareDocumentFields(extracted: DocumentIdentity, declaredInput: DeclaredIdentity): DocumentComparison {
  const declared = declaredIdentitySchema.parse(declaredInput);
  const fields: FieldComparison[] = [
    compareNameField("surname", extracted.surname, declared.surname, extracted.namesMayBeTruncated),
    compareNameField("givenNames", extracted.givenNames, declared.givenNames, extracted.namesMayBeTruncated),
    compareBirthDate(extracted.birthDate, declared.birthDate),
    compareNationality(extracted.nationality, declared.nationality),
    compareDocumentNumber(extracted.documentNumber, declared.documentNumber),
  ];
  return { outcome: fields.some((field) => field.outcome === "mismatch") ? "mismatch" : "match", fields };
}
