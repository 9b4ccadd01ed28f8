import { describe, expect, it } from "vitest";
import { InvalidQuantoInputError } from "./quantoExposure.js";
import { quantoHedgePnl } from "./quantoHedgePnl.js";

const WAD = 10n ** 18n;
const XBT = 10n ** 8n;
// SPEC §2: 10,000 ETHUSD contracts (M = 0.000001 XBT/USD) from $500 to $600 make +1 XBT.
const trade = { multiplier: 10n ** 12n, size: 10_000n, entry: 500n * WAD, exit: 600n * WAD, unit: XBT };

describe("quantoHedgePnl", () => {
  it("with the collateral price unchanged the hedge cancels the perp exactly", () => {
    expect(quantoHedgePnl({ ...trade, collateralEntry: 10_000n * WAD, collateralExit: 10_000n * WAD })).toEqual({
      underlyingExposure: 100n * WAD, // hedge: sell 100 ETH at $500
      perpPnl: XBT, // +1 XBT
      perpPnlUsd: 10_000n * WAD,
      hedgePnlUsd: -10_000n * WAD, // −100 ETH × $100
      netPnlUsd: 0n,
    });
  });

  it("the quanto effect: XBT up 20 % with ETH leaves q·M·(X−E)·(S1−S0) = +$2,000", () => {
    const r = quantoHedgePnl({ ...trade, collateralEntry: 10_000n * WAD, collateralExit: 12_000n * WAD });
    expect(r.perpPnl).toBe(XBT);
    expect(r.perpPnlUsd).toBe(12_000n * WAD);
    expect(r.hedgePnlUsd).toBe(-10_000n * WAD);
    expect(r.netPnlUsd).toBe(2_000n * WAD);
  });

  it("XBT down while ETH rises costs the hedged long; a short mirrors it", () => {
    const long = quantoHedgePnl({ ...trade, collateralEntry: 10_000n * WAD, collateralExit: 8_000n * WAD });
    expect(long.netPnlUsd).toBe(-2_000n * WAD);
    const short = quantoHedgePnl({
      ...trade,
      size: -10_000n,
      collateralEntry: 10_000n * WAD,
      collateralExit: 8_000n * WAD,
    });
    expect(short).toEqual({
      underlyingExposure: -100n * WAD, // hedge: buy 100 ETH
      perpPnl: -XBT,
      perpPnlUsd: -8_000n * WAD,
      hedgePnlUsd: 10_000n * WAD,
      netPnlUsd: 2_000n * WAD,
    });
  });

  it("perpPnl carries the contract's rounding (exit value down, basis up)", () => {
    // One contract at $500.000000000000000001 is worth 1e12 · (500e18 + 1) · 1e8 / 1e36 = 50,000.0001 sats:
    // the exit value rounds down to 50,000, the basis up to 50,001.
    const r = quantoHedgePnl({
      ...trade,
      size: 1n,
      entry: 500n * WAD + 1n,
      exit: 500n * WAD + 1n,
      collateralEntry: WAD,
      collateralExit: WAD,
    });
    expect(r.perpPnl).toBe(-1n); // floor(value) − ceil(basis) on a non-integer value: one unit against the trader
  });

  it("rejects non-positive collateral prices", () => {
    expect(() => quantoHedgePnl({ ...trade, collateralEntry: 0n, collateralExit: WAD })).toThrow(
      InvalidQuantoInputError,
    );
    expect(() => quantoHedgePnl({ ...trade, collateralEntry: WAD, collateralExit: -1n })).toThrow(
      InvalidQuantoInputError,
    );
  });
});
