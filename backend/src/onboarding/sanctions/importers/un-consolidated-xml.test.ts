import { describe, expect, it } from "vitest";
import { SanctionsImportError } from "./import-issues";
import { editedFixture, fixture } from "./test-fixtures";
import { importUnConsolidatedXml } from "./un-consolidated-xml";

function importIssues(text: (xml: string) => string): SanctionsImportError["issues"] {
  try {
    importUnConsolidatedXml(editedFixture("un-consolidated.xml", text));
  } catch (error) {
    if (error instanceof SanctionsImportError) return error.issues;
    throw error;
  }
  throw new Error("expected a SanctionsImportError");
}

describe("importUnConsolidatedXml", () => {
  const { list, warnings } = importUnConsolidatedXml(fixture("un-consolidated.xml"));
  const entry = (id: string) => {
    const found = list.entries.find((candidate) => candidate.entryId === id);
    if (!found) throw new Error(`no entry ${id}`);
    return found;
  };

  it("reads individuals and entities keyed by DATAID", () => {
    expect(list.listId).toBe("un-sc-consolidated");
    expect(list.entries.map((candidate) => [candidate.entryId, candidate.kind])).toEqual([
      ["6900001", "individual"], ["6900002", "individual"], ["6900003", "individual"], ["110001", "entity"], ["110002", "entity"],
    ]);
    expect(warnings).toEqual([]);
  });

  it("keeps FIRST_NAME..FOURTH_NAME as name parts and maps alias quality", () => {
    expect(entry("6900001").names).toEqual([
      { full: "MOHAMMED ABDALLAH AL-RASHID", parts: ["MOHAMMED", "ABDALLAH", "AL-RASHID"], quality: "primary" },
      { full: "Muhammad al-Rashid", parts: ["Muhammad al-Rashid"], quality: "aka-good" },
      { full: "Mohamed Abdullah Alrashid", parts: ["Mohamed Abdullah Alrashid"], quality: "aka-good" },
      { full: "Abu Abdallah", parts: ["Abu Abdallah"], quality: "aka-low" },
    ]);
    expect(entry("6900002").names).toHaveLength(1);
    expect(entry("110001").names.map((name) => name.quality)).toEqual(["primary", "aka-good", "aka-low"]);
  });

  it("reads exact, approximate and between dates of birth", () => {
    expect(entry("6900001").birthDates).toEqual([
      { raw: "1960-01-12", fromYear: 1960, toYear: 1960, month: 1, day: 12, approximate: false },
      { raw: "1961", fromYear: 1961, toYear: 1961, month: null, day: null, approximate: true },
    ]);
    expect(entry("6900002").birthDates).toEqual([{ raw: "1974 to 1976", fromYear: 1974, toYear: 1976, month: null, day: null, approximate: false }]);
    expect(entry("6900003").birthDates[0]).toMatchObject({ fromYear: 1968, month: null });
  });

  it("resolves nationalities and address countries written the UN way", () => {
    expect(entry("6900002").countries.map((country) => country.code)).toEqual(["VE", "ES", "CD"]);
    expect(entry("6900003").countries).toEqual([{ code: "KP", raw: "Democratic People's Republic of Korea" }]);
    expect(entry("110001").addresses).toEqual([
      { text: "Sosong District, Pyongyang", country: { code: "KP", raw: "Democratic People's Republic of Korea" } },
      { text: "Dalian, Liaoning", country: { code: "CN", raw: "China" } },
    ]);
  });

  it("keeps programme, reference number, listing date and remarks", () => {
    const rashid = entry("6900001");
    expect(rashid.programs).toEqual(["Al-Qaida"]);
    expect(rashid.details).toMatchObject({
      referenceNumber: "QDi.901", listedOn: "2005-03-14", title: "Sheikh", designation: "Financier",
      placeOfBirth: "Baghdad, Iraq", nameOriginalScript: "محمد عبدالله الراشد",
    });
    expect(rashid.remarks).toMatch(/^Financier for Al-Qaida/u);
    expect(entry("110002").remarks).toBeNull();
  });

  it("reports XML syntax errors with line and column", () => {
    const issues = importIssues((xml) => xml.replace("<REFERENCE_NUMBER>QDi.901</REFERENCE_NUMBER>", "<REFERENCE_NUMBER>QDi.901</REFERENCE>"));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: "un-consolidated.xml", location: "line 12, column 32", expected: "well-formed XML" });
  });

  it("reports missing or malformed elements with their path", () => {
    const issues = importIssues((xml) => xml
      .replace("<DATAID>6900002</DATAID>", "<DATAID>69-00002</DATAID>")
      .replace("<FIRST_NAME>KIM</FIRST_NAME>", "<FIRST_NAME/>")
      .replace("<LISTED_ON>2008-07-10</LISTED_ON>", ""));
    expect(issues).toEqual([
      { file: "un-consolidated.xml", location: "/CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL[2]/DATAID", expected: "a numeric DATAID", found: '"69-00002"' },
      { file: "un-consolidated.xml", location: "/CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL[3]/FIRST_NAME", expected: "non-empty text", found: '""' },
      { file: "un-consolidated.xml", location: "/CONSOLIDATED_LIST/ENTITIES/ENTITY[2]/LISTED_ON", expected: "an element with text content", found: '"nothing"' },
    ]);
  });

  it("reports impossible dates of birth, unknown alias qualities and duplicate DATAIDs", () => {
    const issues = importIssues((xml) => xml
      .replace("<TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1974</FROM_YEAR>", "<TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1978</FROM_YEAR>")
      .replace("<DATE>1960-01-12</DATE>", "<DATE>1960-13-12</DATE>")
      .replace("<QUALITY>Low</QUALITY><ALIAS_NAME>GHT</ALIAS_NAME>", "<QUALITY>Medium</QUALITY><ALIAS_NAME>GHT</ALIAS_NAME>")
      .replace("<DATAID>110002</DATAID>", "<DATAID>110001</DATAID>"));
    expect(issues.map((issue) => [issue.location, issue.found])).toEqual([
      ["/CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL[1]/INDIVIDUAL_DATE_OF_BIRTH[1]", '"1960-13-12"'],
      ["/CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL[2]/INDIVIDUAL_DATE_OF_BIRTH[1]", '"1978 to 1976"'],
      ["/CONSOLIDATED_LIST/ENTITIES/ENTITY[1]/ENTITY_ALIAS[2]/QUALITY", '"Medium"'],
      ["/CONSOLIDATED_LIST/ENTITIES/ENTITY[2]/DATAID", "110001 (also at /CONSOLIDATED_LIST/ENTITIES/ENTITY[1])"],
    ]);
  });

  it("rejects a document that is not a consolidated list", () => {
    const issues = importIssues(() => "<?xml version=\"1.0\"?><SANCTIONS><ENTRY/></SANCTIONS>");
    expect(issues).toEqual([{ file: "un-consolidated.xml", location: "/CONSOLIDATED_LIST", expected: "an element with child elements", found: '"nothing"' }]);
  });
});
