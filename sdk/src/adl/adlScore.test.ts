import { describe, expect, it } from "vitest";
import { MathError } from "../math/checked.js";
import { MarketKind } from "../math/contractMath.js";
import { adlScore, createAdlScorer } from "./adlScore.js";

const WAD = 10n ** 18n;
const XBT = 10n ** 8n;
// Quanto ETHUSD in XBT, M = 0.000001 XBT per USD (SPEC §2): 10,000 contracts at $500 are worth 5 XBT.
const quanto = { kind: MarketKind.Quanto, multiplier: 10n ** 12n, unit: XBT } as const;

describe("adlScore (docs/adl.md)", () => {
  it("profitable: PnL% × leverage — long 10,000 from $500 to $600 with 2 XBT equity scores 0.2 × 3 = 0.6", () => {
    // value 6 XBT, pnl +1 XBT, pnlPct 1/5 = 0.2, leverage 6/2 = 3.
    expect(adlScore({ ...quanto, size: 10_000n, basis: 5n * XBT, mark: 600n * WAD, equity: 2n * XBT })).toBe(
      6n * 10n ** 17n,
    );
  });

  it("losing: PnL% / leverage — long 10,000 from $500 to $400 with 2 XBT equity scores −0.2 / 2 = −0.1", () => {
    expect(adlScore({ ...quanto, size: 10_000n, basis: 5n * XBT, mark: 400n * WAD, equity: 2n * XBT })).toBe(
      -(10n ** 17n),
    );
  });

  it("a short that gains as the price falls ranks positive", () => {
    // Short 10,000 from $500 (basis −5 XBT) to $400: value −4 XBT, pnl +1 XBT, pnlPct 0.2, leverage 4/1 = 4.
    expect(adlScore({ ...quanto, size: -10_000n, basis: -5n * XBT, mark: 400n * WAD, equity: XBT })).toBe(
      8n * 10n ** 17n,
    );
  });

  it("inverse: one formula in collateral value (XBTUSD long 10,000 from $10,000 to $12,500)", () => {
    // basis −1 XBT, value at $12,500 −0.8 XBT, pnl +0.2 XBT, pnlPct 0.2, leverage 0.8 / 1 = 0.8.
    const inverse = { kind: MarketKind.Inverse, multiplier: WAD, unit: XBT } as const;
    expect(adlScore({ ...inverse, size: 10_000n, basis: -XBT, mark: 12_500n * WAD, equity: XBT })).toBe(
      16n * 10n ** 16n,
    );
  });

  it("flat positions score 0 and truncation is towards zero", () => {
    expect(adlScore({ ...quanto, size: 10_000n, basis: 5n * XBT, mark: 500n * WAD, equity: XBT })).toBe(0n);
    // pnl −1 sat on 5 XBT + 1 sat: pnlPct = trunc(−1e18 / 500,000,001) = −1,999,999,996; leverage 5e18;
    // score = trunc(−1,999,999,996 / 5) = −399,999,999 (towards zero).
    expect(adlScore({ ...quanto, size: 10_000n, basis: 5n * XBT + 1n, mark: 500n * WAD, equity: XBT })).toBe(
      -399_999_999n,
    );
  });

  it("an under-water holder counts as equity 1 (maximally levered), leverage capped at 1e36", () => {
    const base = { ...quanto, size: 10_000n, basis: 5n * XBT, mark: 600n * WAD };
    // leverage = 6e8 · 1e18 / 1 = 6e26; score = 0.2e18 · 6e26 / 1e18.
    expect(adlScore({ ...base, equity: -XBT })).toBe(12n * 10n ** 25n);
    expect(adlScore({ ...base, equity: 0n })).toBe(adlScore({ ...base, equity: 1n }));
    // An 18-decimal collateral: value 6e18, leverage 6e36 → clamped to 1e36.
    const wide = { ...base, unit: WAD, basis: 5n * WAD };
    expect(adlScore({ ...wide, equity: 0n })).toBe(2n * 10n ** 35n);
  });

  it("pnlPct is clamped to ±1e36 (a zero basis counts as 1) and leverage to at least 1", () => {
    // basis 0: pnlPct = 6e8 · 1e18 = 6e26 (within the clamp); huge equity: leverage clamped to 1.
    expect(adlScore({ ...quanto, size: 10_000n, basis: 0n, mark: 600n * WAD, equity: 10n ** 40n })).toBe(
      6n * 10n ** 8n,
    );
    const wide = { ...quanto, unit: WAD };
    // pnl 6e18 with basis 0 → 6e36 → clamped 1e36; leverage 6e18 · 1e18 / 6e18 = 1e18.
    expect(adlScore({ ...wide, size: 10_000n, basis: 0n, mark: 600n * WAD, equity: 6n * WAD })).toBe(10n ** 36n);
    // The short: pnl −6e18 → pnlPct −6e36 → clamped −1e36; score −1e36 · 1e18 / 1e18.
    expect(adlScore({ ...wide, size: -10_000n, basis: 0n, mark: 600n * WAD, equity: 6n * WAD })).toBe(-(10n ** 36n));
  });

  it("reverts like the contract: zero mark, arguments outside their Solidity types", () => {
    const ok = { ...quanto, size: 1n, basis: 1n, mark: WAD, equity: 1n };
    expect(() => adlScore({ ...ok, mark: 0n })).toThrow(MathError);
    expect(() => adlScore({ ...ok, mark: 0n })).toThrow(/ZeroPrice/);
    expect(() => adlScore({ ...ok, equity: 1n << 255n })).toThrow(/InvalidInput/);
    expect(() => adlScore({ ...ok, basis: 1 as unknown as bigint })).toThrow(/InvalidInput/);
    expect(() => adlScore({ ...ok, kind: 7 as MarketKind })).toThrow(/InvalidInput/);
    // |pnl| · 1e18 beyond int256: Panic(0x11).
    expect(() => adlScore({ ...ok, basis: -(1n << 250n) })).toThrow(/Panic\(17\)/);
  });
});

describe("createAdlScorer", () => {
  it("equals adlScore for every kind, sign and magnitude, including the checked fallback", () => {
    let seed = 1;
    const rnd = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const big = (bits: number): bigint => BigInt(Math.floor(rnd() * 2 ** 30)) << BigInt(Math.max(0, bits - 30));
    const markets = [
      { kind: MarketKind.Linear, multiplier: WAD / 1000n, unit: 10n ** 6n, mark: 61_234_567_891_234_567_891_234n },
      { kind: MarketKind.Inverse, multiplier: WAD, unit: XBT, mark: 61_234_567_891_234_567_891_234n },
      { kind: MarketKind.Quanto, multiplier: 10n ** 12n, unit: XBT, mark: 3_012_345_678_912_345_678_912n },
      { kind: MarketKind.Quanto, multiplier: 10n ** 12n, unit: WAD, mark: 500n * WAD },
      { kind: MarketKind.Inverse, multiplier: 3n, unit: 1n, mark: 7n },
    ];
    for (const m of markets) {
      const scorer = createAdlScorer(m.kind, m.multiplier, m.unit, m.mark);
      for (let j = 0; j < 2_000; j++) {
        const sign = rnd() < 0.5 ? -1n : 1n;
        const size = sign * (big(Math.floor(rnd() * 66)) + 1n);
        const basis = (rnd() < 0.5 ? -1n : 1n) * big(Math.floor(rnd() * 200));
        const equity = (rnd() < 0.2 ? -1n : 1n) * big(Math.floor(rnd() * 200));
        let expected: bigint | string;
        try {
          expected = adlScore({ ...m, size, basis, equity });
        } catch (e) {
          expected = (e as Error).message;
        }
        let actual: bigint | string;
        try {
          actual = scorer(size, basis, equity);
        } catch (e) {
          actual = (e as Error).message;
        }
        expect(actual).toEqual(expected);
      }
    }
  });
});
