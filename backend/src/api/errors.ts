/**
 * The API's one error shape. Every failure answers `{ error: { code, message, details? } }` with an
 * HTTP status that says whose fault it was; handlers throw {@link ApiError} and the app renders it.
 */
import type { z } from "zod";

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, "INVALID_REQUEST", message, details);
export const unauthorized = (message = "sign in first: POST /v1/auth/nonce, then POST /v1/auth/verify") =>
  new ApiError(401, "UNAUTHENTICATED", message);
export const forbidden = (message: string) => new ApiError(403, "FORBIDDEN", message);
export const notFound = (what: string) => new ApiError(404, "NOT_FOUND", `${what} not found`);
export const conflict = (code: string, message: string, details?: unknown) => new ApiError(409, code, message, details);

/** One line per zod issue, each naming the field: `body.quantity: Too small: expected number to be >0`. */
export function describeZodIssues(where: string, error: z.ZodError): { message: string; issues: { path: string; message: string }[] } {
  const issues = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  return { message: issues.map((i) => `${i.path}: ${i.message}`).join("; "), issues };
}

/** Parses `value` with `schema` or throws a 400 naming every bad field under `where` (body, query, params). */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const { message, issues } = describeZodIssues(where, parsed.error);
  throw badRequest(message, { issues });
}
