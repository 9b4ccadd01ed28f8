// Mirror of contracts/libraries/ContractMath.sol (SPEC §2), name for name, with the same rounding and reverts.
import { MAX_INT256, MathError, assertInt, assertUint, ssub, umul } from "./checked.js";
import { abs, mulDiv, mulDivBoth, mulRateUp, signedMulDiv } from "./fixedPoint.js";

/** `enum MarketKind` (contracts/types/Market.sol). */
export const MarketKind = { Linear: 0, Inverse: 1, Quanto: 2 } as const;
export type MarketKind = (typeof MarketKind)[keyof typeof MarketKind];

const WAD_SQUARED = 10n ** 36n;

function checkKind(kind: MarketKind): void {
  if (kind !== MarketKind.Linear && kind !== MarketKind.Inverse && kind !== MarketKind.Quanto) {
    throw new MathError("InvalidInput", [], { field: "kind", value: kind, type: "MarketKind" });
  }
}

function checkPrice(price: bigint): void {
  assertUint("price", price);
  if (price === 0n) throw new MathError("ZeroPrice");
}

/** Signed collateral value of `size` contracts at `price`: +M·P·q (linear, quanto) or −M·q/P (inverse). */
export function signedValue(
  kind: MarketKind,
  multiplier: bigint,
  size: bigint,
  price: bigint,
  unit: bigint,
  roundUp: boolean,
): bigint {
  checkKind(kind);
  assertUint("multiplier", multiplier);
  assertInt("size", size);
  assertUint("unit", unit);
  checkPrice(price);
  const contracts = abs(size);
  if (kind === MarketKind.Inverse) {
    return signedMulDiv(umul(contracts, multiplier), unit, price, size > 0n, roundUp);
  }
  return signedMulDiv(umul(contracts, multiplier), umul(price, unit), WAD_SQUARED, size < 0n, roundUp);
}

/** Unsigned position value V = |size| × value(price), rounded up. */
export function notional(kind: MarketKind, multiplier: bigint, size: bigint, price: bigint, unit: bigint): bigint {
  checkKind(kind);
  assertUint("multiplier", multiplier);
  assertInt("size", size);
  assertUint("unit", unit);
  checkPrice(price);
  const contracts = abs(size);
  if (kind === MarketKind.Inverse) return mulDiv(umul(contracts, multiplier), unit, price, true);
  return mulDiv(umul(contracts, multiplier), umul(price, unit), WAD_SQUARED, true);
}

/** `signedValue(..., roundUp = false)` and `notional(...)` from one division. */
export function valueAndNotional(
  kind: MarketKind,
  multiplier: bigint,
  size: bigint,
  price: bigint,
  unit: bigint,
): { valueDown: bigint; notionalUp: bigint } {
  assertInt("size", size);
  // Exact for every int256, the minimum included (`FixedPoint.absUnchecked`).
  const { down, up: notionalUp } = magnitudes(kind, multiplier, size >= 0n ? size : -size, price, unit);
  if (notionalUp > MAX_INT256) throw new MathError("FixedPointOverflow", [notionalUp]);
  // Negative for a short (linear, quanto) or a long (inverse).
  const negative = size < 0n !== (kind === MarketKind.Inverse);
  return { valueDown: negative ? -notionalUp : down, notionalUp };
}

/**
 * The value of `contracts` contracts at `price` without its sign, rounded down and up: `notional` is
 * `up`, and `signedValue` of that many contracts is ±`down` or ±`up`.
 */
export function magnitudes(
  kind: MarketKind,
  multiplier: bigint,
  contracts: bigint,
  price: bigint,
  unit: bigint,
): { down: bigint; up: bigint } {
  checkKind(kind);
  assertUint("multiplier", multiplier);
  assertUint("contracts", contracts);
  assertUint("unit", unit);
  checkPrice(price);
  if (kind === MarketKind.Inverse) return mulDivBoth(umul(contracts, multiplier), unit, price);
  return mulDivBoth(umul(contracts, multiplier), umul(price, unit), WAD_SQUARED);
}

/** PnL of `size` contracts from `entry` to `exit`: exit value rounded down minus basis rounded up. */
export function pnl(
  kind: MarketKind,
  multiplier: bigint,
  size: bigint,
  entry: bigint,
  exit: bigint,
  unit: bigint,
): bigint {
  const exitValue = signedValue(kind, multiplier, size, exit, unit, false);
  const entryValue = signedValue(kind, multiplier, size, entry, unit, true);
  return ssub(exitValue, entryValue);
}

/** Initial or maintenance margin: V × rate, rounded up. */
export function margin(
  kind: MarketKind,
  multiplier: bigint,
  size: bigint,
  price: bigint,
  rate: bigint,
  unit: bigint,
): bigint {
  return mulRateUp(notional(kind, multiplier, size, price, unit), rate);
}

/** How many contracts make `exposure` collateral units of value at `price`, rounded down. */
export function contractsForExposure(
  kind: MarketKind,
  multiplier: bigint,
  price: bigint,
  exposure: bigint,
  unit: bigint,
): bigint {
  checkKind(kind);
  assertUint("multiplier", multiplier);
  assertUint("exposure", exposure);
  assertUint("unit", unit);
  checkPrice(price);
  if (kind === MarketKind.Inverse) return mulDiv(exposure, price, umul(multiplier, unit), false);
  return mulDiv(exposure, WAD_SQUARED, umul(umul(multiplier, price), unit), false);
}
