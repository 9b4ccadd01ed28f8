// SDK chain actions against ignition/modules/Lucent.ts on one in-process EDR chain (one deployment for
// the whole file; each test starts from the fixture's snapshot). Every figure is checked against the
// contracts' own views or an exact hand computation.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import hre from "hardhat";
import { ethers } from "ethers";
import {
  encodeAbiParameters,
  encodeEventTopics,
  erc20Abi,
  getAddress,
  maxUint256,
  zeroAddress,
  type Address,
  type Hex,
  type Log,
} from "viem";
import { describe, expect, it } from "vitest";
import LucentModule, { DEFAULTS, DEFAULT_RISK_PARAMETERS, lucentParameters } from "../../ignition/modules/Lucent.js";
import {
  AdlPolicy,
  DeploymentNotFoundError,
  InsufficientFreeCollateralError,
  InvalidAddressError,
  InvalidParameterError,
  LucentContractError,
  MarketKind,
  UnknownCollateralError,
  UnknownMarketError,
  WalletRequiredError,
  cancelNonces,
  cancelOrders,
  createLucentClient,
  createLucentClientFromEthers,
  clearinghouseAbi,
  decodeLucentLogs,
  deposit,
  encodeBatch,
  getEvents,
  getMarketState,
  getMarkets,
  getSubaccount,
  hashOrder,
  loadDevnetAddresses,
  lucentDomain,
  parseSubaccountId,
  raiseNonceFloor,
  signOrder,
  subaccountHealth,
  subaccountId,
  transfer,
  unpackFill,
  unpackSettledFills,
  SETTLED_FILL_BYTES,
  withdraw,
  type LucentClient,
  type Order,
} from "../../sdk/src/index.js";
import { registerLiveCommands } from "../../sdk/src/cli/live.js";

const WAD = 10n ** 18n;
const USD = 0;
const XBT = 1;
const BTCUSD = 0;
const XBTUSD = 1;
const USD_UNIT = 10n ** 6n;
const XBT_UNIT = 10n ** 8n;
const BTC_PRICE = 100_000n * WAD;
const ETH_PRICE = 4_000n * WAD;
const FAR_EXPIRY = 2 ** 40 - 1;
/** Alice trades with little margin, so that her liquidation price is near the mark. */
const ALICE_USD = 150n * USD_UNIT;
const ALICE_XBT = 10n * XBT_UNIT;
const BOB_USD = 1_000_000n * USD_UNIT;
const BOB_XBT = 100n * XBT_UNIT;
/** Hardhat's default accounts (public test keys). */
const MNEMONIC = "test test test test test test test test test test test junk";

const connection = await hre.network.create();
const { viem, ignition, networkHelpers } = connection;

async function deployFixture() {
  const [admin, r0, r1, r2, keeper, alice, bob, carol] = await viem.getWalletClients();
  if (!admin || !r0 || !r1 || !r2 || !keeper || !alice || !bob || !carol) throw new Error("need 8 accounts");
  const lucent = await ignition.deploy(LucentModule, lucentParameters({ reporters: [r0, r1, r2] }));
  const report = async (btc: bigint, eth: bigint) => {
    for (const reporter of [r0, r1, r2]) {
      await lucent.btcOracle.write.report([btc], { account: reporter.account });
      await lucent.ethOracle.write.report([eth], { account: reporter.account });
    }
  };
  await report(BTC_PRICE, ETH_PRICE);
  await lucent.keeperRegistry.write.register({ account: keeper.account, value: DEFAULTS.minBond });
  const funds = [
    [alice, ALICE_USD, ALICE_XBT],
    [bob, BOB_USD, BOB_XBT],
  ] as const;
  for (const [trader, usd, xbt] of funds) {
    await lucent.usd.write.mint([trader.account.address, 2n * usd]);
    await lucent.xbt.write.mint([trader.account.address, 2n * xbt]);
    await lucent.usd.write.approve([lucent.clearinghouse.address, usd], { account: trader.account });
    await lucent.xbt.write.approve([lucent.clearinghouse.address, xbt], { account: trader.account });
    await lucent.clearinghouse.write.deposit([USD, 0, usd], { account: trader.account });
    await lucent.clearinghouse.write.deposit([XBT, 0, xbt], { account: trader.account });
  }
  const publicClient = await viem.getPublicClient();
  const addresses = {
    clearinghouse: lucent.clearinghouse.address,
    marketRegistry: lucent.registry.address,
    keeperRegistry: lucent.keeperRegistry.address,
    accessManager: lucent.manager.address,
  };
  const client = (wallet?: typeof alice): LucentClient =>
    createLucentClient({ publicClient, walletClient: wallet, addresses });
  const domain = lucentDomain({
    chainId: await publicClient.getChainId(),
    clearinghouse: lucent.clearinghouse.address,
  });
  return { ...lucent, publicClient, addresses, client, domain, report, keeper, alice, bob, carol };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

function order(trader: Address, market: number, isBuy: boolean, size: bigint, price: bigint, nonce: bigint): Order {
  return {
    trader,
    subaccount: 0,
    market,
    isBuy,
    size,
    limitPrice: price,
    flags: 0,
    nonce,
    expiry: FAR_EXPIRY,
    keeper: zeroAddress,
  };
}

/** Bob (maker) sells to Alice (taker): 10 BTC-USD at $100,000 and 1,000 XBTUSD at $100,000, in one batch. */
async function openAlicesLongs(f: Fixture) {
  const legs = [
    [BTCUSD, 10n],
    [XBTUSD, 1_000n],
  ] as const;
  const fills = [];
  for (const [i, [market, size]] of legs.entries()) {
    const makerOrder = order(f.bob.account.address, market, false, size, BTC_PRICE, BigInt(i));
    const takerOrder = order(f.alice.account.address, market, true, size, BTC_PRICE, BigInt(i));
    const maker = await signOrder({ signer: f.bob, domain: f.domain, order: makerOrder });
    const taker = await signOrder({ signer: f.alice, domain: f.domain, order: takerOrder });
    fills.push({
      size,
      maker: { order: makerOrder, signature: maker.signature },
      taker: { order: takerOrder, signature: taker.signature },
    });
  }
  const hash = await f.clearinghouse.write.settleBatch([0n, encodeBatch({ fills })], { account: f.keeper.account });
  return f.publicClient.waitForTransactionReceipt({ hash });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("getMarkets", () => {
  it("decodes every market's config, kind, policy and collateral", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const markets = await getMarkets(f.client());
    expect(markets.map((m) => [m.id, m.symbol, m.kindName, m.collateral.symbol])).toEqual([
      [0, "BTC-USD", "linear", "USD"],
      [1, "XBTUSD", "inverse", "XBT"],
      [2, "ETHUSD", "quanto", "XBT"],
    ]);
    expect(markets[0]).toEqual({
      id: 0,
      symbol: "BTC-USD",
      kind: MarketKind.Linear,
      kindName: "linear",
      adlPolicy: AdlPolicy.Ranked,
      adlPolicyName: "ranked",
      collateral: {
        index: 0,
        token: getAddress(f.usd.address),
        decimals: 6,
        unit: USD_UNIT,
        symbol: "USD",
        insuranceVault: getAddress(f.usdVault.address),
      },
      active: true,
      fundingInterval: DEFAULT_RISK_PARAMETERS.fundingInterval,
      premiumEmaPeriod: DEFAULT_RISK_PARAMETERS.premiumEmaPeriod,
      maxIndexAge: DEFAULT_RISK_PARAMETERS.maxIndexAge,
      multiplier: WAD / 1000n,
      tickSize: WAD / 2n,
      lotSize: 1n,
      maxOpenInterest: 10n ** 15n,
      imRate: WAD / 10n,
      mmRate: WAD / 20n,
      makerFeeRate: 2n * 10n ** 14n,
      takerFeeRate: 5n * 10n ** 14n,
      keeperFeeShare: WAD / 5n,
      fundingCapRate: 5n * 10n ** 14n,
      interestRate: 10n ** 14n,
      markBandRate: WAD / 100n,
      oracle: getAddress(f.btcOracle.address),
    });
    expect(markets[2]!.multiplier).toBe(WAD / 1_000_000n);
    expect(markets[2]!.collateral).toEqual({
      index: 1,
      token: getAddress(f.xbt.address),
      decimals: 8,
      unit: XBT_UNIT,
      symbol: "XBT",
      insuranceVault: getAddress(f.xbtVault.address),
    });
    expect(markets[2]!.oracle).toBe(getAddress(f.ethOracle.address));
  });

  it("reads selected markets, and rejects unknown or malformed ids", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    expect((await getMarkets(f.client(), { marketIds: [2, 0] })).map((m) => m.symbol)).toEqual(["ETHUSD", "BTC-USD"]);
    const unknown = await rejection(getMarkets(f.client(), { marketIds: [0, 3] }));
    expect(unknown).toBeInstanceOf(UnknownMarketError);
    expect((unknown as UnknownMarketError).marketId).toBe(3);
    expect(await rejection(getMarkets(f.client(), { marketIds: [256] }))).toBeInstanceOf(InvalidParameterError);
    expect(await rejection(getMarkets(f.client(), { marketIds: [-1] }))).toBeInstanceOf(InvalidParameterError);
  });
});

describe("getMarketState", () => {
  it("reports index, freshness, mark, premium, funding rate and open interest", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const before = await getMarketState(f.client(), { marketId: BTCUSD });
    expect(before).toMatchObject({
      marketId: BTCUSD,
      indexPrice: BTC_PRICE,
      indexFresh: true,
      markPrice: BTC_PRICE,
      premiumEma: 0n,
      premium: 0n,
      // premium 0: rate = 0 + clamp(interest − 0, ±cap) = interest, 0.01% per interval.
      fundingRate: 10n ** 14n,
      cumulativeFunding: 0n,
      openInterest: 0n,
    });
    await openAlicesLongs(f);
    const after = await getMarketState(f.client(), { marketId: BTCUSD });
    expect(after.openInterest).toBe(10n);
    expect(after.markPrice).toBe(BTC_PRICE); // filled at the index: premium sample 0
    const [, , mark, ema, , oi] = await f.clearinghouse.read.marketState([BTCUSD]);
    expect([after.markPrice, after.premiumEma, after.openInterest]).toEqual([mark, ema, oi]);
    expect((await getMarketState(f.client(), { marketId: XBTUSD })).openInterest).toBe(1_000n);

    // A stale index: more than maxIndexAge (120 s) without a report.
    await networkHelpers.time.increase(DEFAULT_RISK_PARAMETERS.maxIndexAge + 1);
    expect((await getMarketState(f.client(), { marketId: BTCUSD })).indexFresh).toBe(false);
  });

  it("rejects an unknown market with a typed error (the contract would panic)", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const error = await rejection(getMarketState(f.client(), { marketId: 7 }));
    expect(error).toBeInstanceOf(UnknownMarketError);
    expect((error as UnknownMarketError).details).toEqual({ marketId: 7, marketCount: 3 });
  });
});

describe("getSubaccount", () => {
  it("an account without positions: balance, margin and withdrawable from the chain", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const account = await getSubaccount(f.client(), { owner: f.alice.account.address, collateral: USD });
    expect(account).toMatchObject({
      id: subaccountId({ owner: f.alice.account.address, collateral: USD, index: 0 }),
      owner: getAddress(f.alice.account.address),
      index: 0,
      balance: ALICE_USD,
      nonceFloor: 0n,
      equity: ALICE_USD,
      initialMargin: 0n,
      maintenanceMargin: 0n,
      withdrawable: ALICE_USD,
      liquidatable: false,
      positions: [],
    });
    expect(account.collateral).toMatchObject({ index: USD, decimals: 6, symbol: "USD" });
    const empty = await getSubaccount(f.client(), { owner: f.carol.account.address, collateral: XBT, index: 9 });
    expect([empty.balance, empty.equity, empty.withdrawable, empty.positions]).toEqual([0n, 0n, 0n, []]);
  });

  it("positions with PnL, funding, margin and liquidation/bankruptcy prices that match the chain", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await openAlicesLongs(f);
    const client = f.client();
    const usd = await getSubaccount(client, { owner: f.alice.account.address, collateral: USD });
    const takerFee = 500_000n; // 5 bps of $1,000
    expect(usd.balance).toBe(ALICE_USD - takerFee);
    expect(usd.positions).toHaveLength(1);
    const btc = usd.positions[0]!;
    expect(btc).toMatchObject({
      marketId: BTCUSD,
      symbol: "BTC-USD",
      kindName: "linear",
      size: 10n,
      basis: 1_000n * USD_UNIT,
      markPrice: BTC_PRICE,
      entryPrice: BTC_PRICE,
      value: 1_000n * USD_UNIT,
      notional: 1_000n * USD_UNIT,
      unrealizedPnl: 0n,
      initialMargin: 100n * USD_UNIT,
      maintenanceMargin: 50n * USD_UNIT,
    });
    // The chain's own figures, read at the same block.
    const id = subaccountId({ owner: f.alice.account.address, collateral: USD, index: 0 });
    const [equity, im, mm, free] = await f.clearinghouse.read.accountHealth([id], { blockNumber: usd.blockNumber });
    expect([usd.equity, usd.initialMargin, usd.maintenanceMargin, usd.withdrawable]).toEqual([equity, im, mm, free]);
    expect(usd.equity).toBe(usd.balance + btc.unrealizedPnl - btc.fundingOwed);
    expect(usd.withdrawable).toBe(usd.equity - 100n * USD_UNIT);

    // equity = 149.5 − funding + 0.01·P − 1000 = MM = 0.0005·P  ⇒  P = (850.5 + funding) / 0.0095 (rounded up).
    const owed = btc.fundingOwed;
    const expectLiq = ((850_500_000n + owed) * 10n ** 54n + 95n * 10n ** 38n - 1n) / (95n * 10n ** 38n);
    expect(btc.liquidationPrice).toBe(expectLiq);
    expect(btc.bankruptcyPrice).toBe(((850_500_000n + owed) * 10n ** 54n + 10n ** 40n - 1n) / 10n ** 40n);
    expect(Number(expectLiq / 10n ** 14n) / 1e4).toBeCloseTo(89_526.32, 1);

    // The inverse leg on the XBT subaccount, against the chain's accountHealth too.
    const xbt = await getSubaccount(client, { owner: f.alice.account.address, collateral: XBT });
    const [xEquity, xIm, xMm, xFree] = await f.clearinghouse.read.accountHealth(
      [subaccountId({ owner: f.alice.account.address, collateral: XBT, index: 0 })],
      { blockNumber: xbt.blockNumber },
    );
    expect([xbt.equity, xbt.initialMargin, xbt.maintenanceMargin, xbt.withdrawable]).toEqual([
      xEquity,
      xIm,
      xMm,
      xFree,
    ]);
    const inverse = xbt.positions[0]!;
    // 1,000 contracts of $1 at $100,000: −0.01 XBT of basis (a long's inverse value is negative).
    expect(inverse).toMatchObject({ kindName: "inverse", size: 1_000n, basis: -1_000_000n, entryPrice: BTC_PRICE });
    // equity = C − 1000·1e8/P = MM = 50·1e8/P ⇒ P = 1050·1e8·1e18 / C, C = balance + 0.01 XBT − funding.
    const c = xbt.balance + 1_000_000n - inverse.fundingOwed;
    expect(inverse.liquidationPrice).toBe((1_050n * XBT_UNIT * WAD * WAD + c * WAD - 1n) / (c * WAD));

    // The short side of the same fills: far away, and bankruptcy beyond liquidation.
    const bob = await getSubaccount(client, { owner: f.bob.account.address, collateral: USD });
    expect(bob.positions[0]!.size).toBe(-10n);
    expect(bob.positions[0]!.bankruptcyPrice! > bob.positions[0]!.liquidationPrice!).toBe(true);
  });

  it("the liquidation price is where the clearinghouse flips: $1 above it safe, $1 below liquidatable", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await openAlicesLongs(f);
    const client = f.client();
    const liq = (await getSubaccount(client, { owner: f.alice.account.address, collateral: USD })).positions[0]!
      .liquidationPrice!;
    // The mark is the index (premium EMA 0); other marks are untouched by the ETH report.
    await f.report(liq + WAD, ETH_PRICE);
    const above = await getSubaccount(client, { owner: f.alice.account.address, collateral: USD });
    expect(above.positions[0]!.markPrice).toBe(liq + WAD);
    expect(above.liquidatable).toBe(false);
    expect(above.equity - above.maintenanceMargin).toBeGreaterThan(0n);
    await f.report(liq - WAD, ETH_PRICE);
    const below = await getSubaccount(client, { owner: f.alice.account.address, collateral: USD });
    expect(below.liquidatable).toBe(true);
    expect(below.equity < below.maintenanceMargin).toBe(true);
    // The local recomputation at the new mark still equals the chain's figures.
    const local = subaccountHealth({
      balance: below.balance,
      positions: below.positions.map((p) => ({
        kind: MarketKind.Linear,
        multiplier: WAD / 1000n,
        unit: USD_UNIT,
        imRate: WAD / 10n,
        mmRate: WAD / 20n,
        size: p.size,
        basis: p.basis,
        fundingOwed: p.fundingOwed,
        mark: p.markPrice,
      })),
    });
    expect([local.equity, local.initialMargin, local.maintenanceMargin]).toEqual([
      below.equity,
      below.initialMargin,
      below.maintenanceMargin,
    ]);
    // Funding moved a few units since the first read: the price stays within a cent.
    const again = below.positions[0]!.liquidationPrice!;
    expect(again - liq < WAD / 100n && liq - again < WAD / 100n).toBe(true);
  });

  it("rejects a bad owner, an unknown collateral and out-of-range indices", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const client = f.client();
    const bad = await rejection(getSubaccount(client, { owner: "0x1234" as Address, collateral: USD }));
    expect(bad).toBeInstanceOf(InvalidAddressError);
    expect((bad as InvalidAddressError).details).toEqual({ field: "owner", value: "0x1234" });
    const unknown = await rejection(getSubaccount(client, { owner: f.alice.account.address, collateral: 2 }));
    expect(unknown).toBeInstanceOf(UnknownCollateralError);
    expect((unknown as UnknownCollateralError).details).toEqual({ collateral: 2, collateralCount: 2 });
    const index = await rejection(getSubaccount(client, { owner: f.alice.account.address, collateral: 0, index: 256 }));
    expect(index).toBeInstanceOf(InvalidParameterError);
  });
});

describe("deposit, withdraw, transfer", () => {
  it("deposit approves when the allowance is short, then deposits; the events are decoded", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const client = f.client(f.alice);
    const amount = 25n * USD_UNIT;
    const first = await deposit(client, { collateral: USD, subaccount: 3, amount });
    expect(first.approvalHash).not.toBeNull();
    const id = subaccountId({ owner: f.alice.account.address, collateral: USD, index: 3 });
    expect(first.events).toEqual([
      expect.objectContaining({
        eventName: "Deposited",
        args: { account: id, from: getAddress(f.alice.account.address), amount },
      }),
    ]);
    expect(first.events[0]!.transactionHash).toBe(first.hash);
    // The approval was exact: the next deposit needs another.
    const allowance = await f.publicClient.readContract({
      address: f.usd.address,
      abi: erc20Abi,
      functionName: "allowance",
      args: [f.alice.account.address, f.clearinghouse.address],
    });
    expect(allowance).toBe(0n);
    await f.usd.write.approve([f.clearinghouse.address, maxUint256], { account: f.alice.account });
    const second = await deposit(client, { collateral: USD, subaccount: 3, amount });
    expect(second.approvalHash).toBeNull();
    expect((await getSubaccount(client, { owner: f.alice.account.address, collateral: USD, index: 3 })).balance).toBe(
      2n * amount,
    );
    // More than the wallet holds: the token's own error, decoded, before anything is sent.
    const tooMuch = await rejection(deposit(client, { collateral: USD, amount: 10n ** 12n }));
    expect(tooMuch).toBeInstanceOf(LucentContractError);
    expect((tooMuch as LucentContractError).errorName).toBe("ERC20InsufficientBalance");
    expect(await rejection(deposit(client, { collateral: USD, amount: 0n }))).toBeInstanceOf(InvalidParameterError);
    expect(await rejection(deposit(client, { collateral: 5, amount: 1n }))).toBeInstanceOf(UnknownCollateralError);
  });

  it("withdraw sends free collateral; beyond it, a typed error with the available amount and no state change", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await openAlicesLongs(f);
    const client = f.client(f.alice);
    const before = await getSubaccount(client, { owner: f.alice.account.address, collateral: USD });
    const error = await rejection(withdraw(client, { collateral: USD, amount: before.balance }));
    expect(error).toBeInstanceOf(InsufficientFreeCollateralError);
    const typed = error as InsufficientFreeCollateralError;
    expect(typed.errorName).toBe("ClearinghouseInsufficientFreeCollateral");
    expect(typed.requested).toBe(before.balance);
    expect(typed.subaccount).toBe(before.id);
    // About equity − IM = 49.5 USD less funding accrued since.
    expect(typed.available <= before.withdrawable && typed.available > before.withdrawable - 1_000n).toBe(true);
    expect((await getSubaccount(client, { owner: f.alice.account.address, collateral: USD })).balance).toBe(
      before.balance,
    );

    const wallet = await f.usd.read.balanceOf([f.bob.account.address]);
    const sent = await withdraw(client, { collateral: USD, amount: 40n * USD_UNIT, to: f.bob.account.address });
    expect(sent.events.map((e) => e.eventName)).toEqual(["Withdrawn"]);
    expect(await f.usd.read.balanceOf([f.bob.account.address])).toBe(wallet + 40n * USD_UNIT);
    const after = await getSubaccount(client, { owner: f.alice.account.address, collateral: USD });
    expect(after.balance).toBe(before.balance - 40n * USD_UNIT);

    expect(await rejection(withdraw(client, { collateral: USD, amount: 1n, to: "0xnope" as Address }))).toBeInstanceOf(
      InvalidAddressError,
    );
    expect(await rejection(withdraw(f.client(), { collateral: USD, amount: 1n }))).toBeInstanceOf(WalletRequiredError);
  });

  it("transfer moves free collateral between subaccounts; the same subaccount is a decoded revert", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const client = f.client(f.alice);
    const result = await transfer(client, { collateral: XBT, fromSubaccount: 0, toSubaccount: 1, amount: XBT_UNIT });
    const from = subaccountId({ owner: f.alice.account.address, collateral: XBT, index: 0 });
    const to = subaccountId({ owner: f.alice.account.address, collateral: XBT, index: 1 });
    expect(result.events).toEqual([
      expect.objectContaining({ eventName: "Transferred", args: { from, to, amount: XBT_UNIT } }),
    ]);
    const target = await getSubaccount(client, { owner: f.alice.account.address, collateral: XBT, index: 1 });
    expect(target.balance).toBe(XBT_UNIT);
    const same = await rejection(transfer(client, { collateral: XBT, fromSubaccount: 2, toSubaccount: 2, amount: 1n }));
    expect(same).toBeInstanceOf(LucentContractError);
    expect((same as LucentContractError).errorName).toBe("ClearinghouseSameSubaccount");
    expect((same as LucentContractError).args).toEqual([2]);
    const tooMuch = await rejection(
      transfer(client, { collateral: XBT, fromSubaccount: 1, toSubaccount: 0, amount: XBT_UNIT + 1n }),
    );
    expect(tooMuch).toBeInstanceOf(InsufficientFreeCollateralError);
    expect((tooMuch as InsufficientFreeCollateralError).available).toBe(XBT_UNIT);
  });
});

describe("on-chain cancels", () => {
  it("cancelOrders, cancelNonces and raiseNonceFloor change exactly the order state they name", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const client = f.client(f.alice);
    const id = subaccountId({ owner: f.alice.account.address, collateral: USD, index: 0 });
    const o = order(f.alice.account.address, BTCUSD, true, 1n, BTC_PRICE, 42n);
    const hash = hashOrder({ domain: f.domain, order: o });

    const cancelled = await cancelOrders(client, { orders: [o] });
    expect(cancelled.events).toEqual([
      expect.objectContaining({
        eventName: "OrderCancelled",
        args: { trader: getAddress(f.alice.account.address), orderHash: hash },
      }),
    ]);
    expect(await f.clearinghouse.read.filledAmount([f.alice.account.address, hash])).toBe(maxUint256);
    expect(await f.clearinghouse.read.isNonceUsed([id, 42n])).toBe(false); // only that order, not its nonce

    const nonces = await cancelNonces(client, { collateral: USD, nonces: [5n, 7n] });
    expect(nonces.events.map((e) => (e.eventName === "NonceCancelled" ? e.args.nonce : null))).toEqual([5n, 7n]);
    expect(await f.clearinghouse.read.isNonceUsed([id, 5n])).toBe(true);
    expect(await f.clearinghouse.read.isNonceUsed([id, 6n])).toBe(false);
    expect(await f.clearinghouse.read.isNonceUsed([id, 7n])).toBe(true);

    const floor = await raiseNonceFloor(client, { collateral: USD, nonceFloor: 10n });
    expect(floor.events).toEqual([
      expect.objectContaining({ eventName: "NonceFloorRaised", args: { account: id, nonceFloor: 10n } }),
    ]);
    expect((await getSubaccount(client, { owner: f.alice.account.address, collateral: USD })).nonceFloor).toBe(10n);
    const lower = await rejection(raiseNonceFloor(client, { collateral: USD, nonceFloor: 4n }));
    expect(lower).toBeInstanceOf(LucentContractError);
    expect((lower as LucentContractError).errorName).toBe("ClearinghouseNonceFloorNotRaised");
    expect((lower as LucentContractError).args).toEqual([10n, 4n]);

    expect(await rejection(cancelOrders(client, { orders: [] }))).toBeInstanceOf(InvalidParameterError);
    expect(await rejection(cancelOrders(client, { orders: [{ ...o, size: 2n ** 64n }] }))).toBeInstanceOf(
      InvalidParameterError,
    );
    const notHers = order(f.bob.account.address, BTCUSD, true, 1n, BTC_PRICE, 1n);
    expect(await rejection(cancelOrders(client, { orders: [notHers] }))).toBeInstanceOf(InvalidParameterError);
    expect(await rejection(cancelNonces(client, { collateral: USD, nonces: [2n ** 64n] }))).toBeInstanceOf(
      InvalidParameterError,
    );
    expect(await rejection(cancelOrders(f.client(), { orders: [o] }))).toBeInstanceOf(WalletRequiredError);
  });
});

describe("getEvents and decodeLucentLogs", () => {
  it("decode every clearinghouse event of a batch and unpack FillSettled", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const receipt = await openAlicesLongs(f);
    const events = decodeLucentLogs({ logs: receipt.logs, address: f.clearinghouse.address });
    expect(events.map((e) => e.eventName)).toEqual([
      "FillSettled",
      "FillSettled",
      "MarketUpdated",
      "MarketUpdated",
      "FeesDistributed",
      "InsuranceFlow",
      "FeesDistributed",
      "InsuranceFlow",
      "BatchSettled",
    ]);
    // The insurance share of the USD fees (80% of 0.7 USD) into the USD vault's subaccount.
    const flow = events.find((e) => e.eventName === "InsuranceFlow");
    expect(flow?.eventName === "InsuranceFlow" && flow.args).toMatchObject({
      collateral: USD,
      vault: getAddress(f.usdVault.address),
      amount: 560_000n,
    });
    const fills = events.flatMap((e) => (e.eventName === "FillSettled" ? [e] : []));
    // A batch logs its fills once (FillsSettled); each comes back as its own FillSettled.
    expect(new Set(fills.map((e) => e.logIndex)).size).toBe(1);
    expect(fills[0]!.args.makerOrderHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(fills[0]!.args.makerOrderHash).not.toBe(fills[0]!.args.takerOrderHash);
    expect(fills.map((e) => e.fill)).toEqual([
      // $1,000 notional: maker 2 bps, taker 5 bps, in USD units.
      { market: BTCUSD, size: 10n, price: BTC_PRICE, takerIsBuy: true, makerFee: 200_000n, takerFee: 500_000n },
      // 1,000 contracts of $1 at $100,000 = 0.01 XBT: 2 and 5 bps in satoshi.
      { market: XBTUSD, size: 1_000n, price: BTC_PRICE, takerIsBuy: true, makerFee: 200n, takerFee: 500n },
    ]);
    expect(parseSubaccountId(fills[0]!.args.maker)).toEqual({
      owner: getAddress(f.bob.account.address),
      collateral: USD,
      index: 0,
    });
    expect(parseSubaccountId(fills[1]!.args.taker)).toEqual({
      owner: getAddress(f.alice.account.address),
      collateral: XBT,
      index: 0,
    });
    const batch = events.at(-1)!;
    expect(batch.eventName === "BatchSettled" && batch.args).toEqual({
      keeper: getAddress(f.keeper.account.address),
      batchIndex: 0n,
      settled: 2n,
      skipped: 0n,
    });

    // The same from the chain: every event since deployment, or one kind.
    const all = await getEvents(f.client());
    expect(all.filter((e) => e.eventName === "Deposited")).toHaveLength(4);
    expect(all.slice(-events.length)).toEqual(events);
    const onlyFills = await getEvents(f.client(), { eventName: "FillSettled", fromBlock: receipt.blockNumber });
    expect(onlyFills.map((e) => e.fill.size)).toEqual([10n, 1_000n]);
    expect(await getEvents(f.client(), { eventName: "Withdrawn" })).toEqual([]);
  });

  it("unpacks the packed words field by field, at their widths", () => {
    const max = (bits: bigint) => (1n << bits) - 1n;
    const trade = (255n << 248n) | (max(64n) << 184n) | (max(128n) << 56n) | 0n;
    expect(unpackFill(trade, (max(128n) << 128n) | 1n)).toEqual({
      market: 255,
      size: max(64n),
      price: max(128n),
      takerIsBuy: false,
      makerFee: max(128n),
      takerFee: 1n,
    });
    expect(() => unpackFill(1n << 256n, 0n)).toThrow(InvalidParameterError);
    expect(() => parseSubaccountId(`0x${"f".repeat(64)}` as Hex)).toThrow(InvalidParameterError);
  });

  it("splits FillsSettled records at their byte widths; a partial record is not a batch's", () => {
    const hex = (byte: string, bytes: number) => byte.repeat(bytes);
    const max = (bits: bigint) => (1n << bits) - 1n;
    // market 255, size and price all ones, taker buys: in 26 bytes.
    const packedTrade = ((255n << 200n) | (max(64n) << 136n) | (max(128n) << 8n) | 1n).toString(16).padStart(52, "0");
    const record = (n: string) =>
      hex("a" + n, 22) + hex("b" + n, 22) + hex("c" + n, 32) + hex("d" + n, 32) + packedTrade + hex("f" + n, 32);
    const fills = unpackSettledFills(`0x${record("1")}${record("2")}`);
    expect(SETTLED_FILL_BYTES).toBe(166);
    expect(fills).toHaveLength(2);
    expect(fills![1]).toEqual({
      maker: `0x${"0".repeat(20)}${hex("a2", 22)}`,
      taker: `0x${"0".repeat(20)}${hex("b2", 22)}`,
      makerOrderHash: `0x${hex("c2", 32)}`,
      takerOrderHash: `0x${hex("d2", 32)}`,
      trade: (255n << 248n) | (max(64n) << 184n) | (max(128n) << 56n) | 1n, // FillSettled's layout
      fees: BigInt(`0x${hex("f2", 32)}`),
    });
    expect(unpackFill(fills![1]!.trade, fills![1]!.fees)).toMatchObject({
      market: 255,
      size: max(64n),
      price: max(128n),
      takerIsBuy: true,
    });
    expect(unpackSettledFills("0x")).toEqual([]);
    expect(unpackSettledFills(`0x${record("1")}00`)).toBeUndefined();

    // As logs: whole records become FillSettled events in order; a partial record is left out.
    const asLog = (fills: Hex, logIndex: number): Log => ({
      address: zeroAddress,
      topics: encodeEventTopics({
        abi: clearinghouseAbi,
        eventName: "FillsSettled",
        args: { keeper: zeroAddress, batchIndex: 3n },
      }) as [Hex, ...Hex[]],
      data: encodeAbiParameters([{ type: "bytes" }], [fills]),
      blockNumber: 1n,
      blockHash: `0x${"11".repeat(32)}`,
      transactionHash: `0x${"22".repeat(32)}`,
      transactionIndex: 0,
      logIndex,
      removed: false,
    });
    const decoded = decodeLucentLogs({
      logs: [asLog(`0x${record("1")}${record("2")}`, 0), asLog(`0x${record("3")}00`, 1)],
    });
    expect(decoded.map((e) => [e.eventName, e.logIndex])).toEqual([
      ["FillSettled", 0],
      ["FillSettled", 0],
    ]);
    expect(decoded[1]!.eventName === "FillSettled" && decoded[1]!.args).toEqual(fills![1]);
  });
});

describe("clients", () => {
  it("an ethers v6 provider and signer give the same reads and the same typed errors as viem", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await openAlicesLongs(f);
    const provider = new ethers.BrowserProvider(connection.provider);
    try {
      const signer = await provider.getSigner(f.alice.account.address);
      const viaEthers = await createLucentClientFromEthers({ provider, signer, addresses: f.addresses });
      const viaViem = f.client(f.alice);
      expect(await getMarkets(viaEthers)).toEqual(await getMarkets(viaViem));
      const blockNumber = await f.publicClient.getBlockNumber();
      const params = { owner: f.alice.account.address, collateral: USD, blockNumber };
      expect(await getSubaccount(viaEthers, params)).toEqual(await getSubaccount(viaViem, params));
      expect(await getMarketState(viaEthers, { marketId: XBTUSD, blockNumber })).toEqual(
        await getMarketState(viaViem, { marketId: XBTUSD, blockNumber }),
      );

      // A revert decodes through ethers' CALL_EXCEPTION as through viem.
      const error = await rejection(withdraw(viaEthers, { collateral: USD, amount: 10n ** 12n }));
      expect(error).toBeInstanceOf(InsufficientFreeCollateralError);
      expect((error as InsufficientFreeCollateralError).requested).toBe(10n ** 12n);

      // Writes go through the ethers signer.
      const sent = await withdraw(viaEthers, { collateral: XBT, amount: 1n });
      expect(sent.events.map((e) => e.eventName)).toEqual(["Withdrawn"]);

      // An ethers signer signs orders byte for byte like viem (RFC 6979 signatures are deterministic).
      const o = order(f.alice.account.address, BTCUSD, false, 3n, BTC_PRICE, 99n);
      const ethersSigned = await signOrder({ signer: viaEthers.wallet!.orderSigner, domain: f.domain, order: o });
      const viemSigned = await signOrder({ signer: f.alice, domain: f.domain, order: o });
      expect(ethersSigned).toEqual(viemSigned);

      // A local-key ethers Wallet (Hardhat's account #5 is Alice) sends its own signed transactions.
      const wallet = ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0/5").connect(provider);
      expect(getAddress(wallet.address)).toBe(getAddress(f.alice.account.address));
      const local = await createLucentClientFromEthers({ provider, signer: wallet, addresses: f.addresses });
      const raised = await raiseNonceFloor(local, { collateral: XBT, nonceFloor: 3n });
      expect(raised.events.map((e) => e.eventName)).toEqual(["NonceFloorRaised"]);
      const walletSigned = await signOrder({ signer: local.wallet!.orderSigner, domain: f.domain, order: o });
      expect(walletSigned.signature).toBe(viemSigned.signature);
    } finally {
      provider.destroy();
    }
  });

  it("createLucentClient validates addresses; loadDevnetAddresses reads an Ignition deployment file", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    expect(() =>
      createLucentClient({ publicClient: f.publicClient, addresses: { ...f.addresses, marketRegistry: "0x12" } }),
    ).toThrow(InvalidAddressError);

    const dir = await mkdtemp(path.join(tmpdir(), "lucent-sdk-"));
    try {
      const file = path.join(dir, "deployed_addresses.json");
      const deployed = {
        "Lucent#AccessManager": f.manager.address,
        "Lucent#USD": f.usd.address,
        "Lucent#MarketRegistry": f.registry.address.toLowerCase(),
        "Lucent#KeeperRegistry": f.keeperRegistry.address,
        "Lucent#Clearinghouse": f.clearinghouse.address,
      };
      await writeFile(file, JSON.stringify(deployed));
      const loaded = loadDevnetAddresses({ file });
      expect(loaded).toMatchObject({
        clearinghouse: getAddress(f.clearinghouse.address),
        marketRegistry: getAddress(f.registry.address),
        keeperRegistry: getAddress(f.keeperRegistry.address),
        accessManager: getAddress(f.manager.address),
      });
      expect(loaded.contracts["Lucent#USD"]).toBe(getAddress(f.usd.address));
      // The loaded addresses work as they are.
      const markets = await getMarkets(createLucentClient({ publicClient: f.publicClient, addresses: loaded }));
      expect(markets).toHaveLength(3);

      await writeFile(file, JSON.stringify({ "Lucent#USD": f.usd.address }));
      expect(() => loadDevnetAddresses({ file })).toThrow(DeploymentNotFoundError);
      expect(() => loadDevnetAddresses({ file: path.join(dir, "missing.json") })).toThrow(DeploymentNotFoundError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("lucent CLI (live commands)", () => {
  /** Runs `lucent <argv>` with the test chain's client; returns stdout, stderr and the exit code. */
  async function lucent(client: LucentClient | undefined, argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const program = new Command("lucent").exitOverride();
    registerLiveCommands(program, {
      ...(client === undefined ? {} : { createClient: () => client }),
      out: (text) => out.push(text),
      err: (text) => err.push(text),
    });
    const exitCode = process.exitCode;
    process.exitCode = undefined;
    try {
      await program.parseAsync(argv, { from: "user" });
      return { out: out.join("\n"), err: err.join("\n"), code: process.exitCode ?? 0 };
    } finally {
      process.exitCode = exitCode;
    }
  }

  it("markets: a table by default, one JSON object with decimal strings under --json", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const text = await lucent(f.client(), ["markets"]);
    expect(text.code).toBe(0);
    const lines = text.out.split("\n");
    expect(lines[0]).toMatch(/^id\s+symbol\s+kind\s+collateral\s+multiplier/);
    expect(lines[2]).toMatch(/^0\s+BTC-USD\s+linear\s+USD\s+0\.001\s+0\.5\s+100000\s+100000\s+0\.01%\s+0\s+10%\s+5%$/);
    expect(lines[4]).toMatch(/^2\s+ETHUSD\s+quanto\s+XBT\s+0\.000001\s+0\.05\s+4000\s+4000/);

    const { out, code } = await lucent(f.client(), ["markets", "--json"]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { blockNumber: string; markets: Record<string, unknown>[] };
    expect(parsed.markets).toHaveLength(3);
    expect(parsed.markets[1]).toMatchObject({
      id: 1,
      symbol: "XBTUSD",
      kind: "inverse",
      adlPolicy: "ranked",
      collateral: {
        index: 1,
        symbol: "XBT",
        token: getAddress(f.xbt.address),
        decimals: 8,
        insuranceVault: getAddress(f.xbtVault.address),
      },
      multiplier: "1",
      imRate: "0.1",
      mmRate: "0.05",
      takerFeeRate: "0.0005",
      indexPrice: "100000",
      indexFresh: true,
      markPrice: "100000",
      fundingRate: "0.0001",
      openInterest: "0",
      fundingInterval: "28800",
    });
    expect(BigInt(parsed.blockNumber)).toBe(await f.publicClient.getBlockNumber());
  });

  it("account: subaccounts of every collateral with positions and liquidation prices; --json; errors", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await openAlicesLongs(f);
    const client = f.client();
    const alice = f.alice.account.address;
    const { out, code } = await lucent(client, ["account", alice, "--json"]);
    expect(code).toBe(0);
    type Json = {
      owner: string;
      subaccounts: { collateral: { symbol: string }; positions: Record<string, unknown>[] }[];
    };
    const parsed = JSON.parse(out) as Json & { subaccounts: Record<string, unknown>[] };
    expect(parsed.owner).toBe(getAddress(alice));
    expect(parsed.subaccounts.map((s) => s.collateral.symbol)).toEqual(["USD", "XBT"]);
    const usd = await getSubaccount(client, { owner: alice, collateral: USD });
    expect(parsed.subaccounts[0]).toMatchObject({
      index: 0,
      balance: "149.5",
      initialMargin: "100",
      maintenanceMargin: "50",
      liquidatable: false,
    });
    expect(parsed.subaccounts[0]!.positions[0]).toMatchObject({
      symbol: "BTC-USD",
      kind: "linear",
      size: "10",
      entryPrice: "100000",
      markPrice: "100000",
      basis: "1000",
      unrealizedPnl: "0",
      initialMargin: "100",
      maintenanceMargin: "50",
    });
    // Same block, same figures as the action (funding accrues per block).
    const liq = parsed.subaccounts[0]!.positions[0]!.liquidationPrice as string;
    expect(liq).toMatch(/^89526\.\d+$/);
    expect(Math.abs(Number(liq) - Number(usd.positions[0]!.liquidationPrice!) / 1e18)).toBeLessThan(0.01);
    expect(parsed.subaccounts[1]!.positions[0]).toMatchObject({ symbol: "XBTUSD", size: "1000", basis: "-0.01" });

    const one = JSON.parse(
      (await lucent(client, ["account", alice, "--collateral", "xbt", "--subaccount", "0", "--json"])).out,
    ) as Json;
    expect(one.subaccounts.map((s) => s.collateral.symbol)).toEqual(["XBT"]);

    const text = await lucent(client, ["account", alice, "--collateral", "0"]);
    expect(text.out).toMatch(/^subaccount\s+collateral\s+balance\s+equity/);
    expect(text.out).toMatch(/\nBTC-USD\s+10\s+100000\s+100000\s+0\s/);
    const empty = await lucent(client, ["account", f.carol.account.address, "--collateral", "USD"]);
    expect(empty.out).toContain("(no open positions)");

    const bad = await lucent(client, ["account", "0xabc"]);
    expect([bad.code, bad.out, bad.err]).toEqual([1, "", 'error: "owner" is not a valid address.']);
    const unknown = await lucent(client, ["account", alice, "--collateral", "EUR"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('error: "collateral" must be one of 0 (USD), 1 (XBT).');
    const index = await lucent(client, ["account", alice, "--subaccount", "300"]);
    expect(index.err).toBe('error: "subaccount" must be an integer 0..255.');
  });

  it("the default client: a missing deployment file and an unreachable RPC are one-line errors", async () => {
    const missing = await lucent(undefined, ["markets", "--deployment", "/nonexistent/deployed_addresses.json"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(
      /^error: No Lucent deployment in \/nonexistent\/deployed_addresses\.json: cannot read the file/,
    );
    const down = await lucent(undefined, [
      "markets",
      "--rpc",
      "http://127.0.0.1:59999",
      "--clearinghouse",
      zeroAddress,
      "--market-registry",
      zeroAddress,
    ]);
    expect(down.code).toBe(1);
    expect(down.err).toBe("error: HTTP request failed.");
  });
});
