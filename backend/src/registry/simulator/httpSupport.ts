/** Validation and error answers shared by the simulator's routers: one error shape, `{error: {code, message, issues?}}`. */
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import type { z } from "zod";
import { fieldIssues } from "../../domain";
import { SimulatorApiError } from "./errors";
import type { ErrorDocument } from "./wire";

export type InputLocation = "body" | "query" | "path" | "header";

/** A request failed validation; each issue names its field. */
export class RequestValidationError extends Error {
  readonly issues: { location: InputLocation; field: string; message: string }[];

  constructor(location: InputLocation, issues: readonly { field: string; message: string }[]) {
    super(issues.map((issue) => `${location}.${issue.field}: ${issue.message}`).join("; "));
    this.name = "RequestValidationError";
    this.issues = issues.map((issue) => ({ location, ...issue }));
  }
}

/** `value` parsed by `schema`. @throws RequestValidationError naming each bad field of `location`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, location: InputLocation): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new RequestValidationError(location, fieldIssues(result.error));
  return result.data;
}

export function errorBody(code: string, message: string, issues?: ErrorDocument["error"]["issues"]): ErrorDocument {
  return { error: issues === undefined ? { code, message } : { code, message, issues } };
}

/** 404 for any route the router does not have. */
export function unknownRoute(req: Request, res: Response): void {
  res.status(404).json(errorBody("NOT_FOUND", `no route ${req.method} ${req.originalUrl.split("?")[0]}`));
}

/** Maps thrown errors to answers: 400 validation, the API error's status, 400 bad JSON, else 500. */
export function errorHandler(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (error instanceof RequestValidationError) {
      res.status(400).json(errorBody("VALIDATION_FAILED", error.message, error.issues));
      return;
    }
    if (error instanceof SimulatorApiError) {
      const issues = error.field === undefined ? undefined : [{ location: "body", field: error.field, message: error.message }];
      res.status(error.status).json(errorBody(error.code, error.message, issues));
      return;
    }
    if (isBodyParserError(error)) {
      res.status(error.status).json(errorBody("INVALID_BODY", `request body: ${error.message}`));
      return;
    }
    logger.error({ err: error }, "registry simulator: unhandled error");
    res.status(500).json(errorBody("INTERNAL_ERROR", "the registry simulator failed to handle the request"));
  };
}

/** express.json's errors (malformed JSON, too large): they carry a 4xx `status` and a `type`. */
function isBodyParserError(error: unknown): error is { status: number; message: string; type: string } {
  if (typeof error !== "object" || error === null) return false;
  const { status, type } = error as { status?: unknown; type?: unknown };
  return typeof type === "string" && typeof status === "number" && status >= 400 && status < 500;
}
