import { expect } from "chai";
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
});
