/**
 * Registry webhook intake. A webhook is only a hint (the oracle nodes read the registry
 * themselves), but it is handled as if it were money:
 * 1. the Standard Webhooks signature is verified against the RAW body with the source's secret,
 *    and a timestamp more than 5 minutes off is refused (the `standardwebhooks` library);
 * 2. the event is stored in `sync_webhook_events`, idempotent on `webhook-id` (a duplicate is
 *    acknowledged and changes nothing), and a registry operation it reports as settled
 *    (COMPLETED or REJECTED) is recorded in `sync_operations` — in one transaction;
 * 3. only then are new operations handed to the pipeline and the sender gets its 2xx.
 * Deliveries arriving together share one transaction (group commit), so concurrent deliveries cost
 * one write, not one each.
 * A refused webhook changes nothing and gets an error naming what was wrong.
 */
import type pg from "pg";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { z } from "zod";
import { webhookPayloadSchema } from "../registry/simulator/wire";
import { registryIdSchema, type RegistryId } from "../domain";
import type { SyncMetrics } from "./metrics";
import { operationKey, recordOperations, type OperationRef, type SettledOperation } from "./operations";

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

/** Most events stored in one transaction. */
const MAX_EVENTS_PER_WRITE = 500;

interface EventRecord {
  readonly webhookId: string;
  readonly source: string;
  readonly eventType: string;
  readonly payload: string;
  /** The settled operation the event reports, if any. */
  readonly operation: SettledOperation | null;
}

interface StoreResult {
  readonly duplicate: boolean;
  readonly created: readonly OperationRef[];
}

interface PendingWrite {
  readonly record: EventRecord;
  readonly resolve: (result: StoreResult) => void;
  readonly reject: (error: unknown) => void;
}

export function createWebhookIntake(deps: WebhookIntakeDeps) {
  const verifiers = new Map(deps.sources.map((source) => [source.name, new Webhook(source.secret)]));

  const refuse = (status: 400 | 401 | 404, code: string, message: string): IntakeResult => {
    deps.metrics?.webhookFailures.inc({ reason: code });
    return { status, body: { error: { code, message } } };
  };

  /**
   * Group commit: deliveries that arrive while a write is in progress are stored together in the
   * next transaction (one round of statements for many events); each caller's promise settles only
   * after the transaction holding its event committed and its new operations were handed on.
   */
  const waiting: PendingWrite[] = [];
  let writing = false;
  const store = (record: EventRecord): Promise<StoreResult> =>
    new Promise<StoreResult>((resolve, reject) => {
      waiting.push({ record, resolve, reject });
      if (!writing) {
        writing = true;
        setImmediate(() => void drain());
      }
    });
  const drain = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting.splice(0, MAX_EVENTS_PER_WRITE);
      try {
        const results = await writeEvents(batch.map((w) => w.record));
        batch.forEach((w, i) => w.resolve(results[i]));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    writing = false;
  };

  /** Stores the events in one transaction, then hands their new operations to the pipeline. */
  const writeEvents = async (records: readonly EventRecord[]): Promise<StoreResult[]> => {
    const client = await deps.pool.connect();
    let results: StoreResult[];
    const created: OperationRef[] = [];
    try {
      await client.query("BEGIN");
      const inserted = await client.query<{ webhook_id: string }>(
        `INSERT INTO sync_webhook_events (webhook_id, source, event_type, payload)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
         ON CONFLICT (webhook_id) DO NOTHING RETURNING webhook_id`,
        [records.map((r) => r.webhookId), records.map((r) => r.source), records.map((r) => r.eventType), records.map((r) => r.payload)],
      );
      const fresh = new Set(inserted.rows.map((row) => row.webhook_id));
      // A webhook-id twice in one write: the first copy is new, the second a duplicate.
      results = records.map((r) => {
        const isNew = fresh.delete(r.webhookId);
        return { duplicate: !isNew, created: [] as OperationRef[] };
      });
      const toRecord = records.flatMap((r, i) => (!results[i].duplicate && r.operation !== null ? [r.operation] : []));
      const recorded = await recordOperations(client, toRecord, "webhook");
      const recordedKeys = new Set(recorded.map((op) => operationKey(op.registry, op.operationId)));
      results = records.map((r, i) => {
        if (results[i].duplicate || r.operation === null) return results[i];
        const key = operationKey(r.operation.registry, r.operation.operationId);
        if (!recordedKeys.delete(key)) return results[i];
        const ref = { registry: r.operation.registry, operationId: r.operation.operationId };
        created.push(ref);
        return { duplicate: false, created: [ref] };
      });
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    if (created.length > 0) await deps.enqueue(created);
    return results;
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

    const settledOperation =
      settled?.success === true && settled.data.status !== "PENDING"
        ? { registry: settled.data.registry as RegistryId, operationId: settled.data.operationId, confirmedAt: event.timestamp }
        : null;
    const { duplicate, created } = await store({ webhookId, source, eventType: event.type, payload: JSON.stringify(event), operation: settledOperation });
    deps.metrics?.webhooksReceived.inc({ outcome: duplicate ? "duplicate" : "new" });
    return { status: 200, body: { received: true, duplicate, operations: created.length } };
  };
}

export type WebhookIntake = ReturnType<typeof createWebhookIntake>;
