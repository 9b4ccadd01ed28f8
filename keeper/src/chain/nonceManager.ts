import {
  keccak256,
  RpcRequestError,
  TransactionReceiptNotFoundError,
  BaseError,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import type { KeeperPublicClient } from "./clients.js";
import { sleep } from "./failoverTransport.js";

/** A transaction to send: calldata, value and a gas limit (estimate it first; the manager does not). */
export type TxRequest = { to: Address; data: Hex; value?: bigint; gas: bigint };

/** One signed version of a transaction (same nonce, same payload, its own fees). */
export type TxAttempt = {
  hash: Hex;
  raw: Hex;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** When it was (last) handed to a node, ms since the epoch: "stuck" is measured from here. */
  sentAt: number;
  /** False until a node accepted it (or said it already knows it). */
  broadcast: boolean;
  /** A node refused it as underpriced: bump without waiting for the stuck timer. */
  underpriced: boolean;
};

/** Every hash sent for one nonce, oldest first; `receipt` once one of them is mined. */
export type TrackedTx = {
  label: string;
  nonce: number;
  request: TxRequest;
  attempts: TxAttempt[];
  firstSentAt: number;
  receipt: TransactionReceipt | undefined;
};

export type NonceManagerEvent =
  | { type: "sent"; tx: TrackedTx; attempt: TxAttempt }
  | { type: "bumped"; tx: TrackedTx; attempt: TxAttempt; stuckMs: number }
  | { type: "broadcast-failed"; tx: TrackedTx; attempt: TxAttempt; error: string }
  | { type: "mined"; tx: TrackedTx; receipt: TransactionReceipt }
  | { type: "resynced"; next: number; latest: number; pending: number };

export type NonceManagerOptions = {
  client: KeeperPublicClient;
  account: PrivateKeyAccount;
  /** A transaction not mined this long after its last submission is replaced with higher fees. Default 15 s. */
  stuckAfterMs?: number;
  /** Fee increase per replacement, in basis points; at least 1250 (+12.5%, what nodes require). */
  bumpBps?: number;
  /** Replacements per nonce before the manager only re-broadcasts. Default 5. */
  maxBumps?: number;
  /** Never offer more than this maxFeePerGas (wei). */
  maxFeePerGasCap?: bigint;
  /** Receipt polling. Default 250 ms. */
  pollMs?: number;
  now?: () => number;
  onEvent?: (event: NonceManagerEvent) => void;
};

export class TransactionTimeoutError extends Error {
  override name = "TransactionTimeoutError";
  constructor(readonly tx: TrackedTx) {
    super(`transaction ${tx.label} (nonce ${tx.nonce}) not mined; hashes ${tx.attempts.map((a) => a.hash).join(", ")}`);
  }
}

/** The nonce was used by a transaction this manager did not send (another process with the same key). */
export class NonceConsumedError extends Error {
  override name = "NonceConsumedError";
  constructor(readonly tx: TrackedTx) {
    super(`nonce ${tx.nonce} of ${tx.label} was consumed by a transaction this keeper did not send`);
  }
}

const MIN_BUMP_BPS = 1250;

/**
 * Assigns nonces to the keeper's transactions, signs them locally, tracks every hash sent per nonce,
 * replaces a transaction that stays unmined `stuckAfterMs` after its last submission with both EIP-1559
 * fees raised by at least 12.5%, and resynchronizes from the chain on start (`reconcile`).
 */
export class NonceManager {
  readonly address: Address;
  /** Transactions sent and not yet mined, by nonce. */
  readonly inFlight = new Map<number, TrackedTx>();
  private readonly _o: Required<Omit<NonceManagerOptions, "maxFeePerGasCap" | "onEvent">> &
    Pick<NonceManagerOptions, "maxFeePerGasCap" | "onEvent">;
  private _next: number | undefined;
  private _lock: Promise<unknown> = Promise.resolve();

  constructor(options: NonceManagerOptions) {
    this._o = {
      stuckAfterMs: 15_000,
      bumpBps: MIN_BUMP_BPS,
      maxBumps: 5,
      pollMs: 250,
      now: Date.now,
      ...options,
    };
    if (this._o.bumpBps < MIN_BUMP_BPS) throw new RangeError(`bumpBps must be at least ${MIN_BUMP_BPS} (+12.5%)`);
    this.address = options.account.address;
  }

  /** The nonce the next transaction gets (after {@link reconcile}). */
  get nextNonce(): number | undefined {
    return this._next;
  }

  /**
   * On start: reads the account's latest and pending nonces. Transactions pending from before a restart
   * (hashes this process never saw) get `waitMs` to be mined; whatever is still pending then is replaced
   * by a zero-value transfer to self at twice the current fees, so the next nonce is free and known.
   */
  async reconcile({ waitMs = 10_000 }: { waitMs?: number } = {}): Promise<{ latest: number; pending: number }> {
    return this._locked(async () => {
      const read = async () => {
        const [latest, pending] = await Promise.all([
          this._o.client.getTransactionCount({ address: this.address, blockTag: "latest" }),
          this._o.client.getTransactionCount({ address: this.address, blockTag: "pending" }),
        ]);
        return { latest, pending: Math.max(latest, pending) };
      };
      let counts = await read();
      const first = counts;
      const deadline = this._o.now() + waitMs;
      while (counts.pending > counts.latest && this._o.now() < deadline) {
        await sleep(this._o.pollMs);
        counts = await read();
      }
      if (counts.pending > counts.latest) {
        const fees = await this._o.client.estimateFeesPerGas();
        const cancels: TrackedTx[] = [];
        for (let nonce = counts.latest; nonce < counts.pending; nonce++) {
          const tx = this._track(`cancel-unknown-${nonce}`, nonce, { to: this.address, data: "0x", gas: 21_000n });
          await this._sign(tx, fees.maxFeePerGas * 2n, fees.maxPriorityFeePerGas * 2n);
          await this._broadcast(tx, tx.attempts.at(-1)!);
          cancels.push(tx);
        }
        for (const tx of cancels) await this.waitForReceipt(tx, { timeoutMs: waitMs + 10 * this._o.stuckAfterMs });
        counts = await read();
      }
      this._next = counts.latest;
      this._o.onEvent?.({ type: "resynced", next: this._next, latest: first.latest, pending: first.pending });
      return first;
    });
  }

  /** Signs `request` with the next nonce at the current fees and broadcasts it; returns its tracker. */
  async send(request: TxRequest, { label = "tx" }: { label?: string } = {}): Promise<TrackedTx> {
    return this._locked(async () => {
      if (this._next === undefined) {
        this._next = await this._o.client.getTransactionCount({ address: this.address, blockTag: "pending" });
      }
      const fees = await this._o.client.estimateFeesPerGas();
      for (let tries = 0; ; tries++) {
        const tx = this._track(label, this._next, request);
        const attempt = await this._sign(tx, fees.maxFeePerGas, fees.maxPriorityFeePerGas);
        const result = await this._broadcast(tx, attempt);
        if (result === "nonce-too-low" && tries < 2) {
          // Someone else used this nonce (or our count was stale): resync and sign again.
          this.inFlight.delete(tx.nonce);
          this._next = await this._o.client.getTransactionCount({ address: this.address, blockTag: "pending" });
          continue;
        }
        this._next = tx.nonce + 1;
        this._o.onEvent?.({ type: "sent", tx, attempt });
        return tx;
      }
    });
  }

  /**
   * Polls the receipts of every hash sent for `tx` until one is mined; re-broadcasts attempts no node
   * has accepted yet, and replaces the transaction with bumped fees once it is stuck. Bounded by
   * `timeoutMs` (and `signal`); the transaction stays tracked, so waiting again resumes.
   */
  async waitForReceipt(
    tx: TrackedTx,
    { timeoutMs = 120_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<TransactionReceipt> {
    const deadline = this._o.now() + timeoutMs;
    let consumedSeen = 0;
    for (;;) {
      if (tx.receipt !== undefined) return tx.receipt;
      for (const attempt of [...tx.attempts].reverse()) {
        try {
          const receipt = await this._o.client.getTransactionReceipt({ hash: attempt.hash });
          tx.receipt = receipt;
          this.inFlight.delete(tx.nonce);
          this._o.onEvent?.({ type: "mined", tx, receipt });
          return receipt;
        } catch (error) {
          if (!(error instanceof TransactionReceiptNotFoundError)) break; // RPC trouble: try again next poll
        }
      }
      const last = tx.attempts.at(-1)!;
      const now = this._o.now();
      try {
        if (!last.broadcast && !last.underpriced) {
          await this._broadcast(tx, last);
        } else if (last.underpriced || now - last.sentAt >= this._o.stuckAfterMs) {
          await this._bump(tx, now - last.sentAt);
        }
        const latest = await this._o.client.getTransactionCount({ address: this.address, blockTag: "latest" });
        // Mined by a hash we did not send? Give the receipt lookups one more round before saying so.
        if (latest > tx.nonce && ++consumedSeen > 2) throw new NonceConsumedError(tx);
      } catch (error) {
        if (error instanceof NonceConsumedError) {
          this.inFlight.delete(tx.nonce);
          throw error;
        }
        // RPC trouble: the loop retries.
      }
      if (this._o.now() >= deadline || signal?.aborted) throw new TransactionTimeoutError(tx);
      await sleep(this._o.pollMs);
    }
  }

  private _track(label: string, nonce: number, request: TxRequest): TrackedTx {
    const tx: TrackedTx = { label, nonce, request, attempts: [], firstSentAt: this._o.now(), receipt: undefined };
    this.inFlight.set(nonce, tx);
    return tx;
  }

  private async _sign(tx: TrackedTx, maxFeePerGas: bigint, maxPriorityFeePerGas: bigint): Promise<TxAttempt> {
    const cap = this._o.maxFeePerGasCap;
    if (cap !== undefined && maxFeePerGas > cap) maxFeePerGas = cap;
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
    const raw = await this._o.account.signTransaction({
      type: "eip1559",
      chainId: this._o.client.chain.id,
      nonce: tx.nonce,
      to: tx.request.to,
      data: tx.request.data,
      value: tx.request.value ?? 0n,
      gas: tx.request.gas,
      maxFeePerGas,
      maxPriorityFeePerGas,
    });
    const attempt: TxAttempt = {
      hash: keccak256(raw),
      raw,
      maxFeePerGas,
      maxPriorityFeePerGas,
      sentAt: this._o.now(),
      broadcast: false,
      underpriced: false,
    };
    tx.attempts.push(attempt);
    return attempt;
  }

  /** Replaces `tx` at the same nonce with both fees raised by at least `bumpBps` (and to the market's). */
  private async _bump(tx: TrackedTx, stuckMs: number): Promise<void> {
    const last = tx.attempts.at(-1)!;
    const replacements = tx.attempts.length - 1;
    const cap = this._o.maxFeePerGasCap;
    if (replacements >= this._o.maxBumps || (cap !== undefined && last.maxFeePerGas >= cap)) {
      last.underpriced = false;
      await this._broadcast(tx, last); // out of bumps: keep it in the mempools
      return;
    }
    const market = await this._o.client.estimateFeesPerGas().catch(() => undefined);
    const bump = (fee: bigint) => {
      const raised = (fee * BigInt(10_000 + this._o.bumpBps) + 9_999n) / 10_000n;
      return raised > fee ? raised : fee + 1n;
    };
    const priority = max(bump(last.maxPriorityFeePerGas), market?.maxPriorityFeePerGas ?? 0n);
    const maxFee = max(bump(last.maxFeePerGas), market?.maxFeePerGas ?? 0n, priority);
    const attempt = await this._sign(tx, maxFee, priority);
    this._o.onEvent?.({ type: "bumped", tx, attempt, stuckMs });
    await this._broadcast(tx, attempt);
  }

  private async _broadcast(tx: TrackedTx, attempt: TxAttempt): Promise<"ok" | "nonce-too-low" | "failed"> {
    attempt.sentAt = this._o.now();
    try {
      await this._o.client.request({ method: "eth_sendRawTransaction", params: [attempt.raw] });
      attempt.broadcast = true;
      return "ok";
    } catch (error) {
      const message = errorText(error);
      if (/already known|known transaction|already imported|already exists/i.test(message)) {
        attempt.broadcast = true;
        return "ok";
      }
      this._o.onEvent?.({ type: "broadcast-failed", tx, attempt, error: message.split("\n")[0] ?? message });
      if (/underpriced|fee too low|replacement/i.test(message)) {
        attempt.broadcast = true;
        attempt.underpriced = true;
        return "failed";
      }
      if (/nonce too low|nonce has already been used|invalid nonce/i.test(message)) {
        attempt.broadcast = true; // a transaction with this nonce is mined: the receipt lookup settles which
        return "nonce-too-low";
      }
      return "failed"; // transport trouble: `waitForReceipt` re-broadcasts
    }
  }

  private _locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this._lock.then(fn, fn);
    this._lock = run.catch(() => undefined);
    return run;
  }
}

function max(...values: bigint[]): bigint {
  return values.reduce((a, b) => (a > b ? a : b));
}

function errorText(error: unknown): string {
  if (error instanceof RpcRequestError) return error.details || error.shortMessage;
  if (error instanceof BaseError) return `${error.shortMessage} ${error.details ?? ""}`;
  return String((error as Error)?.message ?? error);
}
