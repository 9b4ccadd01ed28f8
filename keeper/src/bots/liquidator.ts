/**
 * The liquidator loop (SPEC §0.3, §6–7, §9). Each iteration, on a new block:
 * 1. reads the clearinghouse's events since the last block and notes every subaccount they touch
 *    (fills, liquidations, backstop, ADL, deposits, withdrawals, transfers, fee credits, insurance flows);
 * 2. reads every market's mark and funding, then the touched subaccounts (balance and positions, exact),
 *    into the liquidation index (keeper/src/risk/liquidationIndex.ts);
 * 3. asks the index for candidates and re-checks each exactly (the contract's `accountHealth` in bigint);
 * 4. for EVERY liquidatable position, in this same iteration: plans the waterfall
 *    (keeper/src/risk/planLiquidation.ts — book fills from the engine's resting orders, the vault's
 *    backstop share by the contract's own binary search, the ADL side and sizes from the SDK ranking),
 *    simulates it (`eth_call`), sends `liquidate(account, market, bookFills, adlSide, adlSizes)`, removes
 *    the used resting orders from the book and re-reads what the receipt touched before the next one.
 *    A simulation the contract rejects (funding accrued between read and send, a maker that moved)
 *    re-reads the state and re-plans, at most `maxAttempts` times;
 * 5. publishes R(Δ) per market and direction (`risk:<marketId>`), computed by the SDK's `cascadeRatio`.
 *
 * There is no separate deleverager loop: the contract runs liquidation and ADL in one call, so the ADL
 * side (the whole opposite side in policy order, and the sizes) is step 3 of the plan, built from the
 * SDK's `rankAdlSide`/`allocateAdl` on the state the contract will see after the book and the backstop.
 *
 * I/O is injected: a `send` for transactions (the node's nonce manager, or a viem wallet in tests),
 * a viem public client for reads and simulation, and the book as a small interface over the engine.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeFunctionData,
  type Address,
  type Hex,
  type Log,
} from "viem";
import {
  clearinghouseAbi,
  decodeLucentLogs,
  getMarkets,
  getMarketState,
  subaccountId,
  type LucentClient,
  type LucentEvent,
  type Market,
  type SignedOrder,
} from "../../../sdk/src/index.js";
import { revertAbi } from "../../../sdk/src/actions/errors.js";
import { cascadeRatio, cascadeToJson, type CascadeLevel } from "../../../sdk/src/risk/cascadeRatio.js";
import { LiquidationIndex, type IndexAccount, type IndexMarket } from "../risk/liquidationIndex.js";
import { MARKET_DATA_PUBLISHED } from "./marketWatcher.js";
import {
  NotLiquidatableError,
  planLiquidation,
  type LiquidationPlan,
  type PlanBookOrder,
  type PlanLiquidationParameters,
  type PlanMarket,
} from "../risk/planLiquidation.js";
import { Side, lotsToSize, ticksToPrice, type MatchingEngine } from "../engine/index.js";
import { PollingLoop, type Bot, type BotHealth } from "./bot.js";

/** What the liquidator needs to send a transaction and learn its outcome. */
export type LiquidatorSend = (request: { to: Address; data: Hex }) => Promise<{
  transactionHash: Hex;
  status: "success" | "reverted";
  logs: readonly Log[];
}>;

/** The resting book as the liquidator uses it (see `engineBookSource` for the engine adapter). */
export interface LiquidationBookSource {
  /** The side that absorbs the liquidation, best first: `bids` take a long, `asks` a short. */
  orders(market: number, side: "bids" | "asks"): PlanBookOrder[];
  /** `size` contracts of `orderId` were filled by a liquidation: take them out of the book. */
  consume(market: number, orderId: number, size: bigint): void;
}

export type LiquidatorBotOptions = {
  client: LucentClient;
  send: LiquidatorSend;
  /** The sender's address (a registered keeper): the simulation runs as it. */
  liquidator: Address;
  book: LiquidationBookSource;
  /** Where R(Δ) goes each tick (e.g. the intake server's `publish`). */
  publish?: (channel: string, message: unknown) => void;
  /** First block to read events from (default 0). */
  fromBlock?: bigint;
  /** Poll period of the loop (default 500 ms). */
  intervalMs?: number;
  /** Plans per position before giving up for this iteration (default 3). */
  maxAttempts?: number;
  /** Healthy while the last iteration is younger than this (default 30 s). */
  staleAfterMs?: number;
  now?: () => number;
};

export type LiquidationOutcome = {
  account: string;
  market: number;
  transactionHash: Hex;
  plan: LiquidationPlan;
  attempts: number;
};

export type IterationReport = {
  blockNumber: bigint;
  candidates: number;
  liquidatable: number;
  liquidations: LiquidationOutcome[];
  failures: { account: string; market: number; error: string }[];
};

export class LiquidatorBot implements Bot {
  readonly name = "liquidator";
  index: LiquidationIndex | undefined;
  private readonly o: Required<Omit<LiquidatorBotOptions, "publish">> & Pick<LiquidatorBotOptions, "publish">;
  private markets = new Map<number, Market>();
  private params: PlanLiquidationParameters | undefined;
  private insurance = new Map<number, string>();
  private lastBlock = -1n;
  private readonly loop: PollingLoop;

  constructor(options: LiquidatorBotOptions) {
    this.o = {
      fromBlock: 0n,
      intervalMs: 500,
      maxAttempts: 3,
      staleAfterMs: 30_000,
      now: Date.now,
      ...options,
    };
    const { intervalMs, staleAfterMs, now } = this.o;
    this.loop = new PollingLoop({ iterate: () => this.iterate(), intervalMs, staleAfterMs, now });
  }

  async init(): Promise<void> {
    const { client } = this.o;
    const markets = await this.loadMarkets();
    const p = await client.publicClient.readContract({
      address: client.addresses.clearinghouse,
      abi: clearinghouseAbi,
      functionName: "liquidationParameters",
    });
    this.params = { feeRate: p.feeRate, fullLiquidationRatio: p.fullLiquidationRatio, bandRate: p.bandRate };
    this.index = new LiquidationIndex(markets.map(indexMarket));
    this.lastBlock = this.o.fromBlock - 1n;
  }

  /** Markets and their insurance subaccounts, from the registry. */
  private async loadMarkets(): Promise<Market[]> {
    const markets = await getMarkets(this.o.client);
    this.markets = new Map(markets.map((m) => [m.id, m]));
    for (const m of markets) {
      const vault = m.collateral.insuranceVault;
      if (vault !== null) {
        this.insurance.set(
          m.collateral.index,
          subaccountId({ owner: vault, collateral: m.collateral.index, index: 0 }),
        );
      }
    }
    return markets;
  }

  async start(): Promise<void> {
    if (this.index === undefined) await this.init();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  healthCheck(): BotHealth {
    return this.loop.health();
  }

  /** One iteration: catch up with the chain, then liquidate every liquidatable position. */
  async iterate(): Promise<IterationReport> {
    const index = this.index;
    if (index === undefined) throw new Error("liquidator: init() first");
    const { publicClient } = this.o.client;
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    const touched = new Set<string>(this.insurance.values());
    if (head > this.lastBlock) {
      const range = { fromBlock: this.lastBlock + 1n, toBlock: head };
      const [logs, republished] = await Promise.all([
        publicClient.getLogs({ address: this.o.client.addresses.clearinghouse, ...range }),
        publicClient.getLogs({
          address: this.o.client.addresses.marketRegistry,
          event: MARKET_DATA_PUBLISHED,
          ...range,
        }),
      ]);
      // A listing or a parameter change (MM rate, multiplier, vault...) republishes a market's data:
      // liquidation prices move with it, so the index takes the new parameters before anything else.
      if (republished.length > 0) {
        for (const m of await this.loadMarkets()) index.setMarketConfig(indexMarket(m));
      }
      for (const id of this.touchedBy(decodeLucentLogs({ logs }))) touched.add(id);
      this.lastBlock = head;
    }
    await this.refreshMarkets(head);
    await this.refreshAccounts(touched, head);

    const report: IterationReport = {
      blockNumber: head,
      candidates: 0,
      liquidatable: 0,
      liquidations: [],
      failures: [],
    };
    const byAccount = new Map<string, Set<number>>();
    for (const { handle, market } of index.allCandidates()) {
      report.candidates++;
      const account = index.accountOf(handle);
      let set = byAccount.get(account);
      if (set === undefined) byAccount.set(account, (set = new Set()));
      set.add(market);
    }
    for (const account of byAccount.keys()) {
      const handle = index.handleOf(account);
      if (handle === undefined || !index.isLiquidatable(handle)) continue;
      report.liquidatable++;
      await this.liquidateAccount(account, report);
    }
    this.publishCascade();
    this.loop.beat();
    return report;
  }

  /** Liquidates the account's positions, largest first, until it is back above MM or flat. */
  private async liquidateAccount(account: string, report: IterationReport): Promise<void> {
    const index = this.index!;
    const rounds = (index.state(account)?.positions.length ?? 0) * 4 + 1;
    for (let round = 0; round < rounds; round++) {
      const handle = index.handleOf(account);
      if (handle === undefined || !index.isLiquidatable(handle)) return;
      const health = index.exactHealth(handle);
      const positions = index.state(account)!.positions;
      // The largest notional first: the most margin relief per transaction.
      let best = 0;
      for (let i = 1; i < positions.length; i++) {
        if (health.positions[i]!.notional > health.positions[best]!.notional) best = i;
      }
      const market = positions[best]!.market;
      try {
        report.liquidations.push(await this.liquidatePosition(account, market));
      } catch (error) {
        report.failures.push({ account, market, error: error instanceof Error ? error.message : String(error) });
        return;
      }
    }
  }

  private async liquidatePosition(account: string, market: number): Promise<LiquidationOutcome> {
    const { client } = this.o;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      const plan = this.plan(account, market);
      const data = encodeFunctionData({
        abi: clearinghouseAbi,
        functionName: "liquidate",
        args: [account as Hex, market, plan.bookFillsData, plan.adlSide, plan.adlSizes],
      });
      const to = client.addresses.clearinghouse;
      try {
        await client.publicClient.call({ account: this.o.liquidator, to, data });
      } catch (error) {
        lastError = error;
        // The state moved between the read and the simulation: read again and re-plan.
        const head = await client.publicClient.getBlockNumber({ cacheTime: 0 });
        await this.refreshMarkets(head);
        await this.refreshAccounts(this.involved(plan), head);
        if (revertName(error) === "LiquidationNotLiquidatable") throw error;
        continue;
      }
      const receipt = await this.o.send({ to, data });
      if (receipt.status !== "success") {
        lastError = new Error(`liquidate(${account}, ${market}) reverted in ${receipt.transactionHash}`);
        continue;
      }
      for (const fill of plan.bookFills) this.o.book.consume(market, fill.orderId, fill.size);
      const events = decodeLucentLogs({ logs: [...receipt.logs] });
      const touched = new Set([...this.touchedBy(events), ...this.involved(plan)]);
      const block = receipt.logs[0]?.blockNumber ?? (await client.publicClient.getBlockNumber({ cacheTime: 0 }));
      await this.refreshMarkets(block);
      await this.refreshAccounts(touched, block);
      return { account, market, transactionHash: receipt.transactionHash, plan, attempts: attempt };
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  /** The waterfall for one position from the index's exact state and the engine's book. */
  plan(account: string, market: number): LiquidationPlan {
    const index = this.index!;
    const position = index.state(account)?.positions.find((p) => p.market === market);
    if (position === undefined) throw new NotLiquidatableError(account, market, 0n, 0n);
    const m = this.markets.get(market)!;
    return planLiquidation({
      account,
      market,
      markets: this.planMarkets(),
      accountState: (id) => index.state(id),
      params: this.params!,
      book: this.o.book.orders(market, position.size > 0n ? "bids" : "asks"),
      insurance: this.insurance.get(m.collateral.index),
      holders: [...index.holders(market)].map((h) => index.accountOf(h)),
    });
  }

  private planMarkets(): Map<number, PlanMarket> {
    const index = this.index!;
    const out = new Map<number, PlanMarket>();
    for (const m of this.markets.values()) {
      out.set(m.id, {
        id: m.id,
        kind: m.kind,
        multiplier: m.multiplier,
        unit: m.collateral.unit,
        lotSize: m.lotSize,
        imRate: m.imRate,
        mmRate: m.mmRate,
        makerFeeRate: m.makerFeeRate,
        adlPolicy: m.adlPolicy,
        mark: index.markOf(m.id),
        cumulativeFunding: index.cumulativeFundingOf(m.id),
      });
    }
    return out;
  }

  /** Everyone a plan reads: the account, the makers, the vault and the ADL side. */
  private involved(plan: LiquidationPlan): Set<string> {
    const out = new Set<string>([plan.account, ...plan.adlSide, ...plan.bookFills.map((f) => f.maker)]);
    for (const id of this.insurance.values()) out.add(id);
    return out;
  }

  private async refreshMarkets(blockNumber: bigint): Promise<void> {
    const index = this.index!;
    await Promise.all(
      [...this.markets.values()].map(async (market) => {
        const state = await getMarketState(this.o.client, { marketId: market.id, market, blockNumber });
        if (state.markPrice > 0n) index.setMarket(market.id, state.markPrice, state.cumulativeFunding);
      }),
    );
  }

  /** Reads balance and positions of each subaccount at `blockNumber` into the index. */
  private async refreshAccounts(ids: Iterable<string>, blockNumber: bigint): Promise<void> {
    const { publicClient, addresses } = this.o.client;
    const address = addresses.clearinghouse;
    await Promise.all(
      [...ids].map(async (id) => {
        const [balance, openMarkets] = await publicClient.readContract({
          address,
          abi: clearinghouseAbi,
          functionName: "account",
          args: [id as Hex],
          blockNumber,
        });
        const marketIds: number[] = [];
        for (let i = 0; i < 64; i++) if ((openMarkets >> BigInt(i)) & 1n) marketIds.push(i);
        const positions = await Promise.all(
          marketIds.map(async (market) => {
            const [size, basis, fundingSnapshot] = await publicClient.readContract({
              address,
              abi: clearinghouseAbi,
              functionName: "position",
              args: [id as Hex, market],
              blockNumber,
            });
            return { market, size, basis, fundingSnapshot };
          }),
        );
        const state: IndexAccount = { balance, positions: positions.filter((p) => p.size !== 0n) };
        this.index!.upsert(id.toLowerCase(), state);
      }),
    );
  }

  /** Subaccounts whose balance or positions an event changed. */
  private touchedBy(events: readonly LucentEvent[]): Set<string> {
    const out = new Set<string>();
    const add = (id: string) => out.add(id.toLowerCase());
    for (const e of events) {
      switch (e.eventName) {
        case "FillSettled":
          add(e.args.maker);
          add(e.args.taker);
          break;
        case "Deposited":
        case "Withdrawn":
          add(e.args.account);
          break;
        case "Transferred":
          add(e.args.from);
          add(e.args.to);
          break;
        case "FeesDistributed":
          add(subaccountId({ owner: e.args.keeper, collateral: e.args.collateral, index: 0 }));
          break;
        case "InsuranceFlow":
          add(subaccountId({ owner: e.args.vault, collateral: e.args.collateral, index: 0 }));
          break;
        case "Liquidated": {
          add(e.args.account);
          const collateral = this.markets.get(e.args.marketId)?.collateral.index;
          if (collateral !== undefined) add(subaccountId({ owner: e.args.liquidator, collateral, index: 0 }));
          break;
        }
        case "BackstopTakeover":
          add(e.args.account);
          add(e.args.insurance);
          break;
        case "AdlCounterparty":
          add(e.args.account);
          add(e.args.counterparty);
          break;
        default:
          break;
      }
    }
    return out;
  }

  /** R(Δ) of every market, both directions, on `risk:<marketId>`. */
  private publishCascade(): void {
    const publish = this.o.publish;
    const index = this.index!;
    if (publish === undefined) return;
    for (const m of this.markets.values()) {
      const markWad = index.markOf(m.id);
      if (markWad === 0n) continue;
      const mark = Number(markWad) / 1e18;
      const levels = (side: "bids" | "asks"): CascadeLevel[] =>
        this.o.book.orders(m.id, side).map((o) => {
          const price = Number(o.price) / 1e18;
          const contracts = Number(o.remaining);
          const perContract = (Number(m.multiplier) / 1e18) * Number(m.collateral.unit);
          return { price, notional: contracts * perContract * (m.kind === 1 ? 1 / price : price) };
        });
      const down = cascadeRatio({
        mark,
        direction: "down",
        liquidations: (limit) => index.liquidatingNotional(m.id, "long", limit),
        depth: levels("bids"),
      });
      const up = cascadeRatio({
        mark,
        direction: "up",
        liquidations: (limit) => index.liquidatingNotional(m.id, "short", limit),
        depth: levels("asks"),
      });
      publish(`risk:${m.id}`, { marketId: m.id, symbol: m.symbol, down: cascadeToJson(down), up: cascadeToJson(up) });
    }
  }
}

/** The custom error a call reverted with, if it is one of Lucent's. */
export function revertName(error: unknown): string | undefined {
  const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
  if (reverted instanceof ContractFunctionRevertedError) return reverted.data?.errorName;
  const data = findRevertData(error);
  if (data === undefined) return undefined;
  try {
    return decodeErrorResult({ abi: revertAbi, data }).errorName;
  } catch {
    return undefined;
  }
}

function findRevertData(error: unknown): Hex | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 8 && e !== null && typeof e === "object"; depth++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data as Hex;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What the engine adapter needs to know about a resting order to hand it to the contract. */
export type RestingOrderInfo = { signed: SignedOrder; maker: string; reduceOnly: boolean };

/**
 * The engine's resting orders as a {@link LiquidationBookSource}: prices and sizes converted with each
 * market's tick and lot, the signed order and maker subaccount looked up by the engine's order id
 * (the matcher's table); orders without one are left out. A consumed order leaves the book, or keeps its
 * queue position with the rest (`replace` to a smaller size).
 */
export function engineBookSource(
  engine: MatchingEngine,
  units: ReadonlyMap<number, { tickSize: bigint; lotSize: bigint }>,
  info: (market: number, orderId: number) => RestingOrderInfo | undefined,
  now: () => number = () => Math.floor(Date.now() / 1000),
): LiquidationBookSource {
  const unitsOf = (market: number) => {
    const u = units.get(market);
    if (u === undefined) throw new RangeError(`no tick/lot for market ${market}`);
    return u;
  };
  return {
    orders(market, side) {
      const book = engine.book(market);
      if (book === undefined) return [];
      const { tickSize, lotSize } = unitsOf(market);
      const out: PlanBookOrder[] = [];
      for (const o of book.orders(side === "bids" ? Side.Buy : Side.Sell)) {
        const meta = info(market, o.id);
        if (meta === undefined) continue;
        out.push({
          orderId: o.id,
          maker: meta.maker.toLowerCase(),
          price: ticksToPrice(o.price, tickSize),
          remaining: lotsToSize(o.remaining, lotSize),
          reduceOnly: meta.reduceOnly,
          signed: meta.signed,
        });
      }
      return out;
    },
    consume(market, orderId, size) {
      const book = engine.book(market);
      const o = book?.order(orderId);
      if (o === undefined) return;
      const lots = Number(size / unitsOf(market).lotSize);
      if (lots >= o.remaining) {
        engine.cancel(market, orderId);
      } else {
        engine.replace(orderId, { ...o, market, size: o.remaining - lots }, now());
      }
    },
  };
}

/** What the liquidation index needs of a market. */
function indexMarket(m: Market): IndexMarket {
  return {
    id: m.id,
    kind: m.kind,
    multiplier: m.multiplier,
    unit: m.collateral.unit,
    imRate: m.imRate,
    mmRate: m.mmRate,
  };
}
