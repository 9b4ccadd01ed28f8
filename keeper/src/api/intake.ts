import { getAddress, type Address, type Hex } from "viem";
import type { LucentDomain } from "../../../sdk/src/index.js";
import { OrderFlags } from "../../../sdk/src/index.js";
import type { SignatureVerifier } from "../crypto/verifierPool.js";
import { compactSignature, parseSignature } from "../crypto/signature.js";
import { toHex } from "../crypto/orderStruct.js";
import type { Journal } from "../store/journal.js";
import { reject, RejectCode, type Rejection } from "./errors.js";
import { allowAllMargin, type MarginCheck, type MarketParamsProvider, type OrderSink } from "./interfaces.js";
import type { IntakeMetrics } from "./metrics.js";
import { QuoteToTradeLimiter, RateLimiter, type BucketLimit, type QuoteToTradeLimit } from "./rateLimit.js";
import {
  cancelOrderMessage,
  describeIssues,
  submitOrderMessage,
  type CancelOrderMessage,
  type SubmitOrderMessage,
} from "./schema.js";

export type IntakeLimits = {
  /** Per trader, after the signature is verified (so nobody can spend another trader's budget). */
  perTrader: BucketLimit;
  /** Per connection (WebSocket) or client address (HTTP), before verification: bounds verify work. */
  perConnection: BucketLimit;
  quoteToTrade: QuoteToTradeLimit;
  /** Most messages awaiting an answer on one connection. */
  maxInFlightPerConnection: number;
};

export const DEFAULT_LIMITS: IntakeLimits = {
  perTrader: { burst: 200, perSecond: 100 },
  perConnection: { burst: 2_000, perSecond: 2_000 },
  quoteToTrade: { maxRatio: 200, minMessages: 2_000, windowMs: 60_000 },
  maxInFlightPerConnection: 4_096,
};

export type IntakeOptions = {
  domain: LucentDomain;
  journal: Journal;
  verifier: SignatureVerifier;
  markets: MarketParamsProvider;
  sink?: OrderSink;
  marginCheck?: MarginCheck;
  /** This keeper's address: orders naming another keeper are refused. Undefined: any non-zero keeper is refused. */
  keeper?: Address;
  limits?: Partial<IntakeLimits>;
  metrics?: IntakeMetrics;
  /** Milliseconds since the epoch (tests pin it). */
  now?: () => number;
};

export type IntakeResult = { ok: true; hash: Hex; status: "accepted" | "cancelled" } | ({ ok: false } & Rejection);

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const noopSink: OrderSink = { submit() {}, cancel() {} };

/**
 * Order and cancel intake, independent of the transport: validates, verifies the EIP-712 signature,
 * rate-limits, checks margin, journals (durably) and only then acknowledges and hands the order to the
 * sink. Checks run cheapest first, and nothing is written for a rejected message.
 */
export class Intake {
  readonly limits: IntakeLimits;
  private readonly _o: IntakeOptions;
  private readonly _sink: OrderSink;
  private readonly _margin: MarginCheck;
  private readonly _now: () => number;
  private readonly _traderLimiter: RateLimiter;
  private readonly _connectionLimiter: RateLimiter;
  private readonly _qtt: QuoteToTradeLimiter;
  private readonly _chainId: number;
  private readonly _verifyingContract: string;
  private readonly _keeper: string | undefined;

  constructor(options: IntakeOptions) {
    this._o = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this._sink = options.sink ?? noopSink;
    this._margin = options.marginCheck ?? allowAllMargin;
    this._now = options.now ?? Date.now;
    this._traderLimiter = new RateLimiter(this.limits.perTrader, this._now);
    this._connectionLimiter = new RateLimiter(this.limits.perConnection, this._now);
    this._qtt = new QuoteToTradeLimiter(this.limits.quoteToTrade, this._now);
    this._chainId = options.domain.chainId;
    this._verifyingContract = options.domain.verifyingContract.toLowerCase();
    this._keeper = options.keeper?.toLowerCase();
  }

  /** Feeds the quote-to-trade ratio: the matching loop calls this for each trader in each fill. */
  recordFills(trader: Address, fills = 1): void {
    this._qtt.recordFills(trader.toLowerCase(), fills);
  }

  /** Forgets a closed connection's rate-limit state. */
  connectionClosed(connection: string): void {
    this._connectionLimiter.delete(connection);
  }

  /** Replays the journal's open orders into the sink (on start), in acceptance order; returns how many. */
  replayOpenOrders(): number {
    const open = this._o.journal.openOrders();
    for (const o of open) this._sink.submit({ ...o, filled: o.filled + o.pendingFill });
    return open.length;
  }

  /** Handles a parsed `order` message from `connection`. */
  async submitOrder(message: unknown, connection: string): Promise<IntakeResult> {
    const started = this._now();
    const result = await this._submitOrder(message, connection, started);
    this._count("order", result);
    if (result.ok) this._o.metrics?.ackSeconds.observe((this._now() - started) / 1000);
    return result;
  }

  /** Handles a parsed `cancel` message from `connection`. */
  async cancelOrder(message: unknown, connection: string): Promise<IntakeResult> {
    const result = await this._cancelOrder(message, connection);
    this._count("cancel", result);
    return result;
  }

  /** Records a message rejected before it reached {@link submitOrder} (transport-level). */
  countRejection(op: string, code: RejectCode): void {
    this._o.metrics?.messages.inc({ op });
    this._o.metrics?.rejected.inc({ code });
  }

  private _count(op: string, result: IntakeResult): void {
    const m = this._o.metrics;
    if (m === undefined) return;
    m.messages.inc({ op });
    if (result.ok) m.accepted.inc({ op });
    else m.rejected.inc({ code: result.code });
  }

  private async _submitOrder(message: unknown, connection: string, receivedAt: number): Promise<IntakeResult> {
    const parsed = submitOrderMessage.safeParse(message);
    if (!parsed.success) {
      return fail(
        reject(RejectCode.InvalidField, "the order message is invalid", { issues: describeIssues(parsed.error) }),
      );
    }
    const { order, signature, domain } = parsed.data as SubmitOrderMessage;
    const connWait = this._connectionLimiter.take(connection);
    if (connWait > 0)
      return fail(reject(RejectCode.RateLimited, "too many messages on this connection", { retryAfterMs: connWait }));
    const domainError = this._checkDomain(domain);
    if (domainError) return fail(domainError);

    const keeper = order.keeper.toLowerCase();
    if (keeper !== ZERO_ADDRESS && keeper !== this._keeper) {
      return fail(
        reject(RejectCode.WrongKeeper, "the order may only be filled by another keeper", { keeper: order.keeper }),
      );
    }
    if (order.flags > OrderFlags.ALL || (order.flags & OrderFlags.POST_ONLY && order.flags & OrderFlags.IOC)) {
      return fail(
        reject(RejectCode.InvalidFlags, "flags must combine POST_ONLY, REDUCE_ONLY, IOC, and not POST_ONLY with IOC", {
          flags: order.flags,
        }),
      );
    }
    const nowSeconds = Math.floor(receivedAt / 1000);
    if (order.expiry <= nowSeconds) {
      return fail(reject(RejectCode.Expired, "the order has expired", { expiry: order.expiry, now: nowSeconds }));
    }
    const market = this._o.markets.get(order.market);
    if (market === undefined)
      return fail(reject(RejectCode.UnknownMarket, `no market ${order.market}`, { market: order.market }));
    if (!market.active)
      return fail(reject(RejectCode.MarketInactive, `market ${order.market} is not trading`, { market: order.market }));
    if (order.limitPrice === 0n || order.limitPrice % market.tickSize !== 0n) {
      return fail(
        reject(RejectCode.BadTick, "the limit price is not a positive multiple of the tick size", {
          tickSize: market.tickSize.toString(),
        }),
      );
    }
    if (order.size === 0n || order.size % market.lotSize !== 0n) {
      return fail(
        reject(RejectCode.BadLot, "the size is not a positive multiple of the lot size", {
          lotSize: market.lotSize.toString(),
        }),
      );
    }

    const sig = parseSignature(signature);
    if (sig === undefined) return fail(reject(RejectCode.BadSignature, "not a valid secp256k1 signature"));
    const verified = await this._o.verifier.verifyOrder(order, sig);
    const trader = order.trader.toLowerCase();
    if (verified.signer === undefined || toHex(verified.signer) !== trader) {
      return fail(reject(RejectCode.BadSignature, "the signature is not the trader's over this order and domain"));
    }
    const hash = toHex(verified.digest);

    const traderWait = this._traderLimiter.take(trader);
    if (traderWait > 0)
      return fail(reject(RejectCode.RateLimited, "too many messages from this trader", { retryAfterMs: traderWait }));
    if (!this._qtt.take(trader)) {
      return fail(
        reject(RejectCode.QuoteToTradeExceeded, "too many orders and cancels for this trader's fills", {
          ...this.limits.quoteToTrade,
        }),
      );
    }
    const margin = await this._margin(order, hash);
    if (!margin.ok) return fail(reject(RejectCode.InsufficientMargin, margin.reason));

    await this._sink.prepare?.(order);
    const accepted = { hash, order, signature: toHex(compactSignature(sig)), receivedAt };
    let written;
    try {
      written = await this._o.journal.appendOrder(accepted);
    } catch (err) {
      return fail(
        reject(RejectCode.Internal, "the order could not be journaled and was not accepted", { error: String(err) }),
      );
    }
    if (written === "duplicate") return fail(reject(RejectCode.Duplicate, "this order was already accepted", { hash }));
    this._sink.submit({ ...accepted, filled: 0n });
    return { ok: true, hash, status: "accepted" };
  }

  private async _cancelOrder(message: unknown, connection: string): Promise<IntakeResult> {
    const parsed = cancelOrderMessage.safeParse(message);
    if (!parsed.success) {
      return fail(
        reject(RejectCode.InvalidField, "the cancel message is invalid", { issues: describeIssues(parsed.error) }),
      );
    }
    const { orderHash, signature, domain } = parsed.data as CancelOrderMessage;
    const connWait = this._connectionLimiter.take(connection);
    if (connWait > 0)
      return fail(reject(RejectCode.RateLimited, "too many messages on this connection", { retryAfterMs: connWait }));
    const domainError = this._checkDomain(domain);
    if (domainError) return fail(domainError);
    const existing = this._o.journal.getOrder(orderHash);
    if (existing === undefined)
      return fail(reject(RejectCode.UnknownOrder, "this keeper holds no such order", { orderHash }));
    if (existing.status !== "open") {
      return fail(
        reject(RejectCode.OrderNotOpen, `the order is ${existing.status}`, { orderHash, status: existing.status }),
      );
    }
    const sig = parseSignature(signature);
    if (sig === undefined) return fail(reject(RejectCode.BadSignature, "not a valid secp256k1 signature"));
    const verified = await this._o.verifier.verifyCancel(Buffer.from(orderHash.slice(2), "hex"), sig);
    const trader = existing.order.trader.toLowerCase();
    if (verified.signer === undefined || toHex(verified.signer) !== trader) {
      return fail(reject(RejectCode.BadSignature, "the cancel is not signed by the order's trader"));
    }
    const traderWait = this._traderLimiter.take(trader);
    if (traderWait > 0)
      return fail(reject(RejectCode.RateLimited, "too many messages from this trader", { retryAfterMs: traderWait }));
    if (!this._qtt.take(trader)) {
      return fail(
        reject(RejectCode.QuoteToTradeExceeded, "too many orders and cancels for this trader's fills", {
          ...this.limits.quoteToTrade,
        }),
      );
    }
    let written;
    try {
      written = await this._o.journal.appendCancel({
        orderHash,
        signature: toHex(compactSignature(sig)),
        receivedAt: this._now(),
      });
    } catch (err) {
      return fail(
        reject(RejectCode.Internal, "the cancel could not be journaled and was not accepted", { error: String(err) }),
      );
    }
    if (written === "unknown_order")
      return fail(reject(RejectCode.UnknownOrder, "this keeper holds no such order", { orderHash }));
    if (written === "not_open")
      return fail(reject(RejectCode.OrderNotOpen, "the order is no longer open", { orderHash }));
    this._sink.cancel(orderHash, getAddress(trader));
    return { ok: true, hash: orderHash, status: "cancelled" };
  }

  private _checkDomain(domain: { chainId: number; verifyingContract: Address } | undefined): Rejection | undefined {
    if (domain === undefined) return undefined;
    if (domain.chainId !== this._chainId || domain.verifyingContract.toLowerCase() !== this._verifyingContract) {
      return reject(RejectCode.WrongDomain, "signed for another chain or clearinghouse", {
        expected: { chainId: this._chainId, verifyingContract: this._o.domain.verifyingContract },
      });
    }
    return undefined;
  }
}

function fail(r: Rejection): IntakeResult {
  return { ok: false, ...r };
}
