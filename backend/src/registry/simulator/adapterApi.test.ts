import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRegistryAdapter, type RegistryAdapter } from "../adapter";
import { registryApiBaseUrl, registryWebhookEventSchema } from "../api";
import { RegistryApiError } from "../apiClient";
import type { RegistryId } from "../../domain";
import type { RunningRegistrySimulator } from "./index";
import { seedHolding, SimulatorClient, startTestSimulator, WebhookReceiver } from "./testing";

const OWNER = "0x52908400098527886e0f7030069857d2e4169ee7";
const LOCK_REF = `0x${"ab".repeat(32)}` as const;

let sim: RunningRegistrySimulator;
let client: SimulatorClient;

beforeEach(async () => {
  ({ sim, client } = await startTestSimulator());
});
afterEach(async () => {
  await sim.close();
});

function adapter(registry: RegistryId): RegistryAdapter {
  return createRegistryAdapter(registry, { baseUrl: registryApiBaseUrl(sim.url, registry), timeoutMs: 2_000 });
}

describe("the adapter API, through the adapters' own client", () => {
  it("shows an account's public note (where a holder puts a linkage challenge); unknown or other-registry accounts are null", async () => {
    const account = await client.createAccount({ registry: "VERRA", name: "Acme Carbon" });
    const verra = adapter("VERRA");
    expect(await verra.getAccount(account.id)).toMatchObject({ registry: "VERRA", accountId: account.id, name: "Acme Carbon", closed: false, note: "" });
    await client.ok(client.put(`/v1/accounts/${account.id}/note`, { note: "carbonclear-0123" }));
    expect((await verra.getAccount(account.id))?.note).toBe("carbonclear-0123");
    expect(await verra.getAccount("VCS-NOPE")).toBeNull();
    expect(await adapter("GOLD_STANDARD").getAccount(account.id)).toBeNull();
  });

  it("locks a sub-range: PENDING, then COMPLETED; the part is LOCKED with its lockRef, the block SPLIT", async () => {
    const { account, issuance } = await seedHolding(client, "GOLD_STANDARD", 1000);
    const gs = adapter("GOLD_STANDARD");
    const pending = await gs.submitLock({
      requestId: "lock-0001-abcdef",
      serial: issuance.serialNumber,
      range: { first: "1", last: "250" },
      fromAccount: account.id,
      custodyAccount: "GS-CARBONCLEAR-CUSTODY",
      lockRef: LOCK_REF,
      owner: OWNER,
      chainId: 31337,
    });
    expect(pending).toMatchObject({ requestId: "lock-0001-abcdef", registry: "GOLD_STANDARD", kind: "LOCK", status: "PENDING", resultSerial: null });

    sim.control.tick();
    const completed = await gs.getOperation(pending.operationId);
    const lockedSerial = gs.subBlockSerial(gs.parseSerial(issuance.serialNumber), 1n, 250n);
    expect(completed).toMatchObject({ status: "COMPLETED", resultSerial: lockedSerial, rejectionReason: null });

    expect(await gs.getSerialBlockStatus(lockedSerial)).toMatchObject({
      status: "LOCKED",
      holderAccount: "GS-CARBONCLEAR-CUSTODY",
      quantity: "250",
      lockRef: LOCK_REF,
      successors: [],
    });
    const original = await gs.getSerialBlockStatus(issuance.serialNumber);
    expect(original).toMatchObject({ status: "SPLIT", successors: [lockedSerial, gs.subBlockSerial(gs.parseSerial(issuance.serialNumber), 251n, 1000n)] });
    const rest = await gs.getSerialBlockStatus(original!.successors[1]);
    expect(rest).toMatchObject({ status: "ACTIVE", holderAccount: account.id, lockRef: null });
    const lock = await client.request(pending.operationId);
    expect(lock.memo).toBe("0x52908400098527886E0F7030069857D2E4169EE7");
  });

  it("returns the same operation for the same requestId and refuses it for another request", async () => {
    const { account, issuance } = await seedHolding(client, "VERRA", 100);
    const verra = adapter("VERRA");
    const request = { requestId: "transfer-000001", serial: issuance.serialNumber, fromAccount: account.id, toAccount: "VCS-CARBONCLEAR-CUSTODY" };
    const first = await verra.submitTransfer(request);
    const again = await verra.submitTransfer(request);
    expect(again.operationId).toBe(first.operationId);
    const refused = await verra.submitTransfer({ ...request, range: { first: issuance.serialStart, last: issuance.serialStart } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistryApiError);
    expect(refused).toMatchObject({ status: 422, code: "IDEMPOTENCY_KEY_REUSED", retryable: false });
  });

  it("rejects a redemption to a closed account, and retires an exact range from custody", async () => {
    const { account, issuance } = await seedHolding(client, "CCTS", 100, { id: "ALUM0007" });
    const ccts = adapter("CCTS");
    await ccts.submitLock({
      requestId: "lock-ccts-0001",
      serial: issuance.serialNumber,
      fromAccount: account.id,
      custodyAccount: "CCTS-CARBONCLEAR-CUSTODY",
      lockRef: LOCK_REF,
      owner: OWNER,
      chainId: 31337,
    });
    sim.control.tick();
    expect((await ccts.getSerialBlockStatus(issuance.serialNumber))?.status).toBe("LOCKED");

    const closed = await client.createAccount({ registry: "CCTS" });
    await client.ok(client.post(`/v1/accounts/${closed.id}/close`, {}));
    const redemption = await ccts.submitRedemption({
      requestId: "redeem-ccts-0001",
      serial: issuance.serialNumber,
      range: { first: "1", last: "10" },
      custodyAccount: "CCTS-CARBONCLEAR-CUSTODY",
      toAccount: closed.id,
      redemptionId: "3",
      chainId: 31337,
    });
    const retirement = await ccts.submitRetirement({
      requestId: "retire-ccts-0001",
      serial: issuance.serialNumber,
      range: { first: "11", last: "30" },
      custodyAccount: "CCTS-CARBONCLEAR-CUSTODY",
      beneficiaryName: "Hindalco",
      beneficiaryCommitment: null,
      reason: "FY2025-26 compliance surrender",
      periodStart: "2025-04-01",
      periodEnd: "2026-03-31",
      consumptionCountry: "IN",
      certificateId: "42",
      chainId: 31337,
    });
    sim.control.tick();
    expect(await ccts.getOperation(redemption.operationId)).toMatchObject({ status: "REJECTED", rejectionReason: expect.stringMatching(/^ACCOUNT_CLOSED: /) });
    expect(await ccts.getOperation(retirement.operationId)).toMatchObject({ status: "COMPLETED", resultSerial: "IN-CCC-2025-ALUM0007-11-30" });
    expect(await ccts.getSerialBlockStatus("IN-CCC-2025-ALUM0007-11-30")).toMatchObject({ status: "RETIRED", holderAccount: "CCTS-CARBONCLEAR-CUSTODY" });
    const csv = await client.get<string>("/v1/exports/ccts/certificates.csv");
    expect(csv.body).toContain("IN-CCC-2025-ALUM0007-11-30,ALUM0007,Test project");
    expect(csv.body).toMatch(/Surrendered,\d{4}-\d{2}-\d{2},Hindalco,"Retirement for Person or Organization: FY2025-26 compliance surrender/);
  });

  it("answers unknown serials and operations with null, and wrong-registry or malformed serials with a 400", async () => {
    const { issuance } = await seedHolding(client, "VERRA", 10);
    const verra = adapter("VERRA");
    const gs = adapter("GOLD_STANDARD");
    expect(await gs.getSerialBlockStatus(issuance.serialNumber)).toBeNull();
    expect(await verra.getOperation("req_424242")).toBeNull();
    const start = BigInt(issuance.serialStart);
    // a range that cuts through the block was never a block of its own
    expect(await verra.getSerialBlockStatus(verra.subBlockSerial(verra.parseSerial(issuance.serialNumber), start + 1n, start + 2n))).toBeNull();
    const wrong = await gs
      .submitTransfer({ requestId: "transfer-wrong-1", serial: issuance.serialNumber, fromAccount: "A", toAccount: "B" })
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({ status: 400, code: "VALIDATION_FAILED", retryable: false });
    const malformed = await client.post<{ error: { issues: { field: string }[] } }>("/registries/verra/v1/transfers", {
      requestId: "transfer-bad-01",
      serial: "19385-5-1-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1",
      fromAccount: "A",
      toAccount: "B",
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.issues[0].field).toBe("serial");
    expect((await client.get("/registries/nowhere/v1/operations/x")).status).toBe(404);
  });

  it("sends operation.updated and serial_block.updated webhooks the adapters' event schema accepts", async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const endpoint = await client.ok(
        client.post<{ secret: string }>("/v1/webhook-endpoints", { url: receiver.url, eventTypes: ["operation.updated", "serial_block.updated"] }),
      );
      const { account, issuance } = await seedHolding(client, "VERRA", 10);
      await adapter("VERRA").submitLock({
        requestId: "lock-webhook-1",
        serial: issuance.serialNumber,
        fromAccount: account.id,
        custodyAccount: "VCS-CARBONCLEAR-CUSTODY",
        lockRef: LOCK_REF,
        owner: OWNER,
        chainId: 1,
      });
      sim.control.tick();
      await sim.control.whenWebhooksIdle();
      const events = receiver.received.map((webhook) =>
        registryWebhookEventSchema.parse(new Webhook(endpoint.secret).verify(webhook.rawBody, webhook.headers as Record<string, string>)),
      );
      expect(events.map((e) => [e.type, e.data.status])).toEqual([
        ["serial_block.updated", "ACTIVE"],
        ["operation.updated", "COMPLETED"],
        ["serial_block.updated", "LOCKED"],
      ]);
    } finally {
      await receiver.close();
    }
  });
});
