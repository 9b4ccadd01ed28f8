import { TickBitmap } from "./tickBitmap.js";
import {
  CancelReason,
  NoopListener,
  OrderFlags,
  RejectReason,
  Side,
  type BookDepth,
  type BookSnapshot,
  type EngineListener,
  type Level,
  type OrderBookConfig,
  type OrderInput,
  type PositionLookup,
  type RestingOrder,
} from "./types.js";

const NIL = -1;
/** account key = trader × 256 + subaccount: one number compares "same trader and subaccount". */
const ACCOUNT_RADIX = 256;
const MAX_TRADER = 2 ** 44;
const DEFAULT_MAX_PRICE_TICKS = 2 ** 20;

/**
 * The central limit order book of one market: price-time priority, pure and deterministic (no I/O, no
 * clock, no randomness; `now` is an argument). Plain numbers in, events out through an
 * {@link EngineListener}.
 *
 * Layout, chosen for the hot path (no allocation per order once the pool is warm):
 * - price levels are indexed by tick in typed arrays (head, tail, total size, order count). One set
 *   serves both sides: the book is never crossed, so a tick holds bids or asks, never both;
 * - each level is an intrusive doubly linked FIFO of order slots; slots are struct-of-arrays in typed
 *   arrays, recycled through a free list, and the pool doubles when full;
 * - id → slot is one `Map<number, number>`;
 * - best bid/ask are cached ticks; when a best level empties, a per-side {@link TickBitmap} finds the
 *   next non-empty level in a few word operations however far away it is.
 *
 * Semantics (mirroring SPEC §5 and the clearinghouse's checks):
 * - a fill's price is the resting (maker) order's limit;
 * - post-only: rejected (`PostOnlyWouldCross`) if its price reaches the opposite best on arrival — even
 *   if the orders there would be skipped as expired or self-trades; never repriced;
 * - IOC never rests: its remainder is cancelled (`IocRemainder`); POST_ONLY | IOC is `InvalidFlags`;
 * - self-trade prevention, same trader AND subaccount: **cancel resting**. The resting order is
 *   cancelled (`SelfTrade`) and the taker keeps matching behind it. The newer order is the trader's
 *   current intent, and the clearinghouse would skip such a fill anyway (`SkipReason.SelfTrade`);
 * - reduce-only: **clamp**. On arrival the size is clamped to the position it can reduce (rejected with
 *   `ReduceOnlyWouldIncrease` if there is none); when a resting reduce-only order is reached, each fill
 *   is clamped again to the maker's then-current position, and the order is cancelled (`ReduceOnly`) if
 *   that is zero. A fill therefore never grows or flips a position by the engine's own reckoning;
 * - expiry: `expiry < now` is dead (as on-chain). An expired taker is rejected; an expired resting order
 *   is cancelled (`Expired`) when a taker reaches it, or by `purgeExpired(now)`;
 * - replace: atomic — the new order (same trader, subaccount and side; the id may change) is validated
 *   first and nothing changes if it is rejected. Same price, not IOC, and no larger than the old
 *   remainder: amended in place, keeping its queue position. Otherwise the old order is cancelled
 *   (`Replaced`) and the new one placed like any other, at the back of its level.
 */
export class OrderBook {
  readonly market: number;
  readonly maxPriceTicks: number;
  readonly minSizeLots: number;
  readonly maxSizeLots: number;

  private readonly listener: EngineListener;
  private readonly positionOf: PositionLookup | undefined;
  private readonly netPositions = new Map<number, number>();

  private readonly levelHead: Int32Array;
  private readonly levelTail: Int32Array;
  private readonly levelSize: Float64Array;
  private readonly levelOrders: Int32Array;
  private readonly bidTicks: TickBitmap;
  private readonly askTicks: TickBitmap;
  /** 0 when there are no bids. */
  private bestBidTick = 0;
  /** maxPriceTicks + 1 when there are no asks. */
  private bestAskTick: number;
  private readonly noAsk: number;

  private capacity: number;
  private used = 0;
  private freeSlot = NIL;
  private slotId: Float64Array;
  private slotAccount: Float64Array;
  private slotRemaining: Float64Array;
  private slotExpiry: Float64Array;
  private slotPrice: Int32Array;
  private slotPrev: Int32Array;
  private slotNext: Int32Array;
  private slotSide: Uint8Array;
  private slotFlags: Uint8Array;
  private readonly slotOf = new Map<number, number>();

  /** `validate`'s second result (the size after the reduce-only clamp), kept here to allocate nothing. */
  private validSize = 0;

  constructor(config: OrderBookConfig) {
    const maxPrice = config.maxPriceTicks ?? DEFAULT_MAX_PRICE_TICKS;
    if (!Number.isInteger(maxPrice) || maxPrice < 1 || maxPrice > 2 ** 30 - 2) {
      throw new RangeError(`maxPriceTicks must be an integer in [1, 2^30 - 2], got ${maxPrice}`);
    }
    const minSize = config.minSizeLots ?? 1;
    const maxSize = config.maxSizeLots ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(minSize) || minSize < 1) throw new RangeError(`minSizeLots must be ≥ 1, got ${minSize}`);
    if (!Number.isSafeInteger(maxSize) || maxSize < minSize) {
      throw new RangeError(`maxSizeLots must be a safe integer ≥ minSizeLots, got ${maxSize}`);
    }
    this.market = config.market;
    this.maxPriceTicks = maxPrice;
    this.minSizeLots = minSize;
    this.maxSizeLots = maxSize;
    this.listener = config.listener ?? new NoopListener();
    this.positionOf = config.positionOf;

    const ticks = maxPrice + 2;
    this.levelHead = new Int32Array(ticks).fill(NIL);
    this.levelTail = new Int32Array(ticks).fill(NIL);
    this.levelSize = new Float64Array(ticks);
    this.levelOrders = new Int32Array(ticks);
    this.bidTicks = new TickBitmap(ticks);
    this.askTicks = new TickBitmap(ticks);
    this.noAsk = maxPrice + 1;
    this.bestAskTick = this.noAsk;

    const cap = Math.max(16, config.initialCapacity ?? 1024);
    this.capacity = cap;
    this.slotId = new Float64Array(cap);
    this.slotAccount = new Float64Array(cap);
    this.slotRemaining = new Float64Array(cap);
    this.slotExpiry = new Float64Array(cap);
    this.slotPrice = new Int32Array(cap);
    this.slotPrev = new Int32Array(cap);
    this.slotNext = new Int32Array(cap);
    this.slotSide = new Uint8Array(cap);
    this.slotFlags = new Uint8Array(cap);
  }

  // ---------------------------------------------------------------- commands

  /** Places an order; see the class comment for the semantics. Returns `RejectReason.None` if accepted. */
  place(order: OrderInput, now: number): RejectReason {
    return this.placeOrder(
      order.id,
      order.trader,
      order.subaccount,
      order.side,
      order.price,
      order.size,
      order.flags,
      order.expiry,
      now,
    );
  }

  /** `place` with the order's fields as arguments (allocates nothing). */
  placeOrder(
    id: number,
    trader: number,
    subaccount: number,
    side: Side,
    price: number,
    size: number,
    flags: number,
    expiry: number,
    now: number,
  ): RejectReason {
    const reason = this.validate(id, trader, subaccount, side, price, size, flags, expiry, now, NIL);
    if (reason !== RejectReason.None) {
      this.listener.onRejected(this.market, id, reason);
      return reason;
    }
    this.execute(id, trader * ACCOUNT_RADIX + subaccount, side, price, this.validSize, flags, expiry, now);
    return RejectReason.None;
  }

  /** Cancels a resting order. Returns false (and emits nothing) if `id` is not resting. */
  cancel(id: number): boolean {
    const s = this.slotOf.get(id);
    if (s === undefined) return false;
    this.removeResting(s, CancelReason.Cancelled);
    return true;
  }

  /**
   * Replaces resting order `oldId` by `order` (same trader and subaccount; the id may change). Atomic:
   * if `order` is rejected, `oldId` stays as it was. See the class comment for when priority is kept.
   */
  replace(oldId: number, order: OrderInput, now: number): RejectReason {
    const { id, trader, subaccount, side, price, flags, expiry } = order;
    const old = this.slotOf.get(oldId);
    let reason: RejectReason = RejectReason.None;
    if (old === undefined) reason = RejectReason.UnknownOrder;
    else {
      reason = this.validate(id, trader, subaccount, side, price, order.size, flags, expiry, now, old);
      if (reason === RejectReason.None && this.slotAccount[old] !== trader * ACCOUNT_RADIX + subaccount) {
        reason = RejectReason.AccountMismatch;
      } else if (reason === RejectReason.None && this.slotSide[old] !== side) {
        reason = RejectReason.SideMismatch;
      }
    }
    if (reason !== RejectReason.None || old === undefined) {
      this.listener.onRejected(this.market, id, reason);
      return reason;
    }
    const size = this.validSize;
    const oldRemaining = this.slotRemaining[old]!;
    if (this.slotPrice[old] === price && size <= oldRemaining && (flags & OrderFlags.IOC) === 0) {
      // Amend in place: same queue position, smaller or equal size.
      const L = this.listener;
      const market = this.market;
      L.onCancelled(market, oldId, oldRemaining, CancelReason.Replaced);
      L.onAccepted(market, id, side, price, size);
      this.slotOf.delete(oldId);
      this.slotOf.set(id, old);
      this.slotId[old] = id;
      this.slotRemaining[old] = size;
      this.slotFlags[old] = flags;
      this.slotExpiry[old] = expiry;
      this.levelSize[price] = this.levelSize[price]! - oldRemaining + size;
      L.onRested(market, id, side, price, size);
      L.onLevel(market, side, price, this.levelSize[price]!);
      return RejectReason.None;
    }
    this.removeResting(old, CancelReason.Replaced);
    this.execute(id, trader * ACCOUNT_RADIX + subaccount, side, price, size, flags, expiry, now);
    return RejectReason.None;
  }

  /** Cancels (`Expired`) every resting order with `expiry < now`. Returns how many. O(resting orders). */
  purgeExpired(now: number): number {
    const dead: number[] = [];
    for (const s of this.slotOf.values()) if (this.slotExpiry[s]! < now) dead.push(s);
    // Cancel in id order so the event sequence does not depend on the map's insertion history.
    dead.sort((a, b) => this.slotId[a]! - this.slotId[b]!);
    for (const s of dead) this.removeResting(s, CancelReason.Expired);
    return dead.length;
  }

  // ---------------------------------------------------------------- positions

  /** The trader's net position (lots, long > 0) as used by reduce-only checks. */
  position(trader: number, subaccount: number): number {
    if (this.positionOf !== undefined) return this.positionOf(trader, subaccount);
    return this.netPositions.get(trader * ACCOUNT_RADIX + subaccount) ?? 0;
  }

  /** Seeds or corrects the engine's own position map (e.g. from chain events). */
  setPosition(trader: number, subaccount: number, size: number): void {
    if (this.positionOf !== undefined) throw new Error("setPosition: this book reads positions from positionOf");
    if (!Number.isSafeInteger(size)) throw new RangeError(`position must be a safe integer, got ${size}`);
    this.netPositions.set(trader * ACCOUNT_RADIX + subaccount, size);
  }

  // ---------------------------------------------------------------- queries

  /** Best bid in ticks, or undefined. */
  get bestBid(): number | undefined {
    return this.bestBidTick === 0 ? undefined : this.bestBidTick;
  }

  /** Best ask in ticks, or undefined. */
  get bestAsk(): number | undefined {
    return this.bestAskTick === this.noAsk ? undefined : this.bestAskTick;
  }

  /** Number of resting orders. */
  get orderCount(): number {
    return this.slotOf.size;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  /** A resting order, or undefined. */
  order(id: number): RestingOrder | undefined {
    const s = this.slotOf.get(id);
    return s === undefined ? undefined : this.restingOrder(s);
  }

  /** The resting orders of one side in priority order (best price first, then oldest first). */
  orders(side: Side): RestingOrder[] {
    const out: RestingOrder[] = [];
    for (let p = this.firstLevel(side); p > 0; p = this.nextLevel(side, p)) {
      for (let s = this.levelHead[p]!; s !== NIL; s = this.slotNext[s]!) out.push(this.restingOrder(s));
    }
    return out;
  }

  /** The best `depth` levels of each side. */
  snapshot(depth: number): BookSnapshot {
    return { bids: this.levels(Side.Buy, depth), asks: this.levels(Side.Sell, depth) };
  }

  /**
   * Resting size and notional on `side` within `ticksFromBest` of that side's best price (inclusive):
   * bids in [bestBid − n, bestBid], asks in [bestAsk, bestAsk + n].
   */
  depth(side: Side, ticksFromBest: number): BookDepth {
    const best = this.firstLevel(side);
    if (best <= 0) return { lots: 0, tickLots: 0 };
    return this.depthTo(side, side === Side.Buy ? best - ticksFromBest : best + ticksFromBest);
  }

  /**
   * Resting size and notional on `side` at prices at least as good for a taker as `limitTick`: bids
   * ≥ limitTick, asks ≤ limitTick. For SPEC §9's D(Δ): `depthTo(Buy, mark·(1 − Δ))` absorbs longs
   * being liquidated.
   */
  depthTo(side: Side, limitTick: number): BookDepth {
    let lots = 0;
    let tickLots = 0;
    for (let p = this.firstLevel(side); p > 0; p = this.nextLevel(side, p)) {
      if (side === Side.Buy ? p < limitTick : p > limitTick) break;
      const size = this.levelSize[p]!;
      lots += size;
      tickLots += size * p;
    }
    return { lots, tickLots };
  }

  // ---------------------------------------------------------------- internals

  private validate(
    id: number,
    trader: number,
    subaccount: number,
    side: Side,
    price: number,
    size: number,
    flags: number,
    expiry: number,
    now: number,
    replacing: number,
  ): RejectReason {
    if (!(id >= 0 && id <= Number.MAX_SAFE_INTEGER && Math.floor(id) === id)) return RejectReason.InvalidId;
    if (replacing === NIL || this.slotId[replacing] !== id) {
      if (this.slotOf.has(id)) return RejectReason.DuplicateId;
    }
    if (
      !(trader >= 0 && trader < MAX_TRADER && Math.floor(trader) === trader) ||
      !(subaccount >= 0 && subaccount < ACCOUNT_RADIX && (subaccount | 0) === subaccount)
    ) {
      return RejectReason.InvalidAccount;
    }
    if (side !== Side.Buy && side !== Side.Sell) return RejectReason.InvalidSide;
    if (!((flags | 0) === flags && flags >= 0 && flags <= OrderFlags.ALL)) return RejectReason.InvalidFlags;
    if ((flags & (OrderFlags.POST_ONLY | OrderFlags.IOC)) === (OrderFlags.POST_ONLY | OrderFlags.IOC)) {
      return RejectReason.InvalidFlags;
    }
    if (!((price | 0) === price && price >= 1 && price <= this.maxPriceTicks)) return RejectReason.InvalidPrice;
    if (!(size >= 1 && size <= this.maxSizeLots && Math.floor(size) === size)) return RejectReason.InvalidSize;
    if (size < this.minSizeLots) return RejectReason.BelowMinSize;
    if (!(expiry >= now)) return RejectReason.Expired;
    if ((flags & OrderFlags.REDUCE_ONLY) !== 0) {
      const allowance = this.reducible(trader * ACCOUNT_RADIX + subaccount, side);
      if (allowance <= 0) return RejectReason.ReduceOnlyWouldIncrease;
      if (size > allowance) size = allowance;
    }
    if ((flags & OrderFlags.POST_ONLY) !== 0) {
      if (side === Side.Buy ? price >= this.bestAskTick : price <= this.bestBidTick) {
        return RejectReason.PostOnlyWouldCross;
      }
    }
    this.validSize = size;
    return RejectReason.None;
  }

  /** How much an order of `account` on `side` may fill without growing its position: 0 or more. */
  private reducible(account: number, side: Side): number {
    let pos: number;
    if (this.positionOf !== undefined) {
      const sub = account % ACCOUNT_RADIX;
      pos = this.positionOf((account - sub) / ACCOUNT_RADIX, sub);
    } else {
      pos = this.netPositions.get(account) ?? 0;
    }
    return side === Side.Buy ? (pos < 0 ? -pos : 0) : pos > 0 ? pos : 0;
  }

  private addPosition(account: number, delta: number): void {
    const m = this.netPositions;
    m.set(account, (m.get(account) ?? 0) + delta);
  }

  /** Runs a validated order: match what crosses, then rest or cancel the remainder. */
  private execute(
    id: number,
    account: number,
    side: Side,
    price: number,
    size: number,
    flags: number,
    expiry: number,
    now: number,
  ): void {
    this.listener.onAccepted(this.market, id, side, price, size);
    let remaining = size;
    if (side === Side.Buy) {
      if (price >= this.bestAskTick) remaining = this.matchBuy(id, account, price, size, now);
    } else if (price <= this.bestBidTick) {
      remaining = this.matchSell(id, account, price, size, now);
    }
    if (remaining === 0) return;
    if ((flags & OrderFlags.IOC) !== 0) {
      this.listener.onCancelled(this.market, id, remaining, CancelReason.IocRemainder);
      return;
    }
    this.rest(id, account, side, price, remaining, flags, expiry);
  }

  /** A buy taking asks up to `limit`. Returns the unfilled size. */
  private matchBuy(takerId: number, taker: number, limit: number, size: number, now: number): number {
    const L = this.listener;
    const market = this.market;
    const head = this.levelHead;
    const levelSize = this.levelSize;
    const levelOrders = this.levelOrders;
    const asks = this.askTicks;
    const slotAccount = this.slotAccount;
    const slotRemaining = this.slotRemaining;
    const slotExpiry = this.slotExpiry;
    const slotNext = this.slotNext;
    const slotFlags = this.slotFlags;
    const slotId = this.slotId;
    const track = this.positionOf === undefined;

    let remaining = size;
    let p = this.bestAskTick;
    let best = -1; // the lowest level swept but not emptied
    while (remaining > 0 && p <= limit) {
      let lots = levelSize[p]!;
      let count = levelOrders[p]!;
      let s = head[p]!;
      while (s !== NIL && remaining > 0) {
        const next = slotNext[s]!;
        const maker = slotAccount[s]!;
        const makerRemaining = slotRemaining[s]!;
        let reason = -1;
        if (slotExpiry[s]! < now) reason = CancelReason.Expired;
        else if (maker === taker) reason = CancelReason.SelfTrade;
        else {
          let q = makerRemaining < remaining ? makerRemaining : remaining;
          if ((slotFlags[s]! & OrderFlags.REDUCE_ONLY) !== 0) {
            const allowance = this.reducible(maker, Side.Sell);
            if (allowance < q) q = allowance;
          }
          if (q > 0) {
            const left = makerRemaining - q;
            remaining -= q;
            lots -= q;
            if (track) {
              this.addPosition(taker, q);
              this.addPosition(maker, -q);
            }
            L.onFill(market, slotId[s]!, takerId, p, q, Side.Buy, left, remaining);
            if (left === 0) {
              count--;
              this.unlink(s, p);
              this.freeSlotOf(s);
            } else {
              slotRemaining[s] = left;
            }
            s = next;
            continue;
          }
          reason = CancelReason.ReduceOnly;
        }
        lots -= makerRemaining;
        count--;
        this.unlink(s, p);
        this.freeSlotOf(s);
        L.onCancelled(market, slotId[s]!, makerRemaining, reason as CancelReason);
        s = next;
      }
      levelSize[p] = lots;
      levelOrders[p] = count;
      L.onLevel(market, Side.Sell, p, lots);
      if (count === 0) asks.delete(p);
      else if (best < 0) {
        best = p;
        if (remaining === 0) break;
      }
      const n = asks.next(p + 1);
      p = n < 0 ? this.noAsk : n;
    }
    this.bestAskTick = best >= 0 ? best : p;
    return remaining;
  }

  /** A sell taking bids down to `limit`. Returns the unfilled size. Mirror image of `matchBuy`. */
  private matchSell(takerId: number, taker: number, limit: number, size: number, now: number): number {
    const L = this.listener;
    const market = this.market;
    const head = this.levelHead;
    const levelSize = this.levelSize;
    const levelOrders = this.levelOrders;
    const bids = this.bidTicks;
    const slotAccount = this.slotAccount;
    const slotRemaining = this.slotRemaining;
    const slotExpiry = this.slotExpiry;
    const slotNext = this.slotNext;
    const slotFlags = this.slotFlags;
    const slotId = this.slotId;
    const track = this.positionOf === undefined;

    let remaining = size;
    let p = this.bestBidTick;
    let best = -1; // the highest level swept but not emptied
    while (remaining > 0 && p >= limit) {
      let lots = levelSize[p]!;
      let count = levelOrders[p]!;
      let s = head[p]!;
      while (s !== NIL && remaining > 0) {
        const next = slotNext[s]!;
        const maker = slotAccount[s]!;
        const makerRemaining = slotRemaining[s]!;
        let reason = -1;
        if (slotExpiry[s]! < now) reason = CancelReason.Expired;
        else if (maker === taker) reason = CancelReason.SelfTrade;
        else {
          let q = makerRemaining < remaining ? makerRemaining : remaining;
          if ((slotFlags[s]! & OrderFlags.REDUCE_ONLY) !== 0) {
            const allowance = this.reducible(maker, Side.Buy);
            if (allowance < q) q = allowance;
          }
          if (q > 0) {
            const left = makerRemaining - q;
            remaining -= q;
            lots -= q;
            if (track) {
              this.addPosition(taker, -q);
              this.addPosition(maker, q);
            }
            L.onFill(market, slotId[s]!, takerId, p, q, Side.Sell, left, remaining);
            if (left === 0) {
              count--;
              this.unlink(s, p);
              this.freeSlotOf(s);
            } else {
              slotRemaining[s] = left;
            }
            s = next;
            continue;
          }
          reason = CancelReason.ReduceOnly;
        }
        lots -= makerRemaining;
        count--;
        this.unlink(s, p);
        this.freeSlotOf(s);
        L.onCancelled(market, slotId[s]!, makerRemaining, reason as CancelReason);
        s = next;
      }
      levelSize[p] = lots;
      levelOrders[p] = count;
      L.onLevel(market, Side.Buy, p, lots);
      if (count === 0) bids.delete(p);
      else if (best < 0) {
        best = p;
        if (remaining === 0) break;
      }
      const n = bids.prev(p - 1);
      p = n < 0 ? 0 : n;
    }
    this.bestBidTick = best >= 0 ? best : p;
    return remaining;
  }

  private rest(
    id: number,
    account: number,
    side: Side,
    price: number,
    size: number,
    flags: number,
    expiry: number,
  ): void {
    const s = this.allocSlot();
    this.slotId[s] = id;
    this.slotAccount[s] = account;
    this.slotRemaining[s] = size;
    this.slotExpiry[s] = expiry;
    this.slotPrice[s] = price;
    this.slotSide[s] = side;
    this.slotFlags[s] = flags;
    this.slotNext[s] = NIL;
    const tail = this.levelTail[price]!;
    this.slotPrev[s] = tail;
    if (tail === NIL) {
      this.levelHead[price] = s;
      if (side === Side.Buy) {
        this.bidTicks.add(price);
        if (price > this.bestBidTick) this.bestBidTick = price;
      } else {
        this.askTicks.add(price);
        if (price < this.bestAskTick) this.bestAskTick = price;
      }
    } else {
      this.slotNext[tail] = s;
    }
    this.levelTail[price] = s;
    const lots = this.levelSize[price]! + size;
    this.levelSize[price] = lots;
    this.levelOrders[price] = this.levelOrders[price]! + 1;
    this.slotOf.set(id, s);
    this.listener.onRested(this.market, id, side, price, size);
    this.listener.onLevel(this.market, side, price, lots);
  }

  /** Takes a resting order out (cancel, expiry sweep, replace), keeping levels and best prices right. */
  private removeResting(s: number, reason: CancelReason): void {
    const p = this.slotPrice[s]!;
    const side = this.slotSide[s] as Side;
    const id = this.slotId[s]!;
    const remaining = this.slotRemaining[s]!;
    this.unlink(s, p);
    this.freeSlotOf(s);
    const lots = this.levelSize[p]! - remaining;
    this.levelSize[p] = lots;
    const count = this.levelOrders[p]! - 1;
    this.levelOrders[p] = count;
    if (count === 0) {
      if (side === Side.Buy) {
        this.bidTicks.delete(p);
        if (p === this.bestBidTick) this.bestBidTick = Math.max(0, this.bidTicks.prev(p - 1));
      } else {
        this.askTicks.delete(p);
        if (p === this.bestAskTick) {
          const n = this.askTicks.next(p + 1);
          this.bestAskTick = n < 0 ? this.noAsk : n;
        }
      }
    }
    this.listener.onCancelled(this.market, id, remaining, reason);
    this.listener.onLevel(this.market, side, p, lots);
  }

  private unlink(s: number, p: number): void {
    const prev = this.slotPrev[s]!;
    const next = this.slotNext[s]!;
    if (prev === NIL) this.levelHead[p] = next;
    else this.slotNext[prev] = next;
    if (next === NIL) this.levelTail[p] = prev;
    else this.slotPrev[next] = prev;
  }

  /** Returns the slot to the pool; its id field stays readable until the slot is reused. */
  private freeSlotOf(s: number): void {
    this.slotOf.delete(this.slotId[s]!);
    this.slotNext[s] = this.freeSlot;
    this.freeSlot = s;
  }

  private allocSlot(): number {
    const s = this.freeSlot;
    if (s !== NIL) {
      this.freeSlot = this.slotNext[s]!;
      return s;
    }
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.slotId = f64(this.slotId);
    this.slotAccount = f64(this.slotAccount);
    this.slotRemaining = f64(this.slotRemaining);
    this.slotExpiry = f64(this.slotExpiry);
    this.slotPrice = i32(this.slotPrice);
    this.slotPrev = i32(this.slotPrev);
    this.slotNext = i32(this.slotNext);
    this.slotSide = u8(this.slotSide);
    this.slotFlags = u8(this.slotFlags);
    this.capacity = cap;
  }

  private restingOrder(s: number): RestingOrder {
    const account = this.slotAccount[s]!;
    const subaccount = account % ACCOUNT_RADIX;
    return {
      id: this.slotId[s]!,
      trader: (account - subaccount) / ACCOUNT_RADIX,
      subaccount,
      side: this.slotSide[s] as Side,
      price: this.slotPrice[s]!,
      remaining: this.slotRemaining[s]!,
      flags: this.slotFlags[s]!,
      expiry: this.slotExpiry[s]!,
    };
  }

  /** The best level of `side`, or ≤ 0 if the side is empty. */
  private firstLevel(side: Side): number {
    if (side === Side.Buy) return this.bestBidTick;
    return this.bestAskTick === this.noAsk ? -1 : this.bestAskTick;
  }

  /** The next level of `side` behind `p`, or ≤ 0 at the end. */
  private nextLevel(side: Side, p: number): number {
    return side === Side.Buy ? this.bidTicks.prev(p - 1) : this.askTicks.next(p + 1);
  }

  private levels(side: Side, depth: number): Level[] {
    const out: Level[] = [];
    for (let p = this.firstLevel(side); p > 0 && out.length < depth; p = this.nextLevel(side, p)) {
      out.push({ price: p, size: this.levelSize[p]!, orders: this.levelOrders[p]! });
    }
    return out;
  }
}
