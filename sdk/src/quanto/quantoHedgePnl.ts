import type { MathErrorType } from "../math/checked.js";
import { MarketKind, pnl } from "../math/contractMath.js";
import { checkPositive, type InvalidQuantoInputError, underlyingExposure } from "./quantoExposure.js";

const WAD = 10n ** 18n;

export type QuantoHedgePnlParameters = {
  /** M: collateral per quote unit per contract, 18 decimals. */
  multiplier: bigint;
  /** Contracts, long > 0. */
  size: bigint;
  /** E: entry price of the underlying (quote per underlying), 18 decimals. */
  entry: bigint;
  /** X: exit price of the underlying, 18 decimals. */
  exit: bigint;
  /** S0: collateral price (quote per collateral unit) at entry, 18 decimals. */
  collateralEntry: bigint;
  /** S1: collateral price at exit, 18 decimals. */
  collateralExit: bigint;
  /** 10^decimals of the collateral token. */
  unit: bigint;
};

export type QuantoHedgePnlReturnType = {
  /** h = q·M·S0: underlying units the hedge is sized to, 18 decimals (the hedge holds −h). */
  underlyingExposure: bigint;
  /** q·M·(X − E) in collateral units, exactly as the contract settles it (`ContractMath.pnl`). */
  perpPnl: bigint;
  /** perpPnl · S1: the perp PnL converted at the exit collateral price, quote currency, 18 decimals. */
  perpPnlUsd: bigint;
  /** −h · (X − E): the spot hedge's PnL, quote currency, 18 decimals. */
  hedgePnlUsd: bigint;
  /** perpPnlUsd + hedgePnlUsd ≈ q·M·(X − E)·(S1 − S0): the correlation term the hedge cannot remove. */
  netPnlUsd: bigint;
};

export type QuantoHedgePnlErrorType = InvalidQuantoInputError | MathErrorType;

/**
 * The quote-currency (USD) PnL of a quanto position hedged with spot of the underlying.
 *
 * At entry the hedger sells h = q·M·S0 units of the underlying spot (buys, for a short perp): the perp's USD
 * sensitivity to the underlying at the entry collateral price. At exit:
 * ```
 * perpPnl     = q·M·(X − E)                 collateral units, settled by the contract
 * perpPnlUsd  = perpPnl · S1                the collateral is worth S1 when the PnL is realised
 * hedgePnlUsd = −h · (X − E) = −q·M·S0·(X − E)
 * netPnlUsd   = q·M·(X − E)·(S1 − S0)
 * ```
 * The hedge removes the first-order underlying risk but leaves the product of the underlying's and the
 * collateral's moves: if ETH and XBT rise together a long quanto gains, if they move apart it loses.
 * Quote amounts are truncated towards zero; perpPnl carries the contract's rounding.
 */
export function quantoHedgePnl({
  multiplier,
  size,
  entry,
  exit,
  collateralEntry,
  collateralExit,
  unit,
}: QuantoHedgePnlParameters): QuantoHedgePnlReturnType {
  checkPositive("collateralEntry", collateralEntry);
  checkPositive("collateralExit", collateralExit);
  const perpPnl = pnl(MarketKind.Quanto, multiplier, size, entry, exit, unit);
  const hedge = underlyingExposure(multiplier, size, collateralEntry);
  const perpPnlUsd = (perpPnl * collateralExit) / unit;
  const hedgePnlUsd = (-hedge * (exit - entry)) / WAD;
  return { underlyingExposure: hedge, perpPnl, perpPnlUsd, hedgePnlUsd, netPnlUsd: perpPnlUsd + hedgePnlUsd };
}
