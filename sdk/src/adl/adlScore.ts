// The RANKED auto-deleveraging score of docs/adl.md (SPEC §7), bit for bit as contracts/libraries/AdlMath.sol.
import { MAX_INT256, MAX_UINT256, MIN_INT256, type MathError, assertInt, sdiv, smul, ssub } from "../math/checked.js";
import { MarketKind, signedValue } from "../math/contractMath.js";
import { abs } from "../math/fixedPoint.js";

const WAD = 10n ** 18n;
const WAD_SQUARED = 10n ** 36n;

export type AdlScoreParameters = {
  /** The market's `MarketKind` (linear, inverse, quanto). */
  kind: MarketKind;
  /** M, 18-decimal fixed point. */
  multiplier: bigint;
  /** 10^decimals of the collateral token. */
  unit: bigint;
  /** Contracts, long > 0. */
  size: bigint;
  /** Σ signed value of the fills that built the position, collateral units (SPEC §2). */
  basis: bigint;
  /** Mark price, 18-decimal fixed point. */
  mark: bigint;
  /** The holder's equity at mark (`accountHealth().equity`), collateral units. */
  equity: bigint;
};

/**
 * The score: profitable positions `PnL% × effective leverage`, losing or flat ones `PnL% / effective leverage`
 * (≤ 0), both with 18 decimals. Higher scores are deleveraged first.
 */
export type AdlScoreReturnType = bigint;

/** Thrown where the contract reverts: `ZeroPrice`, overflow `Panic(0x11)`, or an argument outside its type. */
export type AdlScoreErrorType = MathError;

/**
 * The RANKED score of one position (docs/adl.md):
 * ```
 * markValue = signedValue(kind, M, size, mark, unit, roundUp = false)
 * pnl       = markValue − basis
 * pnlPct    = clamp(pnl · 1e18 / max(|basis|, 1), −1e36, 1e36)
 * leverage  = clamp(max(|markValue|, 1) · 1e18 / max(equity, 1), 1, 1e36)
 * score     = pnl > 0 ? pnlPct · leverage / 1e18 : pnlPct · 1e18 / leverage
 * ```
 * Integer arithmetic, checked like Solidity's, `/` truncating towards zero.
 */
export function adlScore({
  kind,
  multiplier,
  unit,
  size,
  basis,
  mark,
  equity,
}: AdlScoreParameters): AdlScoreReturnType {
  const markValue = signedValue(kind, multiplier, size, mark, unit, false);
  const pnl = ssub(markValue, assertInt("basis", basis));
  const absEntry = max(abs(basis), 1n);
  const absMark = max(abs(markValue), 1n);
  const eq = max(assertInt("equity", equity), 1n);
  const pnlPct = clamp(sdiv(smul(pnl, WAD), absEntry), -WAD_SQUARED, WAD_SQUARED);
  const leverage = clamp(sdiv(smul(absMark, WAD), eq), 1n, WAD_SQUARED);
  return pnl > 0n ? sdiv(smul(pnlPct, leverage), WAD) : sdiv(smul(pnlPct, WAD), leverage);
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function clamp(x: bigint, lo: bigint, hi: bigint): bigint {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A scorer for one market side at one mark: `(size, basis, equity) → adlScore(...)`. */
export type AdlScorer = (size: bigint, basis: bigint, equity: bigint) => bigint;

/**
 * `adlScore` specialised to one market and mark, for scoring a whole side. Identical results and errors:
 * inputs in the range of the contract's storage (`int64` size, |basis| < 2^190, int256 equity) take a
 * fast path of unchecked bigint arithmetic that cannot overflow there (bounds derived once per market);
 * anything else goes through the checked `adlScore`.
 */
export function createAdlScorer(kind: MarketKind, multiplier: bigint, unit: bigint, mark: bigint): AdlScorer {
  const slow: AdlScorer = (size, basis, equity) => adlScore({ kind, multiplier, unit, size, basis, mark, equity });
  if (!fastPathSafe(kind, multiplier, unit, mark)) return slow;
  const inverse = kind === MarketKind.Inverse;
  // Linear/quanto: value = floor(size · M·P·unit / 1e36). Inverse: value = floor(−size · M·unit / P).
  // Flooring (towards −∞) is `signedValue(..., roundUp = false)` for both signs.
  const factor = inverse ? -(multiplier * unit) : multiplier * mark * unit;
  const divisor = inverse ? mark : WAD_SQUARED;
  return (size, basis, equity) => {
    if (
      typeof size !== "bigint" ||
      typeof basis !== "bigint" ||
      typeof equity !== "bigint" ||
      size > SIZE_BOUND ||
      size < -SIZE_BOUND ||
      basis >= BASIS_BOUND ||
      basis <= -BASIS_BOUND ||
      equity > MAX_INT256 ||
      equity < MIN_INT256
    ) {
      return slow(size, basis, equity);
    }
    const a = size * factor;
    let value = a / divisor;
    if (a < 0n && value * divisor !== a) value -= 1n;
    const pnl = value - basis;
    const absEntry = basis < 0n ? -basis : basis === 0n ? 1n : basis;
    let pnlPct = (pnl * WAD) / absEntry;
    if (pnlPct > WAD_SQUARED) pnlPct = WAD_SQUARED;
    else if (pnlPct < -WAD_SQUARED) pnlPct = -WAD_SQUARED;
    const absMark = value < 0n ? -value : value === 0n ? 1n : value;
    let leverage = (absMark * WAD) / (equity < 1n ? 1n : equity);
    if (leverage < 1n) leverage = 1n;
    else if (leverage > WAD_SQUARED) leverage = WAD_SQUARED;
    return pnl > 0n ? (pnlPct * leverage) / WAD : (pnlPct * WAD) / leverage;
  };
}

/** Positions are stored with an `int64` size (contracts/types/Position.sol). */
const SIZE_BOUND = 1n << 63n;
/**
 * With |value| and |basis| below 2^190: |pnl| < 2^191, |pnl · 1e18| < 2^251, |pnlPct · leverage| ≤ 1e72 < 2^240,
 * so no intermediate of the fast path leaves int256 and it cannot differ from the checked one.
 */
const BASIS_BOUND = 1n << 190n;

/** Whether the market's constants keep every fast-path intermediate inside int256 (see `BASIS_BOUND`). */
export function fastPathSafe(kind: MarketKind, multiplier: bigint, unit: bigint, mark: bigint): boolean {
  for (const x of [multiplier, unit, mark]) {
    if (typeof x !== "bigint" || x < 0n || x > MAX_UINT256) return false;
  }
  if (mark === 0n) return false;
  if (kind !== MarketKind.Linear && kind !== MarketKind.Inverse && kind !== MarketKind.Quanto) return false;
  if (SIZE_BOUND * multiplier > MAX_UINT256) return false;
  const maxValue =
    kind === MarketKind.Inverse
      ? (SIZE_BOUND * multiplier * unit) / mark + 1n
      : mark * unit > MAX_UINT256
        ? BASIS_BOUND
        : (SIZE_BOUND * multiplier * mark * unit) / WAD_SQUARED + 1n;
  return maxValue < BASIS_BOUND;
}
