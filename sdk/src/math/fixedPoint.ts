// Mirror of contracts/libraries/FixedPoint.sol, name for name, with the same rounding and reverts.
import {
  MAX_INT256,
  MAX_UINT256,
  MathError,
  MIN_INT256,
  PanicCode,
  assertInt,
  assertUint,
  panic,
  sdiv,
  smul,
  sadd,
  toInt256,
  uadd,
} from "./checked.js";

export const WAD = 10n ** 18n;

/**
 * a × b / denominator, rounded towards +∞ when `roundUp`. Throws `Panic(0x12)` for a zero denominator
 * and `Panic(0x11)` when the result does not fit 256 bits (as OpenZeppelin's `Math.mulDiv` does).
 */
export function mulDiv(a: bigint, b: bigint, denominator: bigint, roundUp: boolean): bigint {
  assertUint("a", a);
  assertUint("b", b);
  assertUint("denominator", denominator);
  if (denominator === 0n) panic(PanicCode.DivisionByZero);
  const product = a * b;
  const q = product / denominator;
  if (q > MAX_UINT256) panic(PanicCode.Overflow);
  return roundUp && product % denominator !== 0n ? uadd(q, 1n) : q;
}

/** a × b / denominator rounded both ways. */
export function mulDivBoth(a: bigint, b: bigint, denominator: bigint): { down: bigint; up: bigint } {
  const down = mulDiv(a, b, denominator, false);
  const up = (a * b) % denominator !== 0n ? uadd(down, 1n) : down;
  return { down, up };
}

/** |x| as uint256; `Panic(0x11)` for the minimum int256. */
export function abs(x: bigint): bigint {
  assertInt("x", x);
  if (x === MIN_INT256) panic(PanicCode.Overflow);
  return x >= 0n ? x : -x;
}

/**
 * The magnitude a × b / denominator with the sign of `negative`, rounded towards +∞ (`roundUp`) or −∞.
 * Throws `FixedPointOverflow(magnitude)` when the magnitude exceeds the maximum int256.
 */
export function signedMulDiv(a: bigint, b: bigint, denominator: bigint, negative: boolean, roundUp: boolean): bigint {
  const magnitude = mulDiv(a, b, denominator, roundUp !== negative);
  if (magnitude > MAX_INT256) throw new MathError("FixedPointOverflow", [magnitude]);
  return negative ? -magnitude : magnitude;
}

/** x × rate / 1e18 rounded up: a requirement or a fee. */
export function mulRateUp(x: bigint, rate: bigint): bigint {
  return mulDiv(x, rate, WAD, true);
}

/** x × rate / 1e18 rounded down: a credit. */
export function mulRateDown(x: bigint, rate: bigint): bigint {
  return mulDiv(x, rate, WAD, false);
}

/** a / b for signed a and positive b, rounded towards +∞ (b is reinterpreted as `int256(b)`, as on chain). */
export function divUp(a: bigint, b: bigint): bigint {
  assertInt("a", a);
  assertUint("b", b);
  const sb = toInt256(b);
  let q = sdiv(a, sb);
  if (a > 0n && smul(q, sb) !== a) q = sadd(q, 1n);
  return q;
}
