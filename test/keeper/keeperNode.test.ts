// The keeper node end to end on a served EDR chain: traders submit signed orders over the HTTP intake,
// the engine matches them, the batch poster settles them, and the positions are on chain. Also: a fill
// the chain skips (a maker without margin) drops that maker and gives the taker its size back. And the
// `lucent order place` / `order cancel` commands against the running node.
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../ignition/modules/Lucent.js";
import { keeperConfigSchema } from "../../keeper/src/config.js";
import { clearinghouseAbi, OrderFlags, subaccountId } from "../../sdk/src/index.js";
import { createKeeperNode, type KeeperNode } from "../../keeper/src/node.js";
import { createLogger } from "../../keeper/src/log.js";
import {
  btcOrder,
  BTC_PRICE,
  BTCUSD,
  defaultAccount,
  getOrderStatus,
  startChain,
  submitOrder,
  waitFor,
  type TestChain,
} from "./harness.js";
import { changeMarketParameters } from "../e2e/fixtures/governance.js";

const alice = defaultAccount(5);
const bob = defaultAccount(6);
const broke = defaultAccount(8); // never deposited

let chain: TestChain;
let config: ReturnType<typeof keeperConfigSchema.parse>;
let node: KeeperNode;
let dir: string;
let api: string;

beforeAll(async () => {
  chain = await startChain({ traders: [5, 6] });
  dir = mkdtempSync(join(tmpdir(), "lucent-keeper-node-"));
  config = keeperConfigSchema.parse(
    chain.keeperConfig({ journal: { path: join(dir, "journal.db") }, marketWatchIntervalMs: 50 }),
  );
  node = await createKeeperNode(config, { logger: createLogger({ level: "silent" }) });
  await node.start();
  api = node.api!.url;
});

afterAll(async () => {
  await node?.stop();
  await chain?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("keeper node", () => {
  it("matches two traders' signed crossing orders and settles them on chain", async () => {
    const ask = await submitOrder(api, chain, alice, btcOrder(alice.address, false, 10n));
    const bid = await submitOrder(api, chain, bob, btcOrder(bob.address, true, 10n));
    expect(ask.ok && bid.ok).toBe(true);
    await waitFor("batch 0 on chain", async () => (await chain.nextBatchIndex()) === 1n);
    expect(await chain.position(alice.address)).toBe(-10n);
    expect(await chain.position(bob.address)).toBe(10n);
    await waitFor("the journal to confirm", async () => (await getOrderStatus(api, ask.hash!))?.status === "filled");
    expect(await getOrderStatus(api, bid.hash!)).toMatchObject({ status: "filled", filled: "10" });
    expect(node.ctx.journal.pendingBatches()).toEqual([]);

    const health = await fetch(`${api}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { loops: { name: string }[] }).loops.map((l) => l.name)).toEqual([
      "batch-poster",
      "liquidator",
      "market-watcher",
    ]);
    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toMatch(/lucent_batches_settled_total 1/);
    expect(metrics).toMatch(/lucent_batch_fills_total\{result="settled"\} 1/);
  });

  it("drops a maker the chain skips for margin and gives the taker its size back", async () => {
    const before = await chain.nextBatchIndex();
    const ask = await submitOrder(api, chain, broke, btcOrder(broke.address, false, 4n, BTC_PRICE + WAD_HALF));
    const bid = await submitOrder(api, chain, bob, btcOrder(bob.address, true, 4n, BTC_PRICE + WAD_HALF));
    expect(ask.ok && bid.ok).toBe(true);
    await waitFor("the batch", async () => (await chain.nextBatchIndex()) === before + 1n);
    await waitFor("the maker dropped", async () => (await getOrderStatus(api, ask.hash!))?.status === "cancelled");
    expect(await chain.position(bob.address)).toBe(10n); // unchanged
    // The taker rests again with its whole size, and fills against the next ask.
    expect(node.ctx.matcher.remaining(bid.hash!)).toBe(4n);
    expect(await getOrderStatus(api, bid.hash!)).toMatchObject({ status: "open", filled: "0" });
    const ask2 = await submitOrder(api, chain, alice, btcOrder(alice.address, false, 4n, BTC_PRICE));
    expect(ask2.ok).toBe(true);
    await waitFor("the second batch", async () => (await chain.nextBatchIndex()) === before + 2n);
    expect(await chain.position(bob.address)).toBe(14n);
    expect(await chain.position(alice.address)).toBe(-14n);
  });

  it("a trader places and cancels a resting order with the lucent CLI; a stranger's cancel is refused", async () => {
    const target = cliTarget(api);
    // Far below the market: it rests on the keeper's book.
    const placed = await lucent(...buyBtc("2", "90000"), "--private-key", keyOf(5), ...target);
    expect(placed.code).toBe(0);
    const ack = JSON.parse(placed.stdout) as { ok: boolean; orderHash: Hex; trader: string };
    expect(ack.ok).toBe(true);
    expect(ack.trader).toBe(alice.address);
    expect(await getOrderStatus(api, ack.orderHash)).toMatchObject({ status: "open" });

    const stranger = await lucent("order", "cancel", ack.orderHash, "--private-key", keyOf(6), ...target);
    expect(stranger.code).toBe(1);
    expect(JSON.parse(stranger.stdout)).toMatchObject({ ok: false, error: { code: "bad_signature" } });
    expect(await getOrderStatus(api, ack.orderHash)).toMatchObject({ status: "open" });

    const cancelled = await lucent("order", "cancel", ack.orderHash, "--private-key", keyOf(5), ...target);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ ok: true, orderHash: ack.orderHash });
    expect(await getOrderStatus(api, ack.orderHash)).toMatchObject({ status: "cancelled" });
    expect(node.ctx.matcher.remaining(ack.orderHash)).toBe(0n);
  });

  it("without --nonce the CLI signs the lowest free nonce from the floor; filled there, the floor rises", async () => {
    const target = [...cliTarget(api), "--private-key", keyOf(5)];
    const id = subaccountId({ owner: alice.address, collateral: 0, index: 0 });
    const floorOf = async () =>
      (
        await chain.publicClient.readContract({
          address: chain.addresses.clearinghouse,
          abi: clearinghouseAbi,
          functionName: "account",
          args: [id],
        })
      )[2];
    const place = async (price: string) => {
      const placed = await lucent(...buyBtc("1", price), ...target);
      expect(placed.code).toBe(0);
      const hash = (JSON.parse(placed.stdout) as { orderHash: Hex }).orderHash;
      const got = (await (await fetch(`${api}/orders/${hash}`)).json()) as { order: { nonce: string } };
      return { hash, nonce: BigInt(got.order.nonce) };
    };
    const floor = await floorOf();
    // Two resting bids: the first takes the floor, the second the next nonce.
    const first = await place("90000");
    const second = await place("90000");
    expect([first.nonce, second.nonce]).toEqual([floor, floor + 1n]);
    for (const { hash } of [first, second]) {
      expect((await lucent("order", "cancel", hash, ...target)).code).toBe(0);
    }
    // Nothing open: the floor again (never used on chain), and a crossing bid filled whole raises it.
    const before = await chain.nextBatchIndex();
    const ask = await submitOrder(api, chain, bob, btcOrder(bob.address, false, 1n));
    expect(ask.ok).toBe(true);
    const crossing = await place("100000");
    expect(crossing.nonce).toBe(floor);
    await waitFor("the batch", async () => (await chain.nextBatchIndex()) === before + 1n);
    await waitFor("the fill", async () => (await getOrderStatus(api, crossing.hash))?.status === "filled");
    expect(await floorOf()).toBe(floor + 1n);
    // A nonce used on chain (cancelled by nonce) is skipped, as are open orders' nonces.
    await chain.publicClient.waitForTransactionReceipt({
      hash: await chain.lucent.clearinghouse.write.cancelNonces([0, 0, [floor + 1n]], { account: alice }),
    });
    const afterUsed = await place("90000");
    const next = await place("90000");
    expect([afterUsed.nonce, next.nonce]).toEqual([floor + 2n, floor + 3n]);
    for (const { hash } of [afterUsed, next]) {
      expect((await lucent("order", "cancel", hash, ...target)).code).toBe(0);
    }
  });

  it("falls back to a clock nonce when the keeper cannot list open orders", async () => {
    // A keeper without the route: answers 404 to the listing and records the order it is sent.
    const posted: { order: { nonce: string } }[] = [];
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        if (request.method === "POST" && request.url === "/orders") {
          posted.push(JSON.parse(body) as { order: { nonce: string } });
          response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true,"status":"accepted"}');
        } else response.writeHead(404, { "content-type": "application/json" }).end('{"ok":false}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const placed = await lucent(
        ...buyBtc("1", "90000"),
        "--private-key",
        keyOf(5),
        ...cliTarget(`http://127.0.0.1:${port}`),
      );
      expect(placed.code).toBe(0);
      expect(posted).toHaveLength(1);
      expect(BigInt(posted[0]!.order.nonce)).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000n);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // Last: it moves the chain's clock by the LISTER delay.
  it("refuses orders for a market paused on chain, and takes them again once it resumes", async () => {
    const governance = {
      manager: chain.lucent.manager.address,
      registry: chain.addresses.marketRegistry,
      admin: chain.admin,
    };
    const far = BTC_PRICE * 2n; // an ask nobody takes
    await changeMarketParameters(chain.connection, governance, BTCUSD, { active: false }, DEFAULTS.listingDelay);
    await waitFor("the watcher to close BTC-USD", async () => node.ctx.marketParams.get(BTCUSD)?.active === false);
    const refused = await submitOrder(api, chain, alice, btcOrder(alice.address, false, 1n, far));
    expect(refused).toMatchObject({ ok: false, error: { code: "market_inactive" } });

    await changeMarketParameters(chain.connection, governance, BTCUSD, { active: true }, DEFAULTS.listingDelay);
    await waitFor("the watcher to open BTC-USD", async () => node.ctx.marketParams.get(BTCUSD)?.active === true);
    const accepted = await submitOrder(api, chain, alice, btcOrder(alice.address, false, 1n, far));
    expect(accepted.ok).toBe(true);
  });

  it("after a restart, a reduce-only order closes a position the new node never matched", async () => {
    const held = await chain.position(bob.address);
    expect(held).toBeGreaterThan(0n);
    await node.stop();
    node = await createKeeperNode(config, { logger: createLogger({ level: "silent" }) });
    await node.start();
    api = node.api!.url;

    // Larger than the position: the engine clamps it to what bob holds on chain, and it rests.
    const close = await submitOrder(api, chain, bob, {
      ...btcOrder(bob.address, false, held + 5n),
      flags: OrderFlags.REDUCE_ONLY,
    });
    expect(close.ok).toBe(true);
    expect(await getOrderStatus(api, close.hash!)).toMatchObject({ status: "open" });
    expect(node.ctx.matcher.remaining(close.hash!)).toBe(held);

    const take = await submitOrder(api, chain, alice, btcOrder(alice.address, true, held + 5n));
    expect(take.ok).toBe(true);
    await waitFor("bob flat on chain", async () => (await chain.position(bob.address)) === 0n);
  });
});

const WAD_HALF = 10n ** 18n / 2n;
const BIN = fileURLToPath(new URL("../../sdk/bin/lucent.js", import.meta.url));

/** `lucent order place` of a BTC-USD bid, without the signer and target flags. */
function buyBtc(size: string, price: string): string[] {
  return ["order", "place", "--market", "BTC-USD", "--side", "buy", "--size", size, "--price", price];
}

/** The CLI flags that point `lucent` at `keeperUrl` and the test chain, with JSON output. */
function cliTarget(keeperUrl: string): string[] {
  return [
    "--keeper-url",
    keeperUrl,
    "--rpc",
    chain.url,
    "--clearinghouse",
    chain.addresses.clearinghouse,
    "--market-registry",
    chain.addresses.marketRegistry,
    "--json",
  ];
}

/** Hardhat's default account `index`'s private key (the harness's `defaultAccount`). */
function keyOf(index: number): Hex {
  const hd = mnemonicToAccount("test test test test test test test test test test test junk", { addressIndex: index });
  return bytesToHex(hd.getHdKey().privateKey!);
}

/** The `lucent` binary as a user runs it. */
function lucent(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}
