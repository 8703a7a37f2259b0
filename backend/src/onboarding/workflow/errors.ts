/**
 * Errors of the onboarding workflow. Each carries a stable code and the HTTP status the API
 * answers with; the message names what was wrong. Nothing is changed when one is thrown.
 */
export type OnboardingErrorCode =
  | "INVALID_INPUT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "ILLEGAL_TRANSITION"
  | "DOCUMENT_TOO_LARGE"
  | "DOCUMENT_MALFORMED"
  | "DOCUMENT_DUPLICATE"
  | "NO_SANCTIONS_LIST"
  | "CHALLENGE_NOT_FOUND"
  | "CHALLENGE_NOT_SHOWN"
  | "REGISTRY_ACCOUNT_UNAVAILABLE"
  | "REGISTRY_ACCOUNT_TAKEN"
  | "CASE_NOT_OPEN"
  | "CHAIN_UNAVAILABLE";

const STATUS: Record<OnboardingErrorCode, number> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ILLEGAL_TRANSITION: 409,
  DOCUMENT_TOO_LARGE: 413,
  DOCUMENT_MALFORMED: 400,
  DOCUMENT_DUPLICATE: 409,
  NO_SANCTIONS_LIST: 409,
  CHALLENGE_NOT_FOUND: 404,
  CHALLENGE_NOT_SHOWN: 409,
  REGISTRY_ACCOUNT_UNAVAILABLE: 409,
  REGISTRY_ACCOUNT_TAKEN: 409,
  CASE_NOT_OPEN: 409,
  CHAIN_UNAVAILABLE: 503,
};

export class OnboardingError extends Error {
  readonly code: OnboardingErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: OnboardingErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "OnboardingError";
    this.code = code;
    this.status = STATUS[code];
    this.details = details;
  }
}

/** Describes zod issues as "path: message; …". */
export function describeZodIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((issue) => `${issue.path.length === 0 ? "(input)" : issue.path.map(String).join(".")}: ${issue.message}`).join("; ");
}
