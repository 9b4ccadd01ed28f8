// `lucent` commands that read a live chain over JSON-RPC. `sdk/src/cli/main.ts` builds the program
// and calls `registerLiveCommands(program)`.
//
// Every command takes the connection options (`--rpc`, `--deployment`, address overrides) and
// `--json`. Without `--json` it prints tables for people; with it, exactly one JSON object on stdout,
// every number a decimal string: money in collateral tokens and prices in quote units, exact
// (formatted from the on-chain integers), raw integers where a field says so.
//
// To add a command (ADL ranking and audit, cascade ratio, insurance once the risk engine lands):
// write a `LiveCommand` and append it to `LIVE_COMMANDS`.
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

/** The live commands, in help order. Next: `adl rank`, `adl audit`, `risk cascade`, `insurance`. */
export const LIVE_COMMANDS: readonly LiveCommand[] = [marketsCommand, accountCommand];

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
