/**
 * Custody chain API (public: every step is public on-chain, and auditors read it without an account):
 *
 * | route | what |
 * |---|---|
 * | `GET /v1/custody/batches/:batchId` | the batch, its registry side (lock and current registry pieces) and every custody step |
 * | `GET /v1/custody/serials/:registry/:serial?scope=` | the steps whose serial range holds one registry serial number |
 * | `GET /v1/custody/wallets/:address` | every custody step where the wallet is sender or receiver |
 *
 * `limit` (1..5000, default 500) and `after` (the `next` cursor of the previous page) page through steps.
 */
import { z } from "zod";
import { ApiError, notFound } from "../api/errors";
import { defineRoute, type ApiModule } from "../api/route";
import type { Queryable } from "../db";
import { REGISTRY_IDS } from "../domain";
import { custodyChain, InvalidCursorError, type CustodyPage, type CustodySubject } from "./custodyChain";
import { jsonSafe } from "./json";
import type { RegistryAdapters } from "./registryView";

export interface CustodyApiDeps {
  readonly pool: Queryable;
  readonly chainId: number;
  readonly registries?: RegistryAdapters;
}

const uint = (what: string, max = 78) =>
  z
    .string()
    .regex(new RegExp(`^(0|[1-9][0-9]{0,${max - 1}})$`), `${what} must be a non-negative decimal integer`)
    .transform((v) => BigInt(v));

const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(5000).default(500),
  after: z
    .string()
    .regex(/^\d{1,20}:\d{1,9}:\d{1,9}$/, "after must be the `next` cursor of a previous page (<block>:<logIndex>:<seq>)")
    .optional(),
});

export function custodyApi(deps: CustodyApiDeps): ApiModule {
  const run = async (subject: CustodySubject, page: CustodyPage, what: string) => {
    try {
      const chain = await custodyChain({ db: deps.pool, chainId: deps.chainId, registries: deps.registries }, subject, page);
      if (chain === undefined) throw notFound(what);
      return jsonSafe(chain);
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new ApiError(400, "INVALID_REQUEST", error.message);
      throw error;
    }
  };
  return {
    name: "custody",
    routes: [
      defineRoute({
        method: "get",
        path: "/v1/custody/batches/:batchId",
        access: "public",
        summary: "custody chain of a batch: registry lock, tokenization, transfers, escrow, retirement/redemption, with attestations",
        params: z.object({ batchId: uint("batchId") }),
        query: pageQuery,
        handler: ({ params, query }) => run({ kind: "batch", batchId: params.batchId }, query, `batch ${params.batchId}`),
      }),
      defineRoute({
        method: "get",
        path: "/v1/custody/serials/:registry/:serial",
        access: "public",
        summary: "custody steps of one registry serial number (tokenization, retirement, redemption)",
        params: z.object({ registry: z.enum(REGISTRY_IDS), serial: uint("serial", 20) }),
        query: pageQuery.extend({ scope: uint("scope", 20).default(0n) }),
        handler: ({ params, query }) =>
          run(
            { kind: "serial", registry: params.registry, serialScope: query.scope, serial: params.serial },
            query,
            `${params.registry} serial ${params.serial} (scope ${query.scope})`,
          ),
      }),
      defineRoute({
        method: "get",
        path: "/v1/custody/wallets/:address",
        access: "public",
        summary: "custody steps where a wallet sent or received credits",
        params: z.object({ address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "address must be a 20-byte 0x address") }),
        query: pageQuery,
        handler: ({ params, query }) => run({ kind: "wallet", wallet: params.address }, query, `wallet ${params.address}`),
      }),
    ],
  };
}
