import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningRegistrySimulator } from "./index";
import { RETRY_SCHEDULE_MS, type WebhookChaos } from "./webhookDispatcher";
import { SimulatorClient, startTestSimulator, WebhookReceiver } from "./testing";
import { createAccountBodySchema, type WebhookEndpointDocument } from "./wire";

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function setUp(options: Parameters<typeof startTestSimulator>[0] = {}) {
  const { sim, client } = await startTestSimulator(options);
  const receiver = await WebhookReceiver.start();
  running.push(sim, receiver);
  return { sim, client, receiver };
}

async function register(client: SimulatorClient, body: Record<string, unknown>) {
  return client.ok(client.post<WebhookEndpointDocument & { secret: string }>("/v1/webhook-endpoints", body));
}

function createAccounts(sim: RunningRegistrySimulator, count: number): void {
  for (let i = 0; i < count; i++) {
    sim.simulator.createAccount(createAccountBodySchema.parse({ registry: "VERRA", name: `Holder ${i}`, country: "KE" }));
  }
}

describe("webhook signatures", () => {
  it("signs every message after Standard Webhooks: verifiable against the raw body, not a tampered one", async () => {
    const { sim, client, receiver } = await setUp();
    const endpoint = await register(client, { url: receiver.url });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    const account = await client.createAccount({ registry: "VERRA" });
    await sim.control.whenWebhooksIdle();

    expect(receiver.received).toHaveLength(1);
    const [webhook] = receiver.received;
    const headers = webhook.headers as Record<string, string>;
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["webhook-id"]).toMatch(/^msg_[0-9a-f]+_1$/);
    expect(Math.abs(Number(headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);

    const payload = new Webhook(endpoint.secret).verify(webhook.rawBody, headers);
    expect(payload).toEqual({
      type: "account.created",
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      data: { accountId: account.id, registry: "VERRA", cursor: "1" },
    });
    expect(() => new Webhook(endpoint.secret).verify(webhook.rawBody.replace(account.id, "VCS-99999"), headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(`whsec_${Buffer.from("another secret!!").toString("base64")}`).verify(webhook.rawBody, headers)).toThrow(
      WebhookVerificationError,
    );
  });

  it("uses a secret given at registration and sends only the event types asked for", async () => {
    const { sim, client, receiver } = await setUp();
    const secret = `whsec_${Buffer.from("carbonclear-platform-secret").toString("base64")}`;
    const endpoint = await register(client, { url: receiver.url, secret, eventTypes: ["project.created"] });
    expect(endpoint.secret).toBe(secret);
    await client.createAccount({ registry: "VERRA" });
    await client.createProject({ registry: "VERRA", sectoralScope: 14 });
    await sim.control.whenWebhooksIdle();
    expect(receiver.payloads().map((p) => p.type)).toEqual(["project.created"]);
    expect(() => new Webhook(secret).verify(receiver.received[0].rawBody, receiver.received[0].headers as Record<string, string>)).not.toThrow();
    const invalid = await client.post("/v1/webhook-endpoints", { url: "ftp://example.com", secret: "nope" });
    expect(invalid.status).toBe(400);
  });
});

describe("webhook retries", () => {
  it("has the Standard Webhooks schedule", () => {
    expect(RETRY_SCHEDULE_MS).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000]);
  });

  it("retries on the scaled schedule until an answer is 2xx", async () => {
    const factor = 1e-4;
    const { sim, client, receiver } = await setUp({ webhookTimeFactor: factor });
    receiver.respondWith((_webhook, attempt) => (attempt < 5 ? 500 : 202));
    await register(client, { url: receiver.url });
    await client.createAccount({ registry: "GOLD_STANDARD" });
    await sim.control.whenWebhooksIdle();

    const [delivery] = sim.control.webhookDeliveries();
    const expectedDelays = RETRY_SCHEDULE_MS.slice(0, 5).map((ms) => Math.round(ms * factor));
    expect(delivery.state).toBe("delivered");
    expect(delivery.attempts.map((a) => [a.number, a.scheduledDelayMs, a.outcome, a.status])).toEqual([
      [1, expectedDelays[0], "failed", 500],
      [2, expectedDelays[1], "failed", 500],
      [3, expectedDelays[2], "failed", 500],
      [4, expectedDelays[3], "failed", 500],
      [5, expectedDelays[4], "delivered", 202],
    ]);
    const arrivals = receiver.received.map((w) => w.receivedAt);
    expect(new Set(receiver.received.map((w) => w.headers["webhook-id"])).size).toBe(1);
    for (let i = 1; i < arrivals.length; i++) {
      const gap = arrivals[i] - arrivals[i - 1];
      expect(gap).toBeGreaterThanOrEqual(expectedDelays[i] - 2);
      expect(gap).toBeLessThan(expectedDelays[i] + 1_500);
    }
  });

  it("gives up after the tenth attempt", async () => {
    const { sim, client, receiver } = await setUp({ webhookTimeFactor: 5e-6 });
    receiver.respondWith(() => 503);
    await register(client, { url: receiver.url });
    await client.createAccount({ registry: "VERRA" });
    await sim.control.whenWebhooksIdle();
    const [delivery] = sim.control.webhookDeliveries();
    expect(delivery.state).toBe("failed");
    expect(delivery.attempts).toHaveLength(10);
    expect(receiver.received).toHaveLength(10);
  });

  it("counts an endpoint that does not answer in time, or cannot be reached, as a failed attempt and retries it", async () => {
    // One endpoint accepts connections and never answers; the other has nothing listening.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    running.push({ close: () => new Promise<void>((resolve) => silent.close(() => resolve())) });
    const { sim, client } = await setUp({ webhookTimeFactor: 1e-7, webhookAttemptTimeoutMs: 150 });
    await register(client, { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hooks` });
    await register(client, { url: `http://127.0.0.1:${closedPort}/hooks` });
    await client.createAccount({ registry: "VERRA" });
    await sim.control.whenWebhooksIdle();
    const deliveries = sim.control.webhookDeliveries();
    expect(deliveries).toHaveLength(2);
    for (const delivery of deliveries) {
      expect(delivery.state).toBe("failed");
      expect(delivery.attempts).toHaveLength(10);
      expect(new Set(delivery.attempts.map((a) => a.outcome))).toEqual(new Set(["failed"]));
    }
    const errors = deliveries.map((d) => d.attempts[0].error);
    expect(errors).toContain("no answer before the attempt timeout");
    expect(errors.some((e) => /ECONNREFUSED/.test(e ?? ""))).toBe(true);
  });

  it("disables the endpoint on 410 Gone and sends it nothing more", async () => {
    const { sim, client, receiver } = await setUp();
    receiver.respondWith(() => 410);
    const endpoint = await register(client, { url: receiver.url });
    await client.createAccount({ registry: "VERRA" });
    await sim.control.whenWebhooksIdle();
    await client.createAccount({ registry: "VERRA" });
    await sim.control.whenWebhooksIdle();
    expect(receiver.received).toHaveLength(1);
    expect(sim.control.webhookDeliveries().map((d) => [d.state, d.attempts.length])).toEqual([["endpoint-disabled", 1]]);
    const after = await client.ok(client.get<WebhookEndpointDocument>(`/v1/webhook-endpoints/${endpoint.id}`));
    expect(after).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410/) });
  });
});

describe("webhook chaos (seeded)", () => {
  const chaos: Partial<WebhookChaos> = { duplicateRate: 0.25, dropDeliveryRate: 0.1, dropFirstAttemptRate: 0.2 };

  async function runChaos(seed: number, messages = 200) {
    const { sim, client, receiver } = await setUp({ seed, webhookTimeFactor: 1e-4, webhookChaos: chaos });
    await register(client, { url: receiver.url, eventTypes: ["account.created"] });
    createAccounts(sim, messages);
    await sim.control.whenWebhooksIdle();
    return { deliveries: sim.control.webhookDeliveries(), receiver };
  }

  it("duplicates, drops whole deliveries and drops first attempts at about the configured rates", async () => {
    const { deliveries, receiver } = await runChaos(7);
    const originals = deliveries.filter((d) => !d.duplicate);
    const duplicates = deliveries.filter((d) => d.duplicate);
    const dropped = deliveries.filter((d) => d.state === "dropped");
    const sent = deliveries.filter((d) => d.state !== "dropped");
    const firstDropped = sent.filter((d) => d.attempts[0].outcome === "dropped");
    expect(originals).toHaveLength(200);
    expect(duplicates.length).toBeGreaterThan(200 * 0.25 * 0.6);
    expect(duplicates.length).toBeLessThan(200 * 0.25 * 1.4);
    expect(dropped.length).toBeGreaterThan(deliveries.length * 0.1 * 0.5);
    expect(dropped.length).toBeLessThan(deliveries.length * 0.1 * 1.5);
    expect(firstDropped.length).toBeGreaterThan(sent.length * 0.2 * 0.6);
    expect(firstDropped.length).toBeLessThan(sent.length * 0.2 * 1.4);
    // every delivery that was not dropped arrives (a dropped first attempt is retried); copies share the webhook-id
    expect(sent.every((d) => d.state === "delivered")).toBe(true);
    expect(receiver.received).toHaveLength(sent.length);
    const receivedIds = receiver.received.map((w) => String(w.headers["webhook-id"]));
    const idsSentTwice = new Set(sent.map((d) => d.messageId).filter((id, i, all) => all.indexOf(id) !== i));
    expect(idsSentTwice.size).toBeGreaterThan(0);
    for (const id of idsSentTwice) expect(receivedIds.filter((r) => r === id)).toHaveLength(2);
  });

  it("makes the same choices for the same seed and other choices for another", async () => {
    const pattern = (deliveries: Awaited<ReturnType<typeof runChaos>>["deliveries"]) =>
      deliveries.map((d) => `${d.sequence}:${d.duplicate}:${d.state}:${d.attempts[0]?.outcome ?? "-"}`).join(" ");
    const first = pattern((await runChaos(21, 60)).deliveries);
    const second = pattern((await runChaos(21, 60)).deliveries);
    const other = pattern((await runChaos(22, 60)).deliveries);
    expect(second).toBe(first);
    expect(other).not.toBe(first);
  });

  it("reorders about the configured share of batches, and never without it", async () => {
    for (const reorderRate of [0.5, 0]) {
      const { sim, client, receiver } = await setUp({ seed: 5, webhookChaos: { reorderRate } });
      await register(client, { url: receiver.url, eventTypes: ["request.rejected"] });
      const batches = 40;
      for (let batch = 0; batch < batches; batch++) {
        for (let i = 0; i < 3; i++) sim.simulator.submit("redemption", { toAccountId: "VCS-NOPE", issuanceId: "VCS-1", quantity: 1n });
        sim.control.tick();
      }
      await sim.control.whenWebhooksIdle();
      const cursors = receiver.payloads().map((p) => Number(p.data.cursor));
      expect(cursors).toHaveLength(batches * 3);
      let outOfOrder = 0;
      for (let batch = 0; batch < batches; batch++) {
        const arrived = cursors.slice(batch * 3, batch * 3 + 3);
        expect([...arrived].sort((a, b) => a - b)).toEqual([batch * 3 + 1, batch * 3 + 2, batch * 3 + 3]);
        if (arrived.some((cursor, i) => i > 0 && cursor < arrived[i - 1])) outOfOrder++;
      }
      expect(outOfOrder).toBe(sim.control.webhookStats().reorderedBatches);
      if (reorderRate === 0) expect(outOfOrder).toBe(0);
      else {
        expect(outOfOrder).toBeGreaterThan(batches * reorderRate * 0.5);
        expect(outOfOrder).toBeLessThan(batches * reorderRate * 1.5);
      }
    }
  });
});
