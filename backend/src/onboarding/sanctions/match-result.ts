import type { EvidenceOutcome } from "./evidence";
import type { EntryKind, NameQuality } from "./model";
import type { PartExplanation } from "./name-similarity";

/** One list entry that resembles the screened subject, with the reasons. */
export interface MatchResult {
  readonly listId: string;
  readonly listVersion: string;
  readonly entryId: string;
  readonly kind: EntryKind;
  /** Final score in [0, 1]: name score × alias weight, plus birth-date and country adjustments. */
  readonly score: number;
  /** Name similarity of the best-matching listed name, before adjustments. */
  readonly nameScore: number;
  readonly matchedName: { readonly full: string; readonly quality: NameQuality };
  readonly explanation: readonly PartExplanation[];
  readonly evidence: { readonly dob: EvidenceOutcome; readonly country: EvidenceOutcome };
  /** What moved the score away from the name score: alias weight (a factor), dob and country (added). */
  readonly adjustments: { readonly aliasWeight: number; readonly dob: number; readonly country: number };
}
