// `npm run devnet`: a local Lucent exchange — chain on http://127.0.0.1:8545, keeper on :8787.
//
// Starts Hardhat's EDR JSON-RPC server in this process (`network.createServer`, what `hardhat node`
// runs), deploys ignition/modules/Lucent.ts to it over the `localhost` network, seeds the index
// prices, registers a keeper, funds five traders and prints the addresses and keys. Then, in this
// process: a keeper node (intake API, matching, batch posting, liquidation), the price feeder (the
// three reporters feed the median index from a price path) and a demo market maker (trader #9
// quotes all three markets through the keeper API). Ctrl-C stops everything and exits with code 0.
//
// Every role is one of the node's default (well-known, public) accounts:
//   #0 admin/deployer · #1–#3 price reporters · #4 keeper · #5–#9 traders (#9: the demo maker)
//   #10–#14: the crash scenario's LP, victims and shorts.
//
// Options (after `npm run devnet --`):
//   --scenario crash     after start-up, run scripts/scenarios/crash.ts (liquidation, backstop
//                        takeover, ADL, audit) and exit 0 when it succeeds (1 if not)
//   --keep               with --scenario: keep running afterwards
//   --price-path <name>  constant (default: the seed prices with ±5 bps noise) or crash
//
// Environment:
//   LUCENT_DEVNET_PORT             JSON-RPC port (default 8545)
//   LUCENT_DEVNET_KEEPER_PORT      keeper API port (default 8787)
//   LUCENT_DEVNET_KEEPER           0: start no keeper, feeder or market maker (run `npm run keeper`
//                                  yourself; the index is then re-reported on the heartbeat only)
//   LUCENT_DEVNET_KEEPER_LOG       the keeper's pino level (default warn; info shows every batch)
//   LUCENT_DEVNET_MARKET_MAKER     0: no demo market maker
//   LUCENT_DEVNET_PRICE_HEARTBEAT  seconds between index reports (default 10; 0 = never). The
//                                  markets treat an index older than 120 s as stale.
//   LUCENT_DEVNET_DEPLOYMENT_ID    Ignition deployment folder (default chain-<chain id>)
//   LUCENT_LISTING_DELAY           execution delay of the LISTER role in seconds (default 60).
import { rm } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import hre from "hardhat";
import {
  bytesToHex,
  createPublicClient,
  defineChain,
  formatEther,
  formatUnits,
  getAddress,
  http,
  maxUint256,
  type Address,
  type Hex,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import LucentModule, { COLLATERAL_DECIMALS, Collateral, DEFAULTS, MarketKind } from "../ignition/modules/Lucent.js";
import { createLucentClient, getMarkets, lucentDomain, subaccountId } from "../sdk/src/index.js";
import { keeperConfigSchema } from "../keeper/src/config.js";
import { createLogger, type LogLevel } from "../keeper/src/log.js";
import { createKeeperNode, type KeeperNode } from "../keeper/src/node.js";
import { MarketMaker } from "../keeper/src/bots/marketMaker.js";
import { PriceFeeder, namedPricePath } from "../keeper/src/bots/priceFeeder.js";
import { runCrashScenario } from "./scenarios/crash.js";

const { values: args } = parseArgs({
  // `hardhat run` passes no arguments to a script: package.json's `devnet` hands them over in LUCENT_DEVNET_ARGS.
  args: (process.env.LUCENT_DEVNET_ARGS ?? "").split(/\s+/).filter((a) => a !== ""),
  options: {
    scenario: { type: "string" },
    keep: { type: "boolean", default: false },
    "price-path": { type: "string", default: "constant" },
  },
  strict: true,
});
if (args.scenario !== undefined && args.scenario !== "crash") {
  console.error(`unknown scenario "${args.scenario}" (crash)`);
  process.exit(2);
}
const pricePath = namedPricePath(args["price-path"]);

const HOST = "127.0.0.1";
const PORT = Number(process.env.LUCENT_DEVNET_PORT ?? 8545);
const RPC_URL = `http://${HOST}:${PORT}`;
const KEEPER_PORT = Number(process.env.LUCENT_DEVNET_KEEPER_PORT ?? 8787);
const startKeeper = process.env.LUCENT_DEVNET_KEEPER !== "0";
const startMaker = startKeeper && process.env.LUCENT_DEVNET_MARKET_MAKER !== "0";
const keeperLogLevel = (process.env.LUCENT_DEVNET_KEEPER_LOG ?? "warn") as LogLevel;
const SERVED_NETWORK = "default";

const WAD = 10n ** 18n;
const INDEX_PRICES = { btc: 100_000n * WAD, eth: 4_000n * WAD } as const;
const KEEPER_BOND = DEFAULTS.minBond;
/** Per trader: minted to the wallet, and the part of it deposited into subaccount 0. */
const TRADER_FUNDS = {
  USD: { mint: 1_000_000n * 10n ** 6n, deposit: 900_000n * 10n ** 6n },
  XBT: { mint: 100n * 10n ** 8n, deposit: 90n * 10n ** 8n },
} as const;
const ROLES = { admin: 0, reporters: [1, 2, 3], keeper: 4, traders: [5, 6, 7, 8, 9] } as const;
const MARKET_MAKER = 9;

const heartbeatSeconds = Number(process.env.LUCENT_DEVNET_PRICE_HEARTBEAT ?? 10);
const listingDelay = Number(process.env.LUCENT_LISTING_DELAY ?? DEFAULTS.listingDelay);

// ------------------------------------------------------------------------------------------ node

const server = await hre.network.createServer(SERVED_NETWORK, HOST, PORT);
try {
  await server.listen();
} catch (error) {
  const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
  console.error(inUse ? `${RPC_URL} is already in use: is another node running?` : error);
  process.exit(1);
}
let connection: Awaited<ReturnType<typeof hre.network.create>> | undefined;
let stopping: Promise<void> | undefined;
let heartbeat: NodeJS.Timeout | undefined;
let keeperNode: KeeperNode | undefined;
let feeder: PriceFeeder | undefined;
let maker: MarketMaker | undefined;
const stopped = new Promise<NodeJS.Signals>((resolve) => {
  let first: number | undefined;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      // A terminal's Ctrl-C reaches this process twice under npm (once from the terminal, once
      // forwarded by npm): only a later, deliberate second signal forces the exit.
      if (first === undefined) {
        first = Date.now();
        resolve(signal);
      } else if (Date.now() - first > 1_000) {
        console.error("Forced exit.");
        process.exit(1);
      }
    });
  }
});

async function stop(code: number): Promise<void> {
  // Should closing hang (a client holding a socket open), do not hang with it.
  setTimeout(() => process.exit(code), 10_000).unref();
  stopping ??= (async () => {
    clearInterval(heartbeat);
    // The maker first (it cancels its quotes over the API), then the node (intake, loops, journal).
    await maker?.stop().catch(() => undefined);
    await keeperNode?.stop().catch(() => undefined);
    // A feeder outside the node (no keeper) stops here; inside the node, the node stopped it.
    await feeder?.stop().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await server.close();
  })();
  await stopping;
  process.exitCode = code;
}

try {
  const chainId = await waitForRpc(RPC_URL, 10_000);
  console.log(`EDR JSON-RPC node on ${RPC_URL} (chain ${chainId})`);
  connection = await hre.network.create({ network: "localhost", override: { url: RPC_URL } });
  const scenario = await main(connection);
  if (scenario !== undefined) {
    const ok = await Promise.race([scenario, stopped.then(() => undefined)]);
    if (ok === false) {
      await stop(1);
      process.exit(1);
    }
    if (ok === true && !args.keep) {
      console.log("\nScenario done: stopping the devnet (--keep keeps it running).");
      await stop(0);
      process.exit(0);
    }
  }
} catch (error) {
  console.error(error);
  await stop(1);
  process.exit(1);
}
const signal = await stopped;
console.log(`\n${signal}: stopping the node...`);
await stop(0);
console.log("Devnet stopped.");

// ------------------------------------------------------------------------------------------ setup

/** Deploys, funds, starts the off-chain services; returns the scenario's outcome (true: it succeeded), if one runs. */
async function main({ viem, ignition }: NonNullable<typeof connection>): Promise<Promise<boolean> | undefined> {
  const publicClient = await viem.getPublicClient();
  const wallets = await viem.getWalletClients();
  const keys = await defaultAccountKeys();
  const wallet = (i: number) => {
    const w = wallets[i];
    if (w === undefined) throw new Error(`the node has no account #${i}`);
    if (getAddress(w.account.address) !== keys[i]?.address) throw new Error(`account #${i} is not the default key`);
    return w;
  };
  const admin = wallet(ROLES.admin);
  const reporters = ROLES.reporters.map(wallet);
  const keeper = wallet(ROLES.keeper);
  const traders = ROLES.traders.map(wallet);

  // The chain is new: a journal from an earlier devnet run describes contracts that no longer exist.
  const chainId = await publicClient.getChainId();
  const deploymentId = process.env.LUCENT_DEVNET_DEPLOYMENT_ID ?? `chain-${chainId}`;
  await rm(path.join(hre.config.paths.ignition, "deployments", deploymentId), { recursive: true, force: true });
  console.log("Deploying ignition/modules/Lucent.ts ...");
  const lucent = await ignition.deploy(LucentModule, {
    deploymentId,
    parameters: {
      Lucent: {
        admin: admin.account.address,
        reporter0: reporters[0]!.account.address,
        reporter1: reporters[1]!.account.address,
        reporter2: reporters[2]!.account.address,
        listingDelay,
      },
    },
    config: { blockPollingInterval: 100 },
  });
  const send = async (hash: Promise<Hex>) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
  };

  const reportPrices = async () => {
    for (const reporter of reporters) {
      await send(lucent.btcOracle.write.report([INDEX_PRICES.btc], { account: reporter.account }));
      await send(lucent.ethOracle.write.report([INDEX_PRICES.eth], { account: reporter.account }));
    }
  };
  await reportPrices();
  await send(lucent.keeperRegistry.write.register({ account: keeper.account, value: KEEPER_BOND }));
  const tokens = { USD: lucent.usd, XBT: lucent.xbt } as const;
  for (const trader of traders) {
    for (const symbol of ["USD", "XBT"] as const) {
      const token = tokens[symbol];
      const { mint, deposit } = TRADER_FUNDS[symbol];
      await send(token.write.mint([trader.account.address, mint], { account: admin.account }));
      await send(token.write.approve([lucent.clearinghouse.address, maxUint256], { account: trader.account }));
      await send(lucent.clearinghouse.write.deposit([Collateral[symbol], 0, deposit], { account: trader.account }));
    }
  }

  // ---------------------------------------------------------------------------------------- report
  // Everything below is read back from the chain, so the tables double as a smoke test.
  printTable(
    "Contracts",
    ["contract", "address"],
    [
      ["AccessManager", lucent.manager.address],
      ["MarketRegistry", lucent.registry.address],
      ["KeeperRegistry", lucent.keeperRegistry.address],
      ["Clearinghouse", lucent.clearinghouse.address],
      ["MedianOracle BTC/USD", lucent.btcOracle.address],
      ["MedianOracle ETH/USD", lucent.ethOracle.address],
      ["MockERC20 USD (6 dec.)", lucent.usd.address],
      ["MockERC20 XBT (8 dec.)", lucent.xbt.address],
    ],
  );

  const kindNames = Object.fromEntries(Object.entries(MarketKind).map(([name, value]) => [value, name]));
  const collateralNames = Object.fromEntries(Object.entries(Collateral).map(([name, value]) => [value, name]));
  const marketRows: string[][] = [];
  for (let id = 0n; id < (await lucent.registry.read.marketCount()); ++id) {
    const [config] = await lucent.registry.read.market([id]);
    const [indexPrice, indexFresh, markPrice] = await lucent.clearinghouse.read.marketState([Number(id)]);
    marketRows.push([
      String(id),
      await lucent.registry.read.symbol([id]),
      kindNames[config.kind] ?? String(config.kind),
      collateralNames[config.collateral] ?? String(config.collateral),
      formatUnits(config.multiplier, 18),
      formatUnits(config.tickSize, 18),
      `${formatUnits(indexPrice, 18)}${indexFresh ? "" : " (stale)"}`,
      formatUnits(markPrice, 18),
    ]);
  }
  printTable("Markets", ["id", "symbol", "kind", "collateral", "multiplier", "tick", "index", "mark"], marketRows);

  const accountRows: string[][] = [];
  const roleOf = (i: number) =>
    i === ROLES.admin
      ? "admin"
      : (ROLES.reporters as readonly number[]).includes(i)
        ? "reporter"
        : i === ROLES.keeper
          ? "keeper"
          : "trader";
  for (const i of [ROLES.admin, ...ROLES.reporters, ROLES.keeper, ...ROLES.traders]) {
    const { address, privateKey } = keys[i]!;
    const balances: string[] = [];
    for (const symbol of ["USD", "XBT"] as const) {
      const wallet = await tokens[symbol].read.balanceOf([address]);
      const id = subaccountId({ owner: address, collateral: Collateral[symbol], index: 0 });
      const [deposited] = await lucent.clearinghouse.read.account([id]);
      balances.push(
        formatUnits(wallet, COLLATERAL_DECIMALS[symbol]),
        formatUnits(deposited, COLLATERAL_DECIMALS[symbol]),
      );
    }
    const eth = formatEther(await publicClient.getBalance({ address }));
    accountRows.push([`#${i}`, roleOf(i), address, privateKey, Number(eth).toFixed(2), ...balances]);
  }
  printTable(
    "Accounts (Hardhat's well-known dev keys: never use them on a real network)",
    ["#", "role", "address", "private key", "ETH", "USD wallet", "USD sub 0", "XBT wallet", "XBT sub 0"],
    accountRows,
  );

  console.log(
    `\nKeeper ${getAddress(keeper.account.address)} is registered (bond ${formatEther(KEEPER_BOND)} ETH; next batch index ${await lucent.clearinghouse.read.nextBatchIndex([keeper.account.address])}).`,
  );
  console.log(`Listing changes need the LISTER role's ${listingDelay} s delay: AccessManager.schedule, then execute.`);
  console.log(`Ignition journal: ignition/deployments/${deploymentId}/ (deployed_addresses.json)`);

  if (startKeeper) return startServices({ chainId, deploymentId, lucent, keys });
  if (heartbeatSeconds > 0) {
    console.log(`Re-reporting the index every ${heartbeatSeconds} s to keep it fresh.`);
    let busy = false;
    heartbeat = setInterval(() => {
      if (busy || stopping !== undefined) return;
      busy = true;
      reportPrices()
        .catch((error: unknown) => console.error("price heartbeat failed:", error))
        .finally(() => {
          busy = false;
        });
    }, heartbeatSeconds * 1000);
  }
  console.log(
    `\nDevnet ready on ${RPC_URL} (chain ${chainId}), no keeper (LUCENT_DEVNET_KEEPER=0). Press Ctrl-C to stop.`,
  );
  return undefined;
}

// ------------------------------------------------------------------------------------------ services

type Deployment = Record<
  "clearinghouse" | "registry" | "keeperRegistry" | "btcOracle" | "ethOracle" | "usd" | "usdVault",
  { address: Address }
>;

/**
 * The off-chain half, in this process: the keeper node (with its liquidator), the price feeder as one of
 * the node's loops, and the demo market maker as a client of the node's API. Then the scenario, if any.
 */
async function startServices({
  chainId,
  deploymentId,
  lucent,
  keys,
}: {
  chainId: number;
  deploymentId: string;
  lucent: Deployment;
  keys: { address: Address; privateKey: Hex }[];
}): Promise<Promise<boolean> | undefined> {
  const account = (i: number): PrivateKeyAccount => {
    const key = keys[i];
    if (key === undefined) throw new Error(`the node has no account #${i}`);
    return privateKeyToAccount(key.privateKey);
  };
  const chain = defineChain({
    id: chainId,
    name: "Lucent devnet",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [RPC_URL] } },
  });
  const addresses = {
    clearinghouse: lucent.clearinghouse.address,
    marketRegistry: lucent.registry.address,
    keeperRegistry: lucent.keeperRegistry.address,
  };
  const config = keeperConfigSchema.parse({
    rpcUrls: [RPC_URL],
    chainId,
    privateKey: keys[ROLES.keeper]!.privateKey,
    addresses,
    api: { host: HOST, port: KEEPER_PORT },
    // A fresh chain every run: a journal from an earlier run would describe another deployment.
    journal: { path: ":memory:" },
    tx: { restartWaitMs: 0 },
    log: { level: keeperLogLevel },
  });
  const logger = createLogger({ level: config.log.level });
  const reader = createPublicClient({ chain, transport: http(RPC_URL), pollingInterval: 100 });
  const client = createLucentClient({ publicClient: reader, addresses });
  const markets = await getMarkets(client);
  const priceFeeder = new PriceFeeder({
    rpcUrl: RPC_URL,
    chain,
    reporters: ROLES.reporters.map(account),
    feeds: [
      { name: "btc", oracle: lucent.btcOracle.address, base: INDEX_PRICES.btc },
      { name: "eth", oracle: lucent.ethOracle.address, base: INDEX_PRICES.eth },
    ],
    path: pricePath,
    intervalMs: Math.max(heartbeatSeconds, 1) * 1000,
    lucent: client,
    markets,
    onError: (error) => console.error("price feeder:", error instanceof Error ? error.message.split("\n")[0] : error),
  });
  feeder = priceFeeder;
  keeperNode = await createKeeperNode(config, {
    logger,
    extraBots: (ctx) => {
      // The feeder publishes index, mark and funding on the node's pub/sub.
      priceFeeder.publishTo(ctx.publish);
      return heartbeatSeconds > 0 ? [priceFeeder] : [];
    },
  });
  await keeperNode.start();
  const api = keeperNode.api!.url;
  const domain = lucentDomain({ chainId, clearinghouse: lucent.clearinghouse.address });
  if (startMaker) {
    maker = new MarketMaker({
      apiUrl: api,
      account: account(MARKET_MAKER),
      domain,
      lucent: client,
      markets,
      onError: (error) => console.error("market maker:", error instanceof Error ? error.message.split("\n")[0] : error),
    });
    await maker.start();
  }

  const trader = keys[ROLES.traders[0]]!;
  printTable(
    "Services",
    ["service", "where"],
    [
      ["JSON-RPC (EDR)", RPC_URL],
      ["keeper API (orders, cancels)", `${api}/orders · ${api}/cancels · ${api}/orders/:hash`],
      ["keeper WebSocket", `${api.replace(/^http/, "ws")}/ws  (book|trades|mark|index|funding|cascade:<market>)`],
      ["keeper health", `${api}/health`],
      ["keeper metrics (Prometheus)", `${api}/metrics`],
      ["keeper", `${getAddress(keys[ROLES.keeper]!.address)} (#${ROLES.keeper}): matching, batch posting, liquidation`],
      [
        "price feeder",
        heartbeatSeconds > 0
          ? `reporters #1–#3, "${args["price-path"]}" path, every ${heartbeatSeconds} s`
          : "off (LUCENT_DEVNET_PRICE_HEARTBEAT=0)",
      ],
      [
        "demo market maker",
        startMaker
          ? `${getAddress(keys[MARKET_MAKER]!.address)} (#${MARKET_MAKER}): 3 levels a side, every market`
          : "off",
      ],
    ],
  );
  const extra = `${RPC_URL === "http://127.0.0.1:8545" ? "" : ` --rpc ${RPC_URL}`}${deploymentId === `chain-${chainId}` ? "" : ` --deployment ignition/deployments/${deploymentId}/deployed_addresses.json`}`;
  console.log(
    `\nTry it (signs as trader #5 ${getAddress(trader.address)} by default):\n` +
      `  npx lucent order place --market BTC-USD --side buy --size 1 --price 100100${api === "http://127.0.0.1:8787" ? "" : ` --keeper-url ${api}`}${extra}\n` +
      `  npx lucent account ${getAddress(trader.address)}${extra}\n` +
      `  curl -s ${api}/health`,
  );

  if (args.scenario === "crash") {
    console.log("");
    return runCrashScenario({
      rpcUrl: RPC_URL,
      chain,
      lucent: client,
      domain,
      apiUrl: api,
      usdToken: lucent.usd.address,
      usdVault: lucent.usdVault.address,
      feeder: priceFeeder,
      marketMaker: maker,
      account,
      log: (line) => console.log(line),
    }).then(
      (result) => {
        const ok =
          result.liquidated.length > 0 &&
          result.takeovers.length > 0 &&
          result.deleveraged.length > 0 &&
          result.audit.length > 0 &&
          result.audit.every((r) => r.status === "verified");
        console.log(
          ok
            ? "\nSCENARIO OK: liquidation, backstop takeover and ADL happened; every ADL verified."
            : "\nSCENARIO FAILED: see above.",
        );
        return ok;
      },
      (error: unknown) => {
        console.error("SCENARIO FAILED:", error);
        return false;
      },
    );
  }
  console.log(`\nDevnet ready on ${RPC_URL} (chain ${chainId}). Press Ctrl-C to stop.`);
  return undefined;
}

// ------------------------------------------------------------------------------------------ helpers

/** Polls `eth_chainId` until the node answers; returns the chain id. */
async function waitForRpc(url: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      const body = (await response.json()) as { result?: string };
      if (typeof body.result === "string") return Number(body.result);
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer eth_chainId within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Addresses and private keys of the served network's default accounts, from its configuration. */
async function defaultAccountKeys(): Promise<{ address: Address; privateKey: Hex }[]> {
  const config = hre.config.networks[SERVED_NETWORK];
  if (config?.type !== "edr-simulated") throw new Error(`network "${SERVED_NETWORK}" is not an EDR network`);
  const accounts = config.accounts;
  if (Array.isArray(accounts)) {
    return Promise.all(
      accounts.map(async ({ privateKey }) => {
        const key = (await privateKey.getHexString()) as Hex;
        return { address: privateKeyToAccount(key).address, privateKey: key };
      }),
    );
  }
  const mnemonic = await accounts.mnemonic.get();
  const passphrase = await accounts.passphrase.get();
  return Array.from({ length: accounts.count }, (_, i) => {
    const account = mnemonicToAccount(mnemonic, {
      path: `${accounts.path}/${accounts.initialIndex + i}` as `m/44'/60'/${string}`,
      passphrase,
    });
    const privateKey = account.getHdKey().privateKey;
    if (privateKey === null) throw new Error("HD key without a private key");
    return { address: account.address, privateKey: bytesToHex(privateKey) };
  });
}

function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join("  ")
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
}
