// RPC faults between the keeper and its nodes: a loopback proxy in front of the chain answers 500s, drops
// connections or hangs. The keeper retries, fails over to its second URL, and catches up once a node is
// back, without applying a fill twice. Also the nonce manager: stuck transactions are replaced with
// fees bumped by at least 12.5%, and a restart replaces transactions it never saw.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClients } from "../../keeper/src/chain/clients.js";
import { NonceManager, type NonceManagerEvent } from "../../keeper/src/chain/nonceManager.js";
import { keeperConfigSchema } from "../../keeper/src/config.js";
import { createLogger } from "../../keeper/src/log.js";
import { createKeeperNode, type KeeperNode } from "../../keeper/src/node.js";
import {
  btcOrder,
  defaultAccount,
  FaultProxy,
  keyOf,
  startChain,
  submitOrder,
  waitFor,
  type TestChain,
} from "./harness.js";

const alice = defaultAccount(5);
const bob = defaultAccount(6);

let chain: TestChain;
let a: FaultProxy;
let b: FaultProxy;
let node: KeeperNode;
let dir: string;
let api: string;

beforeAll(async () => {
  chain = await startChain({ traders: [5, 6] });
  a = await FaultProxy.start(chain.url);
  b = await FaultProxy.start(chain.url);
  dir = mkdtempSync(join(tmpdir(), "lucent-keeper-rpc-"));
  const config = keeperConfigSchema.parse(
    chain.keeperConfig({
      rpcUrls: [a.url, b.url],
      journal: { path: join(dir, "journal.db") },
      rpc: { timeoutMs: 400, maxRounds: 3, backoffMs: 50, backoffMaxMs: 200, pollingIntervalMs: 50 },
    }),
  );
  node = await createKeeperNode(config, { logger: createLogger({ level: "silent" }) });
  await node.start();
  api = node.api!.url;
});

afterAll(async () => {
  await node?.stop();
  await a?.close();
  await b?.close();
  await chain?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function trade(size: bigint): Promise<void> {
  const ask = await submitOrder(api, chain, alice, btcOrder(alice.address, false, size));
  const bid = await submitOrder(api, chain, bob, btcOrder(bob.address, true, size));
  expect(ask.ok && bid.ok).toBe(true);
}

describe("RPC failover", () => {
  it("fails over to the second URL when the first answers 500", async () => {
    a.mode = "http500";
    const failovers = node.ctx.chain.rpc.stats.failovers;
    await trade(3n);
    await waitFor("batch 0", async () => (await chain.nextBatchIndex()) === 1n);
    expect(await chain.position(bob.address)).toBe(3n);
    expect(a.counts.http500).toBeGreaterThan(0);
    expect(b.counts.pass).toBeGreaterThan(0);
    expect(node.ctx.chain.rpc.stats.failovers).toBeGreaterThan(failovers);
    expect(node.ctx.chain.rpc.stats.current).toBe(1);
  });

  it("times out on a node that hangs and fails over back to the first", async () => {
    a.mode = "pass";
    b.mode = "hang";
    await trade(4n);
    await waitFor("batch 1", async () => (await chain.nextBatchIndex()) === 2n);
    expect(await chain.position(bob.address)).toBe(7n);
    expect(b.counts.hang).toBeGreaterThan(0);
    expect(node.ctx.chain.rpc.stats.current).toBe(0);
    b.mode = "pass";
    // The next test cuts every node: the poster must have confirmed batch 1 (mined is not enough),
    // or the outage catches it still waiting on that receipt.
    await waitFor("the poster idle", () => node.ctx.batchPoster.inFlight === undefined);
  });

  it("keeps retrying while every node is down, then catches up without applying a fill twice", async () => {
    a.mode = "drop";
    b.mode = "drop";
    await trade(5n); // the intake only needs the journal
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await chain.nextBatchIndex()).toBe(2n);
    expect(node.ctx.batchPoster.inFlight).toMatchObject({ index: 2n, fills: 1 });
    expect(a.counts.drop + b.counts.drop).toBeGreaterThan(2);
    a.mode = "pass";
    b.mode = "pass";
    await waitFor("batch 2 after the outage", async () => (await chain.nextBatchIndex()) === 3n, { timeoutMs: 20_000 });
    await waitFor("the poster idle", () => node.ctx.batchPoster.inFlight === undefined);
    expect(await chain.position(bob.address)).toBe(12n);
    expect(await chain.position(alice.address)).toBe(-12n);
    expect(node.ctx.journal.pendingBatches()).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await chain.nextBatchIndex()).toBe(3n);
    expect(node.ctx.batchPoster.healthCheck().healthy).toBe(true);
  });

  it("gives up after its rounds when no URL answers, with backoff", async () => {
    a.mode = "drop";
    b.mode = "drop";
    const clients = await createChainClients({ rpcUrls: [chain.url], privateKey: keyOf(9) });
    const { createFailoverTransport } = await import("../../keeper/src/chain/failoverTransport.js");
    const failover = createFailoverTransport({ urls: [a.url, b.url], maxRounds: 3, backoffMs: 100, timeoutMs: 300 });
    const client = createPublicClient({ chain: clients.chain, transport: failover.transport });
    const started = Date.now();
    await expect(client.getBlockNumber()).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100 + 200 - 20);
    expect(failover.stats.failures).toBe(6); // 3 rounds × 2 URLs, then the error
    a.mode = "pass";
    b.mode = "pass";
    // A JSON-RPC error is the node's answer: no failover.
    const before = failover.stats.failovers;
    await expect(client.request({ method: "eth_noSuchMethod" as "eth_chainId" })).rejects.toThrow();
    expect(failover.stats.failovers).toBe(before);
  });
});

describe("nonce manager", () => {
  const rpc = (method: string, params: unknown[] = []) => chain.rpc(method, params);

  it("replaces a stuck transaction with both fees bumped by at least 12.5% and finds the mined hash", async () => {
    const { publicClient, account } = await createChainClients({ rpcUrls: [chain.url], privateKey: keyOf(9) });
    const events: NonceManagerEvent[] = [];
    const nm = new NonceManager({
      client: publicClient,
      account,
      stuckAfterMs: 250,
      pollMs: 50,
      onEvent: (e) => events.push(e),
    });
    await nm.reconcile({ waitMs: 0 });
    await rpc("evm_setAutomine", [false]);
    try {
      const tx = await nm.send({ to: account.address, data: "0x", gas: 21_000n }, { label: "self" });
      const mined = (async () => {
        await waitFor("two replacements", () => tx.attempts.length >= 3, { timeoutMs: 5_000 });
        await rpc("evm_mine");
      })();
      const receipt = await nm.waitForReceipt(tx, { timeoutMs: 10_000 });
      await mined;
      expect(receipt.status).toBe("success");
      expect(tx.attempts.map((t) => t.hash)).toContain(receipt.transactionHash);
      expect(new Set(tx.attempts.map((t) => t.hash)).size).toBe(tx.attempts.length);
      for (let i = 1; i < tx.attempts.length; i++) {
        const [prev, next] = [tx.attempts[i - 1]!, tx.attempts[i]!];
        expect(next.maxFeePerGas * 1000n).toBeGreaterThanOrEqual(prev.maxFeePerGas * 1125n);
        expect(next.maxPriorityFeePerGas * 1000n).toBeGreaterThanOrEqual(prev.maxPriorityFeePerGas * 1125n);
        expect(next.sentAt).toBeGreaterThanOrEqual(prev.sentAt + 250);
      }
      expect(events.filter((e) => e.type === "bumped").length).toBe(tx.attempts.length - 1);
      expect(nm.inFlight.size).toBe(0);
    } finally {
      await rpc("evm_setAutomine", [true]);
    }
  });

  it("on restart, replaces transactions pending from before it with a no-op and resumes at the next nonce", async () => {
    const { publicClient, account } = await createChainClients({ rpcUrls: [chain.url], privateKey: keyOf(9) });
    const before = new NonceManager({ client: publicClient, account, pollMs: 50 });
    await before.reconcile({ waitMs: 0 });
    await rpc("evm_setAutomine", [false]);
    const miner = setInterval(() => void rpc("evm_mine").catch(() => undefined), 400);
    try {
      const lost = await before.send(
        { to: chain.addresses.clearinghouse, data: "0x", gas: 50_000n },
        { label: "lost" },
      );
      const latest = await publicClient.getTransactionCount({ address: account.address, blockTag: "latest" });
      // A fresh process: it never saw `lost`.
      const after = new NonceManager({ client: publicClient, account, pollMs: 50, stuckAfterMs: 300 });
      const counts = await after.reconcile({ waitMs: 0 });
      expect(counts).toEqual({ latest, pending: latest + 1 });
      expect(after.nextNonce).toBe(latest + 1);
      const replaced = await publicClient
        .getTransactionReceipt({ hash: lost.attempts[0]!.hash })
        .catch(() => undefined);
      expect(replaced).toBeUndefined();
    } finally {
      clearInterval(miner);
      await rpc("evm_setAutomine", [true]);
    }
  });
});
