import { describe, expect, it } from "vitest";
import { compareDocumentFields, type DocumentIdentity, identityFromMrz } from "./field-comparison";
import { parseMrz } from "./mrz";

const specimen = identityFromMrz(parseMrz(
  ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"],
  { referenceDate: { year: 2025, month: 6, day: 1 } },
));
const typed = { surname: "Eriksson", givenNames: "Anna Maria", birthDate: "1974-08-12", nationality: "UTO", documentNumber: "L898902C3" };

describe("compareDocumentFields", () => {
  it("matches the ICAO specimen against what the holder typed", () => {
    const result = compareDocumentFields(specimen, typed);
    expect(result.outcome).toBe("match");
    expect(result.fields.map((field) => [field.field, field.outcome])).toEqual([
      ["surname", "match"], ["givenNames", "match"], ["birthDate", "match"], ["nationality", "match"], ["documentNumber", "match"],
    ]);
  });

  it("explains each mismatch", () => {
    const result = compareDocumentFields(specimen, { ...typed, surname: "Erikson", birthDate: "1974-12-08", nationality: "SE", documentNumber: "L898902C4" });
    expect(result.outcome).toBe("mismatch");
    const byField = Object.fromEntries(result.fields.map((field) => [field.field, field]));
    expect(byField.surname).toMatchObject({ outcome: "mismatch", extracted: "ERIKSSON", declared: "Erikson", reason: expect.stringMatching(/different names \(similarity 0\.9\d\)/u) });
    expect(byField.birthDate).toMatchObject({ outcome: "mismatch", reason: "document says 1974-08-12, typed 1974-12-08" });
    expect(byField.nationality).toMatchObject({ outcome: "mismatch", reason: "document says UTO, typed SE" });
    expect(byField.documentNumber).toMatchObject({ outcome: "mismatch" });
    expect(byField.givenNames.outcome).toBe("match");
  });

  it("accepts ICAO transliteration of umlauts and plain accents", () => {
    const document: DocumentIdentity = {
      surname: "MUELLER GARCIA", givenNames: "JOSE ANTONIO", birthDate: { year: 1975, month: 3, day: 14 },
      nationality: { code: "DE", raw: "D" }, documentNumber: "C01X00T47", namesMayBeTruncated: false,
    };
    const result = compareDocumentFields(document, {
      surname: "Müller García", givenNames: "José Antonio", birthDate: "1975-03-14", nationality: "Germany", documentNumber: "C01X 00T47",
    });
    expect(result.outcome).toBe("match");
    expect(result.fields[0].reason).toMatch(/ICAO 9303 transliteration/u);
    expect(result.fields[3]).toMatchObject({ outcome: "match", reason: "both DE" });
  });

  it("accepts given names in another order or with different punctuation", () => {
    const result = compareDocumentFields(specimen, { ...typed, givenNames: "Maria-Anna" });
    expect(result.fields[1].outcome).toBe("match");
  });

  it("accepts a typed name the MRZ truncated", () => {
    const document: DocumentIdentity = { ...specimen, surname: "VANDERBERGHE", givenNames: "MARIA ALEXANDRA CHRISTINA", namesMayBeTruncated: true };
    const result = compareDocumentFields(document, { ...typed, surname: "Vanderberghe", givenNames: "Maria Alexandra Christina Josephine" });
    expect(result.fields[1]).toMatchObject({ outcome: "match", reason: expect.stringMatching(/name field is full/u) });
  });

  it("does not compare a document number the applicant did not type", () => {
    const { documentNumber: _omitted, ...withoutNumber } = typed;
    const result = compareDocumentFields(specimen, withoutNumber);
    expect(result.fields[4]).toMatchObject({ outcome: "not-compared" });
    expect(result.outcome).toBe("match");
  });

  it("reports unreadable document dates and unknown typed countries", () => {
    const result = compareDocumentFields({ ...specimen, birthDate: null }, { ...typed, nationality: "Atlantis" });
    expect(result.fields[2]).toMatchObject({ outcome: "mismatch", reason: "the document's birth date is unreadable or impossible" });
    expect(result.fields[3]).toMatchObject({ outcome: "mismatch", reason: 'typed nationality "Atlantis" is not a recognised country' });
  });

  it("validates what the applicant typed", () => {
    expect(() => compareDocumentFields(specimen, { ...typed, birthDate: "12/08/1974" })).toThrow(/YYYY-MM-DD/u);
    expect(() => compareDocumentFields(specimen, { ...typed, surname: " " })).toThrow();
  });
});
