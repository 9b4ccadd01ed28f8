/**
 * The keeper's matching engine: one price-time order book per market, pure (no I/O, no clock, no
 * chain), numbers in and events out. See `orderBook.ts` for the semantics.
 */
export { OrderBook } from "./orderBook.js";
export { MatchingEngine, UnknownMarket, type MarketOrderInput } from "./matchingEngine.js";
export { EventLog, type EngineEvent } from "./eventLog.js";
export { TickBitmap } from "./tickBitmap.js";
export { priceToTicks, sizeToLots, ticksToPrice, lotsToSize } from "./units.js";
export {
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
