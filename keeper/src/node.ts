import { mkdirSync } from "node:fs";
import path from "node:path";
import { Counter, Gauge, Registry } from "prom-client";
import { maxUint256, parseGwei, type Address, type Hex } from "viem";
import {
  clearinghouseAbi,
  createLucentClient,
  getMarkets,
  keeperRegistryAbi,
  loadDevnetAddresses,
  lucentDomain,
  subaccountId,
  type LucentAddresses,
  type LucentClient,
  type LucentDomain,
  type Market,
} from "../../sdk/src/index.js";
import { startIntakeServer, type IntakeServer } from "./api/server.js";
import { LiveMarkets, type Heartbeat, type HeartbeatRegistry, type MarketParams } from "./api/interfaces.js";
import type { Bot } from "./bots/bot.js";
import { BatchPoster } from "./bots/batchPoster.js";
import { OrderMatcher } from "./bots/batchPosterMatcher.js";
import { createNodeLiquidator } from "./bots/liquidatorNode.js";
import { MarketWatcher } from "./bots/marketWatcher.js";
import { createChainClients, type ChainClients } from "./chain/clients.js";
import { NonceManager } from "./chain/nonceManager.js";
import type { KeeperConfig } from "./config.js";
import type { MatchingEngine } from "./engine/index.js";
import { createLogger, type Logger } from "./log.js";
import { Journal, type JournaledOrder } from "./store/journal.js";

/**
 * What every loop of the node can use. Extra bots (liquidator, deleverager, price feeder) receive it
 * from `createKeeperNode(config, { extraBots: (ctx) => [...] })` and send their transactions through
 * `ctx.nonceManager` so that they share the keeper's nonces with the batch poster.
 */
export type KeeperContext = {
  readonly config: KeeperConfig;
  readonly logger: Logger;
  /** viem public client (with RPC failover), the keeper's local account, the chain. */
  readonly chain: ChainClients;
  /** The keeper's only way to send transactions. */
  readonly nonceManager: NonceManager;
  /** The SDK client (read actions: getMarkets, getSubaccount, getEvents...). */
  readonly lucent: LucentClient;
  readonly addresses: LucentAddresses;
  readonly keeper: Address;
  readonly domain: LucentDomain;
  /** The markets this node matches, as listed on chain at start. */
  readonly markets: readonly Market[];
  /** Their tick, lot and active flag; `MarketWatcher` keeps the flag in step with the chain. */
  readonly marketParams: LiveMarkets;
  readonly journal: Journal;
  /** Signed orders ↔ engine; `matcher.engine` is the order book (resting signed orders for liquidation fills). */
  readonly matcher: OrderMatcher;
  readonly engine: MatchingEngine;
  readonly batchPoster: BatchPoster;
  /** Register extra metrics here; `/metrics` serves them. */
  readonly registry: Registry;
  /**
   * Publishes on the intake's WebSocket pub/sub (`book|trades|mark|index|funding|cascade:<market id>`);
   * a no-op until the intake has started.
   */
  readonly publish: (channel: string, data: unknown) => void;
};

export type KeeperNodeOptions = {
  /**
   * More loops: called once the context exists; they are initialized after, and stopped before, the poster
   * (and the liquidator, which the node adds itself unless `config.liquidator.enabled` is false).
   */
  extraBots?: (ctx: KeeperContext) => Bot[];
  logger?: Logger;
};

export type KeeperNode = {
  readonly ctx: KeeperContext;
  readonly bots: readonly Bot[];
  /** The intake server, once started. */
  readonly api: IntakeServer | undefined;
  /** Restores state (nonces, batches, open orders), starts the intake and the loops. */
  start(): Promise<void>;
  /** Stops the intake, then the loops (the poster flushes), then closes the journal. Idempotent. */
  stop(): Promise<void>;
};

const HOUSEKEEPING_MS = 5_000;

/** Builds the node (clients, journal, engine, loops); nothing runs until `start`. */
export async function createKeeperNode(config: KeeperConfig, options: KeeperNodeOptions = {}): Promise<KeeperNode> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const registry = new Registry();
  const rpcFailovers = new Counter({
    name: "lucent_rpc_failovers_total",
    help: "Switches to the next RPC URL after a network error, timeout or HTTP error",
    registers: [registry],
  });
  const chain = await createChainClients({
    rpcUrls: config.rpcUrls,
    privateKey: config.privateKey as Hex,
    chainId: config.chainId,
    timeoutMs: config.rpc.timeoutMs,
    maxRounds: config.rpc.maxRounds,
    backoffMs: config.rpc.backoffMs,
    backoffMaxMs: config.rpc.backoffMaxMs,
    pollingIntervalMs: config.rpc.pollingIntervalMs,
    onFailover: (e) => {
      rpcFailovers.inc();
      logger.warn({ component: "rpc", ...e }, "RPC failover");
    },
  });
  new Gauge({
    name: "lucent_rpc_current_url_index",
    help: "Index in rpcUrls of the URL in use",
    registers: [registry],
    collect() {
      this.set(chain.rpc.stats.current);
    },
  });
  const txEvents = new Counter({
    name: "lucent_tx_events_total",
    help: "Transaction lifecycle events (sent, bumped, broadcast-failed, mined)",
    labelNames: ["type"] as const,
    registers: [registry],
  });
  const txLog = logger.child({ component: "nonce-manager" });
  const nonceManager = new NonceManager({
    client: chain.publicClient,
    account: chain.account,
    stuckAfterMs: config.tx.stuckAfterMs,
    bumpBps: config.tx.bumpBps,
    maxBumps: config.tx.maxBumps,
    pollMs: config.rpc.pollingIntervalMs,
    ...(config.tx.maxFeePerGasGwei === undefined
      ? {}
      : { maxFeePerGasCap: parseGwei(String(config.tx.maxFeePerGasGwei)) }),
    onEvent: (e) => {
      txEvents.inc({ type: e.type });
      if (e.type === "resynced") txLog.info({ next: e.next, latest: e.latest, pending: e.pending }, "nonces resynced");
      else if (e.type === "mined")
        txLog.debug({ label: e.tx.label, nonce: e.tx.nonce, hash: e.receipt.transactionHash }, "mined");
      else if (e.type === "bumped")
        txLog.warn(
          {
            label: e.tx.label,
            nonce: e.tx.nonce,
            hash: e.attempt.hash,
            stuckMs: e.stuckMs,
            maxFeePerGas: e.attempt.maxFeePerGas,
            maxPriorityFeePerGas: e.attempt.maxPriorityFeePerGas,
          },
          "stuck transaction replaced with higher fees",
        );
      else if (e.type === "broadcast-failed")
        txLog.warn({ label: e.tx.label, nonce: e.tx.nonce, hash: e.attempt.hash, error: e.error }, "broadcast failed");
    },
  });

  const addresses: LucentAddresses =
    (config.addresses as LucentAddresses | undefined) ??
    loadDevnetAddresses(config.deploymentFile === undefined ? {} : { file: config.deploymentFile });
  const lucent = createLucentClient({ publicClient: chain.publicClient, addresses });
  const keeper = chain.account.address;
  const domain = lucentDomain({ chainId: chain.chain.id, clearinghouse: lucent.addresses.clearinghouse });
  const markets = await getMarkets(lucent, config.markets === undefined ? {} : { marketIds: config.markets });
  const table: Record<number, MarketParams> = {};
  for (const m of markets) table[m.id] = { tickSize: m.tickSize, lotSize: m.lotSize, active: m.active };
  const marketParams = new LiveMarkets(table);

  if (config.journal.path !== ":memory:") mkdirSync(path.dirname(config.journal.path), { recursive: true });
  const journal = new Journal({ path: config.journal.path, synchronous: config.journal.synchronous });
  const matchLog = logger.child({ component: "matcher" });
  let poster: BatchPoster | undefined;
  const matcher = new OrderMatcher({
    markets: marketParams,
    journal,
    onFill: (fill) => poster!.enqueue(fill),
    maxPriceTicks: (market) => config.maxPriceTicks[String(market)],
    onDropped: (hash, status, reason) => matchLog.info({ orderHash: hash, status, reason }, "order left the book"),
    positionOf: async (order) => {
      const market = markets.find((m) => m.id === order.market);
      if (market === undefined) return 0n;
      const id = subaccountId({ owner: order.trader, collateral: market.collateral.index, index: order.subaccount });
      const [size] = await chain.publicClient.readContract({
        address: lucent.addresses.clearinghouse,
        abi: clearinghouseAbi,
        functionName: "position",
        args: [id, order.market],
      });
      return size;
    },
    onPositionError: (order, error) =>
      matchLog.warn({ trader: order.trader, market: order.market, error: String(error) }, "position read failed"),
  });
  let api: IntakeServer | undefined;
  poster = new BatchPoster({
    journal,
    client: chain.publicClient,
    nonceManager,
    clearinghouse: lucent.addresses.clearinghouse,
    reconciler: matcher,
    limits: { maxFills: config.batch.maxFills, maxAgeMs: config.batch.maxAgeMs },
    pollMs: config.batch.pollMs,
    receiptTimeoutMs: config.batch.receiptTimeoutMs,
    gasMarginBps: config.batch.gasMarginBps,
    flushTimeoutMs: config.batch.flushTimeoutMs,
    fromBlock: BigInt(config.startBlock),
    logger,
    registry,
    onSettled: (outcome, fills) => {
      const skipped = new Set(outcome.skipped.map((s) => s.fillIndex));
      fills.forEach((f, i) => {
        if (skipped.has(i)) return;
        api?.intake.recordFills(f.maker.order.trader);
        api?.intake.recordFills(f.taker.order.trader);
      });
    },
  });

  const ctx: KeeperContext = {
    config,
    logger,
    chain,
    nonceManager,
    lucent,
    addresses: lucent.addresses,
    keeper,
    domain,
    markets,
    marketParams,
    journal,
    matcher,
    engine: matcher.engine,
    batchPoster: poster,
    registry,
    publish: (channel, data) => {
      api?.publish(channel, data);
    },
  };
  const builtIn: Bot[] = [poster];
  if (config.liquidator.enabled) builtIn.push(defaultLiquidator(ctx));
  builtIn.push(
    new MarketWatcher({
      client: lucent,
      markets: marketParams,
      intervalMs: config.marketWatchIntervalMs,
      logger: logger.child({ component: "market-watcher" }),
    }),
  );
  const bots: Bot[] = [...builtIn, ...(options.extraBots?.(ctx) ?? [])];
  const names = new Set<string>();
  for (const bot of bots) {
    if (names.has(bot.name)) throw new Error(`two bots are named ${bot.name}`);
    names.add(bot.name);
  }
  const heartbeats: HeartbeatRegistry = {
    *heartbeats(): Iterable<Heartbeat> {
      for (const bot of bots) {
        const h = bot.healthCheck();
        // An unhealthy loop reports a negative allowance, so /health shows it stale whatever its age.
        yield { name: bot.name, lastBeatAt: h.lastHeartbeatMs ?? undefined, maxAgeMs: h.healthy ? 60_000 : -1 };
      }
    },
  };

  let housekeeping: NodeJS.Timeout | undefined;
  let started = false;
  let stopping: Promise<void> | undefined;
  const log = logger.child({ component: "node" });

  return {
    ctx,
    bots,
    get api() {
      return api;
    },
    async start() {
      if (started) throw new Error("the keeper node was already started");
      started = true;
      log.info(
        { keeper, chainId: chain.chain.id, clearinghouse: lucent.addresses.clearinghouse, rpcUrls: config.rpcUrls },
        "starting",
      );
      if (lucent.addresses.keeperRegistry !== undefined) {
        const active = await chain.publicClient.readContract({
          address: lucent.addresses.keeperRegistry,
          abi: keeperRegistryAbi,
          functionName: "isActiveKeeper",
          args: [keeper],
        });
        if (!active) log.warn({ keeper }, "this key is not an active keeper: batches will revert until it registers");
      }
      await nonceManager.reconcile({ waitMs: config.tx.restartWaitMs });
      for (const bot of bots) await bot.init();
      const restored = await restoreOpenOrders(ctx);
      log.info(restored, "open orders restored from the journal");

      api = await startIntakeServer({
        host: config.api.host,
        port: config.api.port,
        domain,
        journal,
        markets: marketParams,
        sink: matcher,
        books: matcher,
        heartbeats,
        keeper,
        ...(config.api.verifierThreads === undefined ? {} : { verifierThreads: config.api.verifierThreads }),
      });
      for (const { name } of registry.getMetricsAsArray()) {
        const metric = registry.getSingleMetric(name);
        if (metric !== undefined) api.metrics.registry.registerMetric(metric);
      }
      for (const bot of bots) await bot.start();
      housekeeping = setInterval(() => {
        const now = Math.floor(Date.now() / 1000);
        matcher.engine.purgeExpired(now);
        journal.expireOrders(now);
      }, HOUSEKEEPING_MS);
      housekeeping.unref();
      log.info({ url: api.url, markets: markets.map((m) => m.symbol) }, "keeper node started");
    },
    stop() {
      stopping ??= (async () => {
        log.info("stopping: intake first, then the loops, then the journal");
        clearInterval(housekeeping);
        await api?.close().catch((err: unknown) => log.error({ err }, "closing the intake failed"));
        for (const bot of [...bots].reverse()) {
          await bot.stop().catch((err: unknown) => log.error({ err, bot: bot.name }, "stopping a bot failed"));
        }
        journal.close();
        log.info("keeper node stopped");
      })();
      return stopping;
    },
  };
}

/**
 * The liquidation loop over the node's parts: transactions through the shared nonce manager, the book
 * from the matcher, R(Δ) on the pub/sub's `cascade:<market id>` channels.
 */
function defaultLiquidator(ctx: KeeperContext): Bot {
  const { config } = ctx;
  const log = ctx.logger.child({ component: "liquidator" });
  const bot = createNodeLiquidator({
    client: ctx.lucent,
    publicClient: ctx.chain.publicClient,
    nonceManager: ctx.nonceManager,
    keeper: ctx.keeper,
    matcher: ctx.matcher,
    markets: ctx.markets,
    // The bot names its channels `risk:<id>`; the pub/sub's name for R(Δ) is `cascade:<id>`.
    publish: (channel, message) => ctx.publish(channel.replace(/^risk:/, "cascade:"), message),
    fromBlock: BigInt(config.startBlock),
    intervalMs: config.liquidator.intervalMs,
    maxAttempts: config.liquidator.maxAttempts,
    staleAfterMs: config.liquidator.staleAfterMs,
    gasMarginBps: config.batch.gasMarginBps,
    receiptTimeoutMs: config.batch.receiptTimeoutMs,
  });
  // Log what each iteration did (the bot itself only reports it to its caller).
  const iterate = bot.iterate.bind(bot);
  bot.iterate = async () => {
    const report = await iterate().catch((err: unknown) => {
      log.warn({ err }, "liquidator iteration failed");
      throw err;
    });
    for (const l of report.liquidations)
      log.info(
        {
          account: l.account,
          market: l.market,
          tx: l.transactionHash,
          book: l.plan.bookSize,
          backstop: l.plan.backstopSize,
          adl: l.plan.adlSize,
          attempts: l.attempts,
        },
        "liquidated",
      );
    for (const f of report.failures) log.warn(f, "liquidation failed");
    return report;
  };
  return bot;
}

/**
 * On start, after the batches are reconciled: expires stale orders, checks every open order against
 * the chain (cancelled by hash, nonce used or below the floor, filled by another keeper) and replays the
 * live ones into the engine in acceptance order with their remaining size.
 */
export async function restoreOpenOrders(
  ctx: Pick<KeeperContext, "journal" | "matcher" | "chain" | "addresses" | "markets" | "config">,
): Promise<{ replayed: number; cancelled: number; used: number; expired: number }> {
  const { journal, matcher, chain, markets } = ctx;
  const clearinghouse = ctx.addresses.clearinghouse;
  const expired = journal.expireOrders(Math.floor(Date.now() / 1000));
  const open = journal.openOrders();
  const collateralOf = new Map(markets.map((m) => [m.id, m.collateral.index]));
  type Verdict = { order: JournaledOrder; chainFilled: bigint; dead: "cancelled" | "used" | undefined };
  const check = async (o: JournaledOrder): Promise<Verdict> => {
    const collateral = collateralOf.get(o.order.market);
    if (collateral === undefined) return { order: o, chainFilled: 0n, dead: "cancelled" };
    const id = subaccountId({ owner: o.order.trader, collateral, index: o.order.subaccount });
    // `isNonceUsed` covers the nonce floor too: raised by the trader, or past an order filled whole at it.
    const [filled, used] = await Promise.all([
      chain.publicClient.readContract({
        address: clearinghouse,
        abi: clearinghouseAbi,
        functionName: "filledAmount",
        args: [o.order.trader, o.hash],
      }),
      chain.publicClient.readContract({
        address: clearinghouse,
        abi: clearinghouseAbi,
        functionName: "isNonceUsed",
        args: [id, o.order.nonce],
      }),
    ]);
    if (filled === maxUint256) return { order: o, chainFilled: 0n, dead: "cancelled" };
    // A used nonce: filled or cancelled on chain, unless it is this keeper's own batch in flight.
    if (used && o.pendingFill === 0n) return { order: o, chainFilled: 0n, dead: "used" };
    return { order: o, chainFilled: filled, dead: undefined };
  };
  const verdicts: Verdict[] = new Array(open.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(ctx.config.reconcileConcurrency, open.length) }, async () => {
      while (next < open.length) {
        const i = next++;
        verdicts[i] = await check(open[i]!);
      }
    }),
  );
  let replayed = 0;
  let cancelled = 0;
  let used = 0;
  for (const v of verdicts) {
    if (v.dead === "cancelled") {
      journal.closeOrder(v.order.hash, "cancelled");
      cancelled++;
    } else if (v.dead === "used") {
      journal.closeOrder(
        v.order.hash,
        v.order.filled + v.order.pendingFill >= v.order.order.size ? "filled" : "cancelled",
      );
      used++;
    } else {
      const confirmed = v.order.filled > v.chainFilled ? v.order.filled : v.chainFilled;
      await matcher.prepare(v.order.order);
      matcher.submit({ ...v.order, filled: confirmed + v.order.pendingFill });
      replayed++;
    }
  }
  return { replayed, cancelled, used, expired };
}
