import { describe, expect, it } from "vitest";
import { InvalidParameterError } from "../actions/errors.js";
import { CASCADE_DELTAS_BPS, cascadeRatio, cascadeToJson, ratioOf } from "./cascadeRatio.js";

describe("cascadeRatio (SPEC §9)", () => {
  it("reproduces the SPEC example: $1m of bids per 25 bps, $10m of longs in the next 25 bps → R(25) = 10", () => {
    const mark = 100_000;
    // $1m of bids in each 25-bp band below the mark, down to 500 bps.
    const bids = Array.from({ length: 20 }, (_, i) => ({ price: mark * (1 - (25 * (i + 1)) / 10_000), notional: 1e6 }));
    // $10m of longs liquidating between the mark and 25 bps below it.
    const longs = Array.from({ length: 10 }, (_, i) => ({
      liquidationPrice: mark * (1 - (2.5 * i) / 10_000),
      notional: 1e6,
    }));
    const { rows } = cascadeRatio({ mark, direction: "down", liquidations: longs, depth: bids });
    expect(rows.map((r) => r.deltaBps)).toEqual([...CASCADE_DELTAS_BPS]);
    expect(rows[0]).toMatchObject({ deltaBps: 25, liquidating: 10e6, depth: 1e6, ratio: 10 });
    // Wider moves take in more book and no more longs: R falls as 10/(Δ/25).
    expect(rows.map((r) => r.ratio)).toEqual([10, 5, 2.5, 1.25, 0.5]);
  });

  it("up moves: shorts against asks; positions already past the mark count", () => {
    const mark = 2_000;
    const shorts = [
      { liquidationPrice: 1_990, notional: 5 }, // already liquidatable: counts at every Δ
      { liquidationPrice: 2_004, notional: 7 }, // 20 bps
      { liquidationPrice: 2_030, notional: 11 }, // 150 bps
      { liquidationPrice: 2_200, notional: 100 }, // 1000 bps: never
    ];
    const asks = [
      { price: 2_001, notional: 4 },
      { price: 2_015, notional: 6 },
    ];
    const { rows } = cascadeRatio({ mark, direction: "up", liquidations: shorts, depth: asks });
    expect(rows.map((r) => [r.liquidating, r.depth])).toEqual([
      [12, 4],
      [12, 4],
      [12, 10],
      [23, 10],
      [23, 10],
    ]);
    expect(rows[0]!.ratio).toBe(3);
    expect(rows[0]!.limitPrice).toBeCloseTo(2_005, 9);
  });

  it("D = 0 gives Infinity (published as the string 'Infinity'); L = 0 gives 0", () => {
    expect(ratioOf(1, 0)).toBe(Infinity);
    expect(ratioOf(0, 0)).toBe(0);
    expect(ratioOf(0, 5)).toBe(0);
    const result = cascadeRatio({
      mark: 10,
      direction: "down",
      liquidations: () => 3,
      depth: () => 0,
      deltasBps: [25],
    });
    expect(result.rows[0]!.ratio).toBe(Infinity);
    expect(JSON.parse(JSON.stringify(cascadeToJson(result))).rows[0].ratio).toBe("Infinity");
  });

  it("takes functions for L and D and calls them with the limit price", () => {
    const seen: number[] = [];
    cascadeRatio({
      mark: 1_000,
      direction: "down",
      liquidations: (limit) => (seen.push(limit), 1),
      depth: () => 1,
      deltasBps: [100, 500],
    });
    expect(seen).toEqual([990, 950]);
  });

  it("rejects a non-positive mark, an unknown direction and Δ outside [0, 10000)", () => {
    const base = { liquidations: [], depth: [] };
    expect(() => cascadeRatio({ ...base, mark: 0, direction: "down" })).toThrow(InvalidParameterError);
    expect(() => cascadeRatio({ ...base, mark: 1, direction: "sideways" as "up" })).toThrow(InvalidParameterError);
    expect(() => cascadeRatio({ ...base, mark: 1, direction: "up", deltasBps: [10_000] })).toThrow(
      InvalidParameterError,
    );
  });
});
