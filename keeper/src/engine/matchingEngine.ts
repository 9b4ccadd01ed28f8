import { OrderBook } from "./orderBook.js";
import { RejectReason, type EngineListener, type OrderBookConfig, type OrderInput } from "./types.js";

/** An order addressed to one market of a {@link MatchingEngine}. */
export type MarketOrderInput = OrderInput & { market: number };

/**
 * One {@link OrderBook} per market behind a single listener. Order ids need only be unique per market
 * (the EIP-712 hash covers the market, so a handle per hash is unique everywhere anyway).
 */
export class MatchingEngine {
  private readonly books = new Map<number, OrderBook>();
  private readonly listener: EngineListener | undefined;

  constructor(options: { listener?: EngineListener } = {}) {
    this.listener = options.listener;
  }

  /** Lists a market; its events go to the engine's listener unless `config.listener` says otherwise. */
  addMarket(config: OrderBookConfig): OrderBook {
    if (this.books.has(config.market)) throw new Error(`market ${config.market} is already listed`);
    const listener = config.listener ?? this.listener;
    const book = new OrderBook(listener === undefined ? config : { ...config, listener });
    this.books.set(config.market, book);
    return book;
  }

  /** The book of `market`, or undefined. */
  book(market: number): OrderBook | undefined {
    return this.books.get(market);
  }

  get markets(): number[] {
    return [...this.books.keys()].sort((a, b) => a - b);
  }

  /** Places `order` in its market's book; `UnknownMarket` (no event) if the market is not listed. */
  place(order: MarketOrderInput, now: number): RejectReason | typeof UnknownMarket {
    const book = this.books.get(order.market);
    return book === undefined ? UnknownMarket : book.place(order, now);
  }

  /** Cancels order `id` of `market`; false if it is not resting there. */
  cancel(market: number, id: number): boolean {
    return this.books.get(market)?.cancel(id) ?? false;
  }

  /** Replaces resting order `oldId` of `order.market` by `order` (see {@link OrderBook.replace}). */
  replace(oldId: number, order: MarketOrderInput, now: number): RejectReason | typeof UnknownMarket {
    const book = this.books.get(order.market);
    return book === undefined ? UnknownMarket : book.replace(oldId, order, now);
  }

  /** Cancels expired orders in every market; returns how many. */
  purgeExpired(now: number): number {
    let n = 0;
    for (const market of this.markets) n += this.books.get(market)!.purgeExpired(now);
    return n;
  }
}

/** `MatchingEngine.place`'s answer for an order whose market is not listed. */
export const UnknownMarket = -1;
export type UnknownMarket = typeof UnknownMarket;
