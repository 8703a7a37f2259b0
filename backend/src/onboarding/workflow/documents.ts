/**
 * Document intake: size and type checks on the file, then the document checks with real
 * algorithms — ICAO 9303 MRZ check digits, expiry, document type, ISO 17442 LEI checksum and a
 * field-by-field comparison with what the applicant declared. A file that is too large, not what
 * its MIME type claims, or whose MRZ cannot be read at all is refused (nothing stored); a readable
 * document that fails a check is stored with the failed checks and their reasons.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Queryable } from "../../db";
import { type CalendarDate, formatIsoDate } from "../calendar-date";
import { checkDocumentExpiry, compareDocumentFields, identityFromMrz, MrzFormatError, parseMrz, validateLei } from "../documents";
import { normalizeName } from "../sanctions/normalize";
import type { Applicant, Application } from "./applicants";
import { describeZodIssues, OnboardingError } from "./errors";

export const DOCUMENT_TYPES = ["passport", "national_id", "lei_certificate"] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export const DOCUMENT_MIME_TYPES = ["application/pdf", "image/png", "image/jpeg"] as const;
export type DocumentMimeType = (typeof DOCUMENT_MIME_TYPES)[number];

/** Default largest accepted file: 4 MiB (a scanned passport page is well under 1 MiB). */
export const DEFAULT_MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** A document must stay valid this long so it does not lapse during review. */
export const MINIMUM_VALIDITY_DAYS = 30;

const mimeType = z.enum(DOCUMENT_MIME_TYPES, { message: `must be one of ${DOCUMENT_MIME_TYPES.join(", ")}` });

const identityDocumentFields = {
  mimeType,
  /** The machine readable zone as printed (2 × 44 or 3 × 30 characters, lines separated by newlines). */
  mrz: z.string().trim().min(1).max(200),
};

/** What comes with a document besides its bytes. */
export const documentMetadataSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("passport"), ...identityDocumentFields }),
  z.strictObject({ type: z.literal("national_id"), ...identityDocumentFields }),
  z.strictObject({
    type: z.literal("lei_certificate"),
    mimeType,
    lei: z.string().trim().min(1).max(40),
    legalName: z.string().trim().min(1).max(300),
  }),
]);
export type DocumentMetadata = z.infer<typeof documentMetadataSchema>;

export interface DocumentCheck {
  readonly check: string;
  readonly passed: boolean;
  readonly reason: string;
}

export interface StoredDocument {
  readonly id: string;
  readonly applicantId: string;
  readonly type: DocumentType;
  readonly mimeType: DocumentMimeType;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly extracted: Record<string, unknown>;
  readonly checks: readonly DocumentCheck[];
  readonly passed: boolean;
  readonly expiresOn: string | null;
  readonly uploadedAt: Date;
}

const SIGNATURES: Record<DocumentMimeType, { bytes: number[]; label: string }> = {
  "application/pdf": { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], label: "%PDF-" },
  "image/png": { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], label: "the PNG signature" },
  "image/jpeg": { bytes: [0xff, 0xd8, 0xff], label: "the JPEG SOI marker FF D8 FF" },
};

function hasSignature(content: Uint8Array, type: DocumentMimeType): boolean {
  const { bytes } = SIGNATURES[type];
  return content.length >= bytes.length && bytes.every((byte, i) => content[i] === byte);
}

export interface CheckedDocument {
  readonly metadata: DocumentMetadata;
  readonly sha256: string;
  readonly extracted: Record<string, unknown>;
  readonly checks: DocumentCheck[];
  readonly expiresOn: string | null;
}

/**
 * Validates the file and runs every check. Throws (nothing to store) when the file is too large,
 * empty, not of its declared type, of a type the applicant kind does not use, or its MRZ unreadable.
 */
export function checkDocument(
  applicant: Pick<Applicant, "kind" | "declared">,
  metadataInput: unknown,
  content: Uint8Array,
  options: { today: CalendarDate; maxBytes?: number },
): CheckedDocument {
  const parsed = documentMetadataSchema.safeParse(metadataInput);
  if (!parsed.success) throw new OnboardingError("INVALID_INPUT", `invalid document: ${describeZodIssues(parsed.error.issues)}`, parsed.error.issues);
  const metadata = parsed.data;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  if (content.byteLength === 0) throw new OnboardingError("DOCUMENT_MALFORMED", "the document file is empty");
  if (content.byteLength > maxBytes) {
    throw new OnboardingError("DOCUMENT_TOO_LARGE", `the document is ${content.byteLength} bytes; the limit is ${maxBytes} bytes`);
  }
  if (!hasSignature(content, metadata.mimeType)) {
    throw new OnboardingError(
      "DOCUMENT_MALFORMED",
      `the file is not ${metadata.mimeType}: it does not start with ${SIGNATURES[metadata.mimeType].label}`,
    );
  }
  const expectedTypes = applicant.kind === "individual" ? ["passport", "national_id"] : ["lei_certificate"];
  if (!expectedTypes.includes(metadata.type)) {
    throw new OnboardingError("INVALID_INPUT", `an ${applicant.kind} applicant submits ${expectedTypes.join(" or ")}, not ${metadata.type}`);
  }
  const sha256 = createHash("sha256").update(content).digest("hex");
  const signatureCheck: DocumentCheck = { check: "file.type", passed: true, reason: `starts with ${SIGNATURES[metadata.mimeType].label}` };
  const result =
    metadata.type === "lei_certificate"
      ? checkLeiCertificate(metadata, applicant.declared)
      : checkIdentityDocument(metadata, applicant.declared, options.today);
  return { metadata, sha256, extracted: result.extracted, checks: [signatureCheck, ...result.checks], expiresOn: result.expiresOn };
}

function checkIdentityDocument(
  metadata: Extract<DocumentMetadata, { mrz: string }>,
  declared: Application,
  today: CalendarDate,
): { extracted: Record<string, unknown>; checks: DocumentCheck[]; expiresOn: string | null } {
  if (declared.kind !== "individual") throw new OnboardingError("INVALID_INPUT", "identity documents belong to individual applicants");
  let mrz;
  try {
    mrz = parseMrz(metadata.mrz, { referenceDate: today });
  } catch (error) {
    if (error instanceof MrzFormatError) throw new OnboardingError("DOCUMENT_MALFORMED", `the MRZ cannot be read: ${error.message}`);
    throw error;
  }
  const checks: DocumentCheck[] = [];
  for (const check of mrz.checks) {
    checks.push({
      check: `mrz.check_digit.${check.field}`,
      passed: check.valid,
      reason: check.valid ? `check digit ${check.found} is correct` : `check digit is ${check.found}, expected ${check.expected} (ICAO 9303)`,
    });
  }
  for (const problem of mrz.problems.filter((p) => p.field === "birthDate" || p.field === "expiryDate")) {
    if (!mrz.checks.some((c) => c.field === problem.field && !c.valid)) checks.push({ check: `mrz.date.${problem.field}`, passed: false, reason: problem.message });
  }
  const wantedCode = metadata.type === "passport" ? /^P/u : /^[IAC]/u;
  checks.push({
    check: "document.type",
    passed: wantedCode.test(mrz.documentCode),
    reason: wantedCode.test(mrz.documentCode)
      ? `document code ${mrz.documentCode} is a ${metadata.type}`
      : `document code ${mrz.documentCode} is not a ${metadata.type} (${metadata.type === "passport" ? "P…" : "I…, A… or C…"})`,
  });
  const expiry = mrz.expiryDate.date;
  if (expiry === null) {
    checks.push({ check: "document.expiry", passed: false, reason: `expiry date ${mrz.expiryDate.raw} is not a date` });
  } else {
    const status = checkDocumentExpiry(expiry, today, { minimumValidityDays: MINIMUM_VALIDITY_DAYS });
    checks.push({
      check: "document.expiry",
      passed: status.status === "valid",
      reason:
        status.status === "valid"
          ? `valid until ${formatIsoDate(expiry)} (${status.daysRemaining} days)`
          : status.status === "expired"
            ? `expired on ${formatIsoDate(expiry)}`
            : `expires on ${formatIsoDate(expiry)}, in ${status.daysRemaining} days: less than the ${MINIMUM_VALIDITY_DAYS} required`,
    });
  }
  const comparison = compareDocumentFields(identityFromMrz(mrz), {
    surname: declared.surname,
    givenNames: declared.givenNames,
    birthDate: declared.birthDate,
    nationality: declared.nationality,
    documentNumber: declared.documentNumber,
  });
  for (const field of comparison.fields) {
    if (field.outcome === "not-compared") continue;
    checks.push({ check: `fields.${field.field}`, passed: field.outcome === "match", reason: field.reason });
  }
  return {
    extracted: {
      format: mrz.format,
      documentCode: mrz.documentCode,
      documentNumber: mrz.documentNumber,
      surname: mrz.surname,
      givenNames: mrz.givenNames,
      nationality: mrz.nationality.code ?? mrz.nationality.raw,
      birthDate: mrz.birthDate.date === null ? null : formatIsoDate(mrz.birthDate.date),
      expiryDate: expiry === null ? null : formatIsoDate(expiry),
      mrz: metadata.mrz,
    },
    checks,
    expiresOn: expiry === null ? null : formatIsoDate(expiry),
  };
}

function sameNameTokens(a: string, b: string): boolean {
  const tokens = (name: string) => [...normalizeName(name).tokens].sort().join(" ");
  return tokens(a) === tokens(b) && tokens(a) !== "";
}

function checkLeiCertificate(
  metadata: Extract<DocumentMetadata, { type: "lei_certificate" }>,
  declared: Application,
): { extracted: Record<string, unknown>; checks: DocumentCheck[]; expiresOn: string | null } {
  if (declared.kind !== "organisation") throw new OnboardingError("INVALID_INPUT", "LEI certificates belong to organisation applicants");
  const lei = validateLei(metadata.lei);
  const checks: DocumentCheck[] = [
    { check: "lei.checksum", passed: lei.valid, reason: lei.valid ? `ISO 17442 check digits ${lei.checkDigits} are correct` : lei.message },
  ];
  const documentLei = lei.valid ? lei.lei : metadata.lei.toUpperCase();
  checks.push({
    check: "fields.lei",
    passed: documentLei === declared.lei,
    reason: documentLei === declared.lei ? "same LEI as declared" : `document says ${documentLei}, declared ${declared.lei}`,
  });
  const sameName = sameNameTokens(metadata.legalName, declared.legalName);
  checks.push({
    check: "fields.legalName",
    passed: sameName,
    reason: sameName
      ? "same legal name after normalisation (case, punctuation, legal form)"
      : `document says "${metadata.legalName}", declared "${declared.legalName}"`,
  });
  return { extracted: { lei: documentLei, legalName: metadata.legalName }, checks, expiresOn: null };
}

interface DocumentRow {
  id: string;
  applicant_id: string;
  doc_type: DocumentType;
  mime_type: DocumentMimeType;
  size_bytes: number;
  sha256: string;
  extracted: Record<string, unknown>;
  checks: DocumentCheck[];
  passed: boolean;
  expires_on: string | null;
  uploaded_at: Date;
}

const DOCUMENT_COLUMNS =
  "id::text AS id, applicant_id, doc_type, mime_type, size_bytes, sha256, extracted, checks, passed, to_char(expires_on, 'YYYY-MM-DD') AS expires_on, uploaded_at";

const toDocument = (row: DocumentRow): StoredDocument => ({
  id: row.id,
  applicantId: row.applicant_id,
  type: row.doc_type,
  mimeType: row.mime_type,
  sizeBytes: row.size_bytes,
  sha256: row.sha256,
  extracted: row.extracted,
  checks: row.checks,
  passed: row.passed,
  expiresOn: row.expires_on,
  uploadedAt: row.uploaded_at,
});

export async function insertDocument(db: Queryable, applicantId: string, checked: CheckedDocument, content: Uint8Array): Promise<StoredDocument> {
  const passed = checked.checks.every((check) => check.passed);
  const { rows } = await db.query<DocumentRow>(
    `INSERT INTO onboarding_documents (applicant_id, doc_type, mime_type, size_bytes, sha256, content, extracted, checks, passed, expires_on)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10::date)
     ON CONFLICT (applicant_id, sha256) DO NOTHING
     RETURNING ${DOCUMENT_COLUMNS}`,
    [
      applicantId,
      checked.metadata.type,
      checked.metadata.mimeType,
      content.byteLength,
      checked.sha256,
      Buffer.from(content.buffer, content.byteOffset, content.byteLength),
      JSON.stringify(checked.extracted),
      JSON.stringify(checked.checks),
      passed,
      checked.expiresOn,
    ],
  );
  if (rows.length === 0) throw new OnboardingError("DOCUMENT_DUPLICATE", `this file (sha256 ${checked.sha256}) was already uploaded`);
  return toDocument(rows[0]);
}

export async function listDocuments(db: Queryable, applicantId: string): Promise<StoredDocument[]> {
  const { rows } = await db.query<DocumentRow>(`SELECT ${DOCUMENT_COLUMNS} FROM onboarding_documents WHERE applicant_id = $1 ORDER BY id`, [applicantId]);
  return rows.map(toDocument);
}

/** The exact stored bytes of a document, or undefined. */
export async function documentContent(db: Queryable, applicantId: string, documentId: string): Promise<{ mimeType: string; content: Buffer } | undefined> {
  if (!/^\d{1,18}$/u.test(documentId)) return undefined;
  const { rows } = await db.query<{ mime_type: string; content: Buffer }>(
    "SELECT mime_type, content FROM onboarding_documents WHERE applicant_id = $1 AND id = $2",
    [applicantId, documentId],
  );
  return rows[0] === undefined ? undefined : { mimeType: rows[0].mime_type, content: rows[0].content };
}
