// End to end, SPEC §7 "the SDK can recompute the decision from chain data alone": deploy through the Ignition
// module on the in-process EDR chain, trade, crash the index, liquidate through the book and ADL with the side
// and sizes the SDK computes (getAdlRanking + allocateAdl), then audit every ADL with `auditAdl`, which rebuilds
// the side from the chain state before the transaction and the transaction's own events. A tampered event stream
// (counterparties swapped, one dropped, a size or a price changed) is reported as the matching discrepancy.
//
// As in liquidation.test.ts the deployment sets `interestRate: 0` (no funding) and `keeperFeeShare: 1`.
import hre from "hardhat";
import { parseEventLogs, type Hex, type Log } from "viem";
import { describe, expect, it } from "vitest";
import { AdlPolicy } from "../../ignition/modules/Lucent.js";
import {
  decodeLucentLogs,
  applyTrade,
  mulRateUp,
  notional,
  signedValue,
  encodeLiquidationFills,
  getEvents,
  subaccountId,
  type LucentClient,
  type LucentEvent,
  type MarketKind,
} from "../../sdk/src/index.js";
import { allocateAdl } from "../../sdk/src/adl/allocateAdl.js";
import { auditAdl, type AdlAuditResult } from "../../sdk/src/adl/auditAdl.js";
import { AdlSideCountMismatchError, getAdlRanking } from "../../sdk/src/adl/getAdlRanking.js";
import { BTCUSD, BTC_PRICE, CRASH, deployBtcShorts, USD, USD_UNIT, WAD } from "./fixtures/btcShorts.js";
import { changeMarketParameters } from "./fixtures/governance.js";

const LISTING_DELAY = 60;

const connection = await hre.network.create();
const { viem, networkHelpers } = connection;

/**
 * BTC-USD at $100,000: the victim longs 900 with $10,000 and mia 300 with $1m; the shorts are bob 600 ($1m, the
 * least levered), carol 300 ($10,000) and dave's subaccount 1 300 ($4,000, the most levered).
 */
async function deployFixture() {
  const f = await deployBtcShorts(connection, { listingDelay: LISTING_DELAY });
  const { lucent, publicClient, sign } = f;
  const { admin, keeper, victim, bob, carol, dave, mia } = f.wallets;
  const [r0, r1, r2] = f.reporters;
  const logs = decodeLucentLogs({ logs: (await publicClient.waitForTransactionReceipt({ hash: f.tradesHash })).logs });
  expect(logs.filter((log) => log.eventName === "FillSettled")).toHaveLength(4);

  const { client, liquidation, id } = f;
  return {
    ...lucent,
    liquidation,
    publicClient,
    client,
    sign,
    id,
    admin,
    reporters: [r0, r1, r2] as const,
    keeper,
    victim: id(victim),
    mia: id(mia),
    bob: id(bob),
    carol: id(carol),
    dave: id(dave, 1),
    wallets: { carol },
  };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

async function report(f: Fixture, price: bigint) {
  for (const reporter of f.reporters.slice(0, 2)) {
    await f.btcOracle.write.report([price], { account: reporter.account });
  }
}

async function setAdlPolicy(f: Fixture, policy: number) {
  const governance = { manager: f.manager.address, registry: f.registry.address, admin: f.admin };
  await changeMarketParameters(connection, governance, BTCUSD, { adlPolicy: policy }, LISTING_DELAY);
}

async function mined(f: Fixture, hash: Hex) {
  const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe("success");
  return parseEventLogs({ abi: f.liquidation.abi, logs: receipt.logs as Log[] });
}

const lower = (ids: readonly Hex[]) => ids.map((x) => x.toLowerCase());

/**
 * RANKED: carol's resting bid takes 100 of the victim's long at $93,000 (less than the partial target, so the
 * rest, 800, goes to ADL: the vault is empty). The side the contract checks is the shorts after that fill:
 * dave 300, carol 200, bob 600, ranked in that order; the 800 take dave's 300, carol's 200 and 300 of bob's.
 */
async function rankedWithBook(f: Fixture) {
  await report(f, CRASH);
  const ranking = await getAdlRanking(f.client, { marketId: BTCUSD });
  expect(lower(ranking.short.map((p) => p.subaccountId))).toEqual(lower([f.dave, f.carol, f.bob]));
  const bid = await f.sign(f.wallets.carol, {
    subaccount: 0,
    market: BTCUSD,
    isBuy: true,
    size: 100n,
    limitPrice: 93_000n * WAD,
  });
  const book = encodeLiquidationFills({ fills: [{ size: 100n, maker: bid }] });
  // The keeper's plan: the side after the book fill, in ranked order, sized by allocateAdl.
  const [raw] = await f.registry.read.market([BigInt(BTCUSD)]);
  const config = { ...raw, kind: raw.kind as MarketKind };
  const fillPrice = 93_000n * WAD;
  const side = ranking.short.map((p) => {
    if (p.subaccountId.toLowerCase() !== f.carol.toLowerCase()) return p;
    // carol buys back 100 at $93,000: PositionMath for her position, the maker fee from her balance.
    const t = applyTrade(config.kind, config.multiplier, USD_UNIT, p.size, p.basis, 100n, fillPrice);
    const fee = mulRateUp(notional(config.kind, config.multiplier, 100n, fillPrice, USD_UNIT), config.makerFeeRate);
    const value = (size: bigint) =>
      signedValue(config.kind, config.multiplier, size, ranking.markPrice, USD_UNIT, false);
    const equity = p.equity - (value(p.size) - p.basis) + t.realizedPnl - fee + (value(t.size) - t.basis);
    return { ...p, size: t.size, basis: t.basis, equity };
  });
  const { counterparties } = allocateAdl({
    kind: 0,
    multiplier: WAD / 1000n,
    unit: USD_UNIT,
    mark: ranking.markPrice,
    positions: side,
    policy: AdlPolicy.Ranked,
    shortfall: 800n,
  });
  const order = side.map((p) => p.subaccountId);
  const sizes = counterparties.map((c) => c.deleverage);
  expect(sizes).toEqual([300n, 200n, 300n]);
  const hash = await f.liquidation.write.liquidate([f.victim, BTCUSD, book, order, sizes], {
    account: f.keeper.account,
  });
  const logs = await mined(f, hash);
  expect(logs.filter((log) => log.eventName === "FillSettled")).toHaveLength(1);
  expect(logs.filter((log) => log.eventName === "AdlCounterparty")).toHaveLength(3);
  return { hash, ranking };
}

function verifiedOnly(results: readonly AdlAuditResult[]) {
  return results.map((r) =>
    r.status === "discrepancy" ? r.discrepancies : r.status === "unverifiable" ? r.reason : r.status,
  );
}

describe("getAdlRanking (SPEC §7: queue position from chain state)", () => {
  it("both sides in policy order with rank and indicator, at the latest and at a past block", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const traded = await f.publicClient.getBlockNumber();
    await report(f, CRASH);
    const ranking = await getAdlRanking(f.client, { marketId: BTCUSD });
    expect(ranking.policyName).toBe("ranked");
    expect(ranking.markPrice).toBe(CRASH);
    expect(ranking.short.map((p) => [p.subaccountId.toLowerCase(), p.size, p.rank, p.indicator])).toEqual([
      [f.dave.toLowerCase(), -300n, 0, 5],
      [f.carol.toLowerCase(), -300n, 1, 4],
      [f.bob.toLowerCase(), -600n, 2, 2],
    ]);
    // Profitable shorts: positive scores, descending; each equity is the chain's accountHealth.
    const scores = ranking.short.map((p) => p.score!);
    expect(scores[0]! > scores[1]! && scores[1]! > scores[2]! && scores[2]! > 0n).toBe(true);
    const [daveEquity] = await f.clearinghouse.read.accountHealth([f.dave]);
    expect(ranking.short[0]!.equity).toBe(daveEquity);
    // The losing longs score PnL% / leverage (≤ 0): the victim, far more levered, is nearer zero and first.
    expect(lower(ranking.long.map((p) => p.subaccountId))).toEqual(lower([f.victim, f.mia]));
    expect(ranking.long.every((p) => p.score! <= 0n)).toBe(true);

    // At the block of the trades the mark was $100,000: every PnL zero, ties broken by id.
    const past = await getAdlRanking(f.client, { marketId: BTCUSD, blockNumber: traded });
    expect(past.markPrice).toBe(BTC_PRICE);
    expect(past.short.map((p) => p.score)).toEqual([0n, 0n, 0n]);
    const byId = [f.bob, f.carol, f.dave].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(lower(past.short.map((p) => p.subaccountId))).toEqual(lower(byId));
    const empty = await getAdlRanking(f.client, { marketId: BTCUSD, blockNumber: traded - 1n });
    expect([empty.long, empty.short]).toEqual([[], []]);
  });

  it("PRO_RATA orders by id without scores; a count that disagrees with sideHolders is a typed error", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await setAdlPolicy(f, AdlPolicy.ProRata);
    const ranking = await getAdlRanking(f.client, { marketId: BTCUSD });
    const byId = [f.bob, f.carol, f.dave].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(lower(ranking.short.map((p) => p.subaccountId))).toEqual(lower(byId));
    expect(ranking.short.map((p) => [p.score, p.rank, p.indicator])).toEqual([
      [null, 0, 5],
      [null, 1, 4],
      [null, 2, 2],
    ]);
    // A log source that loses the batch: no holder is found, the chain counts 2 longs and 3 shorts.
    const blind: LucentClient = {
      ...f.client,
      publicClient: { ...f.client.publicClient, getLogs: async () => [] } as unknown as LucentClient["publicClient"],
    };
    const error = await getAdlRanking(blind, { marketId: BTCUSD }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdlSideCountMismatchError);
    expect(error).toMatchObject({ side: "long", onChain: 2n, found: 0 });
  });
});

describe("auditAdl (SPEC §7: every ADL verified from chain data alone)", () => {
  it("RANKED after a book fill by a position on the side: verified, with the recomputed selection", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const { hash } = await rankedWithBook(f);
    const results = await auditAdl(f.client);
    expect(verifiedOnly(results)).toEqual(["verified"]);
    const [r] = results;
    expect(r).toMatchObject({ transactionHash: hash, marketId: BTCUSD, shortfall: 800n, policy: AdlPolicy.Ranked });
    expect(r!.expected.map((c) => [(c.subaccountId as Hex).toLowerCase(), c.deleverage, c.rank])).toEqual([
      [f.dave.toLowerCase(), 300n, 0],
      [f.carol.toLowerCase(), 200n, 1],
      [f.bob.toLowerCase(), 300n, 2],
    ]);
    // The audited range matters: nothing before the liquidation block.
    expect(await auditAdl(f.client, { toBlock: r!.blockNumber - 1n })).toEqual([]);
  });

  it("PRO_RATA: every short cut by its share in id order, verified", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await setAdlPolicy(f, AdlPolicy.ProRata);
    await report(f, CRASH);
    const ranking = await getAdlRanking(f.client, { marketId: BTCUSD });
    const { counterparties } = allocateAdl({
      kind: 0,
      multiplier: WAD / 1000n,
      unit: USD_UNIT,
      mark: ranking.markPrice,
      positions: ranking.short,
      policy: AdlPolicy.ProRata,
      shortfall: 900n,
    });
    // floor(900·C_i/1200) − floor(900·C_{i−1}/1200) over the id order.
    expect(counterparties.reduce((a, c) => a + c.deleverage, 0n)).toBe(900n);
    const hash = await f.liquidation.write.liquidate(
      [f.victim, BTCUSD, "0x", ranking.short.map((p) => p.subaccountId), counterparties.map((c) => c.deleverage)],
      { account: f.keeper.account },
    );
    await mined(f, hash);
    const results = await auditAdl(f.client);
    expect(verifiedOnly(results)).toEqual(["verified"]);
    expect(results[0]!.actual.map((a) => a.score)).toEqual(counterparties.map(() => 0n));
  });

  it("a tampered event stream: each change is reported as the matching discrepancy", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await rankedWithBook(f);
    const events = await getEvents(f.client);
    const counterparties = events.filter((e) => e.eventName === "AdlCounterparty");
    expect(counterparties).toHaveLength(3);
    const [first, second, third] = counterparties as [CounterpartyEvent, CounterpartyEvent, CounterpartyEvent];
    const replace = (changes: Map<LucentEvent, LucentEvent | undefined>) =>
      events.flatMap((e) => (changes.has(e) ? (changes.get(e) === undefined ? [] : [changes.get(e)!]) : [e]));
    const audit = async (stream: LucentEvent[]) => {
      const [r] = await auditAdl(f.client, { events: stream });
      expect(r!.status).toBe("discrepancy");
      return r!.status === "discrepancy" ? r!.discrepancies : [];
    };
    const price = first.args.price;

    // Two counterparties swapped: the contract's second is reported where the first belongs.
    const swapped = await audit(
      replace(
        new Map<LucentEvent, LucentEvent>([
          [first, { ...first, args: second.args }],
          [second, { ...second, args: first.args }],
        ]),
      ),
    );
    expect(swapped).toEqual([{ kind: "wrong-order", index: 0, expected: f.dave, actual: f.carol }]);

    // One dropped: carol, second in the ranking, was skipped.
    expect(await audit(replace(new Map([[second, undefined]])))).toEqual([
      { kind: "skipped-position", subaccount: f.carol, expectedRank: 1 },
    ]);

    // A size changed: bob cut by 301 instead of 300 (over), or by 299 (mismatch).
    const resized = (size: bigint) => replace(new Map([[third, { ...third, args: { ...third.args, size } }]]));
    expect(await audit(resized(301n))).toEqual([
      { kind: "over-deleveraged", subaccount: f.bob, expected: 300n, actual: 301n },
    ]);
    expect(await audit(resized(299n))).toEqual([
      { kind: "size-mismatch", subaccount: f.bob, expected: 300n, actual: 299n },
    ]);

    // A price changed: not the bankruptcy price.
    const repriced = replace(new Map([[first, { ...first, args: { ...first.args, price: price + 1n } }]]));
    expect(await audit(repriced)).toEqual([{ kind: "wrong-price", expected: price, actual: price + 1n }]);
  });

  it("an ADL after another Lucent transaction in the same block is unverifiable, with the reason", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await report(f, CRASH);
    const ranking = await getAdlRanking(f.client, { marketId: BTCUSD });
    const { counterparties } = allocateAdl({
      kind: 0,
      multiplier: WAD / 1000n,
      unit: USD_UNIT,
      mark: ranking.markPrice,
      positions: ranking.short,
      policy: AdlPolicy.Ranked,
      shortfall: 900n,
    });
    const provider = connection.provider;
    await provider.request({ method: "evm_setAutomine", params: [false] });
    try {
      const gas = 5_000_000n;
      await f.btcOracle.write.report([CRASH], { account: f.reporters[2].account, gas });
      await f.liquidation.write.liquidate(
        [f.victim, BTCUSD, "0x", ranking.short.map((p) => p.subaccountId), counterparties.map((c) => c.deleverage)],
        { account: f.keeper.account, gas },
      );
      await provider.request({ method: "evm_mine", params: [] });
    } finally {
      await provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const results = await auditAdl(f.client);
    expect(results).toHaveLength(1);
    expect(results[0]!.status).toBe("unverifiable");
    expect(results[0]!.status === "unverifiable" && results[0]!.reason).toMatch(/earlier transaction/);
  });
});

type CounterpartyEvent = Extract<LucentEvent, { eventName: "AdlCounterparty" }>;
