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
  /**
   * Called before an order is journaled: a sink that needs chain state for the order's account loads
   * it here (the matcher, an account's on-chain position). Must not throw; best effort.
   */
  prepare?(order: Order): Promise<void>;
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

/**
 * The markets a running node trades, kept in step with the registry by `MarketWatcher`. Only the active
 * flag follows the chain: a book holds its orders in ticks and lots, so a market whose tick or lot
 * size changes is closed here (refused at intake) until the keeper restarts with the new sizes, and a
 * market listed after start waits for a restart too.
 */
export class LiveMarkets implements MarketParamsProvider {
  private readonly table = new Map<number, MarketParams>();

  constructor(initial: Record<number, MarketParams>) {
    for (const [id, params] of Object.entries(initial)) this.table.set(Number(id), params);
  }

  get(market: number): MarketParams | undefined {
    return this.table.get(market);
  }

  /** Takes the registry's current markets; returns each change it made or refused, for the log. */
  apply(markets: readonly (MarketParams & { id: number })[]): string[] {
    const changes: string[] = [];
    for (const m of markets) {
      const current = this.table.get(m.id);
      if (current === undefined) {
        changes.push(`market ${m.id} was listed: restart the keeper to trade it`);
      } else if (m.tickSize !== current.tickSize || m.lotSize !== current.lotSize) {
        if (current.active) {
          this.table.set(m.id, { ...current, active: false });
          changes.push(`market ${m.id}'s tick or lot size changed: closed until the keeper restarts`);
        }
      } else if (m.active !== current.active) {
        this.table.set(m.id, { ...current, active: m.active });
        changes.push(`market ${m.id} ${m.active ? "resumed" : "paused"} on chain`);
      }
    }
    return changes;
  }
}
