import { describe, expect, it } from "vitest";
import { InvalidQuantoInputError, quantoExposure } from "./quantoExposure.js";

const WAD = 10n ** 18n;
const XBT = 10n ** 8n;
// SPEC §2: ETHUSD in XBT, M = 0.000001 XBT per USD, 10,000 contracts at $500 are worth 5 XBT.
const vector = { multiplier: 10n ** 12n, size: 10_000n, price: 500n * WAD, unit: XBT };

describe("quantoExposure", () => {
  it("SPEC §2 vector: 5 XBT of value; at $10,000 per XBT that is $50,000, i.e. 100 ETH at $500", () => {
    expect(quantoExposure({ ...vector, collateralPrice: 10_000n * WAD })).toEqual({
      value: 5n * XBT,
      quoteValue: 50_000n * WAD,
      underlyingExposure: 100n * WAD,
    });
  });

  it("the underlying exposure q·M·S does not depend on the underlying's price, only on the collateral's", () => {
    const at600 = quantoExposure({ ...vector, price: 600n * WAD, collateralPrice: 10_000n * WAD });
    expect(at600.value).toBe(6n * XBT);
    expect(at600.underlyingExposure).toBe(100n * WAD);
    expect(quantoExposure({ ...vector, collateralPrice: 20_000n * WAD }).underlyingExposure).toBe(200n * WAD);
  });

  it("a short has negative exposure; fractions truncate towards zero", () => {
    const short = quantoExposure({ ...vector, size: -10_000n, collateralPrice: 10_000n * WAD + 1n });
    expect(short.value).toBe(-5n * XBT);
    // −10,000 · 1e12 · (1e22 + 1) / 1e18 = −1e20 − 0.01 → −1e20 (towards zero).
    expect(short.underlyingExposure).toBe(-100n * WAD);
  });

  it("rejects a non-positive collateral price and the contract math's bad inputs", () => {
    expect(() => quantoExposure({ ...vector, collateralPrice: 0n })).toThrow(InvalidQuantoInputError);
    expect(() => quantoExposure({ ...vector, price: 0n, collateralPrice: WAD })).toThrow(/ZeroPrice/);
  });
});
