/** The platform API as the dApp calls it: JSON over fetch, bearer session token, uniform errors. */

/** An error answered by the API (`{ error: { code, message, details? } }`) or a network failure. */
export class ApiCallError extends Error {
  override name = "ApiCallError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** Downloads a binary answer (e.g. a certificate PDF). */
  blob(path: string): Promise<Blob>;
}

export function createApi(baseUrl: string, token: () => string | undefined, fetcher: typeof fetch = (...a) => fetch(...a)): Api {
  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    const t = token();
    if (t !== undefined) headers.authorization = `Bearer ${t}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetcher(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiCallError(0, "NETWORK", `The platform cannot be reached (${(err as Error).message}).`);
    }
    if (!response.ok) {
      let code = "HTTP_" + response.status;
      let message = `The platform answered ${response.status} ${response.statusText}.`;
      let details: unknown;
      try {
        const parsed = (await response.json()) as { error?: { code?: string; message?: string; details?: unknown } };
        if (parsed.error?.code) code = parsed.error.code;
        if (parsed.error?.message) message = parsed.error.message;
        details = parsed.error?.details;
      } catch {
        // not JSON: keep the status text
      }
      throw new ApiCallError(response.status, code, message, details);
    }
    return response;
  }
  return {
    async get<T>(path: string) {
      return (await (await call("GET", path)).json()) as T;
    },
    async post<T>(path: string, body?: unknown) {
      const response = await call("POST", path, body);
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
    async blob(path: string) {
      return (await call("GET", path)).blob();
    },
  };
}
