import fc from "fast-check";
import { bytesToHex, hashTypedData, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { attestationDigest, attestationTypedData } from "../oracle/node";
import { ATTESTATION_TYPES, type AttestationKind } from "./eip712";
import { compileTypedDataHasher, TypedDataValueError } from "./typedDataHasher";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => bytesToHex(b));
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const smallUint = (bits: number) => fc.integer({ min: 0, max: 2 ** bits - 1 });
const address = bytes(20);

const batch = fc.record({
  registry: bytes(16),
  projectId: bytes(16),
  methodology: bytes(16),
  serialScope: uint(64),
  serialStart: uint(64),
  serialEnd: uint(64),
  vintageStart: smallUint(32),
  vintageEnd: smallUint(32),
  country: bytes(2),
  jurisdiction: bytes(2),
  labels: smallUint(16),
  correspondingAdjustment: smallUint(8),
  mrvDatasetId: bytes(32),
  serialNumber: fc.string({ unit: "grapheme", maxLength: 120 }),
});
const messages: { [K in AttestationKind]: fc.Arbitrary<unknown> } = {
  TokenizeAttestation: fc.record({ batch, owner: address, lockRef: bytes(32), epoch: uint(64), deadline: uint(64) }),
  RedemptionResult: fc.record({
    redemptionId: uint(256),
    batchId: uint(256),
    firstSerial: uint(64),
    lastSerial: uint(64),
    accepted: fc.boolean(),
    registryRef: bytes(32),
    epoch: uint(64),
    deadline: uint(64),
  }),
  RetirementConfirmation: fc.record({ certificateId: uint(256), lastSerial: uint(64), accepted: fc.boolean(), registryRef: bytes(32), epoch: uint(64), deadline: uint(64) }),
  TradeConfirmation: fc.record({ tradeId: bytes(32), registryRef: bytes(32), epoch: uint(64), deadline: uint(64) }),
};

describe("compiled EIP-712 hasher", () => {
  for (const kind of Object.keys(ATTESTATION_TYPES) as AttestationKind[]) {
    it(`${kind}: the digest equals viem's hashTypedData`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 40 }), address, messages[kind], (chainId, quorum, message) => {
          const viem = hashTypedData(attestationTypedData(kind, chainId, quorum as Hex, message as never) as never);
          expect(attestationDigest(kind, chainId, quorum as Hex, message as never)).toBe(viem);
        }),
        { numRuns: 150 },
      );
    });
  }

  it("refuses values that do not fit their type, naming the field", () => {
    const hash = compileTypedDataHasher({ name: "T", version: "1", chainId: 1 }, ATTESTATION_TYPES.TradeConfirmation, "TradeConfirmation");
    const good = { tradeId: `0x${"11".repeat(32)}`, registryRef: `0x${"22".repeat(32)}`, epoch: 1n, deadline: 2n };
    expect(hash(good)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(() => hash({ ...good, epoch: 1n << 64n })).toThrow(/TradeConfirmation\.epoch: expected a uint64/);
    expect(() => hash({ ...good, epoch: -1n })).toThrow(TypedDataValueError);
    expect(() => hash({ ...good, tradeId: "0x1234" })).toThrow(/TradeConfirmation\.tradeId: expected bytes32/);
    expect(() => hash({ ...good, registryRef: undefined })).toThrow(/registryRef/);
    expect(() => compileTypedDataHasher({ chainId: 1 }, { T: [{ name: "xs", type: "uint256[]" }] }, "T")).toThrow(/not supported/);
  });
});
