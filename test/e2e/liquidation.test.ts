// End to end, SPEC §6–8: deploy through the Ignition module on the in-process EDR chain, deposit, trade with
// SDK-signed orders, move the index through the median oracles, and liquidate through the clearinghouse's
// `ILiquidation` entry points: the book, the insurance vault's backstop, and verified ADL under both policies, in
// the linear (BTC-USD), inverse (XBTUSD) and quanto (ETHUSD) markets. Every expected number comes from the chain's
// views and the SDK mirrors (liquidationMath, contractMath, adl/): sizes, prices, scores, fees.
//
// The deployment sets `interestRate: 0` and trades at the index, so the premium and the funding rate stay zero
// and an account's equity does not depend on the block's timestamp (the views read one block, the liquidation
// runs in the next); and `keeperFeeShare: 1` (all batch fees to the keeper), so the insurance vaults start empty
// and only what a test deposits or a liquidation pays ever reaches them.
import hre from "hardhat";
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  getAddress,
  parseEventLogs,
  zeroAddress,
  type Abi,
  type Address,
  type Hex,
  type Log,
} from "viem";
import { describe, expect, it } from "vitest";
import LucentModule, {
  AdlPolicy,
  DEFAULTS,
  LIQUIDATION_PARAMETERS,
  lucentParameters,
} from "../../ignition/modules/Lucent.js";
import {
  decodeLucentLogs,
  encodeBatch,
  encodeLiquidationFills,
  liquidationMath,
  lucentDomain,
  mulRateDown,
  mulRateUp,
  notional,
  signOrder,
  signedValue,
  subaccountId,
  type Fill,
  type MarketKind,
  type Order,
} from "../../sdk/src/index.js";
import { adlScore } from "../../sdk/src/adl/adlScore.js";
import { allocateAdl, type AdlAllocation } from "../../sdk/src/adl/allocateAdl.js";
import { rankAdlSide, type AdlPosition } from "../../sdk/src/adl/rankAdlSide.js";
import { changeMarketParameters } from "./fixtures/governance.js";

const { bankruptcyPrice, partialCloseSize } = liquidationMath;

const WAD = 10n ** 18n;
const USD = 0;
const XBT = 1;
const BTCUSD = 0;
const XBTUSD = 1;
const ETHUSD = 2;
const USD_UNIT = 10n ** 6n;
const XBT_UNIT = 10n ** 8n;
const BTC_PRICE = 100_000n * WAD;
const ETH_PRICE = 4_000n * WAD;
const FAR_EXPIRY = 2 ** 40 - 1;
const LISTING_DELAY = 60;
const InsuranceFlowReason = { TradingFee: 0, LiquidationFee: 1, BadDebt: 2, Takeover: 3 } as const;

const connection = await hre.network.create();
const { viem, ignition, networkHelpers } = connection;

type Wallet = Awaited<ReturnType<typeof viem.getWalletClients>>[number];

// ---------------------------------------------------------------- the deployment and the positions

async function deployFixture() {
  const wallets = await viem.getWalletClients();
  const [admin, r0, r1, r2, keeper, victim, bob, carol, dave, mia, erin, frank, victimX, victimE] = wallets;
  if (!admin || !r0 || !r1 || !r2 || !keeper || !victim || !bob || !carol || !dave || !mia || !erin || !frank) {
    throw new Error("the default network has 20 accounts");
  }
  if (!victimX || !victimE) throw new Error("the default network has 20 accounts");
  const lucent = await ignition.deploy(
    LucentModule,
    lucentParameters({
      admin,
      reporters: [r0, r1, r2],
      listingDelay: LISTING_DELAY,
      interestRate: 0,
      keeperFeeShare: WAD,
    }),
  );
  for (const reporter of [r0, r1, r2]) {
    await lucent.btcOracle.write.report([BTC_PRICE], { account: reporter.account });
    await lucent.ethOracle.write.report([ETH_PRICE], { account: reporter.account });
  }
  await lucent.keeperRegistry.write.register({ account: keeper.account, value: DEFAULTS.minBond });

  const tokens = { [USD]: lucent.usd, [XBT]: lucent.xbt };
  const deposit = async (who: Wallet, collateral: number, index: number, amount: bigint) => {
    const token = tokens[collateral as 0 | 1];
    await token.write.mint([who.account.address, amount]);
    await token.write.approve([lucent.clearinghouse.address, amount], { account: who.account });
    await lucent.clearinghouse.write.deposit([collateral, index, amount], { account: who.account });
  };
  // BTC-USD: the victim longs 900 contracts (0.9 BTC, $90,000) with $10,000 against three shorts of 300;
  // dave's subaccount 1 holds his with $4,000 and is the most levered.
  await deposit(victim, USD, 0, 10_000n * USD_UNIT);
  await deposit(bob, USD, 0, 1_000_000n * USD_UNIT);
  await deposit(carol, USD, 0, 1_000_000n * USD_UNIT);
  await deposit(dave, USD, 1, 4_000n * USD_UNIT);
  await deposit(mia, USD, 0, 1_000_000n * USD_UNIT); // rests bids in the book
  await deposit(frank, USD, 0, 10_000n * USD_UNIT); // never trades
  // XBTUSD: victimX longs 20,000 contracts ($20,000, 0.2 XBT) with 0.03 XBT. ETHUSD: victimE longs 500
  // (2 XBT at $4,000) with 0.3 XBT. The same three shorts, in their XBT subaccounts.
  await deposit(victimX, XBT, 0, (3n * XBT_UNIT) / 100n);
  await deposit(victimE, XBT, 0, (3n * XBT_UNIT) / 10n);
  await deposit(bob, XBT, 0, 100n * XBT_UNIT);
  await deposit(carol, XBT, 0, 100n * XBT_UNIT);
  await deposit(dave, XBT, 1, (6n * XBT_UNIT) / 100n);
  await deposit(frank, XBT, 0, XBT_UNIT);
  // The insurance LP's money, deposited into the vaults by the tests that need a backstop.
  await lucent.usd.write.mint([erin.account.address, 1_000_000n * USD_UNIT]);
  await lucent.xbt.write.mint([erin.account.address, 100n * XBT_UNIT]);

  const publicClient = await viem.getPublicClient();
  const domain = lucentDomain({
    chainId: await publicClient.getChainId(),
    clearinghouse: lucent.clearinghouse.address,
  });
  let nonce = 1n;
  const sign = async (signer: Wallet, order: Omit<Order, "trader" | "nonce" | "expiry" | "keeper" | "flags">) => {
    const full: Order = {
      ...order,
      trader: signer.account.address,
      flags: 0,
      nonce: nonce++,
      expiry: FAR_EXPIRY,
      keeper: zeroAddress,
    };
    const { hash, signature } = await signOrder({ signer, domain, order: full });
    return { order: full, signature, hash };
  };
  const fills: Fill[] = [];
  const open = async (market: number, price: bigint, buyer: Wallet, sellers: readonly [Wallet, number, bigint][]) => {
    for (const [seller, index, size] of sellers) {
      const ask = await sign(seller, { subaccount: index, market, isBuy: false, size, limitPrice: price });
      const bid = await sign(buyer, { subaccount: 0, market, isBuy: true, size, limitPrice: price });
      fills.push({ size, maker: ask, taker: bid });
    }
  };
  await open(BTCUSD, BTC_PRICE, victim, [
    [bob, 0, 300n],
    [carol, 0, 300n],
    [dave, 1, 300n],
  ]);
  await open(XBTUSD, BTC_PRICE, victimX, [
    [bob, 0, 8_000n],
    [carol, 0, 8_000n],
    [dave, 1, 4_000n],
  ]);
  await open(ETHUSD, ETH_PRICE, victimE, [
    [bob, 0, 200n],
    [carol, 0, 200n],
    [dave, 1, 100n],
  ]);
  const hash = await lucent.clearinghouse.write.settleBatch([0n, encodeBatch({ fills })], { account: keeper.account });
  const logs = decodeLucentLogs({ logs: (await publicClient.waitForTransactionReceipt({ hash })).logs });
  const skipped = logs.filter((log) => log.eventName === "FillSkipped");
  if (skipped.length > 0) throw new Error(`setup fills skipped: ${JSON.stringify(skipped.map((l) => String(l.args)))}`);

  const liquidation = await viem.getContractAt("LiquidationModule", lucent.clearinghouse.address);
  const id = (who: Wallet, collateral: number, index = 0) =>
    subaccountId({ owner: who.account.address, collateral, index });
  return {
    ...lucent,
    liquidation,
    publicClient,
    sign,
    id,
    admin,
    reporters: [r0, r1, r2] as const,
    keeper,
    victim,
    bob,
    carol,
    dave,
    mia,
    erin,
    frank,
    victimX,
    victimE,
  };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

// ---------------------------------------------------------------- helpers

const errorAbi = async () => (await hre.artifacts.readArtifact("LiquidationModule")).abi as Abi;

/** The custom error a call reverted with, decoded with `abi`. */
async function revertOf(call: Promise<unknown>, abi: Abi): Promise<{ errorName: string; args: readonly unknown[] }> {
  try {
    await call;
  } catch (error) {
    const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    if (reverted instanceof ContractFunctionRevertedError && reverted.raw !== undefined) {
      const decoded = decodeErrorResult({ abi, data: reverted.raw });
      return { errorName: decoded.errorName, args: decoded.args ?? [] };
    }
    throw error;
  }
  throw new Error("expected the call to revert");
}

/** Two of the three reporters report `price`: with quorum 2 the median moves (SPEC §4). */
async function report(f: Fixture, market: number, price: bigint) {
  const oracle = market === ETHUSD ? f.ethOracle : f.btcOracle;
  for (const reporter of f.reporters.slice(0, 2)) {
    await oracle.write.report([price], { account: reporter.account });
  }
  const [, fresh, mark] = await f.clearinghouse.read.marketState([market]);
  expect(fresh).toBe(true);
  expect(mark).toBe(price); // premium zero: mark = index
}

async function marketOf(f: Fixture, market: number) {
  const [config, unit] = await f.registry.read.market([BigInt(market)]);
  const [, , mark, , , openInterest] = await f.clearinghouse.read.marketState([market]);
  return { config, unit, mark, openInterest, kind: config.kind as MarketKind };
}

async function sizeOf(f: Fixture, account: Hex, market: number): Promise<bigint> {
  return (await f.clearinghouse.read.position([account, market]))[0];
}

/**
 * What the module must close and at what price, from the views and the SDK mirror (SPEC §6): the whole position
 * below `fullLiquidationRatio × MM`, else `partialCloseSize`; `bankruptcyPrice` at mark.
 */
async function expectedLiquidation(f: Fixture, account: Hex, market: number) {
  const m = await marketOf(f, market);
  const [equity, im, mm] = await f.clearinghouse.read.accountHealth([account]);
  const size = await sizeOf(f, account, market);
  const absSize = size < 0n ? -size : size;
  const full = equity < mulRateDown(mm, LIQUIDATION_PARAMETERS.fullLiquidationRatio);
  // The book may take the partial target; what it leaves goes to backstop/ADL as the whole position
  // (a close at the bankruptcy price does not improve the margin ratio).
  const target = absSize;
  const bookTarget = full
    ? absSize
    : partialCloseSize(
        absSize,
        m.config.lotSize,
        im - equity, // > 0: the account is below MM < IM
        notional(m.kind, m.config.multiplier, size, m.mark, m.unit),
        m.config.imRate,
        LIQUIDATION_PARAMETERS.feeRate,
      );
  const bankruptcy = bankruptcyPrice(m.kind, m.config.multiplier, m.unit, size, m.mark, equity);
  return { ...m, equity, im, mm, size, target, bookTarget, bankruptcy, full };
}

async function liquidate(
  f: Fixture,
  args: { account: Hex; market: number; book?: Hex; side?: readonly Hex[]; sizes?: readonly bigint[] },
  from: Wallet = f.keeper,
) {
  return f.liquidation.write.liquidate(
    [args.account, args.market, args.book ?? "0x", args.side ?? [], args.sizes ?? []],
    { account: from.account },
  );
}

async function logsOf(f: Fixture, hash: Hex) {
  const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe("success");
  return parseEventLogs({ abi: f.liquidation.abi, logs: receipt.logs as Log[] });
}

type Logs = Awaited<ReturnType<typeof logsOf>>;

/** The arguments of the one `name` event in `logs`. */
function only(logs: Logs, name: Logs[number]["eventName"]): Record<string, unknown> {
  const found = logs.filter((log) => log.eventName === name);
  expect(found, name).toHaveLength(1);
  return found[0]!.args as Record<string, unknown>;
}

/** Everything a liquidation could touch, for "reverted and changed nothing". */
async function stateOf(f: Fixture, accounts: readonly Hex[]) {
  const state: unknown[] = [];
  for (const account of accounts) {
    state.push(await f.clearinghouse.read.account([account]));
    for (const market of [BTCUSD, XBTUSD, ETHUSD]) state.push(await f.clearinghouse.read.position([account, market]));
  }
  for (const market of [BTCUSD, XBTUSD, ETHUSD]) state.push(await f.clearinghouse.read.marketState([market]));
  state.push(await f.clearinghouse.read.insuranceFund([USD]), await f.clearinghouse.read.insuranceFund([XBT]));
  return state;
}

/** The positions of `candidates` on one side of `market` (their holders' equity at mark), for sdk/src/adl. */
async function sideOf(f: Fixture, market: number, long: boolean, candidates: readonly Hex[]): Promise<AdlPosition[]> {
  const side: AdlPosition[] = [];
  for (const account of candidates) {
    const [size, basis] = await f.clearinghouse.read.position([account, market]);
    if (size === 0n || size > 0n !== long) continue;
    const [equity] = await f.clearinghouse.read.accountHealth([account]);
    side.push({ subaccountId: account, size, basis, equity });
  }
  return side;
}

/** An LP deposits `assets` into the collateral's ERC-4626 insurance vault. */
async function fundVault(f: Fixture, collateral: number, assets: bigint) {
  const [token, vault] = collateral === USD ? [f.usd, f.usdVault] : [f.xbt, f.xbtVault];
  await token.write.approve([vault.address, assets], { account: f.erin.account });
  await vault.write.deposit([assets, f.erin.account.address], { account: f.erin.account });
  expect(await vault.read.totalAssets()).toBe(assets);
}

/** Schedules `setMarketParameters` through the AccessManager, waits the LISTER delay, executes. */
async function setAdlPolicy(f: Fixture, market: number, policy: number) {
  const governance = { manager: f.manager.address, registry: f.registry.address, admin: f.admin };
  const config = await changeMarketParameters(connection, governance, market, { adlPolicy: policy }, LISTING_DELAY);
  expect(config.adlPolicy).toBe(policy);
}

/** Liquidates `account` through ADL with the side and sizes sdk/src/adl computes, and checks everything. */
async function deleverageAndCheck(
  f: Fixture,
  account: Hex,
  market: number,
  candidates: readonly Hex[],
  bystanders: readonly Hex[],
) {
  const e = await expectedLiquidation(f, account, market);
  const long = e.size > 0n;
  const side = await sideOf(f, market, !long, candidates);
  const policy = e.config.adlPolicy;
  const allocation = allocateAdl({
    kind: e.kind,
    multiplier: e.config.multiplier,
    unit: e.unit,
    mark: e.mark,
    positions: side,
    policy: policy as 0 | 1,
    shortfall: e.target,
    lotSize: e.config.lotSize,
  });
  const order: Hex[] =
    policy === AdlPolicy.Ranked
      ? rankAdlSide({ kind: e.kind, multiplier: e.config.multiplier, unit: e.unit, mark: e.mark, positions: side }).map(
          (p) => p.subaccountId as Hex,
        )
      : side.map((p) => p.subaccountId as Hex).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const sizes = allocation.counterparties.map((c) => c.deleverage);
  expect(sizes.reduce((a, b) => a + b, 0n)).toBe(e.target);

  const before = new Map<Hex, bigint>();
  for (const p of side) before.set(p.subaccountId as Hex, p.size);
  const bystandersBefore = await stateOf(f, bystanders);
  const logs = await logsOf(f, await liquidate(f, { account, market, side: order, sizes }));

  // The events: the decision, then one counterparty per deleveraged position, at the bankruptcy price.
  expect(only(logs, "Deleveraged")).toEqual({
    account,
    marketId: market,
    policy,
    markPrice: e.mark,
    price: e.bankruptcy,
    shortfall: e.target,
    sideSize: BigInt(order.length),
  });
  const counterparties = logs.filter((log) => log.eventName === "AdlCounterparty").map((log) => log.args);
  const byId = new Map<Hex, AdlAllocation>(allocation.counterparties.map((c) => [c.subaccountId as Hex, c]));
  const positions = new Map(side.map((p) => [p.subaccountId as Hex, p]));
  expect(counterparties).toEqual(
    order
      .map((counterparty, rank) => ({ counterparty, rank }))
      .filter(({ counterparty }) => byId.has(counterparty))
      .map(({ counterparty, rank }) => {
        const p = positions.get(counterparty)!;
        const cut = byId.get(counterparty)!.deleverage;
        return {
          account,
          counterparty,
          marketId: market,
          rank: BigInt(rank),
          size: long ? cut : -cut, // the counterparty's trade: it buys back a short, sells a long
          price: e.bankruptcy,
          score:
            policy === AdlPolicy.Ranked
              ? adlScore({ ...p, kind: e.kind, multiplier: e.config.multiplier, unit: e.unit, mark: e.mark })
              : 0n,
        };
      }),
  );
  expect(only(logs, "Liquidated")).toMatchObject({
    account,
    marketId: market,
    positionBefore: e.size,
    markPrice: e.mark,
    bankruptcyPrice: e.bankruptcy,
    closed: e.target,
    bookSize: 0n,
    backstopSize: 0n,
    adlSize: e.target,
  });
  expect(logs.filter((log) => log.eventName === "BackstopTakeover")).toHaveLength(0);

  // INV-6: exactly the shortfall, from exactly the selected positions; everyone else untouched (INV-5).
  let total = 0n;
  for (const counterparty of order) {
    const cut = byId.get(counterparty)?.deleverage ?? 0n;
    const after = await sizeOf(f, counterparty, market);
    expect(after, counterparty).toBe(before.get(counterparty)! + (long ? cut : -cut));
    total += cut;
  }
  expect(total).toBe(e.target);
  expect(await sizeOf(f, account, market)).toBe(long ? e.size - e.target : e.size + e.target);
  const accountsPart = bystanders.length * 4; // account + three positions each; the markets moved
  expect((await stateOf(f, bystanders)).slice(0, accountsPart)).toEqual(bystandersBefore.slice(0, accountsPart));
  const [, , , , , openInterest] = await f.clearinghouse.read.marketState([market]);
  expect(openInterest).toBe(long ? e.openInterest - e.target : e.openInterest);
  return { e, order, sizes, allocation, logs };
}

// ---------------------------------------------------------------- 1. the book

describe("liquidation against the book (SPEC §6.1)", () => {
  it("closes exactly partialCloseSize against a resting signed bid; fee split keeper / insurance", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const victim = f.id(f.victim, USD);
    await report(f, BTCUSD, 93_500n * WAD);
    const e = await expectedLiquidation(f, victim, BTCUSD);
    // $4,105 of equity against $4,207.50 MM: a partial close of 513 back to IM, bankrupt at $88,938.89.
    expect(e.equity).toBe(4_105n * USD_UNIT);
    expect(e.full).toBe(false);
    expect(e.bookTarget).toBe(513n);
    expect(e.bankruptcy).toBe(88_938_888_888_888_888_888_889n);

    const price = 93_000n * WAD;
    const bid = await f.sign(f.mia, {
      subaccount: 0,
      market: BTCUSD,
      isBuy: true,
      size: e.bookTarget,
      limitPrice: price,
    });
    const book = encodeLiquidationFills({ fills: [{ size: e.bookTarget, maker: bid }] });
    const keeperAccount = f.id(f.keeper, USD);
    const insurance = await f.usdVault.read.subaccount();
    const [keeperBefore] = await f.clearinghouse.read.account([keeperAccount]);
    const logs = await logsOf(f, await liquidate(f, { account: victim, market: BTCUSD, book }));

    const fee = mulRateUp(
      notional(e.kind, e.config.multiplier, e.bookTarget, e.mark, e.unit),
      LIQUIDATION_PARAMETERS.feeRate,
    );
    const liquidatorFee = mulRateDown(fee, LIQUIDATION_PARAMETERS.liquidatorShare);
    const makerFee = mulRateUp(
      notional(e.kind, e.config.multiplier, e.bookTarget, price, e.unit),
      e.config.makerFeeRate,
    );
    expect(only(logs, "Liquidated")).toEqual({
      account: victim,
      marketId: BTCUSD,
      liquidator: getAddress(f.keeper.account.address),
      positionBefore: 900n,
      markPrice: e.mark,
      bankruptcyPrice: e.bankruptcy,
      closed: e.bookTarget,
      bookSize: e.bookTarget,
      backstopSize: 0n,
      adlSize: 0n,
      fee,
      liquidatorFee,
    });
    expect(only(logs, "FillSettled")).toEqual({
      maker: f.id(f.mia, USD),
      taker: victim,
      makerOrderHash: bid.hash,
      takerOrderHash: `0x${"0".repeat(64)}`,
      trade: (BigInt(BTCUSD) << 248n) | (e.bookTarget << 184n) | (price << 56n) | 0n,
      fees: makerFee << 128n,
    });
    const flows = logs.filter((log) => log.eventName === "InsuranceFlow").map((log) => log.args);
    expect(flows).toEqual([
      {
        collateral: USD,
        vault: f.usdVault.address,
        reason: InsuranceFlowReason.LiquidationFee,
        amount: fee - liquidatorFee,
      },
      { collateral: USD, vault: f.usdVault.address, reason: InsuranceFlowReason.TradingFee, amount: makerFee },
    ]);
    expect(await sizeOf(f, victim, BTCUSD)).toBe(900n - e.bookTarget);
    expect(await sizeOf(f, f.id(f.mia, USD), BTCUSD)).toBe(e.bookTarget);
    expect((await f.clearinghouse.read.account([keeperAccount]))[0]).toBe(keeperBefore + liquidatorFee);
    expect((await f.clearinghouse.read.account([insurance]))[0]).toBe(fee - liquidatorFee + makerFee);
    expect(await f.clearinghouse.read.isNonceUsed([f.id(f.mia, USD), bid.order.nonce])).toBe(true);
  });

  it("a fill outside the band around mark reverts LiquidationPriceOutsideBand; nothing changes", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const victim = f.id(f.victim, USD);
    await report(f, BTCUSD, 93_500n * WAD);
    const e = await expectedLiquidation(f, victim, BTCUSD);
    const band = mulRateDown(e.mark, LIQUIDATION_PARAMETERS.bandRate); // ±2%: [91,630, 95,370]
    const price = 91_000n * WAD;
    const bid = await f.sign(f.mia, {
      subaccount: 0,
      market: BTCUSD,
      isBuy: true,
      size: e.bookTarget,
      limitPrice: price,
    });
    const book = encodeLiquidationFills({ fills: [{ size: e.bookTarget, maker: bid }] });
    const before = await stateOf(f, [victim, f.id(f.mia, USD)]);
    // The ABI first: a call's promise created before another await could reject with no handler yet.
    const abi = await errorAbi();
    expect(await revertOf(liquidate(f, { account: victim, market: BTCUSD, book }), abi)).toEqual({
      errorName: "LiquidationPriceOutsideBand",
      args: [0n, price, e.mark - band, e.mark + band],
    });
    expect(await stateOf(f, [victim, f.id(f.mia, USD)])).toEqual(before);
  });

  it("a fill worse than the bankruptcy price reverts LiquidationPriceBeyondBankruptcy", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const victim = f.id(f.victim, USD);
    await report(f, BTCUSD, 88_500n * WAD); // a gap: equity < 0, bankrupt above mark
    const e = await expectedLiquidation(f, victim, BTCUSD);
    expect(e.equity < 0n && e.bankruptcy > e.mark).toBe(true);
    const price = 88_500n * WAD; // inside the band, below the bankruptcy price
    const bid = await f.sign(f.mia, {
      subaccount: 0,
      market: BTCUSD,
      isBuy: true,
      size: e.bookTarget,
      limitPrice: price,
    });
    const book = encodeLiquidationFills({ fills: [{ size: e.bookTarget, maker: bid }] });
    const before = await stateOf(f, [victim, f.id(f.mia, USD)]);
    // The ABI first: a call's promise created before another await could reject with no handler yet.
    const abi = await errorAbi();
    expect(await revertOf(liquidate(f, { account: victim, market: BTCUSD, book }), abi)).toEqual({
      errorName: "LiquidationPriceBeyondBankruptcy",
      args: [0n, price, e.bankruptcy],
    });
    expect(await stateOf(f, [victim, f.id(f.mia, USD)])).toEqual(before);
  });

  // (Before 371b270 the side check was inverted: this ask passed it and both sides sold, breaking INV-2.)
  it("a resting order on the liquidated account's own side reverts LiquidationInvalidBookFill", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const victim = f.id(f.victim, USD);
    await report(f, BTCUSD, 93_500n * WAD);
    const e = await expectedLiquidation(f, victim, BTCUSD);
    const ask = await f.sign(f.mia, {
      subaccount: 0,
      market: BTCUSD,
      isBuy: false,
      size: 10n,
      limitPrice: 93_500n * WAD,
    });
    const book = encodeLiquidationFills({ fills: [{ size: 10n, maker: ask }] });
    const before = await stateOf(f, [victim, f.id(f.mia, USD)]);
    expect(e.bookTarget).toBeGreaterThan(10n);
    // The ABI first: a call's promise created before another await could reject with no handler yet.
    const abi = await errorAbi();
    expect(await revertOf(liquidate(f, { account: victim, market: BTCUSD, book }), abi)).toEqual({
      errorName: "LiquidationInvalidBookFill",
      args: [0n],
    });
    expect(await stateOf(f, [victim, f.id(f.mia, USD)])).toEqual(before);
  });

  it("a healthy account reverts LiquidationNotLiquidatable; a positionless one LiquidationNoPosition", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const victim = f.id(f.victim, USD);
    const frank = f.id(f.frank, USD);
    const abi = await errorAbi();
    const [equity, , mm] = await f.clearinghouse.read.accountHealth([victim]);
    const before = await stateOf(f, [victim, frank]);
    expect(await revertOf(liquidate(f, { account: victim, market: BTCUSD }), abi)).toEqual({
      errorName: "LiquidationNotLiquidatable",
      args: [victim, equity, mm],
    });
    await report(f, BTCUSD, 93_500n * WAD); // the victim is liquidatable now; frank still holds nothing
    expect(await revertOf(liquidate(f, { account: frank, market: BTCUSD }), abi)).toEqual({
      errorName: "LiquidationNoPosition",
      args: [frank, BTCUSD],
    });
    // The victim holds nothing in ETHUSD either.
    expect(await revertOf(liquidate(f, { account: victim, market: ETHUSD }), abi)).toEqual({
      errorName: "LiquidationNoPosition",
      args: [victim, ETHUSD],
    });
    const after = await stateOf(f, [victim, frank]);
    expect(after.slice(0, 8)).toEqual(before.slice(0, 8)); // accounts and positions (the marks moved)
  });

  it("without a keeper: only after flagLiquidatable and the grace period, and never with book fills", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const victim = f.id(f.victim, USD);
    const abi = await errorAbi();
    await report(f, BTCUSD, 93_500n * WAD);
    expect(await revertOf(liquidate(f, { account: victim, market: BTCUSD }, f.frank), abi)).toEqual({
      errorName: "LiquidationGracePeriod",
      args: [victim, 0n],
    });
    const flagged = await logsOf(f, await f.liquidation.write.flagLiquidatable([victim], { account: f.frank.account }));
    const since = only(flagged, "LiquidatableFlagged").since as bigint;
    expect(await f.liquidation.read.liquidatableSince([victim])).toBe(since);
    const readyAt = since + BigInt(LIQUIDATION_PARAMETERS.gracePeriod);
    expect(await revertOf(liquidate(f, { account: victim, market: BTCUSD }, f.frank), abi)).toEqual({
      errorName: "LiquidationGracePeriod",
      args: [victim, readyAt],
    });
    const bid = await f.sign(f.mia, {
      subaccount: 0,
      market: BTCUSD,
      isBuy: true,
      size: 10n,
      limitPrice: 93_000n * WAD,
    });
    const book = encodeLiquidationFills({ fills: [{ size: 10n, maker: bid }] });
    expect(await revertOf(liquidate(f, { account: victim, market: BTCUSD, book }, f.frank), abi)).toEqual({
      errorName: "LiquidationNotKeeper",
      args: [getAddress(f.frank.account.address)],
    });
  });
});

// ---------------------------------------------------------------- 2. the backstop

describe("insurance backstop (SPEC §6.2, §8)", () => {
  it("thin book: the funded vault's subaccount takes the position at the bankruptcy price", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const victim = f.id(f.victim, USD);
    const insurance = await f.usdVault.read.subaccount();
    expect(insurance).toBe(subaccountId({ owner: f.usdVault.address, collateral: USD, index: 0 }));
    await fundVault(f, USD, 100_000n * USD_UNIT);
    await report(f, BTCUSD, 93_500n * WAD);
    const e = await expectedLiquidation(f, victim, BTCUSD);
    expect(e.bookTarget).toBe(513n); // what the book alone would have closed
    const keeperAccount = f.id(f.keeper, USD);
    const [keeperBefore] = await f.clearinghouse.read.account([keeperAccount]);
    const logs = await logsOf(f, await liquidate(f, { account: victim, market: BTCUSD }));

    // The TypeScript bankruptcy price is the event's, to the wei.
    expect(only(logs, "BackstopTakeover")).toEqual({
      account: victim,
      marketId: BTCUSD,
      insurance,
      size: e.target,
      price: 88_938_888_888_888_888_888_889n,
    });
    expect(e.bankruptcy).toBe(88_938_888_888_888_888_888_889n);
    // The fee is capped by the equity left, which a close at the bankruptcy price takes to ~zero: the
    // vault is paid by the discount instead (below). At most rounding dust remains.
    const fee = only(logs, "Liquidated").fee as bigint;
    expect(fee).toBeLessThan(
      mulRateUp(notional(e.kind, e.config.multiplier, e.target, e.mark, e.unit), LIQUIDATION_PARAMETERS.feeRate),
    );
    expect(fee).toBeLessThanOrEqual(1n);
    const liquidatorFee = mulRateDown(fee, LIQUIDATION_PARAMETERS.liquidatorShare);
    expect(only(logs, "Liquidated")).toEqual({
      account: victim,
      marketId: BTCUSD,
      liquidator: getAddress(f.keeper.account.address),
      positionBefore: 900n,
      markPrice: e.mark,
      bankruptcyPrice: e.bankruptcy,
      closed: e.target,
      bookSize: 0n,
      backstopSize: e.target,
      adlSize: 0n,
      fee,
      liquidatorFee,
    });
    const flows = logs.filter((log) => log.eventName === "InsuranceFlow").map((log) => log.args);
    expect(flows).toEqual([
      {
        collateral: USD,
        vault: f.usdVault.address,
        reason: InsuranceFlowReason.Takeover,
        amount: notional(e.kind, e.config.multiplier, e.target, e.bankruptcy, e.unit),
      },
      ...(fee - liquidatorFee > 0n
        ? [
            {
              collateral: USD,
              vault: f.usdVault.address,
              reason: InsuranceFlowReason.LiquidationFee,
              amount: fee - liquidatorFee,
            },
          ]
        : []),
    ]);
    expect(logs.filter((log) => log.eventName === "Deleveraged")).toHaveLength(0);

    // The vault's position is an ordinary one, its basis at the bankruptcy price.
    const [size, basis] = await f.clearinghouse.read.position([insurance, BTCUSD]);
    expect(size).toBe(e.target);
    expect(basis).toBe(signedValue(e.kind, e.config.multiplier, e.target, e.bankruptcy, e.unit, true));
    expect(await sizeOf(f, victim, BTCUSD)).toBe(900n - e.target);
    expect((await f.clearinghouse.read.account([keeperAccount]))[0]).toBe(keeperBefore + liquidatorFee);
    expect((await f.clearinghouse.read.account([insurance]))[0]).toBe(100_000n * USD_UNIT + fee - liquidatorFee);
    // Bought below mark: the LPs' assets rose by the discount and the fee share.
    const discount = signedValue(e.kind, e.config.multiplier, e.target, e.mark, e.unit, false) - basis;
    expect(await f.usdVault.read.totalAssets()).toBe(100_000n * USD_UNIT + fee - liquidatorFee + discount);
    expect(await f.liquidation.read.liquidatableSince([victim])).toBe(0n);
  });

  /**
   * SPEC §6.1 "close the least size that brings the account back to IM" is the book's job: a close at
   * the bankruptcy price of the whole position takes the closed part's share of the equity with it, so a
   * partial close there would leave equity/notional unchanged — still liquidatable, paying another fee each
   * round (found by this suite: 513 of 900 taken at $88,938.89 left equity $1,285.495 < MM $1,809.225).
   * Without the book, the backstop therefore takes the whole position and leaves no debt.
   */
  it("what the book does not take of a partial target, the backstop takes as the whole position", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const victim = f.id(f.victim, USD);
    await fundVault(f, USD, 100_000n * USD_UNIT);
    await report(f, BTCUSD, 93_500n * WAD);
    const e = await expectedLiquidation(f, victim, BTCUSD);
    expect(e.full).toBe(false);
    expect(e.bookTarget).toBeLessThan(e.target);
    const logs = await logsOf(f, await liquidate(f, { account: victim, market: BTCUSD }));
    expect(only(logs, "Liquidated")).toMatchObject({ closed: 900n, bookSize: 0n, backstopSize: 900n, adlSize: 0n });
    expect(await sizeOf(f, victim, BTCUSD)).toBe(0n);
    const [equity] = await f.clearinghouse.read.accountHealth([victim]);
    expect(equity >= 0n).toBe(true);
  });
});

// ---------------------------------------------------------------- 3. ADL

describe("auto-deleveraging with the insurance vault empty (SPEC §6.3, §7)", () => {
  const shortsOf = (f: Fixture, collateral: number) => [
    f.id(f.bob, collateral),
    f.id(f.carol, collateral),
    f.id(f.dave, collateral, 1),
  ];
  const bystandersOf = (f: Fixture, collateral: number) => [f.id(f.frank, collateral), f.id(f.mia, collateral)];

  it("RANKED (default): the most levered winner first, ties by id, exactly the shortfall", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await report(f, BTCUSD, 93_500n * WAD);
    const { order, sizes } = await deleverageAndCheck(
      f,
      f.id(f.victim, USD),
      BTCUSD,
      shortsOf(f, USD),
      bystandersOf(f, USD),
    );
    // Independently of sdk/src/adl: dave (subaccount 1, $4,000) is the most levered; bob and carol hold the same
    // position with the same equity, so the lower id ranks first; the whole 900 takes all three.
    const [bob, carol, dave] = shortsOf(f, USD) as [Hex, Hex, Hex];
    const tie = BigInt(bob) < BigInt(carol) ? [bob, carol] : [carol, bob];
    expect(order).toEqual([dave, ...tie]);
    expect(sizes).toEqual([300n, 300n, 300n]); // the whole 900: the book took none of the partial target
    expect(await sizeOf(f, dave, BTCUSD)).toBe(0n);
    expect(await sizeOf(f, tie[1]!, BTCUSD)).toBe(0n);
  });

  it("PRO_RATA (set through the LISTER timelock): every short cut by the same fraction, in id order", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await setAdlPolicy(f, BTCUSD, AdlPolicy.ProRata);
    await report(f, BTCUSD, 93_500n * WAD);
    const { order, sizes } = await deleverageAndCheck(
      f,
      f.id(f.victim, USD),
      BTCUSD,
      shortsOf(f, USD),
      bystandersOf(f, USD),
    );
    // docs/adl.md: floor(900·C_i/900) − floor(900·C_{i−1}/900) over three positions of 300: all of each.
    expect(order).toEqual([...shortsOf(f, USD)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    expect(sizes).toEqual([300n, 300n, 300n]);
  });

  it("a keeper that deviates from the ranking reverts with the specific error, and nothing changes", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const abi = await errorAbi();
    const victim = f.id(f.victim, USD);
    const frank = f.id(f.frank, USD);
    await report(f, BTCUSD, 93_500n * WAD);
    const e = await expectedLiquidation(f, victim, BTCUSD);
    const side = await sideOf(f, BTCUSD, false, shortsOf(f, USD));
    const ranked = rankAdlSide({
      kind: e.kind,
      multiplier: e.config.multiplier,
      unit: e.unit,
      mark: e.mark,
      positions: side,
    }).map((p) => p.subaccountId as Hex);
    const [first, second, third] = ranked as [Hex, Hex, Hex];
    const everyone = [victim, frank, ...ranked];
    const before = await stateOf(f, everyone);
    const attempt = (adlSide: readonly Hex[], sizes: readonly bigint[]) =>
      revertOf(liquidate(f, { account: victim, market: BTCUSD, side: adlSide, sizes }), abi);

    // Skipping the top-ranked position: the side is incomplete.
    expect(await attempt([second, third], [300n, 300n, 300n])).toEqual({
      errorName: "AdlSideIncomplete",
      args: [3n, 2n],
    });
    // Reordered: the second entry does not rank after the first.
    expect(await attempt([second, first, third], [300n, 300n, 300n])).toEqual({
      errorName: "AdlOrderViolated",
      args: [1n, first],
    });
    // More than the shortfall from the last selected position, or an extra position.
    expect(await attempt(ranked, [300n, 301n, 300n])).toEqual({ errorName: "AdlSizeMismatch", args: [1n, 300n, 301n] });
    expect(await attempt(ranked, [300n, 300n, 300n, 1n])).toEqual({ errorName: "AdlOverDeleveraged", args: [4n, 3n] });
    // Less than the shortfall.
    expect(await attempt(ranked, [300n])).toEqual({ errorName: "AdlSizeMismatch", args: [1n, 300n, 0n] });
    // A positionless account, or the liquidated long itself, put in the list.
    expect(await attempt([first, second, frank], [300n, 300n, 300n])).toEqual({
      errorName: "AdlNotOnSide",
      args: [2n, frank],
    });
    expect(await attempt([first, second, victim], [300n, 300n, 300n])).toEqual({
      errorName: "AdlNotOnSide",
      args: [2n, victim],
    });
    // No ADL side at all while the vault is empty.
    expect(await attempt([], [])).toEqual({ errorName: "AdlSideIncomplete", args: [3n, 0n] });
    expect(await stateOf(f, everyone)).toEqual(before);
  });
});

describe("ADL order verification (SPEC §7)", () => {
  // A cut lowers the cut position's score: verifying while cutting let [A, B, B] pass and skip C (fixed in 371b270
  // by verifying the whole side before any cut).
  it("a duplicated entry in place of the last one reverts AdlOrderViolated", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const victim = f.id(f.victim, USD);
    await report(f, BTCUSD, 93_500n * WAD);
    const e = await expectedLiquidation(f, victim, BTCUSD);
    const side = await sideOf(f, BTCUSD, false, [f.id(f.bob, USD), f.id(f.carol, USD), f.id(f.dave, USD, 1)]);
    const [first, second] = rankAdlSide({
      kind: e.kind,
      multiplier: e.config.multiplier,
      unit: e.unit,
      mark: e.mark,
      positions: side,
    }).map((p) => p.subaccountId as Hex) as [Hex, Hex, Hex];
    expect(
      await revertOf(
        liquidate(f, { account: victim, market: BTCUSD, side: [first, second, second], sizes: [300n, 300n, 300n] }),
        await errorAbi(),
      ),
    ).toEqual({ errorName: "AdlOrderViolated", args: [2n, second] });
  });
});

// ---------------------------------------------------------------- 4. inverse and quanto

describe("the inverse XBTUSD and the quanto ETHUSD through the same waterfall", () => {
  const shortsOf = (f: Fixture) => [f.id(f.bob, XBT), f.id(f.carol, XBT), f.id(f.dave, XBT, 1)];

  for (const { name, market, crash, victimOf } of [
    { name: "XBTUSD (inverse)", market: XBTUSD, crash: 90_000n * WAD, victimOf: (f: Fixture) => f.victimX },
    { name: "ETHUSD (quanto)", market: ETHUSD, crash: 3_540n * WAD, victimOf: (f: Fixture) => f.victimE },
  ]) {
    it(`${name}: the XBT vault backstops at the TypeScript bankruptcy price`, async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      const victim = f.id(victimOf(f), XBT);
      const insurance = await f.xbtVault.read.subaccount();
      await fundVault(f, XBT, 10n * XBT_UNIT);
      await report(f, market, crash);
      const e = await expectedLiquidation(f, victim, market);
      expect(e.equity < BigInt(e.mm)).toBe(true);
      expect(e.target > 0n && e.target <= e.size).toBe(true);
      const logs = await logsOf(f, await liquidate(f, { account: victim, market }));
      expect(only(logs, "BackstopTakeover")).toEqual({
        account: victim,
        marketId: market,
        insurance,
        size: e.target,
        price: e.bankruptcy,
      });
      expect(only(logs, "Liquidated")).toMatchObject({
        closed: e.target,
        backstopSize: e.target,
        bankruptcyPrice: e.bankruptcy,
        markPrice: e.mark,
      });
      const [size, basis] = await f.clearinghouse.read.position([insurance, market]);
      expect(size).toBe(e.target);
      expect(basis).toBe(signedValue(e.kind, e.config.multiplier, e.target, e.bankruptcy, e.unit, true));
      expect(await sizeOf(f, victim, market)).toBe(e.size - e.target);
      // At its bankruptcy price the closed part took exactly the equity it was worth: what remains is ≥ 0.
      const [equity] = await f.clearinghouse.read.accountHealth([victim]);
      expect(equity >= 0n).toBe(true);
    });

    it(`${name}: RANKED ADL with the XBT vault empty`, async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      await report(f, market, crash);
      await deleverageAndCheck(f, f.id(victimOf(f), XBT), market, shortsOf(f), [f.id(f.frank, XBT)]);
    });
  }

  it("ETHUSD (quanto) gap: PRO_RATA ADL of the whole position leaves no bad debt", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await setAdlPolicy(f, ETHUSD, AdlPolicy.ProRata);
    await report(f, ETHUSD, 3_300n * WAD); // equity < 0: full liquidation, bankrupt above mark
    const victim = f.id(f.victimE, XBT);
    const { e } = await deleverageAndCheck(f, victim, ETHUSD, shortsOf(f), [f.id(f.frank, XBT)]);
    expect(e.full).toBe(true);
    expect(e.bankruptcy > e.mark).toBe(true);
    const [balance, openMarkets] = await f.clearinghouse.read.account([victim]);
    expect(openMarkets).toBe(0n);
    expect(balance >= 0n).toBe(true); // INV-4
  });
});
