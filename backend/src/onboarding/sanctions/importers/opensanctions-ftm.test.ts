import { describe, expect, it } from "vitest";
import { SanctionsImportError } from "./import-issues";
import { importOpenSanctionsFtm } from "./opensanctions-ftm";
import { editedFixture, fixture } from "./test-fixtures";

function importIssues(text: (lines: string) => string): SanctionsImportError["issues"] {
  try {
    importOpenSanctionsFtm(editedFixture("opensanctions-entities.ftm.json", text));
  } catch (error) {
    if (error instanceof SanctionsImportError) return error.issues;
    throw error;
  }
  throw new Error("expected a SanctionsImportError");
}

describe("importOpenSanctionsFtm", () => {
  const { list, warnings } = importOpenSanctionsFtm(fixture("opensanctions-entities.ftm.json"), { listId: "opensanctions-default" });
  const entry = (id: string) => {
    const found = list.entries.find((candidate) => candidate.entryId === id);
    if (!found) throw new Error(`no entry ${id}`);
    return found;
  };

  it("imports parties by schema and reports the records it does not import", () => {
    expect(list.listId).toBe("opensanctions-default");
    expect(list.entries.map((candidate) => [candidate.entryId, candidate.kind])).toEqual([
      ["NK-7gGq2cX1yVb9sKxQw3aPrT", "individual"],
      ["NK-Bq8LmZ4tRv2nXc6Ws9KjPd", "entity"],
      ["ru-egrul-1107700000000", "entity"],
      ["ofac-90004", "vessel"],
      ["ofac-90003", "individual"],
      ["gb-hmt-14702", "entity"],
    ]);
    expect(warnings).toEqual([
      { file: "opensanctions-entities.ftm.json", location: "line 8", message: "1 Ownership record(s) not imported: not a party that can be screened" },
    ]);
  });

  it("maps name properties to name qualities and uses firstName/lastName as parts", () => {
    expect(entry("NK-7gGq2cX1yVb9sKxQw3aPrT").names.map((name) => [name.quality, name.full])).toEqual([
      ["primary", "Muhammad Al Rashid"],
      ["aka-good", "Mohammed Abdallah al-Rashid"],
      ["aka-good", "Mohamed Rashid"],
      ["aka-good", "محمد عبدالله الراشد"],
      ["aka-low", "Abu Abdallah"],
    ]);
    expect(entry("NK-7gGq2cX1yVb9sKxQw3aPrT").names[0].parts).toEqual(["Muhammad", "Al Rashid"]);
    expect(entry("NK-Bq8LmZ4tRv2nXc6Ws9KjPd").names.map((name) => name.quality)).toEqual(["primary", "aka-good", "fka"]);
  });

  it("joins Sanction programmes and Address records onto the party", () => {
    const rashid = entry("NK-7gGq2cX1yVb9sKxQw3aPrT");
    expect(rashid.programs).toEqual(["SDGT", "IRGC"]);
    expect(rashid.addresses).toEqual([{ text: "Al Mansour District, Baghdad, Iraq", country: { code: "IQ", raw: "iq" } }]);
    expect(rashid.birthDates.map((date) => date.raw)).toEqual(["1960-01-12", "1961"]);
    expect(entry("gb-hmt-14702").programs).toEqual(["Iran (Nuclear)"]);
  });

  it("reads countries from nationality, jurisdiction, country and flag", () => {
    expect(entry("ofac-90003").countries.map((country) => country.code)).toEqual(["ES", "VE"]);
    expect(entry("NK-Bq8LmZ4tRv2nXc6Ws9KjPd").countries).toEqual([{ code: "AE", raw: "ae" }]);
    expect(entry("ofac-90004").countries).toEqual([{ code: "KP", raw: "kp" }]);
    expect(entry("ofac-90004").details).toMatchObject({ imoNumber: "IMO9000001", callSign: "HMXY7" });
  });

  it("reports lines that are not JSON or not FtM entities", () => {
    const issues = importIssues((lines) => lines
      .replace('{"id": "ofac-90004", "schema": "Vessel"', '{"id": "ofac-90004" "schema": "Vessel"')
      .replace('"birthDate": ["1975"]', '"birthDate": "1975"')
      .replace('{"id": "gb-hmt-14702", "schema": "Organization"', '{"id": "", "schema": "Organization"'));
    expect(issues.map((issue) => [issue.location, issue.expected])).toEqual([
      ["line 6", "one JSON object per line"],
      ["line 7, field properties.birthDate", "a list of strings (flat FtM format; nested entities are not supported)"],
      ["line 9, field id", "a non-empty id"],
    ]);
  });

  it("reports unreadable birth dates, nameless parties and duplicate ids", () => {
    const issues = importIssues((lines) => lines
      .replace('"birthDate": ["1960-01-12", "1961"]', '"birthDate": ["12/01/1960"]')
      .replace('"name": ["OBSIDIAN STAR"], ', "")
      .replace('{"id": "ofac-90003"', '{"id": "ofac-90004"'));
    expect(issues).toEqual([
      { file: "opensanctions-entities.ftm.json", location: "line 7, field id", expected: "a unique id", found: '"ofac-90004" (also on line 6)' },
      { file: "opensanctions-entities.ftm.json", location: "line 1, field properties.birthDate", expected: "YYYY, YYYY-MM or YYYY-MM-DD", found: '"12/01/1960"' },
      { file: "opensanctions-entities.ftm.json", location: "line 6, field properties.name", expected: "at least one name for a Vessel", found: "none" },
    ]);
  });
});
