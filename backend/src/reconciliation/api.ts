/**
 * Reconciliation API:
 *
 * | route | access | what |
 * |---|---|---|
 * | `GET /v1/reconciliation/incidents?status=open|resolved|all&kind=&limit=` | verifier, compliance, admin | incidents raised by differences past their SLA, newest first |
 * | `GET /v1/reconciliation/differences` | verifier, compliance, admin | the differences the latest run observed, with severity and age |
 */
import { z } from "zod";
import { defineRoute, type ApiModule } from "../api/route";
import type { Queryable } from "../db";
import { jsonSafe } from "../custody/json";
import { DIFFERENCE_KINDS } from "./differences";
import { listIncidents } from "./store";

export interface ReconciliationApiDeps {
  readonly pool: Queryable;
  readonly chainId: number;
}

const READERS = ["verifier", "compliance", "admin"] as const;

export function reconciliationApi(deps: ReconciliationApiDeps): ApiModule {
  return {
    name: "reconciliation",
    routes: [
      defineRoute({
        method: "get",
        path: "/v1/reconciliation/incidents",
        access: READERS,
        summary: "reconciliation incidents (differences past their SLA), newest first",
        query: z.object({
          status: z.enum(["open", "resolved", "all"]).default("open"),
          kind: z.enum(DIFFERENCE_KINDS).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        handler: async ({ query }) => ({ incidents: jsonSafe(await listIncidents(deps.pool, deps.chainId, query)) }),
      }),
      defineRoute({
        method: "get",
        path: "/v1/reconciliation/differences",
        access: READERS,
        summary: "differences observed by the latest reconciliation run, with kind, severity and age",
        handler: async () => {
          const { rows } = await deps.pool.query<Record<string, unknown>>(
            `SELECT difference_key, kind, severity, message, details, since, first_seen_at, last_seen_at
               FROM reconciliation_differences WHERE chain_id = $1 ORDER BY since, difference_key`,
            [deps.chainId],
          );
          const { rows: runs } = await deps.pool.query<Record<string, unknown>>(
            "SELECT finished_at, head_block, indexed_block, errors FROM reconciliation_runs WHERE chain_id = $1 ORDER BY id DESC LIMIT 1",
            [deps.chainId],
          );
          const now = Date.now();
          return jsonSafe({
            lastRun: runs[0] ?? null,
            differences: rows.map((r) => ({
              key: r.difference_key,
              kind: r.kind,
              severity: r.severity,
              message: r.message,
              details: r.details,
              since: r.since,
              ageMs: now - (r.since as Date).getTime(),
              firstSeenAt: r.first_seen_at,
              lastSeenAt: r.last_seen_at,
            })),
          });
        },
      }),
    ],
  };
}
