import type { LucentClient } from "../clients/types.js";
import {
  InvalidParameterError,
  type LucentContractError,
  type LucentRpcError,
  type TransactionRevertedError,
  type WalletRequiredError,
} from "./errors.js";
import { checkSmallUint, checkUint } from "./internal/validate.js";
import { writeClearinghouse, type WriteReturnType } from "./internal/write.js";

export type CancelNoncesParameters = {
  collateral: number;
  /** Subaccount index (default 0). */
  subaccount?: number | undefined;
  /** uint64 nonces; every order of the subaccount with one of them is void. */
  nonces: readonly bigint[];
};

export type CancelNoncesReturnType = WriteReturnType;

export type CancelNoncesErrorType =
  InvalidParameterError | WalletRequiredError | LucentContractError | TransactionRevertedError | LucentRpcError;

/** Cancels single nonces of one of the wallet's subaccounts (`Clearinghouse.cancelNonces`). */
export async function cancelNonces(
  client: LucentClient,
  { collateral, subaccount = 0, nonces }: CancelNoncesParameters,
): Promise<CancelNoncesReturnType> {
  checkSmallUint("collateral", collateral, 8);
  checkSmallUint("subaccount", subaccount, 8);
  if (nonces.length === 0) {
    throw new InvalidParameterError({ field: "nonces", value: nonces, expected: "at least one nonce" });
  }
  nonces.forEach((nonce, i) => checkUint(`nonces[${i}]`, nonce, 64));
  return writeClearinghouse(client, "cancelNonces", [collateral, subaccount, nonces]);
}
