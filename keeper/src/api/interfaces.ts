import type { Address, Hex } from "viem";
import type { Order } from "../../../sdk/src/index.js";
import type { NewOrder } from "../store/journal.js";

/** An order the intake has verified and journaled; `filled` counts confirmed and in-flight fills. */
export type AcceptedOrder = NewOrder & { filled: bigint };

/**
 * Where accepted orders go: the matching loop (keeper/src/bots) adapts this to the engine. Called only
 * after the order or cancel is durable in the journal, in acceptance order.
 */
export interface OrderSink {
  submit(order: AcceptedOrder): void;
  cancel(orderHash: Hex, trader: Address): void;
}

/** Trading parameters of a market, as `MarketRegistry` lists them. */
export type MarketParams = { tickSize: bigint; lotSize: bigint; active: boolean };

/** Looks up a market by id (cached from the chain by the caller); undefined when there is none. */
export interface MarketParamsProvider {
  get(market: number): MarketParams | undefined;
}

/**
 * A market's resting book, best levels first: `[price, size]` with the price in quote units (18-decimal
 * values as plain numbers) and the size in contracts — what `lucent risk cascade` reads for D(Δ).
 * Undefined when the market has no book.
 */
export type BookDepth = { bids: [number, number][]; asks: [number, number][] };
export interface BookProvider {
  depth(market: number, levels: number): BookDepth | undefined;
}

/** A margin estimate for a new order: allow it, or refuse with a reason. */
export type MarginCheckResult = { ok: true } | { ok: false; reason: string };
export type MarginCheck = (order: Order, hash: Hex) => MarginCheckResult | Promise<MarginCheckResult>;
export const allowAllMargin: MarginCheck = () => ({ ok: true });

/** A loop's liveness: the last time it reported, and how old that may get before it counts as stale. */
export type Heartbeat = { name: string; lastBeatAt: number | undefined; maxAgeMs: number };

/** What /health reads: each registered loop's heartbeat. */
export interface HeartbeatRegistry {
  heartbeats(): Iterable<Heartbeat>;
}

/** A simple in-memory {@link HeartbeatRegistry}: loops `register` once and `beat` each iteration. */
export class Heartbeats implements HeartbeatRegistry {
  private readonly _loops = new Map<string, Heartbeat>();

  constructor(private readonly _now: () => number = Date.now) {}

  register(name: string, maxAgeMs: number): void {
    this._loops.set(name, { name, lastBeatAt: undefined, maxAgeMs });
  }

  beat(name: string): void {
    const h = this._loops.get(name);
    if (h === undefined) throw new Error(`no loop named ${name} is registered`);
    h.lastBeatAt = this._now();
  }

  heartbeats(): Iterable<Heartbeat> {
    return this._loops.values();
  }
}

/** Markets from a fixed table (devnet, tests). */
export function staticMarkets(table: Record<number, MarketParams>): MarketParamsProvider {
  return { get: (market) => table[market] };
}
