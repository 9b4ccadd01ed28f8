/**
 * Why the intake refused a message. Every rejection carries one of these codes, so a client can act
 * on it without parsing text; `message` is for humans, `details` (optional) for debugging.
 */
export const RejectCode = {
  /** Not JSON, not an object, a binary WebSocket frame, or an unsupported content type. */
  MalformedPayload: "malformed_payload",
  /** Bigger than the intake accepts (HTTP body or WebSocket message). */
  PayloadTooLarge: "payload_too_large",
  /** JSON, but a field is missing, of the wrong type or out of range (details.issues says which). */
  InvalidField: "invalid_field",
  /** An `op` this endpoint does not know. */
  UnsupportedOp: "unsupported_op",
  /** The message names another chain or clearinghouse than this keeper's. */
  WrongDomain: "wrong_domain",
  /** The order may only be filled by another keeper. */
  WrongKeeper: "wrong_keeper",
  /** Flags outside POST_ONLY | REDUCE_ONLY | IOC, or POST_ONLY together with IOC. */
  InvalidFlags: "invalid_flags",
  /** Expiry is not in the future. */
  Expired: "expired",
  /** No such market. */
  UnknownMarket: "unknown_market",
  /** The market exists but does not trade. */
  MarketInactive: "market_inactive",
  /** Limit price is zero or not a multiple of the market's tick size. */
  BadTick: "bad_tick",
  /** Size is zero or not a multiple of the market's lot size. */
  BadLot: "bad_lot",
  /** The signature is not a valid ECDSA signature by the order's trader over this order and domain. */
  BadSignature: "bad_signature",
  /** This order (same hash) was already accepted. */
  Duplicate: "duplicate",
  /** Too many messages from this trader or connection; retry later (details.retryAfterMs). */
  RateLimited: "rate_limited",
  /** Too many orders and cancels for this trader's fills. */
  QuoteToTradeExceeded: "quote_to_trade_exceeded",
  /** The margin estimate says the trader cannot carry this order. */
  InsufficientMargin: "insufficient_margin",
  /** Cancel of an order this keeper does not hold. */
  UnknownOrder: "unknown_order",
  /** Cancel of an order that is already filled, cancelled or expired. */
  OrderNotOpen: "order_not_open",
  /** Too much is in flight on this connection or server; retry later. */
  Overloaded: "overloaded",
  /** Unknown path. */
  NotFound: "not_found",
  /** The keeper failed (e.g. the journal could not commit); the message was NOT accepted. */
  Internal: "internal_error",
} as const;
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode];

export type Rejection = { code: RejectCode; message: string; details?: Record<string, unknown> };

/** The HTTP status for each code (WebSocket replies carry the code only). */
export const HTTP_STATUS: Record<RejectCode, number> = {
  malformed_payload: 400,
  payload_too_large: 413,
  invalid_field: 400,
  unsupported_op: 400,
  wrong_domain: 400,
  wrong_keeper: 400,
  invalid_flags: 400,
  expired: 400,
  unknown_market: 400,
  market_inactive: 400,
  bad_tick: 400,
  bad_lot: 400,
  bad_signature: 401,
  duplicate: 409,
  rate_limited: 429,
  quote_to_trade_exceeded: 429,
  insufficient_margin: 422,
  unknown_order: 404,
  order_not_open: 409,
  overloaded: 503,
  not_found: 404,
  internal_error: 500,
};

export function reject(code: RejectCode, message: string, details?: Record<string, unknown>): Rejection {
  return details === undefined ? { code, message } : { code, message, details };
}
