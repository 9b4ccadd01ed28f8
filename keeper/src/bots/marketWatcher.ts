/**
 * Follows the registry for the intake and the matcher: whenever it republishes a market
 * (`MarketDataPublished`: a listing, a parameter change, a pause), the node's `LiveMarkets` takes the
 * registry's markets again, so an order for a market paused on chain is refused at intake instead of
 * being matched into fills the contract will skip. (The liquidator follows the same events itself,
 * within its own tick, so its liquidation prices never lag a change of MM rate.)
 */
import { getMarkets, marketRegistryAbi, type LucentClient } from "../../../sdk/src/index.js";
import type { LiveMarkets } from "../api/interfaces.js";
import type { Logger } from "../log.js";
import { PollingLoop, type Bot, type BotHealth } from "./bot.js";

export type MarketWatcherOptions = {
  client: LucentClient;
  markets: LiveMarkets;
  /** Poll period. */
  intervalMs?: number;
  /** /health calls the loop stale when its last iteration is older than this. */
  staleAfterMs?: number;
  logger?: Logger;
  now?: () => number;
};

/** The registry's `MarketDataPublished` event, for `getLogs`. */
export const MARKET_DATA_PUBLISHED = marketRegistryAbi.find(
  (item): item is Extract<(typeof marketRegistryAbi)[number], { type: "event"; name: "MarketDataPublished" }> =>
    item.type === "event" && item.name === "MarketDataPublished",
)!;

export class MarketWatcher implements Bot {
  readonly name = "market-watcher";
  private lastBlock = -1n;
  private readonly loop: PollingLoop;

  constructor(private readonly o: MarketWatcherOptions) {
    this.loop = new PollingLoop({
      iterate: () => this.iterate(),
      intervalMs: o.intervalMs ?? 2_000,
      staleAfterMs: o.staleAfterMs ?? 60_000,
      now: o.now ?? Date.now,
    });
  }

  /** Starts from the current block: the node read its markets at start. */
  async init(): Promise<void> {
    this.lastBlock = await this.o.client.publicClient.getBlockNumber({ cacheTime: 0 });
  }

  async start(): Promise<void> {
    if (this.lastBlock < 0n) await this.init();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  healthCheck(): BotHealth {
    return this.loop.health();
  }

  /** One poll: the registry's events since the last one, and the markets again if there were any. */
  async iterate(): Promise<string[]> {
    const { client } = this.o;
    const head = await client.publicClient.getBlockNumber({ cacheTime: 0 });
    let changes: string[] = [];
    if (head > this.lastBlock) {
      const published = await client.publicClient.getLogs({
        address: client.addresses.marketRegistry,
        event: MARKET_DATA_PUBLISHED,
        fromBlock: this.lastBlock + 1n,
        toBlock: head,
      });
      if (published.length > 0) {
        changes = this.o.markets.apply(await getMarkets(client));
        for (const change of changes) this.o.logger?.warn({ change }, "market changed on chain");
      }
      this.lastBlock = head;
    }
    this.loop.beat();
    return changes;
  }
}
