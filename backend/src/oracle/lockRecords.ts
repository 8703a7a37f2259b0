/**
 * The parts of a lock the adapter API (`registry/api.ts`) does not return: which account the
 * credits went to and the destination wallet the lock's memo carries. A node reads them from the
 * registry's own request record (`GET {server}/v1/requests/{id}`), never from its caller.
 */
import { z } from "zod";
import { RegistryApiError, type FetchLike } from "../registry";
import type { RegistryId } from "../domain";

export interface LockRecord {
  /** The account the lock moved the credits into; null until the registry processed it. */
  readonly toAccount: string | null;
  /** The lock's memo: the wallet the tokens are for. */
  readonly memo: string | null;
}

/** Reads a lock's record; null when the registry does not know the operation. */
export type LockRecordSource = (registry: RegistryId, operationId: string) => Promise<LockRecord | null>;

const requestRecordSchema = z.object({
  id: z.string(),
  kind: z.string(),
  toAccountId: z.string().nullable(),
  memo: z.string().nullable(),
});

/**
 * Lock records from a registry server speaking the simulator's native request API (`serverUrl`
 * is the server root, not a per-registry API root).
 * @throws RegistryApiError (retryable on network failures and 5xx).
 */
export function nativeLockRecordSource(serverUrl: string, options: { fetch?: FetchLike; timeoutMs?: number } = {}): LockRecordSource {
  const root = serverUrl.replace(/\/+$/, "");
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (registry, operationId) => {
    const fail = (status: number | null, code: string, message: string, retryable: boolean, cause?: unknown): never => {
      throw new RegistryApiError(registry, "getLockRecord", { status, code, message, retryable }, cause === undefined ? undefined : { cause });
    };
    let response: Response;
    try {
      response = await fetchFn(`${root}/v1/requests/${encodeURIComponent(operationId)}`, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      return fail(null, "NETWORK", `request failed: ${(error as Error).message}`, true, error);
    }
    if (response.status === 404) return null;
    if (!response.ok) return fail(response.status, `HTTP_${response.status}`, `HTTP ${response.status}`, response.status >= 500 || response.status === 429);
    const parsed = requestRecordSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) return fail(response.status, "INVALID_RESPONSE", `unexpected request record: ${parsed.error.message}`, false);
    if (parsed.data.kind !== "lock") return fail(response.status, "NOT_A_LOCK", `request ${operationId} is a ${parsed.data.kind}`, false);
    return { toAccount: parsed.data.toAccountId, memo: parsed.data.memo };
  };
}
