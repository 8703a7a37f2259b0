/**
 * Why an oracle node will not sign. A refusal is a verdict on what the registry says (signing
 * would be wrong); an unavailable registry is not a verdict (asking again later may succeed).
 */

export const REFUSAL_CODES = [
  "UNKNOWN_REGISTRY",
  "OPERATION_NOT_FOUND",
  "NOT_ATTESTABLE",
  "WRONG_CHAIN",
  "UNKNOWN_ON_CHAIN",
  "ALREADY_SETTLED",
  "RANGE_MISMATCH",
  "TRANSFER_REJECTED",
  "NOT_COMPLETED",
  "LOCK_REJECTED",
  "WRONG_CUSTODY_ACCOUNT",
  "MISSING_OWNER",
  "SERIAL_BLOCK_NOT_LOCKED",
  "MALFORMED_SERIAL",
  "QUANTITY_MISMATCH",
  "ACCOUNTS_UNVERIFIED",
  "WRONG_ACCOUNT",
  "DEADLINE_OUT_OF_RANGE",
  "REGISTRY_ERROR",
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** The node read the registry and will not attest: `code` names why. Not retryable as is. */
export class AttestationRefusedError extends Error {
  readonly code: RefusalCode;

  constructor(code: RefusalCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = "AttestationRefusedError";
    this.code = code;
  }
}

/** The registry could not be read (network, timeout, 5xx): the same request may succeed later. */
export class RegistryUnavailableError extends Error {
  readonly retryable = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RegistryUnavailableError";
  }
}
