import type { LucentClient } from "../clients/types.js";
import type { LucentRpcError } from "./errors.js";
import { readCollateral, readCollateralCount, type CollateralInfo } from "./internal/read.js";

export type GetCollateralsParameters = { blockNumber?: bigint | undefined };

export type GetCollateralsReturnType = CollateralInfo[];

export type GetCollateralsErrorType = LucentRpcError;

/** Every listed collateral token, in index order, with its decimals and ERC-20 symbol. */
export async function getCollaterals(
  client: LucentClient,
  { blockNumber }: GetCollateralsParameters = {},
): Promise<GetCollateralsReturnType> {
  const count = await readCollateralCount(client, blockNumber);
  return Promise.all(Array.from({ length: count }, (_, i) => readCollateral(client, i, blockNumber)));
}
