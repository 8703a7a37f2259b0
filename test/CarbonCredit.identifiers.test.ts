import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { bytes16, deploySuite, verraBatch } from "./helpers/fixtures";

/** A bytes16 from raw byte values, right-padded with zeros. */
const raw = (...bytes: number[]): string => ethers.zeroPadBytes(Uint8Array.from(bytes), 16);

describe("CarbonCredit batch identifiers", () => {
  it("accepts printable ASCII right-padded with zeros, including a full 16 bytes", async () => {
    const s = await loadFixture(deploySuite);
    const [alice] = s.users;
    await s.kyc(alice);
    const id = await s.tokenize(verraBatch(1n, 10n, { projectId: bytes16("VCS-1340 ~!\"\\{}"), methodology: bytes16("AMS-I.D.v18.0abc") }), alice);
    const meta = await s.credit.batchMeta(id);
    expect(ethers.toUtf8String(ethers.stripZerosLeft(meta.methodology))).to.equal("AMS-I.D.v18.0abc");
    expect(await s.credit.balanceOf(alice.address, id)).to.equal(10n);
  });

  const cases: Array<[string, Record<string, string>, string]> = [
    ["a registry id with a byte >= 0x80", { registry: raw(0x56, 0xc3, 0xa9) }, "registry"],
    ["a project id with text after a zero byte", { projectId: raw(0x41, 0x42, 0x00, 0x43) }, "projectId"],
    ["a methodology with a control character", { methodology: raw(0x56, 0x4d, 0x1f) }, "methodology"],
    ["a methodology with DEL (0x7f)", { methodology: raw(0x56, 0x7f) }, "methodology"],
  ];
  for (const [what, overrides, field] of cases) {
    it(`refuses ${what} with InvalidBatchInfo("${field}") and mints nothing`, async () => {
      const s = await loadFixture(deploySuite);
      const [alice] = s.users;
      await s.kyc(alice);
      await expect(s.tokenize(verraBatch(1n, 10n, overrides), alice, { hint: 0n }))
        .to.be.revertedWithCustomError(s.credit, "InvalidBatchInfo")
        .withArgs(field);
      expect(await s.credit.batchCount()).to.equal(0n);
    });
  }

  /** The byte-by-byte rule the contract implements without a loop. */
  function isShortTextReference(bytes: Uint8Array): boolean {
    let ended = false;
    for (const c of bytes) {
      if (c === 0) ended = true;
      else if (ended || c < 0x20 || c > 0x7e) return false;
    }
    return true;
  }

  it("accepts exactly the bytes16 texts the byte-by-byte rule accepts (property)", async () => {
    const s = await loadFixture(deploySuite);
    const [alice] = s.users;
    await s.kyc(alice);
    await s.credit.grantRole(await s.credit.BRIDGE_ROLE(), s.admin.address);
    // Bytes near every boundary (0x00, 0x1f/0x20, 0x7e/0x7f, 0x80, 0xff), often followed by zero padding.
    const byte = fc.oneof(fc.constantFrom(0x00, 0x01, 0x1f, 0x20, 0x21, 0x41, 0x7e, 0x7f, 0x80, 0x81, 0xdf, 0xe0, 0xff), fc.integer({ min: 0, max: 255 }));
    const text = fc
      .tuple(fc.array(byte, { minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 16 }))
      .map(([bytes, keep]) => Uint8Array.from(bytes.map((b, i) => (i < keep ? b : 0))));
    await fc.assert(
      fc.asyncProperty(text, async (bytes) => {
        const methodology = ethers.hexlify(bytes);
        const call = s.credit.createBatch.staticCall(verraBatch(1n, 10n, { methodology }), 0n, alice.address, ethers.ZeroHash);
        if (isShortTextReference(bytes)) expect(await call).to.equal(1n);
        else await expect(call).to.be.revertedWithCustomError(s.credit, "InvalidBatchInfo").withArgs("methodology");
      }),
      { numRuns: 400 },
    );
  });
});
