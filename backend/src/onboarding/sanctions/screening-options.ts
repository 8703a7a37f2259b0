import { z } from "zod";
import { parsePartialIsoDate } from "../calendar-date";
import type { MatchResult } from "./match-result";
import { normalizeName } from "./normalize";
import { falsePositiveReviewSchema, type SuppressedMatch } from "./suppression";

/** Who or what is being screened, as an applicant or an operator typed it. */
export const screeningQuerySchema = z.object({
  name: z.string().trim().min(1).refine((name) => normalizeName(name).tokens.length > 0, "a name with at least one letter or digit"),
  /** YYYY, YYYY-MM or YYYY-MM-DD. */
  dob: z.string().refine((dob) => parsePartialIsoDate(dob) !== null, "a date YYYY, YYYY-MM or YYYY-MM-DD").optional(),
  /** ISO 3166 alpha-2/alpha-3 code or English country name. */
  country: z.string().trim().min(1).optional(),
  /** Restricts screening to entries of this kind (entries of unknown kind are always screened). */
  kind: z.enum(["individual", "entity", "vessel", "aircraft"]).optional(),
});
export type ScreeningQuery = z.input<typeof screeningQuerySchema>;

export const scoringWeightsSchema = z.object({
  /** Multiplies the name score of a weak ("Low" quality) alias. */
  weakAliasFactor: z.number().min(0).max(1).default(0.8),
  /** Multiplies the name score of a former name. */
  formerNameFactor: z.number().min(0).max(1).default(0.95),
  dobMatchBonus: z.number().min(0).max(0.2).default(0.05),
  dobMismatchPenalty: z.number().min(0).max(1).default(0.15),
  countryMatchBonus: z.number().min(0).max(0.2).default(0.03),
  countryMismatchPenalty: z.number().min(0).max(1).default(0.05),
});
export type ScoringWeights = z.output<typeof scoringWeightsSchema>;

export const screeningOptionsSchema = z.object({
  /** Minimum final score to report; 0.70 is yente's default. */
  threshold: z.number().min(0).max(1).default(0.7),
  limit: z.number().int().min(1).max(10_000).default(10),
  weights: scoringWeightsSchema.prefault({}),
  /** Reviewed false positives for this subject; each holds for the list version it was reviewed on. */
  suppression: z.object({ subjectKey: z.string().min(1), reviews: z.array(falsePositiveReviewSchema) }).optional(),
});
export type ScreeningOptions = z.input<typeof screeningOptionsSchema>;

export interface ScreeningResult {
  /** Matches at or above the threshold, best first, at most `limit`, reviewed false positives removed. */
  readonly matches: readonly MatchResult[];
  /** Matches cleared by a review on the current list version (not counted against `limit`). */
  readonly suppressed: readonly SuppressedMatch[];
  /** How many listed names were compared in full (those whose score upper bound could reach the threshold). */
  readonly namesCompared: number;
  /**
   * True when birth date and country bonuses alone could reach the threshold (a name sharing no similar
   * part scores 0), so every name was compared.
   */
  readonly fullScan: boolean;
}
