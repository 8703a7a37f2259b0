import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { IdentityRegistry } from "../typechain-types";
import {
  deploySuite,
  bytes2,
  latestTime,
  EntityType,
  Ineligibility,
  ONE_YEAR,
  Status,
} from "./helpers/fixtures";

type IdentityInput = IdentityRegistry.IdentityInputStruct;

const COMPLIANCE_ROLE = ethers.id("COMPLIANCE_ROLE");
const RULE_MANAGER_ROLE = ethers.id("RULE_MANAGER_ROLE");
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const ACCOUNTS = ethers.id("registry-accounts");
const BATCH = 7n;
const OTHER_BATCH = 8n;

/** Bit of `entityType` in a TransferRule mask. */
const bit = (entityType: number): number => 1 << entityType;
const ALL_ENTITY_BITS = 0x1f;

async function identityFixture() {
  const s = await deploySuite();
  const [alice, bob, carol, dave, outsider, ruleManager] = s.users;
  // The suite grants RULE_MANAGER_ROLE to the credit token only; give a plain signer the role so
  // rules can be set directly.
  await s.identity.connect(s.admin).grantRole(RULE_MANAGER_ROLE, ruleManager.address);
  return { ...s, alice, bob, carol, dave, outsider, ruleManager };
}

async function input(overrides: Partial<IdentityInput> = {}): Promise<IdentityInput> {
  return {
    status: Status.Verified,
    entityType: EntityType.Company,
    country: bytes2("US"),
    kycExpiry: (await latestTime()) + ONE_YEAR,
    sanctionsCleared: true,
    registryAccountsHash: ACCOUNTS,
    ...overrides,
  };
}

describe("IdentityRegistry", () => {
  let s: Awaited<ReturnType<typeof identityFixture>>;
  let identity: IdentityRegistry;
  let compliance: HardhatEthersSigner;

  beforeEach(async () => {
    s = await loadFixture(identityFixture);
    identity = s.identity;
    compliance = s.compliance;
  });

  /** setIdentity as compliance. */
  async function setId(wallet: string, overrides: Partial<IdentityInput> = {}) {
    return identity.connect(compliance).setIdentity(wallet, await input(overrides));
  }

  async function setRule(batchId: bigint, jurisdiction: string, entityTypeMask: number) {
    return identity.connect(s.ruleManager).setTransferRule(batchId, { jurisdiction: bytes2(jurisdiction), entityTypeMask });
  }

  async function expectReason(wallet: string, batchId: bigint, reason: number) {
    expect(await identity.eligibility(wallet, batchId)).to.equal(reason);
    expect(await identity.isEligible(wallet, batchId)).to.equal(reason === Ineligibility.None);
    if (reason === Ineligibility.None) {
      await expect(identity.checkHolder(wallet, batchId)).not.to.be.reverted;
    } else {
      await expect(identity.checkHolder(wallet, batchId))
        .to.be.revertedWithCustomError(identity, "NotEligible")
        .withArgs(wallet, reason);
    }
  }

  // ------------------------------------------------------------------ deployment and roles

  describe("deployment", () => {
    it("rejects a zero admin", async () => {
      const factory = await ethers.getContractFactory("IdentityRegistry");
      await expect(factory.deploy(ethers.ZeroAddress)).to.be.revertedWithCustomError(factory, "ZeroAddress");
    });

    it("grants DEFAULT_ADMIN_ROLE to the admin only and exposes the role ids", async () => {
      expect(await identity.COMPLIANCE_ROLE()).to.equal(COMPLIANCE_ROLE);
      expect(await identity.RULE_MANAGER_ROLE()).to.equal(RULE_MANAGER_ROLE);
      expect(await identity.hasRole(DEFAULT_ADMIN_ROLE, s.admin.address)).to.equal(true);
      expect(await identity.hasRole(DEFAULT_ADMIN_ROLE, compliance.address)).to.equal(false);
      expect(await identity.hasRole(COMPLIANCE_ROLE, compliance.address)).to.equal(true);
      expect(await identity.hasRole(RULE_MANAGER_ROLE, await s.credit.getAddress())).to.equal(true);
      expect(await identity.hasRole(RULE_MANAGER_ROLE, compliance.address)).to.equal(false);
    });

    it("a fresh deployment has no roles but the admin's", async () => {
      const fresh = await ethers.deployContract("IdentityRegistry", [s.alice.address]);
      expect(await fresh.hasRole(DEFAULT_ADMIN_ROLE, s.alice.address)).to.equal(true);
      expect(await fresh.hasRole(COMPLIANCE_ROLE, s.alice.address)).to.equal(false);
      await expect(fresh.connect(s.alice).freeze(s.bob.address, "x"))
        .to.be.revertedWithCustomError(fresh, "AccessControlUnauthorizedAccount")
        .withArgs(s.alice.address, COMPLIANCE_ROLE);
    });

    it("only the admin grants roles; a revoked compliance officer can no longer write", async () => {
      await expect(identity.connect(compliance).grantRole(COMPLIANCE_ROLE, s.alice.address))
        .to.be.revertedWithCustomError(identity, "AccessControlUnauthorizedAccount")
        .withArgs(compliance.address, DEFAULT_ADMIN_ROLE);
      await identity.connect(s.admin).revokeRole(COMPLIANCE_ROLE, compliance.address);
      await expect(setId(s.alice.address))
        .to.be.revertedWithCustomError(identity, "AccessControlUnauthorizedAccount")
        .withArgs(compliance.address, COMPLIANCE_ROLE);
    });

    it("supports the AccessControl interface", async () => {
      expect(await identity.supportsInterface("0x7965db0b")).to.equal(true); // IAccessControl
      expect(await identity.supportsInterface("0x01ffc9a7")).to.equal(true); // IERC165
      expect(await identity.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("access control on every state-changing function", () => {
    it("setIdentity requires COMPLIANCE_ROLE", async () => {
      for (const caller of [s.outsider, s.admin, s.ruleManager]) {
        await expect(identity.connect(caller).setIdentity(s.alice.address, await input()))
          .to.be.revertedWithCustomError(identity, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, COMPLIANCE_ROLE);
      }
    });

    it("setStatus requires COMPLIANCE_ROLE", async () => {
      await setId(s.alice.address);
      await expect(identity.connect(s.outsider).setStatus(s.alice.address, Status.Suspended, "review"))
        .to.be.revertedWithCustomError(identity, "AccessControlUnauthorizedAccount")
        .withArgs(s.outsider.address, COMPLIANCE_ROLE);
    });

    it("setSanctionsCleared requires COMPLIANCE_ROLE", async () => {
      await setId(s.alice.address);
      await expect(identity.connect(s.admin).setSanctionsCleared(s.alice.address, false, "hit"))
        .to.be.revertedWithCustomError(identity, "AccessControlUnauthorizedAccount")
        .withArgs(s.admin.address, COMPLIANCE_ROLE);
    });

    it("freeze requires COMPLIANCE_ROLE", async () => {
      await expect(identity.connect(s.ruleManager).freeze(s.alice.address, "court order"))
        .to.be.revertedWithCustomError(identity, "AccessControlUnauthorizedAccount")
        .withArgs(s.ruleManager.address, COMPLIANCE_ROLE);
    });

    it("unfreeze requires COMPLIANCE_ROLE", async () => {
      await identity.connect(compliance).freeze(s.alice.address, "court order");
      await expect(identity.connect(s.alice).unfreeze(s.alice.address, "please"))
        .to.be.revertedWithCustomError(identity, "AccessControlUnauthorizedAccount")
        .withArgs(s.alice.address, COMPLIANCE_ROLE);
      expect((await identity.identityOf(s.alice.address)).frozen).to.equal(true);
    });

    it("setTransferRule requires RULE_MANAGER_ROLE (COMPLIANCE_ROLE and admin are not enough)", async () => {
      for (const caller of [compliance, s.admin, s.outsider]) {
        await expect(identity.connect(caller).setTransferRule(BATCH, { jurisdiction: bytes2("IN"), entityTypeMask: 0 }))
          .to.be.revertedWithCustomError(identity, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, RULE_MANAGER_ROLE);
      }
    });
  });

  // ------------------------------------------------------------------ setIdentity

  describe("setIdentity", () => {
    it("stores the record and the accounts hash and emits IdentitySet with every field", async () => {
      const expiry = (await latestTime()) + 1000;
      await expect(
        setId(s.alice.address, {
          status: Status.Verified,
          entityType: EntityType.Government,
          country: bytes2("IN"),
          kycExpiry: expiry,
          sanctionsCleared: true,
          registryAccountsHash: ACCOUNTS,
        }),
      )
        .to.emit(identity, "IdentitySet")
        .withArgs(s.alice.address, Status.Verified, EntityType.Government, bytes2("IN"), expiry, true, ACCOUNTS);
      const rec = await identity.identityOf(s.alice.address);
      expect(rec.status).to.equal(Status.Verified);
      expect(rec.frozen).to.equal(false);
      expect(rec.sanctionsCleared).to.equal(true);
      expect(rec.entityType).to.equal(EntityType.Government);
      expect(rec.country).to.equal(bytes2("IN"));
      expect(rec.kycExpiry).to.equal(expiry);
      expect(await identity.registryAccountsHashOf(s.alice.address)).to.equal(ACCOUNTS);
      // Other wallets are untouched.
      expect((await identity.identityOf(s.bob.address)).status).to.equal(Status.None);
      expect(await identity.registryAccountsHashOf(s.bob.address)).to.equal(ethers.ZeroHash);
    });

    it("an unknown wallet has an all-zero record", async () => {
      const rec = await identity.identityOf(s.outsider.address);
      expect(rec.status).to.equal(Status.None);
      expect(rec.frozen).to.equal(false);
      expect(rec.sanctionsCleared).to.equal(false);
      expect(rec.entityType).to.equal(EntityType.Unspecified);
      expect(rec.country).to.equal("0x0000");
      expect(rec.kycExpiry).to.equal(0n);
    });

    it("replaces every field of an existing record", async () => {
      await setId(s.alice.address);
      const other = ethers.id("other-accounts");
      const expiry = (await latestTime()) + 50;
      await expect(
        setId(s.alice.address, {
          status: Status.Pending,
          entityType: EntityType.Individual,
          country: bytes2("DE"),
          kycExpiry: expiry,
          sanctionsCleared: false,
          registryAccountsHash: other,
        }),
      )
        .to.emit(identity, "IdentitySet")
        .withArgs(s.alice.address, Status.Pending, EntityType.Individual, bytes2("DE"), expiry, false, other);
      const rec = await identity.identityOf(s.alice.address);
      expect(rec.status).to.equal(Status.Pending);
      expect(rec.sanctionsCleared).to.equal(false);
      expect(rec.entityType).to.equal(EntityType.Individual);
      expect(rec.country).to.equal(bytes2("DE"));
      expect(rec.kycExpiry).to.equal(expiry);
      expect(await identity.registryAccountsHashOf(s.alice.address)).to.equal(other);
    });

    it("keeps the frozen flag of a frozen wallet (frozen before and after its record is written)", async () => {
      // Frozen before any record exists (pre-emptive freeze).
      await identity.connect(compliance).freeze(s.alice.address, "pre-emptive");
      await setId(s.alice.address);
      expect((await identity.identityOf(s.alice.address)).frozen).to.equal(true);
      await expectReason(s.alice.address, BATCH, Ineligibility.Frozen);
      // Rewriting the record does not thaw it either.
      await setId(s.alice.address, { country: bytes2("FR") });
      expect((await identity.identityOf(s.alice.address)).frozen).to.equal(true);
      expect((await identity.identityOf(s.alice.address)).country).to.equal(bytes2("FR"));
      await expectReason(s.alice.address, BATCH, Ineligibility.Frozen);
    });

    it("keeps an unfrozen wallet unfrozen", async () => {
      await setId(s.alice.address);
      await identity.connect(compliance).freeze(s.alice.address, "x");
      await identity.connect(compliance).unfreeze(s.alice.address, "y");
      await setId(s.alice.address);
      expect((await identity.identityOf(s.alice.address)).frozen).to.equal(false);
    });

    it("rejects the zero address", async () => {
      await expect(setId(ethers.ZeroAddress)).to.be.revertedWithCustomError(identity, "ZeroAddress");
    });

    const badCountries: Array<[string, string]> = [
      ["lower case", "us"],
      ["first letter lower case", "uS"],
      ["second letter lower case", "Us"],
      ["digits", "12"],
      ["digit first", "1S"],
      ["digit second", "U1"],
      ["just below A (first)", "@S"],
      ["just above Z (first)", "[S"],
      ["just below A (second)", "U@"],
      ["just above Z (second)", "U["],
      ["space", "U "],
    ];
    for (const [label, code] of badCountries) {
      it(`rejects an invalid country: ${label} (${JSON.stringify(code)})`, async () => {
        await expect(setId(s.alice.address, { country: bytes2(code) }))
          .to.be.revertedWithCustomError(identity, "InvalidCountry")
          .withArgs(bytes2(code));
      });
    }

    it("rejects the empty country 0x0000 and non-ASCII bytes", async () => {
      for (const code of ["0x0000", "0xc3a9", "0x5500", "0x0055"]) {
        await expect(setId(s.alice.address, { country: code }))
          .to.be.revertedWithCustomError(identity, "InvalidCountry")
          .withArgs(code);
      }
    });

    it("accepts the boundary letters A and Z", async () => {
      for (const code of ["AA", "ZZ", "AZ", "ZA"]) {
        await setId(s.alice.address, { country: bytes2(code) });
        expect((await identity.identityOf(s.alice.address)).country).to.equal(bytes2(code));
      }
    });

    it("rejects a Verified record whose KYC expiry is in the past", async () => {
      const now = await latestTime();
      await expect(setId(s.alice.address, { kycExpiry: now - 1 }))
        .to.be.revertedWithCustomError(identity, "KycExpiryInPast")
        .withArgs(now - 1);
      await expect(setId(s.alice.address, { kycExpiry: 0 }))
        .to.be.revertedWithCustomError(identity, "KycExpiryInPast")
        .withArgs(0);
    });

    it("treats a Verified KYC expiry equal to the block timestamp as past", async () => {
      const t = (await latestTime()) + 100;
      await time.setNextBlockTimestamp(t);
      await expect(setId(s.alice.address, { kycExpiry: t }))
        .to.be.revertedWithCustomError(identity, "KycExpiryInPast")
        .withArgs(t);
      await time.setNextBlockTimestamp(t + 10);
      await expect(setId(s.alice.address, { kycExpiry: t + 11 })).to.emit(identity, "IdentitySet");
      expect((await identity.identityOf(s.alice.address)).kycExpiry).to.equal(t + 11);
    });

    it("allows a past expiry on records that are not Verified", async () => {
      for (const status of [Status.None, Status.Pending, Status.Suspended]) {
        await expect(setId(s.alice.address, { status, kycExpiry: 0 }))
          .to.emit(identity, "IdentitySet")
          .withArgs(s.alice.address, status, EntityType.Company, bytes2("US"), 0, true, ACCOUNTS);
        await expectReason(s.alice.address, BATCH, Ineligibility.NotVerified);
      }
    });

    it("changes nothing when it reverts", async () => {
      await setId(s.alice.address, { country: bytes2("IN") });
      const before = await identity.identityOf(s.alice.address);
      await expect(setId(s.alice.address, { country: bytes2("in") })).to.be.revertedWithCustomError(identity, "InvalidCountry");
      expect(await identity.identityOf(s.alice.address)).to.deep.equal(before);
      expect(await identity.registryAccountsHashOf(s.alice.address)).to.equal(ACCOUNTS);
    });
  });

  // ------------------------------------------------------------------ setStatus

  describe("setStatus", () => {
    it("changes only the status and emits StatusChanged", async () => {
      await setId(s.alice.address, { country: bytes2("IN"), entityType: EntityType.Individual });
      const before = await identity.identityOf(s.alice.address);
      await expect(identity.connect(compliance).setStatus(s.alice.address, Status.Suspended, "failed review"))
        .to.emit(identity, "StatusChanged")
        .withArgs(s.alice.address, Status.Suspended, "failed review");
      const after = await identity.identityOf(s.alice.address);
      expect(after.status).to.equal(Status.Suspended);
      expect(after.frozen).to.equal(before.frozen);
      expect(after.sanctionsCleared).to.equal(before.sanctionsCleared);
      expect(after.entityType).to.equal(before.entityType);
      expect(after.country).to.equal(before.country);
      expect(after.kycExpiry).to.equal(before.kycExpiry);
      await expectReason(s.alice.address, BATCH, Ineligibility.NotVerified);
    });

    it("re-verifies a suspended wallet whose KYC is still current", async () => {
      await setId(s.alice.address);
      await identity.connect(compliance).setStatus(s.alice.address, Status.Suspended, "review");
      await expect(identity.connect(compliance).setStatus(s.alice.address, Status.Verified, "cleared"))
        .to.emit(identity, "StatusChanged")
        .withArgs(s.alice.address, Status.Verified, "cleared");
      await expectReason(s.alice.address, BATCH, Ineligibility.None);
    });

    it("reverts UnknownWallet for a wallet without a record (even a frozen one)", async () => {
      await expect(identity.connect(compliance).setStatus(s.alice.address, Status.Suspended, "r"))
        .to.be.revertedWithCustomError(identity, "UnknownWallet")
        .withArgs(s.alice.address);
      await identity.connect(compliance).freeze(s.alice.address, "pre-emptive");
      await expect(identity.connect(compliance).setStatus(s.alice.address, Status.Verified, "r"))
        .to.be.revertedWithCustomError(identity, "UnknownWallet")
        .withArgs(s.alice.address);
      // The unknown-wallet check comes before the reason check.
      await expect(identity.connect(compliance).setStatus(s.bob.address, Status.Suspended, ""))
        .to.be.revertedWithCustomError(identity, "UnknownWallet")
        .withArgs(s.bob.address);
    });

    it("reverts EmptyReason", async () => {
      await setId(s.alice.address);
      await expect(identity.connect(compliance).setStatus(s.alice.address, Status.Suspended, ""))
        .to.be.revertedWithCustomError(identity, "EmptyReason");
    });

    it("refuses to verify a wallet whose KYC has expired (boundary: expiry == block time)", async () => {
      const t = (await latestTime()) + 100;
      await setId(s.alice.address, { status: Status.Pending, kycExpiry: t });
      await time.setNextBlockTimestamp(t);
      await expect(identity.connect(compliance).setStatus(s.alice.address, Status.Verified, "approved"))
        .to.be.revertedWithCustomError(identity, "KycExpiryInPast")
        .withArgs(t);
      expect((await identity.identityOf(s.alice.address)).status).to.equal(Status.Pending);
    });

    it("verifies a pending wallet one second before its KYC expiry", async () => {
      const t = (await latestTime()) + 100;
      await setId(s.alice.address, { status: Status.Pending, kycExpiry: t });
      await time.setNextBlockTimestamp(t - 1);
      await expect(identity.connect(compliance).setStatus(s.alice.address, Status.Verified, "approved"))
        .to.emit(identity, "StatusChanged")
        .withArgs(s.alice.address, Status.Verified, "approved");
    });

    it("allows non-Verified statuses whatever the expiry", async () => {
      const t = (await latestTime()) + 10;
      await setId(s.alice.address, { kycExpiry: t });
      await time.increaseTo(t + 100);
      await expect(identity.connect(compliance).setStatus(s.alice.address, Status.Suspended, "expired"))
        .to.emit(identity, "StatusChanged")
        .withArgs(s.alice.address, Status.Suspended, "expired");
      await expect(identity.connect(compliance).setStatus(s.alice.address, Status.Pending, "re-kyc"))
        .to.emit(identity, "StatusChanged")
        .withArgs(s.alice.address, Status.Pending, "re-kyc");
    });
  });

  // ------------------------------------------------------------------ setSanctionsCleared

  describe("setSanctionsCleared", () => {
    it("records the screening outcome and emits SanctionsClearanceChanged", async () => {
      await setId(s.alice.address);
      await expect(identity.connect(compliance).setSanctionsCleared(s.alice.address, false, "OFAC hit"))
        .to.emit(identity, "SanctionsClearanceChanged")
        .withArgs(s.alice.address, false, "OFAC hit");
      expect((await identity.identityOf(s.alice.address)).sanctionsCleared).to.equal(false);
      expect((await identity.identityOf(s.alice.address)).status).to.equal(Status.Verified);
      await expectReason(s.alice.address, BATCH, Ineligibility.SanctionsNotCleared);

      await expect(identity.connect(compliance).setSanctionsCleared(s.alice.address, true, "false positive"))
        .to.emit(identity, "SanctionsClearanceChanged")
        .withArgs(s.alice.address, true, "false positive");
      await expectReason(s.alice.address, BATCH, Ineligibility.None);
    });

    it("reverts UnknownWallet and EmptyReason", async () => {
      await expect(identity.connect(compliance).setSanctionsCleared(s.alice.address, true, "ok"))
        .to.be.revertedWithCustomError(identity, "UnknownWallet")
        .withArgs(s.alice.address);
      await setId(s.alice.address);
      await expect(identity.connect(compliance).setSanctionsCleared(s.alice.address, false, ""))
        .to.be.revertedWithCustomError(identity, "EmptyReason");
      expect((await identity.identityOf(s.alice.address)).sanctionsCleared).to.equal(true);
    });
  });

  // ------------------------------------------------------------------ freeze / unfreeze

  describe("freeze and unfreeze", () => {
    it("freeze sets the flag, emits WalletFrozen and blocks eligibility; unfreeze restores it", async () => {
      await setId(s.alice.address);
      await expect(identity.connect(compliance).freeze(s.alice.address, "court order"))
        .to.emit(identity, "WalletFrozen")
        .withArgs(s.alice.address, "court order");
      const rec = await identity.identityOf(s.alice.address);
      expect(rec.frozen).to.equal(true);
      expect(rec.status).to.equal(Status.Verified);
      await expectReason(s.alice.address, BATCH, Ineligibility.Frozen);

      await expect(identity.connect(compliance).unfreeze(s.alice.address, "order lifted"))
        .to.emit(identity, "WalletUnfrozen")
        .withArgs(s.alice.address, "order lifted");
      expect((await identity.identityOf(s.alice.address)).frozen).to.equal(false);
      await expectReason(s.alice.address, BATCH, Ineligibility.None);
    });

    it("can freeze a wallet that has no record yet", async () => {
      await expect(identity.connect(compliance).freeze(s.outsider.address, "watchlist"))
        .to.emit(identity, "WalletFrozen")
        .withArgs(s.outsider.address, "watchlist");
      const rec = await identity.identityOf(s.outsider.address);
      expect(rec.frozen).to.equal(true);
      expect(rec.status).to.equal(Status.None);
    });

    it("freeze reverts ZeroAddress, EmptyReason and AlreadyFrozen", async () => {
      await expect(identity.connect(compliance).freeze(ethers.ZeroAddress, "x"))
        .to.be.revertedWithCustomError(identity, "ZeroAddress");
      await expect(identity.connect(compliance).freeze(s.alice.address, ""))
        .to.be.revertedWithCustomError(identity, "EmptyReason");
      await identity.connect(compliance).freeze(s.alice.address, "first");
      await expect(identity.connect(compliance).freeze(s.alice.address, "second"))
        .to.be.revertedWithCustomError(identity, "AlreadyFrozen")
        .withArgs(s.alice.address);
    });

    it("unfreeze reverts EmptyReason and NotFrozen (never frozen, already unfrozen, zero address)", async () => {
      await expect(identity.connect(compliance).unfreeze(s.alice.address, "x"))
        .to.be.revertedWithCustomError(identity, "NotFrozen")
        .withArgs(s.alice.address);
      await expect(identity.connect(compliance).unfreeze(ethers.ZeroAddress, "x"))
        .to.be.revertedWithCustomError(identity, "NotFrozen")
        .withArgs(ethers.ZeroAddress);
      await identity.connect(compliance).freeze(s.alice.address, "f");
      await expect(identity.connect(compliance).unfreeze(s.alice.address, ""))
        .to.be.revertedWithCustomError(identity, "EmptyReason");
      expect((await identity.identityOf(s.alice.address)).frozen).to.equal(true);
      await identity.connect(compliance).unfreeze(s.alice.address, "u");
      await expect(identity.connect(compliance).unfreeze(s.alice.address, "again"))
        .to.be.revertedWithCustomError(identity, "NotFrozen")
        .withArgs(s.alice.address);
    });

    it("freezing one wallet does not affect another", async () => {
      await setId(s.alice.address);
      await setId(s.bob.address);
      await identity.connect(compliance).freeze(s.alice.address, "x");
      await expectReason(s.bob.address, BATCH, Ineligibility.None);
    });
  });

  // ------------------------------------------------------------------ transfer rules

  describe("setTransferRule", () => {
    it("stores the rule per batch and emits TransferRuleSet", async () => {
      const mask = bit(EntityType.Company) | bit(EntityType.Government);
      await expect(setRule(BATCH, "IN", mask))
        .to.emit(identity, "TransferRuleSet")
        .withArgs(BATCH, bytes2("IN"), mask);
      const rule = await identity.transferRuleOf(BATCH);
      expect(rule.jurisdiction).to.equal(bytes2("IN"));
      expect(rule.entityTypeMask).to.equal(mask);
      const other = await identity.transferRuleOf(OTHER_BATCH);
      expect(other.jurisdiction).to.equal("0x0000");
      expect(other.entityTypeMask).to.equal(0);
    });

    it("accepts the open rule (no jurisdiction, any entity type) and overwrites an earlier rule", async () => {
      await setRule(BATCH, "IN", bit(EntityType.Company));
      await expect(setRule(BATCH, "", 0)).to.emit(identity, "TransferRuleSet").withArgs(BATCH, "0x0000", 0);
      const rule = await identity.transferRuleOf(BATCH);
      expect(rule.jurisdiction).to.equal("0x0000");
      expect(rule.entityTypeMask).to.equal(0);
    });

    it("rejects an invalid jurisdiction", async () => {
      for (const code of ["in", "In", "iN", "1N", "I1", "@A", "Z["]) {
        await expect(setRule(BATCH, code, 0))
          .to.be.revertedWithCustomError(identity, "InvalidCountry")
          .withArgs(bytes2(code));
      }
      for (const code of ["0x4900", "0x0049"]) {
        await expect(identity.connect(s.ruleManager).setTransferRule(BATCH, { jurisdiction: code, entityTypeMask: 0 }))
          .to.be.revertedWithCustomError(identity, "InvalidCountry")
          .withArgs(code);
      }
      expect((await identity.transferRuleOf(BATCH)).jurisdiction).to.equal("0x0000");
    });

    it("accepts every mask made of defined entity types and rejects bits naming no entity type", async () => {
      await setRule(BATCH, "", ALL_ENTITY_BITS);
      expect((await identity.transferRuleOf(BATCH)).entityTypeMask).to.equal(ALL_ENTITY_BITS);
      await setRule(BATCH, "", bit(EntityType.Unspecified));
      expect((await identity.transferRuleOf(BATCH)).entityTypeMask).to.equal(1);
      for (const mask of [0x20, 0x8000, 0xffff, ALL_ENTITY_BITS | 0x40]) {
        await expect(setRule(BATCH, "", mask))
          .to.be.revertedWithCustomError(identity, "InvalidEntityTypeMask")
          .withArgs(mask);
      }
      expect((await identity.transferRuleOf(BATCH)).entityTypeMask).to.equal(1);
    });
  });

  // ------------------------------------------------------------------ eligibility

  describe("eligibility", () => {
    it("an unknown wallet is NotVerified", async () => {
      await expectReason(s.outsider.address, BATCH, Ineligibility.NotVerified);
      await expectReason(ethers.ZeroAddress, BATCH, Ineligibility.NotVerified);
    });

    it("Pending and Suspended records are NotVerified", async () => {
      await setId(s.alice.address, { status: Status.Pending });
      await expectReason(s.alice.address, BATCH, Ineligibility.NotVerified);
      await setId(s.alice.address, { status: Status.Suspended });
      await expectReason(s.alice.address, BATCH, Ineligibility.NotVerified);
      await setId(s.alice.address, { status: Status.Verified });
      await expectReason(s.alice.address, BATCH, Ineligibility.None);
    });

    it("a verified, cleared, current wallet is eligible for a batch without a rule (suite kyc helper)", async () => {
      await s.kyc(s.alice);
      await expectReason(s.alice.address, BATCH, Ineligibility.None);
      await expectReason(s.alice.address, 0n, Ineligibility.None);
      await expectReason(s.alice.address, ethers.MaxUint256, Ineligibility.None);
    });

    it("reports reasons in order of precedence", async () => {
      // Rule: only Companies in India.
      await setRule(BATCH, "IN", bit(EntityType.Company));
      const soon = (await latestTime()) + 100;
      const bad = { country: bytes2("FR"), entityType: EntityType.Individual };
      const w = s.users.slice(6, 13);
      expect(w.length).to.equal(7);
      // w0: everything wrong, and not Verified.
      await setId(w[0].address, { ...bad, kycExpiry: soon, sanctionsCleared: false });
      await identity.connect(compliance).setStatus(w[0].address, Status.Suspended, "s");
      await identity.connect(compliance).freeze(w[0].address, "f");
      // w1: Verified, everything else wrong.
      await setId(w[1].address, { ...bad, kycExpiry: soon, sanctionsCleared: false });
      await identity.connect(compliance).freeze(w[1].address, "f");
      // w2: not frozen; sanctions, expiry, jurisdiction, entity type wrong.
      await setId(w[2].address, { ...bad, kycExpiry: soon, sanctionsCleared: false });
      // w3: cleared; expiry, jurisdiction, entity type wrong.
      await setId(w[3].address, { ...bad, kycExpiry: soon });
      // w4: current; jurisdiction and entity type wrong.
      await setId(w[4].address, { ...bad });
      // w5: right jurisdiction; entity type wrong.
      await setId(w[5].address, { ...bad, country: bytes2("IN") });
      // w6: all right.
      await setId(w[6].address, { country: bytes2("IN"), entityType: EntityType.Company });
      await time.increaseTo(soon);

      const expected = [
        Ineligibility.NotVerified,
        Ineligibility.Frozen,
        Ineligibility.SanctionsNotCleared,
        Ineligibility.KycExpired,
        Ineligibility.WrongJurisdiction,
        Ineligibility.EntityTypeNotAllowed,
        Ineligibility.None,
      ];
      for (let i = 0; i < w.length; i++) {
        await expectReason(w[i].address, BATCH, expected[i]);
      }
      // Without a rule, only the identity-level reasons remain.
      const open = [...expected.slice(0, 4), Ineligibility.None, Ineligibility.None, Ineligibility.None];
      for (let i = 0; i < w.length; i++) {
        await expectReason(w[i].address, OTHER_BATCH, open[i]);
      }
    });

    it("peels reasons one at a time on a single wallet", async () => {
      await setRule(BATCH, "IN", bit(EntityType.Company));
      const a = s.alice.address;
      await setId(a, { status: Status.Suspended, country: bytes2("FR"), entityType: EntityType.Individual, sanctionsCleared: false });
      await identity.connect(compliance).freeze(a, "f");
      await expectReason(a, BATCH, Ineligibility.NotVerified);
      await identity.connect(compliance).setStatus(a, Status.Verified, "v");
      await expectReason(a, BATCH, Ineligibility.Frozen);
      await identity.connect(compliance).unfreeze(a, "u");
      await expectReason(a, BATCH, Ineligibility.SanctionsNotCleared);
      await identity.connect(compliance).setSanctionsCleared(a, true, "c");
      await expectReason(a, BATCH, Ineligibility.WrongJurisdiction);
      await setId(a, { country: bytes2("IN"), entityType: EntityType.Individual });
      await expectReason(a, BATCH, Ineligibility.EntityTypeNotAllowed);
      await setId(a, { country: bytes2("IN"), entityType: EntityType.Company });
      await expectReason(a, BATCH, Ineligibility.None);
    });

    it("KYC expiry: eligible one second before, expired at exactly kycExpiry", async () => {
      const t = (await latestTime()) + 1000;
      await s.kyc(s.alice, { expiry: t });
      await time.increaseTo(t - 1);
      expect(await latestTime()).to.equal(t - 1);
      await expectReason(s.alice.address, BATCH, Ineligibility.None);
      await time.increaseTo(t);
      expect(await latestTime()).to.equal(t);
      await expectReason(s.alice.address, BATCH, Ineligibility.KycExpired);
      await time.increaseTo(t + ONE_YEAR);
      await expectReason(s.alice.address, BATCH, Ineligibility.KycExpired);
      // Renewal restores eligibility.
      await s.kyc(s.alice, { expiry: t + 2 * ONE_YEAR });
      await expectReason(s.alice.address, BATCH, Ineligibility.None);
    });

    it("jurisdiction rule: only wallets of the batch's country (zero jurisdiction = any)", async () => {
      await setRule(BATCH, "IN", 0);
      await s.kyc(s.alice, { country: "IN" });
      await s.kyc(s.bob, { country: "US" });
      await expectReason(s.alice.address, BATCH, Ineligibility.None);
      await expectReason(s.bob.address, BATCH, Ineligibility.WrongJurisdiction);
      await expectReason(s.bob.address, OTHER_BATCH, Ineligibility.None);
      await setRule(BATCH, "", 0);
      await expectReason(s.bob.address, BATCH, Ineligibility.None);
    });

    it("entity-type mask: bit i admits EntityType(i); mask 0 admits all", async () => {
      const types = [EntityType.Unspecified, EntityType.Individual, EntityType.Company, EntityType.Government];
      const wallets = s.users.slice(0, types.length);
      for (let i = 0; i < types.length; i++) await s.kyc(wallets[i], { entityType: types[i] });
      for (const mask of [
        0,
        bit(EntityType.Unspecified),
        bit(EntityType.Individual),
        bit(EntityType.Company) | bit(EntityType.Government),
        bit(EntityType.Custody),
        ALL_ENTITY_BITS,
      ]) {
        await setRule(BATCH, "", mask);
        for (let i = 0; i < types.length; i++) {
          const allowed = mask === 0 || (mask & bit(types[i])) !== 0;
          await expectReason(wallets[i].address, BATCH, allowed ? Ineligibility.None : Ineligibility.EntityTypeNotAllowed);
        }
      }
    });

    it("wrong jurisdiction takes precedence over a disallowed entity type", async () => {
      await setRule(BATCH, "IN", bit(EntityType.Government));
      await s.kyc(s.alice, { country: "US", entityType: EntityType.Company });
      await expectReason(s.alice.address, BATCH, Ineligibility.WrongJurisdiction);
    });

    describe("Custody entity type", () => {
      beforeEach(async () => {
        await setRule(BATCH, "IN", bit(EntityType.Company));
      });

      it("is exempt from jurisdiction and entity-type rules", async () => {
        await s.kyc(s.alice, { country: "US", entityType: EntityType.Custody });
        await expectReason(s.alice.address, BATCH, Ineligibility.None);
        // A non-custody wallet with the same record is not.
        await s.kyc(s.bob, { country: "US", entityType: EntityType.Company });
        await expectReason(s.bob.address, BATCH, Ineligibility.WrongJurisdiction);
      });

      it("is not exempt from status", async () => {
        await s.kyc(s.alice, { country: "US", entityType: EntityType.Custody });
        await identity.connect(compliance).setStatus(s.alice.address, Status.Suspended, "s");
        await expectReason(s.alice.address, BATCH, Ineligibility.NotVerified);
      });

      it("is not exempt from freeze", async () => {
        await s.kyc(s.alice, { country: "US", entityType: EntityType.Custody });
        await identity.connect(compliance).freeze(s.alice.address, "f");
        await expectReason(s.alice.address, BATCH, Ineligibility.Frozen);
      });

      it("is not exempt from sanctions clearance", async () => {
        await s.kyc(s.alice, { country: "US", entityType: EntityType.Custody, sanctionsCleared: false });
        await expectReason(s.alice.address, BATCH, Ineligibility.SanctionsNotCleared);
      });

      it("is not exempt from KYC expiry", async () => {
        const t = (await latestTime()) + 100;
        await s.kyc(s.alice, { country: "US", entityType: EntityType.Custody, expiry: t });
        await expectReason(s.alice.address, BATCH, Ineligibility.None);
        await time.increaseTo(t);
        await expectReason(s.alice.address, BATCH, Ineligibility.KycExpired);
      });
    });
  });

  // ------------------------------------------------------------------ checkTransfer

  describe("checkTransfer", () => {
    it("passes when both parties are eligible", async () => {
      await s.kyc(s.alice);
      await s.kyc(s.bob);
      await expect(identity.checkTransfer(s.alice.address, s.bob.address, BATCH)).not.to.be.reverted;
      await expect(identity.checkTransfer(s.bob.address, s.alice.address, BATCH)).not.to.be.reverted;
    });

    it("names the sender first when both are ineligible", async () => {
      await s.kyc(s.alice);
      await identity.connect(compliance).freeze(s.alice.address, "f");
      // bob has no record.
      await expect(identity.checkTransfer(s.alice.address, s.bob.address, BATCH))
        .to.be.revertedWithCustomError(identity, "NotEligible")
        .withArgs(s.alice.address, Ineligibility.Frozen);
      await expect(identity.checkTransfer(s.bob.address, s.alice.address, BATCH))
        .to.be.revertedWithCustomError(identity, "NotEligible")
        .withArgs(s.bob.address, Ineligibility.NotVerified);
    });

    it("names the recipient when only the recipient is ineligible", async () => {
      await s.kyc(s.alice);
      await s.kyc(s.bob, { sanctionsCleared: false });
      await expect(identity.checkTransfer(s.alice.address, s.bob.address, BATCH))
        .to.be.revertedWithCustomError(identity, "NotEligible")
        .withArgs(s.bob.address, Ineligibility.SanctionsNotCleared);
      await expect(identity.checkTransfer(s.alice.address, s.outsider.address, BATCH))
        .to.be.revertedWithCustomError(identity, "NotEligible")
        .withArgs(s.outsider.address, Ineligibility.NotVerified);
    });

    it("names the sender when only the sender is ineligible", async () => {
      const t = (await latestTime()) + 100;
      await s.kyc(s.alice, { expiry: t });
      await s.kyc(s.bob);
      await time.increaseTo(t);
      await expect(identity.checkTransfer(s.alice.address, s.bob.address, BATCH))
        .to.be.revertedWithCustomError(identity, "NotEligible")
        .withArgs(s.alice.address, Ineligibility.KycExpired);
    });

    it("applies the batch's rule to both parties", async () => {
      await setRule(BATCH, "IN", bit(EntityType.Company));
      await s.kyc(s.alice, { country: "IN" });
      await s.kyc(s.bob, { country: "IN", entityType: EntityType.Individual });
      await s.kyc(s.carol, { country: "US" });
      await s.kyc(s.dave, { country: "US", entityType: EntityType.Custody });
      await expect(identity.checkTransfer(s.alice.address, s.bob.address, BATCH))
        .to.be.revertedWithCustomError(identity, "NotEligible")
        .withArgs(s.bob.address, Ineligibility.EntityTypeNotAllowed);
      await expect(identity.checkTransfer(s.carol.address, s.alice.address, BATCH))
        .to.be.revertedWithCustomError(identity, "NotEligible")
        .withArgs(s.carol.address, Ineligibility.WrongJurisdiction);
      // Custody (escrow) may receive and send compliance credits.
      await expect(identity.checkTransfer(s.alice.address, s.dave.address, BATCH)).not.to.be.reverted;
      await expect(identity.checkTransfer(s.dave.address, s.alice.address, BATCH)).not.to.be.reverted;
      // Another batch without a rule lets everyone verified through.
      await expect(identity.checkTransfer(s.carol.address, s.bob.address, OTHER_BATCH)).not.to.be.reverted;
    });
  });
});
