import type { Address, Hex } from "viem";
import type { Order } from "../../../sdk/src/index.js";
import type { AcceptedOrder, BookDepth, MarketParamsProvider, OrderSink } from "../api/interfaces.js";
import {
  CancelReason,
  MatchingEngine,
  NoopListener,
  RejectReason,
  Side,
  lotsToSize,
  priceToTicks,
  sizeToLots,
  ticksToPrice,
} from "../engine/index.js";
import type { Journal, OrderStatus } from "../store/journal.js";

/** A signed order as batches carry it. */
export type SignedOrderRef = { hash: Hex; order: Order; signature: Hex };

/** A fill the engine matched, in on-chain units: `size` contracts at the maker's limit `price`. */
export type MatchedFill = {
  market: number;
  maker: SignedOrderRef;
  taker: SignedOrderRef;
  size: bigint;
  price: bigint;
};

type Entry = SignedOrderRef & { id: number; market: number; tickSize: bigint; lotSize: bigint };

export type OrderMatcherOptions = {
  markets: MarketParamsProvider;
  /** Orders the engine refuses or drops are closed here, so a restart does not replay them. */
  journal?: Journal;
  /** Each fill, synchronously, in match order (the batch poster's queue). */
  onFill: (fill: MatchedFill) => void;
  /** Highest price in ticks per market (the engine's `maxPriceTicks`); default the engine's 2^20. */
  maxPriceTicks?: (market: number) => number | undefined;
  /** Unix seconds (tests pin it). */
  nowSeconds?: () => number;
  /** Told about orders that left the book without a fill (engine refusal, expiry, self-trade...). */
  onDropped?: (hash: Hex, status: Exclude<OrderStatus, "open">, reason: string) => void;
  /**
   * The on-chain position (contracts, long > 0) of the order's subaccount in its market. With it, the
   * engine's reduce-only reckoning starts from the chain instead of from zero (see `prepare`).
   */
  positionOf?: (order: Order) => Promise<bigint>;
  /** A `positionOf` read failed (the account is read again on its next order). */
  onPositionError?: (order: Order, error: unknown) => void;
};

/**
 * Adapts signed orders to the pure matching engine (the intake's {@link OrderSink}): maps hashes and
 * traders to the engine's numeric handles, converts prices and sizes to ticks and lots with each
 * market's tick and lot size, and turns the engine's fill events back into signed maker/taker pairs.
 * The engine's refusals and drops (expired, self-trade, IOC remainder) close the order in the journal.
 */
export class OrderMatcher extends NoopListener implements OrderSink {
  readonly engine: MatchingEngine;
  private readonly _o: OrderMatcherOptions;
  private readonly _entries = new Map<number, Entry>();
  private readonly _ids = new Map<Hex, number>();
  private readonly _traders = new Map<string, number>();
  private readonly _now: () => number;
  private _nextId = 0;
  /** Accounts (trader, subaccount, market) whose on-chain position is in the engine, or being read. */
  private readonly _seeded = new Map<string, Promise<void>>();
  /** Entries to forget once the engine call that produced their last event returns. */
  private _dead: number[] = [];

  constructor(options: OrderMatcherOptions) {
    super();
    this._o = options;
    this._now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    this.engine = new MatchingEngine({ listener: this });
  }

  /** The best `levels` of a market's book in quote units and contracts (the API's `GET /book/:market`). */
  depth(market: number, levels: number): BookDepth | undefined {
    const book = this.engine.book(market);
    const params = this._o.markets.get(market);
    if (book === undefined || params === undefined) return undefined;
    const { bids, asks } = book.snapshot(levels);
    const rows = (side: typeof bids): [number, number][] =>
      side.map((l) => [Number(ticksToPrice(l.price, params.tickSize)) / 1e18, Number(BigInt(l.size) * params.lotSize)]);
    return { bids: rows(bids), asks: rows(asks) };
  }

  /** Live (resting) orders. */
  get size(): number {
    return this._entries.size;
  }

  /** The signed order behind a live order's hash (liquidation fills use the resting book). */
  signedOrder(hash: Hex): SignedOrderRef | undefined {
    const id = this._ids.get(hash.toLowerCase() as Hex);
    const e = id === undefined ? undefined : this._entries.get(id);
    return e === undefined ? undefined : { hash: e.hash, order: e.order, signature: e.signature };
  }

  /** The unfilled contracts of a resting order, or 0. */
  remaining(hash: Hex): bigint {
    const id = this._ids.get(hash.toLowerCase() as Hex);
    const e = id === undefined ? undefined : this._entries.get(id);
    const resting = e === undefined ? undefined : this.engine.book(e.market)?.order(e.id);
    return resting === undefined || e === undefined ? 0n : lotsToSize(resting.remaining, e.lotSize);
  }

  /**
   * The signed order behind a resting engine order id (the liquidator's book adapter: the engine lists
   * resting orders by id, the contract needs the signed order), with its market.
   */
  restingOrder(id: number): (SignedOrderRef & { market: number }) | undefined {
    const e = this._entries.get(id);
    if (e === undefined || this.engine.book(e.market)?.has(id) !== true) return undefined;
    return { hash: e.hash, order: e.order, signature: e.signature, market: e.market };
  }

  /**
   * `size` contracts of resting order `id` were filled outside a batch (a liquidation used it as the
   * book side): the order keeps its queue position with the rest, or leaves the book and is closed as
   * `filled` in the journal once nothing is left. (A partial use is not written to the journal's
   * `filled`; a restart reads the order's filled amount from the chain.)
   */
  consumeResting(id: number, size: bigint): void {
    const e = this._entries.get(id);
    const resting = e === undefined ? undefined : this.engine.book(e.market)?.order(id);
    if (e === undefined || resting === undefined || size <= 0n) return;
    const lots = sizeToLots(size, e.lotSize);
    if (lots >= resting.remaining) {
      this._remove(e.hash);
      this._o.journal?.closeOrder(e.hash, "filled");
      return;
    }
    try {
      // Same id, price and a smaller size: amended in place (its `Replaced` cancel is not a removal).
      this.engine.replace(id, { ...resting, market: e.market, size: resting.remaining - lots }, this._now());
    } finally {
      this._dead = this._dead.filter((d) => d !== id || !this.engine.book(e.market)!.has(id));
      this._sweep();
    }
  }

  /**
   * Before an account's first order in a market, adds its on-chain position to the engine's own
   * reckoning, which otherwise counts only this node's fills since it started: a reduce-only order
   * that closes a position opened earlier (or through another keeper) is then clamped to it instead of
   * refused. Once per account and market, shared by concurrent first orders; a failed read leaves the
   * account unseeded, to be read again on its next order. The chain still has the last word: a fill
   * that would break reduce-only there is skipped and its order dropped.
   */
  prepare(order: Order): Promise<void> {
    const read = this._o.positionOf;
    if (read === undefined) return Promise.resolve();
    const key = `${order.trader.toLowerCase()}:${order.subaccount}:${order.market}`;
    let seeding = this._seeded.get(key);
    if (seeding === undefined) {
      seeding = read(order).then(
        (size) => this._addPosition(order, size),
        (error: unknown) => {
          this._seeded.delete(key);
          this._o.onPositionError?.(order, error);
        },
      );
      this._seeded.set(key, seeding);
    }
    return seeding;
  }

  submit(accepted: AcceptedOrder): void {
    this._place(accepted, accepted.order.size - accepted.filled);
  }

  cancel(orderHash: Hex, _trader: Address): void {
    this._remove(orderHash);
  }

  /** Takes an order out of the book and closes it in the journal (a skipped fill's order at fault). */
  drop(hash: Hex, status: Exclude<OrderStatus, "open">, reason: string): void {
    this._remove(hash);
    if (this._o.journal?.closeOrder(hash, status)) this._o.onDropped?.(hash, status, reason);
  }

  /**
   * Gives `size` contracts back to an order whose fill the chain skipped through no fault of its own.
   * A resting order is re-placed with the larger remainder (it loses its time priority); one no longer
   * in the book is placed again with `size`, if the journal still holds it open.
   */
  restore(hash: Hex, size: bigint): void {
    const key = hash.toLowerCase() as Hex;
    const id = this._ids.get(key);
    const e = id === undefined ? undefined : this._entries.get(id);
    if (e !== undefined) {
      const resting = this.engine.book(e.market)?.order(e.id);
      const remaining = resting === undefined ? 0n : lotsToSize(resting.remaining, e.lotSize);
      this._remove(key);
      this._place(e, remaining + size);
      return;
    }
    const journaled = this._o.journal?.getOrder(key);
    if (journaled === undefined || journaled.status !== "open") return;
    this._place(journaled, size);
  }

  // ------------------------------------------------------------------------------ engine events

  override onFill(
    market: number,
    makerId: number,
    takerId: number,
    price: number,
    size: number,
    _takerSide: Side,
    makerRemaining: number,
    takerRemaining: number,
  ): void {
    const maker = this._entries.get(makerId);
    const taker = this._entries.get(takerId);
    if (maker === undefined || taker === undefined) return; // cannot happen: every placed id has an entry
    if (makerRemaining === 0) this._dead.push(makerId);
    if (takerRemaining === 0) this._dead.push(takerId);
    this._o.onFill({
      market,
      maker: { hash: maker.hash, order: maker.order, signature: maker.signature },
      taker: { hash: taker.hash, order: taker.order, signature: taker.signature },
      size: lotsToSize(size, maker.lotSize),
      price: ticksToPrice(price, maker.tickSize),
    });
  }

  override onCancelled(_market: number, id: number, _remaining: number, reason: CancelReason): void {
    this._dead.push(id);
    if (reason === CancelReason.Cancelled || reason === CancelReason.Replaced) return; // our own call
    const e = this._entries.get(id);
    if (e === undefined) return;
    const status = reason === CancelReason.Expired ? "expired" : "cancelled";
    if (this._o.journal?.closeOrder(e.hash, status) ?? true)
      this._o.onDropped?.(e.hash, status, cancelReasonName(reason));
  }

  override onRejected(_market: number, id: number, reason: RejectReason): void {
    this._dead.push(id);
    const e = this._entries.get(id);
    if (e === undefined) return;
    const status = reason === RejectReason.Expired ? "expired" : "cancelled";
    if (this._o.journal?.closeOrder(e.hash, status) ?? true)
      this._o.onDropped?.(e.hash, status, `rejected: ${rejectReasonName(reason)}`);
  }

  // ------------------------------------------------------------------------------ internals

  /** Adds `size` contracts (whole lots of them, towards zero) to the engine's position of the order's account. */
  private _addPosition(order: Order, size: bigint): void {
    const params = this._o.markets.get(order.market);
    if (params === undefined || size === 0n) return;
    const lots = Number(size / params.lotSize);
    const book = this._book(order.market);
    const trader = this._trader(order.trader);
    const next = book.position(trader, order.subaccount) + lots;
    if (Number.isSafeInteger(next)) book.setPosition(trader, order.subaccount, next);
  }

  private _book(market: number) {
    const book = this.engine.book(market);
    if (book !== undefined) return book;
    const maxPriceTicks = this._o.maxPriceTicks?.(market);
    return this.engine.addMarket({ market, ...(maxPriceTicks === undefined ? {} : { maxPriceTicks }) });
  }

  private _place(o: SignedOrderRef, remaining: bigint): void {
    const hash = o.hash.toLowerCase() as Hex;
    if (remaining <= 0n || this._ids.has(hash)) return;
    const params = this._o.markets.get(o.order.market);
    if (params === undefined) {
      if (this._o.journal?.closeOrder(hash, "cancelled")) this._o.onDropped?.(hash, "cancelled", "unknown market");
      return;
    }
    this._book(o.order.market);
    const id = this._nextId++;
    const entry: Entry = {
      hash,
      order: o.order,
      signature: o.signature,
      id,
      market: o.order.market,
      tickSize: params.tickSize,
      lotSize: params.lotSize,
    };
    this._entries.set(id, entry);
    this._ids.set(hash, id);
    try {
      this.engine.place(
        {
          market: o.order.market,
          id,
          trader: this._trader(o.order.trader),
          subaccount: o.order.subaccount,
          side: o.order.isBuy ? Side.Buy : Side.Sell,
          price: priceToTicks(o.order.limitPrice, params.tickSize),
          size: sizeToLots(remaining, params.lotSize),
          flags: o.order.flags,
          expiry: o.order.expiry,
        },
        this._now(),
      );
    } finally {
      this._sweep();
    }
  }

  private _remove(hash: Hex): void {
    const key = hash.toLowerCase() as Hex;
    const id = this._ids.get(key);
    const e = id === undefined ? undefined : this._entries.get(id);
    if (e === undefined) return;
    this.engine.cancel(e.market, e.id);
    this._dead.push(e.id);
    this._sweep();
  }

  private _sweep(): void {
    for (const id of this._dead) {
      const e = this._entries.get(id);
      if (e === undefined) continue;
      this._entries.delete(id);
      if (this._ids.get(e.hash) === id) this._ids.delete(e.hash);
    }
    this._dead = [];
  }

  private _trader(address: Address): number {
    const key = address.toLowerCase();
    let n = this._traders.get(key);
    if (n === undefined) {
      n = this._traders.size;
      this._traders.set(key, n);
    }
    return n;
  }
}

function cancelReasonName(reason: CancelReason): string {
  return Object.entries(CancelReason).find(([, v]) => v === reason)?.[0] ?? String(reason);
}

function rejectReasonName(reason: RejectReason): string {
  return Object.entries(RejectReason).find(([, v]) => v === reason)?.[0] ?? String(reason);
}
