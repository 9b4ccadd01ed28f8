import { Worker } from "node:worker_threads";
import type { LucentDomain, Order } from "../../../sdk/src/index.js";
import {
  CANCEL_STRUCT_BYTES,
  domainSeparatorOf,
  encodeCancelStruct,
  encodeOrderStruct,
  ORDER_STRUCT_BYTES,
} from "./orderStruct.js";
import type { ParsedSignature } from "./signature.js";
import { ITEM_BYTES, RESULT_BYTES, nativeKeccak, nativeSecp256k1, verifyItems } from "./verifyCore.js";

/** What a signature check found: the EIP-712 digest, and who signed it (undefined: nothing recovers). */
export type Verified = { digest: Buffer; signer: Buffer | undefined };

export type SignatureVerifierOptions = {
  domain: LucentDomain;
  /**
   * Verifier threads. 0 verifies on the calling thread (tests, tiny deployments); the default is
   * one per core, since signature recovery is the intake's dominant cost (~50 µs an order).
   */
  threads?: number;
  /** Most items sent to a thread in one message. */
  maxBatch?: number;
};

type Pending = (result: Verified) => void;

type WorkerSlot = {
  worker: Worker;
  inFlight: number;
  batches: Map<number, Pending[]>;
};

/**
 * EIP-712 digest and signer recovery for orders and cancels, spread over worker threads.
 * Calls made in the same turn of the event loop are packed into one message per thread, so a
 * burst of orders costs one postMessage per few hundred signatures.
 */
export class SignatureVerifier {
  readonly domainSeparator: Buffer;
  readonly nativeKeccak = nativeKeccak;
  readonly nativeSecp256k1 = nativeSecp256k1;
  private readonly _slots: WorkerSlot[] = [];
  private readonly _maxBatch: number;
  private readonly _free: ArrayBuffer[] = [];
  private _items: Buffer;
  private _callbacks: Pending[] = [];
  private _scheduled = false;
  private _nextId = 0;
  private _closed = false;

  private constructor(domain: LucentDomain, maxBatch: number) {
    this.domainSeparator = domainSeparatorOf(domain);
    this._maxBatch = maxBatch;
    this._items = this._takeBuffer();
  }

  /** Starts the verifier threads and waits until each has loaded its native libraries. */
  static async create({ domain, threads, maxBatch = 256 }: SignatureVerifierOptions): Promise<SignatureVerifier> {
    const verifier = new SignatureVerifier(domain, maxBatch);
    const count = threads ?? (await import("node:os")).availableParallelism();
    const url = new URL("./verifyWorker.js", import.meta.url);
    await Promise.all(
      Array.from({ length: count }, async () => {
        // No TypeScript loader is needed: the worker and verifyCore.js are plain JavaScript.
        const worker = new Worker(url, { workerData: { domainSeparator: verifier.domainSeparator }, execArgv: [] });
        const slot: WorkerSlot = { worker, inFlight: 0, batches: new Map() };
        await new Promise<void>((resolve, reject) => {
          worker.once("error", reject);
          worker.once("message", () => {
            worker.off("error", reject);
            resolve();
          });
        });
        worker.on("message", (msg: { id: number; results: ArrayBuffer; items: ArrayBuffer }) =>
          verifier._onResults(slot, msg),
        );
        worker.on("error", (err) => verifier._onWorkerError(slot, err));
        worker.on("exit", (code) => {
          if (!verifier._closed) verifier._onWorkerError(slot, new Error(`exited with code ${code}`));
        });
        verifier._slots.push(slot);
      }),
    );
    return verifier;
  }

  /** The digest (= `hashOrder`) of `order` and the address that made `signature` over it. */
  verifyOrder(order: Order, signature: ParsedSignature): Promise<Verified> {
    const offset = this._reserve();
    this._items[offset] = ORDER_STRUCT_BYTES / 32;
    this._items[offset + 1] = signature.recid;
    signature.rs.copy(this._items, offset + 2);
    encodeOrderStruct(order, this._items, offset + 66);
    return this._enqueue();
  }

  /** The digest of a `CancelOrder(orderHash)` message and the address that signed it. */
  verifyCancel(orderHash: Uint8Array, signature: ParsedSignature): Promise<Verified> {
    const offset = this._reserve();
    this._items[offset] = CANCEL_STRUCT_BYTES / 32;
    this._items[offset + 1] = signature.recid;
    signature.rs.copy(this._items, offset + 2);
    encodeCancelStruct(orderHash, this._items, offset + 66);
    return this._enqueue();
  }

  /** Stops the threads; pending checks resolve as unverified. */
  async close(): Promise<void> {
    this._closed = true;
    for (const slot of this._slots) {
      for (const callbacks of slot.batches.values()) for (const cb of callbacks) cb(UNVERIFIED);
      slot.batches.clear();
    }
    await Promise.all(this._slots.map((s) => s.worker.terminate()));
    this._slots.length = 0;
  }

  private _takeBuffer(): Buffer {
    const ab = this._free.pop() ?? new ArrayBuffer(this._maxBatch * ITEM_BYTES);
    return Buffer.from(ab);
  }

  private _reserve(): number {
    if (this._closed) throw new Error("SignatureVerifier is closed");
    if (this._callbacks.length === this._maxBatch) this._flush();
    return this._callbacks.length * ITEM_BYTES;
  }

  private _enqueue(): Promise<Verified> {
    const promise = new Promise<Verified>((resolve) => this._callbacks.push(resolve));
    if (!this._scheduled) {
      this._scheduled = true;
      setImmediate(() => {
        this._scheduled = false;
        this._flush();
      });
    }
    return promise;
  }

  private _flush(): void {
    const callbacks = this._callbacks;
    const count = callbacks.length;
    if (count === 0) return;
    const items = this._items;
    this._callbacks = [];
    this._items = this._takeBuffer();
    if (this._slots.length === 0) {
      const results = Buffer.alloc(count * RESULT_BYTES);
      verifyItems(items, count, this.domainSeparator, results);
      this._free.push(items.buffer as ArrayBuffer);
      deliver(results, callbacks);
      return;
    }
    let slot = this._slots[0]!;
    for (const s of this._slots) if (s.inFlight < slot.inFlight) slot = s;
    const id = this._nextId++;
    slot.batches.set(id, callbacks);
    slot.inFlight += count;
    const ab = items.buffer as ArrayBuffer;
    slot.worker.postMessage({ id, count, items: ab }, [ab]);
  }

  private _onResults(slot: WorkerSlot, msg: { id: number; results: ArrayBuffer; items: ArrayBuffer }): void {
    const callbacks = slot.batches.get(msg.id);
    if (callbacks === undefined) return;
    slot.batches.delete(msg.id);
    slot.inFlight -= callbacks.length;
    if (msg.items.byteLength === this._maxBatch * ITEM_BYTES) this._free.push(msg.items);
    deliver(Buffer.from(msg.results), callbacks);
  }

  private _onWorkerError(slot: WorkerSlot, err: unknown): void {
    // A crashed thread fails its pending checks closed (unverified → rejected) and leaves the pool.
    for (const callbacks of slot.batches.values()) for (const cb of callbacks) cb(UNVERIFIED);
    slot.batches.clear();
    const i = this._slots.indexOf(slot);
    if (i < 0) return;
    this._slots.splice(i, 1);
    process.emitWarning(`signature verifier thread failed: ${String(err)}`);
  }
}

const UNVERIFIED: Verified = { digest: Buffer.alloc(32), signer: undefined };

function deliver(results: Buffer, callbacks: Pending[]): void {
  for (let i = 0; i < callbacks.length; i++) {
    const o = i * RESULT_BYTES;
    const digest = results.subarray(o + 1, o + 33);
    callbacks[i]!({ digest, signer: results[o] === 1 ? results.subarray(o + 33, o + 53) : undefined });
  }
}
