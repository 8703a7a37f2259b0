/**
 * The onboarding state machine: applied → documents_submitted → documents_verified → screened →
 * registry_linked → approved, or rejected / needs_manual_review. `needs_manual_review` parks an
 * applicant on an open review case; resolving the case moves it on or rejects it.
 */
export const APPLICANT_STATES = [
  "applied",
  "documents_submitted",
  "documents_verified",
  "screened",
  "registry_linked",
  "approved",
  "rejected",
  "needs_manual_review",
] as const;
export type ApplicantState = (typeof APPLICANT_STATES)[number];

/** Every allowed transition; anything else is refused with ILLEGAL_TRANSITION. */
export const TRANSITIONS: Readonly<Record<ApplicantState, readonly ApplicantState[]>> = {
  applied: ["documents_submitted", "rejected"],
  documents_submitted: ["documents_verified", "needs_manual_review", "rejected"],
  documents_verified: ["screened", "needs_manual_review", "rejected"],
  screened: ["registry_linked", "needs_manual_review", "rejected"],
  registry_linked: ["approved", "needs_manual_review", "rejected"],
  // A list update with a new hit parks an approved counterparty (its wallet frozen) on a review case.
  approved: ["needs_manual_review"],
  // Resolving a case: documents accepted, screening hit cleared, list-update hit cleared, or rejected.
  needs_manual_review: ["documents_verified", "screened", "approved", "rejected"],
  rejected: [],
};

export function canTransition(from: ApplicantState, to: ApplicantState): boolean {
  return TRANSITIONS[from].includes(to);
}
