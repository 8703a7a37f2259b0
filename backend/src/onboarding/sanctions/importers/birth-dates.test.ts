import { describe, expect, it } from "vitest";
import { parseIsoBirthDate, parseOfacBirthDate } from "./birth-dates";

describe("parseOfacBirthDate", () => {
  it.each([
    ["12 Jan 1960", { fromYear: 1960, toYear: 1960, month: 1, day: 12, approximate: false }],
    ["Jan 1960", { fromYear: 1960, toYear: 1960, month: 1, day: null, approximate: false }],
    ["1960", { fromYear: 1960, toYear: 1960, month: null, day: null, approximate: false }],
    ["circa 1960", { fromYear: 1960, toYear: 1960, month: null, day: null, approximate: true }],
    ["circa 01 Feb 1958", { fromYear: 1958, toYear: 1958, month: 2, day: 1, approximate: true }],
    ["1960 to 1962", { fromYear: 1960, toYear: 1962, month: null, day: null, approximate: false }],
    ["circa 1979 to 1982", { fromYear: 1979, toYear: 1982, month: null, day: null, approximate: true }],
    ["12 Jan 1960 to 15 Jan 1961", { fromYear: 1960, toYear: 1961, month: null, day: null, approximate: false }],
    ["1958-1960", { fromYear: 1958, toYear: 1960, month: null, day: null, approximate: false }],
  ])("reads %s", (text, expected) => {
    expect(parseOfacBirthDate(text)).toEqual({ raw: text, ...expected });
  });

  it.each(["31 Feb 1960", "12 Foo 1960", "1962 to 1960", "sometime in the sixties", "12 1960"])("rejects %s", (text) => {
    expect(parseOfacBirthDate(text)).toBeNull();
  });
});

describe("parseIsoBirthDate", () => {
  it("reads year, month and day precision", () => {
    expect(parseIsoBirthDate("1960")).toMatchObject({ fromYear: 1960, month: null, day: null });
    expect(parseIsoBirthDate("1960-02")).toMatchObject({ fromYear: 1960, month: 2, day: null });
    expect(parseIsoBirthDate("1960-02-29")).toMatchObject({ month: 2, day: 29 });
    expect(parseIsoBirthDate("1961-02-29")).toBeNull();
    expect(parseIsoBirthDate("60-02-01")).toBeNull();
  });
});
