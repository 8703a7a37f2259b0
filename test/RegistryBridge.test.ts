import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  deploySuite,
  verraBatch,
  claim,
  bytes16,
  bytes2,
  ref,
  oracleWallets,
  latestTime,
  Ineligibility,
  RedemptionStatus,
  type BatchInfo,
  type Suite,
} from "./helpers/fixtures";
import {
  attestationDigest,
  batchInfoStructHash,
  certId,
  deployReceiver,
  expectBatchInfo,
  expectLedger,
  expectRevertData,
  hintFor,
  recoverFirst,
} from "./helpers/ledger";

const Mode = { Accept: 0, RejectValue: 1, RejectRevert: 2 } as const;

async function bridgeFixture() {
  const s = await deploySuite();
  const [alice, bob, carol, dave, relayer] = s.users;
  await s.kyc(alice);
  await s.kyc(bob);
  await s.kyc(dave, { country: "IN" });
  const batch = verraBatch(1000n, 1999n);
  const id = await s.tokenize(batch, alice);
  return { s, alice, bob, carol, dave, relayer, batch, id };
}

/** Signs a tokenize attestation and returns the pieces plus a sender. */
async function tokenizeAttestation(s: Suite, batch: BatchInfo, owner: string, lockRef = ref(`lock-${batch.serialStart}`)) {
  const { value, signatures } = await s.attest("TokenizeAttestation", { batch, owner, lockRef });
  const digest = attestationDigest(s, "TokenizeAttestation", value);
  const hint = await hintFor(s, batch);
  const args = [batch, owner, lockRef, hint, value.epoch as bigint, value.deadline as number, signatures] as const;
  return { value, signatures, digest, hint, lockRef, args };
}

/** Signs a registry verdict for a stored redemption (fields taken from the bridge unless overridden). */
async function verdict(s: Suite, rid: bigint, accepted: boolean, registryRef = ref(`registry-${rid}`), overrides: Record<string, unknown> = {}) {
  const r = await s.bridge.redemption(rid);
  const { value, signatures } = await s.attest("RedemptionResult", {
    redemptionId: rid,
    batchId: r.batchId,
    firstSerial: r.firstSerial,
    lastSerial: r.lastSerial,
    accepted,
    registryRef,
    ...overrides,
  });
  const digest = attestationDigest(s, "RedemptionResult", value);
  const send = (sub: { rid?: bigint; accepted?: boolean; registryRef?: string } = {}) =>
    s.bridge.finalizeRedemption(
      sub.rid ?? rid,
      sub.accepted ?? accepted,
      sub.registryRef ?? registryRef,
      value.epoch as bigint,
      value.deadline as number,
      signatures,
    );
  return { value, signatures, digest, send };
}

describe("RegistryBridge", () => {
  describe("deployment", () => {
    it("rejects zero credit or quorum and exposes both", async () => {
      const { s } = await loadFixture(bridgeFixture);
      const factory = await ethers.getContractFactory("RegistryBridge");
      const q = await s.quorum.getAddress();
      const c = await s.credit.getAddress();
      await expect(factory.deploy(ethers.ZeroAddress, q)).to.be.revertedWithCustomError(factory, "ZeroAddress");
      await expect(factory.deploy(c, ethers.ZeroAddress)).to.be.revertedWithCustomError(factory, "ZeroAddress");
      expect(await s.bridge.credit()).to.equal(c);
      expect(await s.bridge.quorum()).to.equal(q);
      expect(await s.bridge.redemptionCount()).to.equal(0n);
    });

    it("type hashes and hashBatchInfo match the EIP-712 encoding the oracles sign", async () => {
      const { s, batch } = await loadFixture(bridgeFixture);
      const batchType =
        "BatchInfo(bytes16 registry,bytes16 projectId,bytes16 methodology,uint64 serialScope,uint64 serialStart,uint64 serialEnd,uint32 vintageStart,uint32 vintageEnd,bytes2 country,bytes2 jurisdiction,uint16 labels,uint8 correspondingAdjustment,bytes32 mrvDatasetId,string serialNumber)";
      expect(await s.bridge.BATCH_INFO_TYPEHASH()).to.equal(ethers.id(batchType));
      expect(await s.bridge.TOKENIZE_TYPEHASH()).to.equal(
        ethers.id(`TokenizeAttestation(BatchInfo batch,address owner,bytes32 lockRef,uint64 epoch,uint64 deadline)${batchType}`),
      );
      expect(await s.bridge.REDEMPTION_RESULT_TYPEHASH()).to.equal(
        ethers.id(
          "RedemptionResult(uint256 redemptionId,uint256 batchId,uint64 firstSerial,uint64 lastSerial,bool accepted,bytes32 registryRef,uint64 epoch,uint64 deadline)",
        ),
      );
      for (const b of [
        batch,
        verraBatch(1n, 2n, { jurisdiction: bytes2("IN"), labels: 7, correspondingAdjustment: 4, mrvDatasetId: ref("m"), serialScope: 9n }),
      ]) {
        expect(await s.bridge.hashBatchInfo(b)).to.equal(batchInfoStructHash(b));
      }
    });
  });

  // ------------------------------------------------------------------ tokenize
  describe("tokenize", () => {
    it("mints the batch to its owner with BatchCreated, Tokenized and AttestationConsumed events", async () => {
      const { s, bob, relayer } = await loadFixture(bridgeFixture);
      const b = verraBatch(5000n, 5249n, { methodology: bytes16("VM0048") });
      const a = await tokenizeAttestation(s, b, bob.address);
      expect(a.hint).to.equal(1000n);
      expect(await s.quorum.digestOf(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(
        ["bytes32", "bytes32", "address", "bytes32", "uint64", "uint64"],
        [await s.bridge.TOKENIZE_TYPEHASH(), batchInfoStructHash(b), bob.address, a.lockRef, a.value.epoch, a.value.deadline],
      )))).to.equal(a.digest);
      // anyone may relay
      expect(await s.bridge.connect(relayer).tokenize.staticCall(...a.args)).to.equal(2n);
      const tx = s.bridge.connect(relayer).tokenize(...a.args);
      await expect(tx).to.emit(s.bridge, "Tokenized").withArgs(2n, bob.address, a.lockRef, a.digest);
      await expect(tx)
        .to.emit(s.credit, "BatchCreated")
        .withArgs(2n, bob.address, a.lockRef, (info: unknown) => {
          expectBatchInfo(info, b);
          return true;
        });
      await expect(tx)
        .to.emit(s.credit, "TransferSingle")
        .withArgs(await s.bridge.getAddress(), ethers.ZeroAddress, bob.address, 2n, 250n);
      const signers = s.oracles.slice(0, 2).map((o) => o.address);
      await expect(tx).to.emit(s.quorum, "AttestationConsumed").withArgs(a.digest, await s.bridge.getAddress(), 1n, signers);
      expect(await s.credit.balanceOf(bob.address, 2n)).to.equal(250n);
      expect(await s.quorum.isConsumed(a.digest)).to.equal(true);
      await expectLedger(s, 2n, { minted: 250n, retired: 0n, redeemed: 0n, holders: [bob.address] });
    });

    it("the same attestation cannot be used twice (AttestationAlreadyUsed), whatever the hint", async () => {
      const { s, bob } = await loadFixture(bridgeFixture);
      const a = await tokenizeAttestation(s, verraBatch(5000n, 5999n), bob.address);
      await s.bridge.tokenize(...a.args);
      await expect(s.bridge.tokenize(...a.args)).to.be.revertedWithCustomError(s.quorum, "AttestationAlreadyUsed").withArgs(a.digest);
      const [b, o, l, , e, d, sig] = a.args;
      await expect(s.bridge.tokenize(b, o, l, 5000n, e, d, sig)).to.be.revertedWithCustomError(s.quorum, "AttestationAlreadyUsed").withArgs(a.digest);
      expect(await s.credit.batchCount()).to.equal(2n);
    });

    it("a second, validly signed attestation of overlapping serials is still rejected (one serial, one token)", async () => {
      const { s, bob, batch } = await loadFixture(bridgeFixture);
      const again = await tokenizeAttestation(s, batch, bob.address, ref("another lock"));
      await expect(s.bridge.tokenize(...again.args)).to.be.revertedWithCustomError(s.credit, "SerialBlockOverlaps").withArgs(1000n, 1999n);
      const partial = await tokenizeAttestation(s, verraBatch(1500n, 2500n), bob.address, ref("partial"));
      await expect(s.bridge.tokenize(...partial.args)).to.be.revertedWithCustomError(s.credit, "SerialBlockOverlaps").withArgs(1000n, 1999n);
      // the failed calls did not consume their attestations
      expect(await s.quorum.isConsumed(again.digest)).to.equal(false);
      expect(await s.quorum.isConsumed(partial.digest)).to.equal(false);
    });

    const tampers: Array<[string, (b: BatchInfo) => BatchInfo]> = [
      ["serialEnd", (b) => ({ ...b, serialEnd: 6999n })],
      ["serialStart", (b) => ({ ...b, serialStart: 4999n })],
      ["serialNumber", (b) => ({ ...b, serialNumber: `${b.serialNumber}-x` })],
      ["jurisdiction", (b) => ({ ...b, jurisdiction: bytes2("US") })],
      ["registry", (b) => ({ ...b, registry: bytes16("GOLD_STANDARD") })],
      ["labels", (b) => ({ ...b, labels: 7 })],
      ["correspondingAdjustment", (b) => ({ ...b, correspondingAdjustment: 4 })],
      ["mrvDatasetId", (b) => ({ ...b, mrvDatasetId: ref("other dataset") })],
      ["serialScope", (b) => ({ ...b, serialScope: 1n })],
      ["vintageEnd", (b) => ({ ...b, vintageEnd: 20211231 })],
    ];
    for (const [field, tamper] of tampers) {
      it(`tampered batch data (${field}) recovers a different signer → UnknownSigner`, async () => {
        const { s, bob } = await loadFixture(bridgeFixture);
        const b = verraBatch(5000n, 5999n);
        const a = await tokenizeAttestation(s, b, bob.address);
        const forged = tamper(b);
        const recovered = recoverFirst(attestationDigest(s, "TokenizeAttestation", { ...a.value, batch: forged }), a.signatures);
        expect(s.oracles.map((o) => o.address)).to.not.include(recovered);
        const hint = await hintFor(s, forged);
        await expect(s.bridge.tokenize(forged, bob.address, a.lockRef, hint, a.value.epoch as bigint, a.value.deadline as number, a.signatures))
          .to.be.revertedWithCustomError(s.quorum, "UnknownSigner")
          .withArgs(recovered);
        expect(await s.credit.batchCount()).to.equal(1n);
      });
    }

    it("tampered owner, lock reference or deadline → UnknownSigner", async () => {
      const { s, bob, carol } = await loadFixture(bridgeFixture);
      const b = verraBatch(5000n, 5999n);
      const a = await tokenizeAttestation(s, b, bob.address);
      const ep = a.value.epoch as bigint;
      const dl = a.value.deadline as number;
      const cases: Array<[Record<string, unknown>, () => Promise<unknown>]> = [
        [{ owner: carol.address }, () => s.bridge.tokenize(b, carol.address, a.lockRef, a.hint, ep, dl, a.signatures)],
        [{ lockRef: ref("other") }, () => s.bridge.tokenize(b, bob.address, ref("other"), a.hint, ep, dl, a.signatures)],
        [{ deadline: dl + 1 }, () => s.bridge.tokenize(b, bob.address, a.lockRef, a.hint, ep, dl + 1, a.signatures)],
      ];
      for (const [change, send] of cases) {
        const recovered = recoverFirst(attestationDigest(s, "TokenizeAttestation", { ...a.value, ...change }), a.signatures);
        await expect(send()).to.be.revertedWithCustomError(s.quorum, "UnknownSigner").withArgs(recovered);
      }
    });

    it("quorum rules: too few signatures, a non-oracle signer, an expired deadline, a stale epoch", async () => {
      const { s, bob } = await loadFixture(bridgeFixture);
      const b = verraBatch(5000n, 5999n);
      const hint = await hintFor(s, b);
      const lockRef = ref("L");
      const one = await s.attest("TokenizeAttestation", { batch: b, owner: bob.address, lockRef }, s.oracles.slice(0, 1));
      await expect(s.bridge.tokenize(b, bob.address, lockRef, hint, one.value.epoch as bigint, one.value.deadline as number, one.signatures))
        .to.be.revertedWithCustomError(s.quorum, "InsufficientSignatures")
        .withArgs(1, 2);
      const intruder = oracleWallets(1, "intruder")[0];
      const mixed = await s.attest("TokenizeAttestation", { batch: b, owner: bob.address, lockRef }, [s.oracles[0], intruder]);
      await expect(s.bridge.tokenize(b, bob.address, lockRef, hint, mixed.value.epoch as bigint, mixed.value.deadline as number, mixed.signatures))
        .to.be.revertedWithCustomError(s.quorum, "UnknownSigner")
        .withArgs(intruder.address);
      const past = (await latestTime()) - 1;
      const expired = await s.attest("TokenizeAttestation", { batch: b, owner: bob.address, lockRef, deadline: past });
      await expect(s.bridge.tokenize(b, bob.address, lockRef, hint, expired.value.epoch as bigint, past, expired.signatures))
        .to.be.revertedWithCustomError(s.quorum, "AttestationExpired")
        .withArgs(past);
      const future = await s.attest("TokenizeAttestation", { batch: b, owner: bob.address, lockRef, epoch: 2n });
      await expect(s.bridge.tokenize(b, bob.address, lockRef, hint, 2n, future.value.deadline as number, future.signatures))
        .to.be.revertedWithCustomError(s.quorum, "StaleEpoch")
        .withArgs(2n, 1n);
      // rotating the signer set invalidates attestations signed for the old epoch
      const good = await tokenizeAttestation(s, b, bob.address);
      await s.quorum.setSignerSet(oracleWallets(3, "rotated").map((w) => w.address), 2);
      await expect(s.bridge.tokenize(...good.args)).to.be.revertedWithCustomError(s.quorum, "StaleEpoch").withArgs(1n, 2n);
    });

    it("a lock reference mints once (LockAlreadyTokenized), even under a fresh attestation; batchOfLock names its batch", async () => {
      const { s, bob, batch } = await loadFixture(bridgeFixture);
      expect(await s.bridge.batchOfLock(ref(`lock-${batch.serialStart}-${batch.serialEnd}`))).to.equal(1n);
      const lockRef = ref("lock-once");
      expect(await s.bridge.batchOfLock(lockRef)).to.equal(0n);
      const a = await tokenizeAttestation(s, verraBatch(5000n, 5999n), bob.address, lockRef);
      await s.bridge.tokenize(...a.args);
      expect(await s.bridge.batchOfLock(lockRef)).to.equal(2n);
      // Another block under the same lock reference, with a valid attestation of its own: refused,
      // and the attestation stays unconsumed (the revert undoes the consumption).
      const again = await tokenizeAttestation(s, verraBatch(7000n, 7999n), bob.address, lockRef);
      await expect(s.bridge.tokenize(...again.args)).to.be.revertedWithCustomError(s.bridge, "LockAlreadyTokenized").withArgs(lockRef, 2n);
      expect(await s.quorum.isConsumed(again.digest)).to.equal(false);
      expect(await s.credit.batchCount()).to.equal(2n);
    });

    it("MissingLockRef for a zero lock reference", async () => {
      const { s, bob } = await loadFixture(bridgeFixture);
      const b = verraBatch(5000n, 5999n);
      const { value, signatures } = await s.attest("TokenizeAttestation", { batch: b, owner: bob.address, lockRef: ethers.ZeroHash });
      await expect(
        s.bridge.tokenize(b, bob.address, ethers.ZeroHash, 1000n, value.epoch as bigint, value.deadline as number, signatures),
      ).to.be.revertedWithCustomError(s.bridge, "MissingLockRef");
    });

    it("the owner must be eligible for the batch (unverified, frozen, wrong jurisdiction, zero address)", async () => {
      const { s, carol, bob, dave } = await loadFixture(bridgeFixture);
      const a1 = await tokenizeAttestation(s, verraBatch(5000n, 5999n), carol.address);
      await expect(s.bridge.tokenize(...a1.args)).to.be.revertedWithCustomError(s.identity, "NotEligible").withArgs(carol.address, Ineligibility.NotVerified);
      await s.identity.connect(s.compliance).freeze(bob.address, "aml");
      const a2 = await tokenizeAttestation(s, verraBatch(5000n, 5999n), bob.address);
      await expect(s.bridge.tokenize(...a2.args)).to.be.revertedWithCustomError(s.identity, "NotEligible").withArgs(bob.address, Ineligibility.Frozen);
      const inBatch = verraBatch(5000n, 5999n, { registry: bytes16("CCTS"), jurisdiction: bytes2("IN"), country: bytes2("IN") });
      const a3 = await tokenizeAttestation(s, inBatch, s.users[0].address);
      await expect(s.bridge.tokenize(...a3.args))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(s.users[0].address, Ineligibility.WrongJurisdiction);
      const a4 = await tokenizeAttestation(s, inBatch, dave.address);
      await s.bridge.tokenize(...a4.args);
      expect(await s.credit.balanceOf(dave.address, 2n)).to.equal(1000n);
      const a5 = await tokenizeAttestation(s, verraBatch(7000n, 7999n), ethers.ZeroAddress);
      await expect(s.bridge.tokenize(...a5.args)).to.be.revertedWithCustomError(s.credit, "ERC1155InvalidReceiver").withArgs(ethers.ZeroAddress);
    });

    it("a wrong hint fails without consuming the attestation, which then works with the right hint", async () => {
      const { s, bob } = await loadFixture(bridgeFixture);
      const a = await tokenizeAttestation(s, verraBatch(5000n, 5999n), bob.address);
      const [b, o, l, , e, d, sig] = a.args;
      await expect(s.bridge.tokenize(b, o, l, 0n, e, d, sig)).to.be.revertedWithCustomError(s.credit, "InvalidSerialHint").withArgs(0n);
      expect(await s.quorum.isConsumed(a.digest)).to.equal(false);
      await s.bridge.tokenize(b, o, l, 1000n, e, d, sig);
      expect(await s.credit.balanceOf(bob.address, 2n)).to.equal(1000n);
    });

    it("paused: tokenize reverts and the attestation stays usable after unpause", async () => {
      const { s, bob } = await loadFixture(bridgeFixture);
      const a = await tokenizeAttestation(s, verraBatch(5000n, 5999n), bob.address);
      await s.credit.pause();
      await expect(s.bridge.tokenize(...a.args)).to.be.revertedWithCustomError(s.credit, "EnforcedPause");
      expect(await s.quorum.isConsumed(a.digest)).to.equal(false);
      await s.credit.unpause();
      await s.bridge.tokenize(...a.args);
      expect(await s.credit.balanceOf(bob.address, 2n)).to.equal(1000n);
    });

    it("the bridge cannot tokenize once its quorum consumer role is revoked", async () => {
      const { s, bob } = await loadFixture(bridgeFixture);
      const a = await tokenizeAttestation(s, verraBatch(5000n, 5999n), bob.address);
      const role = await s.quorum.CONSUMER_ROLE();
      await s.quorum.revokeRole(role, await s.bridge.getAddress());
      await expect(s.bridge.tokenize(...a.args))
        .to.be.revertedWithCustomError(s.quorum, "AccessControlUnauthorizedAccount")
        .withArgs(await s.bridge.getAddress(), role);
    });
  });

  // ------------------------------------------------------------------ redeem
  describe("redeem", () => {
    it("burns from the caller, assigns serials from the top and records a pending redemption", async () => {
      const { s, alice, id } = await loadFixture(bridgeFixture);
      expect(await s.bridge.connect(alice).redeem.staticCall(id, 10, "VERRA-ACC-9")).to.equal(1n);
      const tx = s.bridge.connect(alice).redeem(id, 10, "VERRA-ACC-9");
      await expect(tx).to.emit(s.bridge, "RedemptionRequested").withArgs(1n, id, alice.address, 1990n, 1999n, "VERRA-ACC-9");
      await expect(tx).to.emit(s.credit, "RedemptionBurned").withArgs(id, alice.address, 1990n, 1999n);
      await expect(tx).to.emit(s.credit, "TransferSingle").withArgs(await s.bridge.getAddress(), alice.address, ethers.ZeroAddress, id, 10n);
      const r = await s.bridge.redemption(1n);
      expect([r.holder, r.status, r.firstSerial, r.lastSerial, r.batchId]).to.deep.equal([alice.address, BigInt(RedemptionStatus.Pending), 1990n, 1999n, id]);
      expect(await s.bridge.redemptionCount()).to.equal(1n);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(990n);
      expect((await s.credit.batchMeta(id)).redemptionPending).to.equal(true);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 10n, holders: [alice.address] });
      const none = await s.bridge.redemption(2n);
      expect([none.holder, none.status]).to.deep.equal([ethers.ZeroAddress, BigInt(RedemptionStatus.None)]);
    });

    it("InvalidRegistryAccount for an empty or over-long account; 128 characters is fine", async () => {
      const { s, alice, id } = await loadFixture(bridgeFixture);
      await expect(s.bridge.connect(alice).redeem(id, 1, "")).to.be.revertedWithCustomError(s.bridge, "InvalidRegistryAccount");
      await expect(s.bridge.connect(alice).redeem(id, 1, "a".repeat(129))).to.be.revertedWithCustomError(s.bridge, "InvalidRegistryAccount");
      await expect(s.bridge.connect(alice).redeem(id, 1, "a".repeat(128))).to.emit(s.bridge, "RedemptionRequested");
    });

    it("rejects ZeroAmount, UnknownBatch, RedemptionAlreadyPending, missing balance and ineligible holders", async () => {
      const { s, alice, bob, carol, id } = await loadFixture(bridgeFixture);
      await expect(s.bridge.connect(alice).redeem(id, 0, "acc")).to.be.revertedWithCustomError(s.credit, "ZeroAmount");
      await expect(s.bridge.connect(alice).redeem(99, 1, "acc")).to.be.revertedWithCustomError(s.credit, "UnknownBatch").withArgs(99);
      await expect(s.bridge.connect(alice).redeem(id, 1001, "acc"))
        .to.be.revertedWithCustomError(s.credit, "ERC1155InsufficientBalance")
        .withArgs(alice.address, 1000n, 1001n, id);
      await expect(s.bridge.connect(carol).redeem(id, 1, "acc"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(carol.address, Ineligibility.NotVerified);
      await s.identity.connect(s.compliance).freeze(alice.address, "aml");
      await expect(s.bridge.connect(alice).redeem(id, 1, "acc"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(alice.address, Ineligibility.Frozen);
      await s.identity.connect(s.compliance).unfreeze(alice.address, "ok");
      await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 100, "0x");
      await s.bridge.connect(alice).redeem(id, 1, "acc");
      await expect(s.bridge.connect(bob).redeem(id, 1, "acc")).to.be.revertedWithCustomError(s.credit, "RedemptionAlreadyPending").withArgs(id);
      expect(await s.bridge.redemptionCount()).to.equal(1n);
    });
  });

  // ------------------------------------------------------------------ finalize
  describe("finalizeRedemption", () => {
    it("confirm settles: RedemptionFinalized(Confirmed) + RedemptionSettled, burn stays, next redemption goes below", async () => {
      const { s, alice, relayer, id } = await loadFixture(bridgeFixture);
      await s.bridge.connect(alice).redeem(id, 10, "acc");
      const v = await verdict(s, 1n, true);
      const tx = v.send();
      await expect(tx).to.emit(s.bridge, "RedemptionFinalized").withArgs(1n, RedemptionStatus.Confirmed, ref("registry-1"), v.digest);
      await expect(tx).to.emit(s.credit, "RedemptionSettled").withArgs(id);
      await expect(tx).to.not.emit(s.credit, "RedemptionRestored");
      expect((await s.bridge.redemption(1n)).status).to.equal(BigInt(RedemptionStatus.Confirmed));
      expect((await s.credit.batchMeta(id)).redemptionPending).to.equal(false);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 10n, holders: [alice.address] });
      await expect(s.bridge.connect(alice).redeem(id, 5, "acc")).to.emit(s.bridge, "RedemptionRequested").withArgs(2n, id, alice.address, 1985n, 1989n, "acc");
      const v2 = await verdict(s, 2n, true);
      await v2.send().then((t) => t.wait());
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 15n, holders: [alice.address] });
      void relayer;
    });

    it("reject restores the exact units and serial cursor; a later redemption gets the same range again", async () => {
      const { s, alice, bob, id } = await loadFixture(bridgeFixture);
      await s.bridge.connect(alice).redeem(id, 10, "acc");
      // the holder moves the rest away while the redemption is pending
      await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 990, "0x");
      const v = await verdict(s, 1n, false);
      const tx = v.send();
      await expect(tx).to.emit(s.bridge, "RedemptionFinalized").withArgs(1n, RedemptionStatus.Rejected, ref("registry-1"), v.digest);
      await expect(tx).to.emit(s.credit, "RedemptionRestored").withArgs(id, alice.address, 1990n, 1999n);
      await expect(tx).to.emit(s.credit, "TransferSingle").withArgs(await s.bridge.getAddress(), ethers.ZeroAddress, alice.address, id, 10n);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(10n);
      expect((await s.bridge.redemption(1n)).status).to.equal(BigInt(RedemptionStatus.Rejected));
      const st = await s.credit.serialState(id);
      expect(st.redeemFloor).to.equal(2000n);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [alice.address, bob.address] });
      await expect(s.bridge.connect(bob).redeem(id, 10, "acc2")).to.emit(s.bridge, "RedemptionRequested").withArgs(2n, id, bob.address, 1990n, 1999n, "acc2");
    });

    it("reject restores to a holder frozen in the meantime (verdicts are never blocked)", async () => {
      const { s, alice, id } = await loadFixture(bridgeFixture);
      await s.bridge.connect(alice).redeem(id, 10, "acc");
      await s.identity.connect(s.compliance).freeze(alice.address, "aml");
      await s.credit.pause();
      await (await verdict(s, 1n, false)).send();
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(1000n);
      await s.credit.unpause();
      await expect(s.credit.connect(alice).safeTransferFrom(alice.address, s.users[1].address, id, 1, "0x"))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(alice.address, Ineligibility.Frozen);
    });

    it("finalize twice, unknown redemption, missing registry reference", async () => {
      const { s, alice, id } = await loadFixture(bridgeFixture);
      await expect((await verdict(s, 7n, true, ref("x"), { batchId: id, firstSerial: 1, lastSerial: 1 })).send())
        .to.be.revertedWithCustomError(s.bridge, "RedemptionNotPending")
        .withArgs(7n);
      await s.bridge.connect(alice).redeem(id, 10, "acc");
      const zero = await verdict(s, 1n, true, ethers.ZeroHash);
      await expect(zero.send()).to.be.revertedWithCustomError(s.bridge, "MissingRegistryRef");
      const v = await verdict(s, 1n, false);
      await v.send();
      await expect(v.send()).to.be.revertedWithCustomError(s.bridge, "RedemptionNotPending").withArgs(1n);
      // a fresh, validly signed opposite verdict cannot overturn a final one either
      await expect((await verdict(s, 1n, true, ref("late"))).send()).to.be.revertedWithCustomError(s.bridge, "RedemptionNotPending").withArgs(1n);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(1000n);
    });

    it("tampered verdicts (flipped accepted, other registryRef) → UnknownSigner; nothing changes", async () => {
      const { s, alice, id } = await loadFixture(bridgeFixture);
      await s.bridge.connect(alice).redeem(id, 10, "acc");
      const v = await verdict(s, 1n, true);
      const flipped = recoverFirst(attestationDigest(s, "RedemptionResult", { ...v.value, accepted: false }), v.signatures);
      await expect(v.send({ accepted: false })).to.be.revertedWithCustomError(s.quorum, "UnknownSigner").withArgs(flipped);
      const other = recoverFirst(attestationDigest(s, "RedemptionResult", { ...v.value, registryRef: ref("other") }), v.signatures);
      await expect(v.send({ registryRef: ref("other") })).to.be.revertedWithCustomError(s.quorum, "UnknownSigner").withArgs(other);
      // a verdict signed over the wrong serial range does not match the stored redemption
      const wrongRange = await verdict(s, 1n, false, ref("registry-1"), { firstSerial: 1989n });
      const stored = recoverFirst(attestationDigest(s, "RedemptionResult", { ...wrongRange.value, firstSerial: 1990n }), wrongRange.signatures);
      await expect(wrongRange.send()).to.be.revertedWithCustomError(s.quorum, "UnknownSigner").withArgs(stored);
      expect((await s.bridge.redemption(1n)).status).to.equal(BigInt(RedemptionStatus.Pending));
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(990n);
      await v.send();
      expect((await s.bridge.redemption(1n)).status).to.equal(BigInt(RedemptionStatus.Confirmed));
    });

    it("a rejection for redemption 1 cannot be replayed against redemption 2 of the same range", async () => {
      const { s, alice, id } = await loadFixture(bridgeFixture);
      await s.bridge.connect(alice).redeem(id, 10, "acc");
      const v1 = await verdict(s, 1n, false, ref("same"));
      await v1.send();
      await s.bridge.connect(alice).redeem(id, 10, "acc");
      const r2 = await s.bridge.redemption(2n);
      expect([r2.firstSerial, r2.lastSerial]).to.deep.equal([1990n, 1999n]);
      const recovered = recoverFirst(attestationDigest(s, "RedemptionResult", { ...v1.value, redemptionId: 2n }), v1.signatures);
      await expect(v1.send({ rid: 2n })).to.be.revertedWithCustomError(s.quorum, "UnknownSigner").withArgs(recovered);
      expect(await s.credit.balanceOf(alice.address, id)).to.equal(990n);
    });

    it("expired or under-signed verdicts are rejected", async () => {
      const { s, alice, id } = await loadFixture(bridgeFixture);
      await s.bridge.connect(alice).redeem(id, 10, "acc");
      const past = (await latestTime()) - 1;
      await expect((await verdict(s, 1n, true, ref("r"), { deadline: past })).send())
        .to.be.revertedWithCustomError(s.quorum, "AttestationExpired")
        .withArgs(past);
      const r = await s.bridge.redemption(1n);
      const one = await s.attest(
        "RedemptionResult",
        { redemptionId: 1n, batchId: r.batchId, firstSerial: r.firstSerial, lastSerial: r.lastSerial, accepted: true, registryRef: ref("r") },
        s.oracles.slice(0, 1),
      );
      await expect(s.bridge.finalizeRedemption(1n, true, ref("r"), one.value.epoch as bigint, one.value.deadline as number, one.signatures))
        .to.be.revertedWithCustomError(s.quorum, "InsufficientSignatures")
        .withArgs(1, 2);
    });

    it("a holder contract that reverts on receive cannot block its restoration", async () => {
      const { s, alice, id } = await loadFixture(bridgeFixture);
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      await s.credit.connect(alice).safeTransferFrom(alice.address, ra, id, 100, "0x");
      await r.execute(await s.bridge.getAddress(), s.bridge.interface.encodeFunctionData("redeem", [id, 40, "acc"]));
      expect((await s.bridge.redemption(1n)).holder).to.equal(ra);
      await r.setMode(Mode.RejectRevert);
      const hooks = await r.hookCount();
      await expect((await verdict(s, 1n, false)).send()).to.emit(s.credit, "RedemptionRestored").withArgs(id, ra, 1960n, 1999n);
      expect(await r.hookCount()).to.equal(hooks);
      expect(await s.credit.balanceOf(ra, id)).to.equal(100n);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [alice.address, ra] });
      // the batch's redemption queue is free again
      await s.bridge.connect(alice).redeem(id, 1, "acc");
    });

    it("supply = minted − retired − redeemed after every step of a mixed lifecycle", async () => {
      const { s, alice, bob, id } = await loadFixture(bridgeFixture);
      const holders = [alice.address, bob.address];
      const check = (retired: bigint, redeemed: bigint) => expectLedger(s, id, { minted: 1000n, retired, redeemed, holders });
      await check(0n, 0n);
      await s.credit.connect(alice).safeTransferFrom(alice.address, bob.address, id, 300, "0x");
      await check(0n, 0n);
      await s.credit.connect(alice).retire(id, 100, claim());
      await check(100n, 0n);
      await s.bridge.connect(bob).redeem(id, 50, "bob-acc"); // 1950..1999
      await check(100n, 50n);
      await s.credit.connect(alice).retire(id, 200, claim()); // 1100..1299 while the redemption is pending
      await check(300n, 50n);
      await (await verdict(s, 1n, false)).send();
      await check(300n, 0n);
      expect(await s.credit.balanceOf(bob.address, id)).to.equal(300n);
      await s.bridge.connect(bob).redeem(id, 50, "bob-acc"); // the same 1950..1999 again
      expect((await s.bridge.redemption(2n)).firstSerial).to.equal(1950n);
      await check(300n, 50n);
      await (await verdict(s, 2n, true)).send();
      await check(300n, 50n);
      await s.bridge.connect(alice).redeem(id, 400, "alice-acc"); // 1550..1949
      expect((await s.bridge.redemption(3n)).lastSerial).to.equal(1949n);
      await check(300n, 450n);
      await (await verdict(s, 3n, true)).send();
      await s.credit.connect(bob).retire(id, 250, claim()); // 1300..1549: the cursors meet
      await check(550n, 450n);
      expect(await s.credit.totalSupply(id)).to.equal(0n);
      expect((await s.certificate.certificate(certId(id, 1300n))).lastSerial).to.equal(1549n);
      const st = await s.credit.serialState(id);
      expect(st.nextRetireSerial).to.equal(st.redeemFloor);
    });
  });

  // ------------------------------------------------------------------ re-entrancy
  describe("re-entrancy through the mint hook", () => {
    it("re-entrant tokenize replay, redeem and finalize revert with ReentrancyGuardReentrantCall; legit moves work", async () => {
      const { s, alice, bob, carol, id } = await loadFixture(bridgeFixture);
      await s.bridge.connect(alice).redeem(id, 10, "acc"); // redemption 1 pending on batch 1
      const pending = await verdict(s, 1n, false);
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      const a = await tokenizeAttestation(s, verraBatch(5000n, 5999n), ra);
      const bAddr = await s.bridge.getAddress();
      const cAddr = await s.credit.getAddress();
      const bi = s.bridge.interface;
      const ci = s.credit.interface;
      await r.arm(
        [bAddr, bAddr, bAddr, cAddr, cAddr, cAddr, cAddr, cAddr],
        [
          bi.encodeFunctionData("tokenize", [...a.args]),
          bi.encodeFunctionData("redeem", [2n, 5, "acc"]),
          bi.encodeFunctionData("finalizeRedemption", [1n, false, ref("registry-1"), pending.value.epoch as bigint, pending.value.deadline as number, pending.signatures]),
          ci.encodeFunctionData("retire", [2n, 5, claim()]),
          ci.encodeFunctionData("safeTransferFrom", [ra, bob.address, 2n, 100, "0x"]),
          ci.encodeFunctionData("safeTransferFrom", [ra, carol.address, 2n, 100, "0x"]),
          ci.encodeFunctionData("safeTransferFrom", [ra, bob.address, 2n, 896, "0x"]),
          ci.encodeFunctionData("createBatch", [verraBatch(9000n, 9999n), 5000n, ra, ref("self-mint")]),
        ],
        false,
      );
      await expect(s.bridge.tokenize(...a.args)).to.emit(s.bridge, "Tokenized").withArgs(2n, ra, a.lockRef, a.digest);
      const res = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((k) => r.result(k)));
      expect(res.map((x) => x[0])).to.deep.equal([false, false, false, true, true, false, false, false]);
      expectRevertData(s.credit, res[7][1], "AccessControlUnauthorizedAccount", [ra, await s.credit.BRIDGE_ROLE()]);
      for (const k of [0, 1, 2]) expectRevertData(s.bridge, res[k][1], "ReentrancyGuardReentrantCall");
      expectRevertData(s.identity, res[5][1], "NotEligible", [carol.address, Ineligibility.NotVerified]);
      expectRevertData(s.credit, res[6][1], "ERC1155InsufficientBalance", [ra, 895n, 896n, 2n]);
      // exactly one batch, exactly the attested units; the replay is dead afterwards too
      expect(await s.credit.batchCount()).to.equal(2n);
      await expectLedger(s, 2n, { minted: 1000n, retired: 5n, redeemed: 0n, holders: [ra, bob.address] });
      expect(await s.credit.balanceOf(ra, 2n)).to.equal(895n);
      await expect(s.bridge.tokenize(...a.args)).to.be.revertedWithCustomError(s.quorum, "AttestationAlreadyUsed").withArgs(a.digest);
      // the re-entrant finalize had no effect: redemption 1 is still pending and can be finalized normally
      expect((await s.bridge.redemption(1n)).status).to.equal(BigInt(RedemptionStatus.Pending));
      expect(await s.bridge.redemptionCount()).to.equal(1n);
      await pending.send();
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 0n, holders: [alice.address] });
    });

    it("a bubbled re-entrant replay aborts the whole tokenize and leaves the attestation unconsumed", async () => {
      const { s } = await loadFixture(bridgeFixture);
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      const a = await tokenizeAttestation(s, verraBatch(5000n, 5999n), ra);
      await r.arm([await s.bridge.getAddress()], [s.bridge.interface.encodeFunctionData("tokenize", [...a.args])], true);
      await expect(s.bridge.tokenize(...a.args)).to.be.revertedWithCustomError(s.bridge, "ReentrancyGuardReentrantCall");
      expect(await s.credit.batchCount()).to.equal(1n);
      expect(await s.quorum.isConsumed(a.digest)).to.equal(false);
      await r.arm([], [], false);
      await s.bridge.tokenize(...a.args);
      expect(await s.credit.balanceOf(ra, 2n)).to.equal(1000n);
    });

    it("re-entering redeem from a transfer hook is an ordinary redemption; a second one in the same hook is refused", async () => {
      const { s, alice, id } = await loadFixture(bridgeFixture);
      const r = await deployReceiver(s);
      const ra = await r.getAddress();
      const bAddr = await s.bridge.getAddress();
      const redeem = (n: number) => s.bridge.interface.encodeFunctionData("redeem", [id, n, "acc"]);
      await r.arm([bAddr, bAddr, bAddr], [redeem(30), redeem(1), redeem(1000)], false);
      await s.credit.connect(alice).safeTransferFrom(alice.address, ra, id, 50, "0x");
      const res = await Promise.all([0, 1, 2].map((k) => r.result(k)));
      expect(res.map((x) => x[0])).to.deep.equal([true, false, false]);
      expectRevertData(s.credit, res[1][1], "RedemptionAlreadyPending", [id]);
      expectRevertData(s.credit, res[2][1], "RedemptionAlreadyPending", [id]);
      const red = await s.bridge.redemption(1n);
      expect([red.holder, red.firstSerial, red.lastSerial]).to.deep.equal([ra, 1970n, 1999n]);
      expect(await s.credit.balanceOf(ra, id)).to.equal(20n);
      await expectLedger(s, id, { minted: 1000n, retired: 0n, redeemed: 30n, holders: [alice.address, ra] });
    });
  });

  // ------------------------------------------------------------------ multicall (relayer batching)
  describe("multicall", () => {
    it("tokenizes several attested batches in one transaction, each with its own hint", async () => {
      const { s, alice, bob, relayer } = await loadFixture(bridgeFixture);
      const first = verraBatch(3000n, 3099n);
      const second = verraBatch(2000n, 2099n);
      const a = await tokenizeAttestation(s, first, alice.address);
      const b = await tokenizeAttestation(s, second, bob.address);
      const calls = [
        s.bridge.interface.encodeFunctionData("tokenize", [...a.args]),
        s.bridge.interface.encodeFunctionData("tokenize", [...b.args]),
      ];
      await expect(s.bridge.connect(relayer).multicall(calls)).to.emit(s.bridge, "Tokenized");
      const ids = await s.credit.batchCount();
      expect(await s.credit.balanceOf(alice.address, ids - 1n)).to.equal(100n);
      expect(await s.credit.balanceOf(bob.address, ids)).to.equal(100n);
      expect(await s.quorum.isConsumed(a.digest)).to.equal(true);
      expect(await s.quorum.isConsumed(b.digest)).to.equal(true);
    });

    it("is all or nothing: one spent attestation reverts the whole batch and consumes nothing", async () => {
      const { s, alice, relayer } = await loadFixture(bridgeFixture);
      const spent = await tokenizeAttestation(s, verraBatch(4000n, 4009n), alice.address);
      await s.bridge.connect(relayer).tokenize(...spent.args);
      const fresh = await tokenizeAttestation(s, verraBatch(5000n, 5009n), alice.address);
      const before = await s.credit.batchCount();
      await expect(
        s.bridge.connect(relayer).multicall([
          s.bridge.interface.encodeFunctionData("tokenize", [...fresh.args]),
          s.bridge.interface.encodeFunctionData("tokenize", [...spent.args]),
        ]),
      ).to.be.revertedWithCustomError(s.quorum, "AttestationAlreadyUsed");
      expect(await s.quorum.isConsumed(fresh.digest)).to.equal(false);
      expect(await s.credit.batchCount()).to.equal(before);
    });
  });
});
