import { z } from "zod";

/** How a list presents a name: the main name, a good or weak alias, a former or new name. */
export const nameQualitySchema = z.enum(["primary", "aka-good", "aka-low", "fka", "nka"]);
export type NameQuality = z.infer<typeof nameQualitySchema>;

export const entryKindSchema = z.enum(["individual", "entity", "vessel", "aircraft", "unknown"]);
export type EntryKind = z.infer<typeof entryKindSchema>;

export const listedNameSchema = z.object({
  /** The name exactly as the list writes it (OFAC: "AL RASHID, Muhammad"). */
  full: z.string().min(1),
  /** Its components as the source gives them, given names first when the source distinguishes them. */
  parts: z.array(z.string().min(1)),
  quality: nameQualitySchema,
});
export type ListedName = z.infer<typeof listedNameSchema>;

/**
 * A birth date as lists give them: exact, month or year precision, "circa", or a range of years.
 * A single date has fromYear === toYear; month and day are set only when known.
 */
export const birthDateSchema = z.object({
  raw: z.string(),
  fromYear: z.number().int(),
  toYear: z.number().int(),
  month: z.number().int().min(1).max(12).nullable(),
  day: z.number().int().min(1).max(31).nullable(),
  approximate: z.boolean(),
});
export type BirthDate = z.infer<typeof birthDateSchema>;

export const countryRefSchema = z.object({ code: z.string().length(2).nullable(), raw: z.string() });

export const addressSchema = z.object({ text: z.string(), country: countryRefSchema.nullable() });
export type ListedAddress = z.infer<typeof addressSchema>;

export const sanctionsEntrySchema = z.object({
  listId: z.string().min(1),
  listVersion: z.string().min(1),
  entryId: z.string().min(1),
  kind: entryKindSchema,
  names: z.array(listedNameSchema).min(1),
  birthDates: z.array(birthDateSchema),
  countries: z.array(countryRefSchema),
  programs: z.array(z.string()),
  remarks: z.string().nullable(),
  addresses: z.array(addressSchema),
  /** Source facts without a field of their own (title, call sign, UN reference number, listed on, …). */
  details: z.record(z.string(), z.string()),
});
export type SanctionsEntry = z.infer<typeof sanctionsEntrySchema>;

export const sourceFileDigestSchema = z.object({
  role: z.string(),
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/u),
});
export type SourceFileDigest = z.infer<typeof sourceFileDigestSchema>;

export const sanctionsListSchema = z.object({
  listId: z.string().min(1),
  /** "sha256:<hex>" over the source files (see list-version.ts): same bytes, same version. */
  listVersion: z.string().regex(/^sha256:[0-9a-f]{64}$/u),
  format: z.enum(["ofac-legacy-csv", "un-consolidated-xml", "opensanctions-ftm"]),
  files: z.array(sourceFileDigestSchema).min(1),
  entries: z.array(sanctionsEntrySchema),
});
export type SanctionsList = z.infer<typeof sanctionsListSchema>;
