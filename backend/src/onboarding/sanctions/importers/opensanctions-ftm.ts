import { z } from "zod";
import type { BirthDate, EntryKind, ListedAddress, ListedName, SanctionsEntry } from "../model";
import { resolveCountry } from "../../countries";
import { parseIsoBirthDate } from "./birth-dates";
import { listedName, uniqueCountries, uniqueNames } from "./entry-parts";
import { IssueCollector, quote } from "./import-issues";
import type { ImportResult } from "./import-result";
import { decodeSourceFile, listVersionFromDigests, type SourceFile } from "./source-file";
import { zodExpectation } from "./zod-issues";

/** One line of a FollowTheMoney entity file in the flat format (every property a list of strings). */
const ftmEntitySchema = z.object({
  id: z.string().min(1, "a non-empty id"),
  schema: z.string().min(1, "a non-empty schema"),
  properties: z.record(z.string(), z.array(z.string(), "a list of strings (flat FtM format; nested entities are not supported)")),
});
type FtmEntity = z.infer<typeof ftmEntitySchema>;

const TARGET_KINDS: ReadonlyMap<string, EntryKind> = new Map<string, EntryKind>([
  ["Person", "individual"],
  ["Company", "entity"], ["Organization", "entity"], ["LegalEntity", "entity"], ["PublicBody", "entity"],
  ["Vessel", "vessel"], ["Airplane", "aircraft"],
]);

/** Schemas that describe relations or records about a party, not a party that can be screened. */
const LINK_SCHEMAS = new Set([
  "Sanction", "Address", "Identification", "Passport", "Ownership", "Directorship", "Family", "Associate",
  "Membership", "Employment", "Representation", "UnknownLink", "Occupancy", "Position", "Note",
  "Documentation", "Succession", "Debt", "Payment", "Contract", "ContractAward", "Article", "Mention",
  "Security", "BankAccount", "Event",
]);

const COUNTRY_PROPERTIES = ["nationality", "citizenship", "country", "jurisdiction", "mainCountry", "flag"] as const;
const DETAIL_PROPERTIES = ["topics", "position", "imoNumber", "callSign", "registrationNumber", "idNumber", "innCode", "sourceUrl"] as const;

interface NumberedEntity {
  readonly line: number;
  readonly entity: FtmEntity;
}

function values(entity: FtmEntity, property: string): string[] {
  return (entity.properties[property] ?? []).map((value) => value.trim()).filter((value) => value !== "");
}

function readLines(text: string, fileName: string, issues: IssueCollector): NumberedEntity[] {
  const entities: NumberedEntity[] = [];
  text.split(/\r?\n/u).forEach((rawLine, index) => {
    const line = index + 1;
    if (rawLine.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(rawLine);
    } catch (error) {
      issues.add({ file: fileName, location: `line ${line}`, expected: "one JSON object per line", found: (error as Error).message });
      return;
    }
    const parsed = ftmEntitySchema.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.map(String).join(".") || "(line)";
        issues.add({ file: fileName, location: `line ${line}, field ${field}`, expected: zodExpectation(issue), found: quote(issue.path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], json) ?? "nothing") });
      }
      return;
    }
    entities.push({ line, entity: parsed.data });
  });
  return entities;
}

function namesOf(entity: FtmEntity, kind: EntryKind): ListedName[] {
  const individual = kind === "individual";
  const first = values(entity, "firstName");
  const middle = values(entity, "middleName");
  const last = values(entity, "lastName");
  const structuredParts = first.length === 1 && last.length === 1 ? [first[0], ...middle, last[0]] : undefined;
  const primaryNames = values(entity, "name");
  const names: ListedName[] = primaryNames.map((name, index) =>
    listedName(name, index === 0 ? "primary" : "aka-good", { individual, parts: index === 0 ? structuredParts : undefined }));
  if (names.length === 0 && structuredParts) names.push(listedName(structuredParts.join(" "), "primary", { individual, parts: structuredParts }));
  for (const alias of values(entity, "alias")) names.push(listedName(alias, "aka-good", { individual }));
  for (const alias of values(entity, "weakAlias")) names.push(listedName(alias, "aka-low", { individual }));
  for (const previous of values(entity, "previousName")) names.push(listedName(previous, "fka", { individual }));
  return uniqueNames(names);
}

function addressText(address: FtmEntity): string {
  const full = values(address, "full");
  if (full.length > 0) return full[0];
  return ["street", "street2", "city", "region", "postalCode"].flatMap((property) => values(address, property)).join(", ");
}

/**
 * Imports an OpenSanctions FollowTheMoney entity file (JSON lines, e.g. entities.ftm.json).
 * Parties (Person, Company, Organization, LegalEntity, PublicBody, Vessel, Airplane, and any other
 * named schema as kind "unknown") become entries; Sanction records add their programs and Address
 * records their addresses to the party they reference; other records are counted in warnings.
 */
export function importOpenSanctionsFtm(file: SourceFile, options: { listId?: string } = {}): ImportResult {
  const listId = options.listId ?? "opensanctions";
  const decoded = decodeSourceFile("entities", file);
  const listVersion = listVersionFromDigests([decoded.digest]);
  const issues = new IssueCollector();
  const lines = readLines(decoded.text, file.name, issues);

  const byId = new Map<string, NumberedEntity>();
  for (const numbered of lines) {
    const previous = byId.get(numbered.entity.id);
    if (previous) {
      issues.add({ file: file.name, location: `line ${numbered.line}, field id`, expected: "a unique id", found: `${quote(numbered.entity.id)} (also on line ${previous.line})` });
      continue;
    }
    byId.set(numbered.entity.id, numbered);
  }

  const programsByTarget = new Map<string, string[]>();
  const skippedLinesBySchema = new Map<string, number[]>();
  const parties: { numbered: NumberedEntity; kind: EntryKind }[] = [];
  for (const numbered of byId.values()) {
    const { entity, line } = numbered;
    const kind = TARGET_KINDS.get(entity.schema) ?? (LINK_SCHEMAS.has(entity.schema) || values(entity, "name").length === 0 ? undefined : "unknown");
    if (kind !== undefined) {
      parties.push({ numbered, kind });
      continue;
    }
    if (entity.schema === "Sanction") {
      const programs = [...values(entity, "program"), ...values(entity, "programId")];
      const sanctionPrograms = programs.length > 0 ? programs : values(entity, "authority");
      for (const target of values(entity, "entity")) {
        programsByTarget.set(target, [...(programsByTarget.get(target) ?? []), ...sanctionPrograms]);
      }
      continue;
    }
    if (entity.schema === "Address") continue;
    skippedLinesBySchema.set(entity.schema, [...(skippedLinesBySchema.get(entity.schema) ?? []), line]);
  }
  for (const [schema, skippedLines] of skippedLinesBySchema) {
    const shown = skippedLines.slice(0, 5).join(", ");
    issues.warn({
      file: file.name, location: `line${skippedLines.length > 1 ? "s" : ""} ${shown}${skippedLines.length > 5 ? ", …" : ""}`,
      message: `${skippedLines.length} ${schema} record(s) not imported: not a party that can be screened`,
    });
  }

  const entries: SanctionsEntry[] = [];
  for (const { numbered, kind } of parties) {
    const { entity, line } = numbered;
    const names = namesOf(entity, kind);
    if (names.length === 0) {
      issues.add({ file: file.name, location: `line ${line}, field properties.name`, expected: `at least one name for a ${entity.schema}`, found: "none" });
      continue;
    }
    const birthDates: BirthDate[] = [];
    for (const value of values(entity, "birthDate")) {
      const birthDate = parseIsoBirthDate(value);
      if (birthDate) birthDates.push(birthDate);
      else issues.add({ file: file.name, location: `line ${line}, field properties.birthDate`, expected: "YYYY, YYYY-MM or YYYY-MM-DD", found: quote(value) });
    }
    const addresses: ListedAddress[] = values(entity, "address").map((text) => ({ text, country: null }));
    for (const addressId of values(entity, "addressEntity")) {
      const address = byId.get(addressId);
      if (!address || address.entity.schema !== "Address") {
        issues.warn({ file: file.name, location: `line ${line}, field properties.addressEntity`, message: `address ${quote(addressId)} is not an Address record in this file` });
        continue;
      }
      const country = values(address.entity, "country")[0];
      addresses.push({ text: addressText(address.entity), country: country === undefined ? null : resolveCountry(country) });
    }
    const details: Record<string, string> = { schema: entity.schema };
    for (const property of DETAIL_PROPERTIES) {
      const found = values(entity, property);
      if (found.length > 0) details[property] = found.join("; ");
    }
    const notes = values(entity, "notes");
    entries.push({
      listId, listVersion, entryId: entity.id, kind, names, birthDates,
      countries: uniqueCountries([
        ...COUNTRY_PROPERTIES.flatMap((property) => values(entity, property)),
        ...addresses.flatMap((address) => (address.country ? [address.country.raw] : [])),
      ]),
      programs: [...new Set([...values(entity, "program"), ...(programsByTarget.get(entity.id) ?? [])])],
      remarks: notes.length > 0 ? notes.join("\n") : null,
      addresses,
      details,
    });
  }

  issues.throwIfAny();
  return { list: { listId, listVersion, format: "opensanctions-ftm", files: [decoded.digest], entries }, warnings: issues.warnings };
}
