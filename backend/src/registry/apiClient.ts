/**
 * HTTP client of the registry API (`api.ts`), with an injected base URL and fetch. Requests are
 * validated before they are sent and responses before they are returned; every failure is a
 * {@link RegistryApiError} that says whether retrying can help.
 */
import type { z } from "zod";
import type { RegistryId } from "../domain";
import {
  lockRequestSchema,
  operationSearchResultSchema,
  REGISTRY_SEARCH_LIMIT,
  serialBlockSearchResultSchema,
  redemptionRequestSchema,
  registryApiErrorBodySchema,
  registryApiPaths,
  registryAccountStatusSchema,
  registryOperationSchema,
  retirementRequestSchema,
  serialBlockStatusSchema,
  transferRequestSchema,
  type LockRequestInput,
  type RedemptionRequestInput,
  type RegistryAccountStatus,
  type RegistryOperation,
  type RetirementRequestInput,
  type SerialBlockStatus,
  type TransferRequestInput,
} from "./api";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RegistryApiOptions {
  /** API root of this registry, e.g. `http://127.0.0.1:4000/registries/verra`. */
  readonly baseUrl: string;
  /** The fetch to use (tests and the simulator inject their own); the global fetch by default. */
  readonly fetch?: FetchLike;
  /** Sent as `Authorization: Bearer …` when set. */
  readonly apiKey?: string;
  /** Per-request timeout; 10 s by default. */
  readonly timeoutMs?: number;
}

export type RegistryApiErrorCode =
  | "INVALID_REQUEST"
  | "INVALID_RESPONSE"
  | "NETWORK"
  | "TIMEOUT"
  | "WRONG_REGISTRY"
  | (string & {});

/** A registry API call failed; `retryable` says whether the same call may succeed later. */
export class RegistryApiError extends Error {
  readonly registry: RegistryId;
  readonly operation: string;
  /** HTTP status, when the registry answered. */
  readonly status: number | null;
  /** The registry's error code, or one of ours (INVALID_REQUEST, INVALID_RESPONSE, NETWORK, TIMEOUT, WRONG_REGISTRY). */
  readonly code: RegistryApiErrorCode;
  readonly retryable: boolean;

  constructor(
    registry: RegistryId,
    operation: string,
    details: { status: number | null; code: RegistryApiErrorCode; message: string; retryable: boolean },
    options?: ErrorOptions,
  ) {
    super(`${registry} registry ${operation}: ${details.message}`, options);
    this.name = "RegistryApiError";
    this.registry = registry;
    this.operation = operation;
    this.status = details.status;
    this.code = details.code;
    this.retryable = details.retryable;
  }
}

export interface RegistryApiClient {
  readonly registry: RegistryId;
  /** Status and holder of a serial block; null when the registry does not know the serial. */
  getSerialBlockStatus(serial: string): Promise<SerialBlockStatus | null>;
  /** An operation by id; null when unknown. */
  getOperation(operationId: string): Promise<RegistryOperation | null>;
  /**
   * Many operations at once (search requests of at most REGISTRY_SEARCH_LIMIT ids, sent
   * concurrently); unknown ids are absent from the map.
   */
  getOperations(operationIds: readonly string[]): Promise<Map<string, RegistryOperation>>;
  /** Many serial blocks at once, like `getOperations`; unknown serials are absent from the map. */
  getSerialBlockStatuses(serials: readonly string[]): Promise<Map<string, SerialBlockStatus>>;
  /** A registry account's public view (name, country, closed, note); null when unknown. */
  getAccount(accountId: string): Promise<RegistryAccountStatus | null>;
  submitTransfer(request: TransferRequestInput): Promise<RegistryOperation>;
  submitLock(request: LockRequestInput): Promise<RegistryOperation>;
  submitRedemption(request: RedemptionRequestInput): Promise<RegistryOperation>;
  submitRetirement(request: RetirementRequestInput): Promise<RegistryOperation>;
}

const describeIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.length === 0 ? "(body)" : i.path.map(String).join(".")}: ${i.message}`).join("; ");

export function createRegistryApiClient(registry: RegistryId, options: RegistryApiOptions): RegistryApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 10_000;

  const fail = (operation: string, details: ConstructorParameters<typeof RegistryApiError>[2], cause?: unknown): never => {
    throw new RegistryApiError(registry, operation, details, cause === undefined ? undefined : { cause });
  };

  async function call<T>(
    operation: string,
    path: string,
    responseSchema: z.ZodType<T>,
    init: { method: "GET" } | { method: "POST"; body: unknown },
    { notFoundIsNull, registriesOf = (value) => [(value as { registry: RegistryId }).registry] }: { notFoundIsNull: boolean; registriesOf?: (value: T) => readonly RegistryId[] },
  ): Promise<T | null> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
    if (init.method === "POST") headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetchFn(`${baseUrl}${path}`, {
        method: init.method,
        headers,
        body: init.method === "POST" ? JSON.stringify(init.body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      return fail(
        operation,
        {
          status: null,
          code: timedOut ? "TIMEOUT" : "NETWORK",
          message: timedOut ? `no answer within ${timeoutMs} ms` : `request failed: ${(error as Error).message}`,
          retryable: true,
        },
        error,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status === 404 && notFoundIsNull) return null;
    if (!response.ok) {
      const parsedError = registryApiErrorBodySchema.safeParse(body);
      return fail(operation, {
        status: response.status,
        code: parsedError.success ? parsedError.data.error.code : `HTTP_${response.status}`,
        message: parsedError.success
          ? `${parsedError.data.error.message} (HTTP ${response.status})`
          : `HTTP ${response.status}${text === "" ? "" : `: ${text.slice(0, 200)}`}`,
        retryable: response.status >= 500 || response.status === 429 || response.status === 408,
      });
    }
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success) {
      return fail(operation, {
        status: response.status,
        code: "INVALID_RESPONSE",
        message: `unexpected response: ${describeIssues(parsed.error)}`,
        retryable: false,
      });
    }
    const other = registriesOf(parsed.data).find((r) => r !== registry);
    if (other !== undefined) {
      return fail(operation, {
        status: response.status,
        code: "WRONG_REGISTRY",
        message: `answer is about registry ${other}: check the base URL ${baseUrl}`,
        retryable: false,
      });
    }
    return parsed.data;
  }

  function submit<S extends z.ZodType>(operation: string, path: string, schema: S) {
    return async (request: z.input<S>): Promise<RegistryOperation> => {
      const valid = schema.safeParse(request);
      if (!valid.success) {
        return fail(operation, { status: null, code: "INVALID_REQUEST", message: describeIssues(valid.error), retryable: false });
      }
      const result = await call(operation, path, registryOperationSchema, { method: "POST", body: valid.data }, { notFoundIsNull: false });
      return result as RegistryOperation;
    };
  }

  /** Runs a search over `keys` in requests of at most REGISTRY_SEARCH_LIMIT, concurrently. */
  async function search<T>(keys: readonly string[], one: (chunk: string[]) => Promise<T[]>, keyOf: (item: T) => string): Promise<Map<string, T>> {
    const unique = [...new Set(keys)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += REGISTRY_SEARCH_LIMIT) chunks.push(unique.slice(i, i + REGISTRY_SEARCH_LIMIT));
    const found = new Map<string, T>();
    for (const items of await Promise.all(chunks.map(one))) for (const item of items) found.set(keyOf(item), item);
    return found;
  }

  return {
    registry,
    getOperations: (operationIds) =>
      search(
        operationIds,
        async (chunk) =>
          (
            (await call("getOperations", registryApiPaths.operationSearch, operationSearchResultSchema, { method: "POST", body: { operationIds: chunk } }, {
              notFoundIsNull: false,
              registriesOf: (r) => r.operations.map((o) => o.registry),
            })) as z.infer<typeof operationSearchResultSchema>
          ).operations,
        (op) => op.operationId,
      ),
    getSerialBlockStatuses: (serials) =>
      search(
        serials,
        async (chunk) =>
          (
            (await call("getSerialBlockStatuses", registryApiPaths.serialBlockSearch, serialBlockSearchResultSchema, { method: "POST", body: { serials: chunk } }, {
              notFoundIsNull: false,
              registriesOf: (r) => r.serialBlocks.map((b) => b.registry),
            })) as z.infer<typeof serialBlockSearchResultSchema>
          ).serialBlocks,
        (block) => block.serial,
      ),
    getSerialBlockStatus: (serial) =>
      call("getSerialBlockStatus", registryApiPaths.serialBlock(serial), serialBlockStatusSchema, { method: "GET" }, { notFoundIsNull: true }),
    getOperation: (operationId) =>
      call("getOperation", registryApiPaths.operation(operationId), registryOperationSchema, { method: "GET" }, { notFoundIsNull: true }),
    getAccount: (accountId) =>
      call("getAccount", registryApiPaths.account(accountId), registryAccountStatusSchema, { method: "GET" }, { notFoundIsNull: true }),
    submitTransfer: submit("submitTransfer", registryApiPaths.transfers, transferRequestSchema),
    submitLock: submit("submitLock", registryApiPaths.locks, lockRequestSchema),
    submitRedemption: submit("submitRedemption", registryApiPaths.redemptions, redemptionRequestSchema),
    submitRetirement: submit("submitRetirement", registryApiPaths.retirements, retirementRequestSchema),
  };
}
