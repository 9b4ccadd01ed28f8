// The pure parts of getAdlRanking: who counts as a holder (from events) and the policy order of a side. The
// chain path (reads at a block, the sideHolders cross-check) is tested on the Ignition deployment in
// test/e2e/adlAudit.test.ts.
import { numberToHex, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import type { LucentEvent } from "../actions/decodeLucentLogs.js";
import { MarketKind } from "../math/contractMath.js";
import { adlScore } from "./adlScore.js";
import { AdlPolicy } from "./allocateAdl.js";
import { marketParticipants } from "./auditHolders.js";
import { rankSide } from "./getAdlRanking.js";

const WAD = 10n ** 18n;
const USD = 10n ** 6n;
const id = (owner: number, index = 0): Hex => numberToHex((BigInt(owner) << 16n) | BigInt(index), { size: 32 });
const market = (adlPolicy: AdlPolicy) => ({
  kind: MarketKind.Linear,
  multiplier: WAD / 1000n,
  collateral: { index: 0, token: id(0), decimals: 6, unit: USD, symbol: "USD", insuranceVault: null },
  adlPolicy,
});

describe("marketParticipants", () => {
  const meta = { blockNumber: 1n, blockHash: id(0), transactionHash: id(0), transactionIndex: 0, logIndex: 0 };
  const events = [
    { ...meta, eventName: "FillSettled", args: { maker: id(2), taker: id(1) }, fill: { market: 0 } },
    { ...meta, eventName: "FillSettled", args: { maker: id(9), taker: id(8) }, fill: { market: 1 } },
    { ...meta, eventName: "BackstopTakeover", args: { account: id(1), insurance: id(7), marketId: 0 } },
    { ...meta, eventName: "AdlCounterparty", args: { account: id(1), counterparty: id(3, 1), marketId: 0 } },
    { ...meta, eventName: "Deposited", args: { account: id(5) } },
  ] as unknown as LucentEvent[];

  it("every party of a fill, takeover or ADL in the market, once, by ascending id", () => {
    expect(marketParticipants(events, 0)).toEqual([id(1), id(2), id(3, 1), id(7)]);
    expect(marketParticipants(events, 1)).toEqual([id(8), id(9)]);
    expect(marketParticipants(events, 2)).toEqual([]);
  });

  it("ids differing only in hex case are one subaccount", () => {
    const upper = { ...events[0]!, args: { maker: id(2).toUpperCase().replace("0X", "0x"), taker: id(1) } };
    expect(marketParticipants([events[0]!, upper as LucentEvent], 0)).toEqual([id(1), id(2)]);
  });
});

describe("rankSide", () => {
  const mark = 93_500n * WAD;
  // Shorts from $100,000: the same PnL % (6.5 %), so leverage decides; 3 and 4 tie (lower id first).
  const shorts = [
    { subaccountId: id(4), size: -300n, basis: -30_000n * USD, equity: 10_000n * USD },
    { subaccountId: id(2), size: -600n, basis: -60_000n * USD, equity: 1_000_000n * USD },
    { subaccountId: id(3), size: -300n, basis: -30_000n * USD, equity: 10_000n * USD },
    { subaccountId: id(1, 1), size: -300n, basis: -30_000n * USD, equity: 4_000n * USD },
  ];

  it("RANKED: score descending then id ascending; indicators 5 − floor(5·rank/n); owner and index parsed", () => {
    const ranked = rankSide(market(AdlPolicy.Ranked), mark, shorts);
    expect(ranked.map((e) => [e.subaccountId, e.rank, e.indicator])).toEqual([
      [id(1, 1), 0, 5],
      [id(3), 1, 4],
      [id(4), 2, 3],
      [id(2), 3, 2],
    ]);
    for (const e of ranked) {
      expect(e.score).toBe(adlScore({ kind: MarketKind.Linear, multiplier: WAD / 1000n, unit: USD, mark, ...e }));
    }
    expect(ranked[0]).toMatchObject({ owner: "0x0000000000000000000000000000000000000001", index: 1 });
  });

  it("PRO_RATA: id order, no score", () => {
    const ranked = rankSide(market(AdlPolicy.ProRata), mark, shorts);
    expect(ranked.map((e) => [e.subaccountId, e.score, e.rank])).toEqual([
      [id(1, 1), null, 0],
      [id(2), null, 1],
      [id(3), null, 2],
      [id(4), null, 3],
    ]);
  });

  it("bigint ids come back as 32-byte hex; an empty side is empty", () => {
    const [only] = rankSide(market(AdlPolicy.Ranked), mark, [{ ...shorts[0]!, subaccountId: 0x40000n }]);
    expect(only!.subaccountId).toBe(id(4));
    expect(rankSide(market(AdlPolicy.Ranked), mark, [])).toEqual([]);
  });
});
