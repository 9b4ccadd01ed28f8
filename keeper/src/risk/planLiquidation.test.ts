import { describe, expect, it } from "vitest";
import { AdlPolicy, MarketKind, liquidationMath, mulRateDown, rankAdlSide } from "../../../sdk/src/index.js";
import type { IndexAccount } from "./liquidationIndex.js";
import { NotLiquidatableError, planLiquidation, type PlanBookOrder, type PlanMarket } from "./planLiquidation.js";

const WAD = 10n ** 18n;
const USD = 10n ** 6n;
const PARAMS = { feeRate: WAD / 100n, fullLiquidationRatio: WAD / 2n, bandRate: WAD / 50n };

function btc(mark: number, adlPolicy: AdlPolicy = AdlPolicy.Ranked): Map<number, PlanMarket> {
  return new Map([
    [
      0,
      {
        id: 0,
        kind: MarketKind.Linear,
        multiplier: WAD / 1000n,
        unit: USD,
        lotSize: 1n,
        imRate: WAD / 10n,
        mmRate: WAD / 20n,
        makerFeeRate: (2n * WAD) / 10_000n,
        adlPolicy,
        mark: BigInt(mark) * WAD,
        cumulativeFunding: 0n,
      },
    ],
  ]);
}

const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const LIQUIDATED = id(1);
const VAULT = id(2);
/** Long `size` BTC-USD contracts from $100,000 with `margin` dollars. */
const long = (size: bigint, margin: bigint): IndexAccount => ({
  balance: margin * USD,
  positions: [{ market: 0, size, basis: size * 100n * USD, fundingSnapshot: 0n }],
});
const short = (size: bigint, margin: bigint, entry = 100_000n): IndexAccount => ({
  balance: margin * USD,
  positions: [{ market: 0, size: -size, basis: (-size * entry * USD) / 1000n, fundingSnapshot: 0n }],
});
const bid = (orderId: number, maker: string, price: number, remaining: bigint): PlanBookOrder => ({
  orderId,
  maker,
  price: BigInt(price) * WAD,
  remaining,
  reduceOnly: false,
});

function lookup(states: Record<string, IndexAccount>) {
  return (key: string) => states[key];
}

describe("planLiquidation", () => {
  it("refuses an account above maintenance margin", () => {
    const states = { [LIQUIDATED]: long(100n, 1_000n) };
    expect(() =>
      planLiquidation({
        account: LIQUIDATED,
        market: 0,
        markets: btc(100_000),
        accountState: lookup(states),
        params: PARAMS,
        book: [],
        insurance: undefined,
        holders: [],
      }),
    ).toThrow(NotLiquidatableError);
  });

  it("partial: closes partialCloseSize against the band-limited book, skipping its own order", () => {
    // 100 contracts (0.1 BTC) from $100,000 with $1,000: at $94,000 equity = $400, MM = $470, IM = $940,
    // above MM/2: partial. Band ±2 % = [$92,120, $95,880]; bankruptcy at $90,000.
    const states: Record<string, IndexAccount> = {
      [LIQUIDATED]: long(100n, 1_000n),
      [id(9)]: short(100n, 50_000n),
      [id(10)]: { balance: 100_000n * USD, positions: [] },
    };
    const markets = btc(94_000);
    const book = [
      bid(1, id(9), 96_000, 5n), // above mark + 2 %: outside the band
      bid(2, LIQUIDATED, 94_000, 50n), // its own: never
      bid(3, id(9), 93_950, 3n),
      bid(4, id(10), 93_900, 50n),
      bid(5, id(10), 93_800, 50n),
    ];
    const plan = planLiquidation({
      account: LIQUIDATED,
      market: 0,
      markets,
      accountState: lookup(states),
      params: PARAMS,
      book,
      insurance: VAULT,
      holders: [LIQUIDATED, id(9)],
    });
    const equity = 400n * USD;
    expect(plan.equity).toBe(equity);
    expect(plan.maintenanceMargin).toBe(470n * USD);
    expect(plan.full).toBe(false);
    const expected = liquidationMath.partialCloseSize(
      100n,
      1n,
      940n * USD - equity,
      9_400n * USD,
      WAD / 10n,
      WAD / 100n,
    );
    expect(expected).toBe(64n); // ⌈540·100 / (9,400·9 %)⌉
    expect(plan.target).toBe(expected);
    expect(plan.bankruptcyPrice).toBe(90_000n * WAD);
    expect(plan.bookFills.map((f) => [f.orderId, f.size])).toEqual([
      [3, 3n],
      [4, 50n],
      [5, 11n],
    ]);
    expect(plan.bookSize).toBe(plan.target);
    expect(plan.backstopSize + plan.adlSize).toBe(0n);
    expect(plan.adlSide).toEqual([]);
  });

  it("full: the book up to the bankruptcy price, the vault as far as its margin allows, ADL in ranked order", () => {
    // 1,000 contracts with $6,000 at $94,500: equity = 6,000 − 5,500 = $500 < MM/2 ($2,362.5) → full.
    const states: Record<string, IndexAccount> = {
      [LIQUIDATED]: long(1_000n, 6_000n),
      [VAULT]: { balance: 3_000n * USD, positions: [] },
      [id(20)]: short(400n, 5_000n), // profitable shorts: ranked by PnL% × leverage
      [id(21)]: short(300n, 20_000n),
      [id(22)]: short(300n, 2_000n, 90_000n), // losing
      [id(30)]: { balance: 1_000_000n * USD, positions: [] },
    };
    const markets = btc(94_500);
    const bankruptcy = liquidationMath.bankruptcyPrice(
      MarketKind.Linear,
      WAD / 1000n,
      USD,
      1_000n,
      94_500n * WAD,
      500n * USD,
    );
    expect(bankruptcy).toBe(94_000n * WAD);
    const plan = planLiquidation({
      account: LIQUIDATED,
      market: 0,
      markets,
      accountState: lookup(states),
      params: PARAMS,
      book: [bid(1, id(30), 94_400, 100n), bid(2, id(30), 93_000, 500n)], // the second is below bankruptcy
      insurance: VAULT,
      holders: [LIQUIDATED, id(20), id(21), id(22)],
    });
    expect(plan.full).toBe(true);
    expect(plan.target).toBe(1_000n);
    expect(plan.bankruptcyPrice).toBe(bankruptcy);
    expect(plan.bookFills.map((f) => f.orderId)).toEqual([1]);
    expect(plan.bookSize).toBe(100n);
    // The vault ($3,000) buys at $94,000 marked at $94,500 (+$0.5 a contract) and needs 10 % IM ($9.45):
    // 3,000 + 0.5·n ≥ 9.45·n up to n = 335, the binary search's answer.
    expect(plan.backstopSize).toBe(335n);
    expect(plan.bookSize + plan.backstopSize + plan.adlSize).toBe(1_000n);
    // The side: every short, ranked exactly as the SDK ranks it.
    const side = [id(20), id(21), id(22)].map((k) => {
      const p = states[k]!.positions[0]!;
      const mark = 94_500n * WAD;
      const value = (p.size * (WAD / 1000n) * mark * USD) / WAD / WAD;
      return {
        subaccountId: k as `0x${string}`,
        size: p.size,
        basis: p.basis,
        equity: states[k]!.balance + value - p.basis,
      };
    });
    const ranked = rankAdlSide({
      kind: MarketKind.Linear,
      multiplier: WAD / 1000n,
      unit: USD,
      mark: 94_500n * WAD,
      positions: side,
    });
    expect(plan.adlSide).toEqual(ranked.map((p) => p.subaccountId));
    expect(plan.adlSide.at(-1)).toBe(id(22)); // the losing short ranks last
    expect(plan.adlSizes.reduce((a, b) => a + b, 0n)).toBe(plan.adlSize);
    // Walks the ranking: the first position is cut whole before the second is touched.
    expect(plan.adlSizes[0]).toBe(plan.adlSize < 400n ? plan.adlSize : 400n);
  });

  it("PRO_RATA: the side in id order and floor shares summing to the shortfall", () => {
    const states: Record<string, IndexAccount> = {
      [LIQUIDATED]: long(100n, 600n),
      [id(40)]: short(30n, 5_000n),
      [id(41)]: short(70n, 5_000n),
    };
    const plan = planLiquidation({
      account: LIQUIDATED,
      market: 0,
      markets: btc(94_500, AdlPolicy.ProRata),
      accountState: lookup(states),
      params: PARAMS,
      book: [],
      insurance: undefined,
      holders: [id(41), LIQUIDATED, id(40)],
    });
    expect(plan.adlSide).toEqual([id(40), id(41)]);
    expect(plan.adlSize).toBe(100n);
    expect(plan.adlSizes).toEqual([30n, 70n]);
    expect(mulRateDown(1n, 1n)).toBe(0n);
  });
});
