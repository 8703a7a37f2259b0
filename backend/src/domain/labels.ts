/**
 * Quality and eligibility labels of a batch, stored on-chain as the `labels` bitmask
 * (CarbonCredit: LABEL_CCP = 1, LABEL_CORSIA = 2, LABEL_ARTICLE6 = 4).
 */
import { z } from "zod";

export const LABELS = ["CCP", "CORSIA", "ARTICLE6_AUTHORIZED"] as const;
export const labelSchema = z.enum(LABELS);
export type Label = z.infer<typeof labelSchema>;

export const LABEL_BITS: Readonly<Record<Label, number>> = {
  CCP: 1, // ICVCM Core Carbon Principles
  CORSIA: 2, // CORSIA eligible
  ARTICLE6_AUTHORIZED: 4, // Article 6 authorized (host-country letter of authorization)
};

/** Highest valid bitmask (all labels). */
export const ALL_LABELS_MASK = 7;

export function labelsToBitmask(labels: readonly Label[]): number {
  return labels.reduce((mask, label) => mask | LABEL_BITS[label], 0);
}

/** The labels of an on-chain bitmask, in {@link LABELS} order. */
export function labelsFromBitmask(mask: number): Label[] {
  if (!Number.isInteger(mask) || mask < 0 || mask > ALL_LABELS_MASK) {
    throw new RangeError(`labels bitmask ${mask} is not an integer in 0..${ALL_LABELS_MASK}`);
  }
  return LABELS.filter((label) => (mask & LABEL_BITS[label]) !== 0);
}
