// Internal: `adlScore` in float64 with a rigorous error bound, so a side can be ordered without bigint
// arithmetic. Every position gets `key ≈ score` and `error` with |score − key| ≤ error; the caller sorts by key
// and compares exactly only where intervals overlap. Where no tight bound is available (the sign of the PnL is
// uncertain, sizes beyond 2^53, values outside the fast range) the scorer returns NaN and the caller uses the
// exact bigint score.
import { MarketKind } from "../math/contractMath.js";
import { fastPathSafe } from "./adlScore.js";

/** Unit roundoff of float64. */
const U = 2 ** -53;
const TWO53 = 2 ** 53;
const WAD = 1e18; // exact in float64 (2^18 · 5^18, 5^18 < 2^53)
const WAD_SQUARED = 1e36; // not exact; its rounding (≤ u relative) is inside the relative terms below

/**
 * `(size, basis, equity) → key`, writing the bound to `errors[i]` (0 only when the key is the exact score);
 * NaN when the caller must score exactly.
 */
export type ApproxScorer = (size: bigint, basis: bigint, equity: bigint, errors: Float64Array, i: number) => number;

export function createApproxScorer(
  kind: MarketKind,
  multiplier: bigint,
  unit: bigint,
  mark: bigint,
): ApproxScorer | undefined {
  if (!fastPathSafe(kind, multiplier, unit, mark)) return undefined;
  // value = floor(size · k) with k = factor / divisor (see createAdlScorer).
  const inverse = kind === MarketKind.Inverse;
  const factor = inverse ? -(multiplier * unit) : multiplier * mark * unit;
  const divisor = inverse ? mark : 10n ** 36n;
  const kInt = factor / divisor;
  const kRem = factor % divisor;
  const k = Number(kInt) + Number(kRem) / Number(divisor);
  // k is exact when factor/divisor is an integer below 2^53; otherwise its relative error is ≤ 5u.
  const kExact = kRem === 0n && kInt <= BigInt(TWO53) && kInt >= -BigInt(TWO53);
  return (size, basis, equity, errors, i) => {
    if (typeof basis !== "bigint" || typeof equity !== "bigint") return NaN;
    const s = Number(size);
    if (!(Math.abs(s) <= TWO53)) return NaN; // sizes are checked to be bigints by the caller
    const b = Number(basis);
    const eq = Number(equity);
    if (!(Math.abs(b) < 2 ** 190) || !(Math.abs(eq) < 2 ** 254)) return NaN;
    const absB = Math.abs(b);
    const eB = absB > TWO53 ? absB * U : 0; // Number(basis) is exact up to 2^53
    // Mark value: exact when the product is exact, or when the floor of the rounded product is certified.
    const x = s * k;
    const absX = Math.abs(x);
    let v: number;
    let eV: number;
    if (kExact && absX <= TWO53) {
      v = x;
      eV = 0;
    } else {
      const r = absX * 8 * U;
      const f = Math.floor(x);
      if (absX < 2 ** 52 && x - f > r && f + 1 - x > r) {
        v = f;
        eV = 0;
      } else {
        v = x;
        eV = r + 1;
      }
    }
    const pnl = v - b;
    const absPnl = Math.abs(pnl);
    const ePnl = eV + eB + (absPnl > TWO53 ? absPnl * U : 0);
    if (ePnl > 0 && absPnl <= ePnl) return NaN; // the branch (pnl > 0) is not certain
    if (pnl === 0) {
      // pnl is exactly 0 (ePnl = 0 here): so is pnlPct, and the score is exactly 0.
      errors[i] = 0;
      return 0;
    }
    // pnlPct = clamp(trunc(pnl · 1e18 / max(|basis|, 1)), ±1e36)
    const absEntry = absB > 1 ? absB : 1;
    let pct = (pnl * WAD) / absEntry;
    const ePct = ((ePnl * WAD) / absEntry) * (1 + 1e-9) + Math.abs(pct) * 8 * U + 1;
    if (pct > WAD_SQUARED) pct = WAD_SQUARED;
    else if (pct < -WAD_SQUARED) pct = -WAD_SQUARED;
    // leverage = clamp(trunc(max(|value|, 1) · 1e18 / max(equity, 1)), 1, 1e36)
    const absMark = Math.abs(v) > 1 ? Math.abs(v) : 1;
    const eqq = eq > 1 ? eq : 1;
    let lev = (absMark * WAD) / eqq;
    const eLev = ((eV * WAD) / eqq) * (1 + 1e-9) + lev * 8 * U + 1;
    if (lev < 1) lev = 1;
    else if (lev > WAD_SQUARED) lev = WAD_SQUARED;
    const absPct = Math.abs(pct);
    let score: number;
    let e: number;
    if (pnl > 0) {
      score = (pct * lev) / WAD;
      e = (absPct * eLev + lev * ePct + ePct * eLev) / WAD;
    } else {
      score = (pct * WAD) / lev;
      const levLow = lev - eLev > 1 ? lev - eLev : 1;
      e = (ePct * WAD) / levLow + (absPct * WAD * eLev) / (lev * levLow);
    }
    // Truncation of the final division (1), its rounding, and a factor 2 for the rounding of this bound itself.
    errors[i] = 2 * (e + Math.abs(score) * 8 * U + 1) + 2;
    return score;
  };
}
