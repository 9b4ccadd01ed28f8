import { describe, expect, it } from "vitest";
import { MarketKind } from "../../../sdk/src/index.js";
import { LiquidationIndex } from "./liquidationIndex.js";
import { DEVNET_MARKETS, prng, syntheticAccounts, toWad } from "./synthetic.js";

const WAD = 10n ** 18n;

/** Exact brute force: every (account, market) whose account is under maintenance margin. */
function bruteForce(index: LiquidationIndex, keys: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const key of keys) {
    const handle = index.handleOf(key);
    if (handle === undefined || !index.isLiquidatable(handle)) continue;
    for (const p of index.state(key)!.positions) out.add(`${key}:${p.market}`);
  }
  return out;
}

function fromIndex(index: LiquidationIndex): { candidates: Set<string>; exact: Set<string> } {
  const candidates = new Set<string>();
  const exact = new Set<string>();
  for (const { handle, market } of index.allCandidates()) {
    const id = `${index.accountOf(handle)}:${market}`;
    expect(candidates.has(id), `candidate ${id} listed twice`).toBe(false);
    candidates.add(id);
    if (index.isLiquidatable(handle)) exact.add(id);
  }
  return { candidates, exact };
}

function setMarks(index: LiquidationIndex, prices: readonly number[], funding: readonly bigint[]): void {
  prices.forEach((p, id) => index.setMarket(id, toWad(p), funding[id]!));
}

describe("LiquidationIndex", () => {
  it("a long is a candidate once the mark reaches its liquidation price, a short likewise upwards", () => {
    const index = new LiquidationIndex(DEVNET_MARKETS);
    setMarks(index, [100_000, 100_000, 4_000], [0n, 0n, 0n]);
    // 10 BTC-USD contracts (0.01 BTC) long from $100,000 with $100 of margin: equity = 100 + 0.01·(P − 100,000),
    // MM = 0.05·0.01·P ⇒ liquidation at P = 99,900 / 0.0095 ≈ $94,736.84.
    const long = { market: 0, size: 10n, basis: 1_000n * 10n ** 6n, fundingSnapshot: 0n };
    index.upsert("long", { balance: 100n * 10n ** 6n, positions: [long] });
    const short = { market: 0, size: -10n, basis: -1_000n * 10n ** 6n, fundingSnapshot: 0n };
    index.upsert("short", { balance: 100n * 10n ** 6n, positions: [short] });
    const at = (price: number) => {
      index.setMarket(0, toWad(price), 0n);
      return index.candidates(0).map((h) => index.accountOf(h));
    };
    expect(at(100_000)).toEqual([]);
    expect(at(94_737)).toEqual([]);
    expect(at(94_736)).toEqual(["long"]);
    // Short: equity = 100 − 0.01·(P − 100,000) = 0.0005·P ⇒ P = 101,100/0.0105 ≈ $104,761.90.
    expect(at(104_761)).toEqual([]);
    expect(at(104_762)).toEqual(["short"]);
    expect(index.isLiquidatable(index.handleOf("short")!)).toBe(true);
    index.remove("short");
    expect(at(104_762)).toEqual([]);
  });

  it("takes a market's new MM rate at once: keys of single- and multi-market accounts move with it", () => {
    const btc = DEVNET_MARKETS[0]!;
    const twin = { ...btc, id: 3 }; // a second USD market, so that one account can hold both
    const index = new LiquidationIndex([...DEVNET_MARKETS, twin]);
    setMarks(index, [96_000, 100_000, 4_000, 100_000], [0n, 0n, 0n, 0n]);
    // The long above at $96,000: equity 100 − 40 = $60, MM at 5 % = $48 — safe; at 7 %, MM = $67.20.
    const long = { market: 0, size: 10n, basis: 1_000n * 10n ** 6n, fundingSnapshot: 0n };
    index.upsert("long", { balance: 100n * 10n ** 6n, positions: [long] });
    // The same long beside one flat twin contract: equity 105 − 40 = $65, MM 48 + 5 = $53 at 5 %,
    // 67.20 + 5 = $72.20 once BTC-USD's rate is 7 % (the twin's stays 5 %). A cross-market row.
    const flat = { market: 3, size: 1n, basis: 100n * 10n ** 6n, fundingSnapshot: 0n };
    index.upsert("cross", { balance: 105n * 10n ** 6n, positions: [long, flat] });
    const candidates = () => new Set(index.allCandidates().map(({ handle }) => index.accountOf(handle)));
    expect(candidates()).toEqual(new Set());

    index.setMarketConfig({ ...btc, mmRate: (7n * WAD) / 100n });
    expect(index.marketConfig(0).mmRate).toBe((7n * WAD) / 100n);
    expect(index.markOf(0)).toBe(toWad(96_000)); // the mark stays
    expect(candidates()).toEqual(new Set(["long", "cross"]));
    expect(index.isLiquidatable(index.handleOf("long")!)).toBe(true);
    expect(index.isLiquidatable(index.handleOf("cross")!)).toBe(true);

    index.setMarketConfig(btc); // and back
    expect(candidates()).toEqual(new Set());
    expect(index.isLiquidatable(index.handleOf("cross")!)).toBe(false);
  });

  it("lists a market it did not know, which takes positions once it has a mark", () => {
    const index = new LiquidationIndex(DEVNET_MARKETS.slice(0, 2));
    const eth = DEVNET_MARKETS[2]!;
    expect(() => index.markOf(eth.id)).toThrow();
    index.setMarketConfig(eth);
    index.setMarket(eth.id, toWad(4_000), 0n);
    index.upsert("a", {
      balance: 10n ** 6n,
      positions: [{ market: eth.id, size: 1n, basis: 0n, fundingSnapshot: 0n }],
    });
    expect(index.holders(eth.id).size).toBe(1);
  });

  it("moves every single-market key of a side together as funding accrues (γ·ΔF)", () => {
    const index = new LiquidationIndex(DEVNET_MARKETS);
    setMarks(index, [100_000, 100_000, 4_000], [0n, 0n, 0n]);
    const long = { market: 0, size: 10n, basis: 1_000n * 10n ** 6n, fundingSnapshot: 0n };
    index.upsert("long", { balance: 100n * 10n ** 6n, positions: [long] });
    // Funding precision for 6 decimals is min(1e12, 1e9) = 1e9: F = 1e15 makes the long owe
    // 10·1e15/1e9 = 1e7 units = $10, so its liquidation price rises to 910/0.0095 ≈ $95,789.47.
    index.setMarket(0, toWad(95_790), 10n ** 15n);
    expect(index.candidates(0)).toEqual([]);
    index.setMarket(0, toWad(95_789), 10n ** 15n);
    expect(index.candidates(0)).toEqual([index.handleOf("long")]);
    expect(index.isLiquidatable(index.handleOf("long")!)).toBe(true);
  });

  it("treats an account past MM at every price as always a candidate", () => {
    const index = new LiquidationIndex(DEVNET_MARKETS);
    setMarks(index, [100_000, 100_000, 4_000], [0n, 0n, 0n]);
    // A linear short with balance − basis < 0: equity − MM = C − 1.05·|q|·M·P < 0 at every price.
    index.upsert("broke", {
      balance: -2_000n * 10n ** 6n,
      positions: [{ market: 0, size: -10n, basis: -1_000n * 10n ** 6n, fundingSnapshot: 0n }],
    });
    for (const price of [1, 50_000, 1e9]) {
      index.setMarket(0, toWad(price), 0n);
      expect(index.candidates(0).map((h) => index.accountOf(h))).toEqual(["broke"]);
    }
  });

  it("equals an exact brute-force scan over random streams of ticks, funding, upserts and removals", () => {
    for (const seed of [1, 2, 3]) {
      const random = prng(seed * 7919);
      const prices = DEVNET_MARKETS.map((m) => m.price);
      const funding = [0n, 0n, 0n];
      const index = new LiquidationIndex(DEVNET_MARKETS, { rebuildThreshold: 64 });
      setMarks(index, prices, funding);
      const live = new Map<string, true>();
      const pool = syntheticAccounts({ seed, positions: 3_000, crossShare: 0.15, prices, funding });
      let next = 0;
      const add = (count: number) => {
        for (let i = 0; i < count && next < pool.length; i++, next++) {
          const { key, state } = pool[next]!;
          index.upsert(key, state);
          live.set(key, true);
        }
      };
      add(800);
      for (let step = 0; step < 40; step++) {
        const action = random();
        if (action < 0.45) {
          // A tick of 0–4 % in one market (the inverse and quanto share collateral, so their accounts cross).
          const market = Math.floor(random() * 3);
          prices[market] = prices[market]! * (1 + (random() - 0.5) * 0.08);
          index.setMarket(market, toWad(prices[market]!), funding[market]!);
        } else if (action < 0.6) {
          const market = Math.floor(random() * 3);
          funding[market] = funding[market]! + BigInt(Math.floor((random() - 0.3) * 1e14));
          index.setMarket(market, toWad(prices[market]!), funding[market]!);
        } else if (action < 0.8) {
          add(1 + Math.floor(random() * 100));
        } else if (action < 0.9) {
          // Re-read: an account's balance changed (deposit, withdrawal, fees).
          const keys = [...live.keys()];
          for (let i = 0; i < 20; i++) {
            const key = keys[Math.floor(random() * keys.length)]!;
            const state = index.state(key)!;
            index.upsert(key, { ...state, balance: state.balance + BigInt(Math.floor((random() - 0.5) * 1e8)) });
          }
        } else {
          const keys = [...live.keys()];
          for (let i = 0; i < 20; i++) {
            const key = keys[Math.floor(random() * keys.length)]!;
            index.remove(key);
            live.delete(key);
          }
        }
        const { candidates, exact } = fromIndex(index);
        const truth = bruteForce(index, live.keys());
        expect([...exact].sort()).toEqual([...truth].sort());
        for (const id of truth) expect(candidates.has(id)).toBe(true);
        // The superset is tight: false candidates are only those within the margin of the boundary.
        expect(candidates.size - exact.size).toBeLessThanOrEqual(Math.max(2, exact.size * 0.01));
      }
    }
  });

  it("re-evaluates multi-market accounts when any of their markets ticks", () => {
    const index = new LiquidationIndex(DEVNET_MARKETS);
    setMarks(index, [100_000, 100_000, 4_000], [0n, 0n, 0n]);
    // XBT account: long 100,000 XBTUSD contracts ($100k, 1 XBT) and long 100 ETHUSD contracts
    // (value 100·1e-6·4000 = 0.4 XBT), 0.2 XBT of balance.
    const xbtusd = { market: 1, size: 100_000n, basis: -(10n ** 8n), fundingSnapshot: 0n };
    const ethusd = { market: 2, size: 100n, basis: 4n * 10n ** 7n, fundingSnapshot: 0n };
    index.upsert("both", { balance: 2n * 10n ** 7n, positions: [xbtusd, ethusd] });
    const handle = index.handleOf("both")!;
    expect(index.allCandidates()).toEqual([]);
    // ETH falls 20 %: −0.08 XBT; still above MM (~0.07 XBT) with BTC unchanged.
    index.setMarket(2, toWad(3_200), 0n);
    expect(index.allCandidates()).toEqual([]);
    expect(index.isLiquidatable(handle)).toBe(false);
    // Now BTC falls 5 % (the ETH price is fixed): the ETHUSD position becomes liquidatable too.
    index.setMarket(1, toWad(95_000), 0n);
    expect(index.isLiquidatable(handle)).toBe(true);
    expect(index.allCandidates()).toEqual([
      { handle, market: 1 },
      { handle, market: 2 },
    ]);
  });

  it("L(Δ) sums notional at the liquidation price of the positions it reaches", () => {
    const index = new LiquidationIndex([
      { id: 0, kind: MarketKind.Linear, multiplier: WAD, unit: 10n ** 6n, imRate: WAD / 10n, mmRate: WAD / 20n },
    ]);
    index.setMarket(0, 100n * WAD, 0n);
    // 1 contract long from $100 with $10 of margin: liquidation at (100 − 10)/0.95 ≈ $94.737.
    index.upsert("a", {
      balance: 10n * 10n ** 6n,
      positions: [{ market: 0, size: 1n, basis: 100n * 10n ** 6n, fundingSnapshot: 0n }],
    });
    expect(index.liquidatingNotional(0, "long", 95)).toBe(0);
    expect(index.liquidatingNotional(0, "long", 94.7) * 1e-6).toBeCloseTo(94.737, 3);
    expect(index.liquidatingNotional(0, "short", 200)).toBe(0);
  });
});
