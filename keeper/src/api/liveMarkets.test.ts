import { describe, expect, it } from "vitest";
import { LiveMarkets } from "./interfaces.js";

const TICK = 10n ** 16n;
const btc = { tickSize: TICK, lotSize: 1n, active: true };

describe("LiveMarkets", () => {
  it("follows the chain's active flag both ways", () => {
    const markets = new LiveMarkets({ 0: btc });
    expect(markets.apply([{ id: 0, ...btc, active: false }])).toEqual(["market 0 paused on chain"]);
    expect(markets.get(0)?.active).toBe(false);
    expect(markets.apply([{ id: 0, ...btc }])).toEqual(["market 0 resumed on chain"]);
    expect(markets.get(0)).toEqual(btc);
    expect(markets.apply([{ id: 0, ...btc }])).toEqual([]); // nothing changed
  });

  it("closes a market whose tick or lot size changed, and keeps it closed even if it resumes", () => {
    const markets = new LiveMarkets({ 0: btc, 1: btc });
    const changes = markets.apply([
      { id: 0, ...btc, tickSize: TICK * 10n },
      { id: 1, ...btc, lotSize: 10n },
    ]);
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatch(/market 0's tick or lot size changed/);
    // The book's sizes stay those it was built with: only the flag moves.
    expect(markets.get(0)).toEqual({ ...btc, active: false });
    expect(markets.get(1)).toEqual({ ...btc, active: false });
    expect(markets.apply([{ id: 0, ...btc, tickSize: TICK * 10n, active: true }])).toEqual([]);
    expect(markets.get(0)?.active).toBe(false);
  });

  it("does not trade a market listed after start", () => {
    const markets = new LiveMarkets({ 0: btc });
    expect(markets.apply([{ id: 3, ...btc }])).toEqual(["market 3 was listed: restart the keeper to trade it"]);
    expect(markets.get(3)).toBeUndefined();
  });
});
