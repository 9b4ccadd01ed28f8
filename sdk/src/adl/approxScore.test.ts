import { describe, expect, it } from "vitest";
import { MarketKind, signedValue } from "../math/contractMath.js";
import { adlScore } from "./adlScore.js";
import { createApproxScorer } from "./approxScore.js";
import { sortByKey } from "./sortByKey.js";

const WAD = 10n ** 18n;

describe("createApproxScorer", () => {
  const markets = [
    { kind: MarketKind.Linear, multiplier: WAD / 1000n, unit: 10n ** 6n, mark: 61_234_567_890_123_456_789_012n },
    { kind: MarketKind.Inverse, multiplier: WAD, unit: 10n ** 8n, mark: 61_234_567_890_123_456_789_012n },
    { kind: MarketKind.Quanto, multiplier: 10n ** 12n, unit: 10n ** 8n, mark: 500n * WAD },
    { kind: MarketKind.Linear, multiplier: WAD, unit: WAD, mark: 2_345_678_901_234_567_890_123n },
  ];

  it("bounds the exact score (|score − key| ≤ error) and is tight on realistic positions", () => {
    let seed = 42;
    const rnd = (): number => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (const m of markets) {
      const approx = createApproxScorer(m.kind, m.multiplier, m.unit, m.mark)!;
      const errors = new Float64Array(1);
      let uncertain = 0;
      let tight = 0;
      for (let j = 0; j < 3_000; j++) {
        const size = (rnd() < 0.5 ? -1n : 1n) * BigInt(1 + Math.floor(Math.exp(rnd() * Math.log(1e7))));
        const entry = (m.mark * BigInt(Math.floor((0.5 + rnd()) * 1e9))) / 10n ** 9n + 1n;
        const basis = signedValue(m.kind, m.multiplier, size, entry, m.unit, true);
        const value = basis < 0n ? -basis : basis;
        const equity = rnd() < 0.05 ? -1n : (value * 1000n) / BigInt(1 + Math.floor(rnd() * 100_000));
        const exact = adlScore({ ...m, size, basis, equity });
        const key = approx(size, basis, equity, errors, 0);
        if (Number.isNaN(key)) {
          uncertain++;
          continue;
        }
        const error = errors[0]!;
        // The bound holds exactly: compare in bigint with the interval widened outwards to integers.
        expect(exact).toBeGreaterThanOrEqual(BigInt(Math.floor(key - error)) - 1n);
        expect(exact).toBeLessThanOrEqual(BigInt(Math.ceil(key + error)) + 1n);
        expect(error).toBeLessThanOrEqual(Math.abs(key) * 1e-4 + 1e3);
        if (error <= Math.abs(key) * 1e-9 + 1e3) tight++;
      }
      // The float path handles nearly every realistic position, almost always to 1e-9 or better (bases beyond
      // 2^53, i.e. 18-decimal collateral, lose some precision on small PnL).
      expect(uncertain).toBeLessThan(30);
      expect(tight).toBeGreaterThan(2_700);
    }
  });

  it("declines what it cannot bound: sizes beyond 2^53, non-bigint inputs, an uncertain PnL sign", () => {
    const m = markets[2]!;
    const approx = createApproxScorer(m.kind, m.multiplier, m.unit, m.mark)!;
    const errors = new Float64Array(1);
    expect(approx(1n << 60n, 1n, 1n, errors, 0)).toBeNaN();
    expect(approx(1n, 1 as unknown as bigint, 1n, errors, 0)).toBeNaN();
    // A flat position is exact: key 0, error 0.
    expect(approx(10_000n, 5n * 10n ** 8n, 1n, errors, 0)).toBe(0);
    expect(errors[0]).toBe(0);
    expect(createApproxScorer(m.kind, m.multiplier, m.unit, 0n)).toBeUndefined();
  });
});

describe("sortByKey", () => {
  it("orders doubles of both signs descending or ascending, stable among equal keys", () => {
    const keys = new Float64Array([3, -1, 0, 1e300, -1e-300, 3, -Infinity, 2.5, 0]);
    expect(Array.from(sortByKey(keys, true))).toEqual([3, 0, 5, 7, 2, 8, 4, 1, 6]);
    expect(Array.from(sortByKey(keys, false))).toEqual([6, 1, 4, 2, 8, 7, 0, 5, 3]);
    expect(Array.from(sortByKey(new Float64Array(0), true))).toEqual([]);
  });

  it("agrees with a comparator sort on random keys", () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const keys = Float64Array.from({ length: 5_000 }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20));
    const expected = Array.from(keys.keys()).sort((a, b) => keys[b]! - keys[a]! || a - b);
    expect(Array.from(sortByKey(keys, true))).toEqual(expected);
  });
});
