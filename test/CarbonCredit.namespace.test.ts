import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { bytes16, deploySuite, verraBatch } from "./helpers/fixtures";

describe("CarbonCredit.createSerialNamespace", () => {
  it("pre-creates a namespace once, emits its event, and tokenizing into it still guards overlaps", async () => {
    const s = await loadFixture(deploySuite);
    const [alice] = s.users;
    await s.kyc(alice);
    const ns = await s.credit.serialNamespace(bytes16("VERRA"), 0n);

    await expect(s.credit.connect(s.admin).createSerialNamespace(bytes16("VERRA"), 0n))
      .to.emit(s.credit, "SerialNamespaceCreated")
      .withArgs(ns, bytes16("VERRA"), 0n);
    await expect(s.credit.connect(s.admin).createSerialNamespace(bytes16("VERRA"), 0n))
      .to.be.revertedWithCustomError(s.credit, "SerialNamespaceExists")
      .withArgs(ns);

    const id = await s.tokenize(verraBatch(100n, 199n), alice, { hint: 0n });
    expect(await s.credit.balanceOf(alice.address, id)).to.equal(100n);
    const [end, next] = await s.credit.serialBlock(ns, 100n);
    expect([end, next]).to.deep.equal([199n, 0n]);
    expect(await s.credit.serialPredecessor(ns, 300n)).to.equal(100n);
    await expect(s.tokenize(verraBatch(150n, 250n), alice, { hint: 100n }))
      .to.be.revertedWithCustomError(s.credit, "SerialBlockOverlaps")
      .withArgs(100n, 199n);
    await expect(s.tokenize(verraBatch(50n, 120n), alice, { hint: 0n }))
      .to.be.revertedWithCustomError(s.credit, "SerialBlockOverlaps")
      .withArgs(100n, 199n);
  });

  it("refuses a namespace in use, an empty registry id and callers without the admin role", async () => {
    const s = await loadFixture(deploySuite);
    const [alice] = s.users;
    await s.kyc(alice);
    await s.tokenize(verraBatch(1n, 10n), alice);
    const ns = await s.credit.serialNamespace(bytes16("VERRA"), 0n);
    await expect(s.credit.connect(s.admin).createSerialNamespace(bytes16("VERRA"), 0n))
      .to.be.revertedWithCustomError(s.credit, "SerialNamespaceExists")
      .withArgs(ns);
    await expect(s.credit.connect(s.admin).createSerialNamespace("0x" + "00".repeat(16), 0n))
      .to.be.revertedWithCustomError(s.credit, "InvalidBatchInfo")
      .withArgs("registry");
    await expect(s.credit.connect(alice).createSerialNamespace(bytes16("CCTS"), 2025n))
      .to.be.revertedWithCustomError(s.credit, "AccessControlUnauthorizedAccount")
      .withArgs(alice.address, await s.credit.DEFAULT_ADMIN_ROLE());
  });
});
