import { describe, expect, it } from "vitest";
import { checkDocumentExpiry } from "./document-expiry";

const asOf = { year: 2025, month: 3, day: 1 };

describe("checkDocumentExpiry", () => {
  it("treats the expiry date as the last valid day", () => {
    expect(checkDocumentExpiry({ year: 2025, month: 3, day: 1 }, asOf)).toEqual({ status: "valid", daysRemaining: 0 });
    expect(checkDocumentExpiry({ year: 2025, month: 2, day: 28 }, asOf)).toEqual({ status: "expired", daysRemaining: -1 });
  });

  it("flags documents that lapse within the minimum validity", () => {
    expect(checkDocumentExpiry({ year: 2025, month: 3, day: 20 }, asOf, { minimumValidityDays: 30 })).toEqual({ status: "expires-soon", daysRemaining: 19 });
    expect(checkDocumentExpiry({ year: 2025, month: 3, day: 31 }, asOf, { minimumValidityDays: 30 })).toEqual({ status: "valid", daysRemaining: 30 });
  });

  it("counts across leap days", () => {
    expect(checkDocumentExpiry({ year: 2028, month: 3, day: 1 }, { year: 2028, month: 2, day: 28 })).toEqual({ status: "valid", daysRemaining: 2 });
  });

  it("rejects a negative minimum validity", () => {
    expect(() => checkDocumentExpiry(asOf, asOf, { minimumValidityDays: -1 })).toThrow(RangeError);
  });
});
