import { describe, expect, it } from "vitest";
import { MarketKind, signedValue } from "../math/contractMath.js";
import { InvalidParameterError } from "./errors.js";
import {
  bankruptcyPrice,
  liquidationPrice,
  subaccountHealth,
  type HealthPosition,
  type SubaccountHealthParameters,
} from "./subaccountHealth.js";

const WAD = 10n ** 18n;
const USD = 10n ** 6n;
const XBT = 10n ** 8n;
const rates = { imRate: WAD / 10n, mmRate: WAD / 20n };

/** A position opened at `entry` (basis as the contract books it), marked at `mark`. */
function position(
  kind: MarketKind,
  multiplier: bigint,
  unit: bigint,
  size: bigint,
  entry: bigint,
  mark = entry,
): HealthPosition {
  const basis = signedValue(kind, multiplier, size, entry, unit, true);
  return { kind, multiplier, unit, size, basis, fundingOwed: 0n, mark, ...rates };
}
const btcUsd = (size: bigint, entry: bigint, mark?: bigint) =>
  position(MarketKind.Linear, WAD / 1000n, USD, size, entry, mark);
const xbtUsd = (size: bigint, entry: bigint, mark?: bigint) =>
  position(MarketKind.Inverse, WAD, XBT, size, entry, mark);
const ethUsd = (size: bigint, entry: bigint, mark?: bigint) =>
  position(MarketKind.Quanto, WAD / 1_000_000n, XBT, size, entry, mark);

/** equity − MM with position `i` marked at `price`. */
function marginAt(params: SubaccountHealthParameters, i: number, price: bigint, target: "mm" | "zero"): bigint {
  const positions = params.positions.map((p, j) => (j === i ? { ...p, mark: price } : p));
  const h = subaccountHealth({ balance: params.balance, positions });
  return h.equity - (target === "mm" ? h.maintenanceMargin : 0n);
}

describe("subaccountHealth", () => {
  it("reproduces the SPEC §2 quanto vector: 10,000 ETHUSD at $500 is worth 5 XBT, IM 10% = 0.5 XBT", () => {
    const h = subaccountHealth({ balance: XBT, positions: [ethUsd(10_000n, 500n * WAD, 600n * WAD)] });
    // Value 6 XBT at $600, basis 5 XBT: PnL +1 XBT.
    expect(h.positions[0]).toEqual({
      value: 6n * XBT,
      notional: 6n * XBT,
      unrealizedPnl: XBT,
      initialMargin: (6n * XBT) / 10n,
      maintenanceMargin: (6n * XBT) / 20n,
    });
    expect(h.equity).toBe(2n * XBT);
  });

  it("reproduces the SPEC §2 inverse vector: long 10,000 XBTUSD from $10,000 to $12,500 gains 0.2 XBT", () => {
    const h = subaccountHealth({ balance: 0n, positions: [xbtUsd(10_000n, 10_000n * WAD, 12_500n * WAD)] });
    expect(h.positions[0]!.unrealizedPnl).toBe((2n * XBT) / 10n);
    expect(h.equity).toBe((2n * XBT) / 10n);
  });
});

describe("liquidationPrice and bankruptcyPrice", () => {
  it("linear long at 10× leverage: $100 on 10 BTC-USD at $100,000", () => {
    // equity = 100 + 0.01·P − 1000, MM = 0.0005·P.
    const params = { balance: 100n * USD, positions: [btcUsd(10n, 100_000n * WAD)], position: 0 };
    // 0.0095·P = 900 ⇒ P = 94,736.842105263157894736.84…, rounded up for a long.
    expect(liquidationPrice(params)).toBe(94_736_842_105_263_157_894_737n);
    expect(bankruptcyPrice(params)).toBe(90_000n * WAD);
  });

  it("linear short: $100 on −10 BTC-USD at $100,000", () => {
    // equity = 100 + 1000 − 0.01·P, MM = 0.0005·P ⇒ P = 1100 / 0.0105, rounded down for a short.
    const params = { balance: 100n * USD, positions: [btcUsd(-10n, 100_000n * WAD)], position: 0 };
    expect(liquidationPrice(params)).toBe(104_761_904_761_904_761_904_761n);
    expect(bankruptcyPrice(params)).toBe(110_000n * WAD);
  });

  it("inverse long: 0.1 XBT on 10,000 XBTUSD at $10,000", () => {
    // equity = 0.1 − 10000/P + 1, MM = 500/P ⇒ P = 10500 / 1.1; bankruptcy P = 10000 / 1.1.
    const params = { balance: XBT / 10n, positions: [xbtUsd(10_000n, 10_000n * WAD)], position: 0 };
    expect(liquidationPrice(params)).toBe(9_545_454_545_454_545_454_546n);
    expect(bankruptcyPrice(params)).toBe(9_090_909_090_909_090_909_091n);
  });

  it("inverse short: 0.1 XBT on −10,000 XBTUSD at $10,000", () => {
    // equity = 0.1 + 10000/P − 1, MM = 500/P ⇒ 0.9 = 9500/P ⇒ P = 10,555.55…; bankruptcy 11,111.11…
    const params = { balance: XBT / 10n, positions: [xbtUsd(-10_000n, 10_000n * WAD)], position: 0 };
    expect(liquidationPrice(params)).toBe(10_555_555_555_555_555_555_555n);
    expect(bankruptcyPrice(params)).toBe(11_111_111_111_111_111_111_111n);
  });

  it("quanto long: 0.5 XBT on 10,000 ETHUSD at $500", () => {
    // equity = 0.5 + 0.01·P − 5, MM = 0.0005·P ⇒ P = 4.5 / 0.0095 = 473.684210526315789473.68…
    const params = { balance: XBT / 2n, positions: [ethUsd(10_000n, 500n * WAD)], position: 0 };
    expect(liquidationPrice(params)).toBe(473_684_210_526_315_789_474n);
    expect(bankruptcyPrice(params)).toBe(450n * WAD);
  });

  it("cross margin: another market's PnL and MM move the price, its mark fixed", () => {
    // XBT subaccount: long 10,000 ETHUSD at $500 and short 10,000 XBTUSD at $10,000 marked at $12,500
    // (a 0.2 XBT loss, MM 0.04 XBT). equity = 1 + 0.01·P − 5 − 0.2 = 0.01·P − 4.2.
    const eth = ethUsd(10_000n, 500n * WAD);
    const xbt = xbtUsd(-10_000n, 10_000n * WAD, 12_500n * WAD);
    const params = { balance: XBT, positions: [eth, xbt], position: 0 };
    // 0.01·P − 4.2 = 0.04 + 0.0005·P ⇒ P = 4.24 / 0.0095 = 446.315789473684210526.3…
    expect(liquidationPrice(params)).toBe(446_315_789_473_684_210_527n);
    expect(bankruptcyPrice(params)).toBe(420n * WAD);
    // And for the XBTUSD short with ETHUSD at $500: 1 − 5 + 5 (ETH value) … equity = 1 + 10000/P − 1 = 10000/P
    // (ETH PnL 0), MM = 0.25 (ETH) + 500/P ⇒ 9500/P = 0.25 ⇒ P = 38,000.
    expect(liquidationPrice({ ...params, position: 1 })).toBe(38_000n * WAD);
    expect(bankruptcyPrice({ ...params, position: 1 })).toBeNull();
  });

  it("at the returned price equity meets the target within rounding, and one dollar past it is short of it", () => {
    const cases: [SubaccountHealthParameters, number][] = [
      [{ balance: 100n * USD, positions: [btcUsd(10n, 100_000n * WAD)] }, 0],
      [{ balance: 100n * USD, positions: [btcUsd(-10n, 100_000n * WAD)] }, 0],
      [{ balance: XBT / 10n, positions: [xbtUsd(10_000n, 10_000n * WAD)] }, 0],
      [{ balance: XBT / 10n, positions: [xbtUsd(-10_000n, 10_000n * WAD)] }, 0],
      [{ balance: XBT, positions: [ethUsd(10_000n, 500n * WAD), xbtUsd(-10_000n, 10_000n * WAD, 12_500n * WAD)] }, 0],
      [{ balance: XBT, positions: [ethUsd(10_000n, 500n * WAD), xbtUsd(-10_000n, 10_000n * WAD, 12_500n * WAD)] }, 1],
    ];
    for (const [params, i] of cases) {
      const long = params.positions[i]!.size > 0n;
      const away = (p: bigint) => (long ? p - WAD : p + WAD); // one dollar further against the position
      const liq = liquidationPrice({ ...params, position: i })!;
      expect(marginAt(params, i, liq, "mm")).toBeGreaterThanOrEqual(-2n);
      expect(marginAt(params, i, liq, "mm")).toBeLessThanOrEqual(2n);
      expect(marginAt(params, i, away(liq), "mm")).toBeLessThan(0n);
      const bankrupt = bankruptcyPrice({ ...params, position: i });
      if (bankrupt !== null) {
        expect(marginAt(params, i, bankrupt, "zero")).toBeGreaterThanOrEqual(-2n);
        expect(marginAt(params, i, bankrupt, "zero")).toBeLessThanOrEqual(2n);
        expect(marginAt(params, i, away(bankrupt), "zero")).toBeLessThan(0n);
      }
    }
  });

  it("is null when no price reaches the target", () => {
    // A fully funded long: equity ≥ MM at every price.
    expect(
      liquidationPrice({ balance: 1_000n * USD, positions: [btcUsd(10n, 100_000n * WAD)], position: 0 }),
    ).toBeNull();
    // An inverse short with collateral above its notional never reaches zero equity (equity → C > 0 as P → ∞).
    expect(
      bankruptcyPrice({ balance: 2n * XBT, positions: [xbtUsd(-10_000n, 10_000n * WAD)], position: 0 }),
    ).toBeNull();
    // Past the target at every price: an inverse long whose balance cannot cover the basis.
    expect(
      liquidationPrice({ balance: -2n * XBT, positions: [xbtUsd(10_000n, 10_000n * WAD)], position: 0 }),
    ).toBeNull();
    // No position.
    expect(liquidationPrice({ balance: 1n, positions: [btcUsd(0n, WAD)], position: 0 })).toBeNull();
  });

  it("rejects a position index out of range", () => {
    expect(() => liquidationPrice({ balance: 0n, positions: [], position: 0 })).toThrow(InvalidParameterError);
  });
});
