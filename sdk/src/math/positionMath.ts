// Mirror of contracts/libraries/PositionMath.sol (SPEC §2–3), name for name, with the same rounding and reverts.
import { assertInt, assertUint, sadd, sneg, ssub } from "./checked.js";
import { type MarketKind, signedValue } from "./contractMath.js";
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
