import { describe, expect, it } from "vitest";
import { MathError } from "./checked.js";
import { MarketKind, magnitudes } from "./contractMath.js";
import { MAX_FILL_VALUE, applyFill, applyTrade, increasesRisk, unrealizedPnl } from "./positionMath.js";

const WAD = 10n ** 18n;
const XBT = 10n ** 8n;
const inv = MarketKind.Inverse;

describe("PositionMath", () => {
  it("opens, reduces and closes an inverse position with exact PnL (SPEC §2)", () => {
    const open = applyTrade(inv, WAD, XBT, 0n, 0n, 10_000n, 10_000n * WAD);
    expect(open).toEqual({ size: 10_000n, basis: -XBT, realizedPnl: 0n });
    expect(unrealizedPnl(inv, WAD, XBT, open.size, open.basis, 12_500n * WAD)).toBe(2n * 10n ** 7n);
    const half = applyTrade(inv, WAD, XBT, open.size, open.basis, -5_000n, 12_500n * WAD);
    expect(half).toEqual({ size: 5_000n, basis: -XBT / 2n, realizedPnl: 10n ** 7n });
    const closed = applyTrade(inv, WAD, XBT, half.size, half.basis, -5_000n, 12_500n * WAD);
    expect(closed).toEqual({ size: 0n, basis: 0n, realizedPnl: 10n ** 7n });
  });

  it("flips", () => {
    const q = MarketKind.Quanto;
    const t = applyTrade(q, 10n ** 12n, XBT, 10_000n, 5n * XBT, -30_000n, 600n * WAD);
    expect(t).toEqual({ size: -20_000n, basis: -12n * XBT, realizedPnl: XBT });
  });

  it("applyFill: the same trade from the fill's one valuation; outside settlement's ranges, InvalidInput", () => {
    const fill = (size: bigint, basis: bigint, delta: bigint) => {
      const { down, up } = magnitudes(inv, WAD, delta < 0n ? -delta : delta, 12_500n * WAD, XBT);
      return applyFill(inv, WAD, XBT, size, basis, delta, 12_500n * WAD, down, up);
    };
    expect(fill(10_000n, -XBT, -5_000n)).toEqual({
      size: 5_000n,
      basis: -XBT / 2n,
      realizedPnl: 10n ** 7n,
      addsRisk: false,
    });
    expect(fill(0n, 0n, 5_000n)).toEqual({
      ...applyTrade(inv, WAD, XBT, 0n, 0n, 5_000n, 12_500n * WAD),
      addsRisk: true,
    });
    expect(fill(1_000n, -XBT / 10n, -3_000n).addsRisk).toBe(true); // a flip
    const rejects = (f: () => unknown, field: string) => {
      let caught: unknown;
      try {
        f();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(MathError);
      expect((caught as MathError).errorName).toBe("InvalidInput");
      expect((caught as MathError).details["field"]).toBe(field);
    };
    rejects(() => applyFill(inv, WAD, XBT, 1n << 63n, 0n, 1n, WAD, 0n, 1n), "size");
    rejects(() => applyFill(inv, WAD, XBT, 0n, 1n << 95n, 1n, WAD, 0n, 1n), "basis");
    rejects(() => applyFill(inv, WAD, XBT, 0n, 0n, 1n, WAD, MAX_FILL_VALUE, MAX_FILL_VALUE), "valueUp");
  });

  it("increasesRisk", () => {
    expect(increasesRisk(0n, 1n)).toBe(true);
    expect(increasesRisk(5n, 0n)).toBe(false);
    expect(increasesRisk(5n, 3n)).toBe(false);
    expect(increasesRisk(5n, 6n)).toBe(true);
    expect(increasesRisk(5n, -1n)).toBe(true);
  });
});
