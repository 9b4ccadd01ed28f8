import type { LucentClient } from "../clients/types.js";
import type { Order } from "../orders/types.js";
import { validateOrder } from "../orders/validateOrder.js";
import {
  InvalidParameterError,
  type LucentContractError,
  type LucentRpcError,
  type TransactionRevertedError,
  type WalletRequiredError,
} from "./errors.js";
import { requireWallet, writeClearinghouse, type WriteReturnType } from "./internal/write.js";

export type CancelOrdersParameters = {
  /**
   * The wallet's own orders, as signed. The contract hashes each one (EIP-712, the hash fills are
   * tracked by) and marks its nonce, so a cancel can never miss the order it names.
   */
  orders: readonly Order[];
};

export type CancelOrdersReturnType = WriteReturnType;

export type CancelOrdersErrorType =
  InvalidParameterError | WalletRequiredError | LucentContractError | TransactionRevertedError | LucentRpcError;

/** Cancels orders on-chain (`Clearinghouse.cancelOrders`; no keeper involved). */
export async function cancelOrders(
  client: LucentClient,
  { orders }: CancelOrdersParameters,
): Promise<CancelOrdersReturnType> {
  if (orders.length === 0) {
    throw new InvalidParameterError({ field: "orders", value: orders, expected: "at least one order" });
  }
  const wallet = requireWallet(client, "cancelOrders").address;
  orders.forEach((order, i) => {
    try {
      validateOrder(order);
    } catch (error) {
      throw new InvalidParameterError({ field: `orders[${i}]`, value: order, expected: `a valid order: ${error}` });
    }
    // The contract would revert ClearinghouseNotOrderOwner: say so before anything is sent.
    if (order.trader.toLowerCase() !== wallet.toLowerCase()) {
      throw new InvalidParameterError({
        field: `orders[${i}].trader`,
        value: order.trader,
        expected: `the wallet ${wallet}`,
      });
    }
  });
  return writeClearinghouse(client, "cancelOrders", [orders]);
}
