// Internal to auditAdl (exported for its tests): comparing an ADL's reported counterparties with the policy's.
import type { Hex } from "viem";
import { AdlPolicy, type AdlAllocation } from "./allocateAdl.js";

/** How an ADL differs from what the market's policy selects from the chain state (SPEC §7). */
export type AdlDiscrepancy =
  /** A position the policy deleverages has no `AdlCounterparty`. `expectedRank`: its place in the policy order. */
  | { kind: "skipped-position"; subaccount: Hex; expectedRank: number }
  /** The `index`-th counterparty is not the one the policy puts there. */
  | { kind: "wrong-order"; index: number; expected: Hex; actual: Hex }
  /** A counterparty (or the `Deleveraged` event) trades at a price other than the bankruptcy price. */
  | { kind: "wrong-price"; expected: bigint; actual: bigint }
  /** More was cut from a position than the policy's share (`expected` 0: it should not have been touched). */
  | { kind: "over-deleveraged"; subaccount: Hex; expected: bigint; actual: bigint }
  /** Less (or the wrong sign) was cut from a position than the policy's share. Sizes are the signed trade. */
  | { kind: "size-mismatch"; subaccount: Hex; expected: bigint; actual: bigint }
  /** The score an `AdlCounterparty` reports is not the position's RANKED score (0 under PRO_RATA). */
  | { kind: "wrong-score"; subaccount: Hex; expected: bigint; actual: bigint }
  /** The `Deleveraged` shortfall is not what the book and the backstop left of the position. */
  | { kind: "wrong-shortfall"; expected: bigint; actual: bigint }
  /** The `Deleveraged` policy is not the market's. */
  | { kind: "wrong-policy"; expected: AdlPolicy; actual: number };

/** One counterparty as its `AdlCounterparty` event reports it. */
export type AdlCounterpartyClaim = { subaccount: Hex; rank: bigint; size: bigint; price: bigint; score: bigint };

export type CompareAdlSelectionParameters = {
  /** The policy's selection, in the order the contract must apply it. */
  expected: readonly AdlAllocation[];
  /** The `AdlCounterparty` events, in log order. */
  actual: readonly AdlCounterpartyClaim[];
  /** Whether the deleveraged side is the longs (their trades are sells, < 0). */
  sideLong: boolean;
  policy: AdlPolicy;
  /** A selected position's place in the policy order (for `skipped-position`). */
  rankOf: (c: AdlAllocation) => number;
};

/**
 * The differences between the selection the policy makes and the counterparties the events report: positions
 * skipped, positions cut that should not be, the first out-of-order counterparty, sizes and scores.
 */
export function compareAdlSelection({
  expected,
  actual,
  sideLong,
  policy,
  rankOf,
}: CompareAdlSelectionParameters): AdlDiscrepancy[] {
  const discrepancies: AdlDiscrepancy[] = [];
  const key = (id: Hex | bigint) => (typeof id === "bigint" ? id : BigInt(id));
  const expectedIds = new Set(expected.map((c) => key(c.subaccountId)));
  const actualIds = new Set(actual.map((a) => key(a.subaccount)));
  for (const c of expected) {
    if (!actualIds.has(key(c.subaccountId))) {
      discrepancies.push({ kind: "skipped-position", subaccount: c.subaccountId as Hex, expectedRank: rankOf(c) });
    }
  }
  for (const a of actual) {
    if (!expectedIds.has(key(a.subaccount))) {
      discrepancies.push({ kind: "over-deleveraged", subaccount: a.subaccount, expected: 0n, actual: a.size });
    }
  }
  // The order of the positions both lists hold.
  const e = expected.filter((c) => actualIds.has(key(c.subaccountId)));
  const a = actual.filter((c) => expectedIds.has(key(c.subaccount)));
  const byId = new Map(expected.map((c) => [key(c.subaccountId), c]));
  for (let i = 0; i < a.length; i++) {
    if (key(a[i]!.subaccount) !== key(e[i]!.subaccountId)) {
      const index = actual.indexOf(a[i]!);
      discrepancies.push({ kind: "wrong-order", index, expected: e[i]!.subaccountId as Hex, actual: a[i]!.subaccount });
      break;
    }
  }
  for (const claim of a) {
    const c = byId.get(key(claim.subaccount))!;
    // The counterparty's trade: a long sells, a short buys back.
    const share = sideLong ? -c.deleverage : c.deleverage;
    if (claim.size !== share) {
      const absClaim = claim.size < 0n ? -claim.size : claim.size;
      const over = claim.size > 0n === share > 0n && absClaim > c.deleverage;
      discrepancies.push({
        kind: over ? "over-deleveraged" : "size-mismatch",
        subaccount: claim.subaccount,
        expected: share,
        actual: claim.size,
      });
    }
    const score = policy === AdlPolicy.Ranked ? c.score! : 0n;
    if (claim.score !== score) {
      discrepancies.push({ kind: "wrong-score", subaccount: claim.subaccount, expected: score, actual: claim.score });
    }
  }
  return discrepancies;
}
