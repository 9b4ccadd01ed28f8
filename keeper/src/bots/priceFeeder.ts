/**
 * The devnet's price and funding loop: feeds the median-of-reporters index oracles (SPEC §4, devnet
 * adapter) from a price path, with each of the reporter keys reporting its own slightly different
 * price, so the index is a real median. After each round it publishes every market's index, mark and
 * funding on the pub/sub (`index:<id>`, `mark:<id>`, `funding:<id>`). Funding itself accrues on chain,
 * lazily; nothing needs to be sent for it.
 *
 * A path is a function of time; `pin(feed, price)` overrides it (a scenario steps the price exactly),
 * and `reportNow()` runs a round at once and resolves once it is mined.
 */
import {
  createPublicClient,
  createWalletClient,
  http,
  parseAbi,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
} from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { getMarketState, type LucentClient, type Market } from "../../../sdk/src/index.js";
import { PollingLoop, type Bot, type BotHealth } from "./bot.js";
import { prng } from "../risk/synthetic.js";

const medianOracleAbi = parseAbi(["function report(uint256 price)"]);
const WAD = 10n ** 18n;

/** A price path: the index of `feed` as a multiple of its base price, `elapsedMs` after the start. */
export type PricePath = (feed: string, elapsedMs: number) => number;

/** The base price with uniform noise of ± `noiseBps` (default 5 bps) each round. */
export function constantPath({ noiseBps = 5, seed = 1 }: { noiseBps?: number; seed?: number } = {}): PricePath {
  const random = prng(seed);
  return () => 1 + ((random() * 2 - 1) * noiseBps) / 10_000;
}

/**
 * A crash: the base price (with noise) until `afterMs`, then a fall by `dropBps` spread over `overMs`,
 * then a second leg to `secondDropBps` below the base `pauseMs` later, then flat (with noise).
 * Defaults: after 30 s, −7% over 10 s, −13% at 60 s.
 */
export function crashPath({
  afterMs = 30_000,
  dropBps = 700,
  overMs = 10_000,
  pauseMs = 20_000,
  secondDropBps = 1_300,
  noiseBps = 2,
  seed = 1,
}: {
  afterMs?: number;
  dropBps?: number;
  overMs?: number;
  pauseMs?: number;
  secondDropBps?: number;
  noiseBps?: number;
  seed?: number;
} = {}): PricePath {
  const noise = constantPath({ noiseBps, seed });
  return (feed, t) => {
    let drop = 0;
    if (t >= afterMs + overMs + pauseMs) drop = secondDropBps;
    else if (t >= afterMs + overMs) drop = dropBps;
    else if (t >= afterMs) drop = (dropBps * (t - afterMs)) / overMs;
    return noise(feed, t) * (1 - drop / 10_000);
  };
}

/** Named paths for command lines (`constant`, `crash`). */
export function namedPricePath(name: string): PricePath {
  if (name === "constant") return constantPath();
  if (name === "crash") return crashPath();
  throw new Error(`unknown price path "${name}" (constant, crash)`);
}

export type PriceFeed = {
  /** A name for logs and the path (`btc`, `eth`). */
  name: string;
  oracle: Address;
  /** The path's 1.0, 18 decimals. */
  base: bigint;
  /** Reported prices are rounded to this (18 decimals; default 0.01). */
  tick?: bigint;
};

export type PriceFeederOptions = {
  rpcUrl: string;
  chain: Chain;
  /** The oracles' reporter keys (the devnet's accounts #1–#3). */
  reporters: readonly PrivateKeyAccount[];
  feeds: readonly PriceFeed[];
  path?: PricePath;
  /** Between rounds (default 10 s; the markets call an index older than 120 s stale). */
  intervalMs?: number;
  /** Each reporter's own deviation from the path, at most ± this (default 2 bps); 0 for pinned prices. */
  reporterSpreadBps?: number;
  /** For index/mark/funding reads and publishing; optional. */
  lucent?: LucentClient;
  markets?: readonly Market[];
  publish?: (channel: string, data: unknown) => void;
  onError?: (error: unknown) => void;
  now?: () => number;
};

export class PriceFeeder implements Bot {
  readonly name = "price-feeder";
  private readonly o: PriceFeederOptions;
  private readonly wallets: ReturnType<typeof createWalletClient<Transport, Chain, PrivateKeyAccount>>[];
  private readonly reader: PublicClient<Transport, Chain>;
  private readonly pinned = new Map<string, bigint>();
  private readonly jitter = prng(7);
  private readonly now: () => number;
  private startedAt = 0;
  private round: Promise<void> | undefined;
  private readonly loop: PollingLoop;
  /** The last prices the path asked for, per feed. */
  readonly last = new Map<string, bigint>();

  constructor(options: PriceFeederOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
    const transport = http(options.rpcUrl);
    this.wallets = options.reporters.map((account) => createWalletClient({ account, chain: options.chain, transport }));
    this.reader = createPublicClient({ chain: options.chain, transport });
    const intervalMs = options.intervalMs ?? 10_000;
    this.loop = new PollingLoop({
      // reportRound records its own failure (external callers of reportNow meet it too).
      iterate: () => this.reportNow().catch(() => undefined),
      intervalMs,
      staleAfterMs: Math.max(3 * intervalMs, 30_000),
      now: this.now,
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
  }

  async init(): Promise<void> {
    this.startedAt = this.now();
  }

  async start(): Promise<void> {
    if (this.startedAt === 0) this.startedAt = this.now();
    this.loop.start(); // the first round now, so /health sees a heartbeat from the start
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.round?.catch(() => undefined);
  }

  healthCheck(): BotHealth {
    return this.loop.health();
  }

  /** Where index, mark and funding go after each round (e.g. a keeper node's `ctx.publish`). */
  publishTo(publish: (channel: string, data: unknown) => void): void {
    this.o.publish = publish;
  }

  /** Holds `feed` at exactly `price` (every reporter reports it) until {@link unpin}. */
  pin(feed: string, price: bigint): void {
    this.pinned.set(feed, price);
  }

  unpin(feed: string): void {
    this.pinned.delete(feed);
  }

  /** One round now (after the one in flight, if any): every reporter reports every feed. */
  reportNow(): Promise<void> {
    const previous = this.round ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.reportRound());
    this.round = next;
    return next;
  }

  private async reportRound(): Promise<void> {
    const { feeds, path = constantPath() } = this.o;
    const elapsed = this.now() - this.startedAt;
    const prices = feeds.map((feed) => {
      const pinned = this.pinned.get(feed.name);
      const price = pinned ?? roundTo(scale(feed.base, path(feed.name, elapsed)), feed.tick ?? WAD / 100n);
      this.last.set(feed.name, price);
      return { feed, price, pinned: pinned !== undefined };
    });
    try {
      await Promise.all(
        this.wallets.map(async (wallet) => {
          // Sequential per reporter (its nonces), the reporters in parallel.
          for (const { feed, price, pinned } of prices) {
            const spread = pinned ? 0 : (this.o.reporterSpreadBps ?? 2);
            const own = roundTo(scale(price, 1 + ((this.jitter() * 2 - 1) * spread) / 10_000), feed.tick ?? WAD / 100n);
            const hash = await wallet.writeContract({
              address: feed.oracle,
              abi: medianOracleAbi,
              functionName: "report",
              // Fixed: the reporters send in parallel, so an estimate made before another's report lands
              // (the median is recomputed on each report) can fall short.
              gas: 300_000n,
              args: [own > 0n ? own : price],
            });
            await this.waitFor(hash);
          }
        }),
      );
      await this.publishMarkets();
      this.loop.beat();
    } catch (error) {
      this.loop.fail(error);
      throw error;
    }
  }

  private async waitFor(hash: Hex): Promise<void> {
    const receipt = await this.reader.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 });
    if (receipt.status !== "success") throw new Error(`report ${hash} reverted`);
  }

  private async publishMarkets(): Promise<void> {
    const { lucent, markets, publish } = this.o;
    if (lucent === undefined || markets === undefined || publish === undefined) return;
    await Promise.all(
      markets.map(async (market) => {
        const s = await getMarketState(lucent, { marketId: market.id, market });
        publish(`index:${market.id}`, { marketId: market.id, price: s.indexPrice, fresh: s.indexFresh });
        publish(`mark:${market.id}`, { marketId: market.id, price: s.markPrice, premium: s.premium });
        publish(`funding:${market.id}`, {
          marketId: market.id,
          rate: s.fundingRate,
          cumulative: s.cumulativeFunding,
          openInterest: s.openInterest,
        });
      }),
    );
  }
}

function scale(price: bigint, factor: number): bigint {
  return (price * BigInt(Math.round(factor * 1e9))) / 1_000_000_000n;
}

function roundTo(price: bigint, tick: bigint): bigint {
  return ((price + tick / 2n) / tick) * tick;
}
