import type { Address } from "viem";
import type { LucentClient } from "../clients/types.js";
import type {
  InsufficientFreeCollateralError,
  InvalidAddressError,
  InvalidParameterError,
  LucentContractError,
  LucentRpcError,
  TransactionRevertedError,
  WalletRequiredError,
} from "./errors.js";
import { checkAddress, checkSmallUint, checkUint } from "./internal/validate.js";
import { requireWallet, writeClearinghouse, type WriteReturnType } from "./internal/write.js";

export type WithdrawParameters = {
  collateral: number;
  /** Subaccount index (default 0). */
  subaccount?: number | undefined;
  /** Collateral units; at most `withdrawable` = min(balance, equity − IM). */
  amount: bigint;
  /** Recipient (default: the wallet). */
  to?: Address | undefined;
};

export type WithdrawReturnType = WriteReturnType;

export type WithdrawErrorType =
  | InsufficientFreeCollateralError
  | InvalidAddressError
  | InvalidParameterError
  | WalletRequiredError
  | LucentContractError
  | TransactionRevertedError
  | LucentRpcError;

/**
 * Withdraws free collateral (`Clearinghouse.withdraw`; needs no keeper, never pauses). Asking for more
 * than is free throws {@link InsufficientFreeCollateralError} with the available amount, before sending.
 */
export async function withdraw(
  client: LucentClient,
  { collateral, subaccount = 0, amount, to }: WithdrawParameters,
): Promise<WithdrawReturnType> {
  checkSmallUint("collateral", collateral, 8);
  checkSmallUint("subaccount", subaccount, 8);
  checkUint("amount", amount, 256, true);
  const wallet = requireWallet(client, "withdraw");
  const recipient = to === undefined ? wallet.address : checkAddress("to", to);
  return writeClearinghouse(client, "withdraw", [collateral, subaccount, amount, recipient]);
}
