// Gas of the risk engine (issue "Risk engine"): liquidation against the book and by backstop, and
// the ADL check's cost per scanned position and per deleveraged counterparty.
//
// A fresh EDR chain with zero trading fees, so the insurance vault holds nothing unless a test
// funds it (fee income would let it backstop a few lots and blur the ADL counts). Snapshots give
// each measurement the same starting state.
//
// - liquidation.book: a full liquidation of a 10-contract long against one resting signed bid.
// - liquidation.backstop: the same, taken over by a funded insurance vault.
// - adl.perScannedPosition: (gas with 61 − gas with 21 positions on the side) / 40, one counterparty cut.
// - adl.perCounterparty: (gas cutting 11 − gas cutting 1) / 10, 61 positions on the side.
import hre from "hardhat";
import { keccak256, toHex, zeroAddress, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import LucentModule, { DEFAULTS, lucentParameters } from "../../ignition/modules/Lucent.js";
import {
  allocateAdl,
  encodeBatch,
  encodeLiquidationFills,
  lucentDomain,
  rankAdlSide,
  signOrder,
  type Fill,
  type Order,
} from "../../sdk/src/index.js";
import type { MarketKind } from "../../sdk/src/math/contractMath.js";

const USD = 0;
const BTCUSD = 0;
const WAD = 10n ** 18n;
const BTC_PRICE = 100_000n * WAD;
const CRASH_PRICE = 91_500n * WAD;

export type RiskGas = {
  liquidation: { book: number; backstop: number };
  adl: { perScannedPosition: number; perCounterparty: number };
  detail: Record<string, number>;
};

export async function measureRiskGas(log: (line: string) => void): Promise<RiskGas> {
  const connection = await hre.network.create();
  const { viem, ignition, networkHelpers } = connection;
  const publicClient = await viem.getPublicClient();
  const [, r0, r1, r2, keeper] = await viem.getWalletClients();
  if (!r0 || !r1 || !r2 || !keeper) throw new Error("the EDR network has 20 default accounts");

  const lucent = await ignition.deploy(
    LucentModule,
    lucentParameters({ reporters: [r0, r1, r2], makerFeeRate: 0n, takerFeeRate: 0n }),
  );
  const { clearinghouse, usd, btcOracle, keeperRegistry, usdVault } = lucent;
  const liquidation = await viem.getContractAt("LiquidationModule", clearinghouse.address);
  await keeperRegistry.write.register({ account: keeper.account, value: DEFAULTS.minBond });
  const domain = lucentDomain({ chainId: await publicClient.getChainId(), clearinghouse: clearinghouse.address });

  const report = async (price: bigint) => {
    for (const r of [r0, r1, r2]) await btcOracle.write.report([price], { account: r.account, gas: 100_000n });
  };
  await report(BTC_PRICE);

  const account = (seed: string) => privateKeyToAccount(keccak256(toHex(`lucent-risk-bench-${seed}`)));
  const fund = async (who: PrivateKeyAccount, amount: bigint) => {
    await networkHelpers.setBalance(who.address, WAD);
    await networkHelpers.impersonateAccount(who.address);
    await usd.write.mint([who.address, amount], { gas: 100_000n });
    await usd.write.approve([clearinghouse.address, amount], { account: who.address, gas: 100_000n });
    await clearinghouse.write.deposit([USD, 0, amount], { account: who.address, gas: 200_000n });
  };
  let nonce = 0n;
  const signed = async (who: PrivateKeyAccount, isBuy: boolean, size: bigint, price = BTC_PRICE) => {
    const order: Order = {
      trader: who.address,
      subaccount: 0,
      market: BTCUSD,
      isBuy,
      size,
      limitPrice: price,
      flags: 0,
      nonce: nonce++,
      expiry: 2 ** 40 - 1,
      keeper: zeroAddress,
    };
    const { signature } = await signOrder({ signer: who, domain, order });
    return { order, signature };
  };
  let batchIndex = 0n;
  const settle = async (fills: Fill[]) => {
    await report(BTC_PRICE);
    const hash = await clearinghouse.write.settleBatch([batchIndex++, encodeBatch({ fills })], {
      account: keeper.account,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error("setup batch reverted");
  };
  const subaccountId = (who: PrivateKeyAccount): bigint => (BigInt(who.address) << 16n) | (BigInt(USD) << 8n);
  const idHex = (who: PrivateKeyAccount): Hex => toHex(subaccountId(who), { size: 32 });

  // The long whale that the small shorts sell to; X, the well-funded short the victims buy from.
  const whale = account("whale");
  const x = account("x");
  await fund(whale, 10_000_000n * 10n ** 6n);
  await fund(x, 10_000_000n * 10n ** 6n);
  const shorts: PrivateKeyAccount[] = [];
  const addShorts = async (count: number) => {
    const fills: Fill[] = [];
    for (let i = 0; i < count; i++) {
      const s = account(`short-${shorts.length}`);
      shorts.push(s);
      await fund(s, 200n * 10n ** 6n); // 10 contracts ($1,000) at 10% IM
      fills.push({ size: 10n, maker: await signed(s, false, 10n), taker: await signed(whale, true, 10n) });
    }
    await settle(fills);
  };
  // Victims: 10 contracts ($105: full liquidation at $91,500) and 110 contracts ($1,155).
  const small = account("victim-10");
  const large = account("victim-110");
  await fund(small, 105n * 10n ** 6n);
  await fund(large, 1_155n * 10n ** 6n);
  await settle([
    { size: 10n, maker: await signed(x, false, 10n), taker: await signed(small, true, 10n) },
    { size: 110n, maker: await signed(x, false, 110n), taker: await signed(large, true, 110n) },
  ]);
  // Steady state, as on a live venue: the book's market maker already holds a position, the
  // keeper's fee subaccount and the insurance vault already hold money (a first write to an empty
  // slot costs 20,000 gas more and is not what a liquidation typically pays). $1 in the vault
  // cannot margin a single contract, so the ADL measurements see no backstop.
  const maker = account("book-maker");
  await fund(maker, 1_000_000n * 10n ** 6n);
  await settle([{ size: 5n, maker: await signed(x, false, 5n), taker: await signed(maker, true, 5n) }]);
  await usd.write.mint([keeper.account.address, 10n ** 6n], { gas: 100_000n });
  await usd.write.approve([clearinghouse.address, 10n ** 6n], { account: keeper.account, gas: 100_000n });
  await clearinghouse.write.deposit([USD, 0, 10n ** 6n], { account: keeper.account, gas: 200_000n });
  const lp = account("lp");
  await networkHelpers.setBalance(lp.address, WAD);
  await networkHelpers.impersonateAccount(lp.address);
  await usd.write.mint([lp.address, 100_001n * 10n ** 6n], { gas: 100_000n });
  await usd.write.approve([usdVault.address, 100_001n * 10n ** 6n], { account: lp.address, gas: 100_000n });
  await usdVault.write.deposit([10n ** 6n, lp.address], { account: lp.address });
  log(`risk bench: accounts funded, victims open`);

  /** Crashes the index, liquidates `victim` with the RANKED side and sizes from the SDK; returns gas. */
  const liquidateGas = async (victim: PrivateKeyAccount, bookFills: Hex = "0x", withAdl = true) => {
    await report(CRASH_PRICE);
    const [config, unit] = await lucent.registry.read.market([BigInt(BTCUSD)]);
    const [, , mark] = await clearinghouse.read.marketState([BTCUSD]);
    const holders = [...shorts, x];
    // The maker's long and the victims are on the other side.
    const positions = [];
    for (const h of holders) {
      const id = subaccountId(h);
      const [size, basis] = await clearinghouse.read.position([idHex(h), BTCUSD]);
      const [equity] = await clearinghouse.read.accountHealth([idHex(h)]);
      positions.push({ subaccountId: id, size, basis, equity });
    }
    const [victimSize] = await clearinghouse.read.position([idHex(victim), BTCUSD]);
    const kind = config.kind as MarketKind;
    const ranked = rankAdlSide({ kind, multiplier: config.multiplier, unit, mark, positions });
    const side = ranked.map((p) => toHex(BigInt(p.subaccountId), { size: 32 }));
    const sizes = withAdl
      ? allocateAdl({
          kind,
          multiplier: config.multiplier,
          unit,
          mark,
          positions,
          policy: 0,
          shortfall: victimSize,
        }).counterparties.map((c) => c.deleverage)
      : [];
    const hash = await liquidation.write.liquidate([idHex(victim), BTCUSD, bookFills, withAdl ? side : [], sizes], {
      account: keeper.account,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error("liquidation reverted");
    return { gas: receipt.gasUsed, scanned: withAdl ? side.length : 0, cut: sizes.length };
  };

  // ---- 21 positions on the side (20 shorts + X)
  await addShorts(20);
  const a = await networkHelpers.takeSnapshot();
  const adl21 = await liquidateGas(small);
  await a.restore();

  // book: one resting bid of 10 at the crash price takes the whole position
  const bid = await signed(maker, true, 10n, CRASH_PRICE);
  const bookFills = encodeLiquidationFills({ fills: [{ size: 10n, maker: bid }] });
  const book = await liquidateGas(small, bookFills, false);
  await a.restore();

  // backstop: an LP funds the vault, which takes the whole position
  await usdVault.write.deposit([100_000n * 10n ** 6n, lp.address], { account: lp.address });
  const backstop = await liquidateGas(small, "0x", false);
  await a.restore();

  // ---- 61 positions on the side
  await addShorts(40);
  const b = await networkHelpers.takeSnapshot();
  const adl61 = await liquidateGas(small);
  await b.restore();
  const adl61x11 = await liquidateGas(large);
  if (adl61.cut !== 1 || adl61x11.cut !== 11 || adl21.cut !== 1) {
    throw new Error(`unexpected cuts: ${adl21.cut}, ${adl61.cut}, ${adl61x11.cut}`);
  }

  const perScanned = (adl61.gas - adl21.gas) / 40n;
  const perCounterparty = (adl61x11.gas - adl61.gas) / 10n;
  log(
    `risk bench: book ${book.gas}, backstop ${backstop.gas}, ADL 21/61 scanned ${adl21.gas}/${adl61.gas}, 11 cut ${adl61x11.gas}`,
  );
  return {
    liquidation: { book: Number(book.gas), backstop: Number(backstop.gas) },
    adl: { perScannedPosition: Number(perScanned), perCounterparty: Number(perCounterparty) },
    detail: {
      adlScanned21Cut1Gas: Number(adl21.gas),
      adlScanned61Cut1Gas: Number(adl61.gas),
      adlScanned61Cut11Gas: Number(adl61x11.gas),
    },
  };
}
