// The comparison at the end of auditAdl, on hand-made selections: each kind of discrepancy, and none for a
// faithful ADL. The whole replay (state before the transaction, book fills, backstop) runs on the Ignition
// deployment in test/e2e/adlAudit.test.ts.
import { numberToHex, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { AdlPolicy, type AdlAllocation } from "./allocateAdl.js";
import { type AdlCounterpartyClaim, compareAdlSelection } from "./auditCompare.js";

const id = (n: number): Hex => numberToHex(BigInt(n) << 16n, { size: 32 });
const PRICE = 88_938n;

// Shorts deleveraged against a liquidated long (their trades are buys, > 0): ranks 0, 1, 2 of a side of 4.
const expected: AdlAllocation[] = [
  { subaccountId: id(7), size: -300n, deleverage: 300n, score: 90n, rank: 0 },
  { subaccountId: id(3), size: -200n, deleverage: 200n, score: 50n, rank: 1 },
  { subaccountId: id(5), size: -600n, deleverage: 300n, score: 10n, rank: 2 },
];
const faithful: AdlCounterpartyClaim[] = expected.map((c) => ({
  subaccount: c.subaccountId as Hex,
  rank: BigInt(c.rank!),
  size: c.deleverage,
  price: PRICE,
  score: c.score!,
}));
const compare = (actual: AdlCounterpartyClaim[], policy: AdlPolicy = AdlPolicy.Ranked) =>
  compareAdlSelection({ expected, actual, sideLong: false, policy, rankOf: (c) => c.rank! });

describe("compareAdlSelection", () => {
  it("a faithful ADL has no discrepancy", () => {
    expect(compare(faithful)).toEqual([]);
  });

  it("two counterparties swapped: wrong-order at the first place they differ", () => {
    expect(compare([faithful[1]!, faithful[0]!, faithful[2]!])).toEqual([
      { kind: "wrong-order", index: 0, expected: id(7), actual: id(3) },
    ]);
  });

  it("one dropped: skipped-position with its rank", () => {
    expect(compare([faithful[0]!, faithful[2]!])).toEqual([
      { kind: "skipped-position", subaccount: id(3), expectedRank: 1 },
    ]);
  });

  it("an extra position cut, or more than its share: over-deleveraged; less, or the wrong way: size-mismatch", () => {
    const extra = { subaccount: id(9), rank: 3n, size: 1n, price: PRICE, score: 0n };
    expect(compare([...faithful, extra])).toContainEqual({
      kind: "over-deleveraged",
      subaccount: id(9),
      expected: 0n,
      actual: 1n,
    });
    expect(compare([faithful[0]!, faithful[1]!, { ...faithful[2]!, size: 301n }])).toEqual([
      { kind: "over-deleveraged", subaccount: id(5), expected: 300n, actual: 301n },
    ]);
    expect(compare([faithful[0]!, { ...faithful[1]!, size: -200n }, faithful[2]!])).toEqual([
      { kind: "size-mismatch", subaccount: id(3), expected: 200n, actual: -200n },
    ]);
  });

  it("a score other than the position's: wrong-score; under PRO_RATA every score must be 0", () => {
    expect(compare([{ ...faithful[0]!, score: 91n }, faithful[1]!, faithful[2]!])).toEqual([
      { kind: "wrong-score", subaccount: id(7), expected: 90n, actual: 91n },
    ]);
    expect(compare(faithful, AdlPolicy.ProRata).map((d) => d.kind)).toEqual([
      "wrong-score",
      "wrong-score",
      "wrong-score",
    ]);
  });
});
