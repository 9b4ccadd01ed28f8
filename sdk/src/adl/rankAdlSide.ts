import type { MathErrorType } from "../math/checked.js";
import type { MarketKind } from "../math/contractMath.js";
import { createAdlScorer } from "./adlScore.js";
import { createApproxScorer } from "./approxScore.js";
import { AdlEmptyPositionError, AdlMixedSidesError, InvalidAdlInputError } from "./errors.js";
import { sortByKey } from "./sortByKey.js";
import { type AdlSubaccountId, checkSubaccountId, subaccountKey } from "./subaccountKey.js";

export type { AdlSubaccountId } from "./subaccountKey.js";

/** One position of a market side, with its holder's equity at mark (collateral units). */
export type AdlPosition = {
  subaccountId: AdlSubaccountId;
  /** Contracts, long > 0; every position of a side has the same sign and none is 0. */
  size: bigint;
  /** Collateral units (SPEC §2). */
  basis: bigint;
  /** The subaccount's equity at mark (`accountHealth().equity`), collateral units. */
  equity: bigint;
};

/** The market and mark a side is ranked at. */
export type AdlMarket = {
  kind: MarketKind;
  /** M, 18-decimal fixed point. */
  multiplier: bigint;
  /** 10^decimals of the collateral token. */
  unit: bigint;
};

export type RankAdlSideParameters = AdlMarket & {
  /** Mark price, 18-decimal fixed point. */
  mark: bigint;
  positions: readonly AdlPosition[];
};

/** 5 = top 20 % of the queue (deleveraged first) … 1 = bottom 20 %. */
export type AdlIndicator = 1 | 2 | 3 | 4 | 5;

export type RankedAdlPosition = AdlPosition & {
  /**
   * `adlScore` of the position, exact. Computed on first read and then kept: ordering a side needs the exact
   * score only where float bounds overlap, so a side of a million is ranked without a million bigint scores.
   * It is a getter of the entry's prototype: spreading an entry (`{ ...entry }`) drops it.
   */
  readonly score: bigint;
  /** 0-based index in the RANKED order. */
  readonly rank: number;
  /** `5 − floor(5 · rank / n)` (a getter, like `score`). */
  readonly indicator: AdlIndicator;
};

/** The side in RANKED order: score descending, then `SubaccountId` ascending. */
export type RankAdlSideReturnType = RankedAdlPosition[];

export type RankAdlSideErrorType = InvalidAdlInputError | AdlEmptyPositionError | AdlMixedSidesError | MathErrorType;

/** Sides are indexed with 32-bit integers. */
const MAX_SIDE = 0xffffffff;

/**
 * Ranks one side of a market for RANKED auto-deleveraging exactly as docs/adl.md (and the contract) does.
 *
 * Each score is first computed in float64 with a rigorous error bound (`approxScore.ts`); the side is radix
 * sorted by those keys, and wherever the bounds of neighbours overlap (exact ties, near ties, positions the float
 * path cannot bound) the exact bigint scores and the id tie-break decide. The result is the exact order.
 * Subaccount ids are taken to be unique, as on chain (a duplicate is not looked for here; `allocateAdl`'s
 * PRO_RATA path, which sorts by id anyway, rejects it).
 */
export function rankAdlSide({ kind, multiplier, unit, mark, positions }: RankAdlSideParameters): RankAdlSideReturnType {
  const ranking = rankIndices({ kind, multiplier, unit, mark, positions });
  const { order } = ranking;
  const n = positions.length;
  const ranked = new Array<RankedAdlPosition>(n);
  for (let rank = 0; rank < n; rank++) ranked[rank] = new RankedEntry(positions[order[rank]!]!, rank, ranking);
  return ranked;
}

// Six fields and two getters: a million of these are allocated per ranking, and every field costs.
class RankedEntry implements RankedAdlPosition {
  readonly subaccountId: AdlSubaccountId;
  readonly size: bigint;
  readonly basis: bigint;
  readonly equity: bigint;
  readonly rank: number;
  readonly #ranking: SideRanking;

  constructor(p: AdlPosition, rank: number, ranking: SideRanking) {
    this.subaccountId = p.subaccountId;
    this.size = p.size;
    this.basis = p.basis;
    this.equity = p.equity;
    this.rank = rank;
    this.#ranking = ranking;
  }

  get indicator(): AdlIndicator {
    return adlIndicator(this.rank, this.#ranking.order.length);
  }

  get score(): bigint {
    return this.#ranking.scoreOf(this.#ranking.order[this.rank]!);
  }
}

/** `5 − floor(5 · rank / n)` (exact in doubles for n < 2^32). */
export function adlIndicator(rank: number, n: number): AdlIndicator {
  return (5 - Math.floor((5 * rank) / n)) as AdlIndicator;
}

/** A ranked side: `order[rank]` is an index into the positions; `scoreOf(index)` the exact (memoised) score. */
export type SideRanking = { order: Uint32Array; scoreOf: (index: number) => bigint };

/** Validates a side and returns the RANKED order as indices into `positions`. */
export function rankIndices({ kind, multiplier, unit, mark, positions }: RankAdlSideParameters): SideRanking {
  checkArray(positions);
  const n = positions.length;
  const exactScore = createAdlScorer(kind, multiplier, unit, mark);
  const approxScore = createApproxScorer(kind, multiplier, unit, mark);
  const scores = filledArray<bigint | undefined>(n, undefined);
  const scoreOf = (i: number): bigint => {
    const known = scores[i];
    if (known !== undefined) return known;
    const p = positions[i]!;
    return (scores[i] = exactScore(p.size, p.basis, p.equity));
  };
  const keys = new Float64Array(n);
  const errors = new Float64Array(n);
  let sign: Sign = 0;
  for (let i = 0; i < n; i++) {
    const p = positions[i]!;
    sign = checkPosition(p, i, sign);
    const key = approxScore === undefined ? NaN : approxScore(p.size, p.basis, p.equity, errors, i);
    if (key === key) {
      keys[i] = key;
    } else {
      const exact = scoreOf(i); // throws the contract's error for an invalid position
      const k = Number(exact);
      keys[i] = k;
      errors[i] = Number.isSafeInteger(k) && BigInt(k) === exact ? 0 : Math.abs(k) * 4 * ULP;
    }
  }
  let ids: (bigint | undefined)[] | undefined;
  const idOf = (i: number): bigint =>
    ((ids ??= filledArray<bigint | undefined>(n, undefined))[i] ??= subaccountKey(positions[i]!.subaccountId));
  const exactOrder = (a: number, b: number): number => {
    const ka = keys[a]!;
    const kb = keys[b]!;
    const ea = errors[a]!;
    const eb = errors[b]!;
    // Disjoint intervals decide without bigint arithmetic.
    if (ka - ea > kb + eb) return -1;
    if (kb - eb > ka + ea) return 1;
    const pa = positions[a]!;
    const pb = positions[b]!;
    // A zero error marks a key that is the exact score; identical inputs have identical scores.
    if ((ea === 0 && eb === 0) || (pa.size === pb.size && pa.basis === pb.basis && pa.equity === pb.equity)) {
      if (ka !== kb) return ka > kb ? -1 : 1;
    } else {
      const sa = scoreOf(a);
      const sb = scoreOf(b);
      if (sa !== sb) return sa > sb ? -1 : 1;
    }
    const ia = idOf(a);
    const ib = idOf(b);
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };
  // Three passes: keys within ~2^-36 of each other are left to the exact resolution of the groups.
  const order = sortByKey(keys, true, 3);
  resolveOverlaps(order, keys, errors, exactOrder);
  return { order, scoreOf };
}

const ULP = 2 ** -53;

function filledArray<T>(n: number, value: T): T[] {
  return new Array<T>(n).fill(value);
}

/**
 * Splits the key order into groups that provably keep their exact order: a boundary before position k holds
 * when every interval before it lies strictly above every interval after it
 * (min over earlier of key − error > max over later of key + error). Each group of more than one is sorted
 * exactly. This is correct for any input order; a good key order only keeps the groups small.
 */
function resolveOverlaps(
  order: Uint32Array,
  keys: Float64Array,
  errors: Float64Array,
  exactOrder: (a: number, b: number) => number,
): void {
  const n = order.length;
  // One gather pass in key order, then sequential scans: lower bounds, and upper bounds turned into suffix maxima.
  const lower = new Float64Array(n);
  const maxUpperFrom = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const key = keys[i]!;
    const error = errors[i]!;
    lower[k] = key - error;
    maxUpperFrom[k] = key + error;
  }
  maxUpperFrom[n] = -Infinity;
  for (let k = n - 1; k >= 0; k--) {
    const later = maxUpperFrom[k + 1]!;
    if (later > maxUpperFrom[k]!) maxUpperFrom[k] = later;
  }
  let minLower = Infinity;
  let start = 0;
  for (let k = 0; k < n; k++) {
    const l = lower[k]!;
    if (l < minLower) minLower = l;
    if (minLower > maxUpperFrom[k + 1]!) {
      if (k > start) sortRange(order, start, k + 1, exactOrder);
      start = k + 1;
    }
  }
  if (start < n - 1) sortRange(order, start, n, exactOrder); // only if a bound was NaN
}

/** Sorts `order[from..to)` by `compare`: in place for the small groups that are the rule, else `Array.sort`. */
function sortRange(order: Uint32Array, from: number, to: number, compare: (a: number, b: number) => number): void {
  if (to - from > 16) {
    order.set(Array.from(order.subarray(from, to)).sort(compare), from);
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const x = order[i]!;
    let j = i - 1;
    while (j >= from && compare(order[j]!, x) > 0) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = x;
  }
}

type Sign = 1 | -1 | 0;

/** Every entry a non-zero `int` size of one sign with a valid subaccount id. Returns the side's sign. */
export function checkSide(positions: readonly AdlPosition[]): Sign {
  checkArray(positions);
  let sign: Sign = 0;
  for (let i = 0; i < positions.length; i++) sign = checkPosition(positions[i], i, sign);
  return sign;
}

function checkArray(positions: readonly AdlPosition[]): void {
  if (!Array.isArray(positions)) {
    throw new InvalidAdlInputError({ field: "positions", value: positions, reason: "not an array" });
  }
  if (positions.length > MAX_SIDE) {
    throw new InvalidAdlInputError({
      field: "positions",
      value: positions.length,
      reason: `more than ${MAX_SIDE} positions`,
    });
  }
}

/** Checks the i-th position against the side's sign so far; returns the sign. */
function checkPosition(p: AdlPosition | undefined, i: number, sign: Sign): Sign {
  if (typeof p !== "object" || p === null) {
    throw new InvalidAdlInputError({ field: "positions", value: p, index: i, reason: "not a position" });
  }
  const size = p.size;
  if (typeof size !== "bigint") {
    throw new InvalidAdlInputError({ field: "size", value: size, index: i, reason: "not a bigint" });
  }
  checkSubaccountId(p.subaccountId, i);
  if (size === 0n) throw new AdlEmptyPositionError({ index: i, subaccountId: p.subaccountId });
  if (sign === 0) return size > 0n ? 1 : -1;
  if (size > 0n !== (sign === 1)) {
    throw new AdlMixedSidesError({ index: i, subaccountId: p.subaccountId, size, side: sign === 1 ? "long" : "short" });
  }
  return sign;
}
