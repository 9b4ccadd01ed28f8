// `npm run devnet -- --scenario crash`: a BTC crash in two legs that exercises the whole liquidation
// waterfall (SPEC §6–8) through the devnet's running keeper node:
//
//   setup at $100,000   an LP deposits $1,500 into the USD insurance vault; victim A goes long 100
//                       BTC-USD contracts (0.1 BTC) on $1,050 (~10×), victim B long 300 on $4,500 (~6.7×),
//                       two shorts take the other side — all as signed orders through the keeper's API;
//   leg 1: $93,000      A is under maintenance margin, B is not: the keeper's liquidator closes A through
//                       the book (a resting bid at $92,500, inside the band) and the vault takes over
//                       the rest at A's bankruptcy price (BackstopTakeover);
//   leg 2: $87,000      B is under half its maintenance margin (full liquidation); the vault, now long
//                       A's position, is too small for all of B's: the rest is deleveraged against the
//                       shorts in the market's ranking (Deleveraged + AdlCounterparty);
//   audit               every ADL is recomputed from chain data alone by the SDK's `auditAdl`.
//
// The accounts are the node's default accounts #10–#14 (well-known keys), so the devnet's traders #5–#9
// are untouched.
import {
  createWalletClient,
  formatUnits,
  http,
  maxUint256,
  parseAbi,
  zeroAddress,
  type Address,
  type Chain,
  type Hex,
} from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import type { MarketMaker } from "../../keeper/src/bots/marketMaker.js";
import type { PriceFeeder } from "../../keeper/src/bots/priceFeeder.js";
import { orderToWire } from "../../keeper/src/api/schema.js";
import { auditAdl, type AdlAuditResult } from "../../sdk/src/adl/auditAdl.js";
import {
  clearinghouseAbi,
  getEvents,
  insuranceVaultAbi,
  signOrder,
  subaccountId,
  type LucentClient,
  type LucentDomain,
  type LucentEvent,
  type Order,
} from "../../sdk/src/index.js";

const WAD = 10n ** 18n;
const DOLLAR = 10n ** 6n;
const USD = 0;
const BTCUSD = 0;
const erc20Abi = parseAbi([
  "function mint(address to, uint256 amount)",
  "function approve(address spender, uint256 amount) returns (bool)",
]);

export const CRASH_PRICES = { start: 100_000n * WAD, leg1: 93_000n * WAD, leg2: 87_000n * WAD } as const;

export type ScenarioContext = {
  rpcUrl: string;
  chain: Chain;
  lucent: LucentClient;
  domain: LucentDomain;
  /** The keeper API. */
  apiUrl: string;
  usdToken: Address;
  usdVault: Address;
  feeder: PriceFeeder;
  /** Paused while the setup trades cross (so they fill each other, not the maker's quotes). */
  marketMaker?: MarketMaker | undefined;
  /** The node's default account #i. */
  account: (i: number) => PrivateKeyAccount;
  log?: (line: string) => void;
  /** Per wait (a settlement, a liquidation); default 60 s. */
  timeoutMs?: number;
};

export type CrashScenarioResult = {
  victims: { a: Hex; b: Hex };
  events: LucentEvent[];
  liquidated: Extract<LucentEvent, { eventName: "Liquidated" }>[];
  takeovers: Extract<LucentEvent, { eventName: "BackstopTakeover" }>[];
  deleveraged: Extract<LucentEvent, { eventName: "Deleveraged" }>[];
  counterparties: Extract<LucentEvent, { eventName: "AdlCounterparty" }>[];
  audit: AdlAuditResult[];
};

export async function runCrashScenario(ctx: ScenarioContext): Promise<CrashScenarioResult> {
  const log = ctx.log ?? (() => undefined);
  const timeoutMs = ctx.timeoutMs ?? 60_000;
  const { lucent } = ctx;
  const publicClient = lucent.publicClient;
  const transport = http(ctx.rpcUrl);
  const wallet = (a: PrivateKeyAccount) => createWalletClient({ account: a, chain: ctx.chain, transport });
  const wait = async (hash: Promise<Hex>) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash, pollingInterval: 50 });
    if (receipt.status !== "success") throw new Error(`scenario transaction ${receipt.transactionHash} reverted`);
  };
  const [lp, a, b, s1, s2] = [10, 11, 12, 13, 14].map(ctx.account) as [
    PrivateKeyAccount,
    PrivateKeyAccount,
    PrivateKeyAccount,
    PrivateKeyAccount,
    PrivateKeyAccount,
  ];
  const idOf = (x: PrivateKeyAccount) => subaccountId({ owner: x.address, collateral: USD, index: 0 });
  const startBlock = await publicClient.getBlockNumber({ cacheTime: 0 });

  // ------------------------------------------------------------------------------------ setup
  log(`Scenario crash: BTC index pinned at $${usd(CRASH_PRICES.start)}`);
  ctx.feeder.pin("btc", CRASH_PRICES.start);
  await ctx.feeder.reportNow();
  await ctx.marketMaker?.stop();

  const deposit = async (who: PrivateKeyAccount, dollars: bigint) => {
    const w = wallet(who);
    const amount = dollars * DOLLAR;
    await wait(
      w.writeContract({ address: ctx.usdToken, abi: erc20Abi, functionName: "mint", args: [who.address, amount] }),
    );
    await wait(
      w.writeContract({
        address: ctx.usdToken,
        abi: erc20Abi,
        functionName: "approve",
        args: [lucent.addresses.clearinghouse, maxUint256],
      }),
    );
    await wait(
      w.writeContract({
        address: lucent.addresses.clearinghouse,
        abi: clearinghouseAbi,
        functionName: "deposit",
        args: [USD, 0, amount],
      }),
    );
  };
  const lpAssets = 1_500n * DOLLAR;
  {
    const w = wallet(lp);
    await wait(
      w.writeContract({ address: ctx.usdToken, abi: erc20Abi, functionName: "mint", args: [lp.address, lpAssets] }),
    );
    await wait(
      w.writeContract({
        address: ctx.usdToken,
        abi: erc20Abi,
        functionName: "approve",
        args: [ctx.usdVault, lpAssets],
      }),
    );
    await wait(
      w.writeContract({
        address: ctx.usdVault,
        abi: insuranceVaultAbi,
        functionName: "deposit",
        args: [lpAssets, lp.address],
      }),
    );
  }
  log(`  LP ${lp.address} deposited $${formatUnits(lpAssets, 6)} into the USD insurance vault`);
  await deposit(a, 1_050n);
  await deposit(b, 4_500n);
  await deposit(s1, 20_000n);
  await deposit(s2, 20_000n);

  let nonce = BigInt(Date.now()) * 1_000n;
  const order = (trader: PrivateKeyAccount, isBuy: boolean, size: bigint): Order => ({
    trader: trader.address,
    subaccount: 0,
    market: BTCUSD,
    isBuy,
    size,
    limitPrice: CRASH_PRICES.start,
    flags: 0,
    nonce: nonce++,
    expiry: Math.floor(Date.now() / 1000) + 3_600,
    keeper: zeroAddress,
  });
  const place = async (signer: PrivateKeyAccount, o: Order) => {
    const { signature } = await signOrder({ signer, domain: ctx.domain, order: o });
    const response = await fetch(`${ctx.apiUrl}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ order: orderToWire(o), signature }),
    });
    const answer = (await response.json()) as { ok: boolean; error?: { message: string } };
    if (!answer.ok) throw new Error(`the keeper refused a setup order: ${answer.error?.message ?? response.status}`);
  };
  const position = async (id: Hex) =>
    (
      await publicClient.readContract({
        address: lucent.addresses.clearinghouse,
        abi: clearinghouseAbi,
        functionName: "position",
        args: [id, BTCUSD],
      })
    )[0];
  for (const [short, long, size] of [
    [s1, a, 100n],
    [s2, b, 300n],
  ] as const) {
    await place(short, order(short, false, size));
    await place(long, order(long, true, size));
    await until(`the keeper to settle ${size} contracts`, timeoutMs, async () => (await position(idOf(long))) === size);
  }
  log(`  victim A ${a.address}: long 100 BTC-USD at $100,000 on $1,050`);
  log(`  victim B ${b.address}: long 300 BTC-USD at $100,000 on $4,500`);
  log(`  shorts ${s1.address} (100) and ${s2.address} (300)`);
  // A resting bid inside the liquidation band of the first leg (mark ± 2%), so the book takes a part.
  await place(s1, { ...order(s1, true, 30n), limitPrice: 92_500n * WAD });
  log("  a resting bid: 30 contracts at $92,500 (the first leg's book side)");
  await ctx.marketMaker?.start();

  // ------------------------------------------------------------------------------------ the crash
  const leg = async (price: bigint, victim: Hex, what: string) => {
    log(`Crash: BTC index to $${usd(price)} (${what})`);
    ctx.feeder.pin("btc", price);
    await ctx.feeder.reportNow();
    const event = await until(`the keeper to liquidate ${victim}`, timeoutMs, async () => {
      const liquidations = await getEvents(lucent, { fromBlock: startBlock, eventName: "Liquidated" });
      return liquidations.find((e) => e.args.account.toLowerCase() === victim.toLowerCase());
    });
    log(
      `  Liquidated ${victim}: closed ${event.args.closed} (book ${event.args.bookSize}, backstop ${event.args.backstopSize}, ADL ${event.args.adlSize}) at bankruptcy $${usd(event.args.bankruptcyPrice)} — tx ${event.transactionHash}`,
    );
    return event;
  };
  await leg(CRASH_PRICES.leg1, idOf(a), "A under maintenance margin; the vault can take what the book cannot");
  await leg(CRASH_PRICES.leg2, idOf(b), "B under half its maintenance margin; the vault is too small for it");

  // ------------------------------------------------------------------------------------ what happened
  const events = await getEvents(lucent, { fromBlock: startBlock });
  const pick = <N extends LucentEvent["eventName"]>(name: N) =>
    events.filter((e): e is Extract<LucentEvent, { eventName: N }> => e.eventName === name);
  const result: CrashScenarioResult = {
    victims: { a: idOf(a), b: idOf(b) },
    events,
    liquidated: pick("Liquidated"),
    takeovers: pick("BackstopTakeover"),
    deleveraged: pick("Deleveraged"),
    counterparties: pick("AdlCounterparty"),
    audit: await auditAdl(lucent, { fromBlock: startBlock }),
  };
  for (const t of result.takeovers)
    log(
      `  BackstopTakeover: the vault ${t.args.insurance} took ${t.args.size} of ${t.args.account} at $${usd(t.args.price)}`,
    );
  for (const d of result.deleveraged)
    log(
      `  Deleveraged ${d.args.account}: shortfall ${d.args.shortfall} at $${usd(d.args.price)} (mark $${usd(d.args.markPrice)}, policy ${d.args.policy})`,
    );
  for (const c of result.counterparties)
    log(`    AdlCounterparty ${c.args.counterparty}: ${c.args.size} at $${usd(c.args.price)}, score ${c.args.score}`);
  log("ADL audit (sdk/src/adl/auditAdl.ts, recomputed from chain data alone):");
  for (const r of result.audit) {
    const detail =
      r.status === "verified"
        ? `${r.actual.length} counterparties as the policy selects`
        : r.status === "discrepancy"
          ? JSON.stringify(r.discrepancy, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))
          : r.reason;
    log(`  ${r.status.toUpperCase()}  ${r.account} market ${r.marketId} shortfall ${r.shortfall} — ${detail}`);
  }
  return result;
}

/** Polls `probe` until it returns something other than undefined/false; bounded by `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
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
      throw new Error(`timed out waiting for ${what}${lastError === undefined ? "" : `: ${String(lastError)}`}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function usd(price: bigint): string {
  return Number(formatUnits(price, 18)).toLocaleString("en-US", { maximumFractionDigits: 2 });
}
