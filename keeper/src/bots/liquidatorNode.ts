/**
 * The liquidator inside a keeper node: its two injected dependencies built from the node's own parts.
 *
 * - `nonceManagerSend`: transactions go through the node's {@link NonceManager} (the batch poster's
 *   nonces stay consistent, stuck transactions are bumped), with a gas estimate plus margin, and wait for
 *   the receipt (bounded).
 * - `matcherBookSource`: the engine's resting orders with their signed orders from the {@link OrderMatcher}
 *   (by engine order id), the makers' subaccounts from each market's collateral; a liquidation's book
 *   fills shrink or remove the used orders through the matcher, so the matcher's tables and the journal
 *   follow.
 */
import type { Address } from "viem";
import { subaccountId, type LucentClient, type Market } from "../../../sdk/src/index.js";
import type { KeeperPublicClient } from "../chain/clients.js";
import { TransactionTimeoutError, type NonceManager } from "../chain/nonceManager.js";
import { OrderFlags } from "../engine/index.js";
import type { OrderMatcher } from "./batchPosterMatcher.js";
import { LiquidatorBot, engineBookSource, type LiquidationBookSource, type LiquidatorSend } from "./liquidator.js";

/** The per-transaction gas cap (EIP-7825). */
const MAX_TX_GAS = 16_777_216n;

export type NonceManagerSendOptions = {
  nonceManager: NonceManager;
  client: KeeperPublicClient;
  /** The sender (the keeper), for the gas estimate. */
  from: Address;
  /** Gas limit = estimate × (1 + bps / 10,000), capped at 16,777,216 (default 2000). */
  gasMarginBps?: number;
  /** One wait for the receipt (default 60 s); the wait is repeated up to `maxWaits` times on the same transaction. */
  receiptTimeoutMs?: number;
  maxWaits?: number;
  label?: string;
};

/** A {@link LiquidatorSend} over the node's nonce manager: estimate, send, wait for the receipt. */
export function nonceManagerSend(options: NonceManagerSendOptions): LiquidatorSend {
  const { nonceManager, client, from, gasMarginBps = 2_000, receiptTimeoutMs = 60_000, maxWaits = 3 } = options;
  return async ({ to, data }) => {
    const estimate = await client.estimateGas({ account: from, to, data });
    const withMargin = (estimate * BigInt(10_000 + gasMarginBps)) / 10_000n;
    const gas = withMargin > MAX_TX_GAS ? MAX_TX_GAS : withMargin;
    const tx = await nonceManager.send({ to, data, gas }, { label: options.label ?? "liquidate" });
    for (let wait = 1; ; wait++) {
      try {
        const receipt = await nonceManager.waitForReceipt(tx, { timeoutMs: receiptTimeoutMs });
        return { transactionHash: receipt.transactionHash, status: receipt.status, logs: receipt.logs };
      } catch (error) {
        // Still tracked by the nonce manager (it keeps bumping it): wait again, a bounded number of times.
        if (!(error instanceof TransactionTimeoutError) || wait >= maxWaits) throw error;
      }
    }
  };
}

/** The engine's resting orders as the liquidator's book, resolved through the matcher. */
export function matcherBookSource(matcher: OrderMatcher, markets: readonly Market[]): LiquidationBookSource {
  const units = new Map(markets.map((m) => [m.id, { tickSize: m.tickSize, lotSize: m.lotSize }]));
  const collateral = new Map(markets.map((m) => [m.id, m.collateral.index]));
  const inner = engineBookSource(matcher.engine, units, (market, orderId) => {
    const resting = matcher.restingOrder(orderId);
    const c = collateral.get(market);
    if (resting === undefined || resting.market !== market || c === undefined) return undefined;
    const { order, signature } = resting;
    return {
      signed: { order, signature },
      maker: subaccountId({ owner: order.trader, collateral: c, index: order.subaccount }),
      reduceOnly: (order.flags & OrderFlags.REDUCE_ONLY) !== 0,
    };
  });
  return {
    orders: (market, side) => inner.orders(market, side),
    consume: (_market, orderId, size) => matcher.consumeResting(orderId, size),
  };
}

export type NodeLiquidatorOptions = {
  client: LucentClient;
  publicClient: KeeperPublicClient;
  nonceManager: NonceManager;
  keeper: Address;
  matcher: OrderMatcher;
  markets: readonly Market[];
  publish?: (channel: string, message: unknown) => void;
  fromBlock?: bigint;
  intervalMs?: number;
  maxAttempts?: number;
  staleAfterMs?: number;
  gasMarginBps?: number;
  receiptTimeoutMs?: number;
};

/** The liquidator bot wired to a node's nonce manager and matcher. */
export function createNodeLiquidator(o: NodeLiquidatorOptions): LiquidatorBot {
  return new LiquidatorBot({
    client: o.client,
    liquidator: o.keeper,
    send: nonceManagerSend({
      nonceManager: o.nonceManager,
      client: o.publicClient,
      from: o.keeper,
      ...(o.gasMarginBps === undefined ? {} : { gasMarginBps: o.gasMarginBps }),
      ...(o.receiptTimeoutMs === undefined ? {} : { receiptTimeoutMs: o.receiptTimeoutMs }),
    }),
    book: matcherBookSource(o.matcher, o.markets),
    ...(o.publish === undefined ? {} : { publish: o.publish }),
    ...(o.fromBlock === undefined ? {} : { fromBlock: o.fromBlock }),
    ...(o.intervalMs === undefined ? {} : { intervalMs: o.intervalMs }),
    ...(o.maxAttempts === undefined ? {} : { maxAttempts: o.maxAttempts }),
    ...(o.staleAfterMs === undefined ? {} : { staleAfterMs: o.staleAfterMs }),
  });
}
