import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import websocket from "@fastify/websocket";
import type { Address } from "viem";
import type { LucentDomain } from "../../../sdk/src/index.js";
import { SignatureVerifier } from "../crypto/verifierPool.js";
import type { Journal } from "../store/journal.js";
import { HTTP_STATUS, reject, RejectCode, type Rejection } from "./errors.js";
import { Intake, type IntakeLimits, type IntakeResult } from "./intake.js";
import type { BookProvider, HeartbeatRegistry, MarginCheck, MarketParamsProvider, OrderSink } from "./interfaces.js";
import { IntakeMetrics } from "./metrics.js";
import { PubSub, type Subscriber } from "./pubsub.js";
import { subscribeMessage, describeIssues } from "./schema.js";

export type IntakeServerOptions = {
  /** Default 127.0.0.1: the intake sits behind a proxy that terminates TLS. */
  host?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  domain: LucentDomain;
  journal: Journal;
  markets: MarketParamsProvider;
  sink?: OrderSink;
  marginCheck?: MarginCheck;
  heartbeats?: HeartbeatRegistry;
  /** Serves `GET /book/:market?levels=N` (the cascade ratio's depth); 404 without it. */
  books?: BookProvider;
  keeper?: Address;
  limits?: Partial<IntakeLimits>;
  /** Signature verifier threads (default: one per core; 0: on the main thread). */
  verifierThreads?: number;
  /** Largest HTTP body or WebSocket text message handled (default 16 KiB); larger gets `payload_too_large`. */
  maxMessageBytes?: number;
  now?: () => number;
};

export type IntakeServer = {
  /** `http://host:port` */
  url: string;
  port: number;
  intake: Intake;
  metrics: IntakeMetrics;
  pubsub: PubSub;
  /** Publishes market data to a channel's WebSocket subscribers. */
  publish(channel: string, data: unknown): number;
  app: FastifyInstance;
  close(): Promise<void>;
};

/** WebSocket frames past this size are cut off by the protocol layer (close 1009) without being read. */
const WS_HARD_LIMIT = 1 << 20;

/** What the server needs of a `ws` socket. */
interface Socket extends Subscriber {
  on(event: "message", listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): void;
  on(event: "close" | "error", listener: () => void): void;
  readonly readyState: number;
}

/**
 * Starts the HTTP + WebSocket intake.
 *
 * WebSocket (`/ws`), JSON text frames, answered by `id` (pipelining is fine; answers may come out of order):
 *   → {"op":"order","id":1,"order":{…},"signature":"0x…","domain"?:{chainId,verifyingContract}}
 *   ← {"id":1,"ok":true,"hash":"0x…","status":"accepted"} | {"id":1,"ok":false,"error":{"code":…,"message":…}}
 *   → {"op":"cancel","id":2,"orderHash":"0x…","signature":"0x…"}   (EIP-712 CancelOrder(bytes32 orderHash))
 *   → {"op":"subscribe"|"unsubscribe","id":3,"channels":["book:0","trades:0"]}
 *   ← {"channel":"book:0","data":…}
 * HTTP: POST /orders, POST /cancels (same bodies, no op), GET /orders/:hash, GET /health, GET /metrics.
 */
export async function startIntakeServer(options: IntakeServerOptions): Promise<IntakeServer> {
  const now = options.now ?? Date.now;
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024;
  const metrics = new IntakeMetrics(options.heartbeats, now);
  const verifier = await SignatureVerifier.create({
    domain: options.domain,
    ...(options.verifierThreads === undefined ? {} : { threads: options.verifierThreads }),
  });
  metrics.nativeCrypto.set(verifier.nativeKeccak && verifier.nativeSecp256k1 ? 1 : 0);
  options.journal.onCommit = (items, seconds) => {
    metrics.journalCommitItems.observe(items);
    metrics.journalCommitSeconds.observe(seconds);
  };
  const intake = new Intake({ ...options, verifier, metrics, now });
  const pubsub = new PubSub();

  const app = Fastify({ logger: false, bodyLimit: maxMessageBytes });
  await app.register(websocket, { options: { maxPayload: WS_HARD_LIMIT } });

  // JSON only: without this, fastify hands text/plain bodies to the routes as strings.
  app.removeContentTypeParser("text/plain");
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const r = httpRejection(error);
    intake.countRejection("http", r.code);
    const status = error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ? 415 : HTTP_STATUS[r.code];
    void reply.status(status).send({ ok: false, error: r });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ ok: false, error: reject(RejectCode.NotFound, `no route ${request.method} ${request.url}`) });
  });

  const answer = (result: IntakeResult) =>
    result.ok
      ? result
      : { ok: false as const, error: { code: result.code, message: result.message, details: result.details } };
  const httpStatus = (result: IntakeResult) => (result.ok ? 200 : HTTP_STATUS[result.code]);

  app.post("/orders", async (request, reply) => {
    const result = await intake.submitOrder(request.body, `http:${request.ip}`);
    return reply.status(httpStatus(result)).send(answer(result));
  });
  app.post("/cancels", async (request, reply) => {
    const result = await intake.cancelOrder(request.body, `http:${request.ip}`);
    return reply.status(httpStatus(result)).send(answer(result));
  });
  app.get<{ Params: { hash: string } }>("/orders/:hash", async (request, reply) => {
    const { hash } = request.params;
    if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) {
      return reply
        .status(400)
        .send({ ok: false, error: reject(RejectCode.InvalidField, "expected a 32-byte hex order hash") });
    }
    const o = options.journal.getOrder(hash as `0x${string}`);
    if (o === undefined)
      return reply.status(404).send({ ok: false, error: reject(RejectCode.UnknownOrder, "no such order") });
    return reply.send(withDecimalStrings({ ok: true, ...o }));
  });
  // A trader's open orders on one subaccount: `lucent order place` signs the next nonce after them.
  app.get<{ Params: { trader: string }; Querystring: { subaccount?: string } }>(
    "/traders/:trader/orders",
    async (request, reply) => {
      const { trader } = request.params;
      const subaccount = request.query.subaccount === undefined ? 0 : Number(request.query.subaccount);
      if (!/^0x[0-9a-fA-F]{40}$/.test(trader) || !Number.isInteger(subaccount) || subaccount < 0 || subaccount > 255) {
        return reply.status(400).send({
          ok: false,
          error: reject(RejectCode.InvalidField, "expected a 20-byte hex address and a subaccount 0-255"),
        });
      }
      const orders = options.journal.openOrdersOf(trader as `0x${string}`, subaccount);
      return reply.send(withDecimalStrings({ ok: true, orders }));
    },
  );
  app.get<{ Params: { market: string }; Querystring: { levels?: string } }>("/book/:market", async (request, reply) => {
    const market = Number(request.params.market);
    const levels = request.query.levels === undefined ? 50 : Number(request.query.levels);
    if (!Number.isInteger(market) || market < 0 || !Number.isInteger(levels) || levels < 1 || levels > 1000) {
      return reply
        .status(400)
        .send({ ok: false, error: { code: "malformed", message: "market id and levels 1–1000" } });
    }
    const depth = options.books?.depth(market, levels);
    if (depth === undefined) {
      return reply
        .status(404)
        .send({ ok: false, error: { code: "unknown_market", message: `no book for market ${market}` } });
    }
    return reply.send(depth);
  });
  app.get("/health", async (_request, reply) => {
    const at = now();
    const loops = [...(options.heartbeats?.heartbeats() ?? [])].map((h) => {
      const ageMs = h.lastBeatAt === undefined ? null : at - h.lastBeatAt;
      return {
        name: h.name,
        lastBeatAt: h.lastBeatAt ?? null,
        ageMs,
        maxAgeMs: h.maxAgeMs,
        stale: ageMs === null || ageMs > h.maxAgeMs,
      };
    });
    const healthy = loops.every((l) => !l.stale);
    return reply.status(healthy ? 200 : 503).send({
      status: healthy ? "ok" : "stale",
      loops,
      nativeCrypto: verifier.nativeKeccak && verifier.nativeSecp256k1,
    });
  });
  app.get("/metrics", async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.header("content-type", metrics.registry.contentType).send(body);
  });

  let connections = 0;
  app.get("/ws", { websocket: true }, (rawSocket, request) => {
    const socket = rawSocket as unknown as Socket;
    const connection = `ws:${request.ip}:${++connections}`;
    let inFlight = 0;
    metrics.connections.inc();
    const send = (payload: unknown) => {
      if (socket.readyState === 1) socket.send(JSON.stringify(payload));
    };
    const refuse = (id: unknown, op: string, r: Rejection) => {
      intake.countRejection(op, r.code);
      send({ id, ok: false, error: r });
    };
    socket.on("message", (data, isBinary) => {
      if (isBinary)
        return refuse(
          null,
          "ws",
          reject(RejectCode.MalformedPayload, "binary frames are not accepted; send JSON text"),
        );
      const text = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (text.length > maxMessageBytes) {
        return refuse(
          null,
          "ws",
          reject(RejectCode.PayloadTooLarge, `messages are limited to ${maxMessageBytes} bytes`),
        );
      }
      let message: unknown;
      try {
        message = JSON.parse(text.toString("utf8"));
      } catch {
        return refuse(null, "ws", reject(RejectCode.MalformedPayload, "not valid JSON"));
      }
      if (typeof message !== "object" || message === null || Array.isArray(message)) {
        return refuse(null, "ws", reject(RejectCode.MalformedPayload, "expected a JSON object"));
      }
      const m = message as { op?: unknown; id?: unknown };
      const id = correlationId(m.id);
      const op = m.op;
      if (op === "subscribe" || op === "unsubscribe") {
        const parsed = subscribeMessage.safeParse(message);
        if (!parsed.success) {
          return refuse(
            id,
            "subscribe",
            reject(RejectCode.InvalidField, "invalid subscription", { issues: describeIssues(parsed.error) }),
          );
        }
        if (op === "unsubscribe") {
          pubsub.unsubscribe(socket, parsed.data.channels);
          return send({ id, ok: true });
        }
        const r = pubsub.subscribe(socket, parsed.data.channels);
        return r.ok
          ? send({ id, ok: true, channels: parsed.data.channels })
          : refuse(id, "subscribe", reject(RejectCode.InvalidField, r.message));
      }
      if (op !== "order" && op !== "cancel") {
        return refuse(
          id,
          "ws",
          reject(
            RejectCode.UnsupportedOp,
            `unknown op ${JSON.stringify(op)?.slice(0, 40)}; expected order, cancel, subscribe or unsubscribe`,
          ),
        );
      }
      if (inFlight >= intake.limits.maxInFlightPerConnection) {
        return refuse(id, op, reject(RejectCode.Overloaded, "too many unanswered messages on this connection"));
      }
      inFlight++;
      const pending =
        op === "order" ? intake.submitOrder(message, connection) : intake.cancelOrder(message, connection);
      pending.then(
        (result) => {
          inFlight--;
          send({ id, ...answer(result) });
        },
        (err: unknown) => {
          inFlight--;
          send({ id, ok: false, error: reject(RejectCode.Internal, "internal error", { error: String(err) }) });
        },
      );
    });
    socket.on("close", () => {
      metrics.connections.dec();
      pubsub.remove(socket);
      intake.connectionClosed(connection);
    });
    socket.on("error", () => {});
  });

  const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 8787 });
  const port = Number(new URL(address).port);
  return {
    url: address,
    port,
    intake,
    metrics,
    pubsub,
    publish: (channel, data) => pubsub.publish(channel, data),
    app,
    async close() {
      await app.close();
      await verifier.close();
      options.journal.flush();
    },
  };
}

/** Echo a client's id if it is a short string or a safe integer; anything else is answered with null. */
function correlationId(id: unknown): string | number | null {
  if (typeof id === "number" && Number.isSafeInteger(id)) return id;
  if (typeof id === "string" && id.length <= 64) return id;
  return null;
}

function httpRejection(error: FastifyError): Rejection {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return reject(RejectCode.PayloadTooLarge, "the request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return reject(RejectCode.MalformedPayload, "send application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return reject(RejectCode.MalformedPayload, "empty or truncated body");
    default:
      if (error.statusCode === 400 || error instanceof SyntaxError)
        return reject(RejectCode.MalformedPayload, "not valid JSON");
      return reject(RejectCode.Internal, "internal error");
  }
}

/** A journaled value as JSON can carry it: bigints as decimal strings. */
function withDecimalStrings(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}
