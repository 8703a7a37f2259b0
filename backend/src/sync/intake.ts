/**
 * Registry webhook intake. A webhook is only a hint (the oracle nodes read the registry
 * themselves), but it is handled as if it were money:
 * 1. the Standard Webhooks signature is verified against the RAW body with the source's secret,
 *    and a timestamp more than 5 minutes off is refused (the `standardwebhooks` library);
 * 2. the event is stored in `sync_webhook_events`, idempotent on `webhook-id` (a duplicate is
 *    acknowledged and changes nothing), and a registry operation it reports as settled
 *    (COMPLETED or REJECTED) is recorded in `sync_operations` — in one transaction;
 * 3. only then are new operations handed to the pipeline and the sender gets its 2xx.
 * A refused webhook changes nothing and gets an error naming what was wrong.
 */
import type pg from "pg";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { z } from "zod";
import { webhookPayloadSchema } from "../registry/simulator/wire";
import { registryIdSchema, type RegistryId } from "../domain";
import type { SyncMetrics } from "./metrics";
import { recordOperations, type OperationRef } from "./operations";

/** Name of the registry simulator's webhook source (`/v1/webhooks/registry/simulator`). */
export const WEBHOOK_SOURCE = "simulator";

/** A configured webhook source: its name in the URL and its `whsec_` secret. */
export interface WebhookSource {
  readonly name: string;
  readonly secret: string;
}

export interface WebhookIntakeDeps {
  readonly pool: pg.Pool;
  readonly sources: readonly WebhookSource[];
  /** Hands newly recorded operations to the pipeline (after they are stored). */
  readonly enqueue: (operations: readonly OperationRef[]) => Promise<void>;
  readonly metrics?: SyncMetrics;
}

export type IntakeResult =
  | { readonly status: 200; readonly body: { readonly received: true; readonly duplicate: boolean; readonly operations: number } }
  | { readonly status: 400 | 401 | 404; readonly body: { readonly error: { readonly code: string; readonly message: string } } };

/** Events that report a registry operation's final state. */
const operationSettledSchema = z.object({
  registry: registryIdSchema,
  operationId: z.string().min(1).max(128),
  status: z.enum(["PENDING", "COMPLETED", "REJECTED"]),
});

export function createWebhookIntake(deps: WebhookIntakeDeps) {
  const verifiers = new Map(deps.sources.map((source) => [source.name, new Webhook(source.secret)]));

  const refuse = (status: 400 | 401 | 404, code: string, message: string): IntakeResult => {
    deps.metrics?.webhookFailures.inc({ reason: code });
    return { status, body: { error: { code, message } } };
  };

  /** Handles one delivery of `source`; `rawBody` must be the exact bytes received. */
  return async function receive(source: string, rawBody: Buffer | undefined, headers: Record<string, string | string[] | undefined>): Promise<IntakeResult> {
    const verifier = verifiers.get(source);
    if (verifier === undefined) return refuse(404, "UNKNOWN_SOURCE", `no webhook source ${JSON.stringify(source)} is configured`);
    if (rawBody === undefined) return refuse(400, "MISSING_BODY", "the request has no body");
    const flat: Record<string, string> = {};
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const value = headers[name];
      if (typeof value === "string") flat[name] = value;
    }
    try {
      verifier.verify(rawBody, flat, { jsonParse: false });
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        const stale = /timestamp/i.test(error.message);
        return refuse(401, stale ? "STALE_TIMESTAMP" : "INVALID_SIGNATURE", `webhook refused: ${error.message}`);
      }
      throw error;
    }
    const webhookId = flat["webhook-id"];
    if (webhookId.length > 200) return refuse(400, "INVALID_WEBHOOK_ID", "webhook-id is longer than 200 characters");
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString("utf8"));
    } catch {
      return refuse(400, "MALFORMED_BODY", "the body is not JSON");
    }
    const payload = webhookPayloadSchema.safeParse(json);
    if (!payload.success) {
      return refuse(400, "MALFORMED_BODY", payload.error.issues.map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`).join("; "));
    }
    const event = payload.data;
    const settled = event.type === "operation.updated" ? operationSettledSchema.safeParse(event.data) : undefined;
    if (settled !== undefined && !settled.success) {
      return refuse(400, "MALFORMED_BODY", settled.error.issues.map((i) => `data.${i.path.map(String).join(".")}: ${i.message}`).join("; "));
    }

    const client = await deps.pool.connect();
    let duplicate = false;
    let created: OperationRef[] = [];
    try {
      await client.query("BEGIN");
      const inserted = await client.query(
        `INSERT INTO sync_webhook_events (webhook_id, source, event_type, payload) VALUES ($1, $2, $3, $4)
         ON CONFLICT (webhook_id) DO NOTHING RETURNING webhook_id`,
        [webhookId, source, event.type, JSON.stringify(event)],
      );
      duplicate = inserted.rowCount === 0;
      if (!duplicate && settled?.success === true && settled.data.status !== "PENDING") {
        created = await recordOperations(client, [
          { registry: settled.data.registry as RegistryId, operationId: settled.data.operationId, confirmedAt: event.timestamp },
        ], "webhook");
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    deps.metrics?.webhooksReceived.inc({ outcome: duplicate ? "duplicate" : "new" });
    if (created.length > 0) await deps.enqueue(created);
    return { status: 200, body: { received: true, duplicate, operations: created.length } };
  };
}

export type WebhookIntake = ReturnType<typeof createWebhookIntake>;
