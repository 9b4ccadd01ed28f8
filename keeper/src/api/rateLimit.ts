/** A token bucket: `burst` tokens, refilled at `perSecond`; each message takes one. */
export type BucketLimit = { burst: number; perSecond: number };

/** Token buckets by key (trader address, connection), created on first use. */
export class RateLimiter {
  private readonly _buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly _limit: BucketLimit,
    private readonly _now: () => number = Date.now,
  ) {}

  /** Takes a token for `key`: 0 when allowed, else the milliseconds until one is available. */
  take(key: string): number {
    const now = this._now();
    const { burst, perSecond } = this._limit;
    let b = this._buckets.get(key);
    if (b === undefined) {
      if (this._buckets.size >= 100_000) this._sweep(now);
      b = { tokens: burst, at: now };
      this._buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) * perSecond) / 1000);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 1000) / perSecond);
  }

  /** Forgets `key` (a closed connection). */
  delete(key: string): void {
    this._buckets.delete(key);
  }

  /** Drops buckets that have refilled: they hold no state a new bucket would not. */
  private _sweep(now: number): void {
    const { burst, perSecond } = this._limit;
    for (const [key, b] of this._buckets) {
      if (b.tokens + ((now - b.at) * perSecond) / 1000 >= burst) this._buckets.delete(key);
    }
  }
}

export type QuoteToTradeLimit = {
  /** Most orders + cancels per fill within a window. */
  maxRatio: number;
  /** Messages a trader may send in a window before the ratio applies (a new trader has no fills yet). */
  minMessages: number;
  /** Window length; counts reset at each window's end. */
  windowMs: number;
};

/**
 * Caps each trader's (orders + cancels) / fills over a tumbling window. Fills come from the matching
 * loop through {@link recordFills}.
 */
export class QuoteToTradeLimiter {
  private readonly _counts = new Map<string, { messages: number; fills: number; window: number }>();

  constructor(
    private readonly _limit: QuoteToTradeLimit,
    private readonly _now: () => number = Date.now,
  ) {}

  /** Counts a message; false (and not counted) when the trader is over the ratio. */
  take(trader: string): boolean {
    const c = this._entry(trader);
    const { maxRatio, minMessages } = this._limit;
    if (c.messages >= minMessages && c.messages + 1 > maxRatio * Math.max(1, c.fills)) return false;
    c.messages++;
    return true;
  }

  recordFills(trader: string, fills: number): void {
    this._entry(trader).fills += fills;
  }

  private _entry(trader: string): { messages: number; fills: number; window: number } {
    const window = Math.floor(this._now() / this._limit.windowMs);
    let c = this._counts.get(trader);
    if (c === undefined || c.window !== window) {
      if (c === undefined && this._counts.size >= 100_000) {
        for (const [k, v] of this._counts) if (v.window !== window) this._counts.delete(k);
      }
      c = { messages: 0, fills: 0, window };
      this._counts.set(trader, c);
    }
    return c;
  }
}
