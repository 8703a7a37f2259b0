import { z } from "zod";
import type { MatchResult } from "./match-result";

/**
 * A reviewer's decision that a list entry is not the screened subject. It holds only for the list
 * version it was reviewed on: when the list is republished (new content hash) the match surfaces again.
 */
export const falsePositiveReviewSchema = z.object({
  listId: z.string().min(1),
  listVersion: z.string().min(1),
  entryId: z.string().min(1),
  /** Who was screened: an applicant or counterparty id chosen by the caller. */
  subjectKey: z.string().min(1),
  reviewedBy: z.string().min(1),
  reviewedAt: z.iso.datetime({ offset: true }),
  reason: z.string().min(1),
});
export type FalsePositiveReview = z.infer<typeof falsePositiveReviewSchema>;

export interface SuppressedMatch {
  readonly match: MatchResult;
  readonly review: FalsePositiveReview;
}

export function recordFalsePositive(
  match: MatchResult,
  decision: { subjectKey: string; reviewedBy: string; reviewedAt: string; reason: string },
): FalsePositiveReview {
  return falsePositiveReviewSchema.parse({
    listId: match.listId, listVersion: match.listVersion, entryId: match.entryId, ...decision,
  });
}

function reviewKey(listId: string, listVersion: string, entryId: string, subjectKey: string): string {
  return JSON.stringify([listId, listVersion, entryId, subjectKey]);
}

/** What a review is keyed on, besides the subject. */
export interface ListedEntryRef {
  readonly listId: string;
  readonly listVersion: string;
  readonly entryId: string;
}

/** Splits matches into those still to review and those a review on this exact list version cleared. */
export function partitionBySuppression<T extends ListedEntryRef>(
  matches: readonly T[],
  subjectKey: string,
  reviews: readonly FalsePositiveReview[],
): { active: T[]; suppressed: { match: T; review: FalsePositiveReview }[] } {
  const byKey = new Map(reviews.map((review) => [reviewKey(review.listId, review.listVersion, review.entryId, review.subjectKey), review]));
  const active: T[] = [];
  const suppressed: { match: T; review: FalsePositiveReview }[] = [];
  for (const match of matches) {
    const review = byKey.get(reviewKey(match.listId, match.listVersion, match.entryId, subjectKey));
    if (review) suppressed.push({ match, review });
    else active.push(match);
  }
  return { active, suppressed };
}
