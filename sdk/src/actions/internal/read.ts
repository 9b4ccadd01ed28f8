import {
  erc20Abi,
  zeroAddress,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionReturnType,
} from "viem";
import { clearinghouseAbi } from "../../abi/clearinghouse.js";
import { marketRegistryAbi } from "../../abi/marketRegistry.js";
import type { LucentClient } from "../../clients/types.js";
import { toLucentError, UnknownCollateralError, UnknownMarketError } from "../errors.js";

/** Runs a contract read and maps its failure to a typed SDK error. */
export async function read<T>(functionName: string, address: Address, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toLucentError(error, functionName, address);
  }
}

/** `blockNumber` as a read option, or nothing (latest). */
export const at = (blockNumber: bigint | undefined) => (blockNumber === undefined ? {} : { blockNumber });

type ClearinghouseRead = ContractFunctionName<typeof clearinghouseAbi, "view" | "pure">;

/** A clearinghouse view at `blockNumber` (latest if undefined), typed by its ABI, failures mapped by {@link read}. */
export function readClearinghouse<const functionName extends ClearinghouseRead>(
  client: LucentClient,
  functionName: functionName,
  args: ContractFunctionArgs<typeof clearinghouseAbi, "view" | "pure", functionName>,
  blockNumber?: bigint,
): Promise<ContractFunctionReturnType<typeof clearinghouseAbi, "view" | "pure", functionName>> {
  type Result = ContractFunctionReturnType<typeof clearinghouseAbi, "view" | "pure", functionName>;
  const address = client.addresses.clearinghouse;
  // The ABI types the call at the call site; viem cannot narrow a generic function name itself.
  const request = { address, abi: clearinghouseAbi, functionName, args, ...at(blockNumber) } as never;
  return read(functionName, address, () => client.publicClient.readContract(request) as Promise<Result>);
}

export async function readMarketCount(client: LucentClient, blockNumber?: bigint): Promise<number> {
  const address = client.addresses.marketRegistry;
  const count = await read("marketCount", address, () =>
    client.publicClient.readContract({
      address,
      abi: marketRegistryAbi,
      functionName: "marketCount",
      ...at(blockNumber),
    }),
  );
  return Number(count);
}

export async function checkMarketIds(
  client: LucentClient,
  ids: readonly number[],
  blockNumber?: bigint,
): Promise<number> {
  const marketCount = await readMarketCount(client, blockNumber);
  for (const marketId of ids) if (marketId >= marketCount) throw new UnknownMarketError({ marketId, marketCount });
  return marketCount;
}

/** A collateral token as listed in the registry. */
export type CollateralInfo = {
  /** Index in the registry (the `collateral` of subaccounts and markets). */
  index: number;
  token: Address;
  decimals: number;
  /** 10^decimals: the `unit` of the contract math. */
  unit: bigint;
  /** The token's ERC-20 symbol, or null if it has none. */
  symbol: string | null;
  /** Its ERC-4626 insurance vault (SPEC §8), whose subaccount 0 holds the insurance money; null until set. */
  insuranceVault: Address | null;
};

export async function readCollateral(
  client: LucentClient,
  index: number,
  blockNumber?: bigint,
): Promise<CollateralInfo> {
  const address = client.addresses.marketRegistry;
  const collateralCount = await readCollateralCount(client, blockNumber);
  if (index >= collateralCount) throw new UnknownCollateralError({ collateral: index, collateralCount });
  const { token, decimals, insuranceVault } = await read("collateral", address, () =>
    client.publicClient.readContract({
      address,
      abi: marketRegistryAbi,
      functionName: "collateral",
      args: [BigInt(index)],
      ...at(blockNumber),
    }),
  );
  let symbol: string | null = null;
  try {
    symbol = await client.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "symbol" });
  } catch {
    // optional in ERC-20
  }
  return {
    index,
    token,
    decimals,
    unit: 10n ** BigInt(decimals),
    symbol,
    insuranceVault: insuranceVault === zeroAddress ? null : insuranceVault,
  };
}

export async function readCollateralCount(client: LucentClient, blockNumber?: bigint): Promise<number> {
  const address = client.addresses.marketRegistry;
  const count = await read("collateralCount", address, () =>
    client.publicClient.readContract({
      address,
      abi: marketRegistryAbi,
      functionName: "collateralCount",
      ...at(blockNumber),
    }),
  );
  return Number(count);
}
