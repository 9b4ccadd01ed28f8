// The liquidator bot on an in-process EDR chain: deploy through ignition/modules/Lucent.ts, trade through
// settleBatch, crash the BTC index (two of three reporters, quorum 2), and check that ONE iteration of
// the bot liquidates every liquidatable account through the book, the insurance backstop and ADL, with
// the contract accepting its ADL selections.
import hre from "hardhat";
import { parseEventLogs, zeroAddress, type Address, type Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import LucentModule, { DEFAULTS, lucentParameters } from "../../ignition/modules/Lucent.js";
import { changeMarketParameters } from "../e2e/fixtures/governance.js";
import { LiquidatorBot, engineBookSource, type RestingOrderInfo } from "../../keeper/src/bots/liquidator.js";
import { MatchingEngine, OrderFlags, RejectReason, Side } from "../../keeper/src/engine/index.js";
import {
  decodeLucentLogs,
  createLucentClient,
  encodeBatch,
  lucentDomain,
  signOrder,
  subaccountId,
  type Order,
} from "../../sdk/src/index.js";

const USD = 0;
const BTCUSD = 0;
const WAD = 10n ** 18n;
const DOLLAR = 10n ** 6n;
const FAR_EXPIRY = 2 ** 40 - 1;
const TICK = WAD / 2n;

const connection = await hre.network.create();
const { viem, ignition } = connection;

type Wallet = Awaited<ReturnType<typeof viem.getWalletClients>>[number];

describe("LiquidatorBot on EDR", () => {
  let lucent: Awaited<ReturnType<typeof deploy>>;

  async function deploy() {
    const wallets = await viem.getWalletClients();
    const [admin, r0, r1, r2, keeper, bidder, lp, l1, l2, s1, s2, s3, t1] = wallets;
    if (!admin || !r0 || !r1 || !r2 || !keeper || !bidder || !lp || !l1 || !l2 || !s1 || !s2 || !s3 || !t1) {
      throw new Error("need 13 accounts");
    }
    const contracts = await ignition.deploy(LucentModule, lucentParameters({ admin, reporters: [r0, r1, r2] }));
    const publicClient = await viem.getPublicClient();
    const domain = lucentDomain({
      chainId: await publicClient.getChainId(),
      clearinghouse: contracts.clearinghouse.address,
    });
    return {
      ...contracts,
      publicClient,
      domain,
      admin,
      reporters: [r0, r1, r2],
      keeper,
      bidder,
      lp,
      l1,
      l2,
      s1,
      s2,
      s3,
      t1,
    };
  }

  async function report(price: bigint, reporters: readonly Wallet[]) {
    for (const r of reporters) await lucent.btcOracle.write.report([price], { account: r.account });
  }

  async function fund(wallet: Wallet, dollars: bigint) {
    const amount = dollars * DOLLAR;
    await lucent.usd.write.mint([wallet.account.address, amount]);
    await lucent.usd.write.approve([lucent.clearinghouse.address, amount], { account: wallet.account });
    await lucent.clearinghouse.write.deposit([USD, 0, amount], { account: wallet.account });
  }

  let nonce = 1n;
  function order(trader: Address, isBuy: boolean, size: bigint, price: bigint): Order {
    return {
      trader,
      subaccount: 0,
      market: BTCUSD,
      isBuy,
      size,
      limitPrice: price,
      flags: 0,
      nonce: nonce++,
      expiry: FAR_EXPIRY,
      keeper: zeroAddress,
    };
  }

  let batchIndex = 0n;
  /** `buyer` takes `size` from `seller`'s resting ask at `price`. */
  async function trade(seller: Wallet, buyer: Wallet, size: bigint, price: bigint) {
    const makerOrder = order(seller.account.address, false, size, price);
    const takerOrder = order(buyer.account.address, true, size, price);
    const maker = await signOrder({ signer: seller, domain: lucent.domain, order: makerOrder });
    const taker = await signOrder({ signer: buyer, domain: lucent.domain, order: takerOrder });
    const fills = encodeBatch({
      fills: [
        {
          size,
          maker: { order: makerOrder, signature: maker.signature },
          taker: { order: takerOrder, signature: taker.signature },
        },
      ],
    });
    const hash = await lucent.clearinghouse.write.settleBatch([batchIndex++, fills], {
      account: lucent.keeper.account,
    });
    const receipt = await lucent.publicClient.waitForTransactionReceipt({ hash });
    const settled = decodeLucentLogs({ logs: receipt.logs }).filter((e) => e.eventName === "FillSettled");
    expect(settled).toHaveLength(1);
  }

  const idOf = (w: Wallet) =>
    subaccountId({ owner: w.account.address, collateral: USD, index: 0 }).toLowerCase() as Hex;

  const under = async (w: Wallet) => {
    const [equity, , mm] = await lucent.clearinghouse.read.accountHealth([idOf(w)]);
    return equity < mm;
  };

  /** A liquidator bot over `engine`'s BTC-USD book, sending with the keeper's wallet. */
  function liquidatorBot(
    engine: MatchingEngine,
    resting: ReadonlyMap<number, RestingOrderInfo>,
    publish?: (channel: string, message: unknown) => void,
  ) {
    const { publicClient, clearinghouse } = lucent;
    const client = createLucentClient({
      publicClient,
      addresses: { clearinghouse: clearinghouse.address, marketRegistry: lucent.registry.address },
    });
    const sent: Hex[] = [];
    const bot = new LiquidatorBot({
      client,
      liquidator: lucent.keeper.account.address,
      book: engineBookSource(engine, new Map([[BTCUSD, { tickSize: TICK, lotSize: 1n }]]), (_m, id) => resting.get(id)),
      ...(publish === undefined ? {} : { publish }),
      send: async ({ to, data }) => {
        const hash = await lucent.keeper.sendTransaction({
          to,
          data,
          account: lucent.keeper.account,
          chain: lucent.keeper.chain,
        });
        sent.push(hash);
        const receipt = await publicClient.waitForTransactionReceipt({ hash });
        return { transactionHash: hash, status: receipt.status, logs: receipt.logs };
      },
    });
    return { bot, sent };
  }

  beforeAll(async () => {
    lucent = await deploy();
    await report(100_000n * WAD, lucent.reporters);
    for (const r of lucent.reporters) await lucent.ethOracle.write.report([4_000n * WAD], { account: r.account });
    await lucent.keeperRegistry.write.register({ account: lucent.keeper.account, value: DEFAULTS.minBond });
    // L1: 100 contracts (0.1 BTC, $10,000) on $1,050; L2: 200 contracts on $2,050 — 10× at entry.
    await fund(lucent.l1, 1_050n);
    await fund(lucent.l2, 2_050n);
    for (const s of [lucent.s1, lucent.s2, lucent.s3]) await fund(s, 5_000n);
    await fund(lucent.bidder, 100_000n);
    // The insurance vault: $1,000 from an LP (ERC-4626 deposit, straight into its clearinghouse subaccount).
    await lucent.usd.write.mint([lucent.lp.account.address, 1_000n * DOLLAR]);
    await lucent.usd.write.approve([lucent.usdVault.address, 1_000n * DOLLAR], { account: lucent.lp.account });
    await lucent.usdVault.write.deposit([1_000n * DOLLAR, lucent.lp.account.address], { account: lucent.lp.account });

    const price = 100_000n * WAD;
    await trade(lucent.s1, lucent.l1, 100n, price);
    await trade(lucent.s2, lucent.l2, 150n, price);
    await trade(lucent.s3, lucent.l2, 50n, price);
  });

  it("liquidates every liquidatable account in one iteration: book, backstop and ADL, accepted by the contract", async () => {
    const { publicClient, clearinghouse } = lucent;

    // The engine's book: the bidder rests 50 contracts at $91,000 (signed, never settled).
    const engine = new MatchingEngine();
    engine.addMarket({ market: BTCUSD });
    const bidOrder = order(lucent.bidder.account.address, true, 50n, 91_000n * WAD);
    const bid = await signOrder({ signer: lucent.bidder, domain: lucent.domain, order: bidOrder });
    const resting = new Map<number, RestingOrderInfo>([
      [7, { signed: { order: bidOrder, signature: bid.signature }, maker: idOf(lucent.bidder), reduceOnly: false }],
    ]);
    const placed = engine.place(
      {
        market: BTCUSD,
        id: 7,
        trader: 1,
        subaccount: 0,
        side: Side.Buy,
        price: Number((91_000n * WAD) / TICK),
        size: 50,
        flags: OrderFlags.NONE,
        expiry: FAR_EXPIRY,
      },
      0,
    );
    expect(placed).toBe(RejectReason.None);

    const published: { channel: string; message: unknown }[] = [];
    const { bot, sent } = liquidatorBot(engine, resting, (channel, message) => published.push({ channel, message }));
    await bot.init();
    const quiet = await bot.iterate();
    expect(quiet.liquidatable).toBe(0);
    expect(sent).toHaveLength(0);

    // The crash: two of the three reporters (quorum 2) report $92,000; the median follows them.
    await report(92_000n * WAD, lucent.reporters.slice(0, 2));
    const [, , mark] = await clearinghouse.read.marketState([BTCUSD]);
    expect(mark).toBe(92_000n * WAD);
    expect(await under(lucent.l1)).toBe(true);
    expect(await under(lucent.l2)).toBe(true);

    const result = await bot.iterate();
    expect(result.failures).toEqual([]);
    expect(result.liquidatable).toBe(2);
    const liquidated = new Set(result.liquidations.map((l) => l.account));
    expect(liquidated).toEqual(new Set([idOf(lucent.l1), idOf(lucent.l2)]));

    // What the contract did, from its own events.
    const logs = (await Promise.all(sent.map((hash) => publicClient.waitForTransactionReceipt({ hash })))).flatMap(
      (r) => {
        expect(r.status).toBe("success");
        return r.logs;
      },
    );
    // The module's events are emitted at the clearinghouse's address (delegatecall).
    const events = parseEventLogs({ abi: [...clearinghouse.abi, ...lucent.liquidationModule.abi], logs });
    const liquidations = events.filter((e) => e.eventName === "Liquidated");
    const total = (field: "bookSize" | "backstopSize" | "adlSize") =>
      liquidations.reduce((sum, e) => sum + (e.eventName === "Liquidated" ? e.args[field] : 0n), 0n);
    expect(total("bookSize")).toBe(50n); // the whole resting bid
    expect(total("backstopSize")).toBeGreaterThan(0n);
    expect(total("adlSize")).toBeGreaterThan(0n);
    // The plans matched the contract exactly, position by position.
    for (const outcome of result.liquidations) {
      const event = liquidations.find(
        (e) => e.eventName === "Liquidated" && e.transactionHash === outcome.transactionHash,
      );
      expect(event?.eventName).toBe("Liquidated");
      if (event?.eventName !== "Liquidated") continue;
      expect(event.args.closed).toBe(outcome.plan.target);
      expect(event.args.bookSize).toBe(outcome.plan.bookSize);
      expect(event.args.backstopSize).toBe(outcome.plan.backstopSize);
      expect(event.args.adlSize).toBe(outcome.plan.adlSize);
      // Planned at the last block's funding, executed a block (a second or so of funding) later.
      const drift = event.args.bankruptcyPrice - outcome.plan.bankruptcyPrice;
      expect(drift < 0n ? -drift : drift).toBeLessThan(outcome.plan.bankruptcyPrice / 1_000_000n);
    }
    const counterparties = events.filter((e) => e.eventName === "AdlCounterparty");
    expect(counterparties.length).toBeGreaterThan(0);
    const shorts = new Set([idOf(lucent.s1), idOf(lucent.s2), idOf(lucent.s3)]);
    for (const c of counterparties) {
      if (c.eventName === "AdlCounterparty") expect(shorts.has(c.args.counterparty.toLowerCase() as Hex)).toBe(true);
    }

    // Nobody is left under maintenance margin, the used bid left the book, and a second pass finds nothing.
    for (const w of [lucent.l1, lucent.l2, lucent.s1, lucent.s2, lucent.s3, lucent.bidder])
      expect(await under(w)).toBe(false);
    expect(engine.book(BTCUSD)!.has(7)).toBe(false);
    const again = await bot.iterate();
    expect(again.liquidatable).toBe(0);
    expect(again.liquidations).toEqual([]);

    // R(Δ) was published for every market, both directions.
    const btc = published.filter((p) => p.channel === `risk:${BTCUSD}`);
    expect(btc.length).toBeGreaterThanOrEqual(3);
    expect(published.some((p) => p.channel === "risk:1")).toBe(true);
    const last = btc.at(-1)!.message as { down: { rows: { deltaBps: number }[] } };
    expect(last.down.rows.map((r) => r.deltaBps)).toEqual([25, 50, 100, 200, 500]);
  });

  it("takes a market's new MM rate from the registry: an account safe under the old one is liquidated", async () => {
    const engine = new MatchingEngine();
    engine.addMarket({ market: BTCUSD });
    const { bot } = liquidatorBot(engine, new Map());
    await bot.init();
    // T1: long 10 contracts ($920) at $92,000 on $95, then the mark dips to $91,000: equity ≈ $84.5,
    // MM at 5 % = $45.50 (safe), at 9.5 % = $86.45 (not).
    await fund(lucent.t1, 95n);
    await trade(lucent.s1, lucent.t1, 10n, 92_000n * WAD);
    await report(91_000n * WAD, lucent.reporters.slice(0, 2));
    expect(await under(lucent.t1)).toBe(false);
    expect((await bot.iterate()).liquidatable).toBe(0);

    // Governance raises BTC-USD's MM rate (scheduled through the AccessManager, after the LISTER delay).
    const governance = { manager: lucent.manager.address, registry: lucent.registry.address, admin: lucent.admin };
    const mmRate = (95n * WAD) / 1_000n;
    const config = await changeMarketParameters(connection, governance, BTCUSD, { mmRate }, DEFAULTS.listingDelay);
    expect(config.mmRate).toBe(mmRate);
    await report(91_000n * WAD, lucent.reporters.slice(0, 2)); // fresh again after the delay
    expect(await under(lucent.t1)).toBe(true);

    const result = await bot.iterate();
    expect(result.failures).toEqual([]);
    expect(result.liquidations.map((l) => l.account)).toContain(idOf(lucent.t1));
    expect(await under(lucent.t1)).toBe(false);
  });
});
