import type { Address } from "viem";
import { marketRegistryAbi } from "../abi/marketRegistry.js";
import type { LucentClient } from "../clients/types.js";
import { MarketKind } from "../math/contractMath.js";
import type { InvalidParameterError, LucentRpcError, UnknownMarketError } from "./errors.js";
import { at, checkMarketIds, read, readCollateral, readMarketCount, type CollateralInfo } from "./internal/read.js";
import { checkSmallUint } from "./internal/validate.js";

/** `enum AdlPolicy` (contracts/types/Market.sol). */
export const AdlPolicy = { Ranked: 0, ProRata: 1 } as const;
export type AdlPolicy = (typeof AdlPolicy)[keyof typeof AdlPolicy];

export const MARKET_KIND_NAMES = {
  [MarketKind.Linear]: "linear",
  [MarketKind.Inverse]: "inverse",
  [MarketKind.Quanto]: "quanto",
} as const;
export type MarketKindName = (typeof MARKET_KIND_NAMES)[MarketKind];
export const ADL_POLICY_NAMES = { [AdlPolicy.Ranked]: "ranked", [AdlPolicy.ProRata]: "pro-rata" } as const;
export type AdlPolicyName = (typeof ADL_POLICY_NAMES)[AdlPolicy];

/** A listed market: `MarketConfig` (contracts/types/Market.sol) decoded, with its collateral. */
export type Market = {
  id: number;
  symbol: string;
  /** For the contract math (`MarketKind.Linear` ...). */
  kind: MarketKind;
  kindName: MarketKindName;
  adlPolicy: AdlPolicy;
  adlPolicyName: AdlPolicyName;
  collateral: CollateralInfo;
  active: boolean;
  /** Seconds over which a funding rate is paid. */
  fundingInterval: number;
  /** Seconds: time constant of the premium EMA. */
  premiumEmaPeriod: number;
  /** Seconds after which the index is stale. */
  maxIndexAge: number;
  /** M, 18 decimals (base units, quote units or collateral per quote unit per contract). */
  multiplier: bigint;
  /** Price increment, 18 decimals. */
  tickSize: bigint;
  /** Size increment, contracts. */
  lotSize: bigint;
  /** Contracts per side. */
  maxOpenInterest: bigint;
  /** Rates, 18 decimals. */
  imRate: bigint;
  mmRate: bigint;
  makerFeeRate: bigint;
  takerFeeRate: bigint;
  keeperFeeShare: bigint;
  /** |interest − premium| clamp per funding interval. */
  fundingCapRate: bigint;
  /** Per funding interval, signed. */
  interestRate: bigint;
  /** The mark stays within index × (1 ± markBandRate). */
  markBandRate: bigint;
  /** The market's IIndexOracle. */
  oracle: Address;
};

export type GetMarketsParameters = {
  /** Only these markets (default: every listed market, in id order). */
  marketIds?: readonly number[] | undefined;
  blockNumber?: bigint | undefined;
};

export type GetMarketsReturnType = Market[];

export type GetMarketsErrorType = UnknownMarketError | InvalidParameterError | LucentRpcError;

/** Every listed market (or the given ones) with its configuration and collateral token. */
export async function getMarkets(
  client: LucentClient,
  { marketIds, blockNumber }: GetMarketsParameters = {},
): Promise<GetMarketsReturnType> {
  let ids: readonly number[];
  if (marketIds === undefined) {
    const count = await readMarketCount(client, blockNumber);
    ids = Array.from({ length: count }, (_, i) => i);
  } else {
    ids = marketIds.map((id, i) => checkSmallUint(`marketIds[${i}]`, id, 8));
    await checkMarketIds(client, ids, blockNumber);
  }
  const collaterals = new Map<number, Promise<CollateralInfo>>();
  const collateral = (index: number) => {
    let info = collaterals.get(index);
    if (info === undefined) {
      info = readCollateral(client, index, blockNumber);
      collaterals.set(index, info);
    }
    return info;
  };
  return Promise.all(ids.map((id) => readMarket(client, id, collateral, blockNumber)));
}

async function readMarket(
  client: LucentClient,
  id: number,
  collateral: (index: number) => Promise<CollateralInfo>,
  blockNumber: bigint | undefined,
): Promise<Market> {
  const address = client.addresses.marketRegistry;
  const [[config], symbol] = await Promise.all([
    read("market", address, () =>
      client.publicClient.readContract({
        address,
        abi: marketRegistryAbi,
        functionName: "market",
        args: [BigInt(id)],
        ...at(blockNumber),
      }),
    ),
    read("symbol", address, () =>
      client.publicClient.readContract({
        address,
        abi: marketRegistryAbi,
        functionName: "symbol",
        args: [BigInt(id)],
        ...at(blockNumber),
      }),
    ),
  ]);
  const kind = config.kind as MarketKind;
  const adlPolicy = config.adlPolicy as AdlPolicy;
  return {
    id,
    symbol,
    kind,
    kindName: MARKET_KIND_NAMES[kind],
    adlPolicy,
    adlPolicyName: ADL_POLICY_NAMES[adlPolicy],
    collateral: await collateral(config.collateral),
    active: config.active,
    fundingInterval: config.fundingInterval,
    premiumEmaPeriod: config.premiumEmaPeriod,
    maxIndexAge: config.maxIndexAge,
    multiplier: config.multiplier,
    tickSize: config.tickSize,
    lotSize: config.lotSize,
    maxOpenInterest: config.maxOpenInterest,
    imRate: config.imRate,
    mmRate: config.mmRate,
    makerFeeRate: config.makerFeeRate,
    takerFeeRate: config.takerFeeRate,
    keeperFeeShare: config.keeperFeeShare,
    fundingCapRate: config.fundingCapRate,
    interestRate: config.interestRate,
    markBandRate: config.markBandRate,
    oracle: config.oracle,
  };
}
