import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  deploySuite,
  verraBatch,
  claim,
  bytes16,
  bytes2,
  ref,
  EntityType,
  Ineligibility,
  Label,
  Status,
  latestTime,
  type BatchInfo,
  type Suite,
} from "./helpers/fixtures";
import {
  MAX_UINT64,
  asBridge,
  certId,
  deployReceiver,
  expectBatchInfo,
  expectLedger,
  expectRevertData,
  hintFor,
  namespaceOf,
  prng,
  serialList,
} from "./helpers/ledger";
import type { CarbonCredit, IdentityRegistry } from "../typechain-types";

const CA = { Unknown: 0, NotRequired: 1, NotStarted: 2, Pending: 3, Completed: 4 } as const;
const Mode = { Accept: 0, RejectValue: 1, RejectRevert: 2 } as const;

async function ledgerFixture() {
  const s = await deploySuite();
  const [alice, bob, carol, dave, erin, operator, bridgeEoa, outsider] = s.users;
  await s.kyc(alice);
  await s.kyc(bob);
  await s.kyc(dave, { country: "IN" });
  await s.kyc(erin, { country: "IN" });
  await asBridge(s, bridgeEoa);
  const batch = verraBatch(1000n, 1999n);
  const id = await s.tokenize(batch, alice);
  return { s, alice, bob, carol, dave, erin, operator, bridgeEoa, outsider, batch, id };
}

type F = Awaited<ReturnType<typeof ledgerFixture>>;

/** Creates a batch directly through the bridge role (no attestation), with the correct hint unless given. */
async function create(f: F, info: BatchInfo, owner: string, hint?: bigint): Promise<bigint> {
  const h = hint ?? (await hintFor(f.s, info));
  await f.s.credit.connect(f.bridgeEoa).createBatch(info, h, owner, ref(`lock-${info.serialStart}`));
  return f.s.credit.batchCount();
}

/** createBatch through the bridge role; the hint defaults to the correct predecessor. */
async function createTx(f: F, info: BatchInfo, owner: string, hint?: bigint) {
  const h = hint ?? (await hintFor(f.s, info));
  return f.s.credit.connect(f.bridgeEoa).createBatch(info, h, owner, ref("lock"));
}

const freeze = (s: Suite, w: string) => s.identity.connect(s.compliance).freeze(w, "investigation");

describe("CarbonCredit", () => {
  // ------------------------------------------------------------------ deployment and admin
  describe("deployment and admin", () => {
    it("constructor rejects a zero admin or identity registry", async () => {
      const { s } = await loadFixture(ledgerFixture);
      const factory = await ethers.getContractFactory("CarbonCredit");
      await expect(factory.deploy(ethers.ZeroAddress, await s.identity.getAddress(), "")).to.be.revertedWithCustomError(
        factory,
        "ZeroAddress",
      );
      await expect(factory.deploy(s.admin.address, ethers.ZeroAddress, "")).to.be.revertedWithCustomError(
        factory,
        "ZeroAddress",
      );
    });

    it("constructor grants the admin role, stores the registry and URI and emits IdentityRegistryChanged", async () => {
      const { s, alice } = await loadFixture(ledgerFixture);
      const c = await ethers.deployContract("CarbonCredit", [alice.address, await s.identity.getAddress(), "ipfs://x/{id}"]);
      await expect(c.deploymentTransaction()).to.emit(c, "IdentityRegistryChanged").withArgs(await s.identity.getAddress());
      expect(await c.hasRole(await c.DEFAULT_ADMIN_ROLE(), alice.address)).to.equal(true);
      expect(await c.hasRole(await c.DEFAULT_ADMIN_ROLE(), s.admin.address)).to.equal(false);
      expect(await c.identityRegistry()).to.equal(await s.identity.getAddress());
      expect(await c.certificateContract()).to.equal(ethers.ZeroAddress);
      expect(await c.uri(7)).to.equal("ipfs://x/{id}");
      expect(await c.paused()).to.equal(false);
      expect(await c.batchCount()).to.equal(0n);
    });

    it("exposes role and label constants", async () => {
      const { s } = await loadFixture(ledgerFixture);
      expect(await s.credit.BRIDGE_ROLE()).to.equal(ethers.id("BRIDGE_ROLE"));
      expect(await s.credit.COMPLIANCE_ROLE()).to.equal(ethers.id("COMPLIANCE_ROLE"));
      expect(await s.credit.PAUSER_ROLE()).to.equal(ethers.id("PAUSER_ROLE"));
      expect(await s.credit.CUSTODIAN_ROLE()).to.equal(ethers.id("CUSTODIAN_ROLE"));
      expect(await s.credit.LABEL_CCP()).to.equal(1n);
      expect(await s.credit.LABEL_CORSIA()).to.equal(2n);
      expect(await s.credit.LABEL_ARTICLE6()).to.equal(4n);
    });

    it("setCertificateContract: zero address, once only, admin only, event", async () => {
      const { s, alice } = await loadFixture(ledgerFixture);
      const c = await ethers.deployContract("CarbonCredit", [s.admin.address, await s.identity.getAddress(), ""]);
      await expect(c.setCertificateContract(ethers.ZeroAddress)).to.be.revertedWithCustomError(c, "ZeroAddress");
      await expect(c.connect(alice).setCertificateContract(alice.address))
        .to.be.revertedWithCustomError(c, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, ethers.ZeroHash);
      await expect(c.setCertificateContract(alice.address)).to.emit(c, "CertificateContractSet").withArgs(alice.address);
      expect(await c.certificateContract()).to.equal(alice.address);
      await expect(c.setCertificateContract(s.admin.address)).to.be.revertedWithCustomError(c, "CertificateAlreadySet");
      // the wired suite already has one
      await expect(s.credit.setCertificateContract(alice.address)).to.be.revertedWithCustomError(
        s.credit,
        "CertificateAlreadySet",
      );
      expect(await s.credit.certificateContract()).to.equal(await s.certificate.getAddress());
    });

    it("setIdentityRegistry: zero address, admin only, event, and transfers consult the new registry", async () => {
      const { s, alice, bob, id } = await loadFixture(ledgerFixture);
      await expect(s.credit.setIdentityRegistry(ethers.ZeroAddress)).to.be.revertedWithCustomError(s.credit, "ZeroAddress");
      await expect(s.credit.connect(alice).setIdentityRegistry(alice.address))
        .to.be.revertedWithCustomError(s.credit, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, ethers.ZeroHash);

      const other = (await ethers.deployContract("IdentityRegistry", [s.admin.address])) as unknown as IdentityRegistry;
      await expect(s.credit.setIdentityRegistry(await other.getAddress()))
        .to.emit(s.credit, "IdentityRegistryChanged")
        .withArgs(await other.getAddress());
      expect(await s.credit.identityRegistry()).to.equal(await other.getAddress());
      // alice is verified in the old registry only
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x"))
        .to.be.revertedWithCustomError(other, "NotEligible")
        .withArgs(alice.address, Ineligibility.NotVerified);
      await other.grantRole(await other.COMPLIANCE_ROLE(), s.admin.address);
      const input = {
        status: Status.Verified,
        entityType: EntityType.Company,
        country: bytes2("US"),
        kycExpiry: (await latestTime()) + 1000,
        sanctionsCleared: true,
        registryAccountsHash: ethers.ZeroHash,
      };
      await other.setIdentity(alice.address, input);
      await other.setIdentity(bob.address, input);
      await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x");
      expect(await s.credit.balanceOf(bob.address, id)).to.equal(1n);
    });

    it("pause/unpause: pauser only, events, EnforcedPause/ExpectedPause on repeat", async () => {
      const { s, alice } = await loadFixture(ledgerFixture);
      const role = await s.credit.PAUSER_ROLE();
      await expect(s.credit.connect(alice).pause())
        .to.be.revertedWithCustomError(s.credit, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, role);
      await expect(s.credit.unpause()).to.be.revertedWithCustomError(s.credit, "ExpectedPause");
      await expect(s.credit.pause()).to.emit(s.credit, "Paused").withArgs(s.admin.address);
      expect(await s.credit.paused()).to.equal(true);
      await expect(s.credit.pause()).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      await expect(s.credit.connect(alice).unpause())
        .to.be.revertedWithCustomError(s.credit, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, role);
      await expect(s.credit.unpause()).to.emit(s.credit, "Unpaused").withArgs(s.admin.address);
      expect(await s.credit.paused()).to.equal(false);
    });

    it("supportsInterface: ERC165, ERC1155, ERC1155MetadataURI, AccessControl; not others", async () => {
      const { s } = await loadFixture(ledgerFixture);
      for (const idf of ["0x01ffc9a7", "0xd9b67a26", "0x0e89341c", "0x7965db0b"]) {
        expect(await s.credit.supportsInterface(idf), idf).to.equal(true);
      }
      for (const idf of ["0xffffffff", "0x80ac58cd", "0x00000000", "0xb45a3c0e"]) {
        expect(await s.credit.supportsInterface(idf), idf).to.equal(false);
      }
    });

    it("every role-gated function rejects callers without the role", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice, bob, id } = f;
      const bridgeRole = await s.credit.BRIDGE_ROLE();
      const complianceRole = await s.credit.COMPLIANCE_ROLE();
      const c = s.credit.connect(alice);
      const checks: Array<[() => Promise<unknown>, string]> = [
        [() => c.createBatch(verraBatch(5000n, 5999n), 1000n, alice.address, ref("x")), bridgeRole],
        [() => c.burnForRedemption(alice.address, id, 1), bridgeRole],
        [() => c.restoreRedemption(alice.address, id, 1999, 1999), bridgeRole],
        [() => c.settleRedemption(id), bridgeRole],
        [() => c.setBatchLabels(id, 0, CA.Completed, "x"), complianceRole],
        [() => c.forcedTransfer(alice.address, bob.address, id, 1, "x"), complianceRole],
        [() => c.returnFromCustody(bob.address, id, 1), await s.credit.CUSTODIAN_ROLE()],
      ];
      for (const [tx, role] of checks) {
        await expect(tx()).to.be.revertedWithCustomError(s.credit, "AccessControlUnauthorizedAccount").withArgs(alice.address, role);
      }
      // the compliance officer of the suite is not a bridge, the bridge is not compliance
      await expect(s.credit.connect(s.compliance).settleRedemption(id))
        .to.be.revertedWithCustomError(s.credit, "AccessControlUnauthorizedAccount")
        .withArgs(s.compliance.address, bridgeRole);
      await expect(s.credit.connect(f.bridgeEoa).forcedTransfer(alice.address, bob.address, id, 1, "x"))
        .to.be.revertedWithCustomError(s.credit, "AccessControlUnauthorizedAccount")
        .withArgs(f.bridgeEoa.address, complianceRole);
    });
  });

  // ------------------------------------------------------------------ batch creation
  describe("createBatch", () => {
    it("mints the whole block to the owner and stores serial state, meta and the transfer rule", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, dave, bridgeEoa } = f;
      const info = verraBatch(5000n, 5099n, {
        registry: bytes16("CCTS"),
        projectId: bytes16("IN-PRJ-7"),
        methodology: bytes16("ACM0002"),
        serialScope: 7n,
        jurisdiction: bytes2("IN"),
        country: bytes2("IN"),
        labels: Label.CCP | Label.Article6,
        correspondingAdjustment: CA.Pending,
        mrvDatasetId: ref("dataset"),
        vintageStart: 20230101,
        vintageEnd: 20231231,
      });
      const lockRef = ref("lock-ccts");
      expect(await s.credit.connect(bridgeEoa).createBatch.staticCall(info, 0, dave.address, lockRef)).to.equal(2n);
      const tx = s.credit.connect(bridgeEoa).createBatch(info, 0, dave.address, lockRef);
      await expect(tx)
        .to.emit(s.credit, "BatchCreated")
        .withArgs(2n, dave.address, lockRef, (got: unknown) => {
          expectBatchInfo(got, info);
          return true;
        });
      await expect(tx).to.emit(s.credit, "TransferSingle").withArgs(bridgeEoa.address, ethers.ZeroAddress, dave.address, 2n, 100n);
      await expect(tx).to.emit(s.identity, "TransferRuleSet").withArgs(2n, bytes2("IN"), 0);

      expect(await s.credit.batchCount()).to.equal(2n);
      expect(await s.credit.balanceOf(dave.address, 2n)).to.equal(100n);
      const st = await s.credit.serialState(2n);
      expect([st.serialStart, st.serialEnd, st.nextRetireSerial, st.redeemFloor]).to.deep.equal([5000n, 5099n, 5000n, 5100n]);
      const m = await s.credit.batchMeta(2n);
      expect(m.registry).to.equal(bytes16("CCTS"));
      expect(m.projectId).to.equal(bytes16("IN-PRJ-7"));
      expect(m.methodology).to.equal(bytes16("ACM0002"));
      expect(m.vintageStart).to.equal(20230101n);
      expect(m.vintageEnd).to.equal(20231231n);
      expect(m.country).to.equal(bytes2("IN"));
      expect(m.labels).to.equal(5n);
      expect(m.correspondingAdjustment).to.equal(BigInt(CA.Pending));
      expect(m.redemptionPending).to.equal(false);
      expect(m.serialScope).to.equal(7n);
      expect(m.mrvDatasetId).to.equal(ref("dataset"));
      expect(m.serialNumberHash).to.equal(ethers.id(info.serialNumber as string));
      const rule = await s.identity.transferRuleOf(2n);
      expect(rule.jurisdiction).to.equal(bytes2("IN"));
      expect(rule.entityTypeMask).to.equal(0n);
      await expectLedger(s, 2n, { minted: 100n, retired: 0n, redeemed: 0n, holders: [dave.address] });
    });

    it("a single-serial block and a block ending at 2^64-2 are accepted", async () => {
      const f = await loadFixture(ledgerFixture);
      const one = await create(f, verraBatch(7n, 7n), f.alice.address);
      expect(await f.s.credit.balanceOf(f.alice.address, one)).to.equal(1n);
      const top = await create(f, verraBatch(MAX_UINT64 - 10n, MAX_UINT64 - 1n), f.alice.address);
      expect(await f.s.credit.balanceOf(f.alice.address, top)).to.equal(10n);
      expect((await f.s.credit.serialState(top)).redeemFloor).to.equal(MAX_UINT64);
      await expectLedger(f.s, top, { minted: 10n, retired: 0n, redeemed: 0n, holders: [f.alice.address] });
    });

    const invalid: Array<[string, Partial<BatchInfo>]> = [
      ["registry", { registry: bytes16("") }],
      ["projectId", { projectId: bytes16("") }],
      ["serialStart", { serialStart: 0n, serialEnd: 10n }],
      ["serialEnd", { serialStart: 10n, serialEnd: 9n }],
      ["serialEnd", { serialStart: 10n, serialEnd: MAX_UINT64 }],
      ["vintage", { vintageStart: 0 }],
      ["vintage", { vintageStart: 20210101, vintageEnd: 20201231 }],
      ["country", { country: bytes2("us") }],
      ["country", { country: "0x0000" }],
      ["country", { country: bytes2("U1") }],
      ["country", { country: bytes2("@A") }],
      ["country", { country: bytes2("A[") }],
      ["jurisdiction", { jurisdiction: bytes2("in") }],
      ["jurisdiction", { jurisdiction: "0x4900" }],
      ["labels", { labels: 8 }],
      ["labels", { labels: 0xffff }],
      ["serialNumber", { serialNumber: "" }],
      ["serialNumber", { serialNumber: "x".repeat(513) }],
    ];
    for (const [field, o] of invalid) {
      it(`rejects InvalidBatchInfo("${field}") for ${JSON.stringify(o, (_k, v) => (typeof v === "bigint" ? v.toString() : v)).slice(0, 60)}`, async () => {
        const f = await loadFixture(ledgerFixture);
        const info = verraBatch(5000n, 5999n, o);
        await expect(createTx(f, info, f.alice.address, 0n))
          .to.be.revertedWithCustomError(f.s.credit, "InvalidBatchInfo")
          .withArgs(field);
        expect(await f.s.credit.batchCount()).to.equal(1n);
      });
    }

    it("accepts boundary values: labels 7, 512-char serial number, country AZ/ZA, equal vintages, no methodology", async () => {
      const f = await loadFixture(ledgerFixture);
      await f.s.kyc(f.erin, { country: "ZA" });
      const ok = await create(
        f,
        verraBatch(5000n, 5000n, {
          labels: 7,
          serialNumber: "s".repeat(512),
          country: bytes2("AZ"),
          jurisdiction: bytes2("ZA"),
          vintageStart: 20200101,
          vintageEnd: 20200101,
          methodology: bytes16(""),
        }),
        f.erin.address,
      );
      expect(ok).to.equal(2n);
      expect((await f.s.credit.batchMeta(ok)).labels).to.equal(7n);
      expect(await f.s.credit.balanceOf(f.erin.address, ok)).to.equal(1n);
    });

    it("rejects a zero owner, an ineligible owner and an owner outside the batch jurisdiction", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, carol, alice, dave } = f;
      await expect(createTx(f, verraBatch(5000n, 5999n), ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
      await expect(createTx(f, verraBatch(5000n, 5999n), carol.address))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(carol.address, Ineligibility.NotVerified);
      await freeze(s, dave.address);
      await expect(createTx(f, verraBatch(5000n, 5999n, { jurisdiction: bytes2("IN") }), dave.address))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(dave.address, Ineligibility.Frozen);
      await expect(createTx(f, verraBatch(5000n, 5999n, { jurisdiction: bytes2("IN") }), alice.address))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(alice.address, Ineligibility.WrongJurisdiction);
      // nothing was recorded: the serial block is still free and the rule of batch 2 is unset
      expect(await s.credit.batchCount()).to.equal(1n);
      expect((await s.credit.serialBlock(await namespaceOf(s, verraBatch(5000n, 5999n)), 5000n))[0]).to.equal(0n);
      expect((await s.identity.transferRuleOf(2n)).jurisdiction).to.equal("0x0000");
    });

    it("rejects creation while paused", async () => {
      const f = await loadFixture(ledgerFixture);
      await f.s.credit.pause();
      await expect(createTx(f, verraBatch(5000n, 5999n), f.alice.address)).to.be.revertedWithCustomError(
        f.s.credit,
        "EnforcedPause",
      );
    });

    it("mints to a contract owner only if it accepts (receiver hook)", async () => {
      const f = await loadFixture(ledgerFixture);
      const r = await deployReceiver(f.s);
      const ra = await r.getAddress();
      await r.setMode(Mode.RejectValue);
      await expect(createTx(f, verraBatch(5000n, 5999n), ra))
        .to.be.revertedWithCustomError(f.s.credit, "ERC1155InvalidReceiver")
        .withArgs(ra);
      await r.setMode(Mode.RejectRevert);
      await expect(createTx(f, verraBatch(5000n, 5999n), ra)).to.be.revertedWithCustomError(r, "Rejected");
      await r.setMode(Mode.Accept);
      const id = await create(f, verraBatch(5000n, 5999n), ra);
      expect(await f.s.credit.balanceOf(ra, id)).to.equal(1000n);
      const h = await r.hook(0);
      expect([h.operator, h.from, h.id, h.value, h.batch]).to.deep.equal([f.bridgeEoa.address, ethers.ZeroAddress, id, 1000n, false]);
    });
  });

  // ------------------------------------------------------------------ serial overlap guard
  describe("serial overlap guard", () => {
    // existing block of the fixture: VERRA scope 0 [1000, 1999]
    const overlapping: Array<[string, bigint, bigint]> = [
      ["partial-left", 900n, 1000n],
      ["partial-left, deeper", 1n, 1500n],
      ["partial-right", 1999n, 2500n],
      ["partial-right, deeper", 1500n, 2500n],
      ["nested inside", 1200n, 1300n],
      ["nested, same start", 1000n, 1001n],
      ["nested, same end", 1998n, 1999n],
      ["containing", 500n, 2500n],
      ["identical", 1000n, 1999n],
    ];
    for (const [name, a, b] of overlapping) {
      it(`SerialBlockOverlaps(1000, 1999) for ${name} [${a}, ${b}] with the correct hint`, async () => {
        const f = await loadFixture(ledgerFixture);
        const info = verraBatch(a, b);
        const hint = await hintFor(f.s, info);
        await expect(createTx(f, info, f.alice.address, hint))
          .to.be.revertedWithCustomError(f.s.credit, "SerialBlockOverlaps")
          .withArgs(1000n, 1999n);
        expect(await f.s.credit.batchCount()).to.equal(1n);
        expect(await serialList(f.s, await namespaceOf(f.s, info))).to.deep.equal([[1000n, 1999n]]);
      });
    }

    it("identical block with the block itself as hint still overlaps", async () => {
      const f = await loadFixture(ledgerFixture);
      await expect(createTx(f, verraBatch(1000n, 1999n), f.alice.address, 1000n))
        .to.be.revertedWithCustomError(f.s.credit, "SerialBlockOverlaps")
        .withArgs(1000n, 1999n);
    });

    it("a block containing several blocks reports the first one it meets", async () => {
      const f = await loadFixture(ledgerFixture);
      await create(f, verraBatch(3000n, 3999n), f.alice.address);
      await expect(createTx(f, verraBatch(500n, 5000n), f.alice.address, 0n))
        .to.be.revertedWithCustomError(f.s.credit, "SerialBlockOverlaps")
        .withArgs(1000n, 1999n);
      // overlapping only the second block, hinted after the first
      await expect(createTx(f, verraBatch(2500n, 3000n), f.alice.address, 1000n))
        .to.be.revertedWithCustomError(f.s.credit, "SerialBlockOverlaps")
        .withArgs(3000n, 3999n);
    });

    it("adjacent blocks on both sides and a block filling a gap exactly are accepted", async () => {
      const f = await loadFixture(ledgerFixture);
      const ns = await namespaceOf(f.s, f.batch);
      await create(f, verraBatch(2000n, 2999n), f.alice.address);
      await create(f, verraBatch(1n, 999n), f.alice.address);
      await create(f, verraBatch(4000n, 4999n), f.alice.address);
      await create(f, verraBatch(3000n, 3999n), f.alice.address); // fills [3000, 3999] between 2999 and 4000
      expect(await serialList(f.s, ns)).to.deep.equal([
        [1n, 999n],
        [1000n, 1999n],
        [2000n, 2999n],
        [3000n, 3999n],
        [4000n, 4999n],
      ]);
      expect(await f.s.credit.batchCount()).to.equal(5n);
    });

    it("the same serials in another registry or another serial scope are a different namespace", async () => {
      const f = await loadFixture(ledgerFixture);
      const gs = verraBatch(1000n, 1999n, { registry: bytes16("GOLD_STANDARD") });
      const scoped = verraBatch(1000n, 1999n, { serialScope: 1n });
      expect(await namespaceOf(f.s, gs)).to.not.equal(await namespaceOf(f.s, f.batch));
      expect(await namespaceOf(f.s, scoped)).to.not.equal(await namespaceOf(f.s, f.batch));
      expect(await f.s.credit.serialNamespace(bytes16("VERRA"), 0)).to.equal(
        ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes16", "uint64"], [bytes16("VERRA"), 0])),
      );
      const a = await create(f, gs, f.alice.address);
      const b = await create(f, scoped, f.alice.address);
      expect(await f.s.credit.balanceOf(f.alice.address, a)).to.equal(1000n);
      expect(await f.s.credit.balanceOf(f.alice.address, b)).to.equal(1000n);
      // each namespace still guards itself
      await expect(createTx(f, verraBatch(1500n, 1600n, { serialScope: 1n }), f.alice.address, 1000n))
        .to.be.revertedWithCustomError(f.s.credit, "SerialBlockOverlaps")
        .withArgs(1000n, 1999n);
    });

    it("InvalidSerialHint: hint that is no block start, a block after the new one, another namespace's block", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice } = f;
      await expect(createTx(f, verraBatch(5000n, 5999n), alice.address, 1500n))
        .to.be.revertedWithCustomError(s.credit, "InvalidSerialHint")
        .withArgs(1500n);
      await expect(createTx(f, verraBatch(5000n, 5999n), alice.address, 4242n))
        .to.be.revertedWithCustomError(s.credit, "InvalidSerialHint")
        .withArgs(4242n);
      await expect(createTx(f, verraBatch(100n, 199n), alice.address, 1000n))
        .to.be.revertedWithCustomError(s.credit, "InvalidSerialHint")
        .withArgs(1000n);
      await create(f, verraBatch(7000n, 7999n, { serialScope: 3n }), alice.address);
      await expect(createTx(f, verraBatch(8000n, 8999n), alice.address, 7000n))
        .to.be.revertedWithCustomError(s.credit, "InvalidSerialHint")
        .withArgs(7000n);
    });

    it("InvalidSerialHint for a stale hint (a block was inserted in between) and for a stale head hint", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice } = f;
      const late = verraBatch(5000n, 5999n);
      const staleHint = await hintFor(s, late);
      expect(staleHint).to.equal(1000n);
      await create(f, verraBatch(3000n, 3999n), alice.address);
      await expect(createTx(f, late, alice.address, staleHint))
        .to.be.revertedWithCustomError(s.credit, "InvalidSerialHint")
        .withArgs(1000n);
      // a head hint while a block precedes the new one
      await expect(createTx(f, late, alice.address, 0n))
        .to.be.revertedWithCustomError(s.credit, "InvalidSerialHint")
        .withArgs(0n);
      // an overlapping block with a wrong hint is still rejected
      await expect(createTx(f, verraBatch(1200n, 1300n), alice.address, 0n))
        .to.be.revertedWithCustomError(s.credit, "InvalidSerialHint")
        .withArgs(0n);
      expect(await hintFor(s, late)).to.equal(3000n);
      await create(f, late, alice.address);
      expect(await serialList(s, await namespaceOf(s, late))).to.deep.equal([
        [1000n, 1999n],
        [3000n, 3999n],
        [5000n, 5999n],
      ]);
    });

    it("createSerialNamespace: admin only, registry required, once per namespace, event", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice } = f;
      const ns = await s.credit.serialNamespace(bytes16("CCTS"), 4);
      await expect(s.credit.connect(alice).createSerialNamespace(bytes16("CCTS"), 4))
        .to.be.revertedWithCustomError(s.credit, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, ethers.ZeroHash);
      await expect(s.credit.createSerialNamespace(bytes16(""), 4))
        .to.be.revertedWithCustomError(s.credit, "InvalidBatchInfo")
        .withArgs("registry");
      await expect(s.credit.createSerialNamespace(bytes16("CCTS"), 4))
        .to.emit(s.credit, "SerialNamespaceCreated")
        .withArgs(ns, bytes16("CCTS"), 4n);
      await expect(s.credit.createSerialNamespace(bytes16("CCTS"), 4))
        .to.be.revertedWithCustomError(s.credit, "SerialNamespaceExists")
        .withArgs(ns);
      // a namespace that already holds blocks exists too
      const verra = await namespaceOf(s, f.batch);
      await expect(s.credit.createSerialNamespace(bytes16("VERRA"), 0))
        .to.be.revertedWithCustomError(s.credit, "SerialNamespaceExists")
        .withArgs(verra);
      // other scopes of the same registry are separate namespaces
      await s.credit.createSerialNamespace(bytes16("CCTS"), 5);
    });

    it("a pre-created namespace guards serials exactly like a fresh one, and its first batch is cheaper", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice } = f;
      await s.credit.createSerialNamespace(bytes16("CCTS"), 4);
      const ns = await s.credit.serialNamespace(bytes16("CCTS"), 4);
      expect(await serialList(s, ns)).to.deep.equal([]);
      const pre = verraBatch(5000n, 5999n, { registry: bytes16("CCTS"), serialScope: 4n });
      const fresh = verraBatch(5000n, 5999n, { registry: bytes16("CCTS"), serialScope: 6n });
      expect(await hintFor(s, pre)).to.equal(0n);
      const gasPre = (await (await createTx(f, pre, alice.address)).wait())!.gasUsed;
      const gasFresh = (await (await createTx(f, fresh, alice.address)).wait())!.gasUsed;
      expect(gasFresh - gasPre).to.be.greaterThan(10_000n);
      await create(f, verraBatch(1n, 999n, { registry: bytes16("CCTS"), serialScope: 4n }), alice.address);
      await create(f, verraBatch(7000n, 7999n, { registry: bytes16("CCTS"), serialScope: 4n }), alice.address);
      expect(await serialList(s, ns)).to.deep.equal([
        [1n, 999n],
        [5000n, 5999n],
        [7000n, 7999n],
      ]);
      for (const [a, b, xa, xb] of [
        [999n, 1000n, 1n, 999n],
        [5999n, 6000n, 5000n, 5999n],
        [4000n, 8000n, 5000n, 5999n],
        [1n, 1n, 1n, 999n],
      ] as Array<[bigint, bigint, bigint, bigint]>) {
        const info = verraBatch(a, b, { registry: bytes16("CCTS"), serialScope: 4n });
        await expect(createTx(f, info, alice.address))
          .to.be.revertedWithCustomError(s.credit, "SerialBlockOverlaps")
          .withArgs(xa, xb);
      }
      await expect(createTx(f, verraBatch(6000n, 6999n, { registry: bytes16("CCTS"), serialScope: 4n }), alice.address, 0n))
        .to.be.revertedWithCustomError(s.credit, "InvalidSerialHint")
        .withArgs(0n);
      await create(f, verraBatch(6000n, 6999n, { registry: bytes16("CCTS"), serialScope: 4n }), alice.address);
      expect(await s.credit.serialPredecessor(ns, 6500n)).to.equal(6000n);
    });

    it("serialPredecessor and serialBlock views", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice } = f;
      const ns = await namespaceOf(s, f.batch);
      await create(f, verraBatch(3000n, 3999n), alice.address);
      expect(await s.credit.serialPredecessor(ns, 1n)).to.equal(0n);
      expect(await s.credit.serialPredecessor(ns, 1000n)).to.equal(0n);
      expect(await s.credit.serialPredecessor(ns, 1001n)).to.equal(1000n);
      expect(await s.credit.serialPredecessor(ns, 3000n)).to.equal(1000n);
      expect(await s.credit.serialPredecessor(ns, 9999n)).to.equal(3000n);
      expect(await s.credit.serialPredecessor(ethers.ZeroHash, 9999n)).to.equal(0n);
      expect(await s.credit.serialBlock(ns, 1000n)).to.deep.equal([1999n, 3000n]);
      expect(await s.credit.serialBlock(ns, 3000n)).to.deep.equal([3999n, 0n]);
      expect(await s.credit.serialBlock(ns, 0n)).to.deep.equal([0n, 1000n]);
      expect(await s.credit.serialBlock(ns, 1500n)).to.deep.equal([0n, 0n]);
    });

    it("randomized model: never admits an overlap, accepts iff the hint is the true predecessor", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice } = f;
      const rnd = prng(0xc0ffee);
      const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
      const scope = 99n; // fresh namespace
      const model: Array<[bigint, bigint]> = [];
      let accepted = 0;
      let overlapsRejected = 0;
      let hintsRejected = 0;
      for (let i = 0; i < 120; i++) {
        const start = BigInt(int(1, 400));
        const end = start + BigInt(int(0, 25));
        const info = verraBatch(start, end, { serialScope: scope });
        const truePred = model.filter(([a]) => a < start).reduce((m, [a]) => (a > m ? a : m), 0n);
        const pick = rnd();
        let hint: bigint;
        if (pick < 0.6 || model.length === 0) hint = truePred;
        else if (pick < 0.75) hint = 0n;
        else if (pick < 0.9) hint = model[int(0, model.length - 1)][0];
        else hint = BigInt(int(1, 450));
        const overlaps = model.some(([a, b]) => a <= end && start <= b);
        const tx = createTx(f, info, alice.address, hint);
        if (overlaps) {
          const err = await tx.then(
            () => null,
            (e: { data?: string }) => e,
          );
          expect(err, `overlap [${start}, ${end}] admitted`).to.not.equal(null);
          const parsed = s.credit.interface.parseError(err!.data!);
          if (parsed?.name === "SerialBlockOverlaps") {
            const [a, b] = [parsed.args[0] as bigint, parsed.args[1] as bigint];
            expect(model.some(([x, y]) => x === a && y === b && a <= end && start <= b), "reported block overlaps").to.equal(true);
          } else {
            expect(parsed?.name).to.equal("InvalidSerialHint");
            expect(parsed!.args[0]).to.equal(hint);
          }
          overlapsRejected++;
        } else if (hint !== truePred) {
          await expect(tx).to.be.revertedWithCustomError(s.credit, "InvalidSerialHint").withArgs(hint);
          hintsRejected++;
        } else {
          await (await tx).wait();
          model.push([start, end]);
          accepted++;
        }
      }
      model.sort((x, y) => (x[0] < y[0] ? -1 : 1));
      const ns = await s.credit.serialNamespace(bytes16("VERRA"), scope);
      expect(await serialList(s, ns)).to.deep.equal(model);
      expect(accepted).to.be.greaterThan(5);
      expect(overlapsRejected).to.be.greaterThan(5);
      expect(hintsRejected).to.be.greaterThan(5);
      for (let p = 1n; p <= 450n; p += 37n) {
        const pred = model.filter(([a]) => a < p).reduce((m, [a]) => (a > m ? a : m), 0n);
        expect(await s.credit.serialPredecessor(ns, p)).to.equal(pred);
      }
    });
  });

  // ------------------------------------------------------------------ transfers
  describe("transfers", () => {
    it("moves credits between two eligible wallets", async () => {
      const { s, alice, bob, id } = await loadFixture(ledgerFixture);
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 25, "0x"))
        .to.emit(s.credit, "TransferSingle")
        .withArgs(alice.address, alice.address, bob.address, id, 25n);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(975n);
      expect(await s.credit.balanceOf(bob.address, id)).to.equal(25n);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [alice.address, bob.address] });
    });

    it("an approved operator moves credits between eligible wallets; without approval it reverts", async () => {
      const { s, alice, bob, operator, id } = await loadFixture(ledgerFixture);
      await expect(s.credit.connect(operator).safeTransferFrom(alice.address, bob.address, id, 1, "0x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155MissingApprovalForAll")
        .withArgs(operator.address, alice.address);
      await s.credit.connect(alice).setApprovalForAll(operator.address, true);
      await expect(s.credit.connect(operator).safeTransferFrom(alice.address, bob.address, id, 5, "0x"))
        .to.emit(s.credit, "TransferSingle")
        .withArgs(operator.address, alice.address, bob.address, id, 5n);
      // the operator cannot move credits to itself: it has no identity
      await expect(s.credit.connect(operator).safeTransferFrom(alice.address, operator.address, id, 5, "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(operator.address, Ineligibility.NotVerified);
    });

    const senderCases: Array<[string, (s: Suite, w: string) => Promise<unknown>, number]> = [
      ["frozen", (s, w) => freeze(s, w), Ineligibility.Frozen],
      ["sanctions not cleared", (s, w) => s.identity.connect(s.compliance).setSanctionsCleared(w, false, "hit"), Ineligibility.SanctionsNotCleared],
      ["suspended", (s, w) => s.identity.connect(s.compliance).setStatus(w, Status.Suspended, "review"), Ineligibility.NotVerified],
      ["KYC expired", async (s, w) => {
        await s.kyc(w, { expiry: (await latestTime()) + 100 });
        await time.increase(200);
      }, Ineligibility.KycExpired],
    ];
    for (const [name, make, reason] of senderCases) {
      it(`sender ${name} → NotEligible(sender, ${reason})`, async () => {
        const { s, alice, bob, id } = await loadFixture(ledgerFixture);
        await make(s, alice.address);
        await expect(s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x"))
          .to.be.revertedWithCustomError(s.identity, "NotEligible")
          .withArgs(alice.address, reason);
        expect(await s.credit.balanceOf(alice.address, id)).to.equal(1000n);
      });
      it(`receiver ${name} → NotEligible(receiver, ${reason})`, async () => {
        const { s, alice, bob, id } = await loadFixture(ledgerFixture);
        await make(s, bob.address);
        await expect(s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x"))
          .to.be.revertedWithCustomError(s.identity, "NotEligible")
          .withArgs(bob.address, reason);
        expect(await s.credit.balanceOf(bob.address, id)).to.equal(0n);
      });
    }

    it("receiver without identity → NotEligible(receiver, NotVerified), even for a zero amount", async () => {
      const { s, alice, carol, id } = await loadFixture(ledgerFixture);
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, carol.address, id, 1, "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(carol.address, Ineligibility.NotVerified);
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, carol.address, id, 0, "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(carol.address, Ineligibility.NotVerified);
    });

    it("a frozen wallet can move again once unfrozen", async () => {
      const { s, alice, bob, id } = await loadFixture(ledgerFixture);
      await freeze(s, alice.address);
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x")).to.be.reverted;
      await s.identity.connect(s.compliance).unfreeze(alice.address, "cleared");
      await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x");
      expect(await s.credit.balanceOf(bob.address, id)).to.equal(1n);
    });

    it("CCTS jurisdiction rule: an IN batch moves to IN wallets and custody contracts, not to a US wallet", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, dave, erin, bob, operator } = f;
      const inId = await create(f, verraBatch(5000n, 5999n, { registry: bytes16("CCTS"), jurisdiction: bytes2("IN"), country: bytes2("IN") }), dave.address);
      await s.credit.connect(dave).safeTransferFrom(dave.address, erin.address, inId, 10, "0x");
      expect(await s.credit.balanceOf(erin.address, inId)).to.equal(10n);
      await expect(s.credit.connect(dave).safeTransferFrom(dave.address, bob.address, inId, 10, "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(bob.address, Ineligibility.WrongJurisdiction);
      // a US wallet holding nothing of it cannot send either (sender is checked first)
      await expect(s.credit.connect(bob).safeTransferFrom(bob.address, dave.address, inId, 0, "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(bob.address, Ineligibility.WrongJurisdiction);
      // a custody contract (escrow) registered in the US is exempt from the jurisdiction rule
      await s.kyc(operator, { country: "US", entityType: EntityType.Custody });
      await s.credit.connect(dave).safeTransferFrom(dave.address, operator.address, inId, 3, "0x");
      expect(await s.credit.balanceOf(operator.address, inId)).to.equal(3n);
    });

    it("safeBatchTransferFrom checks every id of the batch for both wallets", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice, dave, erin, bob, id } = f;
      const inId = await create(f, verraBatch(5000n, 5999n, { jurisdiction: bytes2("IN"), country: bytes2("IN") }), dave.address);
      await s.credit.connect(alice).safeTransferFrom(alice.address, dave.address, id, 50, "0x");
      // second id breaks the jurisdiction rule for bob
      await expect(s.credit.connect(dave).safeBatchTransferFrom(dave.address, bob.address, [id, inId], [10, 10], "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(bob.address, Ineligibility.WrongJurisdiction);
      await expect(s.credit.connect(dave).safeBatchTransferFrom(dave.address, erin.address, [id, inId], [10, 20], "0x"))
        .to.emit(s.credit, "TransferBatch")
        .withArgs(dave.address, dave.address, erin.address, [id, inId], [10n, 20n]);
      expect(await s.credit.balanceOfBatch([erin.address, erin.address], [id, inId])).to.deep.equal([10n, 20n]);
      await freeze(s, erin.address);
      await expect(s.credit.connect(dave).safeBatchTransferFrom(dave.address, erin.address, [id], [1], "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(erin.address, Ineligibility.Frozen);
      await expect(s.credit.connect(erin).safeBatchTransferFrom(erin.address, dave.address, [id], [1], "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(erin.address, Ineligibility.Frozen);
      await expect(s.credit.connect(dave).safeBatchTransferFrom(dave.address, dave.address, [id, inId], [1], "0x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InvalidArrayLength")
        .withArgs(2, 1);
      await expectLedger(s, inId, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [dave.address, erin.address] });
    });

    it("transfers to contracts run the receiver hook: reject by value, reject by revert, accept (single and batch)", async () => {
      const { s, alice, id } = await loadFixture(ledgerFixture);
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      await r.setMode(Mode.RejectValue);
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, ra, id, 1, "0x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InvalidReceiver")
        .withArgs(ra);
      await expect(s.credit.connect(alice).safeBatchTransferFrom(alice.address, ra, [id], [1], "0x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InvalidReceiver")
        .withArgs(ra);
      await r.setMode(Mode.RejectRevert);
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, ra, id, 1, "0x")).to.be.revertedWithCustomError(r, "Rejected");
      await r.setMode(Mode.Accept);
      await s.credit.connect(alice).safeTransferFrom(alice.address, ra, id, 2, "0x");
      await s.credit.connect(alice).safeBatchTransferFrom(alice.address, ra, [id], [3], "0x");
      expect(await s.credit.balanceOf(ra, id)).to.equal(5n);
      expect(await r.hookCount()).to.equal(2n);
      expect((await r.hook(1)).batch).to.equal(true);
    });

    it("rejects transfers to the zero address and beyond the balance", async () => {
      const { s, alice, bob, id } = await loadFixture(ledgerFixture);
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, ethers.ZeroAddress, id, 1, "0x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1001, "0x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InsufficientBalance")
        .withArgs(alice.address, 1000n, 1001n, id);
    });
  });

  // ------------------------------------------------------------------ pause
  describe("pause", () => {
    it("blocks transfers, batch transfers, forced transfers, tokenization, retirement and redemption", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice, bob, id, bridgeEoa } = f;
      await s.credit.pause();
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x")).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      await expect(s.credit.connect(alice).safeBatchTransferFrom(alice.address, bob.address, [id], [1], "0x")).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      await expect(s.credit.connect(s.compliance).forcedTransfer(alice.address, bob.address, id, 1, "court order")).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      await expect(s.credit.connect(alice).retire(id, 1, claim())).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      await expect(s.credit.connect(alice).retireFrom(alice.address, id, 1, claim())).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      await expect(s.bridge.connect(alice).redeem(id, 1, "VERRA-ACC-1")).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      await expect(s.credit.connect(bridgeEoa).burnForRedemption(alice.address, id, 1)).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      await expect(s.tokenize(verraBatch(5000n, 5999n), alice)).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      // approvals are not movements
      await s.credit.connect(alice).setApprovalForAll(bob.address, true);
      await s.credit.unpause();
      await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x");
      await s.tokenize(verraBatch(5000n, 5999n), alice);
      expect(await s.credit.batchCount()).to.equal(2n);
    });

    it("does not block registry verdicts on a pending redemption (settle and restore)", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice, id, bridgeEoa } = f;
      await s.credit.connect(bridgeEoa).burnForRedemption(alice.address, id, 10);
      await s.credit.pause();
      await expect(s.credit.connect(bridgeEoa).restoreRedemption(alice.address, id, 1990, 1999))
        .to.emit(s.credit, "RedemptionRestored")
        .withArgs(id, alice.address, 1990n, 1999n);
      await s.credit.unpause();
      await s.credit.connect(bridgeEoa).burnForRedemption(alice.address, id, 10);
      await s.credit.pause();
      await expect(s.credit.connect(bridgeEoa).settleRedemption(id)).to.emit(s.credit, "RedemptionSettled").withArgs(id);
    });
  });

  // ------------------------------------------------------------------ forced transfer
  describe("forcedTransfer", () => {
    it("moves credits from a frozen wallet to an eligible one and emits ForcedTransfer", async () => {
      const { s, alice, bob, id } = await loadFixture(ledgerFixture);
      await freeze(s, alice.address);
      const tx = s.credit.connect(s.compliance).forcedTransfer(alice.address, bob.address, id, 40, "court order 42");
      await expect(tx).to.emit(s.credit, "ForcedTransfer").withArgs(alice.address, bob.address, id, 40n, "court order 42");
      await expect(tx).to.emit(s.credit, "TransferSingle").withArgs(s.compliance.address, alice.address, bob.address, id, 40n);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(960n);
      expect(await s.credit.balanceOf(bob.address, id)).to.equal(40n);
      // the forcing is scoped to that call: alice is still unable to transfer herself
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(alice.address, Ineligibility.Frozen);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [alice.address, bob.address] });
    });

    it("works from a wallet with no valid identity at all (lost keys, expired KYC)", async () => {
      const { s, alice, bob, id } = await loadFixture(ledgerFixture);
      await s.identity.connect(s.compliance).setStatus(alice.address, Status.Suspended, "lost keys");
      await s.credit.connect(s.compliance).forcedTransfer(alice.address, bob.address, id, 1000, "recovery");
      expect(await s.credit.balanceOf(bob.address, id)).to.equal(1000n);
    });

    it("reverts when the receiver is ineligible (unverified, frozen, wrong jurisdiction)", async () => {
      const f = await loadFixture(ledgerFixture);
      const { s, alice, bob, carol, dave, erin, id } = f;
      await expect(s.credit.connect(s.compliance).forcedTransfer(alice.address, carol.address, id, 1, "x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(carol.address, Ineligibility.NotVerified);
      await freeze(s, bob.address);
      await expect(s.credit.connect(s.compliance).forcedTransfer(alice.address, bob.address, id, 1, "x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(bob.address, Ineligibility.Frozen);
      const inId = await create(f, verraBatch(5000n, 5999n, { jurisdiction: bytes2("IN"), country: bytes2("IN") }), dave.address);
      await expect(s.credit.connect(s.compliance).forcedTransfer(dave.address, alice.address, inId, 1, "x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(alice.address, Ineligibility.WrongJurisdiction);
      await s.credit.connect(s.compliance).forcedTransfer(dave.address, erin.address, inId, 1, "x");
      expect(await s.credit.balanceOf(erin.address, inId)).to.equal(1n);
    });

    it("input errors: EmptyReason, ZeroAmount, zero sender, zero receiver, insufficient balance", async () => {
      const { s, alice, bob, id } = await loadFixture(ledgerFixture);
      const c = s.credit.connect(s.compliance);
      await expect(c.forcedTransfer(alice.address, bob.address, id, 1, "")).to.be.revertedWithCustomError(s.credit, "EmptyReason");
      await expect(c.forcedTransfer(alice.address, bob.address, id, 0, "x")).to.be.revertedWithCustomError(s.credit, "ZeroAmount");
      await expect(c.forcedTransfer(ethers.ZeroAddress, bob.address, id, 1, "x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InvalidSender")
        .withArgs(ethers.ZeroAddress);
      await expect(c.forcedTransfer(alice.address, ethers.ZeroAddress, id, 1, "x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
      await expect(c.forcedTransfer(alice.address, bob.address, id, 1001, "x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InsufficientBalance")
        .withArgs(alice.address, 1000n, 1001n, id);
      await expect(c.forcedTransfer(alice.address, bob.address, 99, 1, "x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InsufficientBalance")
        .withArgs(alice.address, 0n, 1n, 99n);
    });

    it("leaves no bypass behind: a gated transfer later in the same transaction is still checked", async () => {
      const { s, alice, bob, carol, id } = await loadFixture(ledgerFixture);
      // a compliance contract that forces a transfer and then tries an ordinary one in the same transaction
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      const cAddr = await s.credit.getAddress();
      await s.credit.grantRole(await s.credit.COMPLIANCE_ROLE(), ra);
      await s.credit.connect(alice).safeTransferFrom(alice.address, ra, id, 10, "0x");
      await freeze(s, alice.address);
      await r.executeAll(
        [cAddr, cAddr],
        [
          s.credit.interface.encodeFunctionData("forcedTransfer", [alice.address, bob.address, id, 5, "court order"]),
          s.credit.interface.encodeFunctionData("safeTransferFrom", [ra, carol.address, id, 1, "0x"]),
        ],
      );
      const [ok0] = await r.result(0);
      const [ok1, d1] = await r.result(1);
      expect(ok0).to.equal(true);
      expect(ok1).to.equal(false);
      expectRevertData(s.identity, d1, "NotEligible", [carol.address, Ineligibility.NotVerified]);
      expect(await s.credit.balanceOf(bob.address, id)).to.equal(5n);
      expect(await s.credit.balanceOf(carol.address, id)).to.equal(0n);
    });

    it("to a contract: runs the receiver check (reject by value / by revert)", async () => {
      const { s, alice, id } = await loadFixture(ledgerFixture);
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      await r.setMode(Mode.RejectValue);
      await expect(s.credit.connect(s.compliance).forcedTransfer(alice.address, ra, id, 1, "x"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InvalidReceiver")
        .withArgs(ra);
      await r.setMode(Mode.RejectRevert);
      await expect(s.credit.connect(s.compliance).forcedTransfer(alice.address, ra, id, 1, "x")).to.be.revertedWithCustomError(r, "Rejected");
      await r.setMode(Mode.Accept);
      await s.credit.connect(s.compliance).forcedTransfer(alice.address, ra, id, 1, "x");
      const h = await r.hook(0);
      expect([h.operator, h.from, h.id, h.value]).to.deep.equal([s.compliance.address, alice.address, id, 1n]);
    });

    it("a re-entrant receiver cannot use the forcing to bypass eligibility checks", async () => {
      const { s, alice, bob, carol, id } = await loadFixture(ledgerFixture);
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      await freeze(s, alice.address);
      const transfer = (to: string, n: number) => s.credit.interface.encodeFunctionData("safeTransferFrom", [ra, to, id, n, "0x"]);
      const cAddr = await s.credit.getAddress();
      // back to the frozen sender, on to an unverified wallet, and a legitimate move to bob
      await r.arm([cAddr, cAddr, cAddr], [transfer(alice.address, 10), transfer(carol.address, 10), transfer(bob.address, 10)], false);
      await s.credit.connect(s.compliance).forcedTransfer(alice.address, ra, id, 100, "recovery");
      expect(await r.resultCount()).to.equal(3n);
      const [ok0, d0] = await r.result(0);
      const [ok1, d1] = await r.result(1);
      const [ok2] = await r.result(2);
      expect(ok0).to.equal(false);
      expectRevertData(s.identity, d0, "NotEligible", [alice.address, Ineligibility.Frozen]);
      expect(ok1).to.equal(false);
      expectRevertData(s.identity, d1, "NotEligible", [carol.address, Ineligibility.NotVerified]);
      expect(ok2).to.equal(true);
      expect(await s.credit.balanceOf(ra, id)).to.equal(90n);
      expect(await s.credit.balanceOf(bob.address, id)).to.equal(10n);
      expect(await s.credit.balanceOf(carol.address, id)).to.equal(0n);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(900n);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [alice.address, bob.address, ra] });

      // bubbling the failure aborts the whole forced transfer
      await r.arm([cAddr], [transfer(alice.address, 1)], true);
      await expect(s.credit.connect(s.compliance).forcedTransfer(alice.address, ra, id, 5, "recovery"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(alice.address, Ineligibility.Frozen);
      expect(await s.credit.balanceOf(ra, id)).to.equal(90n);
    });
  });

  // ------------------------------------------------------------------ custody returns
  describe("returnFromCustody", () => {
    async function custodyFixture() {
      const f = await ledgerFixture();
      const custodian = f.operator;
      await f.s.kyc(custodian, { entityType: EntityType.Custody });
      await f.s.credit.grantRole(await f.s.credit.CUSTODIAN_ROLE(), custodian.address);
      await f.s.credit.connect(f.alice).safeTransferFrom(f.alice.address, custodian.address, f.id, 100, "0x");
      return { ...f, custodian };
    }

    it("hands staged credits back to an owner frozen meanwhile, with CustodyReturned", async () => {
      const { s, alice, bob, custodian, id } = await loadFixture(custodyFixture);
      await freeze(s, alice.address);
      const tx = s.credit.connect(custodian).returnFromCustody(alice.address, id, 60);
      await expect(tx).to.emit(s.credit, "CustodyReturned").withArgs(custodian.address, alice.address, id, 60n);
      await expect(tx).to.emit(s.credit, "TransferSingle").withArgs(custodian.address, custodian.address, alice.address, id, 60n);
      expect(await s.credit.balanceOf(custodian.address, id)).to.equal(40n);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(960n);
      // the freeze still stops alice, and the custodian's ordinary transfers stay gated
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 1, "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(alice.address, Ineligibility.Frozen);
      await expect(s.credit.connect(custodian).safeTransferFrom(custodian.address, alice.address, id, 1, "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(alice.address, Ineligibility.Frozen);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [alice.address, custodian.address] });
    });

    it("leaves no bypass behind: a gated transfer later in the same transaction is still checked", async () => {
      const { s, alice, carol, custodian, id } = await loadFixture(custodyFixture);
      // a custodian contract that refunds and then tries an ordinary transfer in the same transaction
      const r = await deployReceiver(s, { entityType: EntityType.Custody });
      const ra = await r.getAddress();
      const cAddr = await s.credit.getAddress();
      await s.credit.grantRole(await s.credit.CUSTODIAN_ROLE(), ra);
      await s.credit.connect(custodian).safeTransferFrom(custodian.address, ra, id, 10, "0x");
      await r.executeAll(
        [cAddr, cAddr],
        [
          s.credit.interface.encodeFunctionData("returnFromCustody", [alice.address, id, 1]),
          s.credit.interface.encodeFunctionData("safeTransferFrom", [ra, carol.address, id, 1, "0x"]),
        ],
      );
      const [ok0] = await r.result(0);
      const [ok1, d1] = await r.result(1);
      expect(ok0).to.equal(true);
      expect(ok1).to.equal(false);
      expectRevertData(s.identity, d1, "NotEligible", [carol.address, Ineligibility.NotVerified]);
      expect(await s.credit.balanceOf(carol.address, id)).to.equal(0n);
      expect(await s.credit.balanceOf(ra, id)).to.equal(9n);
    });

    it("does not call the receiver hook: a hostile owner contract cannot block its refund", async () => {
      const { s, alice, custodian, id } = await loadFixture(custodyFixture);
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      await s.credit.connect(alice).safeTransferFrom(alice.address, ra, id, 10, "0x");
      await r.execute(await s.credit.getAddress(), s.credit.interface.encodeFunctionData("safeTransferFrom", [ra, custodian.address, id, 10, "0x"]));
      await r.setMode(Mode.RejectRevert);
      const hooks = await r.hookCount();
      await s.credit.connect(custodian).returnFromCustody(ra, id, 10);
      expect(await s.credit.balanceOf(ra, id)).to.equal(10n);
      expect(await r.hookCount()).to.equal(hooks);
    });

    it("rejects a paused ledger, zero amount, zero receiver and more than the custodian holds", async () => {
      const { s, alice, custodian, id } = await loadFixture(custodyFixture);
      const c = s.credit.connect(custodian);
      await expect(c.returnFromCustody(alice.address, id, 0)).to.be.revertedWithCustomError(s.credit, "ZeroAmount");
      await expect(c.returnFromCustody(ethers.ZeroAddress, id, 1))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
      await expect(c.returnFromCustody(alice.address, id, 101))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InsufficientBalance")
        .withArgs(custodian.address, 100n, 101n, id);
      await s.credit.pause();
      await expect(c.returnFromCustody(alice.address, id, 1)).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      await s.credit.unpause();
      await c.returnFromCustody(alice.address, id, 100);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(1000n);
    });
  });

  // ------------------------------------------------------------------ labels
  describe("setBatchLabels", () => {
    it("updates labels and the corresponding-adjustment status with an event", async () => {
      const { s, id } = await loadFixture(ledgerFixture);
      await expect(s.credit.connect(s.compliance).setBatchLabels(id, 7, CA.Completed, "CA completed by host country"))
        .to.emit(s.credit, "BatchLabelsUpdated")
        .withArgs(id, 7, CA.Completed, "CA completed by host country");
      const m = await s.credit.batchMeta(id);
      expect(m.labels).to.equal(7n);
      expect(m.correspondingAdjustment).to.equal(BigInt(CA.Completed));
      // other fields untouched
      expect(m.registry).to.equal(bytes16("VERRA"));
      expect(m.serialNumberHash).to.equal(ethers.id(verraBatch(1000n, 1999n).serialNumber as string));
      await s.credit.connect(s.compliance).setBatchLabels(id, 0, CA.NotRequired, "labels withdrawn");
      expect((await s.credit.batchMeta(id)).labels).to.equal(0n);
    });

    it("rejects unknown batches, labels above 7, an empty reason and an out-of-range CA status", async () => {
      const { s, id } = await loadFixture(ledgerFixture);
      const c = s.credit.connect(s.compliance);
      await expect(c.setBatchLabels(42, 1, CA.Completed, "x")).to.be.revertedWithCustomError(s.credit, "UnknownBatch").withArgs(42);
      await expect(c.setBatchLabels(0, 1, CA.Completed, "x")).to.be.revertedWithCustomError(s.credit, "UnknownBatch").withArgs(0);
      await expect(c.setBatchLabels(id, 8, CA.Completed, "x")).to.be.revertedWithCustomError(s.credit, "InvalidBatchInfo").withArgs("labels");
      await expect(c.setBatchLabels(id, 1, CA.Completed, "")).to.be.revertedWithCustomError(s.credit, "EmptyReason");
      await expect(c.setBatchLabels(id, 1, 5, "x")).to.be.reverted;
      expect((await s.credit.batchMeta(id)).labels).to.equal(BigInt(Label.CCP));
    });
  });

  // ------------------------------------------------------------------ retirement
  describe("retirement", () => {
    it("assigns serials FIFO and contiguous across several retirements by different holders", async () => {
      const { s, alice, bob, id } = await loadFixture(ledgerFixture);
      await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 300, "0x");
      const steps: Array<[HardhatEthersSigner, bigint, bigint, bigint]> = [
        [alice, 100n, 1000n, 1099n],
        [bob, 50n, 1100n, 1149n],
        [alice, 1n, 1150n, 1150n],
        [bob, 250n, 1151n, 1400n],
        [alice, 599n, 1401n, 1999n],
      ];
      let retired = 0n;
      for (const [who, n, first, last] of steps) {
        const c = claim();
        const expectedId = certId(id, first);
        expect(await s.credit.connect(who).retire.staticCall(id, n, c)).to.equal(expectedId);
        const tx = s.credit.connect(who).retire(id, n, c);
        await expect(tx)
          .to.emit(s.credit, "Retired")
          .withArgs(expectedId, id, who.address, first, last, (got: { beneficiaryName: string; reason: string }) => {
            expect(got.beneficiaryName).to.equal(c.beneficiaryName);
            expect(got.reason).to.equal(c.reason);
            return true;
          });
        await expect(tx).to.emit(s.credit, "TransferSingle").withArgs(who.address, who.address, ethers.ZeroAddress, id, n);
        await expect(tx).to.emit(s.certificate, "Transfer").withArgs(ethers.ZeroAddress, who.address, expectedId);
        retired += n;
        await expectLedger(s, id, { minted: 1000n, retired, redeemed: 0n, holders: [alice.address, bob.address] });
        const v = await s.certificate.certificate(expectedId);
        expect([v.owner, v.batchId, v.firstSerial, v.lastSerial, v.quantity]).to.deep.equal([who.address, id, first, last, n]);
      }
      expect(await s.credit.totalSupply(id)).to.equal(0n);
      expect(await s.certificate.balanceOf(alice.address)).to.equal(3n);
      expect(await s.certificate.balanceOf(bob.address)).to.equal(2n);
      await expect(s.credit.connect(alice).retire(id, 1, claim()))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InsufficientBalance")
        .withArgs(alice.address, 0n, 1n, id);
    });

    it("the certificate goes to the beneficiary when set (who need not be KYC'd), else to the holder", async () => {
      const { s, alice, carol, id } = await loadFixture(ledgerFixture);
      await s.credit.connect(alice).retire(id, 5, claim({ beneficiary: carol.address }));
      expect(await s.certificate.ownerOf(certId(id, 1000n))).to.equal(carol.address);
      await s.credit.connect(alice).retire(id, 5, claim());
      expect(await s.certificate.ownerOf(certId(id, 1005n))).to.equal(alice.address);
      expect(await s.certificate.balanceOf(carol.address)).to.equal(1n);
      expect(await s.certificate.balanceOf(alice.address)).to.equal(1n);
    });

    it("stores keccak256(abi.encode(claim)) as the certificate's details hash; private retirements use a commitment", async () => {
      const { s, alice, id } = await loadFixture(ledgerFixture);
      const c = claim({ beneficiaryName: "", beneficiaryCommitment: ethers.id("salted name") });
      await s.credit.connect(alice).retire(id, 3, c);
      const encoded = ethers.AbiCoder.defaultAbiCoder().encode(
        ["tuple(address,string,bytes32,string,uint32,uint32,bytes2)"],
        [[c.beneficiary, c.beneficiaryName, c.beneficiaryCommitment, c.reason, c.periodStart, c.periodEnd, c.consumptionCountry]],
      );
      expect((await s.certificate.certificate(certId(id, 1000n))).detailsHash).to.equal(ethers.keccak256(encoded));
    });

    const badClaims: Array<[string, Parameters<typeof claim>[0]]> = [
      ["beneficiary", { beneficiaryName: "Acme", beneficiaryCommitment: ethers.id("c") }],
      ["beneficiary", { beneficiaryName: "", beneficiaryCommitment: ethers.ZeroHash }],
      ["beneficiaryName", { beneficiaryName: "n".repeat(513) }],
      ["reason", { reason: "" }],
      ["reason", { reason: "r".repeat(513) }],
      ["period", { periodStart: 0 }],
      ["period", { periodStart: 20250102, periodEnd: 20250101 }],
      ["consumptionCountry", { consumptionCountry: bytes2("us") }],
      ["consumptionCountry", { consumptionCountry: "0x0000" }],
    ];
    for (const [field, o] of badClaims) {
      it(`InvalidClaim("${field}") for ${Object.keys(o ?? {}).join("+")}`, async () => {
        const { s, alice, id } = await loadFixture(ledgerFixture);
        await expect(s.credit.connect(alice).retire(id, 1, claim(o)))
          .to.be.revertedWithCustomError(s.credit, "InvalidClaim")
          .withArgs(field);
        expect(await s.credit.retiredSupply(id)).to.equal(0n);
      });
    }

    it("accepts claim boundary values (512-char name and reason, one-day period)", async () => {
      const { s, alice, id } = await loadFixture(ledgerFixture);
      await s.credit.connect(alice).retire(id, 1, claim({ beneficiaryName: "n".repeat(512), reason: "r".repeat(512), periodStart: 20250101, periodEnd: 20250101 }));
      expect(await s.credit.retiredSupply(id)).to.equal(1n);
    });

    it("rejects ZeroAmount, UnknownBatch, ineligible holders and missing balance", async () => {
      const { s, alice, bob, carol, id } = await loadFixture(ledgerFixture);
      await expect(s.credit.connect(alice).retire(id, 0, claim())).to.be.revertedWithCustomError(s.credit, "ZeroAmount");
      await expect(s.credit.connect(alice).retire(77, 1, claim())).to.be.revertedWithCustomError(s.credit, "UnknownBatch").withArgs(77);
      await expect(s.credit.connect(carol).retire(id, 1, claim()))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(carol.address, Ineligibility.NotVerified);
      await expect(s.credit.connect(bob).retire(id, 1, claim()))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InsufficientBalance")
        .withArgs(bob.address, 0n, 1n, id);
      await freeze(s, alice.address);
      await expect(s.credit.connect(alice).retire(id, 1, claim()))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(alice.address, Ineligibility.Frozen);
    });

    it("CertificateNotSet before the certificate contract is wired", async () => {
      const { s, alice } = await loadFixture(ledgerFixture);
      const c = (await ethers.deployContract("CarbonCredit", [s.admin.address, await s.identity.getAddress(), ""])) as unknown as CarbonCredit;
      await s.identity.grantRole(await s.identity.RULE_MANAGER_ROLE(), await c.getAddress());
      await c.grantRole(await c.BRIDGE_ROLE(), s.admin.address);
      await c.createBatch(verraBatch(1n, 10n), 0, alice.address, ref("l"));
      await expect(c.connect(alice).retire(1, 1, claim())).to.be.revertedWithCustomError(c, "CertificateNotSet");
      expect(await c.balanceOf(alice.address, 1)).to.equal(10n);
    });

    it("retireFrom: needs operator approval unless the caller is the holder; certificate defaults to the holder", async () => {
      const { s, alice, operator, id } = await loadFixture(ledgerFixture);
      await expect(s.credit.connect(operator).retireFrom(alice.address, id, 1, claim()))
        .to.be.revertedWithCustomError(s.credit, "ERC1155MissingApprovalForAll")
        .withArgs(operator.address, alice.address);
      await s.credit.connect(alice).retireFrom(alice.address, id, 2, claim());
      await s.credit.connect(alice).setApprovalForAll(operator.address, true);
      await expect(s.credit.connect(operator).retireFrom(alice.address, id, 3, claim()))
        .to.emit(s.credit, "Retired")
        .withArgs(certId(id, 1002n), id, alice.address, 1002n, 1004n, anyValue);
      expect(await s.certificate.ownerOf(certId(id, 1002n))).to.equal(alice.address);
      await s.credit.connect(alice).setApprovalForAll(operator.address, false);
      await expect(s.credit.connect(operator).retireFrom(alice.address, id, 1, claim()))
        .to.be.revertedWithCustomError(s.credit, "ERC1155MissingApprovalForAll")
        .withArgs(operator.address, alice.address);
      await expectLedger(s, id, { minted: 1000n, retired: 5n, redeemed: 0n, holders: [alice.address] });
    });
  });

  // ------------------------------------------------------------------ redemption (bridge entry points)
  describe("redemption entry points", () => {
    it("burnForRedemption takes serials from the top, one pending redemption per batch", async () => {
      const { s, alice, bob, bridgeEoa, id } = await loadFixture(ledgerFixture);
      const b = s.credit.connect(bridgeEoa);
      expect(await b.burnForRedemption.staticCall(alice.address, id, 10)).to.deep.equal([1990n, 1999n]);
      const tx = b.burnForRedemption(alice.address, id, 10);
      await expect(tx).to.emit(s.credit, "RedemptionBurned").withArgs(id, alice.address, 1990n, 1999n);
      await expect(tx).to.emit(s.credit, "TransferSingle").withArgs(bridgeEoa.address, alice.address, ethers.ZeroAddress, id, 10n);
      expect((await s.credit.batchMeta(id)).redemptionPending).to.equal(true);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 10n, holders: [alice.address] });
      await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 5, "0x");
      await expect(b.burnForRedemption(bob.address, id, 1)).to.be.revertedWithCustomError(s.credit, "RedemptionAlreadyPending").withArgs(id);
      await expect(b.settleRedemption(id)).to.emit(s.credit, "RedemptionSettled").withArgs(id);
      expect((await s.credit.batchMeta(id)).redemptionPending).to.equal(false);
      await expect(b.burnForRedemption(bob.address, id, 5)).to.emit(s.credit, "RedemptionBurned").withArgs(id, bob.address, 1985n, 1989n);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 15n, holders: [alice.address, bob.address] });
    });

    it("burnForRedemption rejects ZeroAmount, UnknownBatch, ineligible holders and missing balance", async () => {
      const { s, alice, bob, carol, bridgeEoa, id } = await loadFixture(ledgerFixture);
      const b = s.credit.connect(bridgeEoa);
      await expect(b.burnForRedemption(alice.address, id, 0)).to.be.revertedWithCustomError(s.credit, "ZeroAmount");
      await expect(b.burnForRedemption(alice.address, 5, 1)).to.be.revertedWithCustomError(s.credit, "UnknownBatch").withArgs(5);
      await expect(b.burnForRedemption(carol.address, id, 1))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(carol.address, Ineligibility.NotVerified);
      await expect(b.burnForRedemption(bob.address, id, 1))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InsufficientBalance")
        .withArgs(bob.address, 0n, 1n, id);
      await expect(b.burnForRedemption(ethers.ZeroAddress, id, 1))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(ethers.ZeroAddress, Ineligibility.NotVerified);
      expect((await s.credit.batchMeta(id)).redemptionPending).to.equal(false);
    });

    it("restoreRedemption gives back the exact range; rejects unknown, not-pending and mismatched ranges", async () => {
      const { s, alice, bridgeEoa, id } = await loadFixture(ledgerFixture);
      const b = s.credit.connect(bridgeEoa);
      await expect(b.restoreRedemption(alice.address, 9, 1, 1)).to.be.revertedWithCustomError(s.credit, "UnknownBatch").withArgs(9);
      await expect(b.restoreRedemption(alice.address, id, 1999, 1999)).to.be.revertedWithCustomError(s.credit, "NoPendingRedemption").withArgs(id);
      await expect(b.settleRedemption(id)).to.be.revertedWithCustomError(s.credit, "NoPendingRedemption").withArgs(id);
      await expect(b.settleRedemption(9)).to.be.revertedWithCustomError(s.credit, "UnknownBatch").withArgs(9);
      await b.burnForRedemption(alice.address, id, 10);
      await expect(b.restoreRedemption(alice.address, id, 1989, 1999))
        .to.be.revertedWithCustomError(s.credit, "RedemptionRangeMismatch")
        .withArgs(1989n, 1990n);
      await expect(b.restoreRedemption(alice.address, id, 1991, 1999))
        .to.be.revertedWithCustomError(s.credit, "RedemptionRangeMismatch")
        .withArgs(1991n, 1990n);
      const tx = b.restoreRedemption(alice.address, id, 1990, 1999);
      await expect(tx).to.emit(s.credit, "RedemptionRestored").withArgs(id, alice.address, 1990n, 1999n);
      await expect(tx).to.emit(s.credit, "TransferSingle").withArgs(bridgeEoa.address, ethers.ZeroAddress, alice.address, id, 10n);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [alice.address] });
      expect((await s.credit.batchMeta(id)).redemptionPending).to.equal(false);
      await expect(b.restoreRedemption(alice.address, id, 1990, 1999)).to.be.revertedWithCustomError(s.credit, "NoPendingRedemption").withArgs(id);
    });
  });

  // ------------------------------------------------------------------ re-entrancy through the transfer hook
  describe("re-entrancy through onERC1155Received", () => {
    it("a receiver re-entering during a transfer can spend only what it holds", async () => {
      const { s, alice, bob, id } = await loadFixture(ledgerFixture);
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      const cAddr = await s.credit.getAddress();
      const i = s.credit.interface;
      await r.arm(
        [cAddr, cAddr, cAddr, cAddr],
        [
          i.encodeFunctionData("safeTransferFrom", [ra, bob.address, id, 100, "0x"]), // spend what it received
          i.encodeFunctionData("safeTransferFrom", [ra, bob.address, id, 1, "0x"]), // double spend
          i.encodeFunctionData("safeTransferFrom", [alice.address, ra, id, 100, "0x"]), // pull more from the sender
          i.encodeFunctionData("retire", [id, 1, claim()]), // retire units it no longer has
        ],
        false,
      );
      await s.credit.connect(alice).safeTransferFrom(alice.address, ra, id, 100, "0x");
      const results = await Promise.all([0, 1, 2, 3].map((k) => r.result(k)));
      expect(results.map((x) => x[0])).to.deep.equal([true, false, false, false]);
      expectRevertData(s.credit, results[1][1], "ERC1155InsufficientBalance", [ra, 0n, 1n, id]);
      expectRevertData(s.credit, results[2][1], "ERC1155MissingApprovalForAll", [ra, alice.address]);
      expectRevertData(s.credit, results[3][1], "ERC1155InsufficientBalance", [ra, 0n, 1n, id]);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(900n);
      expect(await s.credit.balanceOf(ra, id)).to.equal(0n);
      expect(await s.credit.balanceOf(bob.address, id)).to.equal(100n);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [alice.address, bob.address, ra] });
    });

    it("a receiver retiring from inside the hook gets the next FIFO serials and the ledger stays consistent", async () => {
      const { s, alice, id } = await loadFixture(ledgerFixture);
      await s.credit.connect(alice).retire(id, 10, claim());
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      await r.arm([await s.credit.getAddress()], [s.credit.interface.encodeFunctionData("retire", [id, 50, claim()])], true);
      await s.credit.connect(alice).safeTransferFrom(alice.address, ra, id, 50, "0x");
      expect(await s.certificate.ownerOf(certId(id, 1010n))).to.equal(ra);
      expect((await s.certificate.certificate(certId(id, 1010n))).lastSerial).to.equal(1059n);
      await expectLedger(s, id, { minted: 1000n, retired: 60n, redeemed: 0n, holders: [alice.address, ra] });
    });
  });
});
