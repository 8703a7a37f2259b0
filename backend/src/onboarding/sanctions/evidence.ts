import { type CountryRef, resolveCountry, sameCountry } from "../countries";
import type { PartialDate } from "../calendar-date";
import type { BirthDate } from "./model";

/** Whether a supporting fact agrees with the list entry; unknown when either side lacks it. */
export type EvidenceOutcome = "match" | "mismatch" | "unknown";

/** Years of slack either side of an approximate ("circa") birth date. */
const APPROXIMATE_YEAR_SLACK = 1;

function birthDateAgrees(query: PartialDate, listed: BirthDate): boolean {
  const slack = listed.approximate ? APPROXIMATE_YEAR_SLACK : 0;
  if (query.year < listed.fromYear - slack || query.year > listed.toYear + slack) return false;
  if (listed.approximate || listed.fromYear !== listed.toYear) return true;
  if (query.month !== null && listed.month !== null && query.month !== listed.month) return false;
  if (query.day !== null && listed.day !== null && query.month !== null && listed.month !== null && query.day !== listed.day) return false;
  return true;
}

/**
 * Birth date evidence: match when any listed birth date agrees with the applicant's (year inside the
 * listed year or range, ±1 for "circa"; month and day compared when both sides have them), mismatch
 * when none does, unknown when either side has none.
 */
export function birthDateEvidence(query: PartialDate | null, listed: readonly BirthDate[]): EvidenceOutcome {
  if (query === null || listed.length === 0) return "unknown";
  return listed.some((birthDate) => birthDateAgrees(query, birthDate)) ? "match" : "mismatch";
}

/** Country evidence: match when the applicant's country is any of the entry's countries (nationality, address, flag). */
export function countryEvidence(query: CountryRef | null, listed: readonly CountryRef[]): EvidenceOutcome {
  if (query === null || listed.length === 0) return "unknown";
  return listed.some((country) => sameCountry(country, query)) ? "match" : "mismatch";
}

export function queryCountry(raw: string | undefined): CountryRef | null {
  return raw === undefined ? null : resolveCountry(raw);
}
