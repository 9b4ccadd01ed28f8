import { describe, expect, it } from "vitest";
import { MarketKind } from "./contractMath.js";
import { applyTrade, increasesRisk, unrealizedPnl } from "./positionMath.js";

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

  it("increasesRisk", () => {
    expect(increasesRisk(0n, 1n)).toBe(true);
    expect(increasesRisk(5n, 0n)).toBe(false);
    expect(increasesRisk(5n, 3n)).toBe(false);
    expect(increasesRisk(5n, 6n)).toBe(true);
    expect(increasesRisk(5n, -1n)).toBe(true);
  });
});
