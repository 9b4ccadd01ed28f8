// End to end: deploy through the Ignition module on the in-process EDR chain, sign orders with the
// SDK, settle a batch from the registered keeper and check positions, balances and fees.
import hre from "hardhat";
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  toFunctionSelector,
  zeroAddress,
  type Abi,
  type AbiFunction,
  type Address,
  type Hex,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import LucentModule, {
  DEFAULTS,
  DEFAULT_RISK_PARAMETERS,
  LISTER_FUNCTIONS,
  LISTER_ROLE,
  MARKETS,
  MarketKind,
  AdlPolicy,
  lucentParameters,
} from "../../ignition/modules/Lucent.js";
import LucentExistingCollateralModule from "../../ignition/modules/LucentExistingCollateral.js";
import {
  decodeLucentLogs,
  encodeBatch,
  hashOrder,
  lucentDomain,
  signOrder,
  SkipReason,
  subaccountId,
  type Order,
} from "../../sdk/src/index.js";

const USD = 0;
const BTCUSD = 0;
const WAD = 10n ** 18n;
const BTC_PRICE = 100_000n * WAD;
const ETH_PRICE = 4_000n * WAD;
const DEPOSIT_USD = 1_000_000n * 10n ** 6n;
const FAR_EXPIRY = 2 ** 40 - 1;
const LISTING_DELAY = 60;

const connection = await hre.network.create();
const { viem, ignition, networkHelpers } = connection;

async function deployFixture() {
  const [admin, r0, r1, r2, keeper, alice, bob] = await viem.getWalletClients();
  if (!admin || !r0 || !r1 || !r2 || !keeper || !alice || !bob) throw new Error("the default network has 20 accounts");
  const lucent = await ignition.deploy(
    LucentModule,
    lucentParameters({ admin, reporters: [r0, r1, r2], listingDelay: LISTING_DELAY }),
  );
  for (const reporter of [r0, r1, r2]) {
    await lucent.btcOracle.write.report([BTC_PRICE], { account: reporter.account });
    await lucent.ethOracle.write.report([ETH_PRICE], { account: reporter.account });
  }
  await lucent.keeperRegistry.write.register({ account: keeper.account, value: DEFAULTS.minBond });
  for (const trader of [alice, bob]) {
    await lucent.usd.write.mint([trader.account.address, DEPOSIT_USD]);
    await lucent.usd.write.approve([lucent.clearinghouse.address, DEPOSIT_USD], { account: trader.account });
    await lucent.clearinghouse.write.deposit([USD, 0, DEPOSIT_USD], { account: trader.account });
  }
  const publicClient = await viem.getPublicClient();
  const domain = lucentDomain({
    chainId: await publicClient.getChainId(),
    clearinghouse: lucent.clearinghouse.address,
  });
  return { ...lucent, publicClient, domain, admin, keeper, alice, bob };
}

function order(trader: Address, isBuy: boolean, size: bigint, nonce: bigint): Order {
  return {
    trader,
    subaccount: 0,
    market: BTCUSD,
    isBuy,
    size,
    limitPrice: BTC_PRICE,
    flags: 0,
    nonce,
    expiry: FAR_EXPIRY,
    keeper: zeroAddress,
  };
}

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

describe("deployment (ignition/modules/Lucent.ts)", () => {
  it("lists the two collaterals and the three markets with the fixture's parameters", async () => {
    const { registry, usd, xbt, usdVault, xbtVault, btcOracle, ethOracle } =
      await networkHelpers.loadFixture(deployFixture);
    expect(await registry.read.collateral([0n])).toEqual({
      token: usd.address,
      decimals: 6,
      insuranceVault: usdVault.address,
    });
    expect(await registry.read.collateral([1n])).toEqual({
      token: xbt.address,
      decimals: 8,
      insuranceVault: xbtVault.address,
    });
    expect(await usdVault.read.asset()).toBe(usd.address);
    expect(await registry.read.marketCount()).toBe(3n);
    const oracles = { btc: btcOracle.address, eth: ethOracle.address };
    for (const [id, market] of MARKETS.entries()) {
      expect(await registry.read.symbol([BigInt(id)])).toBe(market.symbol);
      const [config, unit] = await registry.read.market([BigInt(id)]);
      expect(unit).toBe(market.collateral === 0 ? 10n ** 6n : 10n ** 8n);
      expect(config).toEqual({
        kind: market.kind,
        adlPolicy: AdlPolicy.Ranked,
        collateral: market.collateral,
        active: true,
        fundingInterval: DEFAULT_RISK_PARAMETERS.fundingInterval,
        premiumEmaPeriod: DEFAULT_RISK_PARAMETERS.premiumEmaPeriod,
        maxIndexAge: DEFAULT_RISK_PARAMETERS.maxIndexAge,
        multiplier: market.multiplier,
        tickSize: market.tickSize,
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
        oracle: oracles[market.index],
      });
    }
    expect(MARKETS.map((m) => m.kind)).toEqual([MarketKind.Linear, MarketKind.Inverse, MarketKind.Quanto]);
  });

  it("puts listing behind the LISTER role with the listing delay, and oracles at quorum 2 of 3", async () => {
    const { manager, registry, btcOracle, ethOracle, admin } = await networkHelpers.loadFixture(deployFixture);
    // Selectors from the compiled ABI, not from the module's signature strings.
    const listerFunctions = (registry.abi as Abi).filter(
      (item): item is AbiFunction =>
        item.type === "function" &&
        ["listCollateral", "setInsuranceVault", "listMarket", "setMarketParameters"].includes(item.name),
    );
    expect(listerFunctions).toHaveLength(LISTER_FUNCTIONS.length);
    for (const item of listerFunctions) {
      expect(await manager.read.getTargetFunctionRole([registry.address, toFunctionSelector(item)])).toBe(LISTER_ROLE);
    }
    expect(await manager.read.hasRole([LISTER_ROLE, admin.account.address])).toEqual([true, LISTING_DELAY]);
    expect(await manager.read.hasRole([0n, admin.account.address])).toEqual([true, 0]);
    for (const oracle of [btcOracle, ethOracle]) {
      expect(await oracle.read.quorum()).toBe(2n);
      expect(await oracle.read.maxReportAge()).toBe(300n);
      expect((await oracle.read.reporters()).length).toBe(3);
    }
    expect(await btcOracle.read.latestIndex().then(([price]) => price)).toBe(BTC_PRICE);
  });
});

describe("deployment with existing collateral (ignition/modules/LucentExistingCollateral.ts)", () => {
  it("lists the given tokens instead of deploying mocks", async () => {
    const other = await hre.network.create();
    const usd = await other.viem.deployContract("MockERC20", ["Bridged USD", "USDb", 6]);
    const xbt = await other.viem.deployContract("MockERC20", ["Wrapped XBT", "WXBT", 8]);
    const lucent = await other.ignition.deploy(LucentExistingCollateralModule, {
      parameters: { LucentExistingCollateral: { usdToken: usd.address, xbtToken: xbt.address, listingDelay: 3600 } },
    });
    expect(Object.keys(lucent).sort()).toEqual(
      [
        "btcOracle",
        "clearinghouse",
        "ethOracle",
        "keeperRegistry",
        "liquidationModule",
        "manager",
        "registry",
        "usdVault",
        "xbtVault",
      ].sort(),
    );
    expect(await lucent.registry.read.collateral([0n])).toEqual({
      token: getAddress(usd.address),
      decimals: 6,
      insuranceVault: lucent.usdVault.address,
    });
    expect(await lucent.registry.read.collateral([1n])).toEqual({
      token: getAddress(xbt.address),
      decimals: 8,
      insuranceVault: lucent.xbtVault.address,
    });
    expect(await lucent.registry.read.marketCount()).toBe(3n);
    const [deployer] = await other.viem.getWalletClients();
    expect(await lucent.manager.read.hasRole([LISTER_ROLE, deployer!.account.address])).toEqual([true, 3600]);
    await other.close();
  });
});

describe("settleBatch", () => {
  it("settles a maker/taker fill signed with the SDK: event, positions and fee-adjusted balances", async () => {
    const { clearinghouse, publicClient, domain, keeper, alice, bob } = await networkHelpers.loadFixture(deployFixture);
    const makerOrder = order(alice.account.address, false, 10n, 1n);
    const takerOrder = order(bob.account.address, true, 10n, 1n);
    const maker = await signOrder({ signer: alice, domain, order: makerOrder });
    const taker = await signOrder({ signer: bob, domain, order: takerOrder });

    // The SDK's EIP-712 hash is the contract's.
    expect(hashOrder({ domain, order: makerOrder })).toBe(await clearinghouse.read.hashOrder([makerOrder]));
    expect(maker.hash).toBe(await clearinghouse.read.hashOrder([makerOrder]));
    expect(taker.hash).toBe(await clearinghouse.read.hashOrder([takerOrder]));

    const fills = encodeBatch({
      fills: [
        {
          size: 10n,
          maker: { order: makerOrder, signature: maker.signature },
          taker: { order: takerOrder, signature: taker.signature },
        },
      ],
    });
    expect(await clearinghouse.read.nextBatchIndex([keeper.account.address])).toBe(0n);
    const tx = await clearinghouse.write.settleBatch([0n, fills], { account: keeper.account });
    const receipt = await publicClient.waitForTransactionReceipt({ hash: tx });
    expect(receipt.status).toBe("success");

    const aliceId = subaccountId({ owner: alice.account.address, collateral: USD, index: 0 });
    const bobId = subaccountId({ owner: bob.account.address, collateral: USD, index: 0 });
    const keeperId = subaccountId({ owner: keeper.account.address, collateral: USD, index: 0 });
    // 10 contracts × 0.001 BTC × $100,000 = $1,000 notional; maker 2 bps, taker 5 bps (USD has 6 decimals).
    const makerFee = 200_000n;
    const takerFee = 500_000n;
    const keeperShare = ((makerFee + takerFee) * 2n) / 10n;

    const logs = decodeLucentLogs({ logs: receipt.logs });
    const settled = logs.filter((log) => log.eventName === "FillSettled");
    expect(settled).toHaveLength(1);
    expect(settled[0]?.args).toEqual({
      maker: aliceId,
      taker: bobId,
      makerOrderHash: maker.hash,
      takerOrderHash: taker.hash,
      trade: (BigInt(BTCUSD) << 248n) | (10n << 184n) | (BTC_PRICE << 56n) | 1n,
      fees: (makerFee << 128n) | takerFee,
    });
    expect(logs.find((log) => log.eventName === "BatchSettled")?.args).toEqual({
      keeper: getAddress(keeper.account.address),
      batchIndex: 0n,
      settled: 1n,
      skipped: 0n,
    });
    expect(logs.find((log) => log.eventName === "FeesDistributed")?.args).toEqual({
      keeper: getAddress(keeper.account.address),
      collateral: USD,
      keeperShare,
      insuranceShare: makerFee + takerFee - keeperShare,
    });

    expect((await clearinghouse.read.position([aliceId, BTCUSD]))[0]).toBe(-10n);
    expect((await clearinghouse.read.position([bobId, BTCUSD]))[0]).toBe(10n);
    expect((await clearinghouse.read.account([aliceId]))[0]).toBe(DEPOSIT_USD - makerFee);
    expect((await clearinghouse.read.account([bobId]))[0]).toBe(DEPOSIT_USD - takerFee);
    expect((await clearinghouse.read.account([keeperId]))[0]).toBe(keeperShare);
    expect(await clearinghouse.read.insuranceFund([USD])).toBe(makerFee + takerFee - keeperShare);
    expect(await clearinghouse.read.nextBatchIndex([keeper.account.address])).toBe(1n);
    expect(await clearinghouse.read.isNonceUsed([aliceId, 1n])).toBe(true);

    // Replaying the same fill in the next batch: skipped, the maker's order is used up (INV-7).
    const replay = await clearinghouse.write.settleBatch([1n, fills], { account: keeper.account });
    const replayLogs = decodeLucentLogs({
      logs: (await publicClient.waitForTransactionReceipt({ hash: replay })).logs,
    });
    expect(replayLogs.filter((log) => log.eventName === "FillSettled")).toHaveLength(0);
    expect(replayLogs.find((log) => log.eventName === "FillSkipped")?.args).toEqual({
      orderHash: maker.hash,
      fillIndex: 0n,
      reason: SkipReason.Cancelled,
    });
    expect(replayLogs.find((log) => log.eventName === "BatchSettled")?.args).toMatchObject({
      settled: 0n,
      skipped: 1n,
    });
    expect((await clearinghouse.read.position([bobId, BTCUSD]))[0]).toBe(10n);
    expect((await clearinghouse.read.account([bobId]))[0]).toBe(DEPOSIT_USD - takerFee);

    // A batch index other than the keeper's next one reverts, and changes nothing.
    for (const wrong of [0n, 1n, 3n]) {
      const failure = await revertOf(
        clearinghouse.write.settleBatch([wrong, fills], { account: keeper.account }),
        clearinghouse.abi,
      );
      expect(failure).toEqual({
        errorName: "ClearinghouseBatchOutOfSequence",
        args: [getAddress(keeper.account.address), 2n, wrong],
      });
    }
    expect(await clearinghouse.read.nextBatchIndex([keeper.account.address])).toBe(2n);
  });

  it("settles an EIP-1271 wallet's order sent with the extended signature encoding", async () => {
    const { clearinghouse, usd, publicClient, domain, keeper, bob } = await networkHelpers.loadFixture(deployFixture);
    const [, , , , , , , carol] = await viem.getWalletClients();
    if (carol === undefined) throw new Error("no account #7");
    const wallet = await viem.deployContract("MockERC1271Wallet", [carol.account.address]);
    await usd.write.mint([wallet.address, DEPOSIT_USD]);
    await wallet.write.approveAndDeposit([usd.address, clearinghouse.address, USD, 0, DEPOSIT_USD], {
      account: carol.account,
    });

    // The wallet's owner signs the wallet's order; bob's 65-byte signature also goes extended.
    const makerOrder = order(wallet.address, false, 4n, 7n);
    const takerOrder = order(bob.account.address, true, 4n, 7n);
    const maker = await signOrder({ signer: carol, domain, order: makerOrder });
    const taker = await signOrder({ signer: bob, domain, order: takerOrder });
    const settle = async (batchIndex: bigint, extended: boolean) => {
      const fills = encodeBatch({
        fills: [
          {
            size: 4n,
            maker: { order: makerOrder, signature: maker.signature, extendedSignature: extended },
            taker: { order: takerOrder, signature: taker.signature, extendedSignature: true },
          },
        ],
      });
      const hash = await clearinghouse.write.settleBatch([batchIndex, fills], { account: keeper.account });
      return decodeLucentLogs({ logs: (await publicClient.waitForTransactionReceipt({ hash })).logs });
    };

    // Compacted, the wallet receives 64 bytes its owner check does not accept: skipped, nothing moves.
    const compacted = await settle(0n, false);
    expect(compacted.find((log) => log.eventName === "FillSkipped")?.args).toEqual({
      orderHash: maker.hash,
      fillIndex: 0n,
      reason: SkipReason.BadSignature,
    });

    const extended = await settle(1n, true);
    const walletId = subaccountId({ owner: wallet.address, collateral: USD, index: 0 });
    expect(extended.find((log) => log.eventName === "FillSettled")?.args).toMatchObject({
      maker: walletId,
      makerOrderHash: maker.hash,
      takerOrderHash: taker.hash,
    });
    expect((await clearinghouse.read.position([walletId, BTCUSD]))[0]).toBe(-4n);
  });

  it("only registered keepers may settle", async () => {
    const { clearinghouse, alice } = await networkHelpers.loadFixture(deployFixture);
    const failure = await revertOf(
      clearinghouse.write.settleBatch([0n, "0x"], { account: alice.account }),
      clearinghouse.abi,
    );
    expect(failure).toEqual({
      errorName: "ClearinghouseNotKeeper",
      args: [getAddress(alice.account.address)],
    });
  });
});

describe("listing delay", () => {
  it("a direct listMarket reverts; schedule, wait the delay, execute succeeds", async () => {
    const { manager, registry, btcOracle, admin } = await networkHelpers.loadFixture(deployFixture);
    const [config] = await registry.read.market([BigInt(BTCUSD)]);
    const args = ["BTC-USD-2", { ...config, oracle: btcOracle.address }] as const;
    const abi = [...registry.abi, ...manager.abi] as const;

    // The admin holds the LISTER role, but with a delay: a direct call finds no scheduled operation.
    const direct = await revertOf(registry.write.listMarket(args, { account: admin.account }), abi);
    expect(direct.errorName).toBe("AccessManagerNotScheduled");

    const data: Hex = encodeFunctionData({ abi: registry.abi, functionName: "listMarket", args });
    await manager.write.schedule([registry.address, data, 0], { account: admin.account });
    const early = await revertOf(manager.write.execute([registry.address, data], { account: admin.account }), abi);
    expect(early.errorName).toBe("AccessManagerNotReady");

    await networkHelpers.time.increase(LISTING_DELAY);
    await manager.write.execute([registry.address, data], { account: admin.account });
    expect(await registry.read.marketCount()).toBe(4n);
    expect(await registry.read.symbol([3n])).toBe("BTC-USD-2");
  });

  it("nobody else can list, even with a schedule", async () => {
    const { manager, registry, btcOracle, bob } = await networkHelpers.loadFixture(deployFixture);
    const [config] = await registry.read.market([BigInt(BTCUSD)]);
    const args = ["X", { ...config, oracle: btcOracle.address }] as const;
    const abi = [...registry.abi, ...manager.abi] as const;
    const direct = await revertOf(registry.write.listMarket(args, { account: bob.account }), abi);
    expect(direct.errorName).toBe("AccessManagedUnauthorized");
    const data: Hex = encodeFunctionData({ abi: registry.abi, functionName: "listMarket", args });
    const scheduled = await revertOf(
      manager.write.schedule([registry.address, data, 0], { account: bob.account }),
      abi,
    );
    expect(scheduled.errorName).toBe("AccessManagerUnauthorizedCall");
  });
});
