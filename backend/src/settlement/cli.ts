/**
 * `carbonclear orders list|show` and `carbonclear trades show`: the order book and escrow trade
 * timelines from the platform database (orders as posted, status from the indexer's read model)
 * and the chain (current block time for expiry).
 */
import type { Hex } from "viem";
import { CliError, EXIT, type CliContext, type RegisterCommands } from "../cli/command";
import { bytes32Schema } from "./order";
import { orderQuerySchema } from "./api";
import { getOrder, listOrders, type BookOrder, type OrderBookDeps } from "./orderBook";
import { getTrade } from "./trades";

interface ListOptions {
  status?: string;
  batch?: string;
  registry?: string;
  label?: string;
  vintage?: string;
  minPrice?: string;
  maxPrice?: string;
  seller?: string;
  mode?: string;
  limit?: string;
  offset?: string;
}

/** Option name on the command line for each filter field (for error messages). */
const OPTION_OF: Record<string, string> = {
  batchId: "--batch",
  minPrice: "--min-price",
  maxPrice: "--max-price",
};

/** Base units of the 6-decimal stablecoin as a decimal amount. */
function units6(value: string): string {
  const n = BigInt(value);
  const whole = n / 1_000_000n;
  const fraction = (n % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return fraction === "" ? whole.toString() : `${whole}.${fraction}`;
}

function parseHash(value: string, what: string): Hex {
  const parsed = bytes32Schema.safeParse(value);
  if (!parsed.success) throw new CliError(`${what} must be a 0x-prefixed 32-byte hex string, got ${JSON.stringify(value)}`, EXIT.USAGE);
  return parsed.data;
}

async function bookDeps(ctx: CliContext): Promise<OrderBookDeps> {
  const [database, chain] = await Promise.all([ctx.openDatabase(), ctx.chain()]);
  if (chain.deployment.contracts.escrow === undefined) throw new CliError("the deployment has no SettlementEscrow", EXIT.UNAVAILABLE);
  return { db: database.pool, publicClient: chain.publicClient, deployment: chain.deployment };
}

function row(o: BookOrder): Record<string, unknown> {
  return {
    order: `${o.orderHash.slice(0, 10)}…`,
    seller: o.order.seller,
    batch: o.order.batchId,
    registry: o.batch?.registry ?? "?",
    remaining: Number(o.remaining),
    quantity: Number(o.order.quantity),
    price: units6(o.order.pricePerTonne),
    mode: o.order.mode,
    status: o.status,
    expires: new Date(Number(o.order.expiry) * 1000).toISOString(),
  };
}

export const registerSettlementCommands: RegisterCommands = (program, context) => {
  const orders = program.command("orders").description("the settlement order book (signed SettlementEscrow orders)");
  orders
    .command("list")
    .description("orders, open by default, cheapest first")
    .option("--status <status>", "open, filled, cancelled, voided, expired or any")
    .option("--batch <id>", "credit batch id")
    .option("--registry <code>", "registry, e.g. VERRA, GOLD_STANDARD")
    .option("--label <label>", "CCP, CORSIA or ARTICLE6_AUTHORIZED")
    .option("--vintage <year>", "a vintage year the batch covers")
    .option("--min-price <units>", "lowest price per tonne, stablecoin base units")
    .option("--max-price <units>", "highest price per tonne, stablecoin base units")
    .option("--seller <address>", "seller wallet")
    .option("--mode <mode>", "atomic or escrow")
    .option("--limit <n>", "page size (1-200)", "50")
    .option("--offset <n>", "rows to skip", "0")
    .action(async (options: ListOptions) => {
      const ctx = context();
      const { batch, ...rest } = options;
      const parsed = orderQuerySchema.safeParse({ ...rest, ...(batch === undefined ? {} : { batchId: batch }) });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = String(issue.path[0] ?? "");
        const option = OPTION_OF[field] ?? `--${field}`;
        throw new CliError(`${option}: ${issue.message}`, EXIT.USAGE);
      }
      const { orders: found, total } = await listOrders(await bookDeps(ctx), parsed.data);
      ctx.out.result(() => {
        ctx.out.table(found.map(row), ["order", "seller", "batch", "registry", "remaining", "quantity", "price", "mode", "status", "expires"]);
        ctx.out.line(`${found.length} of ${total} order(s)`);
      }, { orders: found, total });
    });
  orders
    .command("show <orderHash>")
    .description("one order: its signed fields, status, filled and remaining quantity")
    .action(async (hash: string) => {
      const ctx = context();
      const orderHash = parseHash(hash, "orderHash");
      const order = await getOrder(await bookDeps(ctx), orderHash);
      if (order === undefined) throw new CliError(`order ${orderHash} is not in the order book`, EXIT.NOT_FOUND);
      ctx.out.result(() => {
        ctx.out.table(
          [
            ...Object.entries(order.order).map(([field, value]) => ({ field, value: value ?? "(anyone)" })),
            { field: "status", value: order.status },
            { field: "filled", value: order.filled },
            { field: "remaining", value: order.remaining },
            { field: "registry", value: order.batch?.registry ?? "(batch not indexed yet)" },
            { field: "labels", value: order.batch?.labels.join(", ") ?? "" },
          ],
          ["field", "value"],
        );
      }, order);
    });

  const trades = program.command("trades").description("escrow trades and their settlement timelines");
  trades
    .command("show <tradeId>")
    .description("an escrow trade: parties, amounts, and every transition with block, time and transaction")
    .action(async (id: string) => {
      const ctx = context();
      const tradeId = parseHash(id, "tradeId");
      const database = await ctx.openDatabase();
      const { deployment } = await ctx.chain();
      const trade = await getTrade(database.pool, deployment.chainId, tradeId);
      if (trade === undefined) throw new CliError(`trade ${tradeId} is not in the read model (is the indexer running?)`, EXIT.NOT_FOUND);
      ctx.out.result(() => {
        ctx.out.line(`trade ${trade.tradeId}: ${trade.status}`);
        ctx.out.line(
          `${trade.trade.quantity} t of batch ${trade.trade.batchId} from ${trade.trade.seller} to ${trade.trade.buyer} for ${units6(trade.trade.amount)} (fee ${units6(trade.trade.fee)}), release by ${new Date(Number(trade.trade.releaseDeadline) * 1000).toISOString()}`,
        );
        ctx.out.table(
          trade.timeline.map((s) => ({ step: s.step, block: s.blockNumber, time: s.blockTime, tx: s.txHash, registryRef: s.registryRef ?? "" })),
          ["step", "block", "time", "tx", "registryRef"],
        );
      }, trade);
    });
};
