import fc from "fast-check";
import { bytesToHex, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { keccak256Bytes, keccak256Hex } from "./keccak";

describe("native keccak256", () => {
  it("hashes bytes, sub-arrays and hex exactly as viem does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat({ max: 16 }), (bytes, cut) => {
        expect(keccak256Hex(bytes)).toBe(keccak256(bytes));
        expect(keccak256Hex(bytesToHex(bytes))).toBe(keccak256(bytes));
        // A view into a larger buffer hashes only its own bytes.
        const view = bytes.subarray(Math.min(cut, bytes.length));
        expect(bytesToHex(keccak256Bytes(view))).toBe(keccak256(view));
      }),
      { numRuns: 300 },
    );
  });

  it("is Ethereum's Keccak-256, not NIST SHA3-256", () => {
    expect(keccak256Hex(new Uint8Array())).toBe("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  });
});
