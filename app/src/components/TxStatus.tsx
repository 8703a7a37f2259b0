import type { TxState } from "../useTransaction";

/** Pending / done / failed line under a form. */
export function TxStatus({ state }: { state: TxState }) {
  if (state.phase === "idle") return null;
  if (state.phase === "pending") return <p className="pending" role="status">⏳ {state.step}</p>;
  if (state.phase === "done") return <p className="ok" role="status">✓ {state.message}</p>;
  return <p className="error" role="alert">{state.error}</p>;
}
