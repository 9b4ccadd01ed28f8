import { numberToHex } from "viem";
import { describe, expect, it } from "vitest";
import { MarketKind, signedValue } from "../math/contractMath.js";
import { adlScore } from "./adlScore.js";
import { AdlEmptyPositionError, AdlMixedSidesError, InvalidAdlInputError } from "./errors.js";
import { type AdlMarket, type AdlPosition, adlIndicator, rankAdlSide } from "./rankAdlSide.js";
import { prng } from "../../../test/sdk/fixtures/randomVectors.js";

const WAD = 10n ** 18n;
const XBT = 10n ** 8n;
const quanto: AdlMarket = { kind: MarketKind.Quanto, multiplier: 10n ** 12n, unit: XBT };

/** The definition, slowly: exact scores, sorted by score descending then id ascending. */
function naiveRanking(market: AdlMarket, mark: bigint, positions: readonly AdlPosition[]) {
  return positions
    .map((p) => ({ id: BigInt(p.subaccountId), score: adlScore({ ...market, mark, ...p }) }))
    .sort((a, b) => (a.score !== b.score ? (a.score > b.score ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

describe("rankAdlSide", () => {
  const mark = 600n * WAD;
  // Longs in ETHUSD/XBT, all entered at $500 (basis 5e-4 XBT per contract... 10,000 contracts = 5 XBT).
  const side: AdlPosition[] = [
    { subaccountId: 5n, size: 10_000n, basis: 5n * XBT, equity: 2n * XBT }, // +20 % × 3 = 0.6
    { subaccountId: 3n, size: 10_000n, basis: 5n * XBT, equity: 6n * XBT }, // +20 % × 1 = 0.2
    { subaccountId: 9n, size: 10_000n, basis: 7n * XBT, equity: 6n * XBT }, // losing: −1/7 / 1
    { subaccountId: 1n, size: 10_000n, basis: 5n * XBT, equity: 6n * XBT }, // tie with id 3
    { subaccountId: "0x02", size: 20_000n, basis: 10n * XBT, equity: 12n * XBT }, // 0.2 as well (hex id)
  ];

  it("orders by score descending, then SubaccountId ascending, with rank and indicator", () => {
    const ranked = rankAdlSide({ ...quanto, mark, positions: side });
    expect(ranked.map((r) => r.subaccountId)).toEqual([5n, 1n, "0x02", 3n, 9n]);
    expect(ranked.map((r) => r.score)).toEqual([
      6n * 10n ** 17n,
      2n * 10n ** 17n,
      2n * 10n ** 17n,
      2n * 10n ** 17n,
      ((-(10n ** 18n) / 7n) * WAD) / WAD, // pnlPct = trunc(−1e18 / 7) = −142857142857142857, leverage 1
    ]);
    expect(ranked.map((r) => r.rank)).toEqual([0, 1, 2, 3, 4]);
    expect(ranked.map((r) => r.indicator)).toEqual([5, 4, 3, 2, 1]);
    expect(ranked[0]).toMatchObject({ size: 10_000n, basis: 5n * XBT, equity: 2n * XBT });
  });

  it("indicator is 5 − floor(5 · rank / n)", () => {
    expect(Array.from({ length: 10 }, (_, r) => adlIndicator(r, 10))).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    expect(Array.from({ length: 3 }, (_, r) => adlIndicator(r, 3))).toEqual([5, 4, 2]);
    expect(adlIndicator(0, 1)).toBe(5);
  });

  it("an empty side ranks to an empty list; shorts rank like longs", () => {
    expect(rankAdlSide({ ...quanto, mark, positions: [] })).toEqual([]);
    const shorts = side.map((p) => ({ ...p, size: -p.size, basis: -p.basis }));
    const ranked = rankAdlSide({ ...quanto, mark: 400n * WAD, positions: shorts });
    expect(ranked.map((r) => r.subaccountId)).toEqual(
      naiveRanking(quanto, 400n * WAD, shorts).map(
        (r) => shorts.find((p) => BigInt(p.subaccountId) === r.id)!.subaccountId,
      ),
    );
  });

  it("rejects bad sides with typed errors", () => {
    const p = side[0]!;
    expect(() => rankAdlSide({ ...quanto, mark, positions: [p, { ...p, subaccountId: 6n, size: -1n }] })).toThrow(
      AdlMixedSidesError,
    );
    expect(() => rankAdlSide({ ...quanto, mark, positions: [{ ...p, size: 0n }] })).toThrow(AdlEmptyPositionError);
    expect(() =>
      rankAdlSide({ ...quanto, mark, positions: [{ ...p, subaccountId: "0xzz" as `0x${string}` }] }),
    ).toThrow(InvalidAdlInputError);
    const tooLong = `0x${"1".repeat(65)}` as const;
    expect(() => rankAdlSide({ ...quanto, mark, positions: [{ ...p, subaccountId: tooLong }] })).toThrow(
      InvalidAdlInputError,
    );
    expect(() => rankAdlSide({ ...quanto, mark, positions: [{ ...p, subaccountId: 1n << 256n }] })).toThrow(
      InvalidAdlInputError,
    );
    expect(() => rankAdlSide({ ...quanto, mark, positions: [{ ...p, subaccountId: -1n }] })).toThrow(
      InvalidAdlInputError,
    );
    expect(() => rankAdlSide({ ...quanto, mark, positions: [{ ...p, size: 1 as unknown as bigint }] })).toThrow(
      InvalidAdlInputError,
    );
    expect(() =>
      rankAdlSide({ ...quanto, mark, positions: [{ ...p, equity: undefined as unknown as bigint }] }),
    ).toThrow(/InvalidInput/);
    expect(() => rankAdlSide({ ...quanto, mark: 0n, positions: [p] })).toThrow(/ZeroPrice/);
  });

  it("orders keys closer than the float sort resolves (2^-36) exactly", () => {
    // Large positions whose bases differ by one unit: scores differ by ~1e-14 relative.
    const m: AdlMarket = { kind: MarketKind.Linear, multiplier: WAD, unit: 10n ** 6n };
    const rnd = prng(99);
    const positions: AdlPosition[] = Array.from({ length: 400 }, (_, i) => ({
      subaccountId: BigInt(Math.floor(rnd() * 1e9)) * 1000n + BigInt(i),
      size: 1_000_000_000n,
      basis: 2_000_000_000_000_000n + BigInt(Math.floor(rnd() * 40)),
      equity: 100_000_000_000_000n + BigInt(Math.floor(rnd() * 3)),
    }));
    const markAt = 2_100n * WAD + 123n;
    const ranked = rankAdlSide({ ...m, mark: markAt, positions });
    const expected = naiveRanking(m, markAt, positions);
    expect(ranked.map((e) => BigInt(e.subaccountId))).toEqual(expected.map((e) => e.id));
    expect(new Set(expected.map((e) => e.score)).size).toBeGreaterThan(40); // many distinct, near-equal scores
  });

  // The float path must never change the order: compare with the exact definition on sides built to stress it.
  const markets: (AdlMarket & { mark: bigint; name: string })[] = [
    {
      name: "linear USDC",
      kind: MarketKind.Linear,
      multiplier: WAD / 1000n,
      unit: 10n ** 6n,
      mark: 61_234_567_890_123_456_789_012n,
    },
    {
      name: "inverse XBT",
      kind: MarketKind.Inverse,
      multiplier: WAD,
      unit: XBT,
      mark: 61_234_567_890_123_456_789_012n,
    },
    {
      name: "quanto XBT",
      kind: MarketKind.Quanto,
      multiplier: 10n ** 12n,
      unit: XBT,
      mark: 3_012_345_678_901_234_567_890n,
    },
    { name: "quanto XBT, round mark", kind: MarketKind.Quanto, multiplier: 10n ** 12n, unit: XBT, mark: 500n * WAD },
    {
      name: "linear 18-decimal",
      kind: MarketKind.Linear,
      multiplier: WAD,
      unit: WAD,
      mark: 2_345_678_901_234_567_890_123n,
    },
    { name: "inverse tiny", kind: MarketKind.Inverse, multiplier: 3n, unit: 1n, mark: 7n },
  ];
  for (const market of markets) {
    it(`matches the exact definition on random and near-tie sides: ${market.name}`, () => {
      for (let seed = 1; seed <= 6; seed++) {
        const rnd = prng(seed * 7919 + market.name.length);
        const sign = seed % 2 === 0 ? 1n : -1n;
        const positions: AdlPosition[] = [];
        const n = 600;
        for (let i = 0; i < n; i++) {
          const id = BigInt(Math.floor(rnd() * 1e6)) * 1_000_003n + BigInt(i);
          const subaccountId = rnd() < 0.5 ? id : numberToHex(id, { size: 32 });
          const previous = positions[positions.length - 1];
          const r = rnd();
          if (previous !== undefined && r < 0.25) {
            // Near ties: the previous position nudged by a unit or two, or repeated exactly.
            const d = BigInt(Math.floor(rnd() * 5)) - 2n;
            const which = Math.floor(rnd() * 4);
            const nudged = previous.size + d * sign;
            positions.push({
              subaccountId,
              size: which === 0 && nudged * sign > 0n ? nudged : previous.size,
              basis: which === 1 ? previous.basis + d : previous.basis,
              equity: which === 2 ? previous.equity + d : previous.equity,
            });
            continue;
          }
          const magnitude = r < 0.3 ? 2 ** (rnd() * 62) : Math.exp(rnd() * Math.log(1e6));
          const size = sign * BigInt(Math.max(1, Math.floor(magnitude)));
          const entry = (market.mark * BigInt(Math.floor((0.5 + rnd()) * 1e9))) / 10n ** 9n + 1n;
          const regime = rnd();
          const basis =
            regime < 0.05
              ? 0n
              : regime < 0.15
                ? signedValue(market.kind, market.multiplier, size, market.mark, market.unit, false) +
                  BigInt(Math.floor(rnd() * 3)) -
                  1n
                : signedValue(market.kind, market.multiplier, size, entry, market.unit, true);
          const value = basis < 0n ? -basis : basis;
          const equity =
            rnd() < 0.1 ? -BigInt(Math.floor(rnd() * 1e6)) : (value * 1000n) / BigInt(1 + Math.floor(rnd() * 100_000));
          positions.push({ subaccountId, size, basis, equity });
        }
        const ranked = rankAdlSide({ ...market, positions });
        const expected = naiveRanking(market, market.mark, positions);
        expect(ranked.map((e) => BigInt(e.subaccountId))).toEqual(expected.map((e) => e.id));
        expect(ranked.map((e) => e.score)).toEqual(expected.map((e) => e.score));
        expect(ranked.map((e) => e.rank)).toEqual(expected.map((_, rank) => rank));
      }
    });
  }
});
