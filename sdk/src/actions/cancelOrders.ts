import { isHex, size, type Hex } from "viem";
import type { LucentClient } from "../clients/types.js";
import {
  InvalidParameterError,
  type LucentContractError,
  type LucentRpcError,
  type TransactionRevertedError,
  type WalletRequiredError,
} from "./errors.js";
import { writeClearinghouse, type WriteReturnType } from "./internal/write.js";

export type CancelOrdersParameters = {
  /** EIP-712 order hashes (`hashOrder`) of the wallet's orders. */
  orderHashes: readonly Hex[];
};

export type CancelOrdersReturnType = WriteReturnType;

export type CancelOrdersErrorType =
  InvalidParameterError | WalletRequiredError | LucentContractError | TransactionRevertedError | LucentRpcError;

/** Cancels orders by hash on-chain (`Clearinghouse.cancelOrders`; no keeper involved). */
export async function cancelOrders(
  client: LucentClient,
  { orderHashes }: CancelOrdersParameters,
): Promise<CancelOrdersReturnType> {
  if (orderHashes.length === 0) {
    throw new InvalidParameterError({ field: "orderHashes", value: orderHashes, expected: "at least one hash" });
  }
  orderHashes.forEach((hash, i) => {
    if (!isHex(hash, { strict: true }) || size(hash) !== 32) {
      throw new InvalidParameterError({ field: `orderHashes[${i}]`, value: hash, expected: "a 32-byte hex hash" });
    }
  });
  return writeClearinghouse(client, "cancelOrders", [orderHashes]);
}
