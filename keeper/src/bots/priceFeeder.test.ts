import { describe, expect, it } from "vitest";
import { constantPath, crashPath, namedPricePath } from "./priceFeeder.js";

describe("price paths (the devnet's index feed)", () => {
  it("constant: within ± the noise of the base price, the same for the same seed", () => {
    const a = constantPath({ noiseBps: 5, seed: 7 });
    const b = constantPath({ noiseBps: 5, seed: 7 });
    const c = constantPath({ noiseBps: 5, seed: 8 });
    const xs = Array.from({ length: 200 }, (_, i) => a("btc", i * 1000));
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(1 - 5 / 10_000);
      expect(x).toBeLessThanOrEqual(1 + 5 / 10_000);
    }
    expect(Array.from({ length: 200 }, (_, i) => b("btc", i * 1000))).toEqual(xs);
    expect(Array.from({ length: 200 }, (_, i) => c("btc", i * 1000))).not.toEqual(xs);
  });

  it("crash: flat, then −7% over 10 s, then −13% from 60 s", () => {
    const path = crashPath({ noiseBps: 0 });
    expect(path("btc", 0)).toBe(1);
    expect(path("btc", 29_999)).toBe(1);
    expect(path("btc", 35_000)).toBeCloseTo(1 - 0.035, 12); // half way down the first leg
    expect(path("btc", 40_000)).toBeCloseTo(0.93, 12);
    expect(path("btc", 59_999)).toBeCloseTo(0.93, 12);
    expect(path("btc", 60_000)).toBeCloseTo(0.87, 12);
    expect(path("btc", 600_000)).toBeCloseTo(0.87, 12);
  });

  it("named paths: constant and crash; anything else is refused", () => {
    expect(namedPricePath("constant")("btc", 0)).toBeCloseTo(1, 3);
    expect(namedPricePath("crash")("btc", 120_000)).toBeCloseTo(0.87, 3);
    expect(() => namedPricePath("moon")).toThrow(/unknown price path "moon"/);
  });
});
