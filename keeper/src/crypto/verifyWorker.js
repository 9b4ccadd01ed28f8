// A verifier thread of verifierPool.ts: receives packed batches, answers with packed results.
import { parentPort, workerData } from "node:worker_threads";
import { ITEM_BYTES, RESULT_BYTES, verifyItems, nativeKeccak, nativeSecp256k1 } from "./verifyCore.js";

const domainSeparator = Buffer.from(workerData.domainSeparator);
if (parentPort === null) throw new Error("verifyWorker.js must run in a worker thread");
const port = parentPort;
port.postMessage({ ready: true, nativeKeccak, nativeSecp256k1 });
port.on("message", (msg) => {
  const items = new Uint8Array(msg.items);
  if (items.byteLength < msg.count * ITEM_BYTES) throw new Error("verifyWorker: truncated batch");
  const results = new Uint8Array(msg.count * RESULT_BYTES);
  verifyItems(items, msg.count, domainSeparator, results);
  port.postMessage({ id: msg.id, results: results.buffer, items: msg.items }, [results.buffer, msg.items]);
});
