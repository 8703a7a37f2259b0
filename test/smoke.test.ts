import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deploySuite, verraBatch, claim } from "./helpers/fixtures";

describe("ledger smoke", () => {
  it("tokenizes, transfers and retires", async () => {
    const s = await loadFixture(deploySuite);
    const [alice, bob] = s.users;
    await s.kyc(alice);
    await s.kyc(bob);
    const id = await s.tokenize(verraBatch(1000n, 1999n), alice);
    await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 10, "0x");
    await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 10, "0x");
    const t = await (await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 10, "0x")).wait();
    const r = await (await s.credit.connect(bob).retire(id, 5, claim())).wait();
    console.log("transfer gas", t!.gasUsed, "retire gas", r!.gasUsed);
    expect(await s.credit.totalSupply(id)).to.equal(995n);
    const uri = await s.certificate.tokenURI((id << 64n) | 1000n);
    console.log(Buffer.from(uri.split(",")[1], "base64").toString());
    void ethers;
  });
});
