/**
 * Runs a sequence of wallet steps (sign, send, wait for the receipt) and exposes a state a person
 * can read: which step is pending, done, or the error as a sentence.
 */
import { useCallback, useState } from "react";
import { humanError } from "./errors";

export type TxState =
  | { phase: "idle" }
  | { phase: "pending"; step: string }
  | { phase: "done"; message: string }
  | { phase: "failed"; error: string };

export function useTransaction(): {
  state: TxState;
  run(steps: (progress: (step: string) => void) => Promise<string>): Promise<boolean>;
  reset(): void;
} {
  const [state, setState] = useState<TxState>({ phase: "idle" });
  const run = useCallback(async (steps: (progress: (step: string) => void) => Promise<string>) => {
    setState({ phase: "pending", step: "Preparing…" });
    try {
      const message = await steps((step) => setState({ phase: "pending", step }));
      setState({ phase: "done", message });
      return true;
    } catch (err) {
      setState({ phase: "failed", error: humanError(err) });
      return false;
    }
  }, []);
  return { state, run, reset: () => setState({ phase: "idle" }) };
}
