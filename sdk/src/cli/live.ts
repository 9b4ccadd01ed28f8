// `lucent` commands that read a live chain over JSON-RPC. `sdk/src/cli/main.ts` builds the program
// and calls `registerLiveCommands(program)`.
//
// Every command takes the connection options (`--rpc`, `--deployment`, address overrides) and
// `--json`. Without `--json` it prints tables for people; with it, exactly one JSON object on stdout,
// every number a decimal string: money in collateral tokens and prices in quote units, exact
// (formatted from the on-chain integers), raw integers where a field says so.
//
// To add a command: write a `LiveCommand` and append it to `LIVE_COMMANDS`.
import { Command } from "commander";
import { BaseError, createPublicClient, formatUnits, http, type Address } from "viem";
import { getCollaterals } from "../actions/getCollaterals.js";
import { getMarketState, type GetMarketStateReturnType } from "../actions/getMarketState.js";
import { getMarkets, type Market } from "../actions/getMarkets.js";
import { getSubaccount, type GetSubaccountReturnType } from "../actions/getSubaccount.js";
import { InvalidParameterError } from "../actions/errors.js";
import type { CollateralInfo } from "../actions/internal/read.js";
import { checkAddresses } from "../clients/createLucentClient.js";
import { loadDevnetAddresses } from "../clients/loadDevnetAddresses.js";
import type { LucentAddresses, LucentClient } from "../clients/types.js";
import { LucentError } from "../errors.js";
import { readFileSync } from "node:fs";
import { auditAdl, type AdlAuditResult, type AdlDiscrepancy } from "../adl/auditAdl.js";
import { getAdlRanking, type AdlRankingEntry } from "../adl/getAdlRanking.js";
import { getInsuranceVault, type InsuranceFlowSummary } from "../actions/getInsuranceVault.js";
import { notional } from "../math/contractMath.js";
import { cascadeRatio, cascadeToJson, type CascadeExposure, type CascadeLevel } from "../risk/cascadeRatio.js";

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

/** Options every live command accepts. */
export type ConnectionOptions = {
  rpc: string;
  /** An Ignition `deployed_addresses.json` (default: the devnet's). */
  deployment?: string | undefined;
  clearinghouse?: Address | undefined;
  marketRegistry?: Address | undefined;
  json?: boolean | undefined;
};

export type LiveCommandContext = {
  /** Builds the client for a command's connection options. */
  createClient: (options: ConnectionOptions) => LucentClient | Promise<LucentClient>;
  /** Standard output and error, one call per line block. */
  out: (text: string) => void;
  err: (text: string) => void;
};

export type RegisterLiveCommandsOptions = Partial<LiveCommandContext>;

/** A live command: adds itself (with the connection options) to the program. */
export type LiveCommand = {
  name: string;
  register(program: Command, context: LiveCommandContext): Command;
};

/** The client the CLI uses by default: viem over HTTP, addresses from the deployment file or flags. */
export function defaultCreateClient(options: ConnectionOptions): LucentClient {
  let addresses: LucentAddresses;
  if (options.clearinghouse !== undefined && options.marketRegistry !== undefined) {
    addresses = { clearinghouse: options.clearinghouse, marketRegistry: options.marketRegistry };
  } else {
    const loaded = loadDevnetAddresses({ file: options.deployment });
    addresses = {
      ...loaded,
      ...(options.clearinghouse === undefined ? {} : { clearinghouse: options.clearinghouse }),
      ...(options.marketRegistry === undefined ? {} : { marketRegistry: options.marketRegistry }),
    };
  }
  const publicClient = createPublicClient({ transport: http(options.rpc, { retryCount: 0 }) });
  return { publicClient, wallet: undefined, addresses: checkAddresses(addresses) };
}

/** Adds the live commands (`markets`, `account`, ...) to `program`. */
export function registerLiveCommands(program: Command, options: RegisterLiveCommandsOptions = {}): Command {
  const context: LiveCommandContext = {
    createClient: options.createClient ?? defaultCreateClient,
    out: options.out ?? ((text) => process.stdout.write(`${text}\n`)),
    err: options.err ?? ((text) => process.stderr.write(`${text}\n`)),
  };
  for (const command of LIVE_COMMANDS) command.register(program, context);
  return program;
}

// ------------------------------------------------------------------------------------------ commands

const marketsCommand: LiveCommand = {
  name: "markets",
  register: (program, context) =>
    withConnection(
      program.command("markets").description("List every market with its parameters, prices and funding"),
    ).action(
      run(context, async (client, opts) => {
        const blockNumber = await client.publicClient.getBlockNumber({ cacheTime: 0 });
        const markets = await getMarkets(client, { blockNumber });
        const states = await Promise.all(
          markets.map((market) => getMarketState(client, { marketId: market.id, market, blockNumber })),
        );
        if (opts.json) {
          return json({
            blockNumber: String(blockNumber),
            markets: markets.map((market, i) => marketJson(market, states[i]!)),
          });
        }
        return table(
          [
            "id",
            "symbol",
            "kind",
            "collateral",
            "multiplier",
            "tick",
            "index",
            "mark",
            "funding/interval",
            "OI",
            "IM",
            "MM",
          ],
          markets.map((m, i) => {
            const s = states[i]!;
            return [
              String(m.id),
              m.symbol + (m.active ? "" : " (inactive)"),
              m.kindName,
              collateralName(m.collateral),
              price(m.multiplier),
              price(m.tickSize),
              price(s.indexPrice) + (s.indexFresh ? "" : " (stale)"),
              price(s.markPrice),
              percent(s.fundingRate),
              String(s.openInterest),
              percent(m.imRate),
              percent(m.mmRate),
            ];
          }),
        );
      }),
    ),
};

type AccountOptions = ConnectionOptions & { subaccount: string; collateral?: string | undefined };

const accountCommand: LiveCommand = {
  name: "account",
  register: (program, context) =>
    withConnection(
      program
        .command("account")
        .description("Balance, margin and positions of an address's subaccount(s), with liquidation prices")
        .argument("<address>", "the owner")
        .option("--subaccount <n>", "subaccount index", "0")
        .option("--collateral <c>", "collateral index or symbol (default: every listed collateral)"),
    ).action(
      run<AccountOptions, [string]>(context, async (client, opts, owner) => {
        const index = parseIndex("subaccount", opts.subaccount);
        const blockNumber = await client.publicClient.getBlockNumber({ cacheTime: 0 });
        const collaterals = await getCollaterals(client, { blockNumber });
        const selected = opts.collateral === undefined ? collaterals : [findCollateral(collaterals, opts.collateral)];
        const subaccounts = await Promise.all(
          selected.map((c) =>
            getSubaccount(client, { owner: owner as Address, collateral: c.index, index, blockNumber }),
          ),
        );
        if (opts.json) {
          return json({
            owner: subaccounts[0]?.owner ?? owner,
            blockNumber: String(blockNumber),
            subaccounts: subaccounts.map(subaccountJson),
          });
        }
        return subaccounts.map(subaccountText).join("\n\n");
      }),
    ),
};

// ------------------------------------------------------------------------------------------ adl, risk, insurance

type AdlRankOptions = ConnectionOptions & { block?: string | undefined };
type AdlAuditOptions = ConnectionOptions & { from?: string | undefined; to?: string | undefined };
type CascadeOptions = ConnectionOptions & { bookUrl?: string | undefined; depthFile?: string | undefined };

const adlCommand: LiveCommand = {
  name: "adl",
  register: (program, context) => {
    const adl = program.command("adl").description("Auto-deleveraging: queue positions and the audit of every ADL");
    withConnection(
      adl
        .command("rank")
        .description("Both sides of a market in ADL order (SPEC §7): rank, size, score, 5-step indicator")
        .argument("<market>", "market id or symbol")
        .option("--block <n>", "rank the sides as of this block (default: latest)"),
    ).action(
      run<AdlRankOptions, [string]>(context, async (client, opts, marketArg) => {
        const blockNumber = opts.block === undefined ? undefined : parseBlock("block", opts.block);
        const market = await findMarket(client, marketArg, blockNumber);
        const r = await getAdlRanking(client, { marketId: market.id, blockNumber });
        const c = market.collateral;
        const entryJson = (e: AdlRankingEntry) => ({
          rank: e.rank,
          subaccount: e.subaccountId,
          owner: e.owner,
          index: e.index,
          size: String(e.size),
          basis: money(e.basis, c),
          equity: money(e.equity, c),
          /** Raw 18-decimal score (null under PRO_RATA). */
          score: e.score === null ? null : price(e.score),
          indicator: e.indicator,
        });
        if (opts.json) {
          return json({
            marketId: r.marketId,
            symbol: r.symbol,
            blockNumber: String(r.blockNumber),
            policy: r.policyName,
            markPrice: price(r.markPrice),
            long: r.long.map(entryJson),
            short: r.short.map(entryJson),
          });
        }
        const side = (title: string, entries: readonly AdlRankingEntry[]) =>
          entries.length === 0
            ? `${title}: none`
            : `${title}:\n` +
              table(
                ["rank", "subaccount", "size", "score", "indicator"],
                entries.map((e) => [
                  String(e.rank),
                  e.subaccountId,
                  String(e.size),
                  e.score === null ? "-" : price(e.score),
                  "■".repeat(e.indicator).padEnd(5, "□") + ` ${e.indicator}`,
                ]),
              );
        return [
          `${r.symbol} (market ${r.marketId}), ${r.policyName}, mark ${price(r.markPrice)}, block ${r.blockNumber}`,
          side("shorts (deleveraged when a long is liquidated)", r.short),
          side("longs (deleveraged when a short is liquidated)", r.long),
        ].join("\n\n");
      }),
    );
    withConnection(
      adl
        .command("audit")
        .description("Replay every ADL in a block range from chain data: verified, or the exact discrepancy")
        .option("--from <n>", "first block (default 0)")
        .option("--to <n>", "last block (default: latest)"),
    ).action(
      run<AdlAuditOptions>(context, async (client, opts) => {
        const fromBlock = opts.from === undefined ? undefined : parseBlock("from", opts.from);
        const toBlock = opts.to === undefined ? undefined : parseBlock("to", opts.to);
        const results = await auditAdl(client, { fromBlock, toBlock });
        if (results.some((r) => r.status === "discrepancy")) process.exitCode = 1;
        if (opts.json) return json({ results: results.map(auditJson) });
        if (results.length === 0) return "no ADL in the range";
        const counts = { verified: 0, discrepancy: 0, unverifiable: 0 };
        const lines = results.map((r) => {
          counts[r.status]++;
          const where = `block ${r.blockNumber} tx ${r.transactionHash} market ${r.marketId} account ${r.account}`;
          if (r.status === "verified") return `${where}: verified (${r.actual.length} counterparties)`;
          if (r.status === "unverifiable") return `${where}: unverifiable: ${r.reason}`;
          return `${where}: DISCREPANCY ${r.discrepancies.map(discrepancyText).join("; ")}`;
        });
        lines.push(
          `${results.length} ADL: ${counts.verified} verified, ${counts.discrepancy} with discrepancies, ` +
            `${counts.unverifiable} unverifiable`,
        );
        return lines.join("\n");
      }),
    );
    return adl;
  },
};

const riskCommand: LiveCommand = {
  name: "risk",
  register: (program, context) => {
    const risk = program.command("risk").description("Risk figures of a market");
    withConnection(
      risk
        .command("cascade")
        .description("Cascade ratio R(Δ) = L(Δ)/D(Δ) both ways (SPEC §9), from chain positions and a book snapshot")
        .argument("<market>", "market id or symbol")
        .option(
          "--book-url <url>",
          "keeper HTTP API to fetch GET /book/<market> from ({bids, asks} of [price, size])",
          DEFAULT_BOOK_URL,
        )
        .option("--depth-file <file>", 'a depth snapshot: {"bids": [[price, size], ...], "asks": [...]}'),
    ).action(
      run<CascadeOptions, [string]>(context, async (client, opts, marketArg) => {
        const blockNumber = await client.publicClient.getBlockNumber({ cacheTime: 0 });
        const market = await findMarket(client, marketArg, blockNumber);
        const { depth, source } = await loadDepth(opts, market.id);
        const ranking = await getAdlRanking(client, { marketId: market.id, blockNumber });
        const unit = market.collateral.unit;
        const scale = Number(unit);
        // Every holder's liquidation price in this market (its whole subaccount at the current marks).
        const holders = [...ranking.long, ...ranking.short];
        const subaccounts = await Promise.all(
          holders.map((h) =>
            getSubaccount(client, {
              owner: h.owner,
              collateral: market.collateral.index,
              index: h.index,
              blockNumber,
            }),
          ),
        );
        const exposures = { down: [] as CascadeExposure[], up: [] as CascadeExposure[] };
        for (const s of subaccounts) {
          const p = s.positions.find((q) => q.marketId === market.id);
          if (p === undefined || p.liquidationPrice === null) continue;
          (p.size > 0n ? exposures.down : exposures.up).push({
            liquidationPrice: Number(formatUnits(p.liquidationPrice, 18)),
            notional: Number(p.notional) / scale,
          });
        }
        const levels = (rows: readonly (readonly [number, number])[]): CascadeLevel[] =>
          rows.map(([levelPrice, size]) => ({
            price: levelPrice,
            notional:
              Number(
                notional(
                  market.kind,
                  market.multiplier,
                  BigInt(Math.round(size)),
                  BigInt(Math.round(levelPrice * 1e6)) * 10n ** 12n,
                  unit,
                ),
              ) / scale,
          }));
        const mark = Number(formatUnits(ranking.markPrice, 18));
        const results = (["down", "up"] as const).map((direction) =>
          cascadeRatio({
            mark,
            direction,
            liquidations: exposures[direction],
            depth: levels(direction === "down" ? depth.bids : depth.asks),
          }),
        );
        if (opts.json) {
          return json({
            marketId: market.id,
            symbol: market.symbol,
            blockNumber: String(blockNumber),
            depthSource: source,
            /** Notionals in collateral tokens. */
            results: results.map(cascadeToJson),
          });
        }
        const fmt = (x: number) => (x === Infinity ? "∞" : String(Number(x.toPrecision(6))));
        return [
          `${market.symbol} (market ${market.id}), mark ${price(ranking.markPrice)}, depth: ${source}; ` +
            `notionals in ${collateralName(market.collateral)}`,
          table(
            ["direction", "Δ bps", "price", "L (liquidating)", "D (depth)", "R"],
            results.flatMap((r) =>
              r.rows.map((row) => [
                r.direction,
                String(row.deltaBps),
                fmt(row.limitPrice),
                fmt(row.liquidating),
                fmt(row.depth),
                fmt(row.ratio),
              ]),
            ),
          ),
        ].join("\n");
      }),
    );
    return risk;
  },
};

const insuranceCommand: LiveCommand = {
  name: "insurance",
  register: (program, context) =>
    withConnection(
      program
        .command("insurance")
        .description("Each collateral's insurance vault: assets, shares, share price, cooldown, flows by reason"),
    ).action(
      run(context, async (client, opts) => {
        const { blockNumber, vaults } = await getInsuranceVault(client, { flows: true });
        if (opts.json) {
          return json({
            blockNumber: String(blockNumber),
            vaults: vaults.map((v) => {
              const c = v.collateral;
              return {
                collateral: collateralJson(c),
                vault: v.vault,
                asset: v.asset,
                subaccount: v.subaccount,
                totalAssets: money(v.totalAssets, c),
                totalSupply: formatUnits(v.totalSupply, v.shareDecimals),
                sharePrice: money(v.sharePrice, c),
                cooldownSeconds: String(v.cooldown),
                balance: money(v.balance, c),
                equity: money(v.equity, c),
                positions: v.positions.map((p) => ({
                  marketId: p.marketId,
                  symbol: p.symbol,
                  size: String(p.size),
                  unrealizedPnl: money(p.unrealizedPnl, c),
                })),
                flows: v.flows === undefined ? null : flowsJson(v.flows, c),
              };
            }),
          });
        }
        if (vaults.length === 0) return "no insurance vault is set";
        return table(
          [
            "collateral",
            "vault",
            "assets",
            "shares",
            "share price",
            "cooldown",
            "balance",
            "equity",
            "positions",
            "fees in",
            "bad debt",
            "taken over",
          ],
          vaults.map((v) => {
            const c = v.collateral;
            const f = v.flows!;
            return [
              collateralName(c),
              v.vault,
              money(v.totalAssets, c),
              formatUnits(v.totalSupply, v.shareDecimals),
              money(v.sharePrice, c),
              `${v.cooldown}s`,
              money(v.balance, c),
              money(v.equity, c),
              v.positions.map((p) => `${p.symbol} ${p.size}`).join(", ") || "-",
              money(f.tradingFee + f.liquidationFee, c),
              money(f.badDebt, c),
              money(f.takeover, c),
            ];
          }),
        );
      }),
    ),
};

export const DEFAULT_BOOK_URL = "http://127.0.0.1:8787";

type DepthSnapshot = { bids: [number, number][]; asks: [number, number][] };

/**
 * The absorbing sides' levels: `--depth-file` if given, else the keeper's `GET <book-url>/book/<market>` if it
 * answers, else no depth at all.
 */
async function loadDepth(opts: CascadeOptions, marketId: number): Promise<{ depth: DepthSnapshot; source: string }> {
  if (opts.depthFile !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(opts.depthFile, "utf8"));
    } catch (error) {
      throw new InvalidParameterError({
        field: "depth-file",
        value: opts.depthFile,
        expected: `a readable JSON file (${error instanceof Error ? error.message : String(error)})`,
      });
    }
    return { depth: parseDepth(parsed, "depth-file"), source: `file ${opts.depthFile}` };
  }
  const url = `${(opts.bookUrl ?? DEFAULT_BOOK_URL).replace(/\/$/, "")}/book/${marketId}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (response.ok) return { depth: parseDepth(await response.json(), "book-url"), source: url };
  } catch {
    // unreachable: no depth
  }
  return { depth: { bids: [], asks: [] }, source: "none (pass --depth-file)" };
}

function parseDepth(value: unknown, field: string): DepthSnapshot {
  const side = (rows: unknown): [number, number][] => {
    if (!Array.isArray(rows))
      throw new InvalidParameterError({ field, value, expected: '{"bids": [...], "asks": [...]}' });
    return rows.map((row: unknown) => {
      const [p, s] = Array.isArray(row) ? row : [];
      const levelPrice = Number(p);
      const size = Number(s);
      if (!(levelPrice > 0 && Number.isFinite(levelPrice) && size >= 0 && Number.isFinite(size))) {
        throw new InvalidParameterError({ field, value: row, expected: "[price > 0, size ≥ 0] levels" });
      }
      return [levelPrice, size];
    });
  };
  const v = (typeof value === "object" && value !== null ? value : {}) as { bids?: unknown; asks?: unknown };
  return { bids: side(v.bids ?? []), asks: side(v.asks ?? []) };
}

function parseBlock(field: string, value: string): bigint {
  if (!/^\d+$/.test(value)) throw new InvalidParameterError({ field, value, expected: "a block number" });
  return BigInt(value);
}

async function findMarket(client: LucentClient, wanted: string, blockNumber: bigint | undefined): Promise<Market> {
  const markets = await getMarkets(client, { blockNumber });
  const found = /^\d+$/.test(wanted)
    ? markets.find((m) => m.id === Number(wanted))
    : markets.find((m) => m.symbol.toLowerCase() === wanted.toLowerCase());
  if (found === undefined) {
    const listed = markets.map((m) => `${m.id} (${m.symbol})`).join(", ");
    throw new InvalidParameterError({ field: "market", value: wanted, expected: `one of ${listed}` });
  }
  return found;
}

function auditJson(r: AdlAuditResult) {
  const base = {
    status: r.status,
    blockNumber: String(r.blockNumber),
    transactionHash: r.transactionHash,
    logIndex: r.logIndex,
    account: r.account,
    marketId: r.marketId,
    policy: r.policy,
    shortfall: String(r.shortfall),
    price: price(r.price),
    counterparties: r.actual.map((a) => ({
      subaccount: a.subaccount,
      rank: String(a.rank),
      size: String(a.size),
      price: price(a.price),
      score: price(a.score),
    })),
  };
  if (r.status === "verified") return base;
  if (r.status === "unverifiable") return { ...base, reason: r.reason };
  return {
    ...base,
    discrepancies: r.discrepancies.map((d) =>
      Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === "bigint" ? String(v) : v])),
    ),
  };
}

function discrepancyText(d: AdlDiscrepancy): string {
  switch (d.kind) {
    case "skipped-position":
      return `skipped-position ${d.subaccount} (expected rank ${d.expectedRank})`;
    case "wrong-order":
      return `wrong-order at ${d.index}: expected ${d.expected}, actual ${d.actual}`;
    case "wrong-price":
      return `wrong-price: expected ${price(d.expected)}, actual ${price(d.actual)}`;
    case "wrong-policy":
      return `wrong-policy: expected ${d.expected}, actual ${d.actual}`;
    case "wrong-shortfall":
      return `wrong-shortfall: expected ${d.expected}, actual ${d.actual}`;
    default:
      return `${d.kind} ${d.subaccount}: expected ${d.expected}, actual ${d.actual}`;
  }
}

function flowsJson(f: InsuranceFlowSummary, c: CollateralInfo) {
  return {
    tradingFee: money(f.tradingFee, c),
    liquidationFee: money(f.liquidationFee, c),
    badDebt: money(f.badDebt, c),
    takeover: money(f.takeover, c),
    net: money(f.net, c),
    count: f.count,
  };
}

/** The live commands, in help order. */
export const LIVE_COMMANDS: readonly LiveCommand[] = [
  marketsCommand,
  accountCommand,
  adlCommand,
  riskCommand,
  insuranceCommand,
];

// ------------------------------------------------------------------------------------------ plumbing

function withConnection(command: Command): Command {
  return command
    .option("--rpc <url>", "JSON-RPC endpoint", DEFAULT_RPC_URL)
    .option("--deployment <file>", "Ignition deployed_addresses.json (default: the devnet's)")
    .option("--clearinghouse <address>", "Clearinghouse address (overrides the deployment file)")
    .option("--market-registry <address>", "MarketRegistry address (overrides the deployment file)")
    .option("--json", "print one JSON object instead of tables");
}

/**
 * A command action: builds the client, runs `body`, prints its text. A typed SDK error (or a viem
 * transport error) is printed as one line on stderr and sets exit code 1; anything else propagates.
 */
function run<opts extends ConnectionOptions, args extends string[] = []>(
  context: LiveCommandContext,
  body: (client: LucentClient, opts: opts, ...args: args) => Promise<string>,
): (...commanderArgs: unknown[]) => Promise<void> {
  return async (...commanderArgs: unknown[]) => {
    // commander passes the declared arguments, then the options, then the command.
    const args = commanderArgs.slice(0, -2) as args;
    const opts = commanderArgs.at(-2) as opts;
    try {
      const client = await context.createClient(opts);
      context.out(await body(client, opts, ...args));
    } catch (error) {
      if (!(error instanceof LucentError) && !(error instanceof BaseError)) throw error;
      context.err(`error: ${error.shortMessage}`);
      process.exitCode = 1;
    }
  };
}

function parseIndex(field: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 255) throw new InvalidParameterError({ field, value, expected: "an integer 0..255" });
  return n;
}

function findCollateral(collaterals: readonly CollateralInfo[], wanted: string): CollateralInfo {
  const found = /^\d+$/.test(wanted)
    ? collaterals.find((c) => c.index === Number(wanted))
    : collaterals.find((c) => c.symbol?.toLowerCase() === wanted.toLowerCase());
  if (found === undefined) {
    const listed = collaterals.map((c) => `${c.index} (${c.symbol ?? c.token})`).join(", ");
    throw new InvalidParameterError({ field: "collateral", value: wanted, expected: `one of ${listed}` });
  }
  return found;
}

// ------------------------------------------------------------------------------------------ formatting

const price = (x: bigint) => formatUnits(x, 18);
const money = (x: bigint, c: CollateralInfo) => formatUnits(x, c.decimals);
const percent = (rate: bigint) => `${formatUnits(rate * 100n, 18)}%`;
const collateralName = (c: CollateralInfo) => c.symbol ?? `#${c.index}`;
const json = (value: unknown) => JSON.stringify(value, null, 2);

function collateralJson(c: CollateralInfo) {
  return { index: c.index, symbol: c.symbol, token: c.token, decimals: c.decimals, insuranceVault: c.insuranceVault };
}

function marketJson(m: Market, s: GetMarketStateReturnType) {
  return {
    id: m.id,
    symbol: m.symbol,
    kind: m.kindName,
    adlPolicy: m.adlPolicyName,
    collateral: collateralJson(m.collateral),
    active: m.active,
    multiplier: price(m.multiplier),
    tickSize: price(m.tickSize),
    lotSize: String(m.lotSize),
    maxOpenInterest: String(m.maxOpenInterest),
    imRate: price(m.imRate),
    mmRate: price(m.mmRate),
    makerFeeRate: price(m.makerFeeRate),
    takerFeeRate: price(m.takerFeeRate),
    keeperFeeShare: price(m.keeperFeeShare),
    fundingCapRate: price(m.fundingCapRate),
    interestRate: price(m.interestRate),
    markBandRate: price(m.markBandRate),
    fundingInterval: String(m.fundingInterval),
    premiumEmaPeriod: String(m.premiumEmaPeriod),
    maxIndexAge: String(m.maxIndexAge),
    oracle: m.oracle,
    indexPrice: price(s.indexPrice),
    indexFresh: s.indexFresh,
    markPrice: price(s.markPrice),
    premiumEma: price(s.premiumEma),
    premium: price(s.premium),
    fundingRate: price(s.fundingRate),
    /** Raw funding index (collateral units × fundingPrecision per contract). */
    cumulativeFundingRaw: String(s.cumulativeFunding),
    openInterest: String(s.openInterest),
  };
}

function subaccountJson(a: GetSubaccountReturnType) {
  const c = a.collateral;
  return {
    id: a.id,
    index: a.index,
    collateral: collateralJson(c),
    balance: money(a.balance, c),
    equity: money(a.equity, c),
    initialMargin: money(a.initialMargin, c),
    maintenanceMargin: money(a.maintenanceMargin, c),
    withdrawable: money(a.withdrawable, c),
    liquidatable: a.liquidatable,
    nonceFloor: String(a.nonceFloor),
    positions: a.positions.map((p) => ({
      marketId: p.marketId,
      symbol: p.symbol,
      kind: p.kindName,
      size: String(p.size),
      entryPrice: p.entryPrice === null ? null : price(p.entryPrice),
      markPrice: price(p.markPrice),
      basis: money(p.basis, c),
      value: money(p.value, c),
      notional: money(p.notional, c),
      unrealizedPnl: money(p.unrealizedPnl, c),
      fundingOwed: money(p.fundingOwed, c),
      initialMargin: money(p.initialMargin, c),
      maintenanceMargin: money(p.maintenanceMargin, c),
      liquidationPrice: p.liquidationPrice === null ? null : price(p.liquidationPrice),
      bankruptcyPrice: p.bankruptcyPrice === null ? null : price(p.bankruptcyPrice),
    })),
  };
}

function subaccountText(a: GetSubaccountReturnType): string {
  const c = a.collateral;
  const summary = table(
    ["subaccount", "collateral", "balance", "equity", "IM", "MM", "withdrawable", "status"],
    [
      [
        String(a.index),
        collateralName(c),
        money(a.balance, c),
        money(a.equity, c),
        money(a.initialMargin, c),
        money(a.maintenanceMargin, c),
        money(a.withdrawable, c),
        a.liquidatable ? "LIQUIDATABLE" : "ok",
      ],
    ],
  );
  if (a.positions.length === 0) return `${summary}\n(no open positions)`;
  const positions = table(
    ["market", "size", "entry", "mark", "uPnL", "funding owed", "IM", "MM", "liq. price", "bankr. price"],
    a.positions.map((p) => [
      p.symbol,
      String(p.size),
      p.entryPrice === null ? "-" : price(p.entryPrice),
      price(p.markPrice),
      money(p.unrealizedPnl, c),
      money(p.fundingOwed, c),
      money(p.initialMargin, c),
      money(p.maintenanceMargin, c),
      p.liquidationPrice === null ? "none" : price(p.liquidationPrice),
      p.bankruptcyPrice === null ? "none" : price(p.bankruptcyPrice),
    ]),
  );
  return `${summary}\n${positions}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
