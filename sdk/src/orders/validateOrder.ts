import { isAddress } from "viem";
import { LucentError } from "../errors.js";
import type { Order } from "./types.js";

/** Bit widths of the integer fields of an order (contracts/types/Order.sol). */
export const ORDER_FIELD_BITS = {
  subaccount: 8,
  market: 8,
  size: 64,
  limitPrice: 128,
  flags: 8,
  nonce: 64,
  expiry: 40,
} as const;

export type ValidateOrderErrorType = InvalidOrderFieldError;

/** An order field does not fit its Solidity type. */
export class InvalidOrderFieldError extends LucentError {
  override name = "InvalidOrderFieldError";
  constructor({ field, value, expected }: { field: string; value: unknown; expected: string }) {
    super(`Order field "${field}" is not a valid ${expected}.`, { details: { field, value, expected } });
  }
}

/** Checks that a value is an integer of `bits` unsigned bits; returns it as a bigint. */
export function assertUint(field: string, value: number | bigint, bits: number): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new InvalidOrderFieldError({ field, value, expected: `uint${bits}` });
  }
  if (typeof value !== "number" && typeof value !== "bigint") {
    throw new InvalidOrderFieldError({ field, value, expected: `uint${bits}` });
  }
  const v = BigInt(value);
  if (v < 0n || v >> BigInt(bits) !== 0n) throw new InvalidOrderFieldError({ field, value, expected: `uint${bits}` });
  return v;
}

/**
 * Throws {@link InvalidOrderFieldError} unless every field of `order` fits its Solidity type.
 * Semantic checks (flags the contract rejects, expiry in the past, ticks) are the contract's:
 * it skips such fills with a reason rather than reverting.
 */
export function validateOrder(order: Order): void {
  if (!isAddress(order.trader, { strict: false })) {
    throw new InvalidOrderFieldError({ field: "trader", value: order.trader, expected: "address" });
  }
  if (!isAddress(order.keeper, { strict: false })) {
    throw new InvalidOrderFieldError({ field: "keeper", value: order.keeper, expected: "address" });
  }
  if (typeof order.isBuy !== "boolean") {
    throw new InvalidOrderFieldError({ field: "isBuy", value: order.isBuy, expected: "bool" });
  }
  for (const [field, bits] of Object.entries(ORDER_FIELD_BITS)) {
    assertUint(field, order[field as keyof typeof ORDER_FIELD_BITS], bits);
  }
}
