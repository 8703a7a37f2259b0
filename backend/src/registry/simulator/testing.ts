/**
 * Test support for code that talks to the registry simulator: a small JSON client, seeding
 * helpers (account, project, issuance per registry) and a webhook receiver that records raw
 * bodies and answers as told.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RegistryId } from "../../domain";
import { startRegistrySimulator, type RunningRegistrySimulator, type StartRegistrySimulatorOptions } from "./index";
import type { AccountDocument, IssuanceDocument, ProjectDocument, RequestDocument } from "./wire";

export interface JsonResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** Calls the simulator with JSON bodies; never throws on HTTP errors. */
export class SimulatorClient {
  constructor(readonly baseUrl: string) {}

  async call<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    return { status: response.status, headers: response.headers, body: (type.includes("json") && text !== "" ? JSON.parse(text) : text) as T };
  }

  get<T = unknown>(path: string, headers?: Record<string, string>) {
    return this.call<T>("GET", path, undefined, headers);
  }

  post<T = unknown>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.call<T>("POST", path, body, headers);
  }

  put<T = unknown>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.call<T>("PUT", path, body, headers);
  }

  /** The body of a 2xx answer. @throws Error with the answer otherwise. */
  async ok<T>(response: Promise<JsonResponse<T>>): Promise<T> {
    const answer = await response;
    if (answer.status < 200 || answer.status > 299) throw new Error(`HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  async createAccount(input: { registry: RegistryId; name?: string; country?: string; kind?: "holding" | "custody"; id?: string }): Promise<AccountDocument> {
    return this.ok(
      this.post<AccountDocument>("/v1/accounts", {
        name: `${input.registry} holder`,
        country: input.registry === "CCTS" ? "IN" : "KE",
        ...input,
      }),
    );
  }

  async createProject(input: Record<string, unknown> & { registry: RegistryId }): Promise<ProjectDocument> {
    return this.ok(this.post<ProjectDocument>("/v1/projects", { name: "Test project", country: "KE", sectoralScope: 1, ...input }));
  }

  async issue(input: Record<string, unknown> & { registry: RegistryId; projectId: string; accountId: string; quantity: number | string }) {
    const vintage = { VERRA: ["2020-01-01", "2020-12-31"], GOLD_STANDARD: ["2024-01-01", "2024-12-31"], CCTS: ["2025-04-01", "2026-03-31"] }[input.registry];
    return this.ok(this.post<IssuanceDocument>("/v1/issuances", { vintageStart: vintage[0], vintageEnd: vintage[1], ...input }));
  }

  /** Submits a native request (`kind` is the route segment, e.g. "locks"). */
  async submit(route: string, body: unknown, idempotencyKey?: string): Promise<JsonResponse<RequestDocument>> {
    return this.post<RequestDocument>(`/v1/${route}`, body, idempotencyKey === undefined ? {} : { "Idempotency-Key": idempotencyKey });
  }

  async request(id: string): Promise<RequestDocument> {
    return this.ok(this.get<RequestDocument>(`/v1/requests/${id}`));
  }
}

/** A holder account with one freshly issued block in `registry`. */
export async function seedHolding(
  client: SimulatorClient,
  registry: RegistryId,
  quantity: number | string = 1000,
  project: Record<string, unknown> = {},
): Promise<{ account: AccountDocument; project: ProjectDocument; issuance: IssuanceDocument }> {
  const account = await client.createAccount({ registry });
  const projectDefaults: Record<RegistryId, Record<string, unknown>> = {
    VERRA: { methodology: "VM0015", sectoralScope: 14, country: "ET" },
    GOLD_STANDARD: { projectTypeCode: 16, sectoralScope: 3, country: "KE" },
    CCTS: { sectoralScope: 4, country: "IN" },
  };
  const created = await client.createProject({ registry, ...projectDefaults[registry], ...project });
  const issuance = await client.issue({ registry, projectId: created.id, accountId: account.id, quantity });
  return { account, project: created, issuance };
}

/** A simulator for tests: manual cycles, seed 7, unless told otherwise. */
export async function startTestSimulator(options: StartRegistrySimulatorOptions = {}): Promise<{ sim: RunningRegistrySimulator; client: SimulatorClient }> {
  const sim = await startRegistrySimulator({ seed: 7, cycleMs: null, ...options });
  return { sim, client: new SimulatorClient(sim.url) };
}

export interface ReceivedWebhook {
  readonly rawBody: string;
  readonly headers: IncomingHttpHeaders;
  /** Milliseconds since the receiver started. */
  readonly receivedAt: number;
}

/** Decides the status of the `attempt`-th (1-based) call the receiver gets for a webhook-id. */
export type WebhookResponder = (webhook: ReceivedWebhook, attempt: number) => number;

/** An HTTP server standing in for a webhook consumer. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  readonly #attempts = new Map<string, number>();
  readonly #started = performance.now();
  #responder: WebhookResponder = () => 204;

  readonly #server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      res.statusCode = this.#record(Buffer.concat(chunks).toString("utf8"), req.headers);
      res.end();
    });
  });

  private constructor() {}

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.#server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks`;
  }

  respondWith(responder: WebhookResponder): void {
    this.#responder = responder;
  }

  /** Parsed payloads in arrival order. */
  payloads(): { type: string; timestamp: string; data: Record<string, string | null> }[] {
    return this.received.map((webhook) => JSON.parse(webhook.rawBody));
  }

  #record(rawBody: string, headers: IncomingHttpHeaders): number {
    const webhook: ReceivedWebhook = { rawBody, headers, receivedAt: performance.now() - this.#started };
    this.received.push(webhook);
    const id = String(headers["webhook-id"]);
    const attempt = (this.#attempts.get(id) ?? 0) + 1;
    this.#attempts.set(id, attempt);
    return this.#responder(webhook, attempt);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/** Polls `probe` until it returns a value other than undefined. @throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
