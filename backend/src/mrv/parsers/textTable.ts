import { z } from "zod";
import { type SourceItem, textCell } from "./types";

/**
 * Rows out of plain text (a PDF's text layer, OCR output) by a declared line pattern: a regular
 * expression whose named groups are the columns the mapping refers to, e.g.
 * `^(?<date>\d{2}/\d{2}/\d{4})\s+(?<meter>\S+)\s+(?<value>[\d,.]+)\s+(?<unit>kWh|MWh)$`.
 *
 * On each page the table region starts after a line matching `startAfter` (or at the top) and
 * ends at a line matching `stopAt` (or the bottom). Inside it, blank lines and lines matching a
 * `skip` pattern (repeated headers, "Page 2 of 3") are passed over; every other line either
 * matches `rowPattern` and becomes a row, or is quarantined as a MalformedRecord. Text outside the
 * region is not data. If `startAfter` matches on no page at all, that is reported too.
 */

function compiles(source: string): boolean {
  try {
    new RegExp(source, "u");
    return true;
  } catch {
    return false;
  }
}

const patternSource = z.string().min(1).refine(compiles, { message: "not a valid regular expression" });

export const TextTableMappingSchema = z.object({
  rowPattern: patternSource.refine((source) => compiles(source) && groupNames(new RegExp(source, "u")).length > 0, {
    message: "rowPattern needs named groups, e.g. (?<value>[\\d.]+)",
  }),
  startAfter: patternSource.optional(),
  stopAt: patternSource.optional(),
  skip: z.array(patternSource).default([]),
  caseInsensitive: z.boolean().default(false),
});
export type TextTableMapping = z.input<typeof TextTableMappingSchema>;

function groupNames(regex: RegExp): string[] {
  // A match of the pattern against nothing does not reveal names; read them from the source.
  return [...regex.source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]);
}

/** Rows of the declared table in `pages`, the texts of successive pages. Row numbers are 1-based lines of a page. */
export function* textTableRows(pages: readonly string[], mappingInput: TextTableMapping, fileName: string): Generator<SourceItem> {
  const mapping = TextTableMappingSchema.parse(mappingInput);
  const flags = mapping.caseInsensitive ? "iu" : "u";
  const rowPattern = new RegExp(mapping.rowPattern, flags);
  const startAfter = mapping.startAfter === undefined ? undefined : new RegExp(mapping.startAfter, flags);
  const stopAt = mapping.stopAt === undefined ? undefined : new RegExp(mapping.stopAt, flags);
  const skips = mapping.skip.map((source) => new RegExp(source, flags));
  const header = groupNames(rowPattern);
  let regionFound = false;
  yield { kind: "header", file: fileName, header };

  for (let p = 0; p < pages.length; p++) {
    const page = p + 1;
    const lines = pages[p].split(/\r\n|\r|\n/);
    let inRegion = startAfter === undefined;
    for (let l = 0; l < lines.length; l++) {
      const line = lines[l].replace(/\s+/g, " ").trim();
      if (!inRegion) {
        if (startAfter?.test(line)) {
          inRegion = true;
          regionFound = true;
        }
        continue;
      }
      if (stopAt?.test(line)) break;
      if (line === "" || skips.some((skip) => skip.test(line))) continue;
      const match = rowPattern.exec(line);
      if (match?.groups === undefined) {
        yield { kind: "malformed", file: fileName, row: l + 1, page, raw: line, expected: "a line matching the declared row pattern", reason: "the line does not match" };
        continue;
      }
      const groups = match.groups;
      yield { kind: "row", file: fileName, row: l + 1, page, header, headerScope: "file", cells: header.map((name) => textCell(groups[name] ?? "")) };
    }
  }
  if (!regionFound && startAfter !== undefined) {
    yield { kind: "malformed", file: fileName, row: 0, raw: "", expected: `a line matching startAfter ${JSON.stringify(mapping.startAfter)}`, reason: "no page contains the start of the table" };
  }
}
