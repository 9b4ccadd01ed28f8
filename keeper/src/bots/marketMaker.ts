/**
 * A demo market maker for the devnet: a trader (not the keeper) that quotes every market through a
 * keeper's public API, like any client would — signed post-only orders on both sides around the index,
 * cancelled (signed `CancelOrder`) and re-quoted when the index moves or the quotes age. Bounded rate:
 * at most one refresh per market per `intervalMs`, at most `maxMessagesPerSecond` API calls.
 *
 * It implements the keeper's `Bot` interface so a process can start, stop and health-check it like the
 * node's loops, but it holds no keeper state: everything goes over HTTP.
 */
import { type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import {
  OrderFlags,
  getMarketState,
  signCancel,
  signOrder,
  type LucentClient,
  type LucentDomain,
  type Market,
  type Order,
} from "../../../sdk/src/index.js";
import { orderToWire } from "../api/schema.js";
import { PollingLoop, type Bot, type BotHealth } from "./bot.js";

const ZERO: Address = "0x0000000000000000000000000000000000000000";

export type QuoteShape = {
  /** Contracts per level. */
  size: bigint;
  /** Levels per side. */
  levels: number;
  /** Distance of the first level from the index, bps. */
  spreadBps: number;
  /** Between levels, bps. */
  stepBps: number;
};

export type MarketMakerOptions = {
  /** The keeper API, e.g. http://127.0.0.1:8787. */
  apiUrl: string;
  account: PrivateKeyAccount;
  domain: LucentDomain;
  lucent: LucentClient;
  markets: readonly Market[];
  /** Per market id; default {@link defaultQuoteShape}. */
  shape?: (market: Market) => QuoteShape;
  subaccount?: number;
  /** Loop period (default 2 s). */
  intervalMs?: number;
  /** Re-quote when the index moved this much since the last quote (default 10 bps)... */
  requoteBps?: number;
  /** ...or when the quotes are this old (default 60 s). */
  maxQuoteAgeMs?: number;
  /** Orders expire this long after they are signed (default 5 min). */
  orderTtlSeconds?: number;
  maxMessagesPerSecond?: number;
  onError?: (error: unknown) => void;
  now?: () => number;
};

/** About $500 a level on BTC-USD (5 × 0.001 BTC), $500 on XBTUSD, ~0.02 XBT on ETHUSD; 3 levels, 5 bps apart. */
export function defaultQuoteShape(market: Market): QuoteShape {
  const size = market.kind === 1 ? 500n : 5n;
  return { size: size < market.lotSize ? market.lotSize : size, levels: 3, spreadBps: 5, stepBps: 5 };
}

type Quotes = { index: bigint; at: number; hashes: Hex[] };

export class MarketMaker implements Bot {
  readonly name = "market-maker";
  private readonly o: MarketMakerOptions;
  private readonly now: () => number;
  private readonly quotes = new Map<number, Quotes>();
  private nonce: bigint;
  private readonly loop: PollingLoop;
  private sentThisSecond = 0;
  private second = 0;
  /** Orders accepted, rejected and cancels sent since start. */
  readonly stats = { accepted: 0, rejected: 0, cancelled: 0, refreshes: 0 };

  constructor(options: MarketMakerOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
    // Nonces are single-use per subaccount: start from the clock so a restarted maker never reuses one.
    this.nonce = BigInt(this.now()) * 1_000n;
    const intervalMs = options.intervalMs ?? 2_000;
    this.loop = new PollingLoop({
      iterate: () => this.refresh(),
      intervalMs,
      staleAfterMs: Math.max(5 * intervalMs, 30_000),
      now: this.now,
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
  }

  async init(): Promise<void> {}

  async start(): Promise<void> {
    this.loop.start();
  }

  /** Stops the loop and cancels the resting quotes (best effort). */
  async stop(): Promise<void> {
    if (this.loop.stopping) return;
    await this.loop.stop();
    for (const [market, q] of this.quotes) {
      await this.cancelAll(q.hashes).catch(() => undefined);
      this.quotes.delete(market);
    }
  }

  healthCheck(): BotHealth {
    return this.loop.health();
  }

  /** One pass: re-quote each market whose index moved or whose quotes aged. */
  async refresh(): Promise<void> {
    for (const market of this.o.markets) {
      // Stopping cuts a pass short, but not the first: a maker must have quoted once to be healthy.
      if (this.loop.stopping && this.loop.health().lastHeartbeatMs !== null) return;
      const state = await getMarketState(this.o.lucent, { marketId: market.id, market });
      if (state.indexPrice === 0n || !state.indexFresh) continue;
      const q = this.quotes.get(market.id);
      const moved =
        q === undefined ||
        abs(state.indexPrice - q.index) * 10_000n >= BigInt(this.o.requoteBps ?? 10) * q.index ||
        this.now() - q.at >= (this.o.maxQuoteAgeMs ?? 60_000);
      if (!moved) continue;
      if (q !== undefined) await this.cancelAll(q.hashes);
      this.quotes.set(market.id, await this.quote(market, state.indexPrice));
      this.stats.refreshes++;
    }
    this.loop.beat();
  }

  /** The prices it would quote around `index` (bids best first, asks best first). */
  levels(market: Market, index: bigint): { bids: bigint[]; asks: bigint[] } {
    const shape = (this.o.shape ?? defaultQuoteShape)(market);
    const tick = market.tickSize;
    const bids: bigint[] = [];
    const asks: bigint[] = [];
    for (let i = 0; i < shape.levels; i++) {
      const bps = BigInt(shape.spreadBps + i * shape.stepBps);
      const bid = ((index * (10_000n - bps)) / 10_000n / tick) * tick;
      const ask = ceilDiv((index * (10_000n + bps)) / 10_000n, tick) * tick;
      if (bid > 0n) bids.push(bid);
      asks.push(ask);
    }
    return { bids, asks };
  }

  private async quote(market: Market, index: bigint): Promise<Quotes> {
    const shape = (this.o.shape ?? defaultQuoteShape)(market);
    const { bids, asks } = this.levels(market, index);
    const expiry = Math.floor(this.now() / 1000) + (this.o.orderTtlSeconds ?? 300);
    const hashes: Hex[] = [];
    const orders: Order[] = [
      ...bids.map((price) => this.order(market, true, shape.size, price, expiry)),
      ...asks.map((price) => this.order(market, false, shape.size, price, expiry)),
    ];
    for (const order of orders) {
      const { signature, hash } = await signOrder({ signer: this.o.account, domain: this.o.domain, order });
      const answer = (await this.call("/orders", { order: orderToWire(order), signature })) as {
        ok: boolean;
        hash?: Hex;
      };
      if (answer.ok) {
        this.stats.accepted++;
        hashes.push(answer.hash ?? hash);
      } else {
        this.stats.rejected++; // e.g. post-only would cross another trader's order: skip that level
      }
    }
    return { index, at: this.now(), hashes };
  }

  private order(market: Market, isBuy: boolean, size: bigint, limitPrice: bigint, expiry: number): Order {
    return {
      trader: this.o.account.address,
      subaccount: this.o.subaccount ?? 0,
      market: market.id,
      isBuy,
      size,
      limitPrice,
      flags: OrderFlags.POST_ONLY,
      nonce: this.nonce++,
      expiry,
      keeper: ZERO,
    };
  }

  private async cancelAll(hashes: readonly Hex[]): Promise<void> {
    for (const orderHash of hashes) {
      const signature = await signCancel({ signer: this.o.account, domain: this.o.domain, orderHash });
      // A filled or already-gone quote answers an error: nothing to do.
      const answer = (await this.call("/cancels", { orderHash, signature })) as { ok: boolean };
      if (answer.ok) this.stats.cancelled++;
    }
  }

  /** POSTs `body`, waiting first if this second's message budget is spent. */
  private async call(route: string, body: unknown): Promise<unknown> {
    const budget = this.o.maxMessagesPerSecond ?? 50;
    for (let i = 0; i < 100; i++) {
      const second = Math.floor(this.now() / 1000);
      if (second !== this.second) {
        this.second = second;
        this.sentThisSecond = 0;
      }
      if (this.sentThisSecond < budget) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.sentThisSecond++;
    const response = await fetch(`${this.o.apiUrl}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return response.json();
  }
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
