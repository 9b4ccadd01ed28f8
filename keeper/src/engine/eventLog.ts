import type { CancelReason, EngineListener, RejectReason, Side } from "./types.js";

/** The engine's events as plain objects, for tests, journals and bots that prefer data to callbacks. */
export type EngineEvent =
  | { type: "accepted"; market: number; id: number; side: Side; price: number; size: number }
  | { type: "rejected"; market: number; id: number; reason: RejectReason }
  | {
      type: "fill";
      market: number;
      makerId: number;
      takerId: number;
      price: number;
      size: number;
      takerSide: Side;
      makerRemaining: number;
      takerRemaining: number;
    }
  | { type: "rested"; market: number; id: number; side: Side; price: number; size: number }
  | { type: "cancelled"; market: number; id: number; remaining: number; reason: CancelReason }
  | { type: "level"; market: number; side: Side; price: number; size: number };

/** A listener that records every event as an {@link EngineEvent}. Allocates; not for the hot path. */
export class EventLog implements EngineListener {
  readonly events: EngineEvent[] = [];

  /** Returns the events recorded so far and forgets them. */
  drain(): EngineEvent[] {
    return this.events.splice(0, this.events.length);
  }

  onAccepted(market: number, id: number, side: Side, price: number, size: number): void {
    this.events.push({ type: "accepted", market, id, side, price, size });
  }
  onRejected(market: number, id: number, reason: RejectReason): void {
    this.events.push({ type: "rejected", market, id, reason });
  }
  onFill(
    market: number,
    makerId: number,
    takerId: number,
    price: number,
    size: number,
    takerSide: Side,
    makerRemaining: number,
    takerRemaining: number,
  ): void {
    this.events.push({
      type: "fill",
      market,
      makerId,
      takerId,
      price,
      size,
      takerSide,
      makerRemaining,
      takerRemaining,
    });
  }
  onRested(market: number, id: number, side: Side, price: number, size: number): void {
    this.events.push({ type: "rested", market, id, side, price, size });
  }
  onCancelled(market: number, id: number, remaining: number, reason: CancelReason): void {
    this.events.push({ type: "cancelled", market, id, remaining, reason });
  }
  onLevel(market: number, side: Side, price: number, size: number): void {
    this.events.push({ type: "level", market, side, price, size });
  }
}
