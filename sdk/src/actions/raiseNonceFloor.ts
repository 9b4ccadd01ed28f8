import type { LucentClient } from "../clients/types.js";
import type {
  InvalidParameterError,
  LucentContractError,
  LucentRpcError,
  TransactionRevertedError,
  WalletRequiredError,
} from "./errors.js";
import { checkSmallUint, checkUint } from "./internal/validate.js";
import { writeClearinghouse, type WriteReturnType } from "./internal/write.js";

export type RaiseNonceFloorParameters = {
  collateral: number;
  /** Subaccount index (default 0). */
  subaccount?: number | undefined;
  /** uint64; must exceed the current floor (else `ClearinghouseNonceFloorNotRaised`). */
  nonceFloor: bigint;
};

export type RaiseNonceFloorReturnType = WriteReturnType;

export type RaiseNonceFloorErrorType =
  InvalidParameterError | WalletRequiredError | LucentContractError | TransactionRevertedError | LucentRpcError;

/** Cancels every order of a subaccount with a nonce below `nonceFloor` (`Clearinghouse.raiseNonceFloor`). */
export async function raiseNonceFloor(
  client: LucentClient,
  { collateral, subaccount = 0, nonceFloor }: RaiseNonceFloorParameters,
): Promise<RaiseNonceFloorReturnType> {
  checkSmallUint("collateral", collateral, 8);
  checkSmallUint("subaccount", subaccount, 8);
  checkUint("nonceFloor", nonceFloor, 64);
  return writeClearinghouse(client, "raiseNonceFloor", [collateral, subaccount, nonceFloor]);
}
