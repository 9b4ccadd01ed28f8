// Test harness for the keeper node: a Lucent deployment on an EDR chain served over HTTP on loopback
// (what `npm run devnet` runs), signed orders posted to a keeper's intake, a fault-injecting RPC proxy,
// and bounded polling.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import hre from "hardhat";
import { zeroAddress, type Address, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { bytesToHex } from "viem";
import LucentModule, { DEFAULTS, lucentParameters } from "../../ignition/modules/Lucent.js";
import { clearinghouseAbi, lucentDomain, signOrder, subaccountId, type Order } from "../../sdk/src/index.js";
import { orderToWire } from "../../keeper/src/api/schema.js";
import type { KeeperConfigInput } from "../../keeper/src/config.js";

export const WAD = 10n ** 18n;
export const BTC_PRICE = 100_000n * WAD;
const ETH_PRICE = 4_000n * WAD;
const USD = 0;
export const BTCUSD = 0;
const DEPOSIT_USD = 1_000_000n * 10n ** 6n;

/** Hardhat's well-known default accounts (the served EDR network's), with their keys. */
export function defaultAccount(index: number): PrivateKeyAccount {
  const hd = mnemonicToAccount("test test test test test test test test test test test junk", { addressIndex: index });
  return privateKeyToAccount(bytesToHex(hd.getHdKey().privateKey!));
}

export type TestChain = Awaited<ReturnType<typeof startChain>>;

/**
 * Serves a fresh EDR chain on 127.0.0.1 (free port), deploys ignition/modules/Lucent.ts to it, reports
 * index prices, registers account #4 as keeper and funds `traders` (default #5–#7) with USD in subaccount 0.
 */
export async function startChain({ traders = [5, 6, 7] }: { traders?: number[] } = {}) {
  // An in-process EDR chain (Ignition deploys it in memory: nothing is written to ignition/deployments),
  // served over HTTP on loopback by a small JSON-RPC bridge to its provider.
  const connection = await hre.network.create();
  const server = await serveProvider(connection.provider);
  const url = server.url;
  const { viem, ignition } = connection;
  const wallets = await viem.getWalletClients();
  const wallet = (i: number) => {
    const w = wallets[i];
    if (w === undefined) throw new Error(`no account #${i}`);
    return w;
  };
  const [admin, r0, r1, r2, keeper] = [0, 1, 2, 3, 4].map(wallet) as [
    ReturnType<typeof wallet>,
    ReturnType<typeof wallet>,
    ReturnType<typeof wallet>,
    ReturnType<typeof wallet>,
    ReturnType<typeof wallet>,
  ];
  const lucent = await ignition.deploy(
    LucentModule,
    lucentParameters({ admin, reporters: [r0, r1, r2], listingDelay: 60 }),
  );
  const publicClient = await viem.getPublicClient();
  const wait = async (hash: Promise<Hex>) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash, pollingInterval: 20 });
    if (receipt.status !== "success") throw new Error("setup transaction reverted");
  };
  for (const reporter of [r0, r1, r2]) {
    await wait(lucent.btcOracle.write.report([BTC_PRICE], { account: reporter.account }));
    await wait(lucent.ethOracle.write.report([ETH_PRICE], { account: reporter.account }));
  }
  await wait(lucent.keeperRegistry.write.register({ account: keeper.account, value: DEFAULTS.minBond }));
  for (const i of traders) {
    const t = wallet(i);
    await wait(lucent.usd.write.mint([t.account.address, DEPOSIT_USD], { account: admin.account }));
    await wait(lucent.usd.write.approve([lucent.clearinghouse.address, DEPOSIT_USD], { account: t.account }));
    await wait(lucent.clearinghouse.write.deposit([USD, 0, DEPOSIT_USD], { account: t.account }));
  }
  const chainId = await publicClient.getChainId();
  const domain = lucentDomain({ chainId, clearinghouse: lucent.clearinghouse.address });
  const addresses = {
    clearinghouse: lucent.clearinghouse.address,
    marketRegistry: lucent.registry.address,
    keeperRegistry: lucent.keeperRegistry.address,
  };
  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  return {
    url,
    chainId,
    domain,
    addresses,
    lucent,
    /** The in-process network and its admin (account #0, the LISTER), for governance in tests. */
    connection,
    admin,
    publicClient,
    keeper: defaultAccount(4),
    rpc,
    /** The on-chain position size of `trader`'s USD subaccount 0 in BTC-USD. */
    async position(trader: Address): Promise<bigint> {
      const id = subaccountId({ owner: trader, collateral: USD, index: 0 });
      const [size] = await publicClient.readContract({
        address: lucent.clearinghouse.address,
        abi: clearinghouseAbi,
        functionName: "position",
        args: [id, BTCUSD],
      });
      return size;
    },
    async nextBatchIndex(keeper: Address = defaultAccount(4).address): Promise<bigint> {
      return BigInt(
        await publicClient.readContract({
          address: lucent.clearinghouse.address,
          abi: clearinghouseAbi,
          functionName: "nextBatchIndex",
          args: [keeper],
        }),
      );
    },
    /** Keeper config for this chain (the caller adds journal, port...). */
    keeperConfig(overrides: Partial<KeeperConfigInput> = {}): KeeperConfigInput {
      return {
        rpcUrls: [url],
        chainId,
        privateKey: keyOf(4),
        addresses,
        api: { host: "127.0.0.1", port: 0, verifierThreads: 0 },
        batch: { maxFills: 50, maxAgeMs: 20, pollMs: 10, receiptTimeoutMs: 15_000 },
        rpc: { timeoutMs: 1_000, maxRounds: 3, backoffMs: 50, backoffMaxMs: 400, pollingIntervalMs: 50 },
        tx: { stuckAfterMs: 2_000, restartWaitMs: 1_000 },
        log: { level: "silent" },
        ...overrides,
      };
    },
    async close() {
      await server.close();
      await connection.close().catch(() => undefined);
    },
  };
}

export function keyOf(index: number): Hex {
  return bytesToHex(
    mnemonicToAccount("test test test test test test test test test test test junk", { addressIndex: index }).getHdKey()
      .privateKey!,
  );
}

type Eip1193 = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

/** Serves an EIP-1193 provider as a JSON-RPC HTTP endpoint on 127.0.0.1 (single and batched requests). */
async function serveProvider(provider: Eip1193): Promise<{ url: string; close(): Promise<void> }> {
  const answer = async (req: { id?: unknown; method: string; params?: unknown[] }) => {
    try {
      const result = await provider.request({ method: req.method, params: req.params ?? [] });
      return { jsonrpc: "2.0", id: req.id ?? null, result: result ?? null };
    } catch (error) {
      const e = error as { code?: number; message?: string; data?: unknown };
      return {
        jsonrpc: "2.0",
        id: req.id ?? null,
        error: {
          code: typeof e.code === "number" ? e.code : -32603,
          message: e.message ?? String(error),
          data: e.data,
        },
      };
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          res.writeHead(400).end();
          return;
        }
        const out = Array.isArray(body)
          ? await Promise.all(body.map((b) => answer(b as { method: string })))
          : await answer(body as { method: string });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let nonceSeq = BigInt(Date.now()) * 1000n;

export function btcOrder(trader: Address, isBuy: boolean, size: bigint, limitPrice = BTC_PRICE): Order {
  return {
    trader,
    subaccount: 0,
    market: BTCUSD,
    isBuy,
    size,
    limitPrice,
    flags: 0,
    nonce: nonceSeq++ % (1n << 63n),
    expiry: Math.floor(Date.now() / 1000) + 3600,
    keeper: zeroAddress,
  };
}

/** Signs `order` and POSTs it to a keeper's intake; returns the answer (hash on success). */
export async function submitOrder(
  apiUrl: string,
  chain: { domain: ReturnType<typeof lucentDomain> },
  signer: PrivateKeyAccount,
  order: Order,
): Promise<{ ok: boolean; hash?: Hex; error?: { code: string; message: string } }> {
  const { signature } = await signOrder({ signer, domain: chain.domain, order });
  const response = await fetch(`${apiUrl}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ order: orderToWire(order), signature }),
  });
  return (await response.json()) as { ok: boolean; hash?: Hex; error?: { code: string; message: string } };
}

export async function getOrderStatus(
  apiUrl: string,
  hash: Hex,
): Promise<{ status: string; filled: string } | undefined> {
  const response = await fetch(`${apiUrl}/orders/${hash}`);
  if (response.status !== 200) return undefined;
  return (await response.json()) as { status: string; filled: string };
}

/** Polls `probe` until it returns a value other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export type ProxyMode = "pass" | "http500" | "drop" | "hang";

/**
 * A loopback JSON-RPC proxy in front of `target` that injects faults: `http500` answers 500, `drop`
 * destroys the connection, `hang` answers nothing for `hangMs` (the client times out first).
 */
export class FaultProxy {
  mode: ProxyMode = "pass";
  hangMs = 3_000;
  readonly counts: Record<ProxyMode, number> = { pass: 0, http500: 0, drop: 0, hang: 0 };
  private readonly _server: Server;
  url = "";

  private constructor(private readonly target: string) {
    this._server = createServer((req, res) => void this._handle(req, res));
  }

  static async start(target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve) => proxy._server.listen(0, "127.0.0.1", resolve));
    proxy.url = `http://127.0.0.1:${(proxy._server.address() as AddressInfo).port}`;
    return proxy;
  }

  private async _handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const mode = this.mode;
    this.counts[mode]++;
    if (mode === "drop") {
      req.socket.destroy();
      return;
    }
    if (mode === "http500") {
      res.writeHead(500, { "content-type": "text/plain" }).end("injected failure");
      return;
    }
    if (mode === "hang") {
      const timer = setTimeout(() => res.writeHead(504).end(), this.hangMs);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    try {
      const upstream = await fetch(this.target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: Buffer.concat(chunks),
      });
      res.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    } catch {
      res.writeHead(502).end();
    }
  }

  async close(): Promise<void> {
    this._server.closeAllConnections();
    await new Promise<void>((resolve) => this._server.close(() => resolve()));
  }
}
