import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  deploySuite,
  verraBatch,
  claim,
  bytes16,
  ref,
  latestTime,
  CertificateStatus,
  type Suite,
} from "./helpers/fixtures";
import { attestationDigest, attr, certId, decodeTokenURI, expectLedger, recoverFirst } from "./helpers/ledger";
import type { RetirementCertificate } from "../typechain-types";

async function certificateFixture() {
  const s = await deploySuite();
  const [alice, bob, carol, relayer] = s.users;
  await s.kyc(alice);
  await s.kyc(bob);
  const id = await s.tokenize(verraBatch(1000n, 1999n), alice);
  await s.credit.connect(alice).retire(id, 10, claim());
  const cert = certId(id, 1000n);
  return { s, alice, bob, carol, relayer, id, cert };
}

/** Signs a registry confirmation of a certificate (lastSerial read from the contract unless overridden). */
async function confirmation(
  s: Suite,
  certificateId: bigint,
  accepted: boolean,
  registryRef = ref(`VCS-RET-${certificateId}`),
  overrides: Record<string, unknown> = {},
) {
  const lastSerial = overrides.lastSerial ?? (await s.certificate.certificate(certificateId)).lastSerial;
  const { value, signatures } = await s.attest("RetirementConfirmation", {
    certificateId,
    lastSerial,
    accepted,
    registryRef,
    ...overrides,
  });
  const digest = attestationDigest(s, "RetirementConfirmation", value);
  const send = (sub: { id?: bigint; accepted?: boolean; registryRef?: string } = {}) =>
    s.certificate.confirmRetirement(
      sub.id ?? certificateId,
      sub.accepted ?? accepted,
      sub.registryRef ?? registryRef,
      value.epoch as bigint,
      value.deadline as number,
      signatures,
    );
  return { value, signatures, digest, send };
}

describe("RetirementCertificate", () => {
  describe("deployment", () => {
    it("rejects zero credit or quorum; exposes both, name, symbol and the type hash", async () => {
      const { s } = await loadFixture(certificateFixture);
      const factory = await ethers.getContractFactory("RetirementCertificate");
      await expect(factory.deploy(ethers.ZeroAddress, await s.quorum.getAddress())).to.be.revertedWithCustomError(factory, "ZeroAddress");
      await expect(factory.deploy(await s.credit.getAddress(), ethers.ZeroAddress)).to.be.revertedWithCustomError(factory, "ZeroAddress");
      expect(await s.certificate.credit()).to.equal(await s.credit.getAddress());
      expect(await s.certificate.quorum()).to.equal(await s.quorum.getAddress());
      expect(await s.certificate.name()).to.equal("CarbonClear Retirement Certificate");
      expect(await s.certificate.symbol()).to.equal("CCRC");
      expect(await s.certificate.RETIREMENT_CONFIRMATION_TYPEHASH()).to.equal(
        ethers.id("RetirementConfirmation(uint256 certificateId,uint64 lastSerial,bool accepted,bytes32 registryRef,uint64 epoch,uint64 deadline)"),
      );
    });
  });

  // ------------------------------------------------------------------ minting and ERC-721 views
  describe("minting and views", () => {
    it("a retirement mints a locked certificate: Transfer + Locked events, owner, balance, view", async () => {
      const { s, alice, id } = await loadFixture(certificateFixture);
      const c = claim({ reason: "Scope 3" });
      const expected = certId(id, 1010n);
      const tx = s.credit.connect(alice).retire(id, 25, c);
      await expect(tx).to.emit(s.certificate, "Transfer").withArgs(ethers.ZeroAddress, alice.address, expected);
      await expect(tx).to.emit(s.certificate, "Locked").withArgs(expected);
      expect(await s.certificate.ownerOf(expected)).to.equal(alice.address);
      expect(await s.certificate.balanceOf(alice.address)).to.equal(2n);
      expect(await s.certificate.locked(expected)).to.equal(true);
      expect(await s.certificate.getApproved(expected)).to.equal(ethers.ZeroAddress);
      expect(await s.certificate.isApprovedForAll(alice.address, s.admin.address)).to.equal(false);
      const v = await s.certificate.certificate(expected);
      expect(v.owner).to.equal(alice.address);
      expect(v.batchId).to.equal(id);
      expect(v.firstSerial).to.equal(1010n);
      expect(v.lastSerial).to.equal(1034n);
      expect(v.quantity).to.equal(25n);
      expect(v.status).to.equal(BigInt(CertificateStatus.Pending));
      expect(v.registryRef).to.equal(ethers.ZeroHash);
      const encoded = ethers.AbiCoder.defaultAbiCoder().encode(
        ["tuple(address,string,bytes32,string,uint32,uint32,bytes2)"],
        [[c.beneficiary, c.beneficiaryName, c.beneficiaryCommitment, c.reason, c.periodStart, c.periodEnd, c.consumptionCountry]],
      );
      expect(v.detailsHash).to.equal(ethers.keccak256(encoded));
      await expectLedger(s, id, { minted: 1000n, retired: 35n, redeemed: 0n, holders: [alice.address] });
    });

    it("owner is the beneficiary when one is named, else the retiring holder; any address may be beneficiary", async () => {
      const { s, alice, carol, id } = await loadFixture(certificateFixture);
      await s.credit.connect(alice).retire(id, 1, claim({ beneficiary: carol.address }));
      await s.credit.connect(alice).retire(id, 1, claim({ beneficiary: await s.bridge.getAddress() }));
      expect(await s.certificate.ownerOf(certId(id, 1010n))).to.equal(carol.address);
      expect(await s.certificate.ownerOf(certId(id, 1011n))).to.equal(await s.bridge.getAddress());
      expect(await s.certificate.balanceOf(carol.address)).to.equal(1n);
      expect(await s.certificate.balanceOf(alice.address)).to.equal(1n);
      expect(await s.certificate.balanceOf(s.admin.address)).to.equal(0n);
    });

    it("unknown ids revert UnknownCertificate everywhere; balanceOf(0) reverts ZeroAddress", async () => {
      const { s, id } = await loadFixture(certificateFixture);
      const unknown = certId(id, 1001n); // inside a retired range, but not its first serial
      for (const call of [
        () => s.certificate.ownerOf(unknown),
        () => s.certificate.locked(unknown),
        () => s.certificate.getApproved(unknown),
        () => s.certificate.certificate(unknown),
        () => s.certificate.tokenURI(unknown),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(s.certificate, "UnknownCertificate").withArgs(unknown);
      }
      await expect(s.certificate.ownerOf(0)).to.be.revertedWithCustomError(s.certificate, "UnknownCertificate").withArgs(0);
      await expect(s.certificate.balanceOf(ethers.ZeroAddress)).to.be.revertedWithCustomError(s.certificate, "ZeroAddress");
    });

    it("is soulbound: every transfer and approval entry point reverts Soulbound, even for the owner", async () => {
      const { s, alice, bob, cert } = await loadFixture(certificateFixture);
      const c = s.certificate.connect(alice);
      await expect(c.approve(bob.address, cert)).to.be.revertedWithCustomError(s.certificate, "Soulbound");
      await expect(c.setApprovalForAll(bob.address, true)).to.be.revertedWithCustomError(s.certificate, "Soulbound");
      await expect(c.transferFrom(alice.address, bob.address, cert)).to.be.revertedWithCustomError(s.certificate, "Soulbound");
      await expect(c["safeTransferFrom(address,address,uint256)"](alice.address, bob.address, cert)).to.be.revertedWithCustomError(
        s.certificate,
        "Soulbound",
      );
      await expect(
        c["safeTransferFrom(address,address,uint256,bytes)"](alice.address, bob.address, cert, "0x"),
      ).to.be.revertedWithCustomError(s.certificate, "Soulbound");
      expect(await s.certificate.ownerOf(cert)).to.equal(alice.address);
      expect(await s.certificate.balanceOf(bob.address)).to.equal(0n);
      expect(await s.certificate.isApprovedForAll(alice.address, bob.address)).to.equal(false);
    });

    it("supportsInterface: ERC165, ERC721, ERC721Metadata, ERC5192 — and nothing else", async () => {
      const { s } = await loadFixture(certificateFixture);
      for (const i of ["0x01ffc9a7", "0x80ac58cd", "0x5b5e139f", "0xb45a3c0e"]) {
        expect(await s.certificate.supportsInterface(i), i).to.equal(true);
      }
      for (const i of ["0xffffffff", "0x00000000", "0xd9b67a26", "0x780e9d63", "0x7965db0b", "0x5b5e139e"]) {
        expect(await s.certificate.supportsInterface(i), i).to.equal(false);
      }
    });
  });

  // ------------------------------------------------------------------ mintCertificate guard
  describe("mintCertificate", () => {
    it("only the credit token may mint", async () => {
      const { s, alice } = await loadFixture(certificateFixture);
      await expect(s.certificate.connect(alice).mintCertificate(alice.address, 1, 1, 1, ethers.ZeroHash)).to.be.revertedWithCustomError(
        s.certificate,
        "OnlyCreditToken",
      );
      await expect(s.certificate.connect(s.admin).mintCertificate(alice.address, 1, 5000, 5000, ethers.ZeroHash)).to.be.revertedWithCustomError(
        s.certificate,
        "OnlyCreditToken",
      );
    });

    it("derives ids as (batchId << 64) | firstSerial, refuses a zero owner and an existing id", async () => {
      const { s, alice, bob, carol } = await loadFixture(certificateFixture);
      // a certificate contract whose "credit token" is an EOA, to drive mintCertificate directly
      const cert = (await ethers.deployContract("RetirementCertificate", [carol.address, await s.quorum.getAddress()])) as unknown as RetirementCertificate;
      const minter = cert.connect(carol);
      await expect(minter.mintCertificate(ethers.ZeroAddress, 1, 1, 1, ethers.ZeroHash)).to.be.revertedWithCustomError(cert, "ZeroAddress");
      const big = (1n << 64n) - 2n;
      const expected = (3n << 64n) | big;
      expect(await minter.mintCertificate.staticCall(alice.address, 3, big, big, ref("d"))).to.equal(expected);
      await expect(minter.mintCertificate(alice.address, 3, big, big, ref("d")))
        .to.emit(cert, "Transfer")
        .withArgs(ethers.ZeroAddress, alice.address, expected);
      const v = await cert.certificate(expected);
      expect([v.batchId, v.firstSerial, v.lastSerial, v.quantity, v.detailsHash]).to.deep.equal([3n, big, big, 1n, ref("d")]);
      await expect(minter.mintCertificate(bob.address, 3, big, big, ethers.ZeroHash))
        .to.be.revertedWithCustomError(cert, "CertificateExists")
        .withArgs(expected);
      // same serial, another batch: another id
      await minter.mintCertificate(alice.address, 4, big, big, ethers.ZeroHash);
      expect(await cert.balanceOf(alice.address)).to.equal(2n);
      expect(await cert.balanceOf(bob.address)).to.equal(0n);
    });
  });

  // ------------------------------------------------------------------ token URI
  describe("tokenURI", () => {
    it("decodes to JSON with the batch, exact serials, quantity, status and hashes", async () => {
      const { s, id, cert } = await loadFixture(certificateFixture);
      const json = decodeTokenURI(await s.certificate.tokenURI(cert));
      expect(json.name).to.equal(`CarbonClear Retirement #${cert}`);
      expect(json.description).to.equal("Retirement of 10 tCO2e, serials 1000-1009. Claim details are in the Retired event of the credit token.");
      expect(json.attributes).to.have.length(12);
      expect(attr(json, "Batch")).to.equal(Number(id));
      expect(attr(json, "Registry")).to.equal("VERRA");
      expect(attr(json, "Project")).to.equal("1340");
      expect(attr(json, "Methodology")).to.equal("VM0042");
      expect(attr(json, "Vintage start")).to.equal(20200101);
      expect(attr(json, "Vintage end")).to.equal(20201231);
      expect(attr(json, "First serial")).to.equal("1000");
      expect(attr(json, "Last serial")).to.equal("1009");
      expect(attr(json, "Quantity (tCO2e)")).to.equal(10);
      expect(attr(json, "Registry status")).to.equal("pending");
      expect(attr(json, "Registry reference")).to.equal(ethers.ZeroHash);
      expect(attr(json, "Claim details hash")).to.equal((await s.certificate.certificate(cert)).detailsHash);
    });

    it("follows the registry status: registry-confirmed / registry-rejected with the reference", async () => {
      const { s, alice, id, cert } = await loadFixture(certificateFixture);
      await (await confirmation(s, cert, true, ref("VCS-1"))).send();
      let json = decodeTokenURI(await s.certificate.tokenURI(cert));
      expect(attr(json, "Registry status")).to.equal("registry-confirmed");
      expect(attr(json, "Registry reference")).to.equal(ref("VCS-1"));
      await s.credit.connect(alice).retire(id, 1, claim());
      const second = certId(id, 1010n);
      await (await confirmation(s, second, false, ref("VCS-2"))).send();
      json = decodeTokenURI(await s.certificate.tokenURI(second));
      expect(attr(json, "Registry status")).to.equal("registry-rejected");
      expect(attr(json, "Registry reference")).to.equal(ref("VCS-2"));
      expect(attr(json, "First serial")).to.equal("1010");
      expect(attr(json, "Quantity (tCO2e)")).to.equal(1);
    });

    it("keeps serial numbers above 2^53 exact for JSON consumers (quoted, not lossy numbers)", async () => {
      const { s, alice } = await loadFixture(certificateFixture);
      const top = (1n << 64n) - 2n; // the highest serial a block may end at
      const id = await s.tokenize(verraBatch(top - 10n, top), alice);
      await s.credit.connect(alice).retire(id, 10, claim());
      const json = decodeTokenURI(await s.certificate.tokenURI(certId(id, top - 10n)));
      expect(attr(json, "First serial")).to.equal((top - 10n).toString());
      expect(attr(json, "Last serial")).to.equal((top - 1n).toString());
      expect(attr(json, "Quantity (tCO2e)")).to.equal(10);
      expect(json.description).to.equal(`Retirement of 10 tCO2e, serials ${top - 10n}-${top - 1n}. Claim details are in the Retired event of the credit token.`);
      expect(json.name).to.equal(`CarbonClear Retirement #${certId(id, top - 10n)}`);
    });

    it("stays valid JSON for identifiers with quotes, backslashes and all 16 bytes used", async () => {
      // Control bytes and text after the zero padding are refused when the batch is created
      // (test/CarbonCredit.identifiers.test.ts); printable JSON metacharacters must be escaped.
      const { s, alice } = await loadFixture(certificateFixture);
      const weird = 'V"M\\00/4{2}';
      const b = verraBatch(5000n, 5009n, {
        registry: bytes16("ABCDEFGHIJKLMNOP"),
        projectId: bytes16("13"),
        methodology: bytes16(weird),
      });
      const id = await s.tokenize(b, alice);
      await s.credit.connect(alice).retire(id, 2, claim());
      const json = decodeTokenURI(await s.certificate.tokenURI(certId(id, 5000n)));
      expect(attr(json, "Registry")).to.equal("ABCDEFGHIJKLMNOP");
      expect(attr(json, "Project")).to.equal("13");
      expect(attr(json, "Methodology")).to.equal(weird);
      expect(attr(json, "Batch")).to.equal(Number(id));
    });
  });

  // ------------------------------------------------------------------ registry confirmation
  describe("confirmRetirement", () => {
    it("a quorum confirmation sets Confirmed with the registry reference; anyone may relay", async () => {
      const { s, relayer, cert } = await loadFixture(certificateFixture);
      const c = await confirmation(s, cert, true, ref("VCS-RET-77"));
      const tx = s.certificate
        .connect(relayer)
        .confirmRetirement(cert, true, ref("VCS-RET-77"), c.value.epoch as bigint, c.value.deadline as number, c.signatures);
      await expect(tx).to.emit(s.certificate, "RegistryStatusChanged").withArgs(cert, CertificateStatus.Confirmed, ref("VCS-RET-77"));
      await expect(tx)
        .to.emit(s.quorum, "AttestationConsumed")
        .withArgs(c.digest, await s.certificate.getAddress(), 1n, s.oracles.slice(0, 2).map((o) => o.address));
      const v = await s.certificate.certificate(cert);
      expect(v.status).to.equal(BigInt(CertificateStatus.Confirmed));
      expect(v.registryRef).to.equal(ref("VCS-RET-77"));
      expect(await s.quorum.isConsumed(c.digest)).to.equal(true);
    });

    it("a quorum rejection sets Rejected", async () => {
      const { s, cert } = await loadFixture(certificateFixture);
      await expect((await confirmation(s, cert, false, ref("refused"))).send())
        .to.emit(s.certificate, "RegistryStatusChanged")
        .withArgs(cert, CertificateStatus.Rejected, ref("refused"));
      expect((await s.certificate.certificate(cert)).status).to.equal(BigInt(CertificateStatus.Rejected));
    });

    it("replay and later verdicts on a final certificate revert CertificateNotPending(id, status)", async () => {
      const { s, cert } = await loadFixture(certificateFixture);
      const c = await confirmation(s, cert, true);
      await c.send();
      await expect(c.send()).to.be.revertedWithCustomError(s.certificate, "CertificateNotPending").withArgs(cert, CertificateStatus.Confirmed);
      await expect((await confirmation(s, cert, false, ref("late"))).send())
        .to.be.revertedWithCustomError(s.certificate, "CertificateNotPending")
        .withArgs(cert, CertificateStatus.Confirmed);
      expect((await s.certificate.certificate(cert)).status).to.equal(BigInt(CertificateStatus.Confirmed));
    });

    it("a rejected certificate is final too", async () => {
      const { s, cert } = await loadFixture(certificateFixture);
      await (await confirmation(s, cert, false)).send();
      await expect((await confirmation(s, cert, true, ref("retry"))).send())
        .to.be.revertedWithCustomError(s.certificate, "CertificateNotPending")
        .withArgs(cert, CertificateStatus.Rejected);
    });

    it("a confirmation signed over a wrong lastSerial does not match (UnknownSigner) and changes nothing", async () => {
      const { s, cert } = await loadFixture(certificateFixture);
      const c = await confirmation(s, cert, true, ref("r"), { lastSerial: 1010n });
      const recovered = recoverFirst(attestationDigest(s, "RetirementConfirmation", { ...c.value, lastSerial: 1009n }), c.signatures);
      await expect(c.send()).to.be.revertedWithCustomError(s.quorum, "UnknownSigner").withArgs(recovered);
      const v = await s.certificate.certificate(cert);
      expect(v.status).to.equal(BigInt(CertificateStatus.Pending));
      expect(v.registryRef).to.equal(ethers.ZeroHash);
    });

    it("tampered accepted flag or registry reference, or another certificate's attestation → UnknownSigner", async () => {
      const { s, alice, id, cert } = await loadFixture(certificateFixture);
      await s.credit.connect(alice).retire(id, 10, claim());
      const other = certId(id, 1010n);
      const c = await confirmation(s, cert, true, ref("r"));
      const flipped = recoverFirst(attestationDigest(s, "RetirementConfirmation", { ...c.value, accepted: false }), c.signatures);
      await expect(c.send({ accepted: false })).to.be.revertedWithCustomError(s.quorum, "UnknownSigner").withArgs(flipped);
      const swapped = recoverFirst(attestationDigest(s, "RetirementConfirmation", { ...c.value, registryRef: ref("x") }), c.signatures);
      await expect(c.send({ registryRef: ref("x") })).to.be.revertedWithCustomError(s.quorum, "UnknownSigner").withArgs(swapped);
      // cert #2 has lastSerial 1019: both id and lastSerial differ from the signed values
      const moved = recoverFirst(
        attestationDigest(s, "RetirementConfirmation", { ...c.value, certificateId: other, lastSerial: 1019n }),
        c.signatures,
      );
      await expect(c.send({ id: other })).to.be.revertedWithCustomError(s.quorum, "UnknownSigner").withArgs(moved);
      expect((await s.certificate.certificate(other)).status).to.equal(BigInt(CertificateStatus.Pending));
      await c.send();
      expect((await s.certificate.certificate(cert)).status).to.equal(BigInt(CertificateStatus.Confirmed));
    });

    it("UnknownCertificate and MissingRegistryRef", async () => {
      const { s, id, cert } = await loadFixture(certificateFixture);
      const unknown = certId(id, 1500n);
      const c = await confirmation(s, unknown, true, ref("r"), { lastSerial: 1500n });
      await expect(c.send()).to.be.revertedWithCustomError(s.certificate, "UnknownCertificate").withArgs(unknown);
      await expect((await confirmation(s, cert, true, ethers.ZeroHash)).send()).to.be.revertedWithCustomError(
        s.certificate,
        "MissingRegistryRef",
      );
    });

    it("expired, under-signed and stale-epoch confirmations are refused by the quorum", async () => {
      const { s, cert } = await loadFixture(certificateFixture);
      const past = (await latestTime()) - 1;
      await expect((await confirmation(s, cert, true, ref("r"), { deadline: past })).send())
        .to.be.revertedWithCustomError(s.quorum, "AttestationExpired")
        .withArgs(past);
      const { value, signatures } = await s.attest(
        "RetirementConfirmation",
        { certificateId: cert, lastSerial: 1009n, accepted: true, registryRef: ref("r") },
        s.oracles.slice(0, 1),
      );
      await expect(s.certificate.confirmRetirement(cert, true, ref("r"), value.epoch as bigint, value.deadline as number, signatures))
        .to.be.revertedWithCustomError(s.quorum, "InsufficientSignatures")
        .withArgs(1, 2);
      await expect((await confirmation(s, cert, true, ref("r"), { epoch: 0n })).send())
        .to.be.revertedWithCustomError(s.quorum, "StaleEpoch")
        .withArgs(0n, 1n);
    });

    it("works while the credit token is paused (registry verdicts are never blocked)", async () => {
      const { s, cert } = await loadFixture(certificateFixture);
      await s.credit.pause();
      await (await confirmation(s, cert, true)).send();
      expect((await s.certificate.certificate(cert)).status).to.equal(BigInt(CertificateStatus.Confirmed));
    });

    it("needs the certificate contract to hold the quorum consumer role", async () => {
      const { s, cert } = await loadFixture(certificateFixture);
      const role = await s.quorum.CONSUMER_ROLE();
      await s.quorum.revokeRole(role, await s.certificate.getAddress());
      await expect((await confirmation(s, cert, true)).send())
        .to.be.revertedWithCustomError(s.quorum, "AccessControlUnauthorizedAccount")
        .withArgs(await s.certificate.getAddress(), role);
    });
  });

  describe("multicall", () => {
    it("confirms several certificates in one transaction, all or nothing", async () => {
      const { s, alice, relayer, id, cert } = await loadFixture(certificateFixture);
      await s.credit.connect(alice).retire(id, 5, claim());
      const second = certId(id, 1010n);
      const a = await confirmation(s, cert, true);
      const b = await confirmation(s, second, false);
      const encode = (c: typeof a, certificateId: bigint, accepted: boolean) =>
        s.certificate.interface.encodeFunctionData("confirmRetirement", [
          certificateId,
          accepted,
          c.value.registryRef as string,
          c.value.epoch as bigint,
          c.value.deadline as number,
          c.signatures,
        ]);
      await expect(s.certificate.connect(relayer).multicall([encode(a, cert, true), encode(a, cert, true)])).to.be.revertedWithCustomError(
        s.certificate,
        "CertificateNotPending",
      );
      expect((await s.certificate.certificate(cert)).status).to.equal(CertificateStatus.Pending);
      await s.certificate.connect(relayer).multicall([encode(a, cert, true), encode(b, second, false)]);
      expect((await s.certificate.certificate(cert)).status).to.equal(CertificateStatus.Confirmed);
      expect((await s.certificate.certificate(second)).status).to.equal(CertificateStatus.Rejected);
    });
  });
});
