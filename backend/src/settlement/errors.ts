/** Why the order book refused a request: a stable code, an HTTP status, and a message naming what was wrong. */
export type SettlementErrorCode =
  | "ESCROW_NOT_DEPLOYED"
  | "WRONG_CHAIN"
  | "INVALID_SIGNATURE"
  | "STALE_COUNTER"
  | "ORDER_CANCELLED"
  | "SALT_IN_USE"
  | "ORDER_FILLED"
  | "ORDER_EXPIRED"
  | "MAKER_NOT_ELIGIBLE"
  | "INSUFFICIENT_CREDITS"
  | "ESCROW_NOT_APPROVED"
  | "NOT_ORDER_SELLER"
  | "ORDER_NOT_FOUND"
  | "TRADE_NOT_FOUND";

const STATUS: Record<SettlementErrorCode, number> = {
  ESCROW_NOT_DEPLOYED: 503,
  WRONG_CHAIN: 503,
  INVALID_SIGNATURE: 422,
  STALE_COUNTER: 422,
  ORDER_CANCELLED: 422,
  SALT_IN_USE: 409,
  ORDER_FILLED: 422,
  ORDER_EXPIRED: 422,
  MAKER_NOT_ELIGIBLE: 422,
  INSUFFICIENT_CREDITS: 422,
  ESCROW_NOT_APPROVED: 422,
  NOT_ORDER_SELLER: 403,
  ORDER_NOT_FOUND: 404,
  TRADE_NOT_FOUND: 404,
};

export class SettlementError extends Error {
  readonly status: number;
  constructor(
    readonly code: SettlementErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "SettlementError";
    this.status = STATUS[code];
  }
}
