/**
 * Prometheus metrics of registry synchronisation (prom-client), held in their own registry so a
 * process can serve them at `/metrics` and the API can merge them into its own:
 *
 * | metric                                              | type      | labels          |
 * |-----------------------------------------------------|-----------|-----------------|
 * | carbonclear_sync_confirmation_latency_seconds       | histogram | kind            |
 * | carbonclear_sync_queue_depth                        | gauge     |                 |
 * | carbonclear_sync_webhook_failures_total             | counter   | reason          |
 * | carbonclear_sync_webhooks_received_total            | counter   | outcome         |
 * | carbonclear_sync_attestations_total                 | counter   | outcome         |
 * | carbonclear_oracle_signatures_total                 | counter   | signer, kind    |
 *
 * Latency is from the registry's confirmation (the change's timestamp) to the block that carried
 * the attestation.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface SyncMetrics {
  readonly registry: Registry;
  readonly confirmationLatency: Histogram<"kind">;
  readonly webhookFailures: Counter<"reason">;
  readonly webhooksReceived: Counter<"outcome">;
  readonly attestations: Counter<"outcome">;
  readonly signatures: Counter<"signer" | "kind">;
  /** Sets where the queue depth gauge reads from (the job queue, once started). */
  setQueueDepthSource(read: () => Promise<number>): void;
}

export function createSyncMetrics(): SyncMetrics {
  const registry = new Registry();
  let readDepth: (() => Promise<number>) | undefined;
  const metrics: SyncMetrics = {
    registry,
    confirmationLatency: new Histogram({
      name: "carbonclear_sync_confirmation_latency_seconds",
      help: "Registry confirmation to on-chain confirmation, seconds",
      labelNames: ["kind"],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    }),
    webhookFailures: new Counter({
      name: "carbonclear_sync_webhook_failures_total",
      help: "Registry webhooks refused (bad signature, stale timestamp, malformed body, unknown source)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    webhooksReceived: new Counter({
      name: "carbonclear_sync_webhooks_received_total",
      help: "Registry webhooks accepted, by whether they were new or a duplicate webhook-id",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    attestations: new Counter({
      name: "carbonclear_sync_attestations_total",
      help: "Registry operations settled by the pipeline, by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    signatures: new Counter({
      name: "carbonclear_oracle_signatures_total",
      help: "Attestations signed by each oracle node",
      labelNames: ["signer", "kind"],
      registers: [registry],
    }),
    setQueueDepthSource(read) {
      readDepth = read;
    },
  };
  new Gauge({
    name: "carbonclear_sync_queue_depth",
    help: "Registry operations waiting in the sync job queue",
    registers: [registry],
    async collect() {
      this.set(readDepth === undefined ? 0 : await readDepth().catch(() => 0));
    },
  });
  return metrics;
}
