import type { EngineEvent } from "./eventLog.js";
import {
  CancelReason,
  OrderFlags,
  RejectReason,
  Side,
  type Level,
  type OrderInput,
  type PositionLookup,
  type RestingOrder,
} from "./types.js";

type RefOrder = RestingOrder & { seq: number };

/**
 * The naive order book the property tests hold {@link OrderBook} to: one unsorted array of resting
 * orders, sorted afresh whenever priority matters, positions keyed by strings, events as objects. Slow
 * and obviously right; it shares no code with the engine beyond the enums. Emits every event the
 * engine does except `level` (book deltas are checked against `levels()` instead).
 */
export class ReferenceBook {
  readonly events: EngineEvent[] = [];
  private resting: RefOrder[] = [];
  private seq = 0;
  private readonly positions = new Map<string, number>();

  constructor(
    private readonly cfg: {
      market: number;
      maxPriceTicks: number;
      minSizeLots: number;
      maxSizeLots: number;
      positionOf?: PositionLookup;
    },
  ) {}

  position(trader: number, subaccount: number): number {
    if (this.cfg.positionOf) return this.cfg.positionOf(trader, subaccount);
    return this.positions.get(`${trader}/${subaccount}`) ?? 0;
  }

  setPosition(trader: number, subaccount: number, size: number): void {
    this.positions.set(`${trader}/${subaccount}`, size);
  }

  place(o: OrderInput, now: number): RejectReason {
    const check = this.check(o, now, undefined);
    if (check.reason !== RejectReason.None) {
      this.emit({ type: "rejected", market: this.cfg.market, id: o.id, reason: check.reason });
      return check.reason;
    }
    this.run(o, check.size, now);
    return RejectReason.None;
  }

  cancel(id: number): boolean {
    const o = this.resting.find((r) => r.id === id);
    if (!o) return false;
    this.remove(o, CancelReason.Cancelled);
    return true;
  }

  replace(oldId: number, o: OrderInput, now: number): RejectReason {
    const old = this.resting.find((r) => r.id === oldId);
    let reason: RejectReason = RejectReason.None;
    let size = 0;
    if (!old) reason = RejectReason.UnknownOrder;
    else {
      const check = this.check(o, now, old);
      reason = check.reason;
      size = check.size;
      if (reason === RejectReason.None && (old.trader !== o.trader || old.subaccount !== o.subaccount)) {
        reason = RejectReason.AccountMismatch;
      } else if (reason === RejectReason.None && old.side !== o.side) {
        reason = RejectReason.SideMismatch;
      }
    }
    if (!old || reason !== RejectReason.None) {
      this.emit({ type: "rejected", market: this.cfg.market, id: o.id, reason });
      return reason;
    }
    const m = this.cfg.market;
    if (old.price === o.price && size <= old.remaining && (o.flags & OrderFlags.IOC) === 0) {
      this.emit({ type: "cancelled", market: m, id: old.id, remaining: old.remaining, reason: CancelReason.Replaced });
      this.emit({ type: "accepted", market: m, id: o.id, side: o.side, price: o.price, size });
      Object.assign(old, { id: o.id, remaining: size, flags: o.flags, expiry: o.expiry });
      this.emit({ type: "rested", market: m, id: o.id, side: o.side, price: o.price, size });
      return RejectReason.None;
    }
    this.remove(old, CancelReason.Replaced);
    this.run(o, size, now);
    return RejectReason.None;
  }

  purgeExpired(now: number): number {
    const dead = this.resting.filter((r) => r.expiry < now).sort((a, b) => a.id - b.id);
    for (const o of dead) this.remove(o, CancelReason.Expired);
    return dead.length;
  }

  /** Resting orders of `side`, best price first, then oldest first. */
  orders(side: Side): RestingOrder[] {
    return this.sorted(side).map(({ seq: _seq, ...o }) => o);
  }

  /** All levels of `side`, best first. */
  levels(side: Side): Level[] {
    const out: Level[] = [];
    for (const o of this.sorted(side)) {
      const last = out[out.length - 1];
      if (last && last.price === o.price) {
        last.size += o.remaining;
        last.orders += 1;
      } else out.push({ price: o.price, size: o.remaining, orders: 1 });
    }
    return out;
  }

  private sorted(side: Side): RefOrder[] {
    return this.resting
      .filter((r) => r.side === side)
      .sort((a, b) =>
        a.price !== b.price ? (side === Side.Buy ? b.price - a.price : a.price - b.price) : a.seq - b.seq,
      );
  }

  private check(o: OrderInput, now: number, replacing: RefOrder | undefined): { reason: RejectReason; size: number } {
    const no = (reason: RejectReason) => ({ reason, size: 0 });
    if (!Number.isSafeInteger(o.id) || o.id < 0) return no(RejectReason.InvalidId);
    if (this.resting.some((r) => r.id === o.id) && replacing?.id !== o.id) return no(RejectReason.DuplicateId);
    if (!Number.isInteger(o.trader) || o.trader < 0 || o.trader >= 2 ** 44) return no(RejectReason.InvalidAccount);
    if (!Number.isInteger(o.subaccount) || o.subaccount < 0 || o.subaccount > 255)
      return no(RejectReason.InvalidAccount);
    if (o.side !== Side.Buy && o.side !== Side.Sell) return no(RejectReason.InvalidSide);
    if (!Number.isInteger(o.flags) || o.flags < 0 || o.flags > 7) return no(RejectReason.InvalidFlags);
    if (o.flags & OrderFlags.POST_ONLY && o.flags & OrderFlags.IOC) return no(RejectReason.InvalidFlags);
    if (!Number.isInteger(o.price) || o.price < 1 || o.price > this.cfg.maxPriceTicks) {
      return no(RejectReason.InvalidPrice);
    }
    if (!Number.isInteger(o.size) || o.size < 1 || o.size > this.cfg.maxSizeLots) return no(RejectReason.InvalidSize);
    if (o.size < this.cfg.minSizeLots) return no(RejectReason.BelowMinSize);
    if (!(o.expiry >= now)) return no(RejectReason.Expired);
    let size = o.size;
    if (o.flags & OrderFlags.REDUCE_ONLY) {
      const room = this.reducible(o.trader, o.subaccount, o.side);
      if (room === 0) return no(RejectReason.ReduceOnlyWouldIncrease);
      size = Math.min(size, room);
    }
    if (o.flags & OrderFlags.POST_ONLY) {
      const crosses = this.resting.some((r) =>
        o.side === Side.Buy ? r.side === Side.Sell && r.price <= o.price : r.side === Side.Buy && r.price >= o.price,
      );
      if (crosses) return no(RejectReason.PostOnlyWouldCross);
    }
    return { reason: RejectReason.None, size };
  }

  private reducible(trader: number, subaccount: number, side: Side): number {
    const pos = this.position(trader, subaccount);
    return side === Side.Buy ? Math.max(0, -pos) : Math.max(0, pos);
  }

  private run(o: OrderInput, size: number, now: number): void {
    const m = this.cfg.market;
    this.emit({ type: "accepted", market: m, id: o.id, side: o.side, price: o.price, size });
    let remaining = size;
    const opposite = o.side === Side.Buy ? Side.Sell : Side.Buy;
    const crossing = this.sorted(opposite).filter((r) =>
      o.side === Side.Buy ? r.price <= o.price : r.price >= o.price,
    );
    for (const r of crossing) {
      if (remaining === 0) break;
      if (r.expiry < now) {
        this.remove(r, CancelReason.Expired);
        continue;
      }
      if (r.trader === o.trader && r.subaccount === o.subaccount) {
        this.remove(r, CancelReason.SelfTrade);
        continue;
      }
      let q = Math.min(r.remaining, remaining);
      if (r.flags & OrderFlags.REDUCE_ONLY) q = Math.min(q, this.reducible(r.trader, r.subaccount, r.side));
      if (q === 0) {
        this.remove(r, CancelReason.ReduceOnly);
        continue;
      }
      r.remaining -= q;
      remaining -= q;
      if (!this.cfg.positionOf) {
        const sign = o.side === Side.Buy ? 1 : -1;
        this.setPosition(o.trader, o.subaccount, this.position(o.trader, o.subaccount) + sign * q);
        this.setPosition(r.trader, r.subaccount, this.position(r.trader, r.subaccount) - sign * q);
      }
      this.emit({
        type: "fill",
        market: m,
        makerId: r.id,
        takerId: o.id,
        price: r.price,
        size: q,
        takerSide: o.side,
        makerRemaining: r.remaining,
        takerRemaining: remaining,
      });
      if (r.remaining === 0) this.resting = this.resting.filter((x) => x !== r);
    }
    if (remaining === 0) return;
    if (o.flags & OrderFlags.IOC) {
      this.emit({ type: "cancelled", market: m, id: o.id, remaining, reason: CancelReason.IocRemainder });
      return;
    }
    this.resting.push({
      id: o.id,
      trader: o.trader,
      subaccount: o.subaccount,
      side: o.side,
      price: o.price,
      remaining,
      flags: o.flags,
      expiry: o.expiry,
      seq: this.seq++,
    });
    this.emit({ type: "rested", market: m, id: o.id, side: o.side, price: o.price, size: remaining });
  }

  private remove(r: RefOrder, reason: CancelReason): void {
    this.resting = this.resting.filter((x) => x !== r);
    this.emit({ type: "cancelled", market: this.cfg.market, id: r.id, remaining: r.remaining, reason });
  }

  private emit(e: EngineEvent): void {
    this.events.push(e);
  }
}
