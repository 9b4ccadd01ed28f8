import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { encodeFunctionData, type Address, type Hex, type TransactionReceipt } from "viem";
import { clearinghouseAbi } from "../../../sdk/src/abi/clearinghouse.js";
import { encodeBatch, SkipReason } from "../../../sdk/src/index.js";
import { sleep } from "../chain/failoverTransport.js";
import { batchOutcome, findBatchOutcome, type BatchOutcome } from "../chain/events.js";
import type { KeeperPublicClient } from "../chain/clients.js";
import { TransactionTimeoutError, type NonceManager, type TrackedTx } from "../chain/nonceManager.js";
import type { Logger } from "../log.js";
import type { Journal, OrderStatus } from "../store/journal.js";
import type { Bot, BotHealth } from "./bot.js";
import type { MatchedFill } from "./batchPosterMatcher.js";

/** What the poster tells the book about fills the chain skipped (the {@link OrderMatcher} does both). */
export interface SkipReconciler {
  /** The order at fault leaves the book and is closed in the journal. */
  drop(hash: Hex, status: Exclude<OrderStatus, "open">, reason: string): void;
  /** The innocent counterparty gets the skipped size back. */
  restore(hash: Hex, size: bigint): void;
}

export type BatchLimits = {
  /** A batch is cut as soon as this many fills are queued. Default 100. */
  maxFills: number;
  /** ... or once the oldest queued fill is this old. Default 250 ms. */
  maxAgeMs: number;
};

export type BatchPosterOptions = {
  journal: Journal;
  client: KeeperPublicClient;
  nonceManager: NonceManager;
  clearinghouse: Address;
  reconciler?: SkipReconciler;
  limits?: Partial<BatchLimits>;
  /** Loop tick. Default 25 ms. */
  pollMs?: number;
  /** One wait for a receipt (the wait resumes on the same transaction after it). Default 60 s. */
  receiptTimeoutMs?: number;
  /** Gas limit = estimate × (1 + margin); never above the cap. Defaults 2000 bps, 16,777,216. */
  gasMarginBps?: number;
  gasCap?: bigint;
  /** Where `BatchSettled` logs are searched on restart. Default 0. */
  fromBlock?: bigint;
  /** Stop waits this long for queued fills to be posted. Default 30 s. */
  flushTimeoutMs?: number;
  /** Healthy while the last loop iteration is younger than this. Default 30 s. */
  maxHeartbeatAgeMs?: number;
  logger: Logger;
  /** Metrics go to this registry (the node's `/metrics`). */
  registry?: Registry;
  /** After each settled batch (e.g. feed the intake's quote-to-trade ratio). */
  onSettled?: (outcome: BatchOutcome, fills: readonly MatchedFill[]) => void;
  now?: () => number;
};

type InFlight = { index: bigint; fills: MatchedFill[]; tx: TrackedTx | undefined };

/**
 * The batch poster (SPEC §5): queues the engine's fills, cuts a batch by size or age, journals it
 * BEFORE sending, simulates `settleBatch(index, fills)`, sends it through the nonce manager and, from
 * the receipt's `FillSkipped` events, drops the orders at fault and gives their counterparties the
 * size back, then marks the batch confirmed. One batch is in flight at a time.
 *
 * Restart (`init`): a journaled batch below the chain's `nextBatchIndex(keeper)` was applied and is
 * confirmed from its events, never re-sent; the one at the chain's index is re-sent with the same
 * content. So a fill applies at most once on chain (INV-7) and is counted at most once in the journal.
 */
export class BatchPoster implements Bot {
  readonly name = "batch-poster";
  readonly keeper: Address;
  private readonly _o: BatchPosterOptions;
  private readonly _limits: BatchLimits;
  private readonly _now: () => number;
  private readonly _log: Logger;
  private readonly _m: BatchPosterMetrics | undefined;
  private _queue: MatchedFill[] = [];
  private _oldestAt = 0;
  private _inFlight: InFlight | undefined;
  private _running = false;
  private _stopping = false;
  private _loop: Promise<void> | undefined;
  private _wake: (() => void) | undefined;
  private _lastBeat: number | null = null;
  private _lastError: string | undefined;
  private _errorStreak = 0;

  constructor(options: BatchPosterOptions) {
    this._o = options;
    this.keeper = options.nonceManager.address;
    this._limits = { maxFills: 100, maxAgeMs: 250, ...options.limits };
    if (!(this._limits.maxFills >= 1)) throw new RangeError("maxFills must be at least 1");
    this._now = options.now ?? Date.now;
    this._log = options.logger.child({ component: this.name });
    this._m = options.registry === undefined ? undefined : new BatchPosterMetrics(options.registry, this);
  }

  /** Fills waiting for a batch. */
  get queued(): number {
    return this._queue.length;
  }

  /** The batch being posted, if any. */
  get inFlight(): { index: bigint; fills: number } | undefined {
    return this._inFlight && { index: this._inFlight.index, fills: this._inFlight.fills.length };
  }

  /** Queues a matched fill (the matcher's `onFill`). */
  enqueue(fill: MatchedFill): void {
    if (this._queue.length === 0) this._oldestAt = this._now();
    this._queue.push(fill);
    if (this._queue.length >= this._limits.maxFills) this._wake?.();
  }

  async init(): Promise<void> {
    const onChainNext = await this._nextOnChain();
    for (const batch of this._o.journal.pendingBatches()) {
      if (batch.index < onChainNext) {
        const outcome = await findBatchOutcome(this._o.client, {
          clearinghouse: this._o.clearinghouse,
          keeper: this.keeper,
          batchIndex: batch.index,
          fromBlock: this._o.fromBlock ?? 0n,
        });
        const fills = this._fillsFromJournal(batch.index, batch.fills);
        if (outcome === undefined) {
          this._log.warn({ batchIndex: batch.index }, "batch applied on chain but its events were not found");
          this._o.journal.markBatchConfirmed(batch.index);
        } else {
          // The book is not loaded yet: journal only (the replay then places the right remainders).
          this._confirm(batch.index, fills, outcome, { restore: false });
        }
        this._log.info({ batchIndex: batch.index }, "confirmed a batch posted before the restart from chain events");
      } else if (batch.index === onChainNext) {
        this._inFlight = { index: batch.index, fills: this._fillsFromJournal(batch.index, batch.fills), tx: undefined };
        this._log.info(
          { batchIndex: batch.index, fills: batch.fills.length },
          "re-sending the batch the chain has not applied",
        );
      } else {
        throw new Error(
          `journal batch ${batch.index} is ahead of the chain's next index ${onChainNext}: wrong chain or deployment?`,
        );
      }
    }
    if (this._inFlight === undefined && this._o.journal.nextBatchIndex() !== onChainNext) {
      this._log.warn(
        { journal: this._o.journal.nextBatchIndex(), chain: onChainNext },
        "journal batch index differs from the chain's; following the chain",
      );
      this._o.journal.setNextBatchIndex(onChainNext);
    }
    this._lastBeat = this._now();
  }

  async start(): Promise<void> {
    if (this._running) return;
    this._running = true;
    this._stopping = false;
    this._loop = this._run();
  }

  async stop(): Promise<void> {
    if (!this._running) return;
    this._stopping = true;
    this._wake?.();
    await this._loop;
    this._running = false;
  }

  healthCheck(): BotHealth {
    const maxAge = this._o.maxHeartbeatAgeMs ?? 30_000;
    const healthy = this._lastBeat !== null && this._now() - this._lastBeat <= maxAge && this._errorStreak < 5;
    return {
      healthy,
      lastHeartbeatMs: this._lastBeat,
      ...(this._lastError === undefined ? {} : { detail: this._lastError }),
    };
  }

  // ------------------------------------------------------------------------------ the loop

  private async _run(): Promise<void> {
    const flushDeadline = () => this._now() + (this._o.flushTimeoutMs ?? 30_000);
    let deadline: number | undefined;
    for (;;) {
      if (this._stopping) {
        deadline ??= flushDeadline();
        const idle = this._inFlight === undefined && this._queue.length === 0;
        if (idle || this._now() > deadline) {
          if (!idle) this._log.warn({ queued: this._queue.length }, "stopping with fills not posted");
          return;
        }
      }
      try {
        if (this._inFlight === undefined && this._due()) this._cut();
        if (this._inFlight !== undefined) await this._post(this._inFlight);
        this._errorStreak = 0;
        this._lastBeat = this._now();
      } catch (error) {
        this._errorStreak++;
        this._lastError = String((error as Error)?.message ?? error).split("\n")[0];
        this._m?.errors.inc();
        this._log.error({ err: error, batch: this._inFlight?.index }, "posting a batch failed; retrying");
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(this._errorStreak, 6)));
        continue;
      }
      if (this._inFlight === undefined && !this._due())
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this._o.pollMs ?? 25);
          this._wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      this._wake = undefined;
    }
  }

  private _due(): boolean {
    if (this._queue.length === 0) return false;
    return (
      this._stopping ||
      this._queue.length >= this._limits.maxFills ||
      this._now() - this._oldestAt >= this._limits.maxAgeMs
    );
  }

  /** Takes the next batch off the queue and journals it before anything is sent. */
  private _cut(): void {
    const fills = this._queue.splice(0, this._limits.maxFills);
    if (this._queue.length > 0) this._oldestAt = this._now();
    const index = this._o.journal.nextBatchIndex();
    this._o.journal.recordBatch({
      index,
      fills: fills.map((f) => ({ makerHash: f.maker.hash, takerHash: f.taker.hash, size: f.size })),
    });
    this._inFlight = { index, fills, tx: undefined };
    this._m?.queued.set(this._queue.length);
  }

  private async _post(batch: InFlight): Promise<void> {
    const started = this._now();
    let receipt: TransactionReceipt | undefined;
    if (batch.tx === undefined) {
      const onChainNext = await this._nextOnChain();
      if (onChainNext > batch.index) {
        // Applied already (a receipt we never saw): confirm from the chain, never send again.
        const outcome = await findBatchOutcome(this._o.client, {
          clearinghouse: this._o.clearinghouse,
          keeper: this.keeper,
          batchIndex: batch.index,
          fromBlock: this._o.fromBlock ?? 0n,
        });
        if (outcome === undefined) throw new Error(`batch ${batch.index} is applied but its events are not found`);
        this._finish(batch, outcome, started);
        return;
      }
      if (onChainNext < batch.index) {
        throw new Error(`the chain's next batch index ${onChainNext} is behind batch ${batch.index}`);
      }
      const data = encodeBatch({
        fills: batch.fills.map((f) => ({
          size: f.size,
          maker: { order: f.maker.order, signature: f.maker.signature },
          taker: { order: f.taker.order, signature: f.taker.signature },
        })),
      });
      const call = {
        address: this._o.clearinghouse,
        abi: clearinghouseAbi,
        functionName: "settleBatch",
        args: [batch.index, data],
        account: this.keeper,
      } as const;
      // Simulate first: a revert (not registered, out of sequence, malformed) costs no gas and says why.
      await this._o.client.simulateContract(call);
      const estimate = await this._o.client.estimateContractGas(call);
      const cap = this._o.gasCap ?? 16_777_216n;
      const withMargin = (estimate * BigInt(10_000 + (this._o.gasMarginBps ?? 2_000))) / 10_000n;
      const gas = withMargin > cap ? cap : withMargin;
      batch.tx = await this._o.nonceManager.send(
        { to: this._o.clearinghouse, data: encodeFunctionData(call), gas },
        { label: `batch-${batch.index}` },
      );
      this._o.journal.setBatchTxHash(batch.index, batch.tx.attempts.at(-1)!.hash);
      this._log.info(
        {
          batchIndex: batch.index,
          fills: batch.fills.length,
          tx: batch.tx.attempts.at(-1)!.hash,
          nonce: batch.tx.nonce,
        },
        "batch sent",
      );
    }
    try {
      receipt = await this._o.nonceManager.waitForReceipt(batch.tx, { timeoutMs: this._o.receiptTimeoutMs ?? 60_000 });
    } catch (error) {
      if (error instanceof TransactionTimeoutError) throw error; // keep `batch.tx`: the next try waits on it again
      batch.tx = undefined; // nonce consumed elsewhere: re-check the chain and re-send
      throw error;
    }
    this._o.journal.setBatchTxHash(batch.index, receipt.transactionHash);
    if (receipt.status !== "success") {
      batch.tx = undefined; // nothing applied: simulate and send again
      throw new Error(`batch ${batch.index} reverted in ${receipt.transactionHash}`);
    }
    this._finish(batch, batchOutcome(receipt, this._o.clearinghouse, batch.index), started);
  }

  private _finish(batch: InFlight, outcome: BatchOutcome, started: number): void {
    this._confirm(batch.index, batch.fills, outcome, { restore: true });
    this._inFlight = undefined;
    this._m?.batches.inc();
    this._m?.fills.inc({ result: "settled" }, batch.fills.length - outcome.skipped.length);
    this._m?.fills.inc({ result: "skipped" }, outcome.skipped.length);
    this._m?.latency.observe((this._now() - started) / 1000);
    this._log.info(
      {
        batchIndex: batch.index,
        tx: outcome.transactionHash,
        settled: batch.fills.length - outcome.skipped.length,
        skipped: outcome.skipped.length,
      },
      "batch settled",
    );
    this._o.onSettled?.(outcome, batch.fills);
  }

  /** Marks the batch confirmed (once) and reconciles the fills the chain skipped. */
  private _confirm(
    index: bigint,
    fills: readonly MatchedFill[],
    outcome: BatchOutcome,
    { restore }: { restore: boolean },
  ): void {
    const applied = this._o.journal.markBatchConfirmed(index, { skipped: outcome.skipped.map((s) => s.fillIndex) });
    if (!applied) return;
    const atFault = new Set<string>();
    for (const s of outcome.skipped) {
      const reason = skipReasonName(s.reason);
      this._log.warn({ batchIndex: index, fillIndex: s.fillIndex, orderHash: s.orderHash, reason }, "fill skipped");
      atFault.add(s.orderHash.toLowerCase());
      const status =
        s.reason === SkipReason.Expired ? "expired" : s.reason === SkipReason.Overfilled ? "filled" : "cancelled";
      if (this._o.reconciler !== undefined) this._o.reconciler.drop(s.orderHash, status, reason);
      else this._o.journal.closeOrder(s.orderHash, status);
    }
    if (!restore || this._o.reconciler === undefined) return;
    for (const s of outcome.skipped) {
      const fill = fills[s.fillIndex];
      if (fill === undefined) continue;
      for (const side of [fill.maker, fill.taker]) {
        if (!atFault.has(side.hash.toLowerCase())) this._o.reconciler.restore(side.hash, fill.size);
      }
    }
  }

  private _fillsFromJournal(
    index: bigint,
    fills: readonly { makerHash: Hex; takerHash: Hex; size: bigint }[],
  ): MatchedFill[] {
    return fills.map((f) => {
      const maker = this._o.journal.getOrder(f.makerHash);
      const taker = this._o.journal.getOrder(f.takerHash);
      if (maker === undefined || taker === undefined)
        throw new Error(`batch ${index} names an order not in the journal`);
      return {
        market: maker.order.market,
        maker: { hash: maker.hash, order: maker.order, signature: maker.signature },
        taker: { hash: taker.hash, order: taker.order, signature: taker.signature },
        size: f.size,
        price: maker.order.limitPrice,
      };
    });
  }

  private async _nextOnChain(): Promise<bigint> {
    const next = await this._o.client.readContract({
      address: this._o.clearinghouse,
      abi: clearinghouseAbi,
      functionName: "nextBatchIndex",
      args: [this.keeper],
    });
    return BigInt(next);
  }
}

function skipReasonName(reason: number): string {
  return Object.entries(SkipReason).find(([, v]) => v === reason)?.[0] ?? `reason ${reason}`;
}

class BatchPosterMetrics {
  readonly batches: Counter;
  readonly fills: Counter<"result">;
  readonly errors: Counter;
  readonly latency: Histogram;
  readonly queued: Gauge;

  constructor(registry: Registry, poster: BatchPoster) {
    const registers = [registry];
    this.batches = new Counter({ name: "lucent_batches_settled_total", help: "Batches settled on chain", registers });
    this.fills = new Counter({
      name: "lucent_batch_fills_total",
      help: "Fills posted, by on-chain result (settled or skipped)",
      labelNames: ["result"] as const,
      registers,
    });
    this.errors = new Counter({
      name: "lucent_batch_post_errors_total",
      help: "Failed attempts to post a batch (each is retried)",
      registers,
    });
    this.latency = new Histogram({
      name: "lucent_batch_post_seconds",
      help: "From the first send attempt to the confirmed receipt",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60],
      registers,
    });
    this.queued = new Gauge({
      name: "lucent_batch_queue_fills",
      help: "Matched fills waiting for a batch",
      registers,
      collect() {
        this.set(poster.queued);
      },
    });
  }
}
