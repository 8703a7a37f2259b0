import { expect } from "chai";
import hre, { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import type { ERC1271Wallet, ReentrantERC20, ReentrantReceiver, SettlementEscrow } from "../typechain-types";
import { EntityType, Ineligibility, bytes2, claim, latestTime, verraBatch } from "./helpers/fixtures";
import {
  DEFAULT_FEE_BPS,
  ONE_DAY,
  ORDER_TYPES,
  SettlementMode,
  TRADE_CONFIRMATION_TYPES,
  USD,
  lockedTrade,
  orderDigest,
  settlementDomain,
  settlementFixture,
  signOrder,
  signPermit,
  tradeId,
  type Order,
  type SettlementSuite,
  type Trade,
} from "./helpers/settlement";

const REG = ethers.id("registry-transfer-1");
const BPS = 10_000n;

function priceOf(order: Order, quantity: bigint, feeBps = BigInt(DEFAULT_FEE_BPS)): { amount: bigint; fee: bigint } {
  const amount = order.pricePerTonne * quantity;
  return { amount, fee: (amount * feeBps) / BPS };
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const r = await (await tx).wait();
  return r!.gasUsed;
}

async function credits(s: SettlementSuite, who: string | { getAddress(): Promise<string> }): Promise<bigint> {
  const a = typeof who === "string" ? who : await who.getAddress();
  return s.credit.balanceOf(a, s.batchId);
}

async function agree(
  s: SettlementSuite,
  opts: { quantity?: bigint; buyer?: HardhatEthersSigner; window?: number; order?: Partial<Order> } = {},
): Promise<{ order: Order; id: string; trade: Trade }> {
  const order = await s.order({ mode: SettlementMode.Escrow, ...opts.order });
  const deadline = BigInt((await latestTime()) + (opts.window ?? ONE_DAY));
  const receipt = await (
    await s.escrow.connect(opts.buyer ?? s.buyer).agree(order, await s.sign(order), opts.quantity ?? 10n, deadline, await s.escrow.freeLockSlot((opts.buyer ?? s.buyer).address))
  ).wait();
  return { order, ...lockedTrade(s.escrow, receipt) };
}

async function release(s: SettlementSuite, trade: Trade, id = tradeId(trade)) {
  const c = await s.confirm(id, REG);
  return s.escrow.release(trade, REG, c.epoch, c.deadline, c.signatures);
}

describe("SettlementEscrow", () => {
  // ------------------------------------------------------------------ deployment & admin
  describe("deployment and admin", () => {
    it("wires roles, fee, treasury and the EIP-712 domain", async () => {
      const s = await loadFixture(settlementFixture);
      expect(await s.escrow.feeBps()).to.equal(DEFAULT_FEE_BPS);
      expect(await s.escrow.treasury()).to.equal(s.treasury.address);
      expect(await s.escrow.paused()).to.equal(false);
      expect(await s.escrow.credit()).to.equal(await s.credit.getAddress());
      expect(await s.escrow.quorum()).to.equal(await s.quorum.getAddress());
      expect(await s.escrow.paymentToken()).to.equal(await s.stable.getAddress());
      expect(await s.escrow.MAX_FEE_BPS()).to.equal(500);
      const d = await s.escrow.eip712Domain();
      expect(d.name).to.equal("CarbonClear Settlement");
      expect(d.version).to.equal("1");
      expect(d.chainId).to.equal(31337n);
      expect(d.verifyingContract).to.equal(await s.escrow.getAddress());
      expect(await s.stable.decimals()).to.equal(6);
      expect(await s.identity.isEligible(await s.escrow.getAddress(), s.batchId)).to.equal(true);
    });

    it("type hashes and digests match the off-chain encoders", async () => {
      const s = await loadFixture(settlementFixture);
      expect(await s.escrow.ORDER_TYPEHASH()).to.equal(ethers.id(ethers.TypedDataEncoder.from(ORDER_TYPES).encodeType("Order")));
      expect(await s.escrow.TRADE_CONFIRMATION_TYPEHASH()).to.equal(
        ethers.id(ethers.TypedDataEncoder.from(TRADE_CONFIRMATION_TYPES).encodeType("TradeConfirmation")),
      );
      const order = await s.order();
      expect(await s.escrow.hashOrder(order)).to.equal(await orderDigest(order, s.escrow));
      const { id, trade } = await agree(s);
      expect(await s.escrow.hashTrade(trade)).to.equal(id);
      expect(tradeId(trade)).to.equal(id);
      const value = { tradeId: id, registryRef: REG, epoch: 1n, deadline: 123n };
      expect(await s.escrow.tradeConfirmationHash(id, REG, 1n, 123n)).to.equal(
        ethers.TypedDataEncoder.hashStruct("TradeConfirmation", TRADE_CONFIRMATION_TYPES, value),
      );
    });

    it("the domain helper matches the contract's domain separator", async () => {
      const s = await loadFixture(settlementFixture);
      const sep = ethers.TypedDataEncoder.hashDomain(await settlementDomain(s.escrow));
      const order = await s.order();
      const structHash = ethers.TypedDataEncoder.hashStruct("Order", ORDER_TYPES, order);
      expect(await s.escrow.hashOrder(order)).to.equal(ethers.keccak256(ethers.concat(["0x1901", sep, structHash])));
    });

    it("rejects zero addresses and a fee above the cap at construction", async () => {
      const s = await loadFixture(settlementFixture);
      const args = [
        s.admin.address,
        await s.credit.getAddress(),
        await s.quorum.getAddress(),
        await s.stable.getAddress(),
        s.treasury.address,
        50,
      ] as const;
      const factory = await ethers.getContractFactory("SettlementEscrow");
      for (let i = 0; i < 5; i++) {
        const bad = [...args] as unknown[];
        bad[i] = ethers.ZeroAddress;
        await expect(factory.deploy(...(bad as Parameters<typeof factory.deploy>))).to.be.revertedWithCustomError(
          s.escrow,
          "ZeroAddress",
        );
      }
      await expect(factory.deploy(args[0], args[1], args[2], args[3], args[4], 501))
        .to.be.revertedWithCustomError(s.escrow, "FeeTooHigh")
        .withArgs(501, 500);
    });

    it("admin sets fee (capped) and treasury; others cannot", async () => {
      const s = await loadFixture(settlementFixture);
      await expect(s.escrow.setFee(120)).to.emit(s.escrow, "FeeUpdated").withArgs(DEFAULT_FEE_BPS, 120);
      await expect(s.escrow.setFee(500)).to.emit(s.escrow, "FeeUpdated").withArgs(120, 500);
      await expect(s.escrow.setFee(501)).to.be.revertedWithCustomError(s.escrow, "FeeTooHigh").withArgs(501, 500);
      await expect(s.escrow.setTreasury(s.outsider.address))
        .to.emit(s.escrow, "TreasuryUpdated")
        .withArgs(s.treasury.address, s.outsider.address);
      await expect(s.escrow.setTreasury(ethers.ZeroAddress)).to.be.revertedWithCustomError(s.escrow, "ZeroAddress");
      await expect(s.escrow.connect(s.buyer).setFee(0)).to.be.revertedWithCustomError(s.escrow, "AccessControlUnauthorizedAccount");
      await expect(s.escrow.connect(s.buyer).setTreasury(s.buyer.address)).to.be.revertedWithCustomError(
        s.escrow,
        "AccessControlUnauthorizedAccount",
      );
      await expect(s.escrow.connect(s.buyer).pause()).to.be.revertedWithCustomError(s.escrow, "AccessControlUnauthorizedAccount");
      await s.escrow.pause();
      await expect(s.escrow.connect(s.buyer).unpause()).to.be.revertedWithCustomError(s.escrow, "AccessControlUnauthorizedAccount");
    });

    it("pause and unpause emit and refuse repeats", async () => {
      const s = await loadFixture(settlementFixture);
      await expect(s.escrow.unpause()).to.be.revertedWithCustomError(s.escrow, "ExpectedPause");
      await expect(s.escrow.pause()).to.emit(s.escrow, "Paused").withArgs(s.admin.address);
      expect(await s.escrow.paused()).to.equal(true);
      await expect(s.escrow.pause()).to.be.revertedWithCustomError(s.escrow, "EnforcedPause");
      await expect(s.escrow.unpause()).to.emit(s.escrow, "Unpaused").withArgs(s.admin.address);
      expect(await s.escrow.paused()).to.equal(false);
    });

    it("supports ERC-165 for IERC1155Receiver and AccessControl", async () => {
      const s = await loadFixture(settlementFixture);
      expect(await s.escrow.supportsInterface("0x4e2312e0")).to.equal(true); // IERC1155Receiver
      expect(await s.escrow.supportsInterface("0x7965db0b")).to.equal(true); // IAccessControl
      expect(await s.escrow.supportsInterface("0x01ffc9a7")).to.equal(true); // IERC165
      expect(await s.escrow.supportsInterface("0xd9b67a26")).to.equal(false); // IERC1155
    });

    it("refuses credits it did not pull itself (single and batch)", async () => {
      const s = await loadFixture(settlementFixture);
      const escrow = await s.escrow.getAddress();
      await expect(
        s.credit.connect(s.seller).safeTransferFrom(s.seller.address, escrow, s.batchId, 1, "0x"),
      ).to.be.revertedWithCustomError(s.escrow, "UnexpectedCredits");
      await expect(
        s.credit.connect(s.seller).safeBatchTransferFrom(s.seller.address, escrow, [s.batchId], [1], "0x"),
      ).to.be.revertedWithCustomError(s.escrow, "UnexpectedCredits");
      await expect(
        s.escrow.onERC1155Received(await s.escrow.getAddress(), s.seller.address, s.batchId, 1, "0x"),
      ).to.be.revertedWithCustomError(s.escrow, "UnexpectedCredits");
    });

    it("the test stablecoin mints only through MINTER_ROLE", async () => {
      const s = await loadFixture(settlementFixture);
      await expect(s.stable.connect(s.buyer).mint(s.buyer.address, 1)).to.be.revertedWithCustomError(
        s.stable,
        "AccessControlUnauthorizedAccount",
      );
      await s.stable.grantRole(await s.stable.MINTER_ROLE(), s.outsider.address);
      await expect(s.stable.connect(s.outsider).mint(s.outsider.address, 5n * USD)).to.changeTokenBalance(
        s.stable,
        s.outsider,
        5n * USD,
      );
    });
  });

  // ------------------------------------------------------------------ atomic fills
  describe("atomic fill", () => {
    it("moves payment (less fee) and credits in one transaction", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const hash = await orderDigest(order, s.escrow);
      const { amount, fee } = priceOf(order, 40n);
      const tx = s.escrow.connect(s.buyer).fill(order, await s.sign(order), 40);
      await expect(tx)
        .to.emit(s.escrow, "OrderFilled")
        .withArgs(hash, s.seller.address, s.buyer.address, s.batchId, 40, amount, fee);
      await expect(tx).to.changeTokenBalances(s.stable, [s.buyer, s.seller, s.treasury], [-amount, amount - fee, fee]);
      expect(await credits(s, s.buyer)).to.equal(40n);
      expect(await credits(s, s.seller)).to.equal(10_000n - 40n);
      expect(await s.escrow.orderState(order.seller, order.salt)).to.deep.equal([40n, false]);
      expect(await s.escrow.remaining(order)).to.equal(60n);
      expect(fee).to.equal((12_500_000n * 40n * 50n) / 10_000n);
    });

    it("skips the fee transfer when the fee is zero", async () => {
      const s = await loadFixture(settlementFixture);
      await s.escrow.setFee(0);
      const order = await s.order();
      const { amount } = priceOf(order, 10n, 0n);
      const tx = s.escrow.connect(s.buyer).fill(order, await s.sign(order), 10);
      await expect(tx).to.changeTokenBalances(s.stable, [s.buyer, s.seller, s.treasury], [-amount, amount, 0]);
      const receipt = await (await tx).wait();
      const transfers = receipt!.logs.filter((l) => l.address === s.stable.target);
      expect(transfers.length).to.equal(1);
    });

    it("charges the fee current at fill time, up to the 5% cap, rounding down", async () => {
      const s = await loadFixture(settlementFixture);
      await s.escrow.setFee(500);
      const order = await s.order({ pricePerTonne: 7n });
      // 7 * 3 = 21 base units; 5% = 1.05 -> 1
      await expect(s.escrow.connect(s.buyer).fill(order, await s.sign(order), 3)).to.changeTokenBalances(
        s.stable,
        [s.buyer, s.seller, s.treasury],
        [-21n, 20n, 1n],
      );
    });

    it("fills partially up to the quantity, then refuses (over-fill)", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order({ quantity: 100n, minFill: 10n });
      const sig = await s.sign(order);
      await s.escrow.connect(s.buyer).fill(order, sig, 30);
      await s.escrow.connect(s.buyer2).fill(order, sig, 65);
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 10))
        .to.be.revertedWithCustomError(s.escrow, "Overfill")
        .withArgs(10, 5);
      // the remainder (5) is below minFill but allowed because it is the remainder
      await s.escrow.connect(s.buyer).fill(order, sig, 5);
      expect(await s.escrow.remaining(order)).to.equal(0n);
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 1))
        .to.be.revertedWithCustomError(s.escrow, "Overfill")
        .withArgs(1, 0);
      expect(await credits(s, s.buyer)).to.equal(35n);
      expect(await credits(s, s.buyer2)).to.equal(65n);
    });

    it("refuses a fill below the minimum that is not the remainder, and zero quantities", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order({ quantity: 100n, minFill: 25n });
      const sig = await s.sign(order);
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 24))
        .to.be.revertedWithCustomError(s.escrow, "BelowMinFill")
        .withArgs(24, 25);
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 0)).to.be.revertedWithCustomError(s.escrow, "ZeroQuantity");
      await s.escrow.connect(s.buyer).fill(order, sig, 25);
    });

    it("refuses orders with a zero price", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order({ pricePerTonne: 0n });
      await expect(s.escrow.connect(s.buyer).fill(order, await s.sign(order), 1)).to.be.revertedWithCustomError(
        s.escrow,
        "ZeroPrice",
      );
    });

    it("refuses an expired order (fillable through its expiry second)", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const sig = await s.sign(order);
      await time.setNextBlockTimestamp(order.expiry);
      await s.escrow.connect(s.buyer).fill(order, sig, 1);
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 1))
        .to.be.revertedWithCustomError(s.escrow, "OrderExpired")
        .withArgs(order.expiry);
      expect(await s.escrow.remaining(order)).to.equal(0n);
    });

    it("refuses a cancelled order; only the seller cancels, once", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const sig = await s.sign(order);
      const hash = await orderDigest(order, s.escrow);
      await s.escrow.connect(s.buyer).fill(order, sig, 10);
      await expect(s.escrow.connect(s.buyer).cancel(order))
        .to.be.revertedWithCustomError(s.escrow, "NotSeller")
        .withArgs(s.buyer.address, s.seller.address);
      await expect(s.escrow.connect(s.seller).cancel(order)).to.emit(s.escrow, "OrderCancelled").withArgs(hash, s.seller.address);
      await expect(s.escrow.connect(s.seller).cancel(order)).to.be.revertedWithCustomError(s.escrow, "OrderIsCancelled").withArgs(hash);
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 10)).to.be.revertedWithCustomError(s.escrow, "OrderIsCancelled").withArgs(hash);
      expect(await s.escrow.orderState(order.seller, order.salt)).to.deep.equal([10n, true]);
      expect(await s.escrow.remaining(order)).to.equal(0n);
    });

    it("orders with consecutive salts share a fill-record word but keep separate records", async () => {
      const s = await loadFixture(settlementFixture);
      const base = 4n * 1_000n; // lanes 0..3 of one word
      const orders = await Promise.all([0n, 1n, 2n, 3n].map((i) => s.order({ salt: base + i, quantity: 10n + i })));
      const sigs = await Promise.all(orders.map((o) => s.sign(o)));
      await s.escrow.connect(s.buyer).fill(orders[1], sigs[1], 11); // lane 1 full
      await s.escrow.connect(s.buyer).fill(orders[2], sigs[2], 5);
      await s.escrow.connect(s.seller).cancel(orders[3]);
      await s.escrow.connect(s.buyer).fill(orders[0], sigs[0], 10); // lane 0 full, next to a full lane
      expect(await s.escrow.orderState(s.seller.address, base)).to.deep.equal([10n, false]);
      expect(await s.escrow.orderState(s.seller.address, base + 1n)).to.deep.equal([11n, false]);
      expect(await s.escrow.orderState(s.seller.address, base + 2n)).to.deep.equal([5n, false]);
      expect(await s.escrow.orderState(s.seller.address, base + 3n)).to.deep.equal([0n, true]);
      expect(await s.escrow.orderState(s.seller.address, base + 4n)).to.deep.equal([0n, false]); // next word
      expect(await s.escrow.orderState(s.buyer.address, base)).to.deep.equal([0n, false]); // another seller
      await expect(s.escrow.connect(s.buyer).fill(orders[0], sigs[0], 1)).to.be.revertedWithCustomError(s.escrow, "Overfill").withArgs(1, 0);
      await expect(s.escrow.connect(s.buyer).fill(orders[3], sigs[3], 1))
        .to.be.revertedWithCustomError(s.escrow, "OrderIsCancelled")
        .withArgs(await orderDigest(orders[3], s.escrow));
      await s.escrow.connect(s.buyer).fill(orders[2], sigs[2], 7); // the rest of lane 2
      expect(await s.escrow.remaining(orders[2])).to.equal(0n);
      expect(await credits(s, s.buyer)).to.equal(10n + 11n + 12n);
    });

    it("two orders signed with the same salt share one record: fills count against both, cancel voids both", async () => {
      const s = await loadFixture(settlementFixture);
      const a = await s.order({ salt: 77n, quantity: 100n });
      const b = await s.order({ salt: 77n, quantity: 30n, pricePerTonne: 20n * USD });
      const [sa, sb] = [await s.sign(a), await s.sign(b)];
      expect(await orderDigest(a, s.escrow)).to.not.equal(await orderDigest(b, s.escrow));
      await s.escrow.connect(s.buyer).fill(a, sa, 25);
      expect(await s.escrow.remaining(b)).to.equal(5n);
      await expect(s.escrow.connect(s.buyer).fill(b, sb, 6)).to.be.revertedWithCustomError(s.escrow, "Overfill").withArgs(6, 5);
      await s.escrow.connect(s.buyer).fill(a, sa, 10); // 35 filled: more than b's quantity
      expect(await s.escrow.remaining(b)).to.equal(0n);
      await expect(s.escrow.connect(s.buyer).fill(b, sb, 1)).to.be.revertedWithCustomError(s.escrow, "Overfill").withArgs(1, 0);
      await s.escrow.connect(s.seller).cancel(b);
      await expect(s.escrow.connect(s.buyer).fill(a, sa, 1))
        .to.be.revertedWithCustomError(s.escrow, "OrderIsCancelled")
        .withArgs(await orderDigest(a, s.escrow));
      expect(await s.escrow.orderState(s.seller.address, 77n)).to.deep.equal([35n, true]);
    });

    it("refuses an order quantity of 2^31 or more and an expiry of 2^32 or later (the lane's bounds)", async () => {
      const s = await loadFixture(settlementFixture);
      const huge = await s.order({ quantity: 2n ** 31n });
      await expect(s.escrow.connect(s.buyer).fill(huge, await s.sign(huge), 1))
        .to.be.revertedWithCustomError(s.escrow, "QuantityTooLarge")
        .withArgs(2n ** 31n);
      const forever = await s.order({ expiry: 2n ** 32n });
      await expect(s.escrow.connect(s.buyer).fill(forever, await s.sign(forever), 1))
        .to.be.revertedWithCustomError(s.escrow, "ExpiryTooFar")
        .withArgs(2n ** 32n);
      expect(await s.escrow.remaining(huge)).to.equal(0n);
      expect(await s.escrow.remaining(forever)).to.equal(0n);
      const max = await s.order({ quantity: 2n ** 31n - 1n, expiry: 2n ** 32n - 1n, salt: 2n ** 256n - 1n }); // last lane of the last word
      await s.escrow.connect(s.buyer).fill(max, await s.sign(max), 3);
      expect(await s.escrow.orderState(s.seller.address, 2n ** 256n - 1n)).to.deep.equal([3n, false]);
      expect(await s.escrow.remaining(max)).to.equal(2n ** 31n - 4n);
      // a cancel of an order past the bound still voids the salt's record until 2^32 - 1
      await s.escrow.connect(s.seller).cancel(forever);
      expect(await s.escrow.orderState(s.seller.address, forever.salt)).to.deep.equal([0n, true]);
    });

    it("frees a salt once every order that used it expired: a new order reuses its record, live orders keep theirs", async () => {
      const s = await loadFixture(settlementFixture);
      const t = BigInt(await latestTime());
      const base = 4n * 2_000n;
      // lane 0 filled by an order expiring soon, lane 1 cancelled, lane 2 filled by a long-lived order
      const short = await s.order({ salt: base, expiry: t + 100n, quantity: 10n });
      const cancelled = await s.order({ salt: base + 1n, expiry: t + 200n });
      const long = await s.order({ salt: base + 2n, expiry: t + 10n * BigInt(ONE_DAY), quantity: 10n });
      await s.escrow.connect(s.buyer).fill(short, await s.sign(short), 10);
      await s.escrow.connect(s.seller).cancel(cancelled);
      await s.escrow.connect(s.buyer).fill(long, await s.sign(long), 4);
      // at its expiry second an order's record is still live; it goes stale the second after
      await time.setNextBlockTimestamp(t + 100n);
      await network.provider.send("evm_mine");
      expect(await s.escrow.orderState(s.seller.address, base)).to.deep.equal([10n, false]);
      await time.setNextBlockTimestamp(t + 101n);
      await network.provider.send("evm_mine");
      expect(await s.escrow.orderState(s.seller.address, base)).to.deep.equal([0n, false]);
      await expect(s.escrow.connect(s.buyer).fill(short, await s.sign(short), 1)).to.be.revertedWithCustomError(s.escrow, "OrderExpired");
      // a new order signed with the freed salt starts afresh (the old one stays expired)
      const reuse = await s.order({ salt: base, quantity: 5n });
      await s.escrow.connect(s.buyer).fill(reuse, await s.sign(reuse), 2);
      expect(await s.escrow.orderState(s.seller.address, base)).to.deep.equal([2n, false]);
      expect(await s.escrow.remaining(reuse)).to.equal(3n);
      // the cancelled salt stays cancelled until its order expired, then is free too
      const early = await s.order({ salt: base + 1n });
      await expect(s.escrow.connect(s.buyer).fill(early, await s.sign(early), 1)).to.be.revertedWithCustomError(s.escrow, "OrderIsCancelled");
      await time.increaseTo(t + 201n);
      const later = await s.order({ salt: base + 1n });
      await s.escrow.connect(s.buyer).fill(later, await s.sign(later), 1);
      expect(await s.escrow.orderState(s.seller.address, base + 1n)).to.deep.equal([1n, false]);
      // the neighbour that is still live keeps its record throughout
      expect(await s.escrow.orderState(s.seller.address, base + 2n)).to.deep.equal([4n, false]);
      await s.escrow.connect(s.buyer).fill(long, await s.sign(long), 6);
      await expect(s.escrow.connect(s.buyer).fill(long, await s.sign(long), 1)).to.be.revertedWithCustomError(s.escrow, "Overfill");
    });

    it("keeps a shared salt's record live until the last of its orders expires", async () => {
      const s = await loadFixture(settlementFixture);
      const t = BigInt(await latestTime());
      const a = await s.order({ salt: 91n, expiry: t + 100n, quantity: 10n });
      const b = await s.order({ salt: 91n, expiry: t + 1_000n, quantity: 10n });
      await s.escrow.connect(s.buyer).fill(b, await s.sign(b), 6); // the record lives until b expires
      await s.escrow.connect(s.buyer).fill(a, await s.sign(a), 4); // a's earlier expiry does not shorten it
      await time.increaseTo(t + 500n);
      expect(await s.escrow.orderState(s.seller.address, 91n)).to.deep.equal([10n, false]);
      await expect(s.escrow.connect(s.buyer).fill(b, await s.sign(b), 1)).to.be.revertedWithCustomError(s.escrow, "Overfill");
      // cancelling the already-expired a still voids the live b (same record)
      await s.escrow.connect(s.seller).cancel(a);
      expect(await s.escrow.orderState(s.seller.address, 91n)).to.deep.equal([10n, true]);
      await time.increaseTo(t + 1_001n);
      expect(await s.escrow.orderState(s.seller.address, 91n)).to.deep.equal([0n, false]);
    });

    it("incrementCounter voids every earlier order", async () => {
      const s = await loadFixture(settlementFixture);
      const old = await s.order();
      const oldSig = await s.sign(old);
      await expect(s.escrow.connect(s.seller).incrementCounter()).to.emit(s.escrow, "CounterIncremented").withArgs(s.seller.address, 1);
      expect(await s.escrow.counterOf(s.seller.address)).to.equal(1n);
      await expect(s.escrow.connect(s.buyer).fill(old, oldSig, 1))
        .to.be.revertedWithCustomError(s.escrow, "StaleCounter")
        .withArgs(0, 1);
      expect(await s.escrow.remaining(old)).to.equal(0n);
      const fresh = await s.order();
      expect(fresh.counter).to.equal(1n);
      await s.escrow.connect(s.buyer).fill(fresh, await s.sign(fresh), 1);
      const future = await s.order({ counter: 5n });
      await expect(s.escrow.connect(s.buyer).fill(future, await s.sign(future), 1))
        .to.be.revertedWithCustomError(s.escrow, "StaleCounter")
        .withArgs(5, 1);
    });

    it("honours a designated buyer", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order({ buyer: s.buyer2.address });
      const sig = await s.sign(order);
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 1))
        .to.be.revertedWithCustomError(s.escrow, "NotDesignatedBuyer")
        .withArgs(s.buyer.address, s.buyer2.address);
      await s.escrow.connect(s.buyer2).fill(order, sig, 1);
      expect(await credits(s, s.buyer2)).to.equal(1n);
    });

    it("refuses signatures for another chain id, another escrow, another signer or malformed", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const mainnet = await signOrder(s.seller, order, s.escrow, 1n);
      await expect(s.escrow.connect(s.buyer).fill(order, mainnet, 1)).to.be.revertedWithCustomError(s.escrow, "InvalidSignature");

      // the same order signed for another escrow deployment (same chain, same ledger)
      const other = await ethers.deployContract("SettlementEscrow", [
        s.admin.address,
        await s.credit.getAddress(),
        await s.quorum.getAddress(),
        await s.stable.getAddress(),
        s.treasury.address,
        50,
      ]);
      const otherSig = await signOrder(s.seller, order, await other.getAddress());
      await expect(s.escrow.connect(s.buyer).fill(order, otherSig, 1)).to.be.revertedWithCustomError(s.escrow, "InvalidSignature");
      // ... and the genuine signature does not work on the other deployment either
      await expect((other as unknown as SettlementEscrow).connect(s.buyer).fill(order, await s.sign(order), 1))
        .to.be.revertedWithCustomError(s.escrow, "InvalidSignature");

      const forged = await s.sign(order, s.buyer);
      await expect(s.escrow.connect(s.buyer).fill(order, forged, 1)).to.be.revertedWithCustomError(s.escrow, "InvalidSignature");
      await expect(s.escrow.connect(s.buyer).fill(order, "0x1234", 1)).to.be.revertedWithCustomError(s.escrow, "InvalidSignature");
      // a tampered field invalidates the signature
      const sig = await s.sign(order);
      await expect(s.escrow.connect(s.buyer).fill({ ...order, pricePerTonne: 1n }, sig, 1)).to.be.revertedWithCustomError(
        s.escrow,
        "InvalidSignature",
      );
    });

    it("refuses an order whose calldata words carry dirty high bits (the digest is hashed from calldata)", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const sig = await s.sign(order);
      const data = s.escrow.interface.encodeFunctionData("fill", [order, sig, 1n]);
      const clean = ethers.getBytes(data);
      // selector, then the order's ten static words: seller, batchId, quantity, pricePerTonne,
      // minFill, expiry, salt, counter, buyer, mode
      for (const [field, word] of [["seller", 0], ["quantity", 2], ["minFill", 4], ["counter", 7], ["buyer", 8], ["mode", 9]] as const) {
        const dirty = Uint8Array.from(clean);
        dirty[4 + word * 32] = 0x01; // highest byte of the word: outside every field's type
        await expect(s.buyer.sendTransaction({ to: await s.escrow.getAddress(), data: ethers.hexlify(dirty) }), field).to.be.reverted;
      }
      expect((await s.escrow.orderState(order.seller, order.salt)).filled).to.equal(0n);
      // the clean encoding fills
      await s.buyer.sendTransaction({ to: await s.escrow.getAddress(), data });
      expect((await s.escrow.orderState(order.seller, order.salt)).filled).to.equal(1n);
    });

    it("accepts ERC-1271 signatures of a contract-wallet seller", async () => {
      const s = await loadFixture(settlementFixture);
      const wallet = (await ethers.deployContract("ERC1271Wallet", [s.outsider.address])) as unknown as ERC1271Wallet;
      const w = await wallet.getAddress();
      await s.kyc(w);
      await s.credit.connect(s.seller).safeTransferFrom(s.seller.address, w, s.batchId, 50, "0x");
      await wallet
        .connect(s.outsider)
        .execute(await s.credit.getAddress(), s.credit.interface.encodeFunctionData("setApprovalForAll", [await s.escrow.getAddress(), true]));
      const order = await s.order({ seller: w });
      await s.escrow.connect(s.buyer).fill(order, await s.sign(order, s.outsider), 20);
      expect(await credits(s, w)).to.equal(30n);
      expect(await credits(s, s.buyer)).to.equal(20n);
      await expect(s.escrow.connect(s.buyer).fill(order, await s.sign(order, s.seller), 1)).to.be.revertedWithCustomError(
        s.escrow,
        "InvalidSignature",
      );
      await expect(wallet.connect(s.buyer).execute(w, "0x")).to.be.revertedWithCustomError(wallet, "NotOwner");
    });

    it("refuses a non-KYC buyer; nothing moves", async () => {
      const s = await loadFixture(settlementFixture);
      await s.fund(s.outsider, 1000n * USD);
      const order = await s.order();
      const before = await s.stable.balanceOf(s.outsider.address);
      await expect(s.escrow.connect(s.outsider).fill(order, await s.sign(order), 1))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(s.outsider.address, Ineligibility.NotVerified);
      expect(await s.stable.balanceOf(s.outsider.address)).to.equal(before);
      expect(await s.escrow.remaining(order)).to.equal(100n);
    });

    it("refuses a frozen seller and a buyer outside the batch's jurisdiction", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const sig = await s.sign(order);
      await s.identity.connect(s.compliance).freeze(s.seller.address, "court order");
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 1))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(s.seller.address, Ineligibility.Frozen);
      await s.identity.connect(s.compliance).unfreeze(s.seller.address, "lifted");

      // an Indian compliance batch: the US buyer may not hold it
      await s.kyc(s.seller, { country: "IN" });
      const ccts = await s.tokenize(verraBatch(5_000_001n, 5_000_100n, { jurisdiction: bytes2("IN"), country: bytes2("IN") }), s.seller);
      const o2 = await s.order({ batchId: ccts });
      await expect(s.escrow.connect(s.buyer).fill(o2, await s.sign(o2), 1))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(s.buyer.address, Ineligibility.WrongJurisdiction);
    });

    it("needs the seller's operator approval and the buyer's allowance", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const sig = await s.sign(order);
      await s.credit.connect(s.seller).setApprovalForAll(await s.escrow.getAddress(), false);
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 1)).to.be.revertedWithCustomError(s.credit, "ERC1155MissingApprovalForAll");
      await s.credit.connect(s.seller).setApprovalForAll(await s.escrow.getAddress(), true);
      await s.stable.connect(s.buyer).approve(await s.escrow.getAddress(), 0);
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 1)).to.be.revertedWithCustomError(s.stable, "ERC20InsufficientAllowance");
    });

    it("refuses the wrong settlement mode", async () => {
      const s = await loadFixture(settlementFixture);
      const escrowOrder = await s.order({ mode: SettlementMode.Escrow });
      await expect(s.escrow.connect(s.buyer).fill(escrowOrder, await s.sign(escrowOrder), 1))
        .to.be.revertedWithCustomError(s.escrow, "WrongSettlementMode")
        .withArgs(SettlementMode.Escrow);
      await expect(s.escrow.connect(s.buyer).fillAndRetire(escrowOrder, await s.sign(escrowOrder), 1, claim()))
        .to.be.revertedWithCustomError(s.escrow, "WrongSettlementMode")
        .withArgs(SettlementMode.Escrow);
      const atomic = await s.order();
      const deadline = (await latestTime()) + ONE_DAY;
      await expect(s.escrow.connect(s.buyer).agree(atomic, await s.sign(atomic), 1, deadline, await s.escrow.freeLockSlot(s.buyer.address)))
        .to.be.revertedWithCustomError(s.escrow, "WrongSettlementMode")
        .withArgs(SettlementMode.Atomic);
    });

    it("while paused refuses fills but still lets makers cancel and bump their counter", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const sig = await s.sign(order);
      await s.escrow.pause();
      await expect(s.escrow.connect(s.buyer).fill(order, sig, 1)).to.be.revertedWithCustomError(s.escrow, "EnforcedPause");
      await expect(s.escrow.connect(s.buyer).fillAndRetire(order, sig, 1, claim())).to.be.revertedWithCustomError(
        s.escrow,
        "EnforcedPause",
      );
      const permit = await signPermit(s.stable, s.buyer, await s.escrow.getAddress(), 1n, BigInt((await latestTime()) + 3600));
      await expect(s.escrow.connect(s.buyer).fillWithPermit(order, sig, 1, permit)).to.be.revertedWithCustomError(
        s.escrow,
        "EnforcedPause",
      );
      await s.escrow.connect(s.seller).cancel(order);
      await s.escrow.connect(s.seller).incrementCounter();
      await s.escrow.unpause();
      const fresh = await s.order();
      await s.escrow.connect(s.buyer).fill(fresh, await s.sign(fresh), 1);
    });
  });

  // ------------------------------------------------------------------ permit
  describe("fillWithPermit", () => {
    async function permitFixture() {
      const s = await settlementFixture();
      // a buyer with funds but no allowance
      await s.stable.mint(s.outsider.address, 1000n * USD);
      await s.kyc(s.outsider);
      return s;
    }

    it("fills without a prior approval", async () => {
      const s = await loadFixture(permitFixture);
      const order = await s.order();
      const { amount, fee } = priceOf(order, 10n);
      expect(await s.stable.allowance(s.outsider.address, await s.escrow.getAddress())).to.equal(0n);
      const permit = await signPermit(s.stable, s.outsider, await s.escrow.getAddress(), amount, BigInt((await latestTime()) + 600));
      await expect(s.escrow.connect(s.outsider).fillWithPermit(order, await s.sign(order), 10, permit)).to.changeTokenBalances(
        s.stable,
        [s.outsider, s.seller, s.treasury],
        [-amount, amount - fee, fee],
      );
      expect(await credits(s, s.outsider)).to.equal(10n);
      expect(await s.stable.allowance(s.outsider.address, await s.escrow.getAddress())).to.equal(0n);
    });

    it("refuses an expired permit and a permit signed by someone else", async () => {
      const s = await loadFixture(permitFixture);
      const order = await s.order();
      const sig = await s.sign(order);
      const spender = await s.escrow.getAddress();
      const expired = await signPermit(s.stable, s.outsider, spender, 1000n * USD, BigInt((await latestTime()) - 1));
      await expect(s.escrow.connect(s.outsider).fillWithPermit(order, sig, 10, expired)).to.be.revertedWithCustomError(
        s.stable,
        "ERC2612ExpiredSignature",
      );
      const wrong = await signPermit(s.stable, s.outsider, spender, 1000n * USD, BigInt((await latestTime()) + 600), { signer: s.buyer });
      await expect(s.escrow.connect(s.outsider).fillWithPermit(order, sig, 10, wrong)).to.be.revertedWithCustomError(
        s.stable,
        "ERC2612InvalidSigner",
      );
    });

    it("survives a front-run permit, and refuses a permit too small for the fill", async () => {
      const s = await loadFixture(permitFixture);
      const order = await s.order();
      const sig = await s.sign(order);
      const spender = await s.escrow.getAddress();
      const { amount } = priceOf(order, 10n);
      const permit = await signPermit(s.stable, s.outsider, spender, amount, BigInt((await latestTime()) + 600));
      // someone submits the permit first: the allowance is set, the permit call in the fill reverts
      await s.stable.connect(s.buyer).permit(s.outsider.address, spender, permit.value, permit.deadline, permit.v, permit.r, permit.s);
      await s.escrow.connect(s.outsider).fillWithPermit(order, sig, 10, permit);
      expect(await credits(s, s.outsider)).to.equal(10n);

      const small = await signPermit(s.stable, s.outsider, spender, amount - 1n, BigInt((await latestTime()) + 600));
      await expect(s.escrow.connect(s.outsider).fillWithPermit(order, sig, 10, small)).to.be.revertedWithCustomError(
        s.stable,
        "ERC20InsufficientAllowance",
      );
    });

    it("agreeWithPermit locks without a prior approval", async () => {
      const s = await loadFixture(permitFixture);
      const order = await s.order({ mode: SettlementMode.Escrow });
      const { amount } = priceOf(order, 10n);
      const permit = await signPermit(s.stable, s.outsider, await s.escrow.getAddress(), amount, BigInt((await latestTime()) + 600));
      const deadline = BigInt((await latestTime()) + ONE_DAY);
      const r = await (await s.escrow.connect(s.outsider).agreeWithPermit(order, await s.sign(order), 10, deadline, await s.escrow.freeLockSlot(s.outsider.address), permit)).wait();
      const { trade } = lockedTrade(s.escrow, r);
      expect(await s.escrow.isLocked(trade)).to.equal(true);
      expect(trade.amount).to.equal(amount);
      expect(await s.stable.balanceOf(await s.escrow.getAddress())).to.equal(amount);
    });
  });

  // ------------------------------------------------------------------ fill and retire
  describe("fillAndRetire", () => {
    it("buys and retires at once: certificate and serials to the buyer", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const hash = await orderDigest(order, s.escrow);
      const { amount, fee } = priceOf(order, 25n);
      const certId = (s.batchId << 64n) | 1_000_001n;
      const tx = s.escrow.connect(s.buyer).fillAndRetire(order, await s.sign(order), 25, claim());
      await expect(tx).to.changeTokenBalances(s.stable, [s.buyer, s.seller, s.treasury], [-amount, amount - fee, fee]);
      await expect(tx).to.emit(s.escrow, "OrderFilled").withArgs(hash, s.seller.address, s.buyer.address, s.batchId, 25, amount, fee);
      await expect(tx).to.emit(s.escrow, "PurchaseRetired").withArgs(hash, s.buyer.address, certId, s.buyer.address);

      const receipt = await (await tx).wait();
      const retired = receipt!.logs
        .map((l) => {
          try {
            return s.credit.interface.parseLog(l);
          } catch {
            return null;
          }
        })
        .find((p) => p?.name === "Retired");
      expect(retired!.args.certificateId).to.equal(certId);
      expect(retired!.args.firstSerial).to.equal(1_000_001n);
      expect(retired!.args.lastSerial).to.equal(1_000_025n);
      expect(retired!.args.claim.beneficiary).to.equal(s.buyer.address);

      const cert = await s.certificate.certificate(certId);
      expect(cert.owner).to.equal(s.buyer.address);
      expect(cert.firstSerial).to.equal(1_000_001n);
      expect(cert.lastSerial).to.equal(1_000_025n);
      expect(cert.quantity).to.equal(25n);
      expect(await s.certificate.ownerOf(certId)).to.equal(s.buyer.address);
      expect(await s.credit.retiredSupply(s.batchId)).to.equal(25n);
      expect(await s.credit.totalSupply(s.batchId)).to.equal(10_000n - 25n);
      expect(await credits(s, s.escrow)).to.equal(0n);
      expect(await credits(s, s.buyer)).to.equal(0n);
      expect(await credits(s, s.seller)).to.equal(10_000n - 25n);

      // the next retirement continues the FIFO serial cursor
      const o2 = await s.order();
      await s.escrow.connect(s.buyer2).fillAndRetire(o2, await s.sign(o2), 5, claim());
      const c2 = await s.certificate.certificate((s.batchId << 64n) | 1_000_026n);
      expect(c2.owner).to.equal(s.buyer2.address);
      expect(c2.lastSerial).to.equal(1_000_030n);
    });

    it("sends the certificate to an explicit beneficiary", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order();
      const certId = (s.batchId << 64n) | 1_000_001n;
      await expect(
        s.escrow.connect(s.buyer).fillAndRetire(order, await s.sign(order), 3, claim({ beneficiary: s.outsider.address })),
      )
        .to.emit(s.escrow, "PurchaseRetired")
        .withArgs(await orderDigest(order, s.escrow), s.buyer.address, certId, s.outsider.address);
      expect(await s.certificate.ownerOf(certId)).to.equal(s.outsider.address);
    });

    it("refuses a non-KYC buyer and an invalid claim", async () => {
      const s = await loadFixture(settlementFixture);
      await s.fund(s.outsider, 1000n * USD);
      const order = await s.order();
      const sig = await s.sign(order);
      await expect(s.escrow.connect(s.outsider).fillAndRetire(order, sig, 3, claim()))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(s.outsider.address, Ineligibility.NotVerified);
      await expect(s.escrow.connect(s.buyer).fillAndRetire(order, sig, 3, claim({ reason: "" })))
        .to.be.revertedWithCustomError(s.credit, "InvalidClaim")
        .withArgs("reason");
      expect(await s.escrow.remaining(order)).to.equal(100n);
    });
  });

  // ------------------------------------------------------------------ escrow mode
  describe("escrow mode", () => {
    it("agree locks both legs and emits the trade", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order({ mode: SettlementMode.Escrow });
      const hash = await orderDigest(order, s.escrow);
      const { amount, fee } = priceOf(order, 30n);
      const deadline = BigInt((await latestTime()) + ONE_DAY);
      const lockSlot = await s.escrow.freeLockSlot(s.buyer.address);
      const tx = s.escrow.connect(s.buyer).agree(order, await s.sign(order), 30, deadline, lockSlot);
      await expect(tx).to.changeTokenBalances(s.stable, [s.buyer, s.escrow, s.seller], [-amount, amount, 0]);
      const { id, trade } = lockedTrade(s.escrow, await (await tx).wait());
      expect(trade).to.deep.equal({
        orderHash: hash,
        seller: s.seller.address,
        buyer: s.buyer.address,
        batchId: s.batchId,
        quantity: 30n,
        orderOffset: 0n,
        releaseDeadline: deadline,
        amount,
        fee,
        lockSlot,
      });
      expect(await s.escrow.lockOf(s.buyer.address, lockSlot)).to.equal(id);
      expect(await s.escrow.freeLockSlot(s.buyer.address)).to.equal(lockSlot + 1n);
      await expect(tx).to.emit(s.escrow, "TradeLocked").withArgs(id, s.seller.address, s.buyer.address, Object.values(trade));
      expect(await s.escrow.isLocked(trade)).to.equal(true);
      expect(await credits(s, s.escrow)).to.equal(30n);
      expect(await credits(s, s.seller)).to.equal(10_000n - 30n);
      expect(await s.escrow.orderState(order.seller, order.salt)).to.deep.equal([30n, false]);
    });

    it("gives each agreement on one order a distinct trade id", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order({ mode: SettlementMode.Escrow });
      const sig = await s.sign(order);
      const deadline = BigInt((await latestTime()) + ONE_DAY);
      const a = lockedTrade(s.escrow, await (await s.escrow.connect(s.buyer).agree(order, sig, 10, deadline, await s.escrow.freeLockSlot(s.buyer.address))).wait());
      const b = lockedTrade(s.escrow, await (await s.escrow.connect(s.buyer).agree(order, sig, 10, deadline, await s.escrow.freeLockSlot(s.buyer.address))).wait());
      expect(a.id).to.not.equal(b.id);
      expect(b.trade.orderOffset).to.equal(10n);
      await release(s, a.trade);
      await release(s, b.trade);
      expect(await credits(s, s.buyer)).to.equal(20n);
    });

    it("refuses a release deadline in the past, now, or beyond the window", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order({ mode: SettlementMode.Escrow });
      const sig = await s.sign(order);
      for (const back of [1, 0]) {
        const next = (await latestTime()) + 1;
        await time.setNextBlockTimestamp(next);
        await expect(s.escrow.connect(s.buyer).agree(order, sig, 1, next - back, await s.escrow.freeLockSlot(s.buyer.address)))
          .to.be.revertedWithCustomError(s.escrow, "InvalidReleaseDeadline")
          .withArgs(next - back);
      }
      const t = await latestTime();
      const max = 90 * ONE_DAY;
      await time.setNextBlockTimestamp(t + 1);
      await expect(s.escrow.connect(s.buyer).agree(order, sig, 1, t + 1 + max + 1, await s.escrow.freeLockSlot(s.buyer.address))).to.be.revertedWithCustomError(
        s.escrow,
        "InvalidReleaseDeadline",
      );
      await time.setNextBlockTimestamp(t + 2);
      await s.escrow.connect(s.buyer).agree(order, sig, 1, t + 2 + max, await s.escrow.freeLockSlot(s.buyer.address));
    });

    it("refuses a non-KYC buyer and a frozen seller at agreement", async () => {
      const s = await loadFixture(settlementFixture);
      await s.fund(s.outsider, 1000n * USD);
      const order = await s.order({ mode: SettlementMode.Escrow });
      const sig = await s.sign(order);
      const deadline = (await latestTime()) + ONE_DAY;
      await expect(s.escrow.connect(s.outsider).agree(order, sig, 1, deadline, await s.escrow.freeLockSlot(s.outsider.address)))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(s.outsider.address, Ineligibility.NotVerified);
      await s.identity.connect(s.compliance).freeze(s.seller.address, "review");
      await expect(s.escrow.connect(s.buyer).agree(order, sig, 1, deadline, await s.escrow.freeLockSlot(s.buyer.address)))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(s.seller.address, Ineligibility.Frozen);
    });

    it("release pays both legs on a quorum attestation, once", async () => {
      const s = await loadFixture(settlementFixture);
      const { id, trade } = await agree(s, { quantity: 40n });
      const c = await s.confirm(id, REG);
      const digest = await s.quorum.digestOf(await s.escrow.tradeConfirmationHash(id, REG, c.epoch, c.deadline));
      const tx = s.escrow.connect(s.outsider).release(trade, REG, c.epoch, c.deadline, c.signatures);
      // the fee stays in the escrow, accrued for the treasury
      await expect(tx).to.changeTokenBalances(
        s.stable,
        [s.escrow, s.seller, s.treasury, s.buyer],
        [-(trade.amount - trade.fee), trade.amount - trade.fee, 0, 0],
      );
      await expect(tx).to.emit(s.escrow, "TradeReleased").withArgs(id, REG, digest, s.treasury.address);
      expect(await s.escrow.accruedFees()).to.equal(trade.fee);
      // the buyer's lock slot is free again, for their next trade
      expect(await s.escrow.lockOf(s.buyer.address, trade.lockSlot)).to.equal(ethers.toBeHex(1, 32));
      expect(await s.escrow.freeLockSlot(s.buyer.address)).to.equal(trade.lockSlot);
      await expect(tx).not.to.emit(s.quorum, "AttestationConsumed"); // verified, not consumed: the trade lock stops replays
      expect(await credits(s, s.buyer)).to.equal(40n);
      expect(await credits(s, s.escrow)).to.equal(0n);
      expect(await s.escrow.isLocked(trade)).to.equal(false);
      expect(await s.quorum.isConsumed(digest)).to.equal(false);

      // double release and refund after release are refused
      const again = await s.confirm(id, ethers.id("another-ref"));
      await expect(s.escrow.release(trade, ethers.id("another-ref"), again.epoch, again.deadline, again.signatures))
        .to.be.revertedWithCustomError(s.escrow, "TradeNotLocked")
        .withArgs(id);
      await expect(s.escrow.release(trade, REG, c.epoch, c.deadline, c.signatures)).to.be.revertedWithCustomError(
        s.escrow,
        "TradeNotLocked",
      );
      await time.increaseTo(trade.releaseDeadline + 1n);
      await expect(s.escrow.refund(trade)).to.be.revertedWithCustomError(s.escrow, "TradeNotLocked").withArgs(id);
    });

    it("keeps the fee fixed at agreement and skips a zero fee on release", async () => {
      const s = await loadFixture(settlementFixture);
      const { trade } = await agree(s, { quantity: 10n });
      await s.escrow.setFee(500);
      await expect(release(s, trade)).to.changeTokenBalances(s.stable, [s.seller, s.treasury], [trade.amount - trade.fee, 0]);
      expect(await s.escrow.accruedFees()).to.equal(trade.fee);
      await s.escrow.setFee(0);
      const zero = await agree(s, { quantity: 10n });
      expect(zero.trade.fee).to.equal(0n);
      const tx = release(s, zero.trade);
      await expect(tx).to.changeTokenBalances(s.stable, [s.seller, s.treasury], [zero.trade.amount, 0]);
      const logs = (await (await tx).wait())!.logs.filter((l) => l.address === s.stable.target);
      expect(logs.length).to.equal(1);
      expect(await s.escrow.accruedFees()).to.equal(trade.fee);
    });

    it("accrues release fees until anyone collects them for the treasury of the time, even while paused", async () => {
      const s = await loadFixture(settlementFixture);
      await expect(s.escrow.collectFees()).to.be.revertedWithCustomError(s.escrow, "NoFeesAccrued");
      const a = await agree(s, { quantity: 10n });
      const b = await agree(s, { quantity: 30n });
      await release(s, a.trade);
      await release(s, b.trade);
      const fees = a.trade.fee + b.trade.fee;
      expect(fees > 0n).to.equal(true);
      expect(await s.escrow.accruedFees()).to.equal(fees);
      expect(await s.stable.balanceOf(s.escrow.target)).to.equal(fees);
      await s.escrow.setTreasury(s.buyer2.address);
      await s.escrow.connect(s.admin).pause();
      const tx = s.escrow.connect(s.outsider).collectFees();
      await expect(tx).to.changeTokenBalances(s.stable, [s.escrow, s.buyer2, s.treasury], [-fees, fees, 0]);
      await expect(tx).to.emit(s.escrow, "FeesCollected").withArgs(s.buyer2.address, fees);
      expect(await s.escrow.accruedFees()).to.equal(0n);
      await expect(s.escrow.collectFees()).to.be.revertedWithCustomError(s.escrow, "NoFeesAccrued");
    });

    it("reuses a buyer's freed lock slot and refuses a slot holding an open trade", async () => {
      const s = await loadFixture(settlementFixture);
      const a = await agree(s, { quantity: 1n });
      const b = await agree(s, { quantity: 1n });
      expect(b.trade.lockSlot).to.equal(a.trade.lockSlot + 1n);
      const order = await s.order({ mode: SettlementMode.Escrow });
      const sig = await s.sign(order);
      const deadline = BigInt((await latestTime()) + ONE_DAY);
      await expect(s.escrow.connect(s.buyer).agree(order, sig, 1, deadline, a.trade.lockSlot))
        .to.be.revertedWithCustomError(s.escrow, "LockSlotInUse")
        .withArgs(s.buyer.address, a.trade.lockSlot, a.id);
      // another buyer's slots are their own
      const other = lockedTrade(s.escrow, await (await s.escrow.connect(s.buyer2).agree(order, sig, 1, deadline, a.trade.lockSlot)).wait());
      expect(other.trade.lockSlot).to.equal(a.trade.lockSlot);
      await release(s, a.trade);
      expect(await s.escrow.freeLockSlot(s.buyer.address)).to.equal(a.trade.lockSlot);
      const c = lockedTrade(s.escrow, await (await s.escrow.connect(s.buyer).agree(order, sig, 1, deadline, a.trade.lockSlot)).wait());
      expect(c.trade.lockSlot).to.equal(a.trade.lockSlot);
      expect(await s.escrow.isLocked(c.trade)).to.equal(true);
      // the settled trade stays settled although its slot holds a new one
      expect(await s.escrow.isLocked(a.trade)).to.equal(false);
      await expect(release(s, a.trade)).to.be.revertedWithCustomError(s.escrow, "TradeNotLocked").withArgs(a.id);
      // a trade is found only in its own slot
      await expect(release(s, { ...c.trade, lockSlot: b.trade.lockSlot })).to.be.revertedWithCustomError(s.escrow, "TradeNotLocked");
      await release(s, c.trade);
      await release(s, b.trade);
      await release(s, other.trade);
      expect(await s.escrow.freeLockSlot(s.buyer.address)).to.equal(a.trade.lockSlot);
    });

    it("refuses release after the deadline (works at the deadline second)", async () => {
      const s = await loadFixture(settlementFixture);
      const a = await agree(s);
      const b = await agree(s);
      const ca = await s.confirm(a.id, REG, { deadline: a.trade.releaseDeadline + 3600n });
      const cb = await s.confirm(b.id, REG, { deadline: b.trade.releaseDeadline + 3600n });
      await time.setNextBlockTimestamp(a.trade.releaseDeadline);
      await s.escrow.release(a.trade, REG, ca.epoch, ca.deadline, ca.signatures);
      await time.setNextBlockTimestamp(b.trade.releaseDeadline + 1n);
      await expect(s.escrow.release(b.trade, REG, cb.epoch, cb.deadline, cb.signatures))
        .to.be.revertedWithCustomError(s.escrow, "ReleaseWindowClosed")
        .withArgs(b.trade.releaseDeadline);
    });

    it("refuses insufficient, foreign, stale, expired or ref-less attestations", async () => {
      const s = await loadFixture(settlementFixture);
      const { id, trade } = await agree(s);
      const other = await agree(s);

      const one = await s.confirm(id, REG, { signers: s.oracles.slice(0, 1) });
      await expect(s.escrow.release(trade, REG, one.epoch, one.deadline, one.signatures))
        .to.be.revertedWithCustomError(s.quorum, "InsufficientSignatures")
        .withArgs(1, 2);

      // an attestation of another trade (or another registry ref) replayed on this one
      const foreign = await s.confirm(other.id, REG);
      await expect(s.escrow.release(trade, REG, foreign.epoch, foreign.deadline, foreign.signatures)).to.be.revertedWithCustomError(
        s.quorum,
        "UnknownSigner",
      );
      const otherRef = await s.confirm(id, ethers.id("other-ref"));
      await expect(s.escrow.release(trade, REG, otherRef.epoch, otherRef.deadline, otherRef.signatures)).to.be.revertedWithCustomError(
        s.quorum,
        "UnknownSigner",
      );
      // signed by non-oracles
      const rogue = await s.confirm(id, REG, { signers: [ethers.Wallet.createRandom(), ethers.Wallet.createRandom()] as never });
      await expect(s.escrow.release(trade, REG, rogue.epoch, rogue.deadline, rogue.signatures)).to.be.revertedWithCustomError(
        s.quorum,
        "UnknownSigner",
      );

      const expired = await s.confirm(id, REG, { deadline: BigInt(await latestTime()) });
      await time.increase(5);
      await expect(s.escrow.release(trade, REG, expired.epoch, expired.deadline, expired.signatures)).to.be.revertedWithCustomError(
        s.quorum,
        "AttestationExpired",
      );

      await expect(s.escrow.release(trade, ethers.ZeroHash, one.epoch, one.deadline, one.signatures)).to.be.revertedWithCustomError(
        s.escrow,
        "MissingRegistryRef",
      );

      const good = await s.confirm(id, REG);
      await s.quorum.setSignerSet(
        s.oracles.map((o) => o.address),
        2,
      ); // rotation: epoch 2, old signatures stale
      await expect(s.escrow.release(trade, REG, good.epoch, good.deadline, good.signatures))
        .to.be.revertedWithCustomError(s.quorum, "StaleEpoch")
        .withArgs(1, 2);
      const fresh = await s.confirm(id, REG);
      await s.escrow.release(trade, REG, fresh.epoch, fresh.deadline, fresh.signatures);
      expect(await s.escrow.isLocked(trade)).to.equal(false);
    });

    it("refuses a forged trade (any field changed)", async () => {
      const s = await loadFixture(settlementFixture);
      const { trade } = await agree(s);
      for (const forged of [
        { ...trade, amount: trade.amount * 2n },
        { ...trade, fee: 0n },
        { ...trade, buyer: s.buyer2.address },
        { ...trade, releaseDeadline: trade.releaseDeadline + 1000n },
      ]) {
        await expect(release(s, forged)).to.be.revertedWithCustomError(s.escrow, "TradeNotLocked").withArgs(tradeId(forged));
      }
      await time.increaseTo(trade.releaseDeadline + 1n);
      await expect(s.escrow.refund({ ...trade, quantity: trade.quantity + 1n })).to.be.revertedWithCustomError(
        s.escrow,
        "TradeNotLocked",
      );
    });

    it("needs no CONSUMER_ROLE on the quorum: releases on verified signatures; its own lock is the replay protection", async () => {
      const s = await loadFixture(settlementFixture);
      expect(await s.quorum.hasRole(await s.quorum.CONSUMER_ROLE(), await s.escrow.getAddress())).to.equal(false);
      const a = await agree(s);
      const ca = await s.confirm(a.id, REG);
      await s.escrow.release(a.trade, REG, ca.epoch, ca.deadline, ca.signatures);
      expect(await credits(s, s.buyer)).to.equal(a.trade.quantity);

      // the quorum's consumption record is not what stops a replay (the escrow does not read it):
      // the trade lock is
      await expect(s.escrow.release(a.trade, REG, ca.epoch, ca.deadline, ca.signatures)).to.be.revertedWithCustomError(
        s.escrow,
        "TradeNotLocked",
      );
      // and the quorum's own checks still apply: too few signatures, a stale epoch
      const b = await agree(s);
      const cb = await s.confirm(b.id, REG);
      await expect(s.escrow.release(b.trade, REG, cb.epoch, cb.deadline, ethers.dataSlice(cb.signatures, 65))).to.be.revertedWithCustomError(
        s.quorum,
        "InsufficientSignatures",
      );
      await expect(s.escrow.release(b.trade, REG, cb.epoch + 1n, cb.deadline, cb.signatures)).to.be.revertedWithCustomError(
        s.quorum,
        "StaleEpoch",
      );
    });

    it("release refuses a seller no longer eligible to be paid; refund then returns everything", async () => {
      const s = await loadFixture(settlementFixture);
      const { trade } = await agree(s, { quantity: 20n });
      await s.identity.connect(s.compliance).freeze(s.seller.address, "sanctions hit");
      await expect(release(s, trade))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(s.seller.address, Ineligibility.Frozen);
      await time.increaseTo(trade.releaseDeadline + 1n);
      const tx = s.escrow.connect(s.outsider).refund(trade);
      await expect(tx).to.changeTokenBalances(s.stable, [s.escrow, s.buyer], [-trade.amount, trade.amount]);
      await expect(tx).to.emit(s.escrow, "TradeRefunded").withArgs(tradeId(trade), s.outsider.address);
      await expect(tx).to.emit(s.credit, "CustodyReturned").withArgs(await s.escrow.getAddress(), s.seller.address, s.batchId, 20);
      expect(await credits(s, s.seller)).to.equal(10_000n);
      expect(await credits(s, s.escrow)).to.equal(0n);
    });

    it("release refuses a buyer frozen meanwhile; refund works for a frozen buyer and an expired seller", async () => {
      const s = await loadFixture(settlementFixture);
      const { trade } = await agree(s, { quantity: 20n });
      await s.identity.connect(s.compliance).freeze(s.buyer.address, "review");
      await expect(release(s, trade))
        .to.be.revertedWithCustomError(s.identity, "NotEligible")
        .withArgs(s.buyer.address, Ineligibility.Frozen);
      // the seller's KYC expires before the refund
      await s.kyc(s.seller, { expiry: (await latestTime()) + 100 });
      await time.increaseTo(trade.releaseDeadline + 1n);
      expect(await s.identity.eligibility(s.seller.address, s.batchId)).to.equal(Ineligibility.KycExpired);
      await expect(s.escrow.refund(trade)).to.changeTokenBalances(s.stable, [s.escrow, s.buyer], [-trade.amount, trade.amount]);
      expect(await credits(s, s.seller)).to.equal(10_000n);
    });

    it("refund is refused before and at the deadline, works after it, once, for anyone", async () => {
      const s = await loadFixture(settlementFixture);
      const { id, trade } = await agree(s);
      await expect(s.escrow.refund(trade))
        .to.be.revertedWithCustomError(s.escrow, "RefundNotYetAvailable")
        .withArgs(trade.releaseDeadline);
      await time.setNextBlockTimestamp(trade.releaseDeadline);
      await expect(s.escrow.refund(trade)).to.be.revertedWithCustomError(s.escrow, "RefundNotYetAvailable");
      await s.escrow.connect(s.outsider).refund(trade);
      expect(await s.escrow.isLocked(trade)).to.equal(false);
      await expect(s.escrow.refund(trade)).to.be.revertedWithCustomError(s.escrow, "TradeNotLocked").withArgs(id);
      await expect(release(s, trade)).to.be.revertedWithCustomError(s.escrow, "ReleaseWindowClosed");
    });

    it("pause stops agree and release but not refund", async () => {
      const s = await loadFixture(settlementFixture);
      const { trade } = await agree(s);
      const order = await s.order({ mode: SettlementMode.Escrow });
      await s.escrow.pause();
      const deadline = (await latestTime()) + ONE_DAY;
      await expect(s.escrow.connect(s.buyer).agree(order, await s.sign(order), 1, deadline, await s.escrow.freeLockSlot(s.buyer.address))).to.be.revertedWithCustomError(
        s.escrow,
        "EnforcedPause",
      );
      await expect(release(s, trade)).to.be.revertedWithCustomError(s.escrow, "EnforcedPause");
      await time.increaseTo(trade.releaseDeadline + 1n);
      await expect(s.escrow.refund(trade)).to.changeTokenBalance(s.stable, s.buyer, trade.amount);
    });

    it("a cancelled or counter-voided order keeps its locked trades releasable", async () => {
      const s = await loadFixture(settlementFixture);
      const { order, trade } = await agree(s, { quantity: 10n });
      await s.escrow.connect(s.seller).cancel(order);
      await s.escrow.connect(s.seller).incrementCounter();
      await release(s, trade);
      expect(await credits(s, s.buyer)).to.equal(10n);
    });
  });

  // ------------------------------------------------------------------ adversarial
  describe("adversarial", () => {
    async function hostileFixture() {
      const s = await settlementFixture();
      const token = (await ethers.deployContract("ReentrantERC20")) as unknown as ReentrantERC20;
      const escrow = (await ethers.deployContract("SettlementEscrow", [
        s.admin.address,
        await s.credit.getAddress(),
        await s.quorum.getAddress(),
        await token.getAddress(),
        s.treasury.address,
        DEFAULT_FEE_BPS,
      ])) as unknown as SettlementEscrow;
      const e = await escrow.getAddress();
      await s.quorum.grantRole(await s.quorum.CONSUMER_ROLE(), e);
      await s.credit.grantRole(await s.credit.CUSTODIAN_ROLE(), e);
      await escrow.grantRole(await escrow.PAUSER_ROLE(), s.admin.address);
      await s.kyc(e, { entityType: EntityType.Custody, country: "CH" });
      await s.credit.connect(s.seller).setApprovalForAll(e, true);
      for (const b of [s.buyer, s.buyer2]) {
        await token.mint(b.address, 1_000_000n * USD);
        await token.connect(b).approve(e, ethers.MaxUint256);
      }
      const order: Order = { ...(await s.order()), counter: 0n };
      const sig = await signOrder(s.seller, order, e);
      return { s, token, escrow, order, sig };
    }
    const GUARD = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);
    const Hook = { None: 0, Transfer: 1, TransferFrom: 2, Any: 3 };

    it("a token re-entering fill from transferFrom cannot double-fill or double-spend", async () => {
      const { s, token, escrow, order, sig } = await loadFixture(hostileFixture);
      const payload = escrow.interface.encodeFunctionData("fill", [order, sig, 10]);
      await token.arm(await escrow.getAddress(), payload, Hook.TransferFrom, false);
      const amount = order.pricePerTonne * 10n;
      await expect(escrow.connect(s.buyer).fill(order, sig, 10)).to.changeTokenBalances(token, [s.buyer, s.seller], [-amount, amount - (amount * 50n) / BPS]);
      expect(await token.resultCount()).to.equal(1n);
      const [ok, data] = await token.result(0);
      expect(ok).to.equal(false);
      expect(data).to.equal(GUARD);
      expect(await credits(s, s.buyer)).to.equal(10n);
      expect((await escrow.orderState(order.seller, order.salt))[0]).to.equal(10n);

      // bubbling the failure reverts the whole fill: nothing moves
      await token.arm(await escrow.getAddress(), payload, Hook.TransferFrom, true);
      await expect(escrow.connect(s.buyer).fill(order, sig, 10)).to.be.revertedWithCustomError(escrow, "ReentrancyGuardReentrantCall");
      expect(await credits(s, s.buyer)).to.equal(10n);
      expect((await escrow.orderState(order.seller, order.salt))[0]).to.equal(10n);
    });

    it("every state-changing entry point is guarded against re-entry", async () => {
      const { s, token, escrow, order, sig } = await loadFixture(hostileFixture);
      const e = await escrow.getAddress();
      const trade: Trade = {
        orderHash: ethers.ZeroHash,
        seller: s.seller.address,
        buyer: s.buyer.address,
        batchId: s.batchId,
        quantity: 1n,
        orderOffset: 0n,
        releaseDeadline: 0n,
        amount: 1n,
        fee: 0n,
        lockSlot: 0n,
      };
      const permit = { value: 0n, deadline: 0n, v: 27, r: ethers.ZeroHash, s: ethers.ZeroHash };
      const i = escrow.interface;
      const payloads = [
        i.encodeFunctionData("fill", [order, sig, 1]),
        i.encodeFunctionData("fillWithPermit", [order, sig, 1, permit]),
        i.encodeFunctionData("fillAndRetire", [order, sig, 1, claim()]),
        i.encodeFunctionData("agree", [order, sig, 1, 0, 0]),
        i.encodeFunctionData("agreeWithPermit", [order, sig, 1, 0, 0, permit]),
        i.encodeFunctionData("release", [trade, REG, 1, 0, "0x"]),
        i.encodeFunctionData("refund", [trade]),
        i.encodeFunctionData("withdrawOwed", [s.buyer.address]),
        i.encodeFunctionData("collectFees"),
      ];
      for (const [n, payload] of payloads.entries()) {
        await token.arm(e, payload, Hook.TransferFrom, false);
        await escrow.connect(s.buyer).fill(order, sig, 1);
        expect((await token.result(n))[1]).to.equal(GUARD);
      }
      expect(await credits(s, s.buyer)).to.equal(BigInt(payloads.length));
    });

    it("a token re-entering release or refund from transfer cannot pay out twice", async () => {
      const { s, token, escrow } = await loadFixture(hostileFixture);
      const e = await escrow.getAddress();
      const order: Order = { ...(await s.order({ mode: SettlementMode.Escrow })), counter: 0n };
      const sig = await signOrder(s.seller, order, e);
      const deadline = BigInt((await latestTime()) + ONE_DAY);
      const a = lockedTrade(escrow, await (await escrow.connect(s.buyer).agree(order, sig, 10, deadline, await escrow.freeLockSlot(s.buyer.address))).wait());
      const b = lockedTrade(escrow, await (await escrow.connect(s.buyer).agree(order, sig, 10, deadline, await escrow.freeLockSlot(s.buyer.address))).wait());
      expect(await token.balanceOf(e)).to.equal(a.trade.amount + b.trade.amount);

      // release of a re-enters release (same attestation) from the payout transfer
      const c = await s.confirm(a.id, REG);
      await token.arm(e, escrow.interface.encodeFunctionData("release", [a.trade, REG, c.epoch, c.deadline, c.signatures]), Hook.Transfer, false);
      await expect(escrow.release(a.trade, REG, c.epoch, c.deadline, c.signatures)).to.changeTokenBalances(
        token,
        [escrow, s.seller, s.treasury],
        [-(a.trade.amount - a.trade.fee), a.trade.amount - a.trade.fee, 0],
      );
      expect((await token.result(0))[1]).to.equal(GUARD);

      // refund of b re-enters refund of b from its transfer
      await time.increaseTo(b.trade.releaseDeadline + 1n);
      await token.arm(e, escrow.interface.encodeFunctionData("refund", [b.trade]), Hook.Transfer, false);
      await expect(escrow.refund(b.trade)).to.changeTokenBalances(token, [escrow, s.buyer], [-b.trade.amount, b.trade.amount]);
      expect((await token.result(1))[1]).to.equal(GUARD);
      expect(await token.balanceOf(e)).to.equal(a.trade.fee); // accrued for the treasury
      await escrow.collectFees();
      expect(await token.balanceOf(e)).to.equal(0n);
      expect(await credits(s, e)).to.equal(0n);
      expect(await credits(s, s.buyer)).to.equal(10n);
      expect(await credits(s, s.seller)).to.equal(10_000n - 10n);
    });

    it("a token re-entering refund from release's transfer cannot settle a trade twice", async () => {
      const { s, token, escrow } = await loadFixture(hostileFixture);
      const e = await escrow.getAddress();
      const order: Order = { ...(await s.order({ mode: SettlementMode.Escrow })), counter: 0n };
      const deadline = BigInt((await latestTime()) + ONE_DAY);
      const a = lockedTrade(escrow, await (await escrow.connect(s.buyer).agree(order, await signOrder(s.seller, order, e), 10, deadline, await escrow.freeLockSlot(s.buyer.address))).wait());
      const c = await s.confirm(a.id, REG);
      await token.arm(e, escrow.interface.encodeFunctionData("refund", [a.trade]), Hook.Transfer, false);
      await escrow.release(a.trade, REG, c.epoch, c.deadline, c.signatures);
      expect((await token.result(0))[1]).to.equal(GUARD);
      expect(await token.balanceOf(e)).to.equal(a.trade.fee); // accrued for the treasury
      expect(await escrow.accruedFees()).to.equal(a.trade.fee);
      expect(await credits(s, s.buyer)).to.equal(10n);
    });

    it("a token blocking the buyer cannot hold the seller's refund hostage; the buyer withdraws later", async () => {
      const { s, token, escrow } = await loadFixture(hostileFixture);
      const e = await escrow.getAddress();
      const order: Order = { ...(await s.order({ mode: SettlementMode.Escrow })), counter: 0n };
      const deadline = BigInt((await latestTime()) + ONE_DAY);
      const { id, trade } = lockedTrade(escrow, await (await escrow.connect(s.buyer).agree(order, await signOrder(s.seller, order, e), 10, deadline, await escrow.freeLockSlot(s.buyer.address))).wait());
      await token.setBlocked(s.buyer.address, true);
      await time.increaseTo(trade.releaseDeadline + 1n);
      await escrow.pause();
      await expect(escrow.connect(s.outsider).refund(trade))
        .to.emit(escrow, "PaymentDeferred")
        .withArgs(id, s.buyer.address, trade.amount)
        .and.to.emit(escrow, "TradeRefunded")
        .withArgs(id, s.outsider.address);
      expect(await credits(s, s.seller)).to.equal(10_000n);
      expect(await credits(s, e)).to.equal(0n);
      expect(await escrow.owedTo(s.buyer.address)).to.equal(trade.amount);
      expect(await token.balanceOf(e)).to.equal(trade.amount);

      await expect(escrow.connect(s.outsider).withdrawOwed(s.outsider.address))
        .to.be.revertedWithCustomError(escrow, "NothingOwed")
        .withArgs(s.outsider.address);
      await expect(escrow.connect(s.buyer).withdrawOwed(ethers.ZeroAddress)).to.be.revertedWithCustomError(escrow, "ZeroAddress");
      const w = escrow.connect(s.buyer).withdrawOwed(s.buyer2.address);
      await expect(w).to.emit(escrow, "OwedWithdrawn").withArgs(s.buyer.address, s.buyer2.address, trade.amount);
      await expect(w).to.changeTokenBalances(token, [escrow, s.buyer2], [-trade.amount, trade.amount]);
      expect(await escrow.owedTo(s.buyer.address)).to.equal(0n);
      await expect(escrow.connect(s.buyer).withdrawOwed(s.buyer2.address)).to.be.revertedWithCustomError(escrow, "NothingOwed");
    });

    it("a contract buyer re-entering from its ERC-1155 hook is stopped", async () => {
      const s = await loadFixture(settlementFixture);
      const receiver = (await ethers.deployContract("ReentrantReceiver")) as unknown as ReentrantReceiver;
      const r = await receiver.getAddress();
      await s.kyc(r);
      await s.stable.mint(r, 1000n * USD);
      await receiver.execute(await s.stable.getAddress(), s.stable.interface.encodeFunctionData("approve", [await s.escrow.getAddress(), ethers.MaxUint256]));
      const order = await s.order();
      const sig = await s.sign(order);
      const fill = s.escrow.interface.encodeFunctionData("fill", [order, sig, 5]);
      await receiver.arm([await s.escrow.getAddress()], [fill], false);
      await receiver.execute(await s.escrow.getAddress(), fill);
      const [ok, data] = await receiver.result(0);
      expect(ok).to.equal(false);
      expect(data).to.equal(GUARD);
      expect(await credits(s, r)).to.equal(5n);
      expect(await s.escrow.remaining(order)).to.equal(95n);
    });

    it("two fills racing for the last units: the second reverts, totals exact", async () => {
      const s = await loadFixture(settlementFixture);
      const order = await s.order({ quantity: 100n, minFill: 1n });
      const sig = await s.sign(order);
      await s.escrow.connect(s.buyer).fill(order, sig, 40);
      const sellerBefore = await s.stable.balanceOf(s.seller.address);
      await network.provider.send("evm_setAutomine", [false]);
      let h1: string;
      let h2: string;
      try {
        h1 = (await s.escrow.connect(s.buyer).fill(order, sig, 60, { gasLimit: 400_000 })).hash;
        h2 = (await s.escrow.connect(s.buyer2).fill(order, sig, 60, { gasLimit: 400_000 })).hash;
        await network.provider.send("evm_mine", []);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      const r1 = await ethers.provider.getTransactionReceipt(h1);
      const r2 = await ethers.provider.getTransactionReceipt(h2);
      expect(r1!.blockNumber).to.equal(r2!.blockNumber);
      expect(r1!.status).to.equal(1);
      expect(r2!.status).to.equal(0);
      await expect(s.escrow.connect(s.buyer2).fill(order, sig, 60)).to.be.revertedWithCustomError(s.escrow, "Overfill").withArgs(60, 0);
      expect(await credits(s, s.buyer)).to.equal(100n);
      expect(await credits(s, s.buyer2)).to.equal(0n);
      expect(await s.escrow.remaining(order)).to.equal(0n);
      const { amount, fee } = priceOf(order, 60n);
      expect(await s.stable.balanceOf(s.seller.address)).to.equal(sellerBefore + amount - fee);
    });
  });

  // ------------------------------------------------------------------ gas
  describe("gas", () => {
    it("measures every operation (warm holders, 50 bps)", async () => {
      const s = await loadFixture(settlementFixture);
      const { escrow, seller, buyer } = s;
      // warm holders: buyer already holds the batch, seller and treasury hold stablecoin,
      // escrow already holds locked funds and credits of another trade. Explicit consecutive salts:
      // 400 (warm-up) writes the fill-record word that 401..403 share; 404 writes the next word, which
      // 405 shares; 408 starts a fresh word.
      await s.credit.connect(seller).safeTransferFrom(seller.address, buyer.address, s.batchId, 1, "0x");
      const warm = await s.order({ salt: 400n });
      await escrow.connect(buyer).fill(warm, await s.sign(warm), 1);
      await agree(s, { quantity: 1n, order: { salt: 404n } });

      const g: Record<string, bigint> = {};
      const o = await s.order({ salt: 401n });
      const sig = await s.sign(o);
      g["fill (first fill of an order)"] = await gasOf(escrow.connect(buyer).fill(o, sig, 10));
      g["fill (order already partly filled)"] = await gasOf(escrow.connect(buyer).fill(o, sig, 10));

      const fw = await s.order({ salt: 408n });
      g["fill (first fill, fresh fill-record word)"] = await gasOf(escrow.connect(buyer).fill(fw, await s.sign(fw), 10));

      const permitOrder = await s.order({ salt: 402n });
      const psig = await s.sign(permitOrder);
      await escrow.connect(buyer).fill(permitOrder, psig, 1);
      await s.stable.connect(buyer).approve(await escrow.getAddress(), 0);
      const permit = await signPermit(s.stable, buyer, await escrow.getAddress(), 10n ** 12n, BigInt((await latestTime()) + 600));
      g["fillWithPermit (order partly filled)"] = await gasOf(escrow.connect(buyer).fillWithPermit(permitOrder, psig, 10, permit));
      await s.stable.connect(buyer).approve(await escrow.getAddress(), ethers.MaxUint256);

      const ro = await s.order({ salt: 403n });
      g["fillAndRetire (first fill)"] = await gasOf(escrow.connect(buyer).fillAndRetire(ro, await s.sign(ro), 10, claim()));

      const eo = await s.order({ mode: SettlementMode.Escrow, salt: 405n });
      const esig = await s.sign(eo);
      const deadline = BigInt((await latestTime()) + ONE_DAY);
      const ra = await (await escrow.connect(buyer).agree(eo, esig, 10, deadline, await escrow.freeLockSlot(buyer.address))).wait();
      g["agree (first agreement on an order)"] = ra!.gasUsed;
      const first = lockedTrade(escrow, ra);
      const rb = await (await escrow.connect(buyer).agree(eo, esig, 10, deadline, await escrow.freeLockSlot(buyer.address))).wait();
      g["agree (order already partly agreed)"] = rb!.gasUsed;
      const second = lockedTrade(escrow, rb);
      g["release"] = await gasOf(release(s, first.trade));
      g["agree + release (first agreement)"] = g["agree (first agreement on an order)"] + g["release"];
      g["agree + release (order partly agreed)"] = g["agree (order already partly agreed)"] + g["release"];
      const refundTrade = await agree(s, { quantity: 10n });
      await time.increaseTo(refundTrade.trade.releaseDeadline + 1n);
      g["refund"] = await gasOf(escrow.refund(refundTrade.trade));
      g["cancel"] = await gasOf(escrow.connect(seller).cancel(await s.order()));
      g["incrementCounter"] = await gasOf(escrow.connect(seller).incrementCounter());
      void second;

      console.table(Object.fromEntries(Object.entries(g).map(([k, v]) => [k, Number(v)])));
      if ((hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING) return; // instrumented gas
      // Regression budgets: what is reached, not the targets (fill <= 110k: met unless the order is
      // the first of its fill-record word; agree+release <= 230k: missed); see the gas section of
      // the README and `settlementBreakdown` in bench/results/gas.json.
      expect(g["fill (order already partly filled)"]).to.be.lte(106_000n);
      expect(g["fill (first fill of an order)"]).to.be.lte(106_000n);
      expect(g["fill (first fill, fresh fill-record word)"]).to.be.lte(123_000n);
      expect(g["agree + release (first agreement)"]).to.be.lte(250_000n);
      expect(g["release"]).to.be.lte(121_000n); // the quorum attestation is verified, not consumed
    });
  });
});
