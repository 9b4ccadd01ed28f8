/** Market-data channels: `<kind>:<market id>`. */
export const CHANNEL_PATTERN = /^(book|trades|mark|index|funding|cascade):([0-9]{1,3})$/;
export const CHANNEL_KINDS = ["book", "trades", "mark", "index", "funding", "cascade"] as const;

/** The part of a WebSocket the pub/sub needs. */
export interface Subscriber {
  send(data: string): void;
  readonly bufferedAmount: number;
  close(code?: number, reason?: string): void;
}

export type PubSubOptions = {
  /** Most channels one connection may hold. */
  maxSubscriptions?: number;
  /** A subscriber with more unsent bytes than this is disconnected (slow consumer) rather than buffered. */
  maxBufferedBytes?: number;
};

/**
 * Fan-out of market data (book deltas, trades, mark/index, funding, cascade ratio R) to WebSocket
 * subscribers. A message is serialized once per publish, whatever the number of subscribers.
 */
export class PubSub {
  private readonly _channels = new Map<string, Set<Subscriber>>();
  private readonly _bySubscriber = new Map<Subscriber, Set<string>>();
  private readonly _maxSubscriptions: number;
  private readonly _maxBufferedBytes: number;

  constructor({ maxSubscriptions = 64, maxBufferedBytes = 8 << 20 }: PubSubOptions = {}) {
    this._maxSubscriptions = maxSubscriptions;
    this._maxBufferedBytes = maxBufferedBytes;
  }

  /** Subscribes; returns the channels that are not valid names (nothing is subscribed then) or an error. */
  subscribe(sub: Subscriber, channels: readonly string[]): { ok: true } | { ok: false; message: string } {
    const invalid = channels.filter((c) => !CHANNEL_PATTERN.test(c));
    if (invalid.length > 0) return { ok: false, message: `unknown channels: ${invalid.join(", ")}` };
    const mine = this._bySubscriber.get(sub) ?? new Set<string>();
    const total = new Set([...mine, ...channels]).size;
    if (total > this._maxSubscriptions) {
      return { ok: false, message: `at most ${this._maxSubscriptions} subscriptions per connection` };
    }
    for (const c of channels) {
      mine.add(c);
      let set = this._channels.get(c);
      if (set === undefined) this._channels.set(c, (set = new Set()));
      set.add(sub);
    }
    this._bySubscriber.set(sub, mine);
    return { ok: true };
  }

  unsubscribe(sub: Subscriber, channels: readonly string[]): void {
    const mine = this._bySubscriber.get(sub);
    if (mine === undefined) return;
    for (const c of channels) {
      mine.delete(c);
      const set = this._channels.get(c);
      set?.delete(sub);
      if (set?.size === 0) this._channels.delete(c);
    }
  }

  /** Drops every subscription of a closed connection. */
  remove(sub: Subscriber): void {
    const mine = this._bySubscriber.get(sub);
    if (mine !== undefined) this.unsubscribe(sub, [...mine]);
    this._bySubscriber.delete(sub);
  }

  /** Sends `data` to the channel's subscribers as `{"channel": ..., "data": ...}`; returns how many. */
  publish(channel: string, data: unknown): number {
    const set = this._channels.get(channel);
    if (set === undefined || set.size === 0) return 0;
    const frame = JSON.stringify({ channel, data }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    let sent = 0;
    for (const sub of set) {
      if (sub.bufferedAmount > this._maxBufferedBytes) {
        this.remove(sub);
        sub.close(1008, "slow consumer");
        continue;
      }
      sub.send(frame);
      sent++;
    }
    return sent;
  }

  subscriberCount(channel: string): number {
    return this._channels.get(channel)?.size ?? 0;
  }
}
