import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashOrder, lucentDomain, OrderFlags, signCancel, signOrder } from "../../../sdk/src/index.js";
import { RejectCode } from "./errors.js";
import { Heartbeats } from "./interfaces.js";
import { orderToWire } from "./schema.js";
import { alice, bob, domain, makeOrder, signedMessage, startTestServer, WsClient, type TestServer } from "./testing.js";

let server: TestServer;
let client: WsClient;
const heartbeats = new Heartbeats();
heartbeats.register("matcher", 60_000);
heartbeats.beat("matcher");

beforeAll(async () => {
  server = await startTestServer({
    heartbeats,
    books: {
      depth: (market, levels) =>
        market === 0
          ? {
              bids: [
                [99_990, 5],
                [99_980, 7],
              ].slice(0, levels) as [number, number][],
              asks: [],
            }
          : undefined,
    },
    marginCheck: (order) =>
      order.size >= 1_000_000n ? { ok: false, reason: "size exceeds the margin estimate" } : { ok: true },
  });
  client = await WsClient.connect(server);
});
afterAll(async () => {
  client.close();
  await server.dispose();
});

async function submit(overrides = {}, signer = alice) {
  return client.request({ op: "order", ...(await signedMessage(makeOrder(overrides), signer)) });
}

describe("intake: accepting", () => {
  it("verifies, journals and acknowledges an order over WebSocket, then hands it to the sink", async () => {
    const order = makeOrder();
    const answer = await client.request({
      op: "order",
      ...(await signedMessage(order)),
      domain: { chainId: 31337, verifyingContract: domain.verifyingContract },
    });
    expect(answer).toMatchObject({ ok: true, status: "accepted", hash: hashOrder({ domain, order }) });
    expect(server.journal.getOrder(answer.hash!)?.status).toBe("open");
    expect(server.sink.orders.at(-1)?.hash).toBe(answer.hash);
  });

  it("accepts over HTTP too, and reports the order by hash", async () => {
    const order = makeOrder({ isBuy: false, flags: OrderFlags.POST_ONLY | OrderFlags.REDUCE_ONLY });
    const res = await fetch(`${server.url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(await signedMessage(order)),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { hash: string };
    expect(body.hash).toBe(hashOrder({ domain, order }));
    const got = (await (await fetch(`${server.url}/orders/${body.hash}`)).json()) as {
      status: string;
      order: { size: string };
    };
    expect(got).toMatchObject({ status: "open", order: { size: "100" } });
  });

  it("lists a trader's open orders on a subaccount; a bad address or subaccount is invalid_field", async () => {
    const order = makeOrder({ subaccount: 4, nonce: 41n });
    const answer = await client.request({ op: "order", ...(await signedMessage(order)) });
    expect(answer.ok).toBe(true);
    const listed = async (query: string) => {
      const res = await fetch(`${server.url}/traders/${query}`);
      return {
        status: res.status,
        body: (await res.json()) as {
          ok: boolean;
          orders?: { hash: string; order: { nonce: string } }[];
          error?: { code: string };
        },
      };
    };
    const mine = await listed(`${alice.address}/orders?subaccount=4`);
    expect(mine.status).toBe(200);
    expect(mine.body.orders?.map((o) => [o.hash, o.order.nonce])).toEqual([[answer.hash, "41"]]);
    expect((await listed(`${bob.address}/orders?subaccount=4`)).body).toEqual({ ok: true, orders: [] });
    for (const bad of [
      "0x1234/orders",
      `${alice.address}/orders?subaccount=256`,
      `${alice.address}/orders?subaccount=x`,
    ]) {
      const res = await listed(bad);
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe(RejectCode.InvalidField);
    }
  });

  it("cancels with a CancelOrder signature by the trader", async () => {
    const answer = await submit();
    const orderHash = answer.hash!;
    // Someone else's signature does not cancel it.
    expect(
      (
        await client.request({
          op: "cancel",
          orderHash,
          signature: await signCancel({ signer: bob, domain, orderHash }),
        })
      ).error?.code,
    ).toBe(RejectCode.BadSignature);
    const ok = await client.request({
      op: "cancel",
      orderHash,
      signature: await signCancel({ signer: alice, domain, orderHash }),
    });
    expect(ok).toMatchObject({ ok: true, status: "cancelled", hash: orderHash });
    expect(server.sink.cancels.at(-1)).toEqual({ orderHash, trader: alice.address });
    expect(server.journal.getOrder(orderHash)?.status).toBe("cancelled");
    const again = await client.request({
      op: "cancel",
      orderHash,
      signature: await signCancel({ signer: alice, domain, orderHash }),
    });
    expect(again.error?.code).toBe(RejectCode.OrderNotOpen);
    const unknown = `0x${"ab".repeat(32)}` as const;
    expect(
      (
        await client.request({
          op: "cancel",
          orderHash: unknown,
          signature: await signCancel({ signer: alice, domain, orderHash: unknown }),
        })
      ).error?.code,
    ).toBe(RejectCode.UnknownOrder);
  });
});

describe("intake: every rejection code", () => {
  const cases: [string, () => Promise<{ error?: { code: string } }>, string][] = [
    ["bad signature: signed by another key", () => submit({}, bob).then((a) => a), RejectCode.BadSignature],
    [
      "bad signature: not a signature",
      async () => client.request({ op: "order", order: orderToWire(makeOrder()), signature: `0x${"00".repeat(65)}` }),
      RejectCode.BadSignature,
    ],
    [
      "bad signature: signed for another domain (and the client did not say which)",
      async () => {
        const order = makeOrder();
        const other = lucentDomain({ chainId: 1, clearinghouse: domain.verifyingContract });
        const { signature } = await signOrder({ signer: alice, domain: other, order });
        return client.request({ op: "order", order: orderToWire(order), signature });
      },
      RejectCode.BadSignature,
    ],
    [
      "wrong domain: chainId",
      async () =>
        client.request({
          op: "order",
          ...(await signedMessage(makeOrder())),
          domain: { chainId: 1, verifyingContract: domain.verifyingContract },
        }),
      RejectCode.WrongDomain,
    ],
    [
      "wrong domain: verifyingContract",
      async () =>
        client.request({
          op: "order",
          ...(await signedMessage(makeOrder())),
          domain: { chainId: 31337, verifyingContract: bob.address },
        }),
      RejectCode.WrongDomain,
    ],
    ["expired", () => submit({ expiry: Math.floor(Date.now() / 1000) - 1 }), RejectCode.Expired],
    ["insufficient margin", () => submit({ size: 1_000_000n }), RejectCode.InsufficientMargin],
    ["unknown market", () => submit({ market: 7 }), RejectCode.UnknownMarket],
    ["inactive market", () => submit({ market: 1 }), RejectCode.MarketInactive],
    ["tick", () => submit({ limitPrice: 10n ** 16n + 1n }), RejectCode.BadTick],
    ["zero price", () => submit({ limitPrice: 0n }), RejectCode.BadTick],
    ["lot", () => submit({ size: 15n }), RejectCode.BadLot],
    ["zero size", () => submit({ size: 0n }), RejectCode.BadLot],
    ["flags out of range", () => submit({ flags: 8 }), RejectCode.InvalidFlags],
    ["post-only with IOC", () => submit({ flags: OrderFlags.POST_ONLY | OrderFlags.IOC }), RejectCode.InvalidFlags],
    ["another keeper", () => submit({ keeper: bob.address }), RejectCode.WrongKeeper],
    ["unsupported op", () => client.request({ op: "withdraw" }), RejectCode.UnsupportedOp],
  ];
  for (const [name, run, code] of cases) {
    it(`${code}: ${name}`, async () => {
      const before = server.journal.countOrders().open;
      const answer = await run();
      expect(answer.error?.code).toBe(code);
      expect(server.journal.countOrders().open).toBe(before); // nothing journaled
    });
  }

  it("duplicate", async () => {
    const message = await signedMessage(makeOrder());
    expect((await client.request({ op: "order", ...message })).ok).toBe(true);
    expect((await client.request({ op: "order", ...message })).error?.code).toBe(RejectCode.Duplicate);
    // Two copies pipelined in the same turn: exactly one is accepted.
    const both = await Promise.all(
      [message, message].map(async () =>
        client.request({ op: "order", ...(await signedMessage(makeOrder({ nonce: 42n }))) }),
      ),
    );
    expect(both.map((a) => a.ok).sort()).toEqual([false, true]);
  });

  it("invalid_field: wrong types, missing and extra fields, out-of-range integers", async () => {
    const { order, signature } = await signedMessage(makeOrder());
    const bad = [
      { ...order, size: 1.5 },
      { ...order, size: "-1" },
      { ...order, size: (2n ** 64n).toString() },
      { ...order, limitPrice: "1e18" },
      { ...order, subaccount: 256 },
      { ...order, isBuy: "true" },
      { ...order, trader: "0x1234" },
      { ...order, expiry: null },
      { ...order, extra: 1 },
      Object.fromEntries(Object.entries(order).filter(([k]) => k !== "nonce")),
      [order],
      "order",
    ];
    for (const o of bad) {
      const answer = await client.request({ op: "order", order: o, signature });
      expect(answer.error?.code, JSON.stringify(o)).toBe(RejectCode.InvalidField);
    }
    expect((await client.request({ op: "order", order, signature: "0x1234" })).error?.code).toBe(
      RejectCode.InvalidField,
    );
    expect((await client.request({ op: "cancel", orderHash: "0x12", signature })).error?.code).toBe(
      RejectCode.InvalidField,
    );
  });
});

describe("intake: hostile payloads over WebSocket", () => {
  it("answers malformed, oversized, binary and deeply nested messages, and keeps serving", async () => {
    expect((await client.raw("{not json")).error?.code).toBe(RejectCode.MalformedPayload);
    expect((await client.raw("[1,2,3]")).error?.code).toBe(RejectCode.MalformedPayload);
    expect((await client.raw("null")).error?.code).toBe(RejectCode.MalformedPayload);
    expect((await client.raw(new Uint8Array([1, 2, 3]))).error?.code).toBe(RejectCode.MalformedPayload);
    expect((await client.raw(JSON.stringify({ op: "order", pad: "x".repeat(20_000) }))).error?.code).toBe(
      RejectCode.PayloadTooLarge,
    );
    const deep = `{"op":"order","order":${"[".repeat(7000)}${"]".repeat(7000)}}`;
    expect((await client.raw(deep)).error?.code).toBe(RejectCode.InvalidField);
    expect((await client.raw('{"op":"order","__proto__":{"admin":true}}')).error?.code).toBe(RejectCode.InvalidField);
    expect((await submit()).ok).toBe(true);
  });

  it("closes a connection that sends a frame over the hard limit (1009), and serves others", async () => {
    const hostile = await WsClient.connect(server);
    hostile.ws.send("x".repeat(2 << 20));
    expect((await hostile.closed).code).toBe(1009);
    expect((await submit()).ok).toBe(true);
  });
});

describe("intake: hostile payloads over HTTP", () => {
  const post = (path: string, body: string, type = "application/json") =>
    fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": type }, body });

  it("maps every bad body to a clear code", async () => {
    const cases: [string, string, number, string][] = [
      ["{oops", "application/json", 400, RejectCode.MalformedPayload],
      [JSON.stringify({ pad: "x".repeat(100_000) }), "application/json", 413, RejectCode.PayloadTooLarge],
      ["hello", "text/plain", 415, RejectCode.MalformedPayload],
      ['{"__proto__":{"x":1}}', "application/json", 400, RejectCode.MalformedPayload],
      ["[]", "application/json", 400, RejectCode.InvalidField],
    ];
    for (const [body, type, status, code] of cases) {
      const res = await post("/orders", body, type);
      const json = (await res.json()) as { error: { code: string } };
      expect([res.status, json.error.code], body.slice(0, 30)).toEqual([status, code]);
    }
    const notFound = await fetch(`${server.url}/nope`);
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { code: string } }).error.code).toBe(RejectCode.NotFound);
    const bad = await post("/orders", JSON.stringify(await signedMessage(makeOrder(), bob)));
    expect(bad.status).toBe(401);
  });
});

describe("intake: market data", () => {
  it("subscribes, publishes and unsubscribes", async () => {
    const sub = await WsClient.connect(server);
    expect((await sub.request({ op: "subscribe", channels: ["book:0", "trades:0"] })).ok).toBe(true);
    expect((await sub.request({ op: "subscribe", channels: ["secrets:0"] })).error?.code).toBe(RejectCode.InvalidField);
    expect(server.publish("book:0", { bids: [[1n, 2n]] })).toBe(1);
    expect(server.publish("mark:0", { mark: "1" })).toBe(0);
    await expect.poll(() => sub.events).toEqual([{ channel: "book:0", data: { bids: [["1", "2"]] } }]);
    expect((await sub.request({ op: "unsubscribe", channels: ["book:0"] })).ok).toBe(true);
    expect(server.publish("book:0", {})).toBe(0);
    sub.close();
    await sub.closed;
    await expect.poll(() => server.pubsub.subscriberCount("trades:0")).toBe(0);
  });
});

describe("intake: health and metrics", () => {
  it("reports 200 with fresh heartbeats and 503 when a loop is stale", async () => {
    const ok = await fetch(`${server.url}/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      status: "ok",
      nativeCrypto: true,
      loops: [{ name: "matcher", stale: false }],
    });
    heartbeats.register("liquidator", 10);
    const stale = await fetch(`${server.url}/health`);
    expect(stale.status).toBe(503);
    expect(await stale.json()).toMatchObject({
      status: "stale",
      loops: [{ name: "matcher" }, { name: "liquidator", stale: true }],
    });
  });

  it("exports Prometheus metrics", async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/lucent_intake_accepted_total\{op="order"\} \d+/);
    expect(text).toMatch(/lucent_intake_rejected_total\{code="bad_signature"\} \d+/);
    expect(text).toContain("lucent_journal_commit_seconds_bucket");
    expect(text).toContain("lucent_intake_native_crypto 1");
    expect(text).toMatch(/lucent_heartbeat_age_seconds\{loop="matcher"\}/);
  });
});

describe("intake: rate limits", () => {
  it("limits each trader with a token bucket and a quote-to-trade ratio fed by fills", async () => {
    let now = Date.now();
    const limited = await startTestServer({
      now: () => now,
      limits: {
        perTrader: { burst: 3, perSecond: 1 },
        quoteToTrade: { maxRatio: 2, minMessages: 4, windowMs: 3_600_000 },
      },
    });
    const ws = await WsClient.connect(limited);
    try {
      const send = async (signer = alice) =>
        ws.request({ op: "order", ...(await signedMessage(makeOrder({ trader: signer.address }), signer)) });
      expect((await Promise.all([send(), send(), send()])).every((a) => a.ok)).toBe(true);
      const over = await send();
      expect(over.error?.code).toBe(RejectCode.RateLimited);
      expect((await send(bob)).ok).toBe(true); // another trader has their own bucket
      now += 10_000; // refill
      expect((await send()).ok).toBe(true); // 4th message: ratio applies from now on
      expect((await send()).error?.code).toBe(RejectCode.QuoteToTradeExceeded);
      limited.intake.recordFills(alice.address, 3); // 4 messages / 3 fills ≤ 2
      expect((await send()).ok).toBe(true);
    } finally {
      ws.close();
      await limited.dispose();
    }
  });

  it("limits each connection before spending signature checks", async () => {
    const limited = await startTestServer({ limits: { perConnection: { burst: 2, perSecond: 0.001 } } });
    const ws = await WsClient.connect(limited);
    try {
      const messages = await Promise.all([0, 1, 2].map(() => signedMessage(makeOrder())));
      const answers = await Promise.all(messages.map((m) => ws.request({ op: "order", ...m })));
      expect(answers.map((a) => a.error?.code ?? "ok")).toEqual(["ok", "ok", RejectCode.RateLimited]);
    } finally {
      ws.close();
      await limited.dispose();
    }
  });
});

describe("intake: restart", () => {
  it("replays the journal's open orders into the sink", async () => {
    const accepted = await submit();
    const replayed = server.sink.orders.length;
    expect(server.intake.replayOpenOrders()).toBe(server.journal.openOrders().length);
    expect(server.sink.orders.slice(replayed).map((o) => o.hash)).toContain(accepted.hash);
  });
});

describe("intake: book depth for the cascade ratio", () => {
  it("serves GET /book/:market as [price, size] levels, 404 for a market without a book, 400 on bad input", async () => {
    const ok = await fetch(`${server.url}/book/0?levels=1`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ bids: [[99_990, 5]], asks: [] });
    expect((await fetch(`${server.url}/book/7`)).status).toBe(404);
    expect((await fetch(`${server.url}/book/x`)).status).toBe(400);
    expect((await fetch(`${server.url}/book/0?levels=0`)).status).toBe(400);
  });
});
