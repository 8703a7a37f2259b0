/**
 * Order book and settlement API:
 *
 * | route | access | what |
 * |---|---|---|
 * | `POST /v1/orders` | trader | post a signed order (verified against chain id, escrow, counter, fill state, expiry, maker eligibility); 201 new, 200 already there |
 * | `GET /v1/orders` | public | open orders (or `status=`), filtered by batch, registry, label, vintage, price range, seller, mode; cheapest first, `limit`/`offset` |
 * | `GET /v1/orders/:orderHash` | public | one order with its live status and remaining quantity |
 * | `GET /v1/trades/:tradeId` | signed in | an escrow trade with its settlement timeline (block numbers, times, tx hashes) |
 * | `GET /v1/trades?wallet=` | signed in | escrow trades and atomic fills of a wallet: your own, or any with compliance/admin |
 */
import type { PublicClient } from "viem";
import { z } from "zod";
import { ApiError, forbidden, notFound } from "../api/errors";
import { defineRoute, reply, type ApiModule } from "../api/route";
import type { Deployment } from "../chain/deployment";
import type pg from "pg";
import { LABELS } from "../domain/labels";
import { SettlementError } from "./errors";
import { addressSchema, bytes32Schema, SETTLEMENT_MODES, signedOrderSchema } from "./order";
import { getOrder, listOrders, ORDER_STATUSES, postOrder, type OrderBookDeps } from "./orderBook";
import { getTrade, tradesOfWallet } from "./trades";

export interface SettlementApiDeps {
  readonly pool: pg.Pool;
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
}

const decimal = (what: string) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,77})$/, `${what} must be a non-negative decimal integer`)
    .transform((v) => BigInt(v));

const pageFields = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

export const orderQuerySchema = z
  .object({
    status: z.enum([...ORDER_STATUSES, "any"] as const).optional(),
    batchId: decimal("batchId").optional(),
    registry: z.string().regex(/^[A-Z0-9_]{1,16}$/, "registry must be an upper-case registry code, e.g. VERRA").optional(),
    label: z.enum(LABELS).optional(),
    vintage: z.coerce.number().int().min(1990).max(2100).optional(),
    minPrice: decimal("minPrice").optional(),
    maxPrice: decimal("maxPrice").optional(),
    seller: addressSchema.optional(),
    mode: z.enum(SETTLEMENT_MODES).optional(),
    ...pageFields,
  })
  .strict()
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    path: ["minPrice"],
    message: "minPrice must not exceed maxPrice",
  });

const tradesQuerySchema = z.object({ wallet: addressSchema, ...pageFields }).strict();

async function settled<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof SettlementError) throw new ApiError(error.status, error.code, error.message, error.details);
    throw error;
  }
}

export function settlementApi(deps: SettlementApiDeps): ApiModule {
  const book: OrderBookDeps = { db: deps.pool, publicClient: deps.publicClient, deployment: deps.deployment };
  const chainId = deps.deployment.chainId;
  return {
    name: "settlement",
    routes: [
      defineRoute({
        method: "post",
        path: "/v1/orders",
        access: ["trader"],
        summary: "post a signed SettlementEscrow order to the order book (the signer must be the signed-in seller)",
        body: signedOrderSchema,
        handler: async ({ body, ctx }) => {
          const { created, order } = await settled(postOrder(book, body, ctx.session!.address));
          ctx.log.info({ orderHash: order.orderHash, created }, "order posted");
          return reply(created ? 201 : 200, order);
        },
      }),
      defineRoute({
        method: "get",
        path: "/v1/orders",
        access: "public",
        summary: "list orders (open by default) by batch, registry, label, vintage, price range, seller, mode; paginated",
        query: orderQuerySchema,
        handler: async ({ query }) => settled(listOrders(book, query)),
      }),
      defineRoute({
        method: "get",
        path: "/v1/orders/:orderHash",
        access: "public",
        summary: "one order with its status and remaining quantity",
        params: z.object({ orderHash: bytes32Schema }),
        handler: async ({ params }) => {
          const order = await settled(getOrder(book, params.orderHash));
          if (order === undefined) throw notFound(`order ${params.orderHash}`);
          return order;
        },
      }),
      defineRoute({
        method: "get",
        path: "/v1/trades/:tradeId",
        access: "signed_in",
        summary: "an escrow trade with its settlement timeline (agreed, locked, confirmed, released or refunded)",
        params: z.object({ tradeId: bytes32Schema }),
        handler: async ({ params }) => {
          const trade = await getTrade(deps.pool, chainId, params.tradeId);
          if (trade === undefined) throw notFound(`trade ${params.tradeId}`);
          return trade;
        },
      }),
      defineRoute({
        method: "get",
        path: "/v1/trades",
        access: "signed_in",
        summary: "escrow trades and atomic fills of a wallet (your own; any wallet for compliance and admin)",
        query: tradesQuerySchema,
        handler: async ({ query, ctx }) => {
          const session = ctx.session!;
          const privileged = session.roles.includes("compliance") || session.roles.includes("admin");
          if (!privileged && query.wallet.toLowerCase() !== session.address.toLowerCase()) {
            throw forbidden(`you may list only your own trades (${session.address}); ${query.wallet} needs the compliance or admin role`);
          }
          return tradesOfWallet(deps.pool, chainId, query.wallet, query);
        },
      }),
    ],
  };
}
