import { describe, expect, it } from "vitest";
import { OrderFlags as SdkOrderFlags } from "../../../sdk/src/orders/types.js";
import { EventLog } from "./eventLog.js";
import { MatchingEngine, UnknownMarket } from "./matchingEngine.js";
import { OrderBook } from "./orderBook.js";
import { CancelReason, OrderFlags, RejectReason, Side, type OrderInput } from "./types.js";
import { lotsToSize, priceToTicks, sizeToLots, ticksToPrice } from "./units.js";

const NOW = 1_000;
let nextId = 1;
function order(o: Partial<OrderInput> & Pick<OrderInput, "side" | "price" | "size">): OrderInput {
  return { id: nextId++, trader: 1, subaccount: 0, flags: OrderFlags.NONE, expiry: NOW + 60, ...o };
}
function setup(extra: { minSizeLots?: number; maxPriceTicks?: number } = {}) {
  const log = new EventLog();
  const book = new OrderBook({ market: 7, listener: log, maxPriceTicks: 1_000, ...extra });
  const fills = () => log.events.filter((e) => e.type === "fill");
  const cancels = () => log.events.filter((e) => e.type === "cancelled");
  return { log, book, fills, cancels };
}

describe("OrderBook matching", () => {
  it("fills in price-time priority at the maker's price", () => {
    const { book, fills } = setup();
    const a = order({ trader: 1, side: Side.Sell, price: 101, size: 5 });
    const b = order({ trader: 2, side: Side.Sell, price: 100, size: 5 });
    const c = order({ trader: 3, side: Side.Sell, price: 100, size: 5 });
    for (const o of [a, b, c]) expect(book.place(o, NOW)).toBe(RejectReason.None);
    const t = order({ trader: 9, side: Side.Buy, price: 105, size: 12 });
    book.place(t, NOW);
    expect(fills().map((f) => [f.makerId, f.price, f.size, f.takerRemaining])).toEqual([
      [b.id, 100, 5, 7],
      [c.id, 100, 5, 2],
      [a.id, 101, 2, 0],
    ]);
    expect(book.orders(Side.Sell)).toMatchObject([{ id: a.id, remaining: 3 }]);
    expect(book.bestAsk).toBe(101);
    expect(book.bestBid).toBeUndefined();
    expect(book.position(9, 0)).toBe(12);
    expect(book.position(1, 0)).toBe(-2);
  });

  it("rests the remainder of a limit order that crosses part of the book", () => {
    const { book, log } = setup();
    book.place(order({ trader: 1, side: Side.Buy, price: 50, size: 3 }), NOW);
    const s = order({ trader: 2, side: Side.Sell, price: 49, size: 10 });
    book.place(s, NOW);
    expect(book.orders(Side.Sell)).toMatchObject([{ id: s.id, price: 49, remaining: 7 }]);
    expect(book.bestBid).toBeUndefined();
    expect(book.bestAsk).toBe(49);
    expect(log.events.filter((e) => e.type === "level")).toEqual([
      { type: "level", market: 7, side: Side.Buy, price: 50, size: 3 },
      { type: "level", market: 7, side: Side.Buy, price: 50, size: 0 },
      { type: "level", market: 7, side: Side.Sell, price: 49, size: 7 },
    ]);
  });

  it("rejects a crossing post-only order and leaves the book untouched", () => {
    const { book, log } = setup();
    book.place(order({ trader: 1, side: Side.Sell, price: 100, size: 5 }), NOW);
    const p = order({ trader: 2, side: Side.Buy, price: 100, size: 5, flags: OrderFlags.POST_ONLY });
    log.drain();
    expect(book.place(p, NOW)).toBe(RejectReason.PostOnlyWouldCross);
    expect(log.events).toEqual([{ type: "rejected", market: 7, id: p.id, reason: RejectReason.PostOnlyWouldCross }]);
    expect(book.orderCount).toBe(1);
    // One tick behind the best it rests.
    expect(book.place(order({ ...p, id: nextId++, price: 99 }), NOW)).toBe(RejectReason.None);
    expect(book.bestBid).toBe(99);
  });

  it("never rests an IOC order: its remainder is cancelled", () => {
    const { book, cancels } = setup();
    book.place(order({ trader: 1, side: Side.Sell, price: 100, size: 2 }), NOW);
    const t = order({ trader: 2, side: Side.Buy, price: 100, size: 5, flags: OrderFlags.IOC });
    book.place(t, NOW);
    expect(cancels()).toEqual([
      { type: "cancelled", market: 7, id: t.id, remaining: 3, reason: CancelReason.IocRemainder },
    ]);
    expect(book.orderCount).toBe(0);
    expect(
      book.place(order({ side: Side.Buy, price: 1, size: 1, flags: OrderFlags.IOC | OrderFlags.POST_ONLY }), NOW),
    ).toBe(RejectReason.InvalidFlags);
  });

  it("self-trade prevention cancels the resting order of the same trader and subaccount, then keeps matching", () => {
    const { book, fills, cancels } = setup();
    const own = order({ trader: 1, subaccount: 0, side: Side.Sell, price: 100, size: 5 });
    const otherSub = order({ trader: 1, subaccount: 1, side: Side.Sell, price: 100, size: 5 });
    book.place(own, NOW);
    book.place(otherSub, NOW);
    const t = order({ trader: 1, subaccount: 0, side: Side.Buy, price: 100, size: 4 });
    book.place(t, NOW);
    expect(cancels()).toEqual([
      { type: "cancelled", market: 7, id: own.id, remaining: 5, reason: CancelReason.SelfTrade },
    ]);
    // Another subaccount of the same trader is a different account: it trades.
    expect(fills().map((f) => [f.makerId, f.size])).toEqual([[otherSub.id, 4]]);
  });

  it("clamps a reduce-only order to the position and rejects one with nothing to reduce", () => {
    const { book, log } = setup();
    const r = order({ trader: 4, side: Side.Sell, price: 100, size: 10, flags: OrderFlags.REDUCE_ONLY });
    expect(book.place(r, NOW)).toBe(RejectReason.ReduceOnlyWouldIncrease);
    book.setPosition(4, 0, 3);
    // A reduce-only buy would grow a long.
    expect(book.place(order({ ...r, id: nextId++, side: Side.Buy }), NOW)).toBe(RejectReason.ReduceOnlyWouldIncrease);
    log.drain();
    expect(book.place(r, NOW)).toBe(RejectReason.None);
    expect(log.events[0]).toEqual({ type: "accepted", market: 7, id: r.id, side: Side.Sell, price: 100, size: 3 });
    expect(book.order(r.id)?.remaining).toBe(3);
  });

  it("clamps a resting reduce-only maker to its position at fill time and cancels it once flat", () => {
    const { book, fills, cancels } = setup();
    book.setPosition(4, 0, 5);
    const r1 = order({ trader: 4, side: Side.Sell, price: 100, size: 5, flags: OrderFlags.REDUCE_ONLY });
    const r2 = order({ trader: 4, side: Side.Sell, price: 100, size: 5, flags: OrderFlags.REDUCE_ONLY });
    const plain = order({ trader: 5, side: Side.Sell, price: 100, size: 5 });
    for (const o of [r1, r2, plain]) book.place(o, NOW);
    book.setPosition(4, 0, 3); // the position shrank elsewhere (e.g. a liquidation)
    book.place(order({ trader: 6, side: Side.Buy, price: 100, size: 10 }), NOW);
    expect(fills().map((f) => [f.makerId, f.size])).toEqual([
      [r1.id, 3],
      [plain.id, 5],
    ]);
    expect(cancels()).toEqual([
      { type: "cancelled", market: 7, id: r2.id, remaining: 5, reason: CancelReason.ReduceOnly },
    ]);
    expect(book.position(4, 0)).toBe(0);
    // r1 keeps its unfillable remainder until a taker reaches it with the trader still flat.
    expect(book.order(r1.id)?.remaining).toBe(2);
    book.place(order({ trader: 6, side: Side.Buy, price: 100, size: 1, flags: OrderFlags.IOC }), NOW);
    expect(book.has(r1.id)).toBe(false);
  });

  it("rejects an expired taker and cancels expired makers it reaches", () => {
    const { book, cancels, fills } = setup();
    const old = order({ trader: 1, side: Side.Sell, price: 100, size: 5, expiry: NOW + 5 });
    const fresh = order({ trader: 2, side: Side.Sell, price: 100, size: 5, expiry: NOW + 500 });
    book.place(old, NOW);
    book.place(fresh, NOW);
    expect(book.place(order({ side: Side.Buy, price: 100, size: 1, expiry: NOW - 1 }), NOW)).toBe(RejectReason.Expired);
    // expiry == now is still alive, as on-chain (expired iff expiry < block.timestamp).
    expect(book.place(order({ trader: 3, side: Side.Buy, price: 100, size: 1, expiry: NOW + 6 }), NOW + 6)).toBe(
      RejectReason.None,
    );
    expect(cancels()).toEqual([
      { type: "cancelled", market: 7, id: old.id, remaining: 5, reason: CancelReason.Expired },
    ]);
    expect(fills().map((f) => f.makerId)).toEqual([fresh.id]);
    expect(book.purgeExpired(NOW + 501)).toBe(1);
    expect(book.orderCount).toBe(0);
  });

  it("validates every field with a typed reason and changes nothing", () => {
    const { book, log } = setup({ minSizeLots: 5 });
    const ok = order({ side: Side.Buy, price: 10, size: 5 });
    book.place(ok, NOW);
    log.drain();
    const cases: [Partial<OrderInput>, RejectReason][] = [
      [{ id: -1 }, RejectReason.InvalidId],
      [{ id: 0.5 }, RejectReason.InvalidId],
      [{ id: ok.id }, RejectReason.DuplicateId],
      [{ trader: 2 ** 44 }, RejectReason.InvalidAccount],
      [{ subaccount: 256 }, RejectReason.InvalidAccount],
      [{ side: 2 as Side }, RejectReason.InvalidSide],
      [{ flags: 8 }, RejectReason.InvalidFlags],
      [{ price: 0 }, RejectReason.InvalidPrice],
      [{ price: 1_001 }, RejectReason.InvalidPrice],
      [{ price: 10.5 }, RejectReason.InvalidPrice],
      [{ size: 0 }, RejectReason.InvalidSize],
      [{ size: 5.5 }, RejectReason.InvalidSize],
      [{ size: 4 }, RejectReason.BelowMinSize],
      [{ expiry: NOW - 1 }, RejectReason.Expired],
    ];
    for (const [patch, reason] of cases) {
      expect(book.place(order({ side: Side.Sell, price: 10, size: 5, ...patch }), NOW), JSON.stringify(patch)).toBe(
        reason,
      );
    }
    expect(log.events.every((e) => e.type === "rejected")).toBe(true);
    expect(book.orders(Side.Buy)).toMatchObject([{ id: ok.id, remaining: 5 }]);
    expect(book.orderCount).toBe(1);
  });
});

describe("OrderBook cancel and replace", () => {
  it("cancels by id, and reports an unknown id without events", () => {
    const { book, log } = setup();
    const o = order({ side: Side.Buy, price: 10, size: 5 });
    book.place(o, NOW);
    log.drain();
    expect(book.cancel(o.id)).toBe(true);
    expect(log.drain()).toEqual([
      { type: "cancelled", market: 7, id: o.id, remaining: 5, reason: CancelReason.Cancelled },
      { type: "level", market: 7, side: Side.Buy, price: 10, size: 0 },
    ]);
    expect(book.cancel(o.id)).toBe(false);
    expect(log.events).toEqual([]);
    expect(book.bestBid).toBeUndefined();
  });

  it("keeps queue priority when a replace only shrinks the order, loses it when the price moves", () => {
    const { book, fills } = setup();
    const a = order({ trader: 1, side: Side.Sell, price: 100, size: 5 });
    const b = order({ trader: 2, side: Side.Sell, price: 100, size: 5 });
    book.place(a, NOW);
    book.place(b, NOW);
    const a2 = order({ trader: 1, side: Side.Sell, price: 100, size: 3 });
    expect(book.replace(a.id, a2, NOW)).toBe(RejectReason.None);
    expect(book.orders(Side.Sell).map((o) => [o.id, o.remaining])).toEqual([
      [a2.id, 3],
      [b.id, 5],
    ]);
    const b2 = order({ trader: 2, side: Side.Sell, price: 101, size: 5 });
    book.replace(b.id, b2, NOW);
    const b3 = order({ trader: 2, side: Side.Sell, price: 100, size: 5 });
    book.replace(b2.id, b3, NOW);
    const a3 = order({ trader: 1, side: Side.Sell, price: 100, size: 4 }); // larger: back of the queue
    book.replace(a2.id, a3, NOW);
    book.place(order({ trader: 3, side: Side.Buy, price: 100, size: 10 }), NOW);
    expect(fills().map((f) => [f.makerId, f.size])).toEqual([
      [b3.id, 5],
      [a3.id, 4],
    ]);
  });

  it("is atomic: a rejected replacement leaves the old order resting", () => {
    const { book } = setup();
    const bid = order({ trader: 1, side: Side.Buy, price: 99, size: 5 });
    book.place(order({ trader: 2, side: Side.Sell, price: 100, size: 5 }), NOW);
    book.place(bid, NOW);
    const cross = order({ trader: 1, side: Side.Buy, price: 100, size: 5, flags: OrderFlags.POST_ONLY });
    expect(book.replace(bid.id, cross, NOW)).toBe(RejectReason.PostOnlyWouldCross);
    expect(book.replace(bid.id, { ...cross, flags: 0, trader: 3 }, NOW)).toBe(RejectReason.AccountMismatch);
    expect(book.replace(bid.id, { ...cross, flags: 0, side: Side.Sell }, NOW)).toBe(RejectReason.SideMismatch);
    expect(book.replace(12345678, { ...cross, flags: 0 }, NOW)).toBe(RejectReason.UnknownOrder);
    expect(book.orders(Side.Buy)).toMatchObject([{ id: bid.id, price: 99, remaining: 5 }]);
    // A replacement that crosses trades like a new order.
    expect(book.replace(bid.id, { ...cross, flags: 0 }, NOW)).toBe(RejectReason.None);
    expect(book.orderCount).toBe(0);
  });
});

describe("OrderBook queries and capacity", () => {
  it("snapshots levels and sums depth within ticks of the best", () => {
    const { book } = setup();
    for (const [price, size] of [
      [95, 1],
      [97, 2],
      [97, 3],
      [60, 4],
    ] as const) {
      book.place(order({ trader: price + size, side: Side.Buy, price, size }), NOW);
    }
    book.place(order({ side: Side.Sell, price: 990, size: 7 }), NOW);
    expect(book.snapshot(2)).toEqual({
      bids: [
        { price: 97, size: 5, orders: 2 },
        { price: 95, size: 1, orders: 1 },
      ],
      asks: [{ price: 990, size: 7, orders: 1 }],
    });
    expect(book.depth(Side.Buy, 2)).toEqual({ lots: 6, tickLots: 97 * 5 + 95 });
    expect(book.depth(Side.Buy, 37)).toEqual({ lots: 10, tickLots: 97 * 5 + 95 + 240 });
    expect(book.depthTo(Side.Sell, 989)).toEqual({ lots: 0, tickLots: 0 });
    expect(book.depth(Side.Sell, 0)).toEqual({ lots: 7, tickLots: 990 * 7 });
  });

  it("grows its slot pool past the initial capacity and recycles freed slots", () => {
    const log = new EventLog();
    const book = new OrderBook({ market: 1, maxPriceTicks: 100_000, initialCapacity: 16, listener: log });
    for (let i = 0; i < 5_000; i++)
      book.place(
        { id: i, trader: i, subaccount: 0, side: Side.Buy, price: 1 + (i % 9_000), size: 1, flags: 0, expiry: 1e12 },
        0,
      );
    expect(book.orderCount).toBe(5_000);
    book.place(
      { id: 99_999, trader: 99_999, subaccount: 0, side: Side.Sell, price: 1, size: 5_000, flags: 0, expiry: 1e12 },
      0,
    );
    expect(book.orderCount).toBe(0);
    expect(log.events.filter((e) => e.type === "fill")).toHaveLength(5_000);
    // Highest bid first.
    expect(log.events.find((e) => e.type === "fill")).toMatchObject({ makerId: 4_999, price: 5_000 });
  });

  it("uses the same flag bits as the SDK and the contracts", () => {
    expect(OrderFlags).toEqual(SdkOrderFlags);
  });
});

describe("units", () => {
  it("converts whole ticks and lots and flags the rest with -1", () => {
    expect(priceToTicks(50_000n * 10n ** 18n, 10n ** 17n)).toBe(500_000);
    expect(priceToTicks(10n ** 17n + 1n, 10n ** 17n)).toBe(-1);
    expect(priceToTicks(0n, 10n)).toBe(-1);
    expect(sizeToLots(2n ** 60n, 1n)).toBe(-1);
    expect(sizeToLots(300n, 100n)).toBe(3);
    expect(ticksToPrice(500_000, 10n ** 17n)).toBe(50_000n * 10n ** 18n);
    expect(lotsToSize(3, 100n)).toBe(300n);
    expect(() => sizeToLots(1n, 0n)).toThrow(RangeError);
  });
});

describe("MatchingEngine", () => {
  it("routes orders to their market's book and keeps markets apart", () => {
    const log = new EventLog();
    const engine = new MatchingEngine({ listener: log });
    engine.addMarket({ market: 0, maxPriceTicks: 100 });
    engine.addMarket({ market: 2, maxPriceTicks: 100 });
    expect(() => engine.addMarket({ market: 2 })).toThrow();
    expect(engine.markets).toEqual([0, 2]);
    const base = { trader: 1, subaccount: 0, flags: 0, expiry: 10, size: 1, price: 50 };
    engine.place({ ...base, market: 0, id: 1, side: Side.Sell }, 0);
    engine.place({ ...base, market: 2, id: 1, side: Side.Buy, trader: 2 }, 0);
    expect(log.events.filter((e) => e.type === "fill")).toEqual([]);
    expect(engine.place({ ...base, market: 1, id: 1, side: Side.Buy }, 0)).toBe(UnknownMarket);
    expect(engine.cancel(2, 1)).toBe(true);
    expect(engine.cancel(2, 1)).toBe(false);
    expect(engine.book(0)?.orderCount).toBe(1);
    expect(engine.purgeExpired(11)).toBe(1);
    expect(log.events.filter((e) => e.type === "cancelled").map((e) => e.market)).toEqual([2, 0]);
  });
});
