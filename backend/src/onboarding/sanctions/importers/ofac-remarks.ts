import type { BirthDate } from "../model";
import { parseOfacBirthDate } from "./birth-dates";

/** Facts OFAC writes into the free-text Remarks column, clause by clause ("DOB 12 Jan 1960; POB …; nationality Iraq"). */
export interface OfacRemarkFacts {
  readonly birthDates: BirthDate[];
  readonly nationalities: string[];
  /** DOB clauses that could not be read as a date; kept in remarks and reported as warnings. */
  readonly unreadableBirthDates: string[];
}

const DOB_CLAUSE = /^(?:alt\.\s*)?DOB\s+(.+)$/iu;
const NATIONALITY_CLAUSE = /^(?:alt\.\s*)?(?:nationality|citizen)\s+(.+)$/iu;

export function extractOfacRemarkFacts(remarks: string | null): OfacRemarkFacts {
  const facts: OfacRemarkFacts = { birthDates: [], nationalities: [], unreadableBirthDates: [] };
  if (remarks === null) return facts;
  for (const rawClause of remarks.split(";")) {
    const clause = rawClause.trim().replace(/\.$/u, "").trim();
    const dob = DOB_CLAUSE.exec(clause);
    if (dob) {
      const birthDate = parseOfacBirthDate(dob[1]);
      if (birthDate) facts.birthDates.push(birthDate);
      else facts.unreadableBirthDates.push(clause);
      continue;
    }
    const nationality = NATIONALITY_CLAUSE.exec(clause);
    if (nationality) facts.nationalities.push(nationality[1].trim());
  }
  return facts;
}
