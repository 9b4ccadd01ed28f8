import type { LucentClient } from "../clients/types.js";
import type {
  InsufficientFreeCollateralError,
  InvalidParameterError,
  LucentContractError,
  LucentRpcError,
  TransactionRevertedError,
  WalletRequiredError,
} from "./errors.js";
import { checkSmallUint, checkUint } from "./internal/validate.js";
import { writeClearinghouse, type WriteReturnType } from "./internal/write.js";

export type TransferParameters = {
  collateral: number;
  fromSubaccount: number;
  toSubaccount: number;
  /** Collateral units; at most the source's withdrawable amount. */
  amount: bigint;
};

export type TransferReturnType = WriteReturnType;

export type TransferErrorType =
  | InsufficientFreeCollateralError
  | InvalidParameterError
  | WalletRequiredError
  | LucentContractError
  | TransactionRevertedError
  | LucentRpcError;

/** Moves free collateral between two of the wallet's subaccounts of one token (`Clearinghouse.transfer`). */
export async function transfer(
  client: LucentClient,
  { collateral, fromSubaccount, toSubaccount, amount }: TransferParameters,
): Promise<TransferReturnType> {
  checkSmallUint("collateral", collateral, 8);
  checkSmallUint("fromSubaccount", fromSubaccount, 8);
  checkSmallUint("toSubaccount", toSubaccount, 8);
  checkUint("amount", amount, 256, true);
  return writeClearinghouse(client, "transfer", [collateral, fromSubaccount, toSubaccount, amount]);
}
