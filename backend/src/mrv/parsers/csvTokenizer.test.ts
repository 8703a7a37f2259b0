import { parse } from "csv-parse/sync";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CsvRecord, CsvSyntaxError, CsvTokenizer } from "./csvTokenizer";

const OPTIONS = { delimiter: ",", quote: '"', maxRecordSize: 10_000 };

/** Tokenizes `text` split into chunks at the given cut points. */
function tokenize(text: string, cuts: readonly number[] = [], options = OPTIONS): CsvRecord[] {
  const tokenizer = new CsvTokenizer(options);
  const out: CsvRecord[] = [];
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    tokenizer.push(text.slice(from, cut), out);
    from = cut;
  }
  tokenizer.push(text.slice(from), out);
  tokenizer.end(out);
  return out;
}

/** csv-parse's reading of the same text, with the start line of each record. */
function reference(text: string): { cells: string[]; row: number; endRow: number }[] {
  const records = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true, bom: true }) as unknown as { record: string[]; info: { lines: number } }[];
  return records.map(({ record, info }) => {
    const breaks = record.reduce((sum, cell) => sum + (cell.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
    return { cells: record, row: info.lines - breaks, endRow: info.lines };
  });
}

const cell = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9 .:-]{0,12}$/),
  fc.string({ unit: fc.constantFrom("a", "b", ",", '"', "\n", "\r\n", " ", "é", "😀"), maxLength: 10 }),
);
const encodeCell = (value: string) => (/[",\r\n]/.test(value) || value === "" ? `"${value.replace(/"/g, '""')}"` : value);

describe("CSV tokenizer", () => {
  it("reads what csv-parse reads, with the same lines, however the text is cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (rows, newline, trailingNewline, cutSeeds) => {
          const text = rows.map((r) => r.map(encodeCell).join(",")).join(newline) + (trailingNewline ? newline : "");
          const cuts = cutSeeds.map((seed) => seed % (text.length + 1));
          const ours = tokenize(text, cuts);
          const theirs = reference(text);
          expect(ours.map((r) => r.cells)).toEqual(theirs.map((r) => r.cells));
          // csv-parse counts a "\r\n" inside a quoted field as two lines; it is one
          if (!rows.flat().some((c) => c.includes("\r"))) expect(ours).toEqual(theirs);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("skips empty and comment lines and a byte order mark, counting their lines", () => {
    const text = "\uFEFFa,b\n\n# note, with a comma\n1,2\r\n\r\n3,4";
    const records = tokenize(text, [], { ...OPTIONS, comment: "#" } as typeof OPTIONS);
    expect(records).toEqual([
      { cells: ["a", "b"], row: 1, endRow: 1 },
      { cells: ["1", "2"], row: 4, endRow: 4 },
      { cells: ["3", "4"], row: 6, endRow: 6 },
    ]);
    expect(tokenize('"a\r\nb",c\r\nd,e', [3])).toEqual([{ cells: ["a\r\nb", "c"], row: 1, endRow: 2 }, { cells: ["d", "e"], row: 3, endRow: 3 }]);
    expect(tokenize("x\ry\r", [2])).toEqual([{ cells: ["x"], row: 1, endRow: 1 }, { cells: ["y"], row: 2, endRow: 2 }]);
  });

  it("throws a CsvSyntaxError for a quote never closed, text after a closing quote, a quote inside a field, a record over the limit, after handing out the records before it", () => {
    const cases: [string, RegExp, number][] = [
      ['a,b\n1,"2\n3,4\n', /Quote Not Closed/, 2],
      ['a,b\n1,"2"x\n', /Invalid Closing Quote: got "x" at line 2/, 2],
      ['a,b\n1,2"3\n', /Invalid Opening Quote: a quote is found on field 1 at line 2/, 2],
      [`a,b\n1,${"x".repeat(200)}\n`, /Max Record Size: .* 100 at line 2/, 2],
    ];
    for (const [text, message, line] of cases) {
      const tokenizer = new CsvTokenizer({ ...OPTIONS, maxRecordSize: 100 });
      const out: CsvRecord[] = [];
      let error: unknown;
      try {
        tokenizer.push(text, out);
        tokenizer.end(out);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(CsvSyntaxError);
      expect((error as CsvSyntaxError).message).toMatch(message);
      expect((error as CsvSyntaxError).line).toBe(line);
      expect(out).toEqual([{ cells: ["a", "b"], row: 1, endRow: 1 }]);
    }
  });

  it("refuses an enormous unfinished record while it streams, before holding it all", () => {
    const tokenizer = new CsvTokenizer({ ...OPTIONS, maxRecordSize: 100 });
    const out: CsvRecord[] = [];
    tokenizer.push('a\n"', out);
    expect(() => {
      for (let i = 0; i < 100; i++) tokenizer.push("y".repeat(50), out);
    }).toThrow(/Max Record Size/);
  });
});
