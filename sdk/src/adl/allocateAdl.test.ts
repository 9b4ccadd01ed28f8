import { describe, expect, it } from "vitest";
import { MarketKind } from "../math/contractMath.js";
import { AdlPolicy, allocateAdl } from "./allocateAdl.js";
import {
  AdlDuplicateSubaccountError,
  AdlLotMismatchError,
  AdlMixedSidesError,
  AdlShortfallExceedsSideError,
  InvalidAdlInputError,
} from "./errors.js";
import { type AdlPosition, rankAdlSide } from "./rankAdlSide.js";

const WAD = 10n ** 18n;
const XBT = 10n ** 8n;
const market = { kind: MarketKind.Quanto, multiplier: 10n ** 12n, unit: XBT, mark: 600n * WAD };

// Shorts in ETHUSD/XBT entered at $500 (basis −5e-4 XBT per contract), marked at $600: all losing.
const shorts: AdlPosition[] = [
  { subaccountId: 40n, size: -30n, basis: -15_000n, equity: 10n ** 6n },
  { subaccountId: 10n, size: -30n, basis: -15_000n, equity: 10n ** 5n }, // more levered: loses less per unit
  { subaccountId: "0x1e", size: -40n, basis: -20_000n, equity: 10n ** 7n },
];

describe("allocateAdl RANKED", () => {
  it("walks the ranked side taking min(remaining, |size|) until the shortfall is met", () => {
    const ranked = rankAdlSide({ ...market, positions: shorts });
    const result = allocateAdl({ ...market, positions: shorts, policy: AdlPolicy.Ranked, shortfall: 50n });
    expect(result.side).toBe("short");
    expect(result.counterparties).toEqual([
      {
        subaccountId: ranked[0]!.subaccountId,
        size: ranked[0]!.size,
        deleverage: 30n,
        score: ranked[0]!.score,
        rank: 0,
      },
      {
        subaccountId: ranked[1]!.subaccountId,
        size: ranked[1]!.size,
        deleverage: 20n,
        score: ranked[1]!.score,
        rank: 1,
      },
    ]);
    // Exactly the shortfall, never more; the whole side when the shortfall equals it.
    const all = allocateAdl({ ...market, positions: shorts, policy: AdlPolicy.Ranked, shortfall: 100n });
    expect(all.counterparties.map((c) => c.deleverage)).toEqual(ranked.map((r) => -r.size));
  });
});

describe("allocateAdl PRO_RATA", () => {
  it("gives floor(s·C_i/T) − floor(s·C_{i−1}/T) lots in SubaccountId order", () => {
    // Lots of 10: t = [3 (id 10), 4 (id 0x1e = 30), 3 (id 40)], T = 10, s = 5 → C = 3, 7, 10 →
    // floor(15/10) = 1, floor(35/10) = 3 → 2, floor(50/10) = 5 → 2.
    const result = allocateAdl({
      ...market,
      positions: shorts,
      policy: AdlPolicy.ProRata,
      shortfall: 50n,
      lotSize: 10n,
    });
    expect(result.counterparties).toEqual([
      { subaccountId: 10n, size: -30n, deleverage: 10n },
      { subaccountId: "0x1e", size: -40n, deleverage: 20n },
      { subaccountId: 40n, size: -30n, deleverage: 20n },
    ]);
  });

  it("sums to the shortfall, each share within one lot of s·t_i/T and never above t_i (random sides)", () => {
    let seed = 3;
    const rnd = (): number => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let round = 0; round < 50; round++) {
      const n = 1 + Math.floor(rnd() * 40);
      const positions: AdlPosition[] = Array.from({ length: n }, (_, i) => ({
        subaccountId: BigInt(Math.floor(rnd() * 1e9)) * 64n + BigInt(i),
        size: BigInt(1 + Math.floor(rnd() * 1000)),
        basis: 10n ** 9n,
        equity: 10n ** 9n,
      }));
      const total = positions.reduce((t, p) => t + p.size, 0n);
      const shortfall = 1n + BigInt(Math.floor(rnd() * Number(total)));
      const { counterparties } = allocateAdl({ ...market, positions, policy: AdlPolicy.ProRata, shortfall });
      expect(counterparties.reduce((t, c) => t + c.deleverage, 0n)).toBe(shortfall);
      const ids = counterparties.map((c) => BigInt(c.subaccountId));
      expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
      for (const c of counterparties) {
        expect(c.deleverage).toBeGreaterThan(0n);
        expect(c.deleverage).toBeLessThanOrEqual(c.size);
        const exactTimesTotal = shortfall * c.size; // s·t_i/T, scaled by T
        expect(c.deleverage * total - exactTimesTotal).toBeLessThan(total);
        expect(exactTimesTotal - c.deleverage * total).toBeLessThan(total);
      }
    }
  });
});

describe("allocateAdl rejects", () => {
  const base = { ...market, positions: shorts, policy: AdlPolicy.Ranked, shortfall: 10n };
  it("a shortfall larger than the side", () => {
    expect(() => allocateAdl({ ...base, shortfall: 101n })).toThrow(AdlShortfallExceedsSideError);
    expect(() => allocateAdl({ ...base, positions: [], shortfall: 1n })).toThrow(AdlShortfallExceedsSideError);
  });
  it("sizes or a shortfall that are not whole lots", () => {
    expect(() => allocateAdl({ ...base, lotSize: 10n, shortfall: 15n })).toThrow(AdlLotMismatchError);
    expect(() => allocateAdl({ ...base, lotSize: 20n, shortfall: 20n })).toThrow(AdlLotMismatchError);
  });
  it("mixed sides, duplicate subaccounts (PRO_RATA), a bad policy, shortfall or lot", () => {
    const mixed = [...shorts, { subaccountId: 99n, size: 5n, basis: 1n, equity: 1n }];
    expect(() => allocateAdl({ ...base, positions: mixed })).toThrow(AdlMixedSidesError);
    const duplicate = [...shorts, { ...shorts[0]!, subaccountId: "0x28" as const }];
    expect(() => allocateAdl({ ...base, positions: duplicate, policy: AdlPolicy.ProRata })).toThrow(
      AdlDuplicateSubaccountError,
    );
    expect(() => allocateAdl({ ...base, policy: 2 as AdlPolicy })).toThrow(InvalidAdlInputError);
    expect(() => allocateAdl({ ...base, shortfall: 0n })).toThrow(InvalidAdlInputError);
    expect(() => allocateAdl({ ...base, shortfall: -5n })).toThrow(InvalidAdlInputError);
    expect(() => allocateAdl({ ...base, lotSize: 0n })).toThrow(InvalidAdlInputError);
  });
});
