import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningRegistrySimulator } from "./index";
import { seedHolding, SimulatorClient, startTestSimulator, waitFor } from "./testing";
import type { ChangesPageDocument, ErrorDocument, HoldingsDocument, RequestDocument, SerialStatusDocument } from "./wire";

const WALLET = "0x52908400098527886E0F7030069857D2E4169EE7";

let sim: RunningRegistrySimulator;
let client: SimulatorClient;

beforeEach(async () => {
  ({ sim, client } = await startTestSimulator());
});
afterEach(async () => {
  await sim.close();
});

describe("lock", () => {
  it("is queued, then completed on the next cycle into the platform custody account with the wallet as memo", async () => {
    const { account, issuance } = await seedHolding(client, "VERRA", 1000);
    const submitted = await client.submit("locks", { fromAccountId: account.id, issuanceId: issuance.id, quantity: 100, destinationWallet: WALLET.toLowerCase() });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get("location")).toBe(`/v1/requests/${submitted.body.id}`);
    expect(submitted.body).toMatchObject({ kind: "lock", status: "queued", ranges: [], registryRef: null });
    expect((await client.request(submitted.body.id)).status).toBe("queued");

    expect(sim.control.tick()).toEqual({ completed: [submitted.body.id], rejected: [] });
    const done = await client.request(submitted.body.id);
    const custody = sim.control.platformCustodyAccountId("VERRA");
    expect(done).toMatchObject({
      status: "completed",
      registry: "VERRA",
      fromAccountId: account.id,
      toAccountId: custody,
      memo: WALLET,
      quantity: "100",
      registryRef: "VCS-TRF-000001",
      rejectionCode: null,
    });
    const start = BigInt(issuance.serialStart);
    expect(done.ranges).toEqual([
      {
        issuanceId: issuance.id,
        serialNumber: issuance.serialNumber.replace(`-${issuance.serialStart}-${issuance.serialEnd}-`, `-${start}-${start + 99n}-`),
        serialScope: "0",
        serialStart: String(start),
        serialEnd: String(start + 99n),
        quantity: "100",
      },
    ]);
    const custodyHoldings = await client.ok(client.get<HoldingsDocument>(`/v1/accounts/${custody}/holdings`));
    expect(custodyHoldings.total).toBe("100");
    const holderHoldings = await client.ok(client.get<HoldingsDocument>(`/v1/accounts/${account.id}/holdings`));
    expect(holderHoldings.holdings.map((h) => [h.serialStart, h.serialEnd])).toEqual([[String(start + 100n), issuance.serialEnd]]);
  });

  it("completes on the timer without a manual tick", async () => {
    await sim.close();
    ({ sim, client } = await startTestSimulator({ cycleMs: 25 }));
    const { account, issuance } = await seedHolding(client, "GOLD_STANDARD", 50);
    const submitted = await client.submit("locks", { fromAccountId: account.id, serialNumber: issuance.serialNumber, destinationWallet: WALLET });
    const done = await waitFor(async () => {
      const request = await client.request(submitted.body.id);
      return request.status === "queued" ? undefined : request;
    }, 2_000);
    expect(done).toMatchObject({ status: "completed", toAccountId: "GS-CARBONCLEAR-CUSTODY", quantity: "50" });
    expect(done.ranges.map((r) => r.serialNumber)).toEqual([issuance.serialNumber]);
  });

  it("is rejected when the custody account named is not a custody account", async () => {
    const { account, issuance } = await seedHolding(client, "VERRA", 10);
    const other = await client.createAccount({ registry: "VERRA" });
    const submitted = await client.submit("locks", { fromAccountId: account.id, issuanceId: issuance.id, quantity: 1, destinationWallet: WALLET, custodyAccountId: other.id });
    sim.control.tick();
    expect(await client.request(submitted.body.id)).toMatchObject({ status: "rejected", rejectionCode: "NOT_A_CUSTODY_ACCOUNT" });
  });
});

describe("retirement", () => {
  it("retires an exact serial range of a block, splitting it, with beneficiary, reason and platform reference", async () => {
    const { account, issuance } = await seedHolding(client, "GOLD_STANDARD", 500);
    const submitted = await client.submit("retirements", {
      fromAccountId: account.id,
      serialNumber: issuance.serialNumber,
      serialStart: "101",
      serialEnd: "250",
      beneficiary: "Acme Corp",
      reason: "Corporate Emissions Inventory Accounting",
      details: "FY2025 scope 1",
      platformReference: "certificate 42",
    });
    sim.control.tick();
    const done = await client.request(submitted.body.id);
    expect(done).toMatchObject({ status: "completed", quantity: "150", registryRef: "GS-RET-000001", toAccountId: null });
    expect(done.ranges.map((r) => [r.serialStart, r.serialEnd, r.serialNumber])).toEqual([
      ["101", "250", issuance.serialNumber.replace(/-1-500$/, "-101-250")],
    ]);
    const status = await client.ok(client.get<SerialStatusDocument>(`/v1/serials/${encodeURIComponent(issuance.serialNumber)}`));
    expect(status.status).toBe("mixed");
    expect(status.parts.map((p) => [p.serialStart, p.serialEnd, p.status, p.registryRef])).toEqual([
      ["1", "100", "held", null],
      ["101", "250", "retired", "GS-RET-000001"],
      ["251", "500", "held", null],
    ]);
    const retired = await client.ok(client.get<SerialStatusDocument>(`/v1/serials/${encodeURIComponent(done.ranges[0].serialNumber)}`));
    expect(retired).toMatchObject({ status: "retired", holderAccountId: account.id, quantity: "150" });
  });

  it("is rejected, changing nothing, when the account does not hold every serial of the range", async () => {
    const { account, issuance } = await seedHolding(client, "VERRA", 100);
    const end = BigInt(issuance.serialEnd);
    const submitted = await client.submit("retirements", {
      fromAccountId: account.id,
      issuanceId: issuance.id,
      serialStart: String(end - 5n),
      serialEnd: String(end + 5n),
      beneficiary: "X",
      reason: "Other",
    });
    sim.control.tick();
    expect(await client.request(submitted.body.id)).toMatchObject({ status: "rejected", rejectionCode: "SERIAL_NOT_FOUND", ranges: [] });
    const holdings = await client.ok(client.get<HoldingsDocument>(`/v1/accounts/${account.id}/holdings`));
    expect(holdings.total).toBe("100");
  });
});

describe("redemption", () => {
  async function lockedCredits() {
    const { account, issuance } = await seedHolding(client, "VERRA", 100);
    await client.submit("locks", { fromAccountId: account.id, issuanceId: issuance.id, quantity: 40, destinationWallet: WALLET });
    sim.control.tick();
    return { account, issuance };
  }

  it("moves credits from custody to a holder account of the same registry", async () => {
    const { account, issuance } = await lockedCredits();
    const start = BigInt(issuance.serialStart);
    const submitted = await client.submit("redemptions", {
      toAccountId: account.id,
      issuanceId: issuance.id,
      serialStart: String(start + 30n),
      serialEnd: String(start + 39n),
      platformReference: "redemption 7",
    });
    sim.control.tick();
    expect(await client.request(submitted.body.id)).toMatchObject({
      status: "completed",
      fromAccountId: "VCS-CARBONCLEAR-CUSTODY",
      toAccountId: account.id,
      memo: "redemption 7",
      quantity: "10",
    });
  });

  it.each([
    ["an unknown account", async () => "VCS-NOPE", "ACCOUNT_NOT_FOUND"],
    [
      "a closed account",
      async () => {
        const closed = await client.createAccount({ registry: "VERRA" });
        await client.ok(client.post(`/v1/accounts/${closed.id}/close`, {}));
        return closed.id;
      },
      "ACCOUNT_CLOSED",
    ],
    ["an account of another registry", async () => (await client.createAccount({ registry: "GOLD_STANDARD" })).id, "REGISTRY_MISMATCH"],
  ])("is rejected for %s", async (_what, destination, code) => {
    const { issuance } = await lockedCredits();
    const toAccountId = await destination();
    const submitted = await client.submit("redemptions", { toAccountId, issuanceId: issuance.id, quantity: 5 });
    sim.control.tick();
    const rejected = await client.request(submitted.body.id);
    expect(rejected).toMatchObject({ status: "rejected", rejectionCode: code, ranges: [], registryRef: null });
    expect(rejected.rejectionReason).toMatch(/account/);
    const custody = await client.ok(client.get<HoldingsDocument>("/v1/accounts/VCS-CARBONCLEAR-CUSTODY/holdings"));
    expect(custody.total).toBe("40");
  });
});

describe("transfer and cancellation", () => {
  it("transfers FIFO within a named block and cancels exactly", async () => {
    const { account, issuance } = await seedHolding(client, "CCTS", 300, { id: "STEEL0042" });
    const buyer = await client.createAccount({ registry: "CCTS" });
    const transfer = await client.submit("transfers", { fromAccountId: account.id, toAccountId: buyer.id, serialNumber: issuance.serialNumber, quantity: "120", memo: "trade 9" });
    const cancel = await client.submit("cancellations", { fromAccountId: account.id, issuanceId: issuance.id, quantity: 30, reason: "surplus" });
    sim.control.tick();
    expect(await client.request(transfer.body.id)).toMatchObject({ status: "completed", toAccountId: buyer.id, memo: "trade 9" });
    const cancelled = await client.request(cancel.body.id);
    expect(cancelled.ranges.map((r) => r.serialNumber)).toEqual(["IN-CCC-2025-STEEL0042-121-150"]);
    expect(cancelled.registryRef).toBe("CCTS-CAN-000001");
  });

  it("rejects the next request of a kind with the reason given", async () => {
    const { account, issuance } = await seedHolding(client, "VERRA", 10);
    sim.control.rejectNext("retirement", "beneficiary under review");
    const first = await client.submit("retirements", { fromAccountId: account.id, issuanceId: issuance.id, quantity: 1, beneficiary: "B", reason: "Other" });
    const second = await client.submit("retirements", { fromAccountId: account.id, issuanceId: issuance.id, quantity: 1, beneficiary: "B", reason: "Other" });
    sim.control.tick();
    expect(await client.request(first.body.id)).toMatchObject({ status: "rejected", rejectionCode: "REJECTED_BY_REGISTRY", rejectionReason: "beneficiary under review" });
    expect((await client.request(second.body.id)).status).toBe("completed");
  });
});

describe("idempotency", () => {
  it("returns the same request for the same Idempotency-Key and body, and 422 for another body", async () => {
    const { account, issuance } = await seedHolding(client, "VERRA", 10);
    const body = { fromAccountId: account.id, issuanceId: issuance.id, quantity: 2, destinationWallet: WALLET };
    const first = await client.submit("locks", body, "lock-abc");
    const again = await client.submit("locks", body, "lock-abc");
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    const different = await client.submit("locks", { ...body, quantity: 3 }, "lock-abc");
    expect(different.status).toBe(422);
    expect((different.body as unknown as ErrorDocument).error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    sim.control.tick();
    const afterProcessing = await client.submit("locks", body, "lock-abc");
    expect(afterProcessing.body).toMatchObject({ id: first.body.id, status: "completed" });
    expect(sim.simulator.processor.queuedCount).toBe(0);
  });
});

describe("validation and lookups", () => {
  it("answers 400 naming each bad field", async () => {
    const response = await client.post<ErrorDocument>("/v1/locks", { fromAccountId: "A", quantity: "1.5", destinationWallet: "0x12", issuanceId: "X" });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("VALIDATION_FAILED");
    expect(response.body.error.issues?.map((i) => i.field).sort()).toEqual(["destinationWallet", "quantity"]);
    const both = await client.post<ErrorDocument>("/v1/transfers", { fromAccountId: "A", toAccountId: "B", issuanceId: "X", serialNumber: "Y" });
    expect(both.body.error.issues?.[0]).toMatchObject({ location: "body", field: "issuanceId" });
    const account = await client.post<ErrorDocument>("/v1/accounts", { registry: "CCTS", name: "Foreign", country: "DE" });
    expect(account.body.error.issues?.[0]).toMatchObject({ field: "country", message: expect.stringMatching(/India/) });
    const gsVintage = await client.post<ErrorDocument>("/v1/issuances", {
      registry: "GOLD_STANDARD",
      projectId: "GS1",
      accountId: "A",
      quantity: 1,
      vintageStart: "2024-03-01",
      vintageEnd: "2024-12-31",
    });
    expect(gsVintage.body.error.issues?.[0].field).toBe("vintageStart");
    const malformed = await client.call<ErrorDocument>("POST", "/v1/accounts", undefined, { "content-type": "application/json" });
    expect(malformed.status).toBe(400);
    const header = await client.submit("locks", { fromAccountId: "A", issuanceId: "X", quantity: 1, destinationWallet: WALLET }, "has space");
    expect((header.body as unknown as ErrorDocument).error.issues?.[0]).toMatchObject({ location: "header", field: "Idempotency-Key" });
  });

  it("answers 404 for unknown resources and routes", async () => {
    expect((await client.get("/v1/accounts/NOPE")).status).toBe(404);
    expect((await client.get("/v1/requests/req_999999")).status).toBe(404);
    expect((await client.get("/v1/issuances/VCS-1")).status).toBe(404);
    expect((await client.get("/v1/projects/VERRA/1")).status).toBe(404);
    const serial = await client.get<ErrorDocument>(`/v1/serials/${encodeURIComponent("19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1")}`);
    expect(serial.status).toBe(404);
    expect(serial.body.error.code).toBe("SERIAL_NOT_FOUND");
    expect((await client.get("/v1/nothing-here")).status).toBe(404);
  });

  it("keeps the account note where a holder shows a challenge code, and refuses to close an account holding credits", async () => {
    const { account } = await seedHolding(client, "VERRA", 5);
    const updated = await client.ok(client.put<{ note: string }>(`/v1/accounts/${account.id}/note`, { note: "carbonclear-challenge: 7F3K-Q2" }));
    expect(updated.note).toBe("carbonclear-challenge: 7F3K-Q2");
    expect((await client.ok(client.get<{ note: string }>(`/v1/accounts/${account.id}`))).note).toBe("carbonclear-challenge: 7F3K-Q2");
    expect((await client.post<ErrorDocument>(`/v1/accounts/${account.id}/close`, {})).status).toBe(409);
  });
});

describe("change feed", () => {
  it("lists every change in order, pages with a cursor, and refuses a cursor from the future", async () => {
    const { account, issuance } = await seedHolding(client, "VERRA", 20);
    const lock = await client.submit("locks", { fromAccountId: account.id, issuanceId: issuance.id, quantity: 5, destinationWallet: WALLET });
    const bad = await client.submit("redemptions", { toAccountId: "VCS-NOPE", issuanceId: issuance.id, quantity: 1 });
    sim.control.tick();

    const all: ChangesPageDocument["changes"] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: ChangesPageDocument = await client.ok(client.get<ChangesPageDocument>(`/v1/changes?limit=3${cursor === null ? "" : `&after=${cursor}`}`));
      all.push(...page.changes);
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(all.map((c) => Number(c.cursor))).toEqual(all.map((_, i) => i + 1));
    expect(all.map((c) => c.type)).toEqual([
      "account.created",
      "project.created",
      "issuance.created",
      "serial_block.updated",
      "request.completed",
      "operation.updated",
      "serial_block.updated",
      "serial_block.updated",
      "request.rejected",
      "operation.updated",
    ]);
    expect(all[4].data).toMatchObject({ requestId: lock.body.id, kind: "lock", registry: "VERRA", registryRef: "VCS-TRF-000001" });
    expect(all[6].data).toMatchObject({ serial: issuance.serialNumber, status: "SPLIT" });
    expect(all[7].data).toMatchObject({ status: "LOCKED" });
    expect(all[8].data).toMatchObject({ requestId: bad.body.id, kind: "redemption" });
    const empty = await client.ok(client.get<ChangesPageDocument>(`/v1/changes?after=${cursor}`));
    expect(empty).toEqual({ changes: [], nextCursor: cursor, hasMore: false });
    expect((await client.get("/v1/changes?after=999")).status).toBe(400);
    expect((await client.get("/v1/changes?limit=0")).status).toBe(400);
  });

  it("request documents validate against the published schema", async () => {
    const { requestSchema } = await import("./wire");
    const { account, issuance } = await seedHolding(client, "VERRA", 20);
    const lock = await client.submit("locks", { fromAccountId: account.id, issuanceId: issuance.id, quantity: 5, destinationWallet: WALLET });
    expect(requestSchema.safeParse(lock.body).success).toBe(true);
    sim.control.tick();
    const done: RequestDocument = await client.request(lock.body.id);
    expect(requestSchema.safeParse(done).success).toBe(true);
  });
});
