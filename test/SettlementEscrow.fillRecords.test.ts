import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { latestTime } from "./helpers/fixtures";
import { deploySettlement, type Order, type SettlementSuite } from "./helpers/settlement";

/**
 * Property: fill records keyed by (seller, salt) that go stale once every order that wrote them has
 * expired never let an order be filled beyond its quantity or after it was cancelled, whatever the
 * salts, expiries, fills, cancels and time travel. Orders here draw their salts from a pool of six
 * (two words' worth of lanes), so records are shared by live orders and reused after expiry all the
 * time. A model predicts every call's outcome exactly: a record is (filled, cancelled, expiry), it
 * reads as empty once its expiry has passed, every write raises its expiry to the writer's.
 * PROPERTY_RUNS (default 40; 10 under coverage) sequences of PROPERTY_STEPS (default 30) steps;
 * PROPERTY_SEED replays.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? (process.env.SOLIDITY_COVERAGE ? 10 : 40));
const STEPS = Number(process.env.PROPERTY_STEPS ?? 30);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const SALTS = 6;

type Action =
  | { kind: "sign"; salt: number; quantity: number; life: number }
  | { kind: "fill"; order: number; quantity: number }
  | { kind: "cancel"; order: number }
  | { kind: "wait"; seconds: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("sign" as const), salt: fc.nat(SALTS - 1), quantity: fc.integer({ min: 1, max: 20 }), life: fc.integer({ min: 5, max: 400 }) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("fill" as const), order: fc.nat(), quantity: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), order: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 300 }) }) },
);

interface RecordModel {
  filled: bigint;
  cancelled: boolean;
  expiry: bigint;
}

describe("SettlementEscrow fill records (fast-check)", function () {
  this.timeout(600_000);

  it(`reuses records of expired orders without ever over-filling or reviving a cancelled order (${RUNS} runs x ${STEPS} steps)`, async () => {
    const s: SettlementSuite = await deploySettlement();
    const base = await ethers.provider.send("evm_snapshot", []);
    let snapshot: string = await ethers.provider.send("evm_snapshot", []);
    let reused = 0;
    let shared = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: STEPS, maxLength: STEPS }), async (actions) => {
        await ethers.provider.send("evm_revert", [snapshot]);
        snapshot = await ethers.provider.send("evm_snapshot", []);
        const records: RecordModel[] = Array.from({ length: SALTS }, () => ({ filled: 0n, cancelled: false, expiry: 0n }));
        const orders: Array<{ order: Order; sig: string; filledByIt: bigint; cancelledAt?: bigint }> = [];
        // the model's view of a record at time `now`: empty once stale
        const live = (r: RecordModel, now: bigint): RecordModel => (r.expiry < now ? { filled: 0n, cancelled: false, expiry: 0n } : r);

        for (const action of actions) {
          switch (action.kind) {
            case "sign": {
              const now = BigInt(await latestTime());
              const order = await s.order({ salt: BigInt(action.salt), quantity: BigInt(action.quantity), expiry: now + BigInt(action.life) });
              orders.push({ order, sig: await s.sign(order), filledByIt: 0n });
              break;
            }
            case "fill": {
              if (orders.length === 0) break;
              const o = orders[action.order % orders.length];
              const salt = Number(o.order.salt);
              const q = BigInt(action.quantity);
              // the fill is mined in the next block, one second on
              const at = BigInt(await latestTime()) + 1n;
              await ethers.provider.send("evm_setNextBlockTimestamp", [Number(at)]);
              const before = records[salt];
              const rec = live(before, at);
              const left = rec.filled >= o.order.quantity ? 0n : o.order.quantity - rec.filled;
              const expectOk = at <= o.order.expiry && !rec.cancelled && q <= left;
              let ok = true;
              try {
                await (await s.escrow.connect(s.buyer).fill(o.order, o.sig, q)).wait();
              } catch {
                ok = false;
              }
              expect(ok, `fill of ${q} at ${at} (order expiry ${o.order.expiry}, record ${JSON.stringify(rec, (_, v) => (typeof v === "bigint" ? v.toString() : v))})`).to.equal(expectOk);
              if (!ok) {
                await ethers.provider.send("evm_mine", []); // the failed call did not mine the block
                break;
              }
              if (before.expiry !== 0n && before.expiry < at) reused++;
              if (rec.filled > o.filledByIt) shared++;
              records[salt] = { filled: rec.filled + q, cancelled: false, expiry: rec.expiry > o.order.expiry ? rec.expiry : o.order.expiry };
              o.filledByIt += q;
              // safety: no order ever fills past its quantity, nor after it was cancelled
              expect(o.filledByIt <= o.order.quantity).to.equal(true);
              expect(o.cancelledAt).to.equal(undefined);
              break;
            }
            case "cancel": {
              if (orders.length === 0) break;
              const o = orders[action.order % orders.length];
              const salt = Number(o.order.salt);
              const at = BigInt(await latestTime()) + 1n;
              await ethers.provider.send("evm_setNextBlockTimestamp", [Number(at)]);
              const rec = live(records[salt], at);
              let ok = true;
              try {
                await (await s.escrow.connect(s.seller).cancel(o.order)).wait();
              } catch {
                ok = false;
              }
              expect(ok, "cancel").to.equal(!rec.cancelled);
              if (!ok) {
                await ethers.provider.send("evm_mine", []);
                break;
              }
              records[salt] = { filled: rec.filled, cancelled: true, expiry: rec.expiry > o.order.expiry ? rec.expiry : o.order.expiry };
              o.cancelledAt ??= at;
              break;
            }
            case "wait":
              await ethers.provider.send("evm_increaseTime", [action.seconds]);
              await ethers.provider.send("evm_mine", []);
              break;
          }
          // the chain's view of every record equals the model's
          const now = BigInt(await latestTime());
          for (let salt = 0; salt < SALTS; salt++) {
            const [filled, cancelled] = await s.escrow.orderState(s.seller.address, salt);
            const rec = live(records[salt], now);
            expect([filled, cancelled]).to.deep.equal([rec.filled, rec.cancelled]);
          }
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    await ethers.provider.send("evm_revert", [base]);
    console.log(`      ${reused} fills reused an expired record, ${shared} filled a record another order had written`);
    expect(reused).to.be.greaterThan(0);
    expect(shared).to.be.greaterThan(0);
  });
});
