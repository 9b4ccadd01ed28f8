// Test helpers for the intake: a server on a free loopback port with a temporary journal, and a
// WebSocket client that pairs answers with requests by id.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { lucentDomain, signOrder, type Order } from "../../../sdk/src/index.js";
import { Journal } from "../store/journal.js";
import { staticMarkets, type AcceptedOrder, type OrderSink } from "./interfaces.js";
import { orderToWire } from "./schema.js";
import { startIntakeServer, type IntakeServer, type IntakeServerOptions } from "./server.js";

export const domain = lucentDomain({ chainId: 31337, clearinghouse: "0x5FbDB2315678afecb367f032d93F642f64180aa3" });
export const alice = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
export const bob = privateKeyToAccount("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3a79f2c71bb5f8d8");
export const markets = staticMarkets({
  0: { tickSize: 10n ** 16n, lotSize: 10n, active: true },
  1: { tickSize: 1n, lotSize: 1n, active: false },
});

export function makeOrder(overrides: Partial<Order> = {}): Order {
  return {
    trader: alice.address,
    subaccount: 0,
    market: 0,
    isBuy: true,
    size: 100n,
    limitPrice: 30_000n * 10n ** 18n,
    flags: 0,
    nonce: BigInt(Math.floor(Math.random() * 2 ** 48)),
    expiry: Math.floor(Date.now() / 1000) + 3600,
    keeper: "0x0000000000000000000000000000000000000000",
    ...overrides,
  };
}

export async function signedMessage(
  order: Order,
  signer = alice,
): Promise<{ order: Record<string, unknown>; signature: Hex }> {
  const { signature } = await signOrder({ signer, domain, order });
  return { order: orderToWire(order), signature };
}

export class RecordingSink implements OrderSink {
  readonly orders: AcceptedOrder[] = [];
  readonly cancels: { orderHash: Hex; trader: Address }[] = [];
  submit(order: AcceptedOrder): void {
    this.orders.push(order);
  }
  cancel(orderHash: Hex, trader: Address): void {
    this.cancels.push({ orderHash, trader });
  }
}

export type TestServer = IntakeServer & { journal: Journal; sink: RecordingSink; dispose(): Promise<void> };

export async function startTestServer(options: Partial<IntakeServerOptions> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "lucent-intake-"));
  const journal = new Journal({ path: join(dir, "journal.db") });
  const sink = new RecordingSink();
  const server = await startIntakeServer({ port: 0, domain, journal, markets, sink, verifierThreads: 1, ...options });
  return {
    ...server,
    journal,
    sink,
    async dispose() {
      await server.close();
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Answer = {
  id?: unknown;
  ok: boolean;
  hash?: Hex;
  status?: string;
  error?: { code: string; message: string };
};

/** A WebSocket client (Node's built-in WebSocket) with request/answer pairing by id. */
export class WsClient {
  readonly ws: WebSocket;
  readonly events: { channel: string; data: unknown }[] = [];
  /** Answers that carried no id the client sent (e.g. to a binary frame). */
  readonly unpaired: Answer[] = [];
  private readonly _waiting = new Map<unknown, (a: Answer) => void>();
  private _next = 1;
  closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
    );
    ws.addEventListener("message", (e) => {
      const msg = JSON.parse(String(e.data)) as Answer & { channel?: string; data?: unknown };
      if (msg.channel !== undefined) {
        this.events.push({ channel: msg.channel, data: msg.data });
        return;
      }
      const waiter = this._waiting.get(msg.id);
      if (waiter !== undefined) {
        this._waiting.delete(msg.id);
        waiter(msg);
      } else {
        this.unpaired.push(msg);
      }
    });
  }

  static async connect(server: IntakeServer): Promise<WsClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error("WebSocket failed to open")), { once: true });
    });
    return new WsClient(ws);
  }

  /** Sends `message` with a fresh id and waits for its answer. */
  request(message: Record<string, unknown>): Promise<Answer> {
    const id = this._next++;
    const answer = new Promise<Answer>((resolve) => this._waiting.set(id, resolve));
    this.ws.send(JSON.stringify({ ...message, id }));
    return answer;
  }

  /** Sends raw data and waits for the next answer without an id of ours. */
  async raw(data: string | Uint8Array): Promise<Answer> {
    const before = this.unpaired.length;
    this.ws.send(data);
    for (let i = 0; i < 200 && this.unpaired.length === before; i++) await new Promise((r) => setTimeout(r, 5));
    const a = this.unpaired[before];
    if (a === undefined) throw new Error("no answer");
    return a;
  }

  close(): void {
    this.ws.close();
  }
}
