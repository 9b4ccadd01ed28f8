// Mirror of contracts/libraries/PositionMath.sol (SPEC §2–3), name for name, with the same rounding and reverts.
import { MathError, assertInt, assertIntN, assertUint, sadd, sneg, ssub } from "./checked.js";
import { MarketKind, signedValue } from "./contractMath.js";
import { abs, signedMulDiv } from "./fixedPoint.js";

/** `PositionMath.Trade`: the position after a fill and what the fill realized. */
export type Trade = { size: bigint; basis: bigint; realizedPnl: bigint };

/** Applies `delta` contracts at `price` to a position of `size` with cost `basis` (collateral units). */
export function applyTrade(
  kind: MarketKind,
  multiplier: bigint,
  unit: bigint,
  size: bigint,
  basis: bigint,
  delta: bigint,
  price: bigint,
): Trade {
  assertUint("multiplier", multiplier);
  assertUint("unit", unit);
  assertInt("size", size);
  assertInt("basis", basis);
  assertInt("delta", delta);
  assertUint("price", price);
  const newSize = sadd(size, delta);
  if (size === 0n || size > 0n === delta > 0n) {
    // Opening or increasing.
    return {
      size: newSize,
      basis: sadd(basis, signedValue(kind, multiplier, delta, price, unit, true)),
      realizedPnl: 0n,
    };
  }
  if (newSize === 0n || newSize > 0n === size > 0n) {
    // Reducing or closing: release the closed share of the basis.
    const closed = sneg(delta);
    const released = _shareUp(basis, closed, size);
    const exitValue = signedValue(kind, multiplier, closed, price, unit, false);
    const newBasis = ssub(basis, released);
    return { size: newSize, basis: newBasis, realizedPnl: ssub(exitValue, released) };
  }
  // Flipping: close everything, then open the remainder on the other side.
  const realizedPnl = ssub(signedValue(kind, multiplier, size, price, unit, false), basis);
  return { size: newSize, basis: signedValue(kind, multiplier, newSize, price, unit, true), realizedPnl };
}

/** Fill values at or above this are skipped by the clearinghouse before `applyFill` (PositionMath.sol). */
export const MAX_FILL_VALUE = 1n << 252n;

/**
 * `applyTrade` for a fill whose value (|delta| contracts at `price`, `magnitudes`) is known rounded
 * down and up, as the clearinghouse settles both sides of a fill from one valuation; `addsRisk` is
 * `increasesRisk(size, newSize)`, told by the branch taken. The contract's precondition (a value below
 * `MAX_FILL_VALUE`, an int64 size, an int96 basis) is checked here.
 */
export function applyFill(
  kind: MarketKind,
  multiplier: bigint,
  unit: bigint,
  size: bigint,
  basis: bigint,
  delta: bigint,
  price: bigint,
  valueDown: bigint,
  valueUp: bigint,
): Trade & { addsRisk: boolean } {
  assertIntN("size", size, 64);
  assertIntN("basis", basis, 96);
  assertIntN("delta", delta, 65);
  assertUint("valueDown", valueDown);
  assertUint("valueUp", valueUp);
  if (valueUp >= MAX_FILL_VALUE) {
    throw new MathError("InvalidInput", [], { field: "valueUp", value: valueUp, type: "below 2^252" });
  }
  const inverse = kind === MarketKind.Inverse;
  // A signed value from the known magnitude: rounded towards +∞, positive takes `up`, negative `down`.
  const signed = (negative: boolean, roundUp: boolean) =>
    negative ? -(roundUp ? valueDown : valueUp) : roundUp ? valueUp : valueDown;
  const newSize = size + delta;
  if (size === 0n || size > 0n === delta > 0n) {
    // Opening or increasing: the fill's signed value rounded up.
    return {
      size: newSize,
      basis: basis + signed(delta < 0n !== inverse, true),
      realizedPnl: 0n,
      addsRisk: delta !== 0n,
    };
  }
  if (newSize === 0n || newSize > 0n === size > 0n) {
    // Reducing or closing: the closed contracts (−delta) are the fill's, valued down.
    const released = _shareUp(basis, -delta, size);
    return {
      size: newSize,
      basis: basis - released,
      realizedPnl: signed(delta > 0n !== inverse, false) - released,
      addsRisk: false,
    };
  }
  // Flipping: both parts valued on their own.
  return {
    size: newSize,
    basis: signedValue(kind, multiplier, newSize, price, unit, true),
    realizedPnl: signedValue(kind, multiplier, size, price, unit, false) - basis,
    addsRisk: true,
  };
}

/** Unrealized PnL at `price`: signed value (rounded down) minus basis. */
export function unrealizedPnl(
  kind: MarketKind,
  multiplier: bigint,
  unit: bigint,
  size: bigint,
  basis: bigint,
  price: bigint,
): bigint {
  assertInt("size", size);
  assertInt("basis", basis);
  if (size === 0n) return 0n;
  return ssub(signedValue(kind, multiplier, size, price, unit, false), basis);
}

/** Does moving from `size` to `newSize` add risk (grow or flip the position)? */
export function increasesRisk(size: bigint, newSize: bigint): boolean {
  assertInt("size", size);
  assertInt("newSize", newSize);
  if (newSize === 0n) return false;
  if (size === 0n || size > 0n !== newSize > 0n) return true; // opening or flipping
  // Same side: growing away from zero. (No absolute values, so int256's minimum is no special case.)
  return newSize > 0n ? newSize > size : newSize < size;
}

/** basis × closed / size, rounded towards +∞. */
function _shareUp(basis: bigint, closed: bigint, size: bigint): bigint {
  if (closed === size) return basis;
  const absClosed = abs(closed);
  const absSize = abs(size);
  return signedMulDiv(abs(basis), absClosed, absSize, basis < 0n, true);
}
