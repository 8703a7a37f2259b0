import { type CalendarDate, compareCalendarDates, daysBetween } from "../calendar-date";

export type ExpiryStatus = "valid" | "expires-soon" | "expired";

export interface ExpiryCheck {
  readonly status: ExpiryStatus;
  /** Days from `asOf` to the expiry date; 0 on the last valid day, negative once expired. */
  readonly daysRemaining: number;
}

/**
 * A document is valid through its expiry date. "expires-soon" when fewer than `minimumValidityDays`
 * remain (onboarding policy, e.g. 30 days so a document does not lapse during review).
 */
export function checkDocumentExpiry(expiry: CalendarDate, asOf: CalendarDate, options: { minimumValidityDays?: number } = {}): ExpiryCheck {
  const minimumValidityDays = options.minimumValidityDays ?? 0;
  if (!Number.isInteger(minimumValidityDays) || minimumValidityDays < 0) {
    throw new RangeError(`minimumValidityDays must be a non-negative integer, got ${minimumValidityDays}`);
  }
  const daysRemaining = daysBetween(asOf, expiry);
  if (compareCalendarDates(expiry, asOf) < 0) return { status: "expired", daysRemaining };
  return { status: daysRemaining < minimumValidityDays ? "expires-soon" : "valid", daysRemaining };
}
