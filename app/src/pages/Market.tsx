import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSession } from "../session";
import { buy, cancel, filterOrders, loadOrders, sell, type ListedOrder, type OrderFilter } from "../chain/orders";
import { useTransaction } from "../useTransaction";
import { TxStatus } from "../components/TxStatus";
import { ErrorBox } from "../components/ErrorBox";
import { formatTonnes, formatUsd, formatVintage, labelNames, LABELS, parseUsd, shortAddress } from "../format";

export function Market() {
  const { info, api, publicClient } = useSession();
  const [filter, setFilter] = useState<OrderFilter>({});
  const orders = useQuery({ queryKey: ["orders"], queryFn: () => loadOrders(api, publicClient, info), refetchInterval: 4000 });
  const registries = [...new Set((orders.data ?? []).map((o) => o.registry))].sort();
  return (
    <section>
      <h2>Market</h2>
      <div className="filters">
        <label>
          registry{" "}
          <select value={filter.registry ?? ""} onChange={(e) => setFilter({ ...filter, registry: e.target.value || undefined })}>
            <option value="">any</option>
            {registries.map((r) => <option key={r}>{r}</option>)}
          </select>
        </label>
        <label>
          vintage <input type="number" placeholder="any" onChange={(e) => setFilter({ ...filter, vintage: e.target.value === "" ? undefined : Number(e.target.value) })} />
        </label>
        <label>
          label{" "}
          <select onChange={(e) => setFilter({ ...filter, labelBit: e.target.value === "" ? undefined : Number(e.target.value) })}>
            <option value="">any</option>
            {LABELS.map((l) => <option key={l.bit} value={l.bit}>{l.name}</option>)}
          </select>
        </label>
        <label>
          max price $/t <input placeholder="any" onChange={(e) => setFilter({ ...filter, maxPrice: parseUsd(e.target.value) })} />
        </label>
      </div>
      {orders.isPending && <p className="pending">Loading open orders…</p>}
      {orders.isError && <ErrorBox error={orders.error} />}
      {orders.data && <OrderTable orders={filterOrders(orders.data, filter)} />}
      <SellForm />
    </section>
  );
}

function OrderTable({ orders }: { orders: ListedOrder[] }) {
  if (orders.length === 0) return <p className="muted">No open orders match.</p>;
  return (
    <table data-testid="orders">
      <thead>
        <tr><th>batch</th><th>registry</th><th>project</th><th>vintage</th><th>labels</th><th>price</th><th>available</th><th>min fill</th><th>seller</th><th></th></tr>
      </thead>
      <tbody>
        {orders.map((o) => <OrderRow key={o.orderHash} listed={o} />)}
      </tbody>
    </table>
  );
}

function OrderRow({ listed }: { listed: ListedOrder }) {
  const { info, publicClient, walletClient, address } = useSession();
  const queryClient = useQueryClient();
  const [quantity, setQuantity] = useState("");
  const tx = useTransaction();
  const mine = address !== undefined && address.toLowerCase() === listed.order.seller.toLowerCase();
  const q = /^\d+$/.test(quantity) ? BigInt(quantity) : 0n;
  const onBuy = () =>
    tx.run(async (progress) => {
      if (walletClient === undefined || address === undefined) throw new Error("Connect a wallet first.");
      if (q === 0n) throw new Error("Enter how many tonnes to buy (a whole number).");
      await buy(publicClient, walletClient, info, address, listed, q, progress);
      await queryClient.invalidateQueries();
      return `Bought ${q} t for ${formatUsd(listed.order.pricePerTonne * q)}; the trade settled.`;
    });
  const onCancel = () =>
    tx.run(async (progress) => {
      if (walletClient === undefined || address === undefined) throw new Error("Connect a wallet first.");
      await cancel(publicClient, walletClient, info, address, listed.order, progress);
      await queryClient.invalidateQueries();
      return "Order cancelled.";
    });
  return (
    <tr data-order={listed.orderHash}>
      <td>{listed.order.batchId.toString()}</td>
      <td>{listed.registry}</td>
      <td>{listed.projectId}</td>
      <td>{formatVintage(listed.vintageStart, listed.vintageEnd)}</td>
      <td>{labelNames(listed.labels).join(", ") || "—"}</td>
      <td>{formatUsd(listed.order.pricePerTonne)}/t</td>
      <td>{formatTonnes(listed.remaining)}</td>
      <td>{formatTonnes(listed.order.minFill)}</td>
      <td title={listed.order.seller}>{mine ? "you" : shortAddress(listed.order.seller)}</td>
      <td>
        {mine ? (
          <button onClick={onCancel} disabled={tx.state.phase === "pending"}>Cancel</button>
        ) : (
          <>
            <input aria-label="tonnes to buy" size={5} value={quantity} onChange={(e) => setQuantity(e.target.value.trim())} placeholder="t" />
            <button onClick={onBuy} disabled={tx.state.phase === "pending"}>Buy</button>
          </>
        )}
        <TxStatus state={tx.state} />
      </td>
    </tr>
  );
}

function SellForm() {
  const { info, api, publicClient, walletClient, address, signedIn } = useSession();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ batchId: "", quantity: "", price: "", minFill: "1", days: "7" });
  const tx = useTransaction();
  const field = (name: keyof typeof form, label: string) => (
    <label>
      {label} <input name={name} value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
    </label>
  );
  const onSell = () =>
    tx.run(async (progress) => {
      if (walletClient === undefined || address === undefined) throw new Error("Connect a wallet first.");
      if (!signedIn) throw new Error("Sign in to publish orders.");
      const whole = (v: string, what: string) => {
        if (!/^\d+$/.test(v.trim()) || BigInt(v.trim()) === 0n) throw new Error(`${what} must be a whole number above zero.`);
        return BigInt(v.trim());
      };
      const batchId = whole(form.batchId, "Batch");
      const quantity = whole(form.quantity, "Quantity");
      const minFill = whole(form.minFill, "Minimum fill");
      if (minFill > quantity) throw new Error("The minimum fill cannot exceed the quantity.");
      const pricePerTonne = parseUsd(form.price);
      if (pricePerTonne === undefined || pricePerTonne === 0n) throw new Error("Price must be a dollar amount above zero, e.g. 12.50.");
      const expiry = BigInt(Math.floor(Date.now() / 1000)) + whole(form.days, "Validity (days)") * 86_400n;
      await sell(publicClient, walletClient, api, info, address, { batchId, quantity, pricePerTonne, minFill, expiry }, progress);
      await queryClient.invalidateQueries({ queryKey: ["orders"] });
      return `Order to sell ${quantity} t at ${formatUsd(pricePerTonne)}/t published.`;
    });
  return (
    <fieldset>
      <legend>Sign a sell order</legend>
      {field("batchId", "batch")}
      {field("quantity", "tonnes")}
      {field("price", "price $/t")}
      {field("minFill", "min fill t")}
      {field("days", "valid days")}
      <button onClick={onSell} disabled={tx.state.phase === "pending"}>Sign and publish</button>
      <TxStatus state={tx.state} />
    </fieldset>
  );
}
