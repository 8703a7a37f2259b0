/**
 * Test helpers of the MRV module (imported by tests only).
 */
import fc from "fast-check";

/**
 * 32-byte leaf hashes whose first 4 bytes (the sort prefix the leaf sorters key on) come from a
 * small set as often as not, so that many hashes tie on the prefix and are ordered by the rest.
 */
export const prefixTiedLeafHash: fc.Arbitrary<Buffer> = fc
  .tuple(fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.nat({ max: 0xffffffff })), fc.uint8Array({ minLength: 28, maxLength: 28 }))
  .map(([prefix, rest]) => {
    const hash = Buffer.alloc(32);
    hash.writeUInt32BE(prefix, 0);
    hash.set(rest, 4);
    return hash;
  });
