import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import type { BirthDate, ListedAddress, ListedName, NameQuality, SanctionsEntry } from "../model";
import { resolveCountry } from "../../countries";
import { birthYearRange, parseIsoBirthDate } from "./birth-dates";
import { listedName, uniqueCountries, uniqueNames } from "./entry-parts";
import { IssueCollector, quote, SanctionsImportError } from "./import-issues";
import type { ImportResult } from "./import-result";
import { decodeSourceFile, listVersionFromDigests, type SourceFile } from "./source-file";
import { zodExpectation } from "./zod-issues";

const XML_TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "an element with text content", object: "an element with child elements", array: "repeated elements",
};

/** Elements that may repeat; always parsed as arrays so one and many look the same. */
const REPEATED_ELEMENTS = new Set([
  "CONSOLIDATED_LIST.INDIVIDUALS.INDIVIDUAL",
  "CONSOLIDATED_LIST.ENTITIES.ENTITY",
  ...["INDIVIDUAL_ALIAS", "INDIVIDUAL_DATE_OF_BIRTH", "INDIVIDUAL_ADDRESS", "INDIVIDUAL_PLACE_OF_BIRTH", "INDIVIDUAL_DOCUMENT"]
    .map((name) => `CONSOLIDATED_LIST.INDIVIDUALS.INDIVIDUAL.${name}`),
  ...["ENTITY_ALIAS", "ENTITY_ADDRESS"].map((name) => `CONSOLIDATED_LIST.ENTITIES.ENTITY.${name}`),
  ...["NATIONALITY", "DESIGNATION", "TITLE"].map((name) => `CONSOLIDATED_LIST.INDIVIDUALS.INDIVIDUAL.${name}.VALUE`),
]);

/** An empty element (`<THIRD_NAME/>`) parses as "": treat it as absent. */
const optionalText = z.preprocess((value) => (value === "" ? undefined : value), z.string().optional());
const requiredText = z.string().min(1, "non-empty text");
const emptyAsAbsent = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === "" ? undefined : value), schema.optional());
const repeated = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (Array.isArray(value) ? value.filter((item) => item !== "") : value), z.array(schema).default([]));
const valueList = emptyAsAbsent(z.object({ VALUE: repeated(z.string()) }));

const aliasSchema = z.object({ QUALITY: optionalText, ALIAS_NAME: optionalText });
const addressElementSchema = z.object({
  STREET: optionalText, CITY: optionalText, STATE_PROVINCE: optionalText, ZIP_CODE: optionalText, COUNTRY: optionalText, NOTE: optionalText,
});
const dateOfBirthSchema = z.object({
  TYPE_OF_DATE: optionalText, DATE: optionalText, YEAR: optionalText, FROM_YEAR: optionalText, TO_YEAR: optionalText, NOTE: optionalText,
});
const placeOfBirthSchema = z.object({ CITY: optionalText, STATE_PROVINCE: optionalText, COUNTRY: optionalText });

const listingFields = {
  DATAID: z.string().regex(/^\d+$/u, "a numeric DATAID"),
  FIRST_NAME: requiredText,
  UN_LIST_TYPE: requiredText,
  REFERENCE_NUMBER: requiredText,
  LISTED_ON: z.string().regex(/^\d{4}-\d{2}-\d{2}$/u, "a date YYYY-MM-DD"),
  COMMENTS1: optionalText,
  NAME_ORIGINAL_SCRIPT: optionalText,
};

const individualSchema = z.object({
  ...listingFields,
  SECOND_NAME: optionalText,
  THIRD_NAME: optionalText,
  FOURTH_NAME: optionalText,
  NATIONALITY: valueList,
  DESIGNATION: valueList,
  TITLE: valueList,
  INDIVIDUAL_ALIAS: repeated(aliasSchema),
  INDIVIDUAL_DATE_OF_BIRTH: repeated(dateOfBirthSchema),
  INDIVIDUAL_ADDRESS: repeated(addressElementSchema),
  INDIVIDUAL_PLACE_OF_BIRTH: repeated(placeOfBirthSchema),
});

const entitySchema = z.object({
  ...listingFields,
  ENTITY_ALIAS: repeated(aliasSchema),
  ENTITY_ADDRESS: repeated(addressElementSchema),
});

const consolidatedListSchema = z.object({
  CONSOLIDATED_LIST: z.object({
    INDIVIDUALS: emptyAsAbsent(z.object({ INDIVIDUAL: repeated(individualSchema) })),
    ENTITIES: emptyAsAbsent(z.object({ ENTITY: repeated(entitySchema) })),
  }),
});

type UnIndividual = z.infer<typeof individualSchema>;
type UnEntity = z.infer<typeof entitySchema>;
type UnAlias = z.infer<typeof aliasSchema>;
type UnAddress = z.infer<typeof addressElementSchema>;
type UnDateOfBirth = z.infer<typeof dateOfBirthSchema>;

const ALIAS_QUALITIES: ReadonlyMap<string, NameQuality> = new Map<string, NameQuality>([
  ["good", "aka-good"], ["low", "aka-low"], ["a.k.a.", "aka-good"], ["a.k.a", "aka-good"], ["f.k.a.", "fka"], ["f.k.a", "fka"],
]);

/** Zod path → XPath-like location: /CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL[3]/DATAID (1-based). */
function xmlPath(path: readonly PropertyKey[]): string {
  let result = "";
  for (const segment of path) {
    result += typeof segment === "number" ? `[${segment + 1}]` : `/${String(segment)}`;
  }
  return result;
}

function valueAtPath(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function readAliases(aliases: readonly UnAlias[], basePath: string, file: string, individual: boolean, issues: IssueCollector): ListedName[] {
  const names: ListedName[] = [];
  aliases.forEach((alias, index) => {
    const path = `${basePath}[${index + 1}]`;
    if (alias.QUALITY === undefined && alias.ALIAS_NAME === undefined) return;
    const quality = ALIAS_QUALITIES.get((alias.QUALITY ?? "a.k.a.").toLowerCase());
    if (quality === undefined) {
      issues.add({ file, location: `${path}/QUALITY`, expected: "QUALITY Good, Low, a.k.a. or f.k.a.", found: quote(alias.QUALITY) });
      return;
    }
    if (alias.ALIAS_NAME === undefined) {
      issues.add({ file, location: `${path}/ALIAS_NAME`, expected: "a non-empty ALIAS_NAME for an alias with a QUALITY", found: "an empty element" });
      return;
    }
    names.push(listedName(alias.ALIAS_NAME, quality, { individual }));
  });
  return names;
}

function readDateOfBirth(element: UnDateOfBirth, path: string, file: string, issues: IssueCollector): BirthDate | null {
  const type = (element.TYPE_OF_DATE ?? "").toUpperCase();
  const { DATE: date, YEAR: year, FROM_YEAR: fromYear, TO_YEAR: toYear } = element;
  if (type === "" && [date, year, fromYear, toYear].every((value) => value === undefined)) return null;
  const fail = (expected: string, found: string): null => {
    issues.add({ file, location: path, expected, found });
    return null;
  };
  if (type === "EXACT" || type === "APPROXIMATELY") {
    const approximate = type === "APPROXIMATELY";
    const text = date ?? year;
    if (text === undefined) return fail(`DATE or YEAR for TYPE_OF_DATE ${type}`, "neither");
    const parsed = parseIsoBirthDate(text, approximate);
    return parsed ?? fail("DATE as YYYY-MM-DD or YEAR as YYYY", quote(text));
  }
  if (type === "BETWEEN") {
    if (fromYear === undefined || toYear === undefined) return fail("FROM_YEAR and TO_YEAR for TYPE_OF_DATE BETWEEN", quote({ fromYear, toYear }));
    const range = /^\d{4}$/u.test(fromYear) && /^\d{4}$/u.test(toYear)
      ? birthYearRange(`${fromYear} to ${toYear}`, Number(fromYear), Number(toYear), false)
      : null;
    return range ?? fail("FROM_YEAR ≤ TO_YEAR, both YYYY", quote(`${fromYear} to ${toYear}`));
  }
  return fail("TYPE_OF_DATE EXACT, APPROXIMATELY or BETWEEN", quote(element.TYPE_OF_DATE ?? ""));
}

function readAddress(address: UnAddress): ListedAddress | null {
  const text = [address.STREET, address.CITY, address.STATE_PROVINCE, address.ZIP_CODE]
    .filter((part): part is string => part !== undefined)
    .join(", ");
  if (text === "" && address.COUNTRY === undefined) return null;
  return { text, country: address.COUNTRY === undefined ? null : resolveCountry(address.COUNTRY) };
}

function listingDetails(listing: UnIndividual | UnEntity): Record<string, string> {
  const details: Record<string, string> = { referenceNumber: listing.REFERENCE_NUMBER, listedOn: listing.LISTED_ON };
  if (listing.NAME_ORIGINAL_SCRIPT !== undefined) details.nameOriginalScript = listing.NAME_ORIGINAL_SCRIPT;
  return details;
}

/**
 * Imports the UN Security Council consolidated list (XML). Individuals keep FIRST_NAME..FOURTH_NAME
 * as name parts; alias quality Good/Low maps to aka-good/aka-low. Throws SanctionsImportError with
 * the line and column of XML syntax errors, or the element path of structural ones.
 */
export function importUnConsolidatedXml(file: SourceFile, options: { listId?: string } = {}): ImportResult {
  const listId = options.listId ?? "un-sc-consolidated";
  const decoded = decodeSourceFile("consolidated", file);
  const listVersion = listVersionFromDigests([decoded.digest]);
  const syntax = XMLValidator.validate(decoded.text);
  if (syntax !== true) {
    throw new SanctionsImportError([
      { file: file.name, location: `line ${syntax.err.line}, column ${syntax.err.col}`, expected: "well-formed XML", found: syntax.err.msg },
    ]);
  }
  const parser = new XMLParser({
    ignoreAttributes: true,
    ignoreDeclaration: true,
    parseTagValue: false,
    trimValues: true,
    jPath: true,
    isArray: (_tagName, jPath) => REPEATED_ELEMENTS.has(String(jPath)),
  });
  const document: unknown = parser.parse(decoded.text);
  const parsed = consolidatedListSchema.safeParse(document);
  if (!parsed.success) {
    throw new SanctionsImportError(parsed.error.issues.map((issue) => ({
      file: file.name,
      location: xmlPath(issue.path),
      expected: zodExpectation(issue, XML_TYPE_WORDS),
      found: quote(valueAtPath(document, issue.path) ?? "nothing"),
    })));
  }

  const issues = new IssueCollector();
  const entries: SanctionsEntry[] = [];
  const seenIds = new Map<string, string>();
  const claimId = (dataId: string, path: string): boolean => {
    const previous = seenIds.get(dataId);
    if (previous !== undefined) {
      issues.add({ file: file.name, location: `${path}/DATAID`, expected: "a unique DATAID", found: `${dataId} (also at ${previous})` });
      return false;
    }
    seenIds.set(dataId, path);
    return true;
  };

  const list = parsed.data.CONSOLIDATED_LIST;
  (list.INDIVIDUALS?.INDIVIDUAL ?? []).forEach((individual, index) => {
    const path = `/CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL[${index + 1}]`;
    if (!claimId(individual.DATAID, path)) return;
    const parts = [individual.FIRST_NAME, individual.SECOND_NAME, individual.THIRD_NAME, individual.FOURTH_NAME]
      .filter((part): part is string => part !== undefined);
    const primary = listedName(parts.join(" "), "primary", { individual: true, parts });
    const aliases = readAliases(individual.INDIVIDUAL_ALIAS, `${path}/INDIVIDUAL_ALIAS`, file.name, true, issues);
    const birthDates = individual.INDIVIDUAL_DATE_OF_BIRTH
      .map((element, dobIndex) => readDateOfBirth(element, `${path}/INDIVIDUAL_DATE_OF_BIRTH[${dobIndex + 1}]`, file.name, issues))
      .filter((date): date is BirthDate => date !== null);
    const addresses = individual.INDIVIDUAL_ADDRESS.map(readAddress).filter((address): address is ListedAddress => address !== null);
    const details = listingDetails(individual);
    const designations = individual.DESIGNATION?.VALUE ?? [];
    if (designations.length > 0) details.designation = designations.join("; ");
    const titles = individual.TITLE?.VALUE ?? [];
    if (titles.length > 0) details.title = titles.join("; ");
    const placesOfBirth = individual.INDIVIDUAL_PLACE_OF_BIRTH
      .map((place) => [place.CITY, place.STATE_PROVINCE, place.COUNTRY].filter((part) => part !== undefined).join(", "))
      .filter((place) => place !== "");
    if (placesOfBirth.length > 0) details.placeOfBirth = placesOfBirth.join("; ");
    entries.push({
      listId, listVersion, entryId: individual.DATAID, kind: "individual",
      names: uniqueNames([primary, ...aliases]),
      birthDates,
      countries: uniqueCountries([
        ...(individual.NATIONALITY?.VALUE ?? []),
        ...addresses.flatMap((address) => (address.country ? [address.country.raw] : [])),
      ]),
      programs: [individual.UN_LIST_TYPE],
      remarks: individual.COMMENTS1 ?? null,
      addresses,
      details,
    });
  });

  (list.ENTITIES?.ENTITY ?? []).forEach((entity, index) => {
    const path = `/CONSOLIDATED_LIST/ENTITIES/ENTITY[${index + 1}]`;
    if (!claimId(entity.DATAID, path)) return;
    const addresses = entity.ENTITY_ADDRESS.map(readAddress).filter((address): address is ListedAddress => address !== null);
    entries.push({
      listId, listVersion, entryId: entity.DATAID, kind: "entity",
      names: uniqueNames([
        listedName(entity.FIRST_NAME, "primary", { individual: false }),
        ...readAliases(entity.ENTITY_ALIAS, `${path}/ENTITY_ALIAS`, file.name, false, issues),
      ]),
      birthDates: [],
      countries: uniqueCountries(addresses.flatMap((address) => (address.country ? [address.country.raw] : []))),
      programs: [entity.UN_LIST_TYPE],
      remarks: entity.COMMENTS1 ?? null,
      addresses,
      details: listingDetails(entity),
    });
  });

  issues.throwIfAny();
  return { list: { listId, listVersion, format: "un-consolidated-xml", files: [decoded.digest], entries }, warnings: issues.warnings };
}
