import type { LucentClient } from "../clients/types.js";
import { clampPremium, fundingRate } from "../math/fundingMath.js";
import type { InvalidParameterError, LucentRpcError, UnknownMarketError } from "./errors.js";
import { getMarkets, type Market } from "./getMarkets.js";
import { readClearinghouse } from "./internal/read.js";
import { checkSmallUint } from "./internal/validate.js";

export type GetMarketStateParameters = {
  marketId: number;
  /** The market's configuration, if already read (saves the registry reads). */
  market?: Market | undefined;
  blockNumber?: bigint | undefined;
};

/** A market's prices and funding now (SPEC §4), as `Clearinghouse.marketState` reports them. */
export type GetMarketStateReturnType = {
  marketId: number;
  /** The oracle's price, 18 decimals (0 if unusable). */
  indexPrice: bigint;
  /** Whether the index is within the market's `maxIndexAge`; a stale index blocks risk-increasing trades. */
  indexFresh: boolean;
  /** The mark margin is computed at, 18 decimals. */
  markPrice: bigint;
  /** The stored premium EMA, 18 decimals (signed). */
  premiumEma: bigint;
  /** The premium the mark and funding use: the EMA clamped to ±markBandRate. */
  premium: bigint;
  /** Funding rate per funding interval: premium + clamp(interest − premium, ±cap); longs pay when > 0. */
  fundingRate: bigint;
  /** Funding index accrued to now, collateral per contract (scaled by `fundingPrecision(unit)`). */
  cumulativeFunding: bigint;
  /** Long contracts (= short contracts, INV-2). */
  openInterest: bigint;
};

export type GetMarketStateErrorType = UnknownMarketError | InvalidParameterError | LucentRpcError;

/** Index, mark, premium, funding and open interest of one market. */
export async function getMarketState(
  client: LucentClient,
  { marketId, market, blockNumber }: GetMarketStateParameters,
): Promise<GetMarketStateReturnType> {
  checkSmallUint("marketId", marketId, 8);
  // Also rejects an unknown market before the clearinghouse would panic on it.
  const config = market ?? (await getMarkets(client, { marketIds: [marketId], blockNumber }))[0]!;
  const [indexPrice, indexFresh, markPrice, premiumEma, cumulativeFunding, openInterest] = await readClearinghouse(
    client,
    "marketState",
    [marketId],
    blockNumber,
  );
  const premium = clampPremium(premiumEma, config.markBandRate);
  return {
    marketId,
    indexPrice,
    indexFresh,
    markPrice,
    premiumEma,
    premium,
    fundingRate: fundingRate(premium, config.interestRate, config.fundingCapRate),
    cumulativeFunding,
    openInterest,
  };
}
