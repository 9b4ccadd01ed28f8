// SPEC §9: the cascade ratio R(Δ) = L(Δ) / D(Δ) of one market and direction. Pure: no client, no clock.
// The keeper publishes it every tick (keeper/src/bots/liquidator.ts) and `lucent risk cascade` prints it;
// both call this function, so the number a dApp shows is the number the keeper publishes.
import { InvalidParameterError } from "../actions/errors.js";

/** The moves SPEC §9 reports, in basis points from mark. */
export const CASCADE_DELTAS_BPS = [25, 50, 100, 200, 500] as const;

/**
 * `down`: the mark falls; longs liquidate and the bids absorb them.
 * `up`: the mark rises; shorts liquidate and the asks absorb them.
 */
export type CascadeDirection = "down" | "up";

/** A position's liquidation price and its notional (any one unit, the same as the book's). */
export type CascadeExposure = { liquidationPrice: number; notional: number };

/** A resting price level of the absorbing side with its notional (same unit as the exposures). */
export type CascadeLevel = { price: number; notional: number };

export type CascadeRatioParameters = {
  /** Mark price (any price unit, e.g. quote units; prices below use the same unit). */
  mark: number;
  direction: CascadeDirection;
  /**
   * L: the positions of the side that liquidates (longs for `down`, shorts for `up`), or a function
   * giving the notional whose liquidation price lies between the mark and `limitPrice` (inclusive,
   * and including positions already past the mark: they liquidate first).
   */
  liquidations: readonly CascadeExposure[] | ((limitPrice: number) => number);
  /**
   * D: the absorbing side's levels (bids for `down`, asks for `up`), or a function giving the resting
   * notional at prices at least as good for a seller (`down`: ≥ limitPrice) or buyer (`up`: ≤ limitPrice).
   */
  depth: readonly CascadeLevel[] | ((limitPrice: number) => number);
  /** Default {@link CASCADE_DELTAS_BPS}. */
  deltasBps?: readonly number[];
};

export type CascadeRow = {
  deltaBps: number;
  /** `mark · (1 ∓ Δ/10⁴)`: the price the move reaches. */
  limitPrice: number;
  /** L(Δ). */
  liquidating: number;
  /** D(Δ). */
  depth: number;
  /**
   * L/D. Conventions: L = 0 → 0 (nothing liquidates, whatever the book); D = 0 and L > 0 → `Infinity`
   * (nothing absorbs it: the band caps the book side and backstop/ADL take the rest). JSON has no
   * Infinity: publish with {@link cascadeToJson}.
   */
  ratio: number;
};

export type CascadeRatioReturnType = { direction: CascadeDirection; mark: number; rows: CascadeRow[] };

export type CascadeRatioErrorType = InvalidParameterError;

/**
 * R(Δ) for each Δ. With arrays, one sort-free pass per Δ (O((n + levels) · |Δ|)); with functions, one
 * call of each per Δ (the keeper passes its liquidation index and its order book, both logarithmic).
 */
export function cascadeRatio({
  mark,
  direction,
  liquidations,
  depth,
  deltasBps = CASCADE_DELTAS_BPS,
}: CascadeRatioParameters): CascadeRatioReturnType {
  if (!(Number.isFinite(mark) && mark > 0)) {
    throw new InvalidParameterError({ field: "mark", value: mark, expected: "a positive finite number" });
  }
  if (direction !== "down" && direction !== "up") {
    throw new InvalidParameterError({ field: "direction", value: direction, expected: '"down" or "up"' });
  }
  const down = direction === "down";
  const liquidatingTo =
    typeof liquidations === "function" ? liquidations : (limit: number) => sumExposures(liquidations, limit, down);
  const depthTo = typeof depth === "function" ? depth : (limit: number) => sumLevels(depth, limit, down);
  const rows: CascadeRow[] = [];
  for (const deltaBps of deltasBps) {
    if (!(Number.isFinite(deltaBps) && deltaBps >= 0 && deltaBps < 10_000)) {
      throw new InvalidParameterError({ field: "deltasBps", value: deltaBps, expected: "numbers in [0, 10000)" });
    }
    const limitPrice = down ? mark * (1 - deltaBps / 10_000) : mark * (1 + deltaBps / 10_000);
    const l = liquidatingTo(limitPrice);
    const d = depthTo(limitPrice);
    rows.push({ deltaBps, limitPrice, liquidating: l, depth: d, ratio: ratioOf(l, d) });
  }
  return { direction, mark, rows };
}

/** L/D with the conventions of {@link CascadeRow.ratio}. */
export function ratioOf(liquidating: number, depth: number): number {
  if (!(liquidating > 0)) return 0;
  if (!(depth > 0)) return Infinity;
  return liquidating / depth;
}

/** The same result with `Infinity` as the string "Infinity", for JSON channels. */
export function cascadeToJson(result: CascadeRatioReturnType): {
  direction: CascadeDirection;
  mark: number;
  rows: (Omit<CascadeRow, "ratio"> & { ratio: number | "Infinity" })[];
} {
  return {
    direction: result.direction,
    mark: result.mark,
    rows: result.rows.map((row) => ({ ...row, ratio: row.ratio === Infinity ? "Infinity" : row.ratio })),
  };
}

function sumExposures(exposures: readonly CascadeExposure[], limit: number, down: boolean): number {
  let total = 0;
  for (const e of exposures) {
    // down: a long liquidates once the mark falls to its price, so prices ≥ limit are reached.
    if (down ? e.liquidationPrice >= limit : e.liquidationPrice <= limit) total += e.notional;
  }
  return total;
}

function sumLevels(levels: readonly CascadeLevel[], limit: number, down: boolean): number {
  let total = 0;
  for (const level of levels) {
    if (down ? level.price >= limit : level.price <= limit) total += level.notional;
  }
  return total;
}
