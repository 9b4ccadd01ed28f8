/**
 * Types of the matching engine. Everything here is plain data: numbers, small objects, no bigint.
 *
 * Units: prices are integer ticks (`limitPrice / tickSize`), sizes integer lots (`size / lotSize`),
 * see `units.ts`. Order ids, traders and expiries are numbers too: the caller maps an order's
 * EIP-712 hash and its trader's address to numeric handles, so the hot path hashes no strings.
 */

/** Side of an order: `0` buys (bids), `1` sells (asks). */
export const Side = { Buy: 0, Sell: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];

/** Order flags, bit for bit `OrderFlags` of contracts/types/Order.sol and the SDK. */
export const OrderFlags = {
  NONE: 0,
  /** Maker only: rejected (never repriced) if it would cross the book on arrival. */
  POST_ONLY: 1,
  /** Only ever reduces the trader's position; clamped to it on arrival and on every fill. */
  REDUCE_ONLY: 2,
  /** Taker only: fills what it can on arrival, the remainder is cancelled, never rests. */
  IOC: 4,
  ALL: 7,
} as const;

/** Why `place` / `replace` refused an order. Nothing in the book changed. */
export const RejectReason = {
  /** Not a rejection: the order was accepted. */
  None: 0,
  /** `id` is not a non-negative safe integer. */
  InvalidId: 1,
  /** A live order of this book already has this id. */
  DuplicateId: 2,
  /** `trader` is not an integer in [0, 2^44) or `subaccount` not a uint8. */
  InvalidAccount: 3,
  /** `side` is neither `Side.Buy` nor `Side.Sell`. */
  InvalidSide: 4,
  /** Unknown flag bits, or POST_ONLY together with IOC (SkipReason.InvalidFlags on-chain). */
  InvalidFlags: 5,
  /** Price is not a whole number of ticks in [1, maxPriceTicks] (SkipReason.TickOrLot). */
  InvalidPrice: 6,
  /** Size is not a whole number of lots in [1, maxSizeLots] (SkipReason.TickOrLot). */
  InvalidSize: 7,
  /** Size is below the book's `minSizeLots` (reduce-only orders clamped below it are allowed). */
  BelowMinSize: 8,
  /** `expiry < now`. */
  Expired: 9,
  /** A post-only order would take liquidity. */
  PostOnlyWouldCross: 10,
  /** A reduce-only order while the trader has no position it could reduce. */
  ReduceOnlyWouldIncrease: 11,
  /** `replace` of an id that is not resting. */
  UnknownOrder: 12,
  /** `replace` by another trader or subaccount than the resting order's. */
  AccountMismatch: 13,
  /** `replace` onto the other side of the book (cancel, then place, instead). */
  SideMismatch: 14,
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

/** Why an accepted order left the book (or its remainder never rested). */
export const CancelReason = {
  /** `cancel` by the caller. */
  Cancelled: 0,
  /** The unfilled remainder of an IOC order. */
  IocRemainder: 1,
  /** Self-trade prevention: a resting order of the taker's own trader and subaccount. */
  SelfTrade: 2,
  /** A resting order found expired (`expiry < now`) when a taker reached it, or by `purgeExpired`. */
  Expired: 3,
  /** A resting reduce-only order whose trader no longer has a position it could reduce. */
  ReduceOnly: 4,
  /** Taken out by `replace` (the new order follows as its own events). */
  Replaced: 5,
} as const;
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

/** An order as the engine sees it. */
export type OrderInput = {
  /** Caller's handle for the order (e.g. an index into its table of EIP-712 hashes); safe integer ≥ 0. */
  id: number;
  /** Caller's handle for the trader's address; integer in [0, 2^44). */
  trader: number;
  /** Subaccount index (uint8). */
  subaccount: number;
  side: Side;
  /** Limit price in ticks. */
  price: number;
  /** Size in lots. */
  size: number;
  /** Bitwise OR of {@link OrderFlags}. */
  flags: number;
  /** Unix seconds; the order is dead once `expiry < now` (the caller supplies `now`). */
  expiry: number;
};

/** Where reduce-only checks read a trader's signed position (lots, long > 0) in the book's market. */
export type PositionLookup = (trader: number, subaccount: number) => number;

export type OrderBookConfig = {
  /** Market id, passed back in every event. */
  market: number;
  /** Highest valid price in ticks (the price arrays have this many entries). Default 2^20. */
  maxPriceTicks?: number;
  /** Smallest order size in lots. Default 1. */
  minSizeLots?: number;
  /** Largest order size in lots. Default 2^53 − 1. */
  maxSizeLots?: number;
  /**
   * Positions for reduce-only checks. If given, the engine only reads it. If omitted, the engine keeps a
   * net position per trader and subaccount fed by its own fills; seed and correct it with `setPosition`
   * (e.g. from chain events: fills the contract skipped, liquidations, ADL).
   */
  positionOf?: PositionLookup;
  /** Receives the events. Default: none (`NoopListener`). */
  listener?: EngineListener;
  /** Order slots allocated up front (the pool doubles when full). Default 1024. */
  initialCapacity?: number;
};

/**
 * Receives the engine's events synchronously, in order, as plain arguments (nothing is allocated per
 * event). A listener must not call back into the book it listens to.
 *
 * Per accepted order the sequence is: `onAccepted`; then, per resting order reached in price-time
 * priority, `onFill` or `onCancelled` (expired, self-trade, reduce-only), with `onLevel` after each price
 * level the taker touched; then `onRested` + `onLevel`, or `onCancelled(IocRemainder)`.
 */
export interface EngineListener {
  /** An order passed validation; `size` is after the reduce-only clamp. */
  onAccepted(market: number, id: number, side: Side, price: number, size: number): void;
  /** The order was refused; the book did not change. */
  onRejected(market: number, id: number, reason: RejectReason): void;
  /** A fill at the maker's price. `takerSide` is the side of the incoming order. */
  onFill(
    market: number,
    makerId: number,
    takerId: number,
    price: number,
    size: number,
    takerSide: Side,
    makerRemaining: number,
    takerRemaining: number,
  ): void;
  /** The order's remainder now rests in the book. */
  onRested(market: number, id: number, side: Side, price: number, size: number): void;
  /** The order left the book (or its remainder was not rested) with `remaining` lots unfilled. */
  onCancelled(market: number, id: number, remaining: number, reason: CancelReason): void;
  /** Book delta: the level's total resting size is now `size` (0: the level is gone). */
  onLevel(market: number, side: Side, price: number, size: number): void;
}

/** A listener that ignores everything; extend it to handle only some events. */
export class NoopListener implements EngineListener {
  onAccepted(_market: number, _id: number, _side: Side, _price: number, _size: number): void {}
  onRejected(_market: number, _id: number, _reason: RejectReason): void {}
  onFill(
    _market: number,
    _makerId: number,
    _takerId: number,
    _price: number,
    _size: number,
    _takerSide: Side,
    _makerRemaining: number,
    _takerRemaining: number,
  ): void {}
  onRested(_market: number, _id: number, _side: Side, _price: number, _size: number): void {}
  onCancelled(_market: number, _id: number, _remaining: number, _reason: CancelReason): void {}
  onLevel(_market: number, _side: Side, _price: number, _size: number): void {}
}

/** One aggregated price level. */
export type Level = { price: number; size: number; orders: number };

/** The top of the book: bids best (highest) first, asks best (lowest) first. */
export type BookSnapshot = { bids: Level[]; asks: Level[] };

/** A resting order, as listed by `OrderBook.orders`. */
export type RestingOrder = {
  id: number;
  trader: number;
  subaccount: number;
  side: Side;
  price: number;
  /** Unfilled lots. */
  remaining: number;
  flags: number;
  expiry: number;
};

/** Resting size and notional (Σ price × size, in tick·lots) over a range of prices. */
export type BookDepth = { lots: number; tickLots: number };
