/**
 * Reads a sanctions list release in one of the supported formats into a {@link SanctionsList}:
 * OFAC SDN legacy CSV (sdn.csv + alt.csv + add.csv), UN consolidated XML, or an OpenSanctions-style
 * FollowTheMoney entity file. Malformed files fail with every problem named (file, line, field);
 * nothing is stored by this module.
 */
import { z } from "zod";
import { importOfacLegacyCsv, importOpenSanctionsFtm, importUnConsolidatedXml, type ImportResult, SanctionsImportError, type SourceFile } from "../sanctions";
import { OnboardingError } from "./errors";

export const LIST_FORMATS = ["ofac-legacy-csv", "un-consolidated-xml", "opensanctions-ftm"] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/** Largest list file accepted (the full OFAC sdn.csv is ~5 MB, the OpenSanctions default export far more). */
export const MAX_LIST_FILE_BYTES = 64 * 1024 * 1024;

export const listFilesSchema = z.discriminatedUnion("format", [
  z.strictObject({ format: z.literal("ofac-legacy-csv"), listId: z.string().min(1).max(100).optional(), sdn: z.string(), alt: z.string(), add: z.string() }),
  z.strictObject({ format: z.literal("un-consolidated-xml"), listId: z.string().min(1).max(100).optional(), file: z.string() }),
  z.strictObject({ format: z.literal("opensanctions-ftm"), listId: z.string().min(1).max(100).optional(), file: z.string() }),
]);
export type ListFiles = z.infer<typeof listFilesSchema>;

function sourceFile(name: string, content: string | Uint8Array): SourceFile {
  const bytes = typeof content === "string" ? Buffer.byteLength(content, "utf8") : content.byteLength;
  if (bytes === 0) throw new OnboardingError("INVALID_INPUT", `list file ${name} is empty`);
  if (bytes > MAX_LIST_FILE_BYTES) throw new OnboardingError("INVALID_INPUT", `list file ${name} is ${bytes} bytes; the limit is ${MAX_LIST_FILE_BYTES}`);
  return { name, content };
}

/** Parses a list release; throws INVALID_INPUT naming every problem when a file is malformed. */
export function readListRelease(
  format: ListFormat,
  files: Record<string, { name: string; content: string | Uint8Array } | undefined>,
  options: { listId?: string } = {},
): ImportResult {
  const need = (role: string) => {
    const file = files[role];
    if (file === undefined) throw new OnboardingError("INVALID_INPUT", `the ${format} format needs a ${role} file`);
    return sourceFile(file.name, file.content);
  };
  try {
    if (format === "ofac-legacy-csv") return importOfacLegacyCsv({ sdn: need("sdn"), alt: need("alt"), add: need("add") }, options);
    if (format === "un-consolidated-xml") return importUnConsolidatedXml(need("file"), options);
    return importOpenSanctionsFtm(need("file"), options);
  } catch (error) {
    if (error instanceof SanctionsImportError) throw new OnboardingError("INVALID_INPUT", error.message, error.issues);
    throw error;
  }
}

/** The API form: file contents as text in one JSON body. */
export function readListFiles(input: ListFiles): ImportResult {
  const options = { listId: input.listId };
  if (input.format === "ofac-legacy-csv") {
    return readListRelease(input.format, { sdn: { name: "sdn.csv", content: input.sdn }, alt: { name: "alt.csv", content: input.alt }, add: { name: "add.csv", content: input.add } }, options);
  }
  return readListRelease(input.format, { file: { name: input.format === "un-consolidated-xml" ? "consolidated.xml" : "entities.ftm.json", content: input.file } }, options);
}
