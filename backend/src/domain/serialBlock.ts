/**
 * A block of registry serial numbers: `[serialStart, serialEnd]` (inclusive) inside a registry's
 * numbering namespace `serialScope` (0 when the registry numbers credits registry-wide). One
 * serial number is one tonne (one token unit).
 */
import { z } from "zod";
import { UINT64_MAX, uint64Schema } from "./encoding";
import { registryIdSchema } from "./registries";

/** Largest serial number the chain accepts (CarbonCredit rejects `serialEnd == type(uint64).max`). */
export const MAX_SERIAL = UINT64_MAX - 1n;

export const serialBlockSchema = z
  .object({
    registry: registryIdSchema,
    serialScope: uint64Schema,
    serialStart: uint64Schema.refine((v) => v >= 1n, { message: "must be at least 1" }),
    serialEnd: uint64Schema.refine((v) => v <= MAX_SERIAL, { message: `must be at most ${MAX_SERIAL}` }),
  })
  .superRefine((block, ctx) => {
    if (block.serialEnd < block.serialStart) {
      ctx.addIssue({
        code: "custom",
        path: ["serialEnd"],
        message: `must not be less than serialStart (${block.serialEnd} < ${block.serialStart})`,
      });
    }
  });
export type SerialBlock = z.infer<typeof serialBlockSchema>;

/** Number of serials (tonnes) in the block. */
export function serialBlockQuantity(block: Pick<SerialBlock, "serialStart" | "serialEnd">): bigint {
  return block.serialEnd - block.serialStart + 1n;
}

/** Whether two blocks share at least one serial number of the same registry namespace. */
export function serialBlocksOverlap(a: SerialBlock, b: SerialBlock): boolean {
  return (
    a.registry === b.registry &&
    a.serialScope === b.serialScope &&
    a.serialStart <= b.serialEnd &&
    b.serialStart <= a.serialEnd
  );
}

/** Whether `inner` lies entirely within `outer`. */
export function serialBlockContains(outer: SerialBlock, inner: SerialBlock): boolean {
  return (
    outer.registry === inner.registry &&
    outer.serialScope === inner.serialScope &&
    outer.serialStart <= inner.serialStart &&
    inner.serialEnd <= outer.serialEnd
  );
}
