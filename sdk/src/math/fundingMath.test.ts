import { describe, expect, it } from "vitest";
import { MarketKind } from "./contractMath.js";
import {
  clampPremium,
  fundingIndexDelta,
  fundingOwed,
  fundingPrecision,
  fundingRate,
  markPrice,
  premiumSample,
  updatePremiumEma,
} from "./fundingMath.js";

const WAD = 10n ** 18n;

describe("FundingMath", () => {
  it("mark price and premium", () => {
    expect(clampPremium(WAD, WAD / 100n)).toBe(WAD / 100n);
    expect(clampPremium(-WAD, WAD / 100n)).toBe(-WAD / 100n);
    expect(markPrice(100n * WAD, WAD / 1000n, WAD / 100n)).toBe(100_100n * 10n ** 15n);
    expect(premiumSample(101n * WAD, 100n * WAD)).toBe(WAD / 100n);
    expect(premiumSample(99n * WAD, 100n * WAD)).toBe(-WAD / 100n);
  });

  it("EMA and rate", () => {
    expect(updatePremiumEma(0n, WAD, 0n, 0n)).toBe(WAD);
    expect(updatePremiumEma(0n, WAD, 1n, 1n)).toBe(WAD / 2n);
    expect(fundingRate(10n, 100n, 20n)).toBe(30n);
    expect(fundingRate(10n, -100n, 20n)).toBe(-10n);
  });

  it("precision, index and owed", () => {
    expect(fundingPrecision(10n ** 6n)).toBe(10n ** 9n);
    expect(fundingPrecision(10n ** 18n)).toBe(1n);
    expect(fundingPrecision(10n ** 12n)).toBe(10n ** 6n);
    // Linear, M = 0.001 BTC... in USDC: 1 contract at $100,000 = 100 USDC; 0.01% for a full interval.
    const d = fundingIndexDelta(MarketKind.Linear, WAD / 1000n, 10n ** 6n, 100_000n * WAD, WAD / 10_000n, 3600n, 3600n);
    expect(d).toBe(10n ** 4n * 10n ** 9n);
    expect(fundingOwed(3n, d, 0n, 10n ** 6n)).toBe(3n * 10n ** 4n);
    expect(fundingOwed(-3n, 1n, 0n, 10n ** 6n)).toBe(0n);
    expect(fundingOwed(3n, 1n, 0n, 10n ** 6n)).toBe(1n);
  });
});
