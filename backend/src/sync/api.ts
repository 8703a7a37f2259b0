/**
 * The sync capability's API routes:
 *
 *   POST /v1/webhooks/registry/:source   registry webhooks (Standard Webhooks; the signature is the
 *                                        authentication, so the route is public) → 200 / 400 / 401 / 404
 *   GET  /v1/sync/operations             registry operations and what became of them (compliance, admin)
 *
 * The webhook handler verifies the raw body, stores the event and the operation before answering
 * (see `intake.ts`). Without `enqueue` (an API process that runs no worker) the operations are
 * picked up by the sync worker's sweep of queued operations.
 */
import type pg from "pg";
import { z } from "zod";
import { ApiError } from "../api/errors";
import { defineRoute, reply, type ApiModule } from "../api/route";
import { createWebhookIntake, type WebhookSource } from "./intake";
import type { SyncMetrics } from "./metrics";
import { listOperations, type OperationRef } from "./operations";

export interface SyncApiDeps {
  readonly pool: pg.Pool;
  readonly sources: readonly WebhookSource[];
  readonly enqueue?: (operations: readonly OperationRef[]) => Promise<void>;
  readonly metrics?: SyncMetrics;
}

const sourceParams = z.object({ source: z.string().regex(/^[a-z0-9_-]{1,64}$/, { message: "must be 1-64 lower-case letters, digits, _ or -" }) });
const operationsQuery = z.object({
  state: z.enum(["queued", "applied", "already-done", "refused", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function syncApi(deps: SyncApiDeps): ApiModule {
  const intake = createWebhookIntake({ pool: deps.pool, sources: deps.sources, enqueue: deps.enqueue ?? (async () => undefined), metrics: deps.metrics });
  return {
    name: "sync",
    routes: [
      defineRoute({
        method: "post",
        path: "/v1/webhooks/registry/:source",
        access: "public",
        summary: "Registry webhook intake (Standard Webhooks signature over the raw body; idempotent on webhook-id)",
        params: sourceParams,
        bodyLimit: 256 * 1024,
        handler: async ({ params, ctx }) => {
          const result = await intake(params.source, ctx.rawBody, ctx.headers);
          if (result.status !== 200) throw new ApiError(result.status, result.body.error.code, result.body.error.message);
          return reply(200, result.body);
        },
      }),
      defineRoute({
        method: "get",
        path: "/v1/sync/operations",
        access: ["compliance", "admin"],
        summary: "Registry operations carried to the chain, with state, attempts, transaction and last error",
        query: operationsQuery,
        handler: async ({ query }) => {
          const rows = await listOperations(deps.pool, { state: query.state, limit: query.limit });
          return {
            operations: rows.map((row) => ({
              ...row,
              registryConfirmedAt: row.registryConfirmedAt.toISOString(),
              appliedAt: row.appliedAt?.toISOString() ?? null,
            })),
          };
        },
      }),
    ],
  };
}
