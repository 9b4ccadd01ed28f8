import { describe, expect, it } from "vitest";
import { EventLog, type EngineEvent } from "./eventLog.js";
import { OrderBook } from "./orderBook.js";
import { ReferenceBook } from "./referenceBook.js";
import { OrderFlags, RejectReason, Side, type OrderInput, type PositionLookup } from "./types.js";
import { prng } from "../risk/synthetic.js";

type Setup = {
  maxPriceTicks: number;
  minSizeLots: number;
  maxSizeLots: number;
  /** Half-width of the band around mid that prices are drawn from. */
  spread: number;
  traders: number;
  /** Reduce-only checks read this map instead of the engine's own positions. */
  external: boolean;
};

const withoutLevels = (events: EngineEvent[]) => events.filter((e) => e.type !== "level");

/**
 * Feeds one random stream of places, cancels, replaces, clock moves, expiry sweeps and position resets
 * to the engine and to the naive reference, and demands the same answers, the same events, the same
 * resting book and the same positions after every step. Book deltas (`level` events) must rebuild the
 * reference's aggregated book exactly.
 */
function runStream(seed: number, setup: Setup, steps: number): { fills: number; rested: number; rejects: Set<number> } {
  const rnd = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

  const external = new Map<string, number>();
  const positionOf: PositionLookup | undefined = setup.external ? (t, s) => external.get(`${t}/${s}`) ?? 0 : undefined;
  const log = new EventLog();
  const cfg = {
    market: 3,
    maxPriceTicks: setup.maxPriceTicks,
    minSizeLots: setup.minSizeLots,
    maxSizeLots: setup.maxSizeLots,
  };
  const book = new OrderBook({ ...cfg, listener: log, positionOf, initialCapacity: 16 });
  const ref = new ReferenceBook({ ...cfg, positionOf });
  const l2 = new Map<string, number>(); // book rebuilt from `level` events

  let now = 1_000;
  let nextId = 1;
  let mid = Math.floor(setup.maxPriceTicks / 2);
  const used: number[] = [];
  let fills = 0;
  let rested = 0;
  const rejects = new Set<number>();

  const randomOrder = (): OrderInput => {
    const side = rnd() < 0.5 ? Side.Buy : Side.Sell;
    // Lean prices towards the other side so a good share of orders cross.
    const lean = side === Side.Buy ? 2 : -2;
    let price = mid + lean + int(-setup.spread, setup.spread);
    price = Math.min(setup.maxPriceTicks, Math.max(1, price));
    const flagRoll = rnd();
    const flags =
      flagRoll < 0.55
        ? OrderFlags.NONE
        : flagRoll < 0.67
          ? OrderFlags.POST_ONLY
          : flagRoll < 0.8
            ? OrderFlags.IOC
            : flagRoll < 0.9
              ? OrderFlags.REDUCE_ONLY
              : flagRoll < 0.95
                ? OrderFlags.REDUCE_ONLY | pick([OrderFlags.IOC, OrderFlags.POST_ONLY])
                : pick([OrderFlags.POST_ONLY | OrderFlags.IOC, 8, 255, -1, 1.5]);
    const o: OrderInput = {
      id: rnd() < 0.03 && used.length > 0 ? pick(used) : nextId++,
      trader: int(0, setup.traders - 1),
      subaccount: int(0, 1),
      side,
      price,
      size: int(1, 12),
      flags,
      expiry: now + int(-3, 40),
    };
    // Now and then a malformed field, to exercise every reject reason.
    if (rnd() < 0.06) {
      const field = int(0, 6);
      if (field === 0) o.id = pick([-1, 1.5, Number.NaN, 2 ** 53]);
      else if (field === 1) o.trader = pick([-1, 2 ** 44, 0.5]);
      else if (field === 2) o.subaccount = pick([256, -1, 1.5]);
      else if (field === 3) o.side = pick([2, -1]) as Side;
      else if (field === 4) o.price = pick([0, setup.maxPriceTicks + 1, 1.5, Number.NaN, -3]);
      else if (field === 5) o.size = pick([0, 1.5, setup.maxSizeLots + 1, Number.NaN, -2]);
      else o.expiry = Number.NaN;
    }
    used.push(o.id);
    return o;
  };

  for (let step = 0; step < steps; step++) {
    const roll = rnd();
    if (roll < 0.6) {
      const o = randomOrder();
      const a = book.place(o, now);
      const b = ref.place(o, now);
      expect(a, `step ${step} place`).toBe(b);
      rejects.add(a);
    } else if (roll < 0.78) {
      const id = used.length > 0 && rnd() < 0.9 ? pick(used) : 10_000_000;
      expect(book.cancel(id), `step ${step} cancel ${id}`).toBe(ref.cancel(id));
    } else if (roll < 0.9) {
      // Replace: mostly a live order by its own trader, sometimes same price and smaller (amend in place).
      const live = [...book.orders(Side.Buy), ...book.orders(Side.Sell)];
      const old = live.length > 0 && rnd() < 0.85 ? pick(live) : undefined;
      const o = randomOrder();
      if (old && rnd() < 0.8) {
        o.trader = old.trader;
        o.subaccount = old.subaccount;
        if (rnd() < 0.85) o.side = old.side;
        if (rnd() < 0.4) {
          o.price = old.price;
          o.size = int(1, old.remaining + 1);
        }
        if (rnd() < 0.3) o.id = old.id;
      }
      const oldId = old?.id ?? 9_999_999;
      const a = book.replace(oldId, o, now);
      const b = ref.replace(oldId, o, now);
      expect(a, `step ${step} replace`).toBe(b);
      rejects.add(a);
    } else if (roll < 0.95) {
      now += int(0, 6);
      mid = Math.min(setup.maxPriceTicks - 1, Math.max(2, mid + int(-3, 3)));
    } else if (roll < 0.97) {
      expect(book.purgeExpired(now)).toBe(ref.purgeExpired(now));
    } else {
      const trader = int(0, setup.traders - 1);
      const sub = int(0, 1);
      const size = int(-20, 20);
      if (setup.external) external.set(`${trader}/${sub}`, size);
      else {
        book.setPosition(trader, sub, size);
        ref.setPosition(trader, sub, size);
      }
    }

    const events = log.drain();
    for (const e of events) {
      if (e.type === "level") {
        expect(e.size).toBeGreaterThanOrEqual(0);
        const key = `${e.side}/${e.price}`;
        if (e.size === 0) l2.delete(key);
        else l2.set(key, e.size);
      }
      if (e.type === "fill") fills++;
      if (e.type === "rested") rested++;
    }
    expect(withoutLevels(events), `step ${step} events`).toEqual(ref.events.splice(0));

    if (step % 10 === 0 || step === steps - 1) {
      for (const side of [Side.Buy, Side.Sell]) {
        expect(book.orders(side), `step ${step} book side ${side}`).toEqual(ref.orders(side));
        const levels = ref.levels(side);
        expect(book.snapshot(1_000_000)[side === Side.Buy ? "bids" : "asks"]).toEqual(levels);
        expect([...l2].filter(([k]) => k.startsWith(`${side}/`)).length).toBe(levels.length);
        for (const lv of levels) expect(l2.get(`${side}/${lv.price}`)).toBe(lv.size);
        // depth(side, n) sums the levels within n ticks of the best.
        const n = int(0, setup.spread);
        const best = levels[0]?.price;
        const within = levels.filter((lv) => best !== undefined && Math.abs(lv.price - best) <= n);
        expect(book.depth(side, n)).toEqual({
          lots: within.reduce((x, lv) => x + lv.size, 0),
          tickLots: within.reduce((x, lv) => x + lv.size * lv.price, 0),
        });
      }
      expect(book.bestBid).toBe(ref.levels(Side.Buy)[0]?.price);
      expect(book.bestAsk).toBe(ref.levels(Side.Sell)[0]?.price);
      for (let t = 0; t < setup.traders; t++) {
        for (let s = 0; s < 2; s++) expect(book.position(t, s)).toBe(ref.position(t, s));
      }
    }
  }
  return { fills, rested, rejects };
}

describe("OrderBook against the naive reference on random streams", () => {
  const setups: Record<string, Setup> = {
    "narrow band, edge prices, few traders (self-trades)": {
      maxPriceTicks: 40,
      minSizeLots: 1,
      maxSizeLots: 1_000,
      spread: 25,
      traders: 3,
      external: false,
    },
    "wide sparse book over several bitmap words, min size 2": {
      maxPriceTicks: 100_000,
      minSizeLots: 2,
      maxSizeLots: 11,
      spread: 400,
      traders: 6,
      external: false,
    },
    "reduce-only against an external position lookup": {
      maxPriceTicks: 200,
      minSizeLots: 1,
      maxSizeLots: 1_000,
      spread: 8,
      traders: 4,
      external: true,
    },
  };

  for (const [name, setup] of Object.entries(setups)) {
    it(name, () => {
      let fills = 0;
      let rested = 0;
      const rejects = new Set<number>();
      for (let seed = 1; seed <= 12; seed++) {
        const r = runStream(seed * 7919 + setup.maxPriceTicks, setup, 600);
        fills += r.fills;
        rested += r.rested;
        for (const x of r.rejects) rejects.add(x);
      }
      // The streams must actually exercise matching and the reject paths, not just agree on nothing.
      expect(fills).toBeGreaterThan(300);
      expect(rested).toBeGreaterThan(300);
      for (const reason of [
        RejectReason.None,
        RejectReason.InvalidId,
        RejectReason.InvalidPrice,
        RejectReason.InvalidSize,
        RejectReason.InvalidFlags,
        RejectReason.PostOnlyWouldCross,
        RejectReason.ReduceOnlyWouldIncrease,
        RejectReason.Expired,
        RejectReason.UnknownOrder,
      ]) {
        expect(rejects, `reason ${reason} never happened`).toContain(reason);
      }
    });
  }
});
