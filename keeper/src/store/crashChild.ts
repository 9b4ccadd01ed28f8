// Test fixture for journal.test.ts: journals orders as fast as it can and prints each hash once its
// commit has resolved (= the moment the intake would acknowledge it). The parent SIGKILLs it mid-run.
import { Journal } from "./journal.js";
import { randomNewOrder } from "./testOrders.js";

const [path, synchronous] = process.argv.slice(2) as [string, "FULL" | "NORMAL"];
const journal = new Journal({ path, synchronous });
let acked = 0;
async function burst(): Promise<void> {
  const orders = Array.from({ length: 50 }, () => randomNewOrder());
  await Promise.all(
    orders.map(async (o) => {
      if ((await journal.appendOrder(o)) === "accepted") {
        process.stdout.write(`${o.hash}\n`);
        acked++;
      }
    }),
  );
  // Bounded: the parent kills us long before this, but never loop forever.
  if (acked < 1_000_000) setImmediate(() => void burst());
}
void burst();
