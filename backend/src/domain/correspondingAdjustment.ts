/**
 * Corresponding-adjustment status (Article 6), after the CADT data model. The order is the
 * on-chain enum's (`ICarbonCredit.CorrespondingAdjustment`): the index is the uint8 value.
 */
import { z } from "zod";

export const CORRESPONDING_ADJUSTMENTS = ["Unknown", "NotRequired", "NotStarted", "Pending", "Completed"] as const;
export const correspondingAdjustmentSchema = z.enum(CORRESPONDING_ADJUSTMENTS);
export type CorrespondingAdjustment = z.infer<typeof correspondingAdjustmentSchema>;

export function correspondingAdjustmentToUint8(value: CorrespondingAdjustment): number {
  return CORRESPONDING_ADJUSTMENTS.indexOf(value);
}

export function correspondingAdjustmentFromUint8(value: number): CorrespondingAdjustment {
  const status = CORRESPONDING_ADJUSTMENTS[value];
  if (!Number.isInteger(value) || status === undefined) {
    throw new RangeError(`corresponding adjustment ${value} is not an integer in 0..${CORRESPONDING_ADJUSTMENTS.length - 1}`);
  }
  return status;
}
