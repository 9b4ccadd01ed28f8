import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Journal, JournalError } from "./journal.js";
import { randomNewOrder } from "./testOrders.js";

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "lucent-journal-"));
  dirs.push(dir);
  return join(dir, "journal.db");
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("Journal", () => {
  it("recovers every order, cancel and batch after reopening", async () => {
    const path = tempDb();
    const j = new Journal({ path });
    const orders = Array.from({ length: 500 }, () => randomNewOrder());
    expect(await Promise.all(orders.map((o) => j.appendOrder(o)))).toEqual(orders.map(() => "accepted"));
    expect(await j.appendCancel({ orderHash: orders[3]!.hash, signature: orders[3]!.signature, receivedAt: 1 })).toBe(
      "cancelled",
    );
    j.close();

    const reopened = new Journal({ path });
    const open = reopened.openOrders();
    expect(open).toHaveLength(499);
    // Acceptance order, and every field back exactly.
    const expected = orders.filter((_, i) => i !== 3);
    open.forEach((o, i) => {
      const e = expected[i]!;
      expect(o.hash).toBe(e.hash);
      expect(o.signature).toBe(e.signature);
      expect(o.receivedAt).toBe(e.receivedAt);
      expect(o.order).toEqual({ ...e.order, trader: e.order.trader.toLowerCase() });
      expect(o.status).toBe("open");
      expect(o.filled).toBe(0n);
    });
    expect(reopened.getOrder(orders[3]!.hash)?.status).toBe("cancelled");
    expect(reopened.countOrders()).toEqual({ open: 499, filled: 0, cancelled: 1, expired: 0 });
    reopened.close();
  });

  it("reports duplicates, including two copies in the same group commit", async () => {
    const j = new Journal({ path: ":memory:" });
    const o = randomNewOrder();
    expect(await Promise.all([j.appendOrder(o), j.appendOrder(o)])).toEqual(["accepted", "duplicate"]);
    expect(await j.appendOrder(o)).toBe("duplicate");
    expect(j.stats.commits).toBe(2);
    j.close();
  });

  it("answers cancels of unknown and closed orders", async () => {
    const j = new Journal({ path: ":memory:" });
    const o = randomNewOrder();
    await j.appendOrder(o);
    const cancel = { orderHash: o.hash, signature: o.signature, receivedAt: 0 };
    expect(await j.appendCancel({ ...cancel, orderHash: randomNewOrder().hash })).toBe("unknown_order");
    expect(await j.appendCancel(cancel)).toBe("cancelled");
    expect(await j.appendCancel(cancel)).toBe("not_open");
    j.close();
  });

  it("applies a batch's fills once, however often it is confirmed, and survives a restart in between", async () => {
    const path = tempDb();
    const j = new Journal({ path });
    const maker = randomNewOrder({ size: 10n });
    const taker = randomNewOrder({ size: 4n });
    await Promise.all([j.appendOrder(maker), j.appendOrder(taker)]);
    expect(j.nextBatchIndex()).toBe(0n);
    j.recordBatch({ index: 0n, fills: [{ makerHash: maker.hash, takerHash: taker.hash, size: 4n }] });
    expect(() => j.recordBatch({ index: 0n, fills: [] })).toThrow(JournalError);
    expect(j.nextBatchIndex()).toBe(1n);
    expect(j.getOrder(maker.hash)?.pendingFill).toBe(4n);
    j.close();

    // Restart: the batch is pending; the poster finds it settled on chain and confirms it.
    const r = new Journal({ path });
    expect(r.pendingBatches().map((b) => b.index)).toEqual([0n]);
    expect(r.pendingBatches()[0]!.fills).toEqual([{ makerHash: maker.hash, takerHash: taker.hash, size: 4n }]);
    expect(r.markBatchConfirmed(0n)).toBe(true);
    expect(r.markBatchConfirmed(0n)).toBe(false);
    expect(r.getOrder(maker.hash)).toMatchObject({ filled: 4n, pendingFill: 0n, status: "open" });
    expect(r.getOrder(taker.hash)).toMatchObject({ filled: 4n, status: "filled" });
    expect(r.openOrders().map((o) => o.hash)).toEqual([maker.hash]);
    expect(r.pendingBatches()).toEqual([]);
    expect(r.getBatch(0n)?.status).toBe("confirmed");
    expect(() => r.markBatchConfirmed(7n)).toThrow(JournalError);

    // A skipped fill is not applied.
    r.recordBatch({ index: 1n, fills: [{ makerHash: maker.hash, takerHash: taker.hash, size: 1n }] });
    expect(r.markBatchConfirmed(1n, { skipped: [0] })).toBe(true);
    expect(r.getOrder(maker.hash)?.filled).toBe(4n);
    r.close();
  });

  it("lists one trader's open orders on one subaccount, in acceptance order", async () => {
    const j = new Journal({ path: ":memory:" });
    const trader = "0x00000000000000000000000000000000000000Aa" as const;
    const first = randomNewOrder({ trader, subaccount: 2, nonce: 7n });
    const second = randomNewOrder({ trader, subaccount: 2, nonce: 3n });
    const closed = randomNewOrder({ trader, subaccount: 2, nonce: 9n });
    const otherSub = randomNewOrder({ trader, subaccount: 1 });
    const otherTrader = randomNewOrder({ subaccount: 2 });
    for (const o of [first, second, closed, otherSub, otherTrader]) await j.appendOrder(o);
    expect(await j.appendCancel({ orderHash: closed.hash, signature: "0x01", receivedAt: 1 })).toBe("cancelled");
    expect(j.openOrdersOf(trader, 2).map((o) => [o.hash, o.order.nonce])).toEqual([
      [first.hash, 7n],
      [second.hash, 3n],
    ]);
    expect(j.openOrdersOf(trader.toLowerCase() as typeof trader, 1).map((o) => o.hash)).toEqual([otherSub.hash]);
    expect(j.openOrdersOf(trader, 3)).toEqual([]);
    j.close();
  });

  it("expires orders past their expiry", async () => {
    const j = new Journal({ path: ":memory:" });
    await Promise.all([j.appendOrder(randomNewOrder({ expiry: 100 })), j.appendOrder(randomNewOrder({ expiry: 300 }))]);
    expect(j.expireOrders(200)).toBe(1);
    expect(j.openOrders()).toHaveLength(1);
    j.close();
  });

  it("rejects appends once closed (the intake then answers with an error, never an ack)", async () => {
    const j = new Journal({ path: ":memory:" });
    j.close();
    await expect(j.appendOrder(randomNewOrder())).rejects.toThrow(JournalError);
  });

  for (const synchronous of ["FULL", "NORMAL"] as const) {
    it(`loses no acknowledged order when the process is SIGKILLed right after acks (${synchronous})`, async () => {
      const path = tempDb();
      const child = spawn(
        process.execPath,
        [
          "--disable-warning=ExperimentalWarning",
          "--import",
          "tsx",
          fileURLToPath(new URL("./crashChild.ts", import.meta.url)),
          path,
          synchronous,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      const acked: string[] = [];
      let buffered = "";
      await new Promise<void>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", () => resolve());
        child.stdout.on("data", (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split("\n");
          buffered = lines.pop()!;
          acked.push(...lines);
          // Kill as soon as a few thousand are acknowledged: commits are still in progress.
          if (acked.length >= 3000 && child.exitCode === null && !child.killed) child.kill("SIGKILL");
        });
      });
      expect(child.signalCode).toBe("SIGKILL");
      expect(acked.length).toBeGreaterThanOrEqual(3000);
      const j = new Journal({ path });
      const journaled = new Set(j.openOrders().map((o) => o.hash));
      const lost = acked.filter((h) => !journaled.has(h as `0x${string}`));
      expect(lost).toEqual([]);
      expect(journaled.size).toBeGreaterThanOrEqual(acked.length);
      j.close();
    });
  }
});
