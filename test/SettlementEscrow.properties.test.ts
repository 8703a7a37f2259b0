import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import fc from "fast-check";
import { claim, latestTime } from "./helpers/fixtures";
import {
  ONE_DAY,
  SettlementMode,
  USD,
  deploySettlement,
  lockedTrade,
  type Order,
  type SettlementSuite,
  type Trade,
} from "./helpers/settlement";

/**
 * Property: over random sequences of orders, fills, buy-and-retires, agreements, confirmations,
 * cancellations, counter bumps, fee changes, pauses, freezes and time travel,
 * - total stablecoin and total credits (held + retired) are conserved across all accounts plus
 *   the escrow after every step;
 * - every successful step moves exactly the amounts it should, every failed step moves nothing;
 * - the escrow holds exactly the sum of the still-locked trades plus the release fees accrued
 *   for the treasury; no order is over-filled;
 * - a locked trade can always be released before its deadline (parties eligible, not paused) and
 *   always be refunded after it (whatever the pause or freeze state), exactly once;
 * - after every deadline has passed, refunds have run and the fees are collected, the escrow
 *   holds nothing.
 * PROPERTY_RUNS (default 50; 10 under coverage) sequences of PROPERTY_STEPS (default 30) steps; PROPERTY_SEED replays.
 */
const COVERAGE = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
const RUNS = Number(process.env.PROPERTY_RUNS ?? (COVERAGE ? 10 : 50)); // instrumented EVM is ~10x slower
const STEPS = Number(process.env.PROPERTY_STEPS ?? 30);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const BPS = 10_000n;
const REG = ethers.id("registry-delivery");
const PAUSE_STEPS = 3;
const FREEZE_STEPS = 5;

type Action =
  | { kind: "order"; seller: number; escrowMode: boolean; quantity: number; price: number; minFill: number; designated: number; expiresIn: number }
  | { kind: "fill"; order: number; anyOrder: boolean; buyer: number; percent: number; retire: boolean }
  | { kind: "agree"; order: number; anyOrder: boolean; buyer: number; percent: number; window: number }
  | { kind: "release"; trade: number; anyTrade: boolean }
  | { kind: "refund"; trade: number; anyTrade: boolean }
  | { kind: "cancel"; order: number; bySeller: boolean }
  | { kind: "counter"; seller: number }
  | { kind: "time"; seconds: number }
  | { kind: "fee"; bps: number }
  | { kind: "pause" }
  | { kind: "freeze"; who: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("order" as const),
      seller: fc.nat(1),
      escrowMode: fc.boolean(),
      quantity: fc.integer({ min: 1, max: 60 }),
      price: fc.integer({ min: 1, max: 40_000_000 }),
      minFill: fc.integer({ min: 1, max: 15 }),
      designated: fc.nat(9), // 0..2 a designated buyer, otherwise anyone
      expiresIn: fc.integer({ min: 600, max: 5 * ONE_DAY }),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("fill" as const),
      order: fc.nat(),
      anyOrder: fc.nat(9).map((n) => n === 0), // mostly orders of the matching mode
      buyer: fc.constantFrom(0, 0, 1, 1, 2), // buyer 2 has no KYC
      percent: fc.integer({ min: 0, max: 130 }), // of the order's remainder
      retire: fc.nat(3).map((n) => n === 0),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("agree" as const),
      order: fc.nat(),
      anyOrder: fc.nat(9).map((n) => n === 0),
      buyer: fc.constantFrom(0, 0, 1, 1, 2),
      percent: fc.integer({ min: 0, max: 130 }),
      window: fc.integer({ min: 60, max: 3 * ONE_DAY }),
    }),
  },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("release" as const), trade: fc.nat(), anyTrade: fc.nat(4).map((n) => n === 0) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("refund" as const), trade: fc.nat(), anyTrade: fc.nat(4).map((n) => n === 0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), order: fc.nat(), bySeller: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("counter" as const), seller: fc.nat(1) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("time" as const), seconds: fc.oneof(fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 1, max: 2 * ONE_DAY })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fee" as const), bps: fc.integer({ min: 0, max: 500 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "pause" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("freeze" as const), who: fc.nat(1) }) },
);

interface ModelOrder {
  order: Order;
  sig: string;
  hash: string;
  filled: bigint;
}
interface ModelTrade {
  id: string;
  trade: Trade;
  state: "locked" | "released" | "refunded";
}

describe("SettlementEscrow properties", function () {
  this.timeout(600_000);

  it(`conserves value and settles every trade exactly once (${RUNS} runs x ${STEPS} steps)`, async () => {
    const s: SettlementSuite = await deploySettlement();
    const seller2 = s.users[5];
    const buyer3 = s.users[6]; // funded but never KYC'd
    await s.kyc(seller2);
    await s.credit.connect(s.seller).safeTransferFrom(s.seller.address, seller2.address, s.batchId, 4_000, "0x");
    await s.credit.connect(seller2).setApprovalForAll(await s.escrow.getAddress(), true);
    await s.fund(buyer3, 1_000_000n * USD);

    const sellers: HardhatEthersSigner[] = [s.seller, seller2];
    const buyers: HardhatEthersSigner[] = [s.buyer, s.buyer2, buyer3];
    const escrowAddress = await s.escrow.getAddress();
    const holders = [...sellers.map((a) => a.address), ...buyers.map((a) => a.address), s.treasury.address, escrowAddress];
    const ESCROW = holders.length - 1;
    const TREASURY = holders.length - 2;
    const idx = (a: string) => holders.indexOf(a);
    const totalStable = await s.stable.totalSupply();
    const totalCredits = await s.credit.totalSupply(s.batchId); // all held by the accounts above

    async function balances(): Promise<{ stable: bigint[]; credits: bigint[]; retired: bigint }> {
      const [stable, creditBalances, retired] = await Promise.all([
        Promise.all(holders.map((h) => s.stable.balanceOf(h))),
        s.credit.balanceOfBatch(holders, holders.map(() => s.batchId)),
        s.credit.retiredSupply(s.batchId),
      ]);
      return { stable, credits: [...creditBalances], retired };
    }

    const base = await ethers.provider.send("evm_snapshot", []);
    let snapshot: string = await ethers.provider.send("evm_snapshot", []);
    const startTime = await latestTime();
    let runs = 0;
    let successes = 0;
    let attempts = 0;
    const stats: Record<string, { tried: number; ok: number }> = {};

    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: STEPS, maxLength: STEPS }), async (actions) => {
        await ethers.provider.send("evm_revert", [snapshot]);
        snapshot = await ethers.provider.send("evm_snapshot", []);
        runs++;
        expect(await latestTime()).to.be.lessThan(startTime + 60); // evm_revert also rewinds the clock

        const orders: ModelOrder[] = [];
        const trades: ModelTrade[] = [];
        let fee = BigInt(await s.escrow.feeBps());
        let accrued = 0n; // release fees in the escrow, per the model
        // pauses last PAUSE_STEPS steps and freezes FREEZE_STEPS steps (unless lifted earlier)
        let paused = false;
        let pauseEnds = 0;
        const frozen = [false, false]; // seller, buyer
        const freezeEnds = [0, 0];
        const frozenWallets = [s.seller.address, s.buyer.address];
        const isFrozen = (a: string) => frozenWallets.some((w, i) => frozen[i] && w === a);

        let before = await balances();
        for (const [step, action] of actions.entries()) {
          if (paused && step >= pauseEnds) {
            await (await s.escrow.unpause()).wait();
            paused = false;
          }
          for (const i of [0, 1]) {
            if (frozen[i] && step >= freezeEnds[i]) {
              await (await s.identity.connect(s.compliance).unfreeze(frozenWallets[i], "property")).wait();
              frozen[i] = false;
            }
          }
          // expected balance changes of this step if it succeeds
          const dStable: bigint[] = holders.map(() => 0n);
          const dCredits: bigint[] = holders.map(() => 0n);
          let dRetired = 0n;
          let mustSucceed = false;
          let onSuccess: (r: Awaited<ReturnType<ContractTransactionResponse["wait"]>>) => void = () => {};
          let send: (() => Promise<ContractTransactionResponse>) | undefined;

          switch (action.kind) {
            case "order": {
              const seller = sellers[action.seller];
              const order: Order = {
                seller: seller.address,
                batchId: s.batchId,
                quantity: BigInt(action.quantity),
                pricePerTonne: BigInt(action.price),
                minFill: BigInt(action.minFill),
                expiry: BigInt((await latestTime()) + action.expiresIn),
                salt: BigInt(orders.length + 1),
                counter: await s.escrow.counterOf(seller.address),
                buyer: action.designated < 3 ? buyers[action.designated].address : ethers.ZeroAddress,
                mode: action.escrowMode ? SettlementMode.Escrow : SettlementMode.Atomic,
              };
              orders.push({ order, sig: await s.sign(order, seller), hash: await s.escrow.hashOrder(order), filled: 0n });
              break;
            }
            case "fill":
            case "agree": {
              const mode = action.kind === "fill" ? SettlementMode.Atomic : SettlementMode.Escrow;
              const now = BigInt(await latestTime());
              // mostly live orders of the right mode; sometimes any order (expired, filled, wrong mode)
              const pool = action.anyOrder
                ? orders
                : orders.filter((o) => o.order.mode === mode && o.filled < o.order.quantity && o.order.expiry > now + 5n);
              if (pool.length === 0) break;
              const m = pool[action.order % pool.length];
              const designated = m.order.buyer !== ethers.ZeroAddress && !action.anyOrder;
              const buyer = designated ? buyers.find((x) => x.address === m.order.buyer)! : buyers[action.buyer];
              const left = m.order.quantity - m.filled;
              let q = left === 0n ? 1n : (left * BigInt(action.percent) + 99n) / 100n;
              if (!action.anyOrder && q <= left) {
                const floor = m.order.minFill < left ? m.order.minFill : left;
                if (q < floor) q = floor; // a valid size; over-fills (> 100%) stay
              }
              const amount = m.order.pricePerTonne * q;
              const f = (amount * fee) / BPS;
              const b = idx(buyer.address);
              const sl = idx(m.order.seller);
              if (action.kind === "fill") {
                dStable[b] -= amount;
                dStable[sl] += amount - f;
                dStable[TREASURY] += f;
                dCredits[sl] -= q;
                if (action.retire) dRetired += q;
                else dCredits[b] += q;
                send = () =>
                  action.retire
                    ? s.escrow.connect(buyer).fillAndRetire(m.order, m.sig, q, claim())
                    : s.escrow.connect(buyer).fill(m.order, m.sig, q);
                onSuccess = () => {
                  m.filled += q;
                };
              } else {
                dStable[b] -= amount;
                dStable[ESCROW] += amount;
                dCredits[sl] -= q;
                dCredits[ESCROW] += q;
                const deadline = BigInt((await latestTime()) + action.window);
                const lockSlot = await s.escrow.freeLockSlot(buyer.address);
                send = () => s.escrow.connect(buyer).agree(m.order, m.sig, q, deadline, lockSlot);
                onSuccess = (r) => {
                  m.filled += q;
                  const { id, trade } = lockedTrade(s.escrow, r);
                  expect(trade.quantity).to.equal(q);
                  expect(trade.amount).to.equal(amount);
                  expect(trade.fee).to.equal(f);
                  trades.push({ id, trade, state: "locked" });
                };
              }
              break;
            }
            case "release": {
              const now = BigInt(await latestTime());
              const pool = action.anyTrade ? trades : trades.filter((t) => t.state === "locked" && t.trade.releaseDeadline > now);
              if (pool.length === 0) break;
              const t = pool[action.trade % pool.length];
              const c = await s.confirm(t.id, REG);
              mustSucceed =
                t.state === "locked" && !paused && now + 30n < t.trade.releaseDeadline && !isFrozen(t.trade.seller) && !isFrozen(t.trade.buyer);
              // the fee stays in the escrow, accrued for the treasury (collected at the end)
              dStable[ESCROW] -= t.trade.amount - t.trade.fee;
              dStable[idx(t.trade.seller)] += t.trade.amount - t.trade.fee;
              dCredits[ESCROW] -= t.trade.quantity;
              dCredits[idx(t.trade.buyer)] += t.trade.quantity;
              send = () => s.escrow.release(t.trade, REG, c.epoch, c.deadline, c.signatures);
              onSuccess = () => {
                expect(t.state, "released a trade that was not locked").to.equal("locked");
                t.state = "released";
                accrued += t.trade.fee;
              };
              break;
            }
            case "refund": {
              const now = BigInt(await latestTime());
              const pool = action.anyTrade ? trades : trades.filter((t) => t.state === "locked" && t.trade.releaseDeadline < now);
              if (pool.length === 0) break;
              const t = pool[action.trade % pool.length];
              mustSucceed = t.state === "locked" && now >= t.trade.releaseDeadline;
              dStable[ESCROW] -= t.trade.amount;
              dStable[idx(t.trade.buyer)] += t.trade.amount;
              dCredits[ESCROW] -= t.trade.quantity;
              dCredits[idx(t.trade.seller)] += t.trade.quantity;
              send = () => s.escrow.connect(s.outsider).refund(t.trade);
              onSuccess = () => {
                expect(t.state, "refunded a trade that was not locked").to.equal("locked");
                t.state = "refunded";
              };
              break;
            }
            case "cancel": {
              if (orders.length === 0) break;
              const m = orders[action.order % orders.length];
              const who = action.bySeller ? sellers.find((x) => x.address === m.order.seller)! : s.buyer;
              send = () => s.escrow.connect(who).cancel(m.order);
              break;
            }
            case "counter":
              send = () => s.escrow.connect(sellers[action.seller]).incrementCounter();
              break;
            case "time":
              await time.increase(action.seconds);
              break;
            case "fee":
              send = () => s.escrow.setFee(action.bps);
              onSuccess = () => {
                fee = BigInt(action.bps);
              };
              break;
            case "pause":
              send = () => (paused ? s.escrow.unpause() : s.escrow.pause());
              onSuccess = () => {
                paused = !paused;
                pauseEnds = step + PAUSE_STEPS;
              };
              break;
            case "freeze": {
              const who = frozenWallets[action.who];
              send = () =>
                frozen[action.who]
                  ? s.identity.connect(s.compliance).unfreeze(who, "property")
                  : s.identity.connect(s.compliance).freeze(who, "property");
              onSuccess = () => {
                frozen[action.who] = !frozen[action.who];
                freezeEnds[action.who] = step + FREEZE_STEPS;
              };
              break;
            }
          }

          let ok = false;
          if (send) {
            attempts++;
            const st = (stats[action.kind] ??= { tried: 0, ok: 0 });
            st.tried++;
            try {
              const receipt = await (await send()).wait();
              ok = true;
              successes++;
              st.ok++;
              onSuccess(receipt);
            } catch (e) {
              if (process.env.PROPERTY_DEBUG) console.log(action.kind, (e as Error).message.slice(0, 160));
              if (mustSucceed) throw new Error(`${action.kind} should have succeeded: ${(e as Error).message}`);
            }
          }
          const moves = ok && ["fill", "agree", "release", "refund"].includes(action.kind);

          const after = await balances();
          // conservation
          expect(after.stable.reduce((a, b) => a + b, 0n)).to.equal(totalStable);
          expect(after.credits.reduce((a, b) => a + b, 0n) + after.retired).to.equal(totalCredits);
          // exact movement of this step (nothing at all on failure)
          for (let i = 0; i < holders.length; i++) {
            expect(after.stable[i] - before.stable[i], `stable of ${i} after ${action.kind}`).to.equal(moves ? dStable[i] : 0n);
            expect(after.credits[i] - before.credits[i], `credits of ${i} after ${action.kind}`).to.equal(moves ? dCredits[i] : 0n);
          }
          expect(after.retired - before.retired).to.equal(moves ? dRetired : 0n);
          // the escrow holds exactly the locked trades, plus the release fees accrued
          const locked = trades.filter((t) => t.state === "locked");
          expect(after.stable[ESCROW]).to.equal(locked.reduce((a, t) => a + t.trade.amount, 0n) + accrued);
          expect(after.credits[ESCROW]).to.equal(locked.reduce((a, t) => a + t.trade.quantity, 0n));
          before = after;
        }

        // order accounting (salts are unique here: a record reads as empty once its order expired)
        const now = BigInt(await latestTime());
        for (const m of orders) {
          const [filled] = await s.escrow.orderState(m.order.seller, m.order.salt);
          expect(filled).to.equal(now > m.order.expiry ? 0n : m.filled);
          expect(filled <= m.order.quantity).to.equal(true);
        }
        for (const t of trades) expect(await s.escrow.isLocked(t.trade)).to.equal(t.state === "locked");
        expect(await s.escrow.accruedFees()).to.equal(accrued);

        // every deadline passes; refunds run (paused or frozen or not) and empty the escrow
        await time.increase(91 * ONE_DAY);
        for (const t of trades.filter((x) => x.state === "locked")) {
          await (await s.escrow.connect(s.outsider).refund(t.trade)).wait();
          t.state = "refunded";
        }
        for (const t of trades) {
          await expect(s.escrow.refund(t.trade)).to.be.revertedWithCustomError(s.escrow, "TradeNotLocked");
        }
        // the release fees are what is left; anyone collects them for the treasury
        expect(await s.stable.balanceOf(escrowAddress)).to.equal(accrued);
        if (accrued > 0n) {
          const before = await s.stable.balanceOf(s.treasury.address);
          await (await s.escrow.connect(s.outsider).collectFees()).wait();
          expect(await s.stable.balanceOf(s.treasury.address)).to.equal(before + accrued);
        }
        expect(await s.stable.balanceOf(escrowAddress)).to.equal(0n);
        expect(await s.credit.balanceOf(escrowAddress, s.batchId)).to.equal(0n);
        const end = await balances();
        expect(end.stable.reduce((a, b) => a + b, 0n)).to.equal(totalStable);
        expect(end.credits.reduce((a, b) => a + b, 0n) + end.retired).to.equal(totalCredits);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    await ethers.provider.send("evm_revert", [base]);
    console.log(`      ${runs} runs, ${attempts} transactions attempted, ${successes} succeeded`);
    console.log(`      ${Object.entries(stats).map(([k, v]) => `${k} ${v.ok}/${v.tried}`).join(", ")}`);
    expect(successes).to.be.greaterThan(attempts / 4);
  });
});
