import { describe, expect, it } from "vitest";
import { SanctionsImportError } from "./import-issues";
import { importOfacLegacyCsv } from "./ofac-legacy-csv";
import { editedFixture, fixture } from "./test-fixtures";

const files = () => ({ sdn: fixture("sdn.csv"), alt: fixture("alt.csv"), add: fixture("add.csv") });

function importError(run: () => unknown): SanctionsImportError {
  try {
    run();
  } catch (error) {
    if (error instanceof SanctionsImportError) return error;
    throw error;
  }
  throw new Error("expected a SanctionsImportError");
}

describe("importOfacLegacyCsv", () => {
  const { list, warnings } = importOfacLegacyCsv(files());
  const entry = (id: string) => {
    const found = list.entries.find((candidate) => candidate.entryId === id);
    if (!found) throw new Error(`no entry ${id}`);
    return found;
  };

  it("reads every sdn.csv record, joining aliases and addresses on ent_num", () => {
    expect(list.listId).toBe("ofac-sdn");
    expect(list.format).toBe("ofac-legacy-csv");
    expect(list.entries).toHaveLength(10);
    expect(warnings).toEqual([]);
    const rashid = entry("90001");
    expect(rashid.kind).toBe("individual");
    expect(rashid.names).toEqual([
      { full: "AL RASHID, Muhammad", parts: ["Muhammad", "AL RASHID"], quality: "primary" },
      { full: "AL-RASHID, Mohammed", parts: ["Mohammed", "AL-RASHID"], quality: "aka-good" },
      { full: "RASHID, Mohamed", parts: ["Mohamed", "RASHID"], quality: "aka-good" },
      { full: "AL RASHEED, Muhammad Abdallah", parts: ["Muhammad Abdallah", "AL RASHEED"], quality: "fka" },
    ]);
    expect(rashid.addresses).toEqual([{ text: "Al Mansour District, Baghdad", country: { code: "IQ", raw: "Iraq" } }]);
  });

  it("reads birth dates and nationalities from Remarks, and splits programs", () => {
    const rashid = entry("90001");
    expect(rashid.birthDates).toEqual([
      { raw: "12 Jan 1960", fromYear: 1960, toYear: 1960, month: 1, day: 12, approximate: false },
      { raw: "1961", fromYear: 1961, toYear: 1961, month: null, day: null, approximate: false },
    ]);
    expect(rashid.countries).toEqual([{ code: "IQ", raw: "Iraq" }]);
    expect(rashid.programs).toEqual(["SDGT", "IRGC"]);
    expect(entry("90003").birthDates[0]).toMatchObject({ raw: "circa 1975", approximate: true });
    expect(entry("90003").countries.map((country) => country.code)).toEqual(["ES", "VE"]);
    expect(entry("90006").birthDates[0]).toMatchObject({ fromYear: 1960, toYear: 1962 });
    expect(entry("90009").birthDates[0]).toMatchObject({ fromYear: 1971, month: 3, day: null });
  });

  it("maps SDN types: -0- is an entity; vessels keep their particulars", () => {
    expect(entry("90002").kind).toBe("entity");
    expect(entry("90008").kind).toBe("aircraft");
    const vessel = entry("90004");
    expect(vessel.kind).toBe("vessel");
    expect(vessel.details).toEqual({
      callSign: "HMXY7", vesselType: "Crude Oil Tanker", grossRegisteredTonnage: "81,479",
      vesselFlag: "Korea, North", vesselOwner: "KOREA OBSIDIAN SHIPPING CO",
    });
    expect(vessel.countries).toEqual([{ code: "KP", raw: "Korea, North" }]);
    expect(entry("90006").details).toEqual({ title: "Sheikh" });
  });

  it("derives the list version from the file contents", () => {
    expect(list.listVersion).toMatch(/^sha256:[0-9a-f]{64}$/u);
    expect(importOfacLegacyCsv(files()).list.listVersion).toBe(list.listVersion);
    const changed = importOfacLegacyCsv({ ...files(), alt: editedFixture("alt.csv", (text) => text.replace("RASHID, Mohamed", "RASHID, Mohamad")) });
    expect(changed.list.listVersion).not.toBe(list.listVersion);
    expect(list.files.map((file) => file.role)).toEqual(["sdn", "alt", "add"]);
  });

  it("reports a record with the wrong number of fields with its line", () => {
    const error = importError(() => importOfacLegacyCsv({
      ...files(),
      sdn: editedFixture("sdn.csv", (text) => text.replace('90002,"ACME TRADING LIMITED",-0- ,', '90002,"ACME TRADING LIMITED",')),
    }));
    expect(error.issues).toEqual([
      expect.objectContaining({ file: "sdn.csv", location: "line 2", expected: expect.stringMatching(/^12 fields \(ent_num, SDN_Name/u) }),
    ]);
  });

  it("reports bad values with line and column, all at once", () => {
    const error = importError(() => importOfacLegacyCsv({
      sdn: editedFixture("sdn.csv", (text) => text.replace('90004,"OBSIDIAN STAR","vessel"', '90004,"OBSIDIAN STAR","ship"').replace("90008,", "9OOO8,")),
      alt: editedFixture("alt.csv", (text) => text.replace('"fka","NOVA', '"formerly","NOVA').replace("90009,1009", "99999,1009")),
      add: fixture("add.csv"),
    }));
    expect(error.issues).toEqual([
      { file: "sdn.csv", location: "line 4, column 3 (SDN_Type)", expected: "SDN_Type individual, vessel, aircraft or -0- (entity)", found: '"ship"' },
      { file: "sdn.csv", location: "line 8, column 1 (ent_num)", expected: "a positive integer ent_num", found: '"9OOO8"' },
      { file: "alt.csv", location: "line 9, column 1 (ent_num)", expected: "an ent_num present in sdn.csv", found: "99999" },
      { file: "alt.csv", location: "line 10, column 3 (alt_type)", expected: "alt_type aka, fka or nka", found: '"formerly"' },
    ]);
    expect(error.message).toContain("sdn.csv: line 4, column 3 (SDN_Type)");
  });

  it("reports duplicate ent_num and empty names", () => {
    const error = importError(() => importOfacLegacyCsv({
      ...files(),
      sdn: editedFixture("sdn.csv", (text) => text.replace("90003,", "90001,").replace('"EP-QXR"', "-0- ")),
    }));
    expect(error.issues.map((issue) => [issue.location, issue.expected])).toEqual([
      ["line 3, column 1 (ent_num)", "a unique ent_num"],
      ["line 8, column 2 (SDN_Name)", "a non-empty SDN_Name"],
      ["line 6, column 1 (ent_num)", "an ent_num present in sdn.csv"],
    ]);
    expect(error.issues[2].file).toBe("alt.csv");
  });

  it("reports broken quoting with the line", () => {
    const error = importError(() => importOfacLegacyCsv({ ...files(), add: editedFixture("add.csv", (text) => text.replace('"Baghdad"', '"Bagh"dad"')) }));
    expect(error.issues[0]).toMatchObject({ file: "add.csv", location: "line 1", expected: expect.stringContaining("well-formed CSV") });
  });

  it("rejects bytes that are not UTF-8", () => {
    const error = importError(() => importOfacLegacyCsv({ ...files(), sdn: { name: "sdn.csv", content: Uint8Array.from([0x39, 0x30, 0xff, 0x2c]) } }));
    expect(error.issues[0]).toMatchObject({ file: "sdn.csv", expected: "UTF-8 text" });
  });

  it("warns about unreadable DOB remarks instead of dropping them", () => {
    const result = importOfacLegacyCsv({ ...files(), sdn: editedFixture("sdn.csv", (text) => text.replace("DOB Mar 1971", "DOB Marchish 71")) });
    expect(result.warnings).toEqual([
      { file: "sdn.csv", location: "line 9, column 12 (Remarks)", message: 'unreadable birth date "DOB Marchish 71" kept in remarks only' },
    ]);
    expect(result.list.entries.find((candidate) => candidate.entryId === "90009")?.remarks).toContain("DOB Marchish 71");
  });
});
