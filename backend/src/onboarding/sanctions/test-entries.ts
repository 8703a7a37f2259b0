import { listedName } from "./importers/entry-parts";
import type { BirthDate, EntryKind, NameQuality, SanctionsEntry } from "./model";
import { resolveCountry } from "../countries";

/** Builds a list entry for tests and measurements: names as "quality:name" or plain (primary). */
export function makeEntry(
  entryId: string,
  names: readonly string[],
  extras: { kind?: EntryKind; birthDates?: BirthDate[]; countries?: string[]; listId?: string; listVersion?: string } = {},
): SanctionsEntry {
  const kind = extras.kind ?? "individual";
  return {
    listId: extras.listId ?? "test-list",
    listVersion: extras.listVersion ?? `sha256:${"0".repeat(64)}`,
    entryId,
    kind,
    names: names.map((spec, index) => {
      const match = /^(primary|aka-good|aka-low|fka|nka):(.*)$/u.exec(spec);
      const quality: NameQuality = match ? (match[1] as NameQuality) : index === 0 ? "primary" : "aka-good";
      return listedName(match ? match[2] : spec, quality, { individual: kind === "individual" });
    }),
    birthDates: extras.birthDates ?? [],
    countries: (extras.countries ?? []).map(resolveCountry),
    programs: [],
    remarks: null,
    addresses: [],
    details: {},
  };
}

export function exactBirthDate(iso: string): BirthDate {
  const [year, month, day] = iso.split("-").map(Number);
  return { raw: iso, fromYear: year, toYear: year, month: month ?? null, day: day ?? null, approximate: false };
}
