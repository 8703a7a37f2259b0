/** Errors of the simulator: synchronous API errors (mapped to HTTP statuses) and asynchronous request rejections. */
import type { RejectionCode } from "./wire";

/** A synchronous API call failed; `status` is the HTTP status, `field` the offending body field if any. */
export class SimulatorApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = "SimulatorApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function notFound(what: string, id: string): SimulatorApiError {
  return new SimulatorApiError(404, "NOT_FOUND", `${what} ${JSON.stringify(id)} does not exist`);
}

export function conflict(message: string): SimulatorApiError {
  return new SimulatorApiError(409, "CONFLICT", message);
}

export function invalidField(field: string, message: string): SimulatorApiError {
  return new SimulatorApiError(400, "VALIDATION_FAILED", `${field}: ${message}`, field);
}

/** The registry refused a queued request while processing it. */
export class OperationRejection extends Error {
  readonly code: RejectionCode;

  constructor(code: RejectionCode, message: string) {
    super(message);
    this.name = "OperationRejection";
    this.code = code;
  }
}
