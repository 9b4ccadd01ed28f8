import { describe, expect, it } from "vitest";
import { MathError } from "./checked.js";
import {
  MarketKind,
  contractsForExposure,
  margin,
  notional,
  pnl,
  signedValue,
  valueAndNotional,
} from "./contractMath.js";

const WAD = 10n ** 18n;
const XBT = 10n ** 8n;

describe("ContractMath SPEC §2 reference vectors", () => {
  // Quanto ETHUSD in XBT, M = 0.000001 XBT per USD.
  const M = 10n ** 12n;
  const q = 10_000n;
  const P = 500n * WAD;

  it("quanto value of 10,000 contracts at $500 is 5 XBT", () => {
    expect(notional(MarketKind.Quanto, M, q, P, XBT)).toBe(5n * XBT);
    expect(signedValue(MarketKind.Quanto, M, q, P, XBT, false)).toBe(5n * XBT);
    expect(signedValue(MarketKind.Quanto, M, -q, P, XBT, true)).toBe(-5n * XBT);
    expect(valueAndNotional(MarketKind.Quanto, M, q, P, XBT)).toEqual({ valueDown: 5n * XBT, notionalUp: 5n * XBT });
  });

  it("quanto initial margin at 2% is 0.1 XBT", () => {
    expect(margin(MarketKind.Quanto, M, q, P, 2n * 10n ** 16n, XBT)).toBe(XBT / 10n);
  });

  it("quanto PnL from $500 to $600 is +1 XBT", () => {
    expect(pnl(MarketKind.Quanto, M, q, P, 600n * WAD, XBT)).toBe(XBT);
    expect(pnl(MarketKind.Quanto, M, -q, P, 600n * WAD, XBT)).toBe(-XBT);
  });

  it("quanto contracts for 100 XBT of exposure at $500 is 200,000", () => {
    expect(contractsForExposure(MarketKind.Quanto, M, P, 100n * XBT, XBT)).toBe(200_000n);
  });

  it("inverse XBTUSD, M = 1 USD, long 10,000 at $10,000 exit $12,500: PnL +0.2 XBT", () => {
    expect(pnl(MarketKind.Inverse, WAD, 10_000n, 10_000n * WAD, 12_500n * WAD, XBT)).toBe(2n * 10n ** 7n);
    expect(signedValue(MarketKind.Inverse, WAD, 10_000n, 10_000n * WAD, XBT, false)).toBe(-XBT);
    expect(notional(MarketKind.Inverse, WAD, 10_000n, 10_000n * WAD, XBT)).toBe(XBT);
  });
});

describe("ContractMath rounding and reverts", () => {
  it("rounds value towards the requested infinity whatever the sign", () => {
    // 1 contract × 1e-18 × price 1 wei... value 1e18·1·1 / 1e36 = tiny: down 0/-1, up 1/0.
    expect(signedValue(MarketKind.Linear, 1n, 1n, 1n, 1n, false)).toBe(0n);
    expect(signedValue(MarketKind.Linear, 1n, 1n, 1n, 1n, true)).toBe(1n);
    expect(signedValue(MarketKind.Linear, 1n, -1n, 1n, 1n, false)).toBe(-1n);
    expect(signedValue(MarketKind.Linear, 1n, -1n, 1n, 1n, true)).toBe(0n);
    expect(valueAndNotional(MarketKind.Linear, 1n, -1n, 1n, 1n)).toEqual({ valueDown: -1n, notionalUp: 1n });
  });

  it("throws ZeroPrice for a zero price", () => {
    const call = () => signedValue(MarketKind.Linear, WAD, 1n, 0n, XBT, false);
    expect(call).toThrow(MathError);
    expect(call).toThrow(/ZeroPrice/);
  });

  it("throws FixedPointOverflow when the magnitude exceeds int256", () => {
    try {
      signedValue(MarketKind.Inverse, 1n, 1n, 1n, 1n << 255n, false);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MathError);
      expect((error as MathError).errorName).toBe("FixedPointOverflow");
      expect((error as MathError).args).toEqual([1n << 255n]);
    }
  });

  it("throws Panic(0x11) on a checked overflow", () => {
    try {
      notional(MarketKind.Linear, 1n << 200n, 1n << 100n, WAD, 1n);
      expect.unreachable();
    } catch (error) {
      expect((error as MathError).errorName).toBe("Panic");
      expect((error as MathError).args).toEqual([0x11n]);
    }
  });
});
