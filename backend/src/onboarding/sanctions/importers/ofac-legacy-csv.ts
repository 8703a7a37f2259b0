import type { EntryKind, ListedAddress, ListedName, SanctionsEntry } from "../model";
import { resolveCountry } from "../../countries";
import { csvLocation, type CsvRecord, readOfacCsvRecords } from "./csv-records";
import { listedName, uniqueCountries, uniqueNames } from "./entry-parts";
import { IssueCollector, quote } from "./import-issues";
import type { ImportResult } from "./import-result";
import { extractOfacRemarkFacts } from "./ofac-remarks";
import { decodeSourceFile, listVersionFromDigests, type SourceFile } from "./source-file";

export const SDN_COLUMNS = [
  "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign",
  "Vess_type", "Tonnage", "GRT", "Vess_flag", "Vess_owner", "Remarks",
] as const;
export const ALT_COLUMNS = ["ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks"] as const;
export const ADD_COLUMNS = ["ent_num", "Add_num", "Address", "City/State/Province/Postal Code", "Country", "Add_remarks"] as const;

/** The three files of one OFAC SDN legacy CSV release. */
export interface OfacLegacyCsvFiles {
  readonly sdn: SourceFile;
  readonly alt: SourceFile;
  readonly add: SourceFile;
}

const SDN_TYPES: ReadonlyMap<string, EntryKind> = new Map([["individual", "individual"], ["vessel", "vessel"], ["aircraft", "aircraft"]]);
const ALT_TYPES: ReadonlyMap<string, ListedName["quality"]> = new Map([["aka", "aka-good"], ["fka", "fka"], ["nka", "nka"]]);

const SDN_DETAIL_COLUMNS: ReadonlyArray<readonly [number, string]> = [
  [4, "title"], [5, "callSign"], [6, "vesselType"], [7, "tonnage"], [8, "grossRegisteredTonnage"],
  [9, "vesselFlag"], [10, "vesselOwner"],
];

interface SdnDraft {
  readonly record: CsvRecord;
  readonly entryId: string;
  readonly kind: EntryKind;
  readonly names: ListedName[];
  readonly addresses: ListedAddress[];
  readonly countryNames: string[];
}

function readEntNum(record: CsvRecord, columns: readonly string[], fileName: string, issues: IssueCollector): string | null {
  const value = record.values[0];
  if (value === null || !/^\d+$/u.test(value)) {
    issues.add({ file: fileName, location: csvLocation(record, columns, 0), expected: "a positive integer ent_num", found: quote(value ?? "-0-") });
    return null;
  }
  return String(Number(value));
}

function splitPrograms(program: string | null): string[] {
  if (program === null) return [];
  return program.split(/\]\s*\[/u).map((part) => part.replace(/[[\]]/gu, "").trim()).filter((part) => part !== "");
}

/**
 * Imports an OFAC SDN release in the legacy CSV format (sdn.csv + alt.csv + add.csv, no header row,
 * `-0-` for empty). Aliases and addresses are joined on ent_num; birth dates and nationalities are read
 * from Remarks. Throws SanctionsImportError listing every malformed record.
 */
export function importOfacLegacyCsv(files: OfacLegacyCsvFiles, options: { listId?: string } = {}): ImportResult {
  const listId = options.listId ?? "ofac-sdn";
  const sdnFile = decodeSourceFile("sdn", files.sdn);
  const altFile = decodeSourceFile("alt", files.alt);
  const addFile = decodeSourceFile("add", files.add);
  const listVersion = listVersionFromDigests([sdnFile.digest, altFile.digest, addFile.digest]);
  const issues = new IssueCollector();

  const drafts = new Map<string, SdnDraft>();
  /** ent_nums of sdn.csv records already reported as malformed: their aliases and addresses are not orphans. */
  const rejectedEntNums = new Set<string>();
  const sdn = readOfacCsvRecords(sdnFile, SDN_COLUMNS, issues);
  for (const record of sdn.malformed) {
    const value = record.values[0];
    if (value !== null && /^\d+$/u.test(value)) rejectedEntNums.add(String(Number(value)));
  }
  for (const record of sdn.records) {
    const entryId = readEntNum(record, SDN_COLUMNS, files.sdn.name, issues);
    const [, name, type] = record.values;
    const kind = type === null ? "entity" : SDN_TYPES.get(type.toLowerCase());
    if (name === null) {
      issues.add({ file: files.sdn.name, location: csvLocation(record, SDN_COLUMNS, 1), expected: "a non-empty SDN_Name", found: "-0-" });
    }
    if (kind === undefined) {
      issues.add({
        file: files.sdn.name, location: csvLocation(record, SDN_COLUMNS, 2),
        expected: "SDN_Type individual, vessel, aircraft or -0- (entity)", found: quote(type),
      });
    }
    if (entryId === null || name === null || kind === undefined) {
      if (entryId !== null) rejectedEntNums.add(entryId);
      continue;
    }
    const previous = drafts.get(entryId);
    if (previous) {
      issues.add({
        file: files.sdn.name, location: csvLocation(record, SDN_COLUMNS, 0),
        expected: "a unique ent_num", found: `${entryId} (already on line ${previous.record.line})`,
      });
      continue;
    }
    drafts.set(entryId, {
      record, entryId, kind, addresses: [], countryNames: [],
      names: [listedName(name, "primary", { individual: kind === "individual" })],
    });
  }

  const isOrphan = (entryId: string): boolean => !drafts.has(entryId) && !rejectedEntNums.has(entryId);

  for (const record of readOfacCsvRecords(altFile, ALT_COLUMNS, issues).records) {
    const entryId = readEntNum(record, ALT_COLUMNS, files.alt.name, issues);
    const [, , altType, altName] = record.values;
    const quality = altType === null ? undefined : ALT_TYPES.get(altType.toLowerCase());
    if (quality === undefined) {
      issues.add({ file: files.alt.name, location: csvLocation(record, ALT_COLUMNS, 2), expected: "alt_type aka, fka or nka", found: quote(altType ?? "-0-") });
    }
    if (altName === null) {
      issues.add({ file: files.alt.name, location: csvLocation(record, ALT_COLUMNS, 3), expected: "a non-empty alt_name", found: "-0-" });
    }
    if (entryId === null || quality === undefined || altName === null) continue;
    const draft = drafts.get(entryId);
    if (!draft) {
      if (isOrphan(entryId)) issues.add({ file: files.alt.name, location: csvLocation(record, ALT_COLUMNS, 0), expected: `an ent_num present in ${files.sdn.name}`, found: entryId });
      continue;
    }
    draft.names.push(listedName(altName, quality, { individual: draft.kind === "individual" }));
  }

  for (const record of readOfacCsvRecords(addFile, ADD_COLUMNS, issues).records) {
    const entryId = readEntNum(record, ADD_COLUMNS, files.add.name, issues);
    if (entryId === null) continue;
    const draft = drafts.get(entryId);
    if (!draft) {
      if (isOrphan(entryId)) issues.add({ file: files.add.name, location: csvLocation(record, ADD_COLUMNS, 0), expected: `an ent_num present in ${files.sdn.name}`, found: entryId });
      continue;
    }
    const [, , street, city, country, addRemarks] = record.values;
    const text = [street, city].filter((part): part is string => part !== null).join(", ");
    if (text === "" && country === null) {
      if (addRemarks === null) {
        issues.warn({ file: files.add.name, location: `line ${record.line}`, message: `address record for ent_num ${entryId} has no content` });
      }
      continue;
    }
    draft.addresses.push({ text, country: country === null ? null : resolveCountry(country) });
    if (country !== null) draft.countryNames.push(country);
  }

  issues.throwIfAny();

  const entries: SanctionsEntry[] = [...drafts.values()].map((draft) => {
    const values = draft.record.values;
    const remarks = values[11];
    const facts = extractOfacRemarkFacts(remarks);
    for (const clause of facts.unreadableBirthDates) {
      issues.warn({ file: files.sdn.name, location: csvLocation(draft.record, SDN_COLUMNS, 11), message: `unreadable birth date ${quote(clause)} kept in remarks only` });
    }
    const details: Record<string, string> = {};
    for (const [column, key] of SDN_DETAIL_COLUMNS) {
      const value = values[column];
      if (value !== null) details[key] = value;
    }
    const flag = values[9];
    return {
      listId,
      listVersion,
      entryId: draft.entryId,
      kind: draft.kind,
      names: uniqueNames(draft.names),
      birthDates: facts.birthDates,
      countries: uniqueCountries([...facts.nationalities, ...draft.countryNames, ...(flag === null ? [] : [flag])]),
      programs: splitPrograms(values[3]),
      remarks,
      addresses: draft.addresses,
      details,
    };
  });

  return {
    list: { listId, listVersion, format: "ofac-legacy-csv", files: [sdnFile.digest, altFile.digest, addFile.digest], entries },
    warnings: issues.warnings,
  };
}
