import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import fc from "fast-check";
import { getAddress, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDeployment } from "../chain/deployment";
import { EXIT } from "../cli/command";
import { runCli } from "../cli/main";
import { loadConfig } from "../config";
import { openDatabase, runMigrations } from "../db";
import type { Address, PrivateKeyAccount } from "viem";
import { startApiForTest, type TestApi } from "../api/testing";
import { settlementApi } from "./api";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import { indexOnce } from "../indexer";
import { ledgerActions, startTestChain, testBatchInfo, type LedgerActions, type TestChain } from "../testing";
import { SettlementError } from "./errors";
import { signedOrderSchema, type Order } from "./order";
import { getOrder, listOrders, postOrder, type OrderBookDeps, type OrderFilter } from "./orderBook";
import { settlementActions, type SettlementActions } from "./testSupport";
import { getTrade, stablecoinReserved, tradesOfWallet } from "./trades";

const USD = 1_000_000n;

let chain: TestChain;
let db: TestDatabase;
let ledger: LedgerActions;
let settle: SettlementActions;
let deps: OrderBookDeps;
let seller: PrivateKeyAccount;
let buyer: PrivateKeyAccount;
let outsider: PrivateKeyAccount;
let batchId: bigint;
let corsiaBatch: bigint;

const index = () => indexOnce({ pool: db.pool, publicClient: chain.publicClient, deployment: chain.deployment, confirmations: 0 });

/** Posts `order` signed by `signer` (default the seller), as `postedBy` (default the seller). */
async function post(order: Order, opts: { signer?: PrivateKeyAccount; postedBy?: Address } = {}) {
  const signature = await settle.sign(opts.signer ?? seller, order);
  return postOrder(deps, signedOrderSchema.parse({ order: jsonOf(order), signature }), opts.postedBy ?? order.seller);
}

function jsonOf(order: Order) {
  return {
    ...order,
    batchId: order.batchId.toString(),
    quantity: order.quantity.toString(),
    pricePerTonne: order.pricePerTonne.toString(),
    minFill: order.minFill.toString(),
    expiry: order.expiry.toString(),
    salt: order.salt.toString(),
    counter: order.counter.toString(),
  };
}

async function rejection(promise: Promise<unknown>): Promise<SettlementError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SettlementError);
  return error as SettlementError;
}

beforeAll(async () => {
  chain = await startTestChain({ feeBps: 50 });
  db = await openTestDatabase();
  ledger = ledgerActions(chain);
  settle = settlementActions(chain);
  [seller, buyer, outsider] = chain.users;
  deps = { db: db.pool, publicClient: chain.publicClient, deployment: chain.deployment };
  await ledger.kyc(seller.address);
  await ledger.kyc(buyer.address);
  ({ batchId } = await ledger.tokenize(testBatchInfo(1n, 1_000n, { labels: ["CCP"] }), seller.address));
  ({ batchId: corsiaBatch } = await ledger.tokenize(
    testBatchInfo(1n, 500n, { registry: "GOLD_STANDARD", projectId: "GS1", labels: ["CORSIA"], vintageStart: "2022-01-01", vintageEnd: "2022-12-31" }),
    seller.address,
  ));
  await settle.approveEscrow(seller);
  await settle.fund(buyer, 100_000n * USD);
}, 120_000);

afterAll(async () => {
  await db?.close();
  await chain?.close();
});

describe("order book", () => {
  it("stores a verified order once and lists it as open with its batch", async () => {
    const order = await settle.order(seller.address, batchId, { quantity: 50n });
    const first = await post(order);
    expect(first.created).toBe(true);
    expect(first.order.orderHash).toBe(settle.hash(order).toLowerCase());
    expect(first.order).toMatchObject({ status: "open", filled: "0", remaining: "50" });
    const again = await post(order);
    expect(again.created).toBe(false);
    await index();
    const listed = await getOrder(deps, settle.hash(order));
    expect(listed?.batch).toMatchObject({ registry: "VERRA", labels: ["CCP"], vintageStart: 20200101 });
    const { rows } = await db.pool.query("SELECT action FROM audit_log WHERE subject = $1", [`order:${first.order.orderHash}`]);
    expect(rows).toEqual([{ action: "settlement.order.posted" }]);
  });

  it("refuses bad signatures, stale counters, cancelled/filled/expired orders, ineligible or unfunded makers; stores nothing", async () => {
    const before = await db.pool.query("SELECT count(*)::int AS n FROM settlement_orders");
    const order = await settle.order(seller.address, batchId);
    // another signer, another chain id, another escrow address
    expect((await rejection(post(order, { signer: buyer }))).code).toBe("INVALID_SIGNATURE");
    const foreignChain = await settle.sign(seller, order, { chainId: 1 });
    expect((await rejection(postOrder(deps, signedOrderSchema.parse({ order: jsonOf(order), signature: foreignChain }), seller.address))).code).toBe(
      "INVALID_SIGNATURE",
    );
    const foreignEscrow = await settle.sign(seller, order, { escrow: chain.deployment.contracts.credit });
    expect((await rejection(postOrder(deps, signedOrderSchema.parse({ order: jsonOf(order), signature: foreignEscrow }), seller.address))).code).toBe(
      "INVALID_SIGNATURE",
    );
    // someone else posting the seller's order
    expect((await rejection(post(order, { postedBy: buyer.address }))).code).toBe("NOT_ORDER_SELLER");
    // stale counter
    expect((await rejection(post({ ...order, counter: order.counter + 1n }))).code).toBe("STALE_COUNTER");
    // expired
    expect((await rejection(post({ ...order, expiry: (await ledger.latestTimestamp()) - 1n }))).code).toBe("ORDER_EXPIRED");
    // more than the seller holds
    const tooBig = await rejection(post({ ...order, quantity: 5_000n }));
    expect(tooBig.code).toBe("INSUFFICIENT_CREDITS");
    expect(tooBig.message).toContain("5000");
    // cancelled on chain
    const cancelled = await settle.order(seller.address, batchId);
    await settle.cancel(seller, cancelled);
    expect((await rejection(post(cancelled))).code).toBe("ORDER_CANCELLED");
    // filled on chain
    const filled = await settle.order(seller.address, batchId, { quantity: 2n });
    await settle.fill(buyer, filled, await settle.sign(seller, filled), 2n);
    expect((await rejection(post(filled))).code).toBe("ORDER_FILLED");
    // a maker who is not KYC'd
    const stranger = await settle.order(outsider.address, batchId);
    const notEligible = await rejection(post(stranger, { signer: outsider }));
    expect(notEligible.code).toBe("MAKER_NOT_ELIGIBLE");
    expect(notEligible.details).toEqual({ reason: "NotVerified" });
    const after = await db.pool.query("SELECT count(*)::int AS n FROM settlement_orders");
    expect(after.rows[0]).toEqual(before.rows[0]);
    // a second order with the salt of an order already in the book (it would share its on-chain fill record)
    const first = await settle.order(seller.address, batchId);
    await post(first);
    const reused = await rejection(post({ ...first, pricePerTonne: first.pricePerTonne + 1n }));
    expect(reused.code).toBe("SALT_IN_USE");
    expect(reused.details).toEqual({ orderHash: settle.hash(first).toLowerCase() });
    expect((await db.pool.query("SELECT count(*)::int AS n FROM settlement_orders")).rows[0]).toEqual({ n: before.rows[0].n + 1 });
  });

  it("frees a salt once the order that used it expired (its on-chain record reads as empty)", async () => {
    const now = await ledger.latestTimestamp();
    const shortLived = await settle.order(seller.address, batchId, { expiry: now + 30n, quantity: 5n });
    await post(shortLived);
    await settle.fill(buyer, shortLived, await settle.sign(seller, shortLived), 2n);
    const successor = { ...shortLived, quantity: 7n, expiry: now + 86_400n };
    expect((await rejection(post(successor))).code).toBe("SALT_IN_USE");
    await chain.increaseTime(60);
    const accepted = await post(successor);
    expect(accepted.created).toBe(true);
    expect(accepted.order).toMatchObject({ status: "open", filled: "0", remaining: "7" });
    await settle.fill(buyer, successor, await settle.sign(seller, successor), 7n);
  });

  it("rejects malformed input naming the field", () => {
    const bad = signedOrderSchema.safeParse({
      order: { seller: "0x12", batchId: "-1", quantity: "0", pricePerTonne: "1", minFill: "0", expiry: "1", salt: "1", counter: "0", mode: "swap" },
      signature: "xyz",
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["order.seller", "order.batchId", "order.mode", "signature"]));
    const overflow = signedOrderSchema.safeParse({
      order: { seller: seller.address, batchId: "1", quantity: (1n << 64n).toString(), pricePerTonne: "1", minFill: "0", expiry: "1", salt: "1", counter: "0", mode: "atomic" },
      signature: "0x00",
    });
    expect(overflow.error?.issues[0]).toMatchObject({ path: ["order", "quantity"], message: "quantity does not fit in uint64" });
    const minFill = signedOrderSchema.safeParse({
      order: { seller: seller.address, batchId: "1", quantity: "5", pricePerTonne: "1", minFill: "6", expiry: "1", salt: "1", counter: "0", mode: "atomic" },
      signature: "0x00",
    });
    expect(minFill.error?.issues[0]).toMatchObject({ path: ["order", "minFill"] });
    // the escrow's fill record bounds: quantity below 2^31, expiry below 2^32
    const bounds = signedOrderSchema.safeParse({
      order: { seller: seller.address, batchId: "1", quantity: (2n ** 31n).toString(), pricePerTonne: "1", minFill: "1", expiry: (2n ** 32n).toString(), salt: "1", counter: "0", mode: "atomic" },
      signature: "0x00",
    });
    expect(bounds.error?.issues).toEqual([
      expect.objectContaining({ path: ["order", "quantity"], message: "quantity must be at most 2147483647 tonnes" }),
      expect.objectContaining({ path: ["order", "expiry"], message: "expiry must be at most 4294967295 (unix seconds, 2106-02-07)" }),
    ]);
  });

  it("filters by batch, registry, label, vintage, price, seller and status, paginated cheapest first", async () => {
    const cheap = await settle.order(seller.address, corsiaBatch, { pricePerTonne: 8n * USD, quantity: 10n });
    const dear = await settle.order(seller.address, corsiaBatch, { pricePerTonne: 30n * USD, quantity: 10n, mode: "escrow" });
    await post(cheap);
    await post(dear);
    await index();
    const corsia = await listOrders(deps, { label: "CORSIA" });
    expect(corsia.orders.map((o) => o.order.pricePerTonne)).toEqual([(8n * USD).toString(), (30n * USD).toString()]);
    expect(corsia.total).toBe(2);
    expect((await listOrders(deps, { registry: "GOLD_STANDARD", maxPrice: 10n * USD })).orders.map((o) => o.orderHash)).toEqual([
      settle.hash(cheap).toLowerCase(),
    ]);
    expect((await listOrders(deps, { vintage: 2022, minPrice: 10n * USD })).orders.map((o) => o.order.mode)).toEqual(["escrow"]);
    expect((await listOrders(deps, { vintage: 2019 })).total).toBe(0);
    expect((await listOrders(deps, { batchId: corsiaBatch, mode: "atomic" })).total).toBe(1);
    expect((await listOrders(deps, { seller: buyer.address })).total).toBe(0);
    const page = await listOrders(deps, { seller: seller.address, limit: 1, offset: 1 });
    expect(page.orders).toHaveLength(1);
    expect(page.total).toBeGreaterThanOrEqual(3);
  });
});

describe("read model and trade timelines", () => {
  it("tracks fills, buy-and-retire, cancellation and counter bumps into order status", async () => {
    const order = await settle.order(seller.address, batchId, { quantity: 30n });
    const sig = await settle.sign(seller, order);
    await post(order);
    await settle.fill(buyer, order, sig, 10n);
    await settle.fillAndRetire(buyer, order, sig, 5n);
    await index();
    const partly = await getOrder(deps, settle.hash(order));
    expect(partly).toMatchObject({ status: "open", filled: "15", remaining: "15" });
    const { fills } = await tradesOfWallet(db.pool, chain.chainId, buyer.address);
    const retired = fills.find((f) => f.orderHash === settle.hash(order).toLowerCase() && f.certificateId !== null);
    expect(retired).toMatchObject({ quantity: "5", amount: (5n * 12_500_000n).toString(), fee: ((5n * 12_500_000n * 50n) / 10_000n).toString() });
    await settle.fill(buyer, order, sig, 15n);
    await index();
    expect((await getOrder(deps, settle.hash(order)))?.status).toBe("filled");

    const toCancel = await settle.order(seller.address, batchId);
    await post(toCancel);
    await settle.cancel(seller, toCancel);
    const voided = await settle.order(seller.address, batchId);
    await post(voided);
    await settle.incrementCounter(seller);
    await index();
    expect((await getOrder(deps, settle.hash(toCancel)))?.status).toBe("cancelled");
    expect((await getOrder(deps, settle.hash(voided)))?.status).toBe("voided");
    expect((await listOrders(deps, { status: "voided" })).orders.map((o) => o.orderHash)).toContain(settle.hash(voided).toLowerCase());
  });

  it("rebuilds an escrow trade's timeline: agreed, locked, confirmed, released — and refunded after the deadline", async () => {
    const order = await settle.order(seller.address, batchId, { mode: "escrow", quantity: 40n });
    const sig = await settle.sign(seller, order);
    const released = await settle.agree(buyer, order, sig, 20n);
    const refunded = await settle.agree(buyer, order, sig, 20n, 60n);
    await index();
    expect(await stablecoinReserved(db.pool, chain.chainId)).toBe(released.trade.amount + refunded.trade.amount);
    const locked = await getTrade(db.pool, chain.chainId, released.tradeId);
    expect(locked?.status).toBe("locked");
    expect(locked?.timeline.map((s) => s.step)).toEqual(["agreed", "locked"]);
    expect(locked?.trade).toMatchObject({ quantity: "20", orderOffset: "0", amount: released.trade.amount.toString() });

    const releaseReceipt = await settle.release(released);
    await chain.increaseTime(120);
    const refundReceipt = await settle.refund(refunded, outsider);
    await index();

    const done = await getTrade(db.pool, chain.chainId, released.tradeId);
    expect(done?.status).toBe("released");
    expect(done?.timeline.map((s) => s.step)).toEqual(["agreed", "locked", "confirmed", "released"]);
    const confirmed = done!.timeline[2];
    expect(confirmed.txHash).toBe(releaseReceipt.transactionHash);
    expect(confirmed.blockNumber).toBe(releaseReceipt.blockNumber.toString());
    expect(confirmed.registryRef).toMatch(/^0x[0-9a-f]{64}$/);
    expect(confirmed.attestation).toMatch(/^0x[0-9a-f]{64}$/);
    expect(done!.timeline[0].txHash).toBe(released.receipt.transactionHash);
    expect(new Date(done!.timeline[0].blockTime).getTime()).toBeLessThanOrEqual(new Date(confirmed.blockTime).getTime());

    const back = await getTrade(db.pool, chain.chainId, refunded.tradeId);
    expect(back?.status).toBe("refunded");
    expect(back?.timeline.at(-1)).toMatchObject({ step: "refunded", txHash: refundReceipt.transactionHash, account: outsider.address });
    expect(await stablecoinReserved(db.pool, chain.chainId)).toBe(0n);

    // the staged credits were reserved in the escrow and are gone from it again
    const { rows: held } = await db.pool.query<{ reserved: string }>(
      "SELECT reserved::text FROM balances WHERE chain_id = $1 AND wallet = $2 AND batch_id = $3",
      [chain.chainId, settle.escrow.toLowerCase(), batchId.toString()],
    );
    expect(held[0]?.reserved ?? "0").toBe("0");
    const { rows: custody } = await db.pool.query<{ kind: string; reason: string | null }>(
      "SELECT kind, reason FROM custody_events WHERE chain_id = $1 AND tx_hash = ANY($2::text[]) ORDER BY block_number, log_index",
      [chain.chainId, [released.receipt.transactionHash, releaseReceipt.transactionHash, refundReceipt.transactionHash]],
    );
    expect(custody.map((c) => c.kind)).toEqual(["reserved", "released", "custody_returned"]);
    expect(custody[0].reason).toBe(`escrow trade ${released.tradeId}`);

    const mine = await tradesOfWallet(db.pool, chain.chainId, seller.address);
    expect(mine.trades.map((t) => t.tradeId)).toEqual(expect.arrayContaining([released.tradeId, refunded.tradeId]));
    expect(await getTrade(db.pool, chain.chainId, `0x${"00".repeat(32)}`)).toBeUndefined();
  });
});

describe("HTTP API", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiForTest({ modules: [settlementApi({ pool: db.pool, publicClient: chain.publicClient, deployment: chain.deployment })], pool: db.pool });
  });
  afterAll(async () => api?.close());

  it("posts a signed order as a trader (201, then 200), lists and shows it publicly", async () => {
    const order = await settle.order(seller.address, batchId, { quantity: 7n, pricePerTonne: 3n * USD });
    const body = { order: jsonOf(order), signature: await settle.sign(seller, order) };
    expect((await api.call("POST", "/v1/orders", { body })).status).toBe(401);
    const notTrader = await api.signIn(seller);
    expect((await api.call("POST", "/v1/orders", { body, token: notTrader })).status).toBe(403);
    const token = await api.signIn(seller, ["trader"]);
    const created = await api.call("POST", "/v1/orders", { body, token });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ orderHash: settle.hash(order).toLowerCase(), status: "open", remaining: "7" });
    expect((await api.call("POST", "/v1/orders", { body, token })).status).toBe(200);

    const one = await api.call("GET", `/v1/orders/${settle.hash(order)}`);
    expect(one.status).toBe(200);
    expect(one.body.order).toMatchObject({ seller: seller.address, quantity: "7", pricePerTonne: (3n * USD).toString(), buyer: null, mode: "atomic" });
    const cheapest = await api.call("GET", `/v1/orders?maxPrice=${3n * USD}&batchId=${batchId}`);
    expect(cheapest.status).toBe(200);
    expect(cheapest.body.orders.map((o: { orderHash: string }) => o.orderHash)).toContain(settle.hash(order).toLowerCase());
    expect((await api.call("GET", `/v1/orders/0x${"ab".repeat(32)}`)).status).toBe(404);
  });

  it("refuses bad input naming the field, and chain-rejected orders with their code; nothing stored", async () => {
    const token = await api.signIn(seller, ["trader"]);
    const before = await db.pool.query("SELECT count(*)::int AS n FROM settlement_orders");
    const malformed = await api.call("POST", "/v1/orders", { token, body: { order: { seller: "nope" }, signature: "0x00" } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("INVALID_REQUEST");
    expect(JSON.stringify(malformed.body.error)).toContain("body.order.seller");
    const order = await settle.order(seller.address, batchId);
    const forged = await api.call("POST", "/v1/orders", { token, body: { order: jsonOf(order), signature: await settle.sign(buyer, order) } });
    expect(forged.status).toBe(422);
    expect(forged.body.error.code).toBe("INVALID_SIGNATURE");
    const stale = { ...order, counter: order.counter + 5n };
    const staleReply = await api.call("POST", "/v1/orders", { token, body: { order: jsonOf(stale), signature: await settle.sign(seller, stale) } });
    expect(staleReply.body.error).toMatchObject({ code: "STALE_COUNTER", details: { currentCounter: order.counter.toString() } });
    const buyerToken = await api.signIn(buyer, ["trader"]);
    const someoneElses = await api.call("POST", "/v1/orders", { token: buyerToken, body: { order: jsonOf(order), signature: await settle.sign(seller, order) } });
    expect(someoneElses.status).toBe(403);
    expect(someoneElses.body.error.code).toBe("NOT_ORDER_SELLER");
    expect((await api.call("GET", "/v1/orders?minPrice=10&maxPrice=5")).body.error.message).toContain("minPrice");
    expect((await api.call("GET", "/v1/orders?label=GREEN")).status).toBe(400);
    expect((await api.call("GET", "/v1/orders/0x1234")).status).toBe(400);
    const after = await db.pool.query("SELECT count(*)::int AS n FROM settlement_orders");
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it("shows trade timelines to signed-in wallets and a wallet's history to itself or compliance", async () => {
    const order = await settle.order(seller.address, batchId, { mode: "escrow", quantity: 3n });
    const locked = await settle.agree(buyer, order, await settle.sign(seller, order), 3n);
    await settle.release(locked);
    await index();
    expect((await api.call("GET", `/v1/trades/${locked.tradeId}`)).status).toBe(401);
    const buyerToken = await api.signIn(buyer);
    const trade = await api.call("GET", `/v1/trades/${locked.tradeId}`, { token: buyerToken });
    expect(trade.status).toBe(200);
    expect(trade.body.status).toBe("released");
    expect(trade.body.timeline.map((s: { step: string }) => s.step)).toEqual(["agreed", "locked", "confirmed", "released"]);
    expect(trade.body.timeline[0]).toMatchObject({ txHash: locked.receipt.transactionHash, blockNumber: locked.receipt.blockNumber.toString() });

    const own = await api.call("GET", `/v1/trades?wallet=${buyer.address}`, { token: buyerToken });
    expect(own.status).toBe(200);
    expect(own.body.trades.map((t: { tradeId: string }) => t.tradeId)).toContain(locked.tradeId);
    expect(own.body.fills.length).toBeGreaterThan(0);
    const other = await api.call("GET", `/v1/trades?wallet=${seller.address}`, { token: buyerToken });
    expect(other.status).toBe(403);
    const compliance = await api.signIn(outsider, ["compliance"]);
    expect((await api.call("GET", `/v1/trades?wallet=${seller.address}`, { token: compliance })).status).toBe(200);
    expect((await api.call("GET", `/v1/trades/0x${"00".repeat(32)}`, { token: buyerToken })).status).toBe(404);
  });
});

describe("carbonclear orders / trades", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let listed: Order;
  let tradeId: string;

  async function cli(argv: string[]) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const chunks = { out: "", err: "" };
    stdout.on("data", (c: Buffer) => (chunks.out += c.toString()));
    stderr.on("data", (c: Buffer) => (chunks.err += c.toString()));
    const code = await runCli(argv, { env, stdout, stderr });
    return { code, ...chunks };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "carbonclear-orders-"));
    const deploymentFile = path.join(dir, "deployment.json");
    writeDeployment(deploymentFile, chain.deployment);
    env = { CARBONCLEAR_DATA_DIR: dir, RPC_URL: chain.rpcUrl, CHAIN_ID: String(chain.chainId), CARBONCLEAR_DEPLOYMENT_FILE: deploymentFile };
    // the platform database of this data dir gets an order and a released trade, then the CLI reads it
    const database = await openDatabase(loadConfig(env));
    try {
      await runMigrations(database.pool);
      listed = await settle.order(seller.address, corsiaBatch, { quantity: 9n, pricePerTonne: 4_250_000n });
      await postOrder({ db: database.pool, publicClient: chain.publicClient, deployment: chain.deployment }, signedOrderSchema.parse({ order: jsonOf(listed), signature: await settle.sign(seller, listed) }), seller.address);
      const escrowOrder = await settle.order(seller.address, batchId, { mode: "escrow", quantity: 2n });
      const locked = await settle.agree(buyer, escrowOrder, await settle.sign(seller, escrowOrder), 2n);
      await settle.release(locked);
      tradeId = locked.tradeId;
      await indexOnce({ pool: database.pool, publicClient: chain.publicClient, deployment: chain.deployment, confirmations: 0 });
    } finally {
      await database.close();
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists and shows orders as a table or JSON; exit 3 for an unknown order, 2 naming a bad option", async () => {
    const table = await cli(["orders", "list", "--label", "CORSIA", "--max-price", "5000000"]);
    expect(table.code).toBe(EXIT.OK);
    expect(table.out).toContain("4.25");
    expect(table.out).toContain("GOLD_STANDARD");
    expect(table.out).toContain("1 of 1 order(s)");
    const json = await cli(["--json", "orders", "list", "--seller", seller.address]);
    expect(JSON.parse(json.out).orders.map((o: { orderHash: string }) => o.orderHash)).toEqual([settle.hash(listed).toLowerCase()]);
    const shown = await cli(["--json", "orders", "show", settle.hash(listed)]);
    expect(JSON.parse(shown.out)).toMatchObject({ status: "open", remaining: "9", order: { quantity: "9" } });
    expect((await cli(["orders", "show", `0x${"cd".repeat(32)}`])).code).toBe(EXIT.NOT_FOUND);
    const badPrice = await cli(["orders", "list", "--min-price", "-3"]);
    expect([badPrice.code, badPrice.err.includes("--min-price")]).toEqual([EXIT.USAGE, true]);
    const badHash = await cli(["orders", "show", "0x12"]);
    expect([badHash.code, badHash.err.includes("orderHash")]).toEqual([EXIT.USAGE, true]);
  }, 60_000);

  it("shows an escrow trade's timeline", async () => {
    const human = await cli(["trades", "show", tradeId]);
    expect(human.code).toBe(EXIT.OK);
    expect(human.out).toContain("released");
    for (const step of ["agreed", "locked", "confirmed"]) expect(human.out).toContain(step);
    const json = JSON.parse((await cli(["--json", "trades", "show", tradeId])).out);
    expect(json.timeline.map((s: { step: string }) => s.step)).toEqual(["agreed", "locked", "confirmed", "released"]);
    expect((await cli(["trades", "show", `0x${"00".repeat(32)}`])).code).toBe(EXIT.NOT_FOUND);
  }, 60_000);
});

describe("order book listing (property)", () => {
  it("equals a model of filter, status, cheapest-first order and pagination over random books", async () => {
    await index(); // the batches' registry, labels and vintage come from the read model
    let run = 0;
    let nonEmptyFiltered = 0;
    const book = fc.array(
      fc.record({
        batch: fc.constantFrom("verra", "gold", "unindexed"),
        price: fc.integer({ min: 1, max: 40 }),
        mode: fc.constantFrom("atomic" as const, "escrow" as const),
        seller: fc.constantFrom(0, 1),
        expired: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
        cancelled: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
      }),
      { maxLength: 12 },
    );
    const allFilters = fc.record({
      status: fc.constantFrom("open" as const, "expired" as const, "cancelled" as const, "any" as const),
      batch: fc.constantFrom("verra", "gold", "unindexed"),
      label: fc.constantFrom("CCP" as const, "CORSIA" as const),
      registry: fc.constantFrom("VERRA", "GOLD_STANDARD"),
      vintage: fc.constantFrom(2020, 2022),
      minPrice: fc.integer({ min: 1, max: 40 }),
      maxPrice: fc.integer({ min: 1, max: 40 }),
      seller: fc.constantFrom(0, 1),
      mode: fc.constantFrom("atomic" as const, "escrow" as const),
    });
    // at most two filters at once, so that results are often non-empty
    const filter = fc
      .tuple(allFilters, fc.subarray(["status", "batch", "label", "registry", "vintage", "minPrice", "maxPrice", "seller", "mode"] as const, { maxLength: 2 }))
      .map(([values, keys]) => Object.fromEntries(keys.map((k) => [k, values[k]])) as Partial<typeof values>);
    await fc.assert(
      fc.asyncProperty(book, filter, fc.integer({ min: 1, max: 5 }), async (orders, f, pageSize) => {
        run += 1;
        // an escrow address of its own per run isolates the book from the other tests' orders
        const escrow = getAddress(keccak256(toHex(`property-escrow-${run}-${Date.now()}`)).slice(0, 42));
        const runDeps: OrderBookDeps = { ...deps, deployment: { ...chain.deployment, contracts: { ...chain.deployment.contracts, escrow } } };
        const now = await ledger.latestTimestamp();
        const batchOf = { verra: batchId, gold: corsiaBatch, unindexed: 999_999n };
        const meta = {
          verra: { registry: "VERRA", labels: ["CCP"], vintage: 2020 },
          gold: { registry: "GOLD_STANDARD", labels: ["CORSIA"], vintage: 2022 },
          unindexed: undefined,
        } as const;
        const sellers = [seller.address, buyer.address];
        const rows = orders.map((o, i) => ({
          ...o,
          hash: keccak256(toHex(`property-order-${run}-${i}`)),
          postedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        }));
        for (const r of rows) {
          await db.pool.query(
            `INSERT INTO settlement_orders (chain_id, escrow, order_hash, seller, batch_id, quantity, price_per_tonne, min_fill, expiry, salt, counter,
               buyer, mode, signature, posted_by, posted_at)
             VALUES ($1, $2, $3, $4, $5, 10, $6, 1, $7, 1, 1000000, NULL, $8, '0x00', $4, $9)`, // counter above any bump of the other tests: never voided
            [chain.chainId, escrow.toLowerCase(), r.hash, sellers[r.seller].toLowerCase(), batchOf[r.batch].toString(), (BigInt(r.price) * USD).toString(),
              (r.expired ? now - 10n : now + 86_400n).toString(), r.mode, r.postedAt],
          );
          if (r.cancelled) {
            await db.pool.query(
              `INSERT INTO settlement_maker_events (chain_id, tx_hash, log_index, kind, seller, order_hash, block_number, block_hash, block_time)
               VALUES ($1, $2, 0, 'cancelled', $3, $2, 0, $2, now())`,
              [chain.chainId, r.hash, sellers[r.seller].toLowerCase()],
            );
          }
        }
        const statusOf = (r: (typeof rows)[number]) => (r.cancelled ? "cancelled" : r.expired ? "expired" : "open");
        const expected = rows
          .filter((r) => {
            const m = meta[r.batch];
            if ((f.status ?? "open") !== "any" && statusOf(r) !== (f.status ?? "open")) return false;
            if (f.batch !== undefined && r.batch !== f.batch) return false;
            if (f.registry !== undefined && m?.registry !== f.registry) return false;
            if (f.label !== undefined && !(m?.labels as readonly string[] | undefined)?.includes(f.label)) return false;
            if (f.vintage !== undefined && m?.vintage !== f.vintage) return false;
            if (f.minPrice !== undefined && r.price < f.minPrice) return false;
            if (f.maxPrice !== undefined && r.price > f.maxPrice) return false;
            if (f.seller !== undefined && r.seller !== f.seller) return false;
            if (f.mode !== undefined && r.mode !== f.mode) return false;
            return true;
          })
          .sort((a, b) => a.price - b.price || a.postedAt.getTime() - b.postedAt.getTime() || (a.hash < b.hash ? -1 : 1))
          .map((r) => r.hash);
        const query: OrderFilter = {
          status: f.status,
          batchId: f.batch === undefined ? undefined : batchOf[f.batch],
          registry: f.registry,
          label: f.label,
          vintage: f.vintage,
          minPrice: f.minPrice === undefined ? undefined : BigInt(f.minPrice) * USD,
          maxPrice: f.maxPrice === undefined ? undefined : BigInt(f.maxPrice) * USD,
          seller: f.seller === undefined ? undefined : sellers[f.seller],
          mode: f.mode,
        };
        const all = await listOrders(runDeps, { ...query, limit: 200 });
        expect(all.orders.map((o) => o.orderHash)).toEqual(expected);
        expect(all.total).toBe(expected.length);
        if (expected.length > 0 && (f.registry !== undefined || f.label !== undefined || f.vintage !== undefined)) nonEmptyFiltered += 1;
        const paged: string[] = [];
        for (let offset = 0; offset < expected.length + pageSize; offset += pageSize) {
          const page = await listOrders(runDeps, { ...query, limit: pageSize, offset });
          expect(page.total).toBe(expected.length);
          paged.push(...page.orders.map((o) => o.orderHash));
        }
        expect(paged).toEqual(expected);
      }),
      {
        numRuns: Number(process.env.PROPERTY_RUNS ?? 25),
        seed: process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED),
        // always among the runs: a metadata filter (label, registry, vintage) that matches orders
        examples: [
          [[{ batch: "verra", price: 5, mode: "atomic", seller: 0, expired: false, cancelled: false }, { batch: "gold", price: 3, mode: "escrow", seller: 1, expired: false, cancelled: false }], { label: "CCP" }, 1],
          [[{ batch: "gold", price: 7, mode: "atomic", seller: 1, expired: false, cancelled: false }], { registry: "GOLD_STANDARD", vintage: 2022 }, 2],
        ],
      },
    );
    expect(nonEmptyFiltered).toBeGreaterThan(0); // the batch-metadata filters were exercised on non-empty results
  }, 300_000);
});
