// Quanto exposure (SPEC §2): a quanto contract pays M collateral per quote unit of price move, so its value in
// collateral is q·M·P but its sensitivity to the underlying, measured in the quote currency, depends on what the
// collateral is worth: d(PnL in quote)/dP = q·M·S. A hedger holding the underlying therefore needs q·M·S units of
// it — independent of P — and has to resize as S moves (the quanto effect).
import { LucentError } from "../errors.js";
import type { MathErrorType } from "../math/checked.js";
import { MarketKind, signedValue } from "../math/contractMath.js";

const WAD = 10n ** 18n;

export type QuantoExposureParameters = {
  /** M: collateral per quote unit per contract, 18 decimals (0.000001 XBT per USD = 10^12). */
  multiplier: bigint;
  /** Contracts, long > 0. */
  size: bigint;
  /** P: price of the underlying in the quote currency (USD per ETH), 18 decimals. */
  price: bigint;
  /** S: price of the collateral in the quote currency (USD per XBT), 18 decimals. */
  collateralPrice: bigint;
  /** 10^decimals of the collateral token. */
  unit: bigint;
};

export type QuantoExposureReturnType = {
  /** q·M·P in collateral units (smallest unit), rounded down as `ContractMath.signedValue`. */
  value: bigint;
  /** q·M·P·S in the quote currency, 18 decimals, truncated towards zero. */
  quoteValue: bigint;
  /**
   * q·M·S: units of the underlying (ETH) whose quote-currency PnL matches the position's for a small move of P,
   * 18 decimals, truncated towards zero. Equals quoteValue / P.
   */
  underlyingExposure: bigint;
};

export type QuantoExposureErrorType = InvalidQuantoInputError | MathErrorType;

export class InvalidQuantoInputError extends LucentError {
  override name = "InvalidQuantoInputError";
  constructor(details: { field: string; value: unknown; reason: string }) {
    super(`Invalid quanto input ${details.field}: ${details.reason}.`, { details });
  }
}

/** A quanto position's exposure in the collateral, in the quote currency and in units of the underlying. */
export function quantoExposure({
  multiplier,
  size,
  price,
  collateralPrice,
  unit,
}: QuantoExposureParameters): QuantoExposureReturnType {
  checkPositive("collateralPrice", collateralPrice);
  const value = signedValue(MarketKind.Quanto, multiplier, size, price, unit, false); // validates the rest
  return {
    value,
    quoteValue: (size * multiplier * price * collateralPrice) / (WAD * WAD),
    underlyingExposure: underlyingExposure(multiplier, size, collateralPrice),
  };
}

/** q·M·S, 18 decimals, truncated towards zero. */
export function underlyingExposure(multiplier: bigint, size: bigint, collateralPrice: bigint): bigint {
  return (size * multiplier * collateralPrice) / WAD;
}

export function checkPositive(field: string, x: bigint): void {
  if (typeof x !== "bigint" || x <= 0n) {
    throw new InvalidQuantoInputError({ field, value: x, reason: "not a positive bigint" });
  }
}
