import type { MathErrorType } from "../math/checked.js";
import {
  AdlDuplicateSubaccountError,
  AdlLotMismatchError,
  AdlShortfallExceedsSideError,
  type AdlEmptyPositionError,
  type AdlMixedSidesError,
  InvalidAdlInputError,
} from "./errors.js";
import { type AdlPosition, type RankAdlSideParameters, checkSide, rankIndices } from "./rankAdlSide.js";
import { sortByKey } from "./sortByKey.js";
import { type AdlSubaccountId, subaccountKey } from "./subaccountKey.js";

/** `enum AdlPolicy` (contracts/types/Market.sol). */
export const AdlPolicy = { Ranked: 0, ProRata: 1 } as const;
export type AdlPolicy = (typeof AdlPolicy)[keyof typeof AdlPolicy];

export type AllocateAdlParameters = RankAdlSideParameters & {
  policy: AdlPolicy;
  /** Contracts to deleverage from the side (> 0): what the book and the backstop could not take. */
  shortfall: bigint;
  /** The market's lot size in contracts (default 1). Sizes and the shortfall must be whole lots. */
  lotSize?: bigint;
};

/** One counterparty and how many contracts of its position are closed. */
export type AdlAllocation = {
  subaccountId: AdlSubaccountId;
  /** The position before ADL (contracts, signed). */
  size: bigint;
  /** Contracts closed, > 0 and ≤ |size|; the position moves towards zero by this much. */
  deleverage: bigint;
  /** RANKED only: the position's score and 0-based rank. */
  score?: bigint;
  rank?: number;
};

export type AllocateAdlReturnType = {
  policy: AdlPolicy;
  side: "long" | "short";
  shortfall: bigint;
  /**
   * Every position ADL touches, in the order the contract applies them (RANKED order, or `SubaccountId`
   * ascending for PRO_RATA); positions left untouched are not listed. The `deleverage` sizes sum to the shortfall.
   */
  counterparties: AdlAllocation[];
};

export type AllocateAdlErrorType =
  | InvalidAdlInputError
  | AdlEmptyPositionError
  | AdlMixedSidesError
  | AdlDuplicateSubaccountError
  | AdlShortfallExceedsSideError
  | AdlLotMismatchError
  | MathErrorType;

/**
 * Which opposite positions an auto-deleveraging of `shortfall` contracts closes, and by how much
 * (docs/adl.md): RANKED walks the ranked side taking `min(remaining, |size|)`; PRO_RATA gives each position
 * `floor(s · C_i / T) − floor(s · C_{i−1} / T)` lots in `SubaccountId` order.
 */
export function allocateAdl(parameters: AllocateAdlParameters): AllocateAdlReturnType {
  const { policy, shortfall, positions } = parameters;
  const lotSize = parameters.lotSize ?? 1n;
  if (policy !== AdlPolicy.Ranked && policy !== AdlPolicy.ProRata) {
    throw new InvalidAdlInputError({ field: "policy", value: policy, reason: "not RANKED (0) or PRO_RATA (1)" });
  }
  if (typeof lotSize !== "bigint" || lotSize <= 0n) {
    throw new InvalidAdlInputError({ field: "lotSize", value: lotSize, reason: "not a positive bigint" });
  }
  if (typeof shortfall !== "bigint" || shortfall <= 0n) {
    throw new InvalidAdlInputError({ field: "shortfall", value: shortfall, reason: "not a positive bigint" });
  }
  if (shortfall % lotSize !== 0n) throw new AdlLotMismatchError({ field: "shortfall", value: shortfall, lotSize });
  const sign = checkSide(positions);
  let sideSize = 0n;
  for (let i = 0; i < positions.length; i++) {
    const size = absSize(positions[i]!);
    if (lotSize !== 1n && size % lotSize !== 0n) {
      throw new AdlLotMismatchError({ field: "size", value: size, lotSize, index: i });
    }
    sideSize += size;
  }
  if (shortfall > sideSize) throw new AdlShortfallExceedsSideError({ shortfall, sideSize });
  const side = sign === 1 ? "long" : "short";
  const counterparties =
    policy === AdlPolicy.Ranked ? ranked(parameters, shortfall) : proRata(positions, shortfall, lotSize);
  return { policy, side, shortfall, counterparties };
}

function absSize(p: AdlPosition): bigint {
  return p.size < 0n ? -p.size : p.size;
}

function ranked(parameters: RankAdlSideParameters, shortfall: bigint): AdlAllocation[] {
  const { positions } = parameters;
  const { order, scoreOf } = rankIndices(parameters);
  const counterparties: AdlAllocation[] = [];
  let remaining = shortfall;
  for (let rank = 0; rank < order.length && remaining > 0n; rank++) {
    const i = order[rank]!;
    const p = positions[i]!;
    const size = absSize(p);
    const deleverage = remaining < size ? remaining : size;
    remaining -= deleverage;
    counterparties.push({ subaccountId: p.subaccountId, size: p.size, deleverage, score: scoreOf(i), rank });
  }
  return counterparties;
}

function proRata(positions: readonly AdlPosition[], shortfall: bigint, lotSize: bigint): AdlAllocation[] {
  const n = positions.length;
  const ids: bigint[] = [];
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const id = subaccountKey(positions[i]!.subaccountId);
    ids.push(id);
    keys[i] = Number(id);
  }
  // Number(id) is monotone in the id: only runs of equal keys need the exact comparison.
  const order = sortByKey(keys, false);
  let start = 0;
  for (let k = 1; k <= n; k++) {
    if (k < n && keys[order[k]!] === keys[order[start]!]) continue;
    if (k - start > 1) {
      const run = Array.from(order.subarray(start, k)).sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1));
      order.set(run, start);
    }
    start = k;
  }
  let total = 0n;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (k > 0 && ids[i] === ids[order[k - 1]!]) throw new AdlDuplicateSubaccountError({ subaccountId: ids[i]! });
    total += absSize(positions[i]!) / lotSize;
  }
  const s = shortfall / lotSize;
  const counterparties: AdlAllocation[] = [];
  let cumulative = 0n;
  let previous = 0n; // floor(s · C_{i−1} / T)
  for (let k = 0; k < n; k++) {
    const p = positions[order[k]!]!;
    cumulative += absSize(p) / lotSize;
    const upTo = (s * cumulative) / total;
    const share = upTo - previous;
    previous = upTo;
    if (share > 0n) counterparties.push({ subaccountId: p.subaccountId, size: p.size, deleverage: share * lotSize });
  }
  return counterparties;
}
