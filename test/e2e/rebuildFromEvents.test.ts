// "Events for every state change, sufficient to rebuild every balance and position off-chain":
// trade across the three markets with price moves, funding over time, partial closes, flips,
// transfers and withdrawals; then rebuild every subaccount from the clearinghouse's logs alone with
// the SDK math and require it to equal the chain's state exactly.
import hre from "hardhat";
import { zeroAddress, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import LucentModule, { DEFAULTS, MARKETS, lucentParameters } from "../../ignition/modules/Lucent.js";
import {
  decodeLucentLogs,
  applyTrade,
  encodeBatch,
  fundingOwed,
  lucentDomain,
  signOrder,
  type Fill,
  type Order,
} from "../../sdk/src/index.js";

const WAD = 10n ** 18n;
const UNITS = [10n ** 6n, 10n ** 8n] as const; // USD, XBT
const FAR_EXPIRY = 2 ** 40 - 1;

const { viem, ignition, networkHelpers } = await hre.network.create();

describe("events are sufficient to rebuild balances and positions", () => {
  it("replays every log through the SDK math and matches the chain exactly", async () => {
    const [admin, r0, r1, r2, keeper, a, b, c] = await viem.getWalletClients();
    if (!admin || !r0 || !r1 || !r2 || !keeper || !a || !b || !c) throw new Error("need 8 accounts");
    const lucent = await ignition.deploy(LucentModule, lucentParameters({ reporters: [r0, r1, r2] }));
    const { clearinghouse, usd, xbt, btcOracle, ethOracle, keeperRegistry } = lucent;
    const publicClient = await viem.getPublicClient();
    const domain = lucentDomain({ chainId: await publicClient.getChainId(), clearinghouse: clearinghouse.address });
    const report = async (btc: bigint, eth: bigint) => {
      for (const r of [r0, r1, r2]) {
        await btcOracle.write.report([btc], { account: r.account });
        await ethOracle.write.report([eth], { account: r.account });
      }
    };
    await report(100_000n * WAD, 4_000n * WAD);
    await keeperRegistry.write.register({ account: keeper.account, value: DEFAULTS.minBond });
    for (const t of [a, b, c]) {
      await usd.write.mint([t.account.address, 2_000_000n * UNITS[0]]);
      await xbt.write.mint([t.account.address, 200n * UNITS[1]]);
      await usd.write.approve([clearinghouse.address, 2_000_000n * UNITS[0]], { account: t.account });
      await xbt.write.approve([clearinghouse.address, 200n * UNITS[1]], { account: t.account });
      await clearinghouse.write.deposit([0, 0, 1_000_000n * UNITS[0]], { account: t.account });
      await clearinghouse.write.deposit([1, 0, 100n * UNITS[1]], { account: t.account });
    }

    const nonces = new Map<Address, bigint>();
    let batchIndex = 0n;
    type Trader = typeof a;
    const signed = async (t: Trader, market: number, isBuy: boolean, size: bigint, price: bigint, flags = 0) => {
      const nonce = nonces.get(t.account.address) ?? 0n;
      nonces.set(t.account.address, nonce + 1n);
      const order: Order = {
        trader: t.account.address,
        subaccount: 0,
        market,
        isBuy,
        size,
        limitPrice: price,
        flags,
        nonce,
        expiry: FAR_EXPIRY,
        keeper: zeroAddress,
      };
      return { order, signature: (await signOrder({ signer: t, domain, order })).signature };
    };
    // [maker, taker, market, makerBuys, size, price, takerFlags]
    type Spec = [Trader, Trader, number, boolean, bigint, bigint, number?];
    const settle = async (specs: Spec[]) => {
      const fills: Fill[] = [];
      for (const [maker, taker, market, makerBuys, size, price, takerFlags] of specs) {
        const m = await signed(maker, market, makerBuys, size, price);
        const t = await signed(
          taker,
          market,
          !makerBuys,
          takerFlags === undefined ? size : size * 2n,
          price,
          takerFlags,
        );
        fills.push({ size, maker: m, taker: t });
      }
      await clearinghouse.write.settleBatch([batchIndex++, encodeBatch({ fills })], { account: keeper.account });
    };
    const later = async (seconds: number, btc: bigint, eth: bigint) => {
      await networkHelpers.time.increase(seconds);
      await report(btc, eth);
    };

    const BTC = 100_000n * WAD;
    await settle([
      [a, b, 0, true, 30n, BTC],
      [b, c, 1, false, 5_000n, BTC],
      [c, a, 2, true, 20_000n, 4_000n * WAD],
    ]);
    await later(3 * 3600, 101_000n * WAD, 4_100n * WAD);
    await settle([
      [b, a, 0, true, 12n, 101_000n * WAD], // a reduces its long
      [a, c, 1, true, 2_000n, 101_000n * WAD],
      [a, b, 2, false, 35_000n, 4_100n * WAD, 4], // IOC taker, half filled: a flips to short
    ]);
    await clearinghouse.write.transfer([0, 0, 1, 50_000n * UNITS[0]], { account: b.account });
    await later(9 * 3600, 99_000n * WAD, 3_950n * WAD);
    await settle([
      [c, a, 0, false, 18n, 99_000n * WAD], // a closes what is left
      [c, b, 1, true, 5_000n, 99_000n * WAD],
      [b, c, 2, true, 15_000n, 3_950n * WAD],
    ]);
    await clearinghouse.write.withdraw([0, 0, 1_000n * UNITS[0], a.account.address], { account: a.account });
    await later(5 * 3600, 99_500n * WAD, 3_990n * WAD);
    await settle([[a, c, 0, false, 7n, 99_500n * WAD]]);

    // ---- rebuild from logs alone
    // Through the SDK's decoder: a batch's fills are one FillsSettled log, decoded into FillSettled events.
    const logs = decodeLucentLogs({
      logs: await publicClient.getLogs({ address: clearinghouse.address, fromBlock: 0n }),
      address: clearinghouse.address,
    });
    const funding = new Map<string, bigint>(); // `${tx}:${market}` → cumulative funding after that batch
    for (const log of logs) {
      if (log.eventName === "MarketUpdated")
        funding.set(`${log.transactionHash}:${log.args.marketId}`, log.args.cumulativeFunding!);
    }
    const balances = new Map<Hex, bigint>();
    const positions = new Map<string, { size: bigint; basis: bigint; snapshot: bigint }>();
    const insurance = [0n, 0n];
    const credit = (id: Hex, amount: bigint) => balances.set(id, (balances.get(id) ?? 0n) + amount);
    const collateralOf = (id: Hex) => Number((BigInt(id) >> 8n) & 0xffn);
    const applySide = (id: Hex, market: number, delta: bigint, price: bigint, fee: bigint, cumulative: bigint) => {
      const spec = MARKETS[market]!;
      const unit = UNITS[spec.collateral];
      const key = `${id}:${market}`;
      const p = positions.get(key) ?? { size: 0n, basis: 0n, snapshot: 0n };
      const owed = fundingOwed(p.size, cumulative, p.snapshot, unit);
      const t = applyTrade(spec.kind, spec.multiplier, unit, p.size, p.basis, delta, price);
      credit(id, t.realizedPnl - owed - fee);
      positions.set(key, { size: t.size, basis: t.basis, snapshot: cumulative });
    };
    for (const log of logs) {
      switch (log.eventName) {
        case "Deposited":
          credit(log.args.account!, log.args.amount!);
          break;
        case "Withdrawn":
          credit(log.args.account!, -log.args.amount!);
          break;
        case "Transferred":
          credit(log.args.from!, -log.args.amount!);
          credit(log.args.to!, log.args.amount!);
          break;
        case "FillSettled": {
          const trade = log.args.trade!;
          const market = Number(trade >> 248n);
          const size = (trade >> 184n) & ((1n << 64n) - 1n);
          const price = (trade >> 56n) & ((1n << 128n) - 1n);
          const takerBuys = (trade & 1n) === 1n;
          const cumulative = funding.get(`${log.transactionHash}:${market}`);
          if (cumulative === undefined) throw new Error("a fill without its market's update");
          const fees = log.args.fees!;
          applySide(log.args.maker!, market, takerBuys ? -size : size, price, fees >> 128n, cumulative);
          applySide(log.args.taker!, market, takerBuys ? size : -size, price, fees & ((1n << 128n) - 1n), cumulative);
          break;
        }
        case "FeesDistributed": {
          const keeperId = (BigInt(log.args.keeper!) << 16n) | (BigInt(log.args.collateral!) << 8n);
          credit(`0x${keeperId.toString(16).padStart(64, "0")}`, log.args.keeperShare!);
          insurance[log.args.collateral!] = insurance[log.args.collateral!]! + log.args.insuranceShare!;
          break;
        }
      }
    }

    // ---- compare with the chain
    expect(logs.filter((log) => log.eventName === "FillSettled")).toHaveLength(10); // nothing was skipped
    expect(balances.size).toBeGreaterThanOrEqual(8); // 3 traders × 2 tokens, b's second subaccount, the keeper
    for (const [id, balance] of balances) {
      const [onChain] = await clearinghouse.read.account([id]);
      expect({ id, balance }).toEqual({ id, balance: onChain });
    }
    let open = 0;
    for (const [key, p] of positions) {
      const [id, market] = key.split(":") as [Hex, string];
      const [size, basis, snapshot] = await clearinghouse.read.position([id, Number(market)]);
      expect({ key, ...p }).toEqual({ key, size, basis, snapshot });
      if (p.size !== 0n) ++open;
    }
    expect(open).toBeGreaterThan(0);
    expect(positions.get(`${[...balances.keys()][0]}:0`)).toBeDefined();
    for (const collateral of [0, 1]) {
      expect(insurance[collateral]).toBe(await clearinghouse.read.insuranceFund([collateral]));
    }
    // Funding really moved, so the replay exercised it.
    expect([...funding.values()].some((f) => f !== 0n)).toBe(true);
  });
});
