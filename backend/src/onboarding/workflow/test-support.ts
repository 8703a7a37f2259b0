/** Test data for the onboarding workflow: valid ICAO 9303 passports, small real image/PDF files, lists. */
import { computeIcaoCheckDigit } from "../documents";
import { computeLeiCheckDigits } from "../documents/lei";
import type { SanctionsList } from "../sanctions/model";
import { makeEntry, exactBirthDate } from "../sanctions/test-entries";

const pad = (text: string, length: number): string => (text + "<".repeat(length)).slice(0, length);
const yymmdd = (iso: string): string => iso.slice(2).replace(/-/gu, "");

/** A TD3 (passport) MRZ with correct check digits. */
export function passportMrz(input: {
  surname: string;
  givenNames: string;
  documentNumber: string;
  /** ICAO alpha-3 (e.g. "DEU", "KEN"). */
  nationality: string;
  birthDate: string;
  expiryDate: string;
  sex?: "M" | "F";
}): string {
  const names = `${input.surname.toUpperCase().replace(/ /gu, "<")}<<${input.givenNames.toUpperCase().replace(/ /gu, "<")}`;
  const line1 = `P<${input.nationality}${pad(names, 39)}`;
  const documentNumber = pad(input.documentNumber, 9);
  const birth = yymmdd(input.birthDate);
  const expiry = yymmdd(input.expiryDate);
  const personal = pad("", 14);
  const parts = [
    documentNumber + computeIcaoCheckDigit(documentNumber),
    input.nationality,
    birth + computeIcaoCheckDigit(birth),
    input.sex ?? "F",
    expiry + computeIcaoCheckDigit(expiry),
    personal + computeIcaoCheckDigit(personal),
  ];
  const composite = parts[0] + parts[2] + parts[4] + parts[5];
  const line2 = parts.join("") + computeIcaoCheckDigit(composite);
  return `${line1}\n${line2}`;
}

/** A 1×1 PNG (a real file: signature, IHDR, IDAT, IEND). */
export const TINY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

/** A minimal PDF header and body (enough for the type check). */
export const TINY_PDF = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "latin1");

/** A valid LEI with the given 18-character base. */
export function lei(base = "5493001KJTIIGC8Y1R"): string {
  return base + computeLeiCheckDigits(base);
}

/** A small list: one sanctioned individual and one sanctioned company, plus unrelated entries. */
export function testList(listId: string, versionTag: string, extra: ReturnType<typeof makeEntry>[] = []): SanctionsList {
  const listVersion = `sha256:${Buffer.from(versionTag.padEnd(32, "0")).toString("hex").slice(0, 64).padEnd(64, "0")}`;
  const entries = [
    makeEntry("1", ["AL RASHID, Muhammad", "aka-good:Mohammed al-Rashid"], { birthDates: [exactBirthDate("1960-01-12")], countries: ["IQ"] }),
    makeEntry("2", ["ACME TRADING LIMITED"], { kind: "entity", countries: ["AE"] }),
    makeEntry("3", ["PETROV, Ivan Sergeyevich"], { birthDates: [exactBirthDate("1971-03-04")], countries: ["RU"] }),
    ...extra,
  ].map((entry) => ({ ...entry, listId, listVersion }));
  return { listId, listVersion, format: "opensanctions-ftm", files: [{ role: "test", name: `${listId}.json`, bytes: 1, sha256: "a".repeat(64) }], entries };
}

export { makeEntry, exactBirthDate };
