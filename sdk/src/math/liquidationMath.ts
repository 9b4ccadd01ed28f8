// Mirror of contracts/libraries/LiquidationMath.sol (SPEC §3, §6), name for name, with the same rounding,
// clamping and reverts.
import { MathError, assertInt, assertUint, uadd, udiv, umul, usub } from "./checked.js";
import { MarketKind } from "./contractMath.js";
import { WAD, abs, mulDiv, mulRateDown } from "./fixedPoint.js";

const WAD_SQUARED = WAD * WAD;

/** Prices are packed in 128 bits in events; a bankruptcy price beyond that does not exist. */
export const MAX_PRICE = (1n << 128n) - 1n;

function checkKind(kind: MarketKind): void {
  if (kind !== MarketKind.Linear && kind !== MarketKind.Inverse && kind !== MarketKind.Quanto) {
    throw new MathError("InvalidInput", [], { field: "kind", value: kind, type: "MarketKind" });
  }
}

function clampPrice(price: bigint): bigint {
  if (price === 0n) return 1n;
  return price > MAX_PRICE ? MAX_PRICE : price;
}

/**
 * The price at which closing `size` contracts leaves an account with `equity` (at `mark`, other marks fixed)
 * at exactly zero: `signedValue(size, P) = signedValue(size, mark) − equity`. Rounded in the liquidated
 * account's favour (a long's up, a short's down), so a close at this price never leaves it below zero.
 * Clamped to [1, MAX_PRICE] when no such price exists (e.g. an inverse long whose equity exceeds its value).
 */
export function bankruptcyPrice(
  kind: MarketKind,
  multiplier: bigint,
  unit: bigint,
  size: bigint,
  mark: bigint,
  equity: bigint,
): bigint {
  checkKind(kind);
  assertUint("multiplier", multiplier);
  assertUint("unit", unit);
  assertInt("size", size);
  assertUint("mark", mark);
  assertInt("equity", equity);
  const long = size > 0n;
  const absEquity = abs(equity);
  const exposure = umul(umul(abs(size), multiplier), unit); // value = exposure·P/1e36 or exposure/P
  if (kind === MarketKind.Inverse) {
    // long: A/P = A/mark + e; short: A/P = A/mark − e, with A = exposure.
    const addEquity = long === equity >= 0n;
    const equityTerm = umul(absEquity, mark);
    let denominator: bigint;
    if (addEquity) {
      denominator = uadd(exposure, equityTerm);
    } else {
      if (equityTerm >= exposure) return MAX_PRICE;
      denominator = exposure - equityTerm;
    }
    return clampPrice(mulDiv(exposure, mark, denominator, long));
  }
  // linear, quanto: P = mark − e·1e36/A (long), mark + e·1e36/A (short).
  const down = long === equity >= 0n; // the price moves below mark
  // Rounding towards the account's favour: a long's price rounds up, a short's down.
  const shift = mulDiv(absEquity, WAD_SQUARED, exposure, down !== long);
  if (down) return shift >= mark ? 1n : clampPrice(mark - shift);
  const up = uadd(mark, shift);
  return up > MAX_PRICE ? MAX_PRICE : up;
}

/**
 * The least size (in contracts, a multiple of `lot`, at most `absSize`) whose close at mark brings equity back
 * to initial margin, paying the liquidation fee on it: `equity − s·n·fee ≥ im − s·n·imRate` with n the
 * position's notional per contract. `deficit` is `im − equity` (> 0), `positionNotional` the whole position's.
 */
export function partialCloseSize(
  absSize: bigint,
  lot: bigint,
  deficit: bigint,
  positionNotional: bigint,
  imRate: bigint,
  feeRate: bigint,
): bigint {
  assertUint("absSize", absSize);
  assertUint("lot", lot);
  assertUint("deficit", deficit);
  assertUint("positionNotional", positionNotional);
  assertUint("imRate", imRate);
  assertUint("feeRate", feeRate);
  if (imRate <= feeRate) return absSize;
  const relief = mulRateDown(positionNotional, imRate - feeRate); // for the whole position
  if (relief === 0n) return absSize;
  let size = mulDiv(deficit, absSize, relief, true);
  size = umul(udiv(usub(uadd(size, lot), 1n), lot), lot);
  return size < absSize ? size : absSize;
}
