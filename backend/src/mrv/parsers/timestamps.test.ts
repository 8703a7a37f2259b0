import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TimestampFormatSchema, timestampParser } from "./timestamps";

const iso = (format: string, text: string, offset?: string) => timestampParser(format, offset)(text).toISOString();

describe("declared timestamp formats", () => {
  it.each([
    ["iso8601", "2024-03-01T10:15:00Z", undefined, "2024-03-01T10:15:00.000Z"],
    ["iso8601", "2024-03-01T10:15:00+05:30", undefined, "2024-03-01T04:45:00.000Z"],
    ["iso8601", "2024-03-01T10:15:00+0530", undefined, "2024-03-01T04:45:00.000Z"],
    ["iso8601", "2024-03-01 10:15", "+05:30", "2024-03-01T04:45:00.000Z"],
    ["iso8601", "2024-03-01", undefined, "2024-03-01T00:00:00.000Z"],
    ["iso8601", "2024-03-01T10:15:00.123000Z", undefined, "2024-03-01T10:15:00.123Z"],
    ["unix-seconds", "1709288100", undefined, "2024-03-01T10:15:00.000Z"],
    ["unix-seconds", "1709288100.5", undefined, "2024-03-01T10:15:00.500Z"],
    ["unix-milliseconds", "1709288100250", undefined, "2024-03-01T10:15:00.250Z"],
    ["DD/MM/YYYY HH:mm", "01/03/2024 10:15", undefined, "2024-03-01T10:15:00.000Z"],
    ["DD.MM.YYYY HH:mm:ss", "29.02.2024 23:59:59", "+01:00", "2024-02-29T22:59:59.000Z"],
    ["M/D/YYYY h:mm A", "3/1/2024 12:05 AM", "-05:00", "2024-03-01T05:05:00.000Z"],
    ["M/D/YYYY h:mm A", "3/1/2024 1:05 pm", "Z", "2024-03-01T13:05:00.000Z"],
    ["YYYYMMDDHHmmssSSS", "20240301101500042", undefined, "2024-03-01T10:15:00.042Z"],
  ])("%s reads %j (offset %s) as %s", (format, text, offset, expected) => {
    expect(iso(format, text, offset)).toBe(expected);
  });

  it.each([
    ["iso8601", "2024-02-30T00:00:00Z"],
    ["iso8601", "01/03/2024"],
    ["iso8601", "2024-03-01T10:15:00.1234Z"],
    ["iso8601", "2024-03-01T24:00:00Z"],
    ["DD/MM/YYYY HH:mm", "31/02/2024 10:15"],
    ["DD/MM/YYYY HH:mm", "2024-03-01 10:15"],
    ["M/D/YYYY h:mm A", "3/1/2024 13:05 PM"],
    ["unix-seconds", "-5"],
    ["unix-seconds", "17092881e2"],
    ["unix-milliseconds", "1709288100.5"],
  ])("%s refuses %j, naming the expected format", (format, text) => {
    expect(() => iso(format, text)).toThrow(/^expected /);
  });

  it("the error says what was expected", () => {
    expect(() => iso("DD/MM/YYYY HH:mm", "2024-03-01", "+05:30")).toThrow('expected a timestamp in the format "DD/MM/YYYY HH:mm" (read as UTC+05:30), got "2024-03-01"');
  });

  it("refuses patterns without a date, and mixed 12/24-hour tokens", () => {
    expect(TimestampFormatSchema.safeParse("HH:mm").success).toBe(false);
    expect(TimestampFormatSchema.safeParse("DD/MM/YYYY HH:mm A").success).toBe(false);
    expect(TimestampFormatSchema.safeParse("DD/MM/YYYY h:mm").success).toBe(false);
    expect(TimestampFormatSchema.safeParse("DD/MM/YYYY h:mm A").success).toBe(true);
  });
});

describe("the fast path for machine-written UTC timestamps", () => {
  it("reads YYYY-MM-DDTHH:mm:ss[.sss]Z as the general ISO 8601 reader does, valid or not", () => {
    const parse = timestampParser("iso8601");
    const outcome = (text: string) => {
      try {
        return parse(text).toISOString();
      } catch (error) {
        return (error as Error).name;
      }
    };
    const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
    fc.assert(
      fc.property(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), fc.option(digits(3), { nil: undefined }), (y, mo, d, h, mi, s, ms) => {
        const text = `${y}-${mo}-${d}T${h}:${mi}:${s}${ms === undefined ? "" : `.${ms}`}Z`;
        // a space instead of "T" takes the general (regular expression) reader
        expect(outcome(text)).toBe(outcome(text.replace("T", " ")));
      }),
      { numRuns: 3000 },
    );
    expect(outcome("2024-02-29T23:59:59.999Z")).toBe("2024-02-29T23:59:59.999Z");
    expect(outcome("2023-02-29T00:00:00Z")).toBe("TimestampError");
    expect(outcome("0099-01-01T00:00:00Z")).toBe("TimestampError");
  });
});
