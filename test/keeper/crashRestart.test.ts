// Kill -9 the keeper mid-batch and restart it: no accepted order is lost and no fill applies twice.
// The keeper runs as a child process (`lucent-keeper start`) against a served EDR chain whose automine
// is switched off around the kill, so the batch transaction is provably in flight when the process dies.
//   (a) the batch is mined after the kill → the restarted keeper confirms it from chain events, never re-sends;
//   (b) the batch is dropped from the mempool → the restarted keeper re-sends the same batch at the same index.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  btcOrder,
  BTC_PRICE,
  defaultAccount,
  getOrderStatus,
  startChain,
  submitOrder,
  waitFor,
  type TestChain,
} from "./harness.js";

const BIN = new URL("../../keeper/bin/lucent-keeper.js", import.meta.url).pathname;
const alice = defaultAccount(5);
const bob = defaultAccount(6);
const carol = defaultAccount(7);

type LogLine = { msg?: string; url?: string; batchIndex?: string; tx?: Hex; level?: string };

class KeeperProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private constructor(readonly child: ChildProcess) {
    let buffer = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    child.stderr!.on("data", () => {});
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  static async start(configFile: string): Promise<{ keeper: KeeperProcess; api: string }> {
    const child = spawn(process.execPath, [BIN, "start", "--config", configFile], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    });
    const keeper = new KeeperProcess(child);
    const started = await waitFor("the keeper to start", () => keeper.find("keeper node started"), {
      timeoutMs: 30_000,
    });
    return { keeper, api: started.url! };
  }

  find(msg: string, batchIndex?: bigint): LogLine | undefined {
    return this.lines.find((l) => l.msg === msg && (batchIndex === undefined || l.batchIndex === String(batchIndex)));
  }
}

let chain: TestChain;
let dir: string;
let configFile: string;
const children: KeeperProcess[] = [];

beforeAll(async () => {
  chain = await startChain({ traders: [5, 6, 7] });
  dir = mkdtempSync(join(tmpdir(), "lucent-keeper-crash-"));
  configFile = join(dir, "keeper.config.json");
  const config = chain.keeperConfig({ journal: { path: "journal.db" }, log: { level: "info" } });
  writeFileSync(configFile, JSON.stringify(config));
});

afterAll(async () => {
  for (const k of children) if (k.child.exitCode === null && k.child.signalCode === null) k.child.kill("SIGKILL");
  await chain?.rpc("evm_setAutomine", [true]).catch(() => undefined);
  await chain?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<string> {
  const { keeper, api } = await KeeperProcess.start(configFile);
  children.push(keeper);
  return api;
}

async function killMidBatch(batchIndex: bigint): Promise<Hex> {
  const keeper = children.at(-1)!;
  const sent = await waitFor("the batch to be sent", () => keeper.find("batch sent", batchIndex));
  keeper.child.kill("SIGKILL");
  await keeper.exited;
  return sent.tx!;
}

describe("keeper crash and restart", () => {
  it("loses no accepted order and applies no fill twice", async () => {
    let api = await start();
    // A resting bid that must survive both crashes.
    const resting = await submitOrder(api, chain, bob, btcOrder(bob.address, true, 5n, BTC_PRICE - 250n * 10n ** 18n));
    expect(resting.ok).toBe(true);

    // (a) Killed with batch 0 in the mempool; the chain mines it afterwards.
    await chain.rpc("evm_setAutomine", [false]);
    const ask0 = await submitOrder(api, chain, alice, btcOrder(alice.address, false, 10n));
    const bid0 = await submitOrder(api, chain, carol, btcOrder(carol.address, true, 10n));
    expect(ask0.ok && bid0.ok).toBe(true);
    const tx0 = await killMidBatch(0n);
    expect(await chain.nextBatchIndex()).toBe(0n);
    await chain.rpc("evm_mine");
    await chain.rpc("evm_setAutomine", [true]);
    expect((await chain.publicClient.getTransactionReceipt({ hash: tx0 })).status).toBe("success");
    expect(await chain.nextBatchIndex()).toBe(1n);

    api = await start();
    expect(children.at(-1)!.find("confirmed a batch posted before the restart from chain events")).toBeDefined();
    expect(children.at(-1)!.find("batch sent", 0n)).toBeUndefined();
    expect(await getOrderStatus(api, ask0.hash!)).toMatchObject({ status: "filled", filled: "10" });
    expect(await getOrderStatus(api, bid0.hash!)).toMatchObject({ status: "filled", filled: "10" });
    expect(await getOrderStatus(api, resting.hash!)).toMatchObject({ status: "open", filled: "0" });
    expect(await chain.position(alice.address)).toBe(-10n);
    expect(await chain.position(carol.address)).toBe(10n);

    // (b) Killed with batch 1 in the mempool; the transaction is then lost.
    await chain.rpc("evm_setAutomine", [false]);
    const ask1 = await submitOrder(api, chain, alice, btcOrder(alice.address, false, 7n));
    const bid1 = await submitOrder(api, chain, carol, btcOrder(carol.address, true, 7n));
    expect(ask1.ok && bid1.ok).toBe(true);
    const tx1 = await killMidBatch(1n);
    expect(await chain.rpc("hardhat_dropTransaction", [tx1])).toBe(true);
    await chain.rpc("evm_setAutomine", [true]);
    expect(await chain.nextBatchIndex()).toBe(1n);

    api = await start();
    expect(children.at(-1)!.find("re-sending the batch the chain has not applied")).toBeDefined();
    await waitFor("batch 1 re-sent and settled", async () => (await chain.nextBatchIndex()) === 2n);
    await waitFor("batch 1 confirmed", async () => (await getOrderStatus(api, ask1.hash!))?.status === "filled");
    expect(await getOrderStatus(api, bid1.hash!)).toMatchObject({ status: "filled", filled: "7" });
    expect(await chain.position(alice.address)).toBe(-17n);
    expect(await chain.position(carol.address)).toBe(17n);

    // The bid accepted before the first crash still rests: it fills against a new ask.
    const ask2 = await submitOrder(
      api,
      chain,
      alice,
      btcOrder(alice.address, false, 5n, BTC_PRICE - 250n * 10n ** 18n),
    );
    expect(ask2.ok).toBe(true);
    await waitFor("batch 2", async () => (await chain.nextBatchIndex()) === 3n);
    await waitFor(
      "the resting bid filled",
      async () => (await getOrderStatus(api, resting.hash!))?.status === "filled",
    );
    expect(await chain.position(bob.address)).toBe(5n);
    expect(await chain.position(alice.address)).toBe(-22n);

    // Nothing is sent again afterwards, and SIGTERM stops the node cleanly.
    await new Promise((r) => setTimeout(r, 300));
    expect(await chain.nextBatchIndex()).toBe(3n);
    const last = children.at(-1)!;
    last.child.kill("SIGTERM");
    expect(await last.exited).toEqual({ code: 0, signal: null });
    expect(last.find("keeper node stopped")).toBeDefined();
  });
});
