import { hashTypedData, type Hex } from "viem";
import type { LucentDomain, Order } from "./types.js";
import { orderTypes } from "./types.js";
import { validateOrder, type ValidateOrderErrorType } from "./validateOrder.js";

export type HashOrderParameters = {
  /** From {@link lucentDomain}. */
  domain: LucentDomain;
  order: Order;
};

/** The EIP-712 digest the trader signs; equal to `Clearinghouse.hashOrder(order)`. */
export type HashOrderReturnType = Hex;

export type HashOrderErrorType = ValidateOrderErrorType;

/**
 * The order hash the clearinghouse tracks fills and cancellations by (the EIP-712 digest,
 * `OrderCodec.typedDataHash`).
 */
export function hashOrder({ domain, order }: HashOrderParameters): HashOrderReturnType {
  validateOrder(order);
  return hashTypedData({ domain, types: orderTypes, primaryType: "Order", message: order });
}
