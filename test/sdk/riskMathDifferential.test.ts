// Differential suite for the risk math: the SDK mirrors (sdk/src/math/liquidationMath.ts, sdk/src/adl/adlScore.ts,
// sdk/src/adl/allocateAdl.ts) against contracts/libraries/LiquidationMath.sol and AdlMath.sol through
// `RiskMathHarness` on the in-process EDR chain. Seeded random vectors — realistic positions of the three contract
// kinds, negative equity, inverse positions without a bankruptcy price, and edge magnitudes — must give identical
// results on both sides, and both sides must revert/throw for the same inputs with the same error.
import hre from "hardhat";
import { BaseError, ContractFunctionRevertedError } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import {
  MAX_INT256,
  MAX_UINT256,
  MIN_INT256,
  MarketKind,
  MathError,
  notional,
  signedValue,
  liquidationMath,
} from "../../sdk/src/index.js";
import { sadd, sdiv, smul, ssub, sneg, udiv, umul, usub } from "../../sdk/src/math/checked.js";
import { adlScore, createAdlScorer } from "../../sdk/src/adl/adlScore.js";
import { AdlPolicy, allocateAdl } from "../../sdk/src/adl/allocateAdl.js";
import { vectorSource } from "./fixtures/randomVectors.js";

const { MAX_PRICE, bankruptcyPrice, partialCloseSize } = liquidationMath;

const BATCH = 250;
const SEED = 0x71d4a;
const W = 10n ** 18n;

const { viem } = await hre.network.create();
const harness = await viem.deployContract("RiskMathHarness");
// Loosely typed handle: the cases below pass argument tuples built generically.
const read = harness.read as unknown as Record<string, (args: readonly unknown[]) => Promise<unknown>>;

const { randInt, pick, chance, digits, maybeRound } = vectorSource(SEED);
const min256 = (x: bigint): bigint => (x > MAX_UINT256 ? MAX_UINT256 : x);
const signed = (x: bigint): bigint => (chance(0.5) ? -x : x);
/** `x · num / den` for a fraction drawn in [lo, hi] (per mille), truncated. */
function fraction(x: bigint, loPerMille: number, hiPerMille: number): bigint {
  return (x * BigInt(loPerMille + randInt(hiPerMille - loPerMille + 1))) / 1000n;
}

const UINT_EDGES = [0n, 1n, 2n, W, W * W, MAX_PRICE, MAX_PRICE + 1n, MAX_INT256, MAX_UINT256];
const INT_EDGES = [0n, 1n, -1n, MAX_INT256, MIN_INT256, MIN_INT256 + 1n, 1n << 128n, -(1n << 128n)];
const EDGE = 0.04;
const uEdge = (gen: () => bigint): bigint => (chance(EDGE) ? pick(UINT_EDGES) : gen());
const sEdge = (gen: () => bigint): bigint => (chance(EDGE) ? pick(INT_EDGES) : gen());

/** The devnet's three markets (ignition/modules/Lucent.ts), and random ones. */
const MARKETS = [
  { kind: MarketKind.Linear, multiplier: W / 1000n, unit: 10n ** 6n }, // BTC-USD in USD
  { kind: MarketKind.Inverse, multiplier: W, unit: 10n ** 8n }, // XBTUSD in XBT
  { kind: MarketKind.Quanto, multiplier: 10n ** 12n, unit: 10n ** 8n }, // ETHUSD in XBT
] as const;
function market(kind: MarketKind): { kind: MarketKind; multiplier: bigint; unit: bigint } {
  if (chance(0.5)) return MARKETS[kind];
  return {
    kind,
    multiplier: uEdge(() => maybeRound(digits(10, 25))),
    unit: chance(EDGE) ? pick(UINT_EDGES) : 10n ** BigInt(randInt(19)),
  };
}
const price = () => uEdge(() => maybeRound(digits(15, 25))); // $0.001 .. $10^7
const size = () => sEdge(() => maybeRound(signed(digits(1, chance(0.8) ? 7 : 18))));

// ---------------------------------------------------------------- running both sides

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function describeError(errorName: string, args: readonly unknown[] | undefined): string {
  return `${errorName}(${(args ?? []).map(String).join(",")})`;
}

function runTs(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (error instanceof MathError) return { ok: false, error: describeError(error.errorName, error.args) };
    throw error;
  }
}

async function runChain(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error instanceof BaseError) {
      const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
      if (reverted instanceof ContractFunctionRevertedError) {
        const data = reverted.data;
        return { ok: false, error: data ? describeError(data.errorName, data.args) : `raw(${reverted.raw ?? "0x"})` };
      }
    }
    throw error;
  }
}

type Case = { fn: string; args: readonly unknown[]; ts: () => unknown };
type Mismatch = { fn: string; args: readonly unknown[]; ts: Outcome; chain: Outcome };

const stringify = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x));

const totals = { vectors: 0, reverts: 0 };
/** What each function's vectors reached (results worth seeing covered, and revert kinds). */
const coverage = new Map<string, Map<string, number>>();
function cover(fn: string, what: string): void {
  const kinds = coverage.get(fn) ?? new Map<string, number>();
  kinds.set(what, (kinds.get(what) ?? 0) + 1);
  coverage.set(fn, kinds);
}

/** Runs `cases` on chain (`BATCH` calls in flight) and in TypeScript; returns the mismatches. */
async function differential(cases: readonly Case[], classify?: (c: Case, o: Outcome) => string | undefined) {
  const mismatches: Mismatch[] = [];
  for (let i = 0; i < cases.length; i += BATCH) {
    const batch = cases.slice(i, i + BATCH);
    const chain = await Promise.all(batch.map((c) => runChain(() => read[c.fn]!(c.args))));
    batch.forEach((c, j) => {
      const chainOutcome = chain[j]!;
      const tsOutcome = runTs(c.ts);
      totals.vectors += 1;
      if (!chainOutcome.ok) {
        totals.reverts += 1;
        cover(c.fn, chainOutcome.error.startsWith("Panic") ? chainOutcome.error : "revert");
      } else {
        const label = classify?.(c, chainOutcome);
        if (label !== undefined) cover(c.fn, label);
      }
      if (stringify(tsOutcome) !== stringify(chainOutcome)) {
        mismatches.push({ fn: c.fn, args: c.args, ts: tsOutcome, chain: chainOutcome });
      }
    });
  }
  return mismatches;
}

function expectNoMismatch(mismatches: Mismatch[]) {
  if (mismatches.length > 0) {
    console.error(
      `${mismatches.length} mismatches, first ones:\n` +
        mismatches
          .slice(0, 5)
          .map((m) => `${m.fn}${stringify(m.args)}\n  ts:    ${stringify(m.ts)}\n  chain: ${stringify(m.chain)}`)
          .join("\n"),
    );
  }
  expect(mismatches.length).toBe(0);
}

function covered(fn: string, what: string): number {
  return coverage.get(fn)?.get(what) ?? 0;
}

const started = performance.now();
afterAll(() => {
  console.log(
    `risk math differential: ${totals.vectors} vectors (${totals.reverts} reverting) in ${((performance.now() - started) / 1000).toFixed(1)} s\n` +
      [...coverage]
        .map(
          ([fn, kinds]) =>
            `  ${fn}: ${[...kinds]
              .sort()
              .map(([k, n]) => `${k} ×${n}`)
              .join(", ")}`,
        )
        .join("\n"),
  );
});

// ---------------------------------------------------------------- vectors

/**
 * A position of `kind` and its holder's equity. Mostly a realistic one: equity as a fraction of the position's
 * value between −150 % and +150 % (so under water, around maintenance margin, and above the whole value, where
 * an inverse short or an under-water inverse long has no bankruptcy price); sometimes arbitrary magnitudes.
 */
function bankruptcyVector(kind: MarketKind): readonly [MarketKind, bigint, bigint, bigint, bigint, bigint] {
  const m = market(kind);
  const sz = size();
  const mark = price();
  let equity: bigint;
  if (chance(0.75)) {
    let value = 0n;
    try {
      value = notional(m.kind, m.multiplier, sz, mark === 0n ? 1n : mark, m.unit);
    } catch {
      value = digits(1, 20);
    }
    equity = pick([
      () => fraction(value, 0, 100), // below 10 %: where liquidations happen
      () => fraction(value, 0, 1500),
      () => -fraction(value, 0, 1500),
      () => value + BigInt(randInt(3)) - 1n, // around the whole value
      () => -value + BigInt(randInt(3)) - 1n,
      () => BigInt(randInt(5)) - 2n,
    ])();
    if (equity > MAX_INT256 || equity < MIN_INT256) equity = sEdge(() => signed(digits(1, 30)));
  } else {
    equity = sEdge(() => maybeRound(signed(digits(1, chance(0.7) ? 25 : 60))));
  }
  return [m.kind, m.multiplier, m.unit, sz, mark, equity];
}

function classifyPrice(c: Case, o: Outcome): string | undefined {
  if (!o.ok) return undefined;
  const [kind, , , sz, mark, equity] = c.args as readonly [MarketKind, bigint, bigint, bigint, bigint, bigint];
  const p = o.value as bigint;
  const name = ["linear", "inverse", "quanto"][kind]!;
  const side = sz > 0n ? "long" : "short";
  if (p === MAX_PRICE) return `${name} ${side} MAX_PRICE${equity < 0n ? " (equity < 0)" : ""}`;
  if (p === 1n) return `${name} ${side} 1`;
  if (p === mark) return `${name} at mark`;
  return `${name} ${side} ${equity < 0n ? "equity < 0" : "equity ≥ 0"}`;
}

/** A liquidation's partial close: deficit a share of the position's notional, rates as markets set them. */
function partialCloseVector(): readonly [bigint, bigint, bigint, bigint, bigint, bigint] {
  const lot = chance(0.6) ? 1n : uEdge(() => pick([10n, 100n, 1000n, digits(1, 6)]));
  const absSize = uEdge(() => {
    const s = maybeRound(digits(1, chance(0.8) ? 9 : 19));
    return chance(0.5) && lot > 0n && lot < 10n ** 20n ? (s / lot + 1n) * lot : s;
  });
  const positionNotional = uEdge(() => maybeRound(digits(1, chance(0.8) ? 16 : 40)));
  const imRate = uEdge(() => pick([W / 10n, W / 20n, W / 50n, W, digits(1, 18)]));
  const feeRate = uEdge(() =>
    pick([W / 100n, 0n, imRate, imRate === MAX_UINT256 ? imRate : imRate + 1n, digits(1, 17)]),
  );
  const deficit = uEdge(() =>
    // Mostly up to 110 % of the margin the whole position's close would release: partial closes and whole ones.
    chance(0.8)
      ? min256(fraction((positionNotional * imRate) / W, 1, 1100) + BigInt(randInt(2)))
      : maybeRound(digits(1, 40)),
  );
  return [absSize, lot, deficit, positionNotional, imRate, feeRate];
}

/** docs/adl.md's score, inline and literal, for raw (markValue, basis, equity) at any magnitude. */
function referenceScore(markValue: bigint, basis: bigint, equity: bigint): bigint {
  const pnl = ssub(markValue, basis);
  let absEntry = basis < 0n ? sneg(basis) : basis;
  if (absEntry === 0n) absEntry = 1n;
  let absMark = markValue < 0n ? sneg(markValue) : markValue;
  if (absMark === 0n) absMark = 1n;
  const eq = equity < 1n ? 1n : equity;
  let pnlPct = sdiv(smul(pnl, W), absEntry);
  if (pnlPct > W * W) pnlPct = W * W;
  if (pnlPct < -W * W) pnlPct = -W * W;
  let leverage = sdiv(smul(absMark, W), eq);
  if (leverage > W * W) leverage = W * W;
  if (leverage < 1n) leverage = 1n;
  return pnl > 0n ? sdiv(smul(pnlPct, leverage), W) : sdiv(smul(pnlPct, W), leverage);
}

/** docs/adl.md's PRO_RATA share, inline: floor(s·C_i/T) − floor(s·C_{i−1}/T), checked like Solidity. */
function referenceShare(shortfall: bigint, cumBefore: bigint, cumAfter: bigint, total: bigint): bigint {
  return usub(udiv(umul(shortfall, cumAfter), total), udiv(umul(shortfall, cumBefore), total));
}

/** A held position at mark: size, a basis from some entry price, and the holder's equity. */
function heldPosition(kind: MarketKind) {
  for (;;) {
    const m = chance(0.7) ? MARKETS[kind] : market(kind);
    const sz = maybeRound(signed(digits(1, chance(0.8) ? 6 : 18)));
    const mark = maybeRound(digits(15, 24));
    const entry = chance(0.2) ? mark : fraction(mark, 500, 1500) || 1n;
    try {
      const basis = signedValue(m.kind, m.multiplier, sz, entry, m.unit, true);
      const value = notional(m.kind, m.multiplier, sz, mark, m.unit);
      const equity = pick([
        () => fraction(value, 1, 2000),
        () => -fraction(value, 0, 500),
        () => 0n,
        () => maybeRound(digits(1, 30)),
      ])();
      signedValue(m.kind, m.multiplier, sz, mark, m.unit, false); // must not throw: the contract read it
      return { ...m, size: sz, basis, mark, equity };
    } catch {
      // a combination outside the storage types; draw again
    }
  }
}

// ---------------------------------------------------------------- the functions

describe("SDK risk math ≡ Solidity (RiskMathHarness)", () => {
  it("MAX_PRICE", async () => {
    expect(await read.MAX_PRICE!([])).toBe(MAX_PRICE);
  });

  it("bankruptcyPrice: 1,200 vectors per kind", async () => {
    const fixed: (readonly [MarketKind, bigint, bigint, bigint, bigint, bigint])[] = [
      // SPEC §2 quanto vector and the devnet's markets around bankruptcy.
      [MarketKind.Quanto, 10n ** 12n, 10n ** 8n, -10_000n, 500n * W, 10n ** 8n],
      [MarketKind.Linear, W / 1000n, 10n ** 6n, 900n, 93_500n * W, 4_105n * 10n ** 6n],
      // Inverse long under water by its whole value, and an inverse short with equity above its value.
      [MarketKind.Inverse, W, 10n ** 8n, 10_000n, 10_000n * W, -(10n ** 8n)],
      [MarketKind.Inverse, W, 10n ** 8n, 10_000n, 10_000n * W, -(10n ** 8n) + 1n],
      [MarketKind.Inverse, W, 10n ** 8n, -10_000n, 10_000n * W, 10n ** 8n],
      [MarketKind.Inverse, W, 10n ** 8n, -10_000n, 10_000n * W, 10n ** 8n - 1n],
      // Clamps and reverts.
      [MarketKind.Linear, 1n, 1n, 1n, MAX_PRICE, -1n],
      [MarketKind.Linear, 1n, 1n, -1n, MAX_UINT256, 1n],
      [MarketKind.Linear, 1n, 1n, 1n, W, MIN_INT256],
      [MarketKind.Linear, 0n, 1n, 1n, W, 1n],
      [MarketKind.Inverse, 0n, 1n, 1n, W, 0n],
      [MarketKind.Inverse, 1n, 1n, 1n, MAX_UINT256, 2n],
      [MarketKind.Quanto, 1n, 1n, 0n, W, 0n],
    ];
    const cases: Case[] = [];
    for (const args of fixed) cases.push({ fn: "bankruptcyPrice", args, ts: () => bankruptcyPrice(...args) });
    for (const kind of [MarketKind.Linear, MarketKind.Inverse, MarketKind.Quanto]) {
      for (let i = 0; i < 1_200; i++) {
        const args = bankruptcyVector(kind);
        cases.push({ fn: "bankruptcyPrice", args, ts: () => bankruptcyPrice(...args) });
      }
    }
    expectNoMismatch(await differential(cases, classifyPrice));
    // The vectors reached what they are meant to: both signs of equity on every kind, and no price at all.
    for (const name of ["linear", "inverse", "quanto"]) {
      for (const side of ["long", "short"]) {
        expect(covered("bankruptcyPrice", `${name} ${side} equity < 0`), `${name} ${side} equity < 0`).toBeGreaterThan(
          20,
        );
        expect(covered("bankruptcyPrice", `${name} ${side} equity ≥ 0`), `${name} ${side} equity ≥ 0`).toBeGreaterThan(
          20,
        );
      }
    }
    expect(covered("bankruptcyPrice", "inverse long MAX_PRICE (equity < 0)")).toBeGreaterThan(5);
    expect(covered("bankruptcyPrice", "inverse short MAX_PRICE")).toBeGreaterThan(5);
    expect(covered("bankruptcyPrice", "linear long 1")).toBeGreaterThan(5);
    expect(covered("bankruptcyPrice", "Panic(17)")).toBeGreaterThan(0);
    expect(covered("bankruptcyPrice", "Panic(18)")).toBeGreaterThan(0);
  });

  it("partialCloseSize: 1,500 vectors", async () => {
    const fixed: (readonly [bigint, bigint, bigint, bigint, bigint, bigint])[] = [
      [900n, 1n, 4_310n * 10n ** 6n, 84_150n * 10n ** 6n, W / 10n, W / 100n],
      [10n, 3n, 82n * 10n ** 6n, 1_000n * 10n ** 6n, W / 10n, W / 100n],
      [10n, 0n, 0n, 1_000n, W / 10n, W / 100n],
      [10n, 0n, 1n, 1_000n, W / 10n, W / 100n],
      [MAX_UINT256, MAX_UINT256, MAX_UINT256, 1n, W, 0n],
    ];
    const cases: Case[] = [];
    for (const args of fixed) cases.push({ fn: "partialCloseSize", args, ts: () => partialCloseSize(...args) });
    for (let i = 0; i < 1_500; i++) {
      const args = partialCloseVector();
      cases.push({ fn: "partialCloseSize", args, ts: () => partialCloseSize(...args) });
    }
    expectNoMismatch(
      await differential(cases, (c, o) => {
        const absSize = c.args[0] as bigint;
        return o.ok ? (o.value === absSize ? "whole position" : "partial") : undefined;
      }),
    );
    expect(covered("partialCloseSize", "partial")).toBeGreaterThan(300);
    expect(covered("partialCloseSize", "whole position")).toBeGreaterThan(100);
  });

  it("score ≡ sdk/src/adl adlScore (and its fast-path scorer): 1,500 held positions", async () => {
    const cases: Case[] = [];
    for (let i = 0; i < 1_500; i++) {
      const p = heldPosition(pick([MarketKind.Linear, MarketKind.Inverse, MarketKind.Quanto]));
      // The contract scores `signedValue(..., roundUp = false)` at mark (differentially tested in mathDifferential).
      const markValue = signedValue(p.kind, p.multiplier, p.size, p.mark, p.unit, false);
      cases.push({
        fn: "score",
        args: [markValue, p.basis, p.equity],
        ts: () => {
          const exact = adlScore(p);
          const fast = createAdlScorer(p.kind, p.multiplier, p.unit, p.mark)(p.size, p.basis, p.equity);
          if (fast !== exact) throw new Error(`createAdlScorer ${fast} ≠ adlScore ${exact}`);
          return exact;
        },
      });
    }
    expectNoMismatch(
      await differential(cases, (c, o) => {
        if (!o.ok) return undefined;
        const [markValue, basis, equity] = c.args as readonly [bigint, bigint, bigint];
        const s = o.value as bigint;
        if (equity <= 0n) return "equity ≤ 0";
        return markValue - basis > 0n ? "profitable" : s === 0n ? "flat" : "losing";
      }),
    );
    expect(covered("score", "profitable")).toBeGreaterThan(200);
    expect(covered("score", "losing")).toBeGreaterThan(200);
    expect(covered("score", "equity ≤ 0")).toBeGreaterThan(100);
  });

  it("score ≡ docs/adl.md formula for raw values at any magnitude: 1,200 vectors", async () => {
    const value = () => sEdge(() => maybeRound(signed(digits(1, chance(0.7) ? 20 : 70))));
    const cases: Case[] = [
      [0n, 0n, 0n],
      [1n, 0n, 1n],
      [MAX_INT256, 0n, 1n], // pnl · 1e18 overflows
      [0n, MIN_INT256, 1n], // markValue − basis overflows
      [-1n, MIN_INT256, 1n], // |basis| overflows
      [MIN_INT256, 0n, 1n],
      [10n ** 50n, 1n, 1n], // both clamps
      [1n, 10n ** 50n, MAX_INT256],
    ].map((args) => ({ fn: "score", args, ts: () => referenceScore(...(args as [bigint, bigint, bigint])) }));
    for (let i = 0; i < 1_200; i++) {
      const args = [value(), value(), value()] as const;
      cases.push({ fn: "score", args, ts: () => referenceScore(...args) });
    }
    expectNoMismatch(await differential(cases));
    expect(covered("score", "Panic(17)")).toBeGreaterThan(0);
  });

  it("proRataShare ≡ docs/adl.md formula: 1,200 vectors", async () => {
    const cases: Case[] = [
      [0n, 0n, 0n, 0n], // T = 0
      [3n, 2n, 1n, 3n], // C_i < C_{i−1}
      [MAX_UINT256, 0n, 2n, 3n],
    ].map((args) => ({
      fn: "proRataShare",
      args,
      ts: () => referenceShare(...(args as [bigint, bigint, bigint, bigint])),
    }));
    for (let i = 0; i < 1_200; i++) {
      const total = uEdge(() => maybeRound(digits(1, chance(0.8) ? 12 : 40)));
      const shortfall = chance(0.9) ? fraction(total, 0, 1000) : uEdge(() => digits(1, 40));
      const cumBefore = chance(0.9) ? fraction(total, 0, 1000) : uEdge(() => digits(1, 40));
      const cumAfter = chance(0.9) ? cumBefore + fraction(total - cumBefore, 0, 1000) : uEdge(() => digits(1, 40));
      const args = [shortfall, cumBefore, cumAfter, total] as const;
      cases.push({ fn: "proRataShare", args, ts: () => referenceShare(...args) });
    }
    expectNoMismatch(await differential(cases));
    expect(covered("proRataShare", "Panic(17)")).toBeGreaterThan(0);
    expect(covered("proRataShare", "Panic(18)")).toBeGreaterThan(0);
  });

  it("proRataShare ≡ sdk/src/adl allocateAdl PRO_RATA over whole sides: 150 sides", async () => {
    const mismatches: string[] = [];
    const jobs: (() => Promise<void>)[] = [];
    for (let k = 0; k < 150; k++) {
      const lot = pick([1n, 1n, 10n, 100n]);
      const n = 1 + randInt(pick([3, 10, 40]));
      const sign = chance(0.5) ? 1n : -1n;
      const positions = Array.from({ length: n }, (_, i) => ({
        subaccountId: (BigInt(i + 1) << 16n) | BigInt(randInt(256)), // distinct, in id order
        size: sign * lot * (1n + digits(1, pick([1, 3, 8]))),
        basis: 0n,
        equity: 0n,
      }));
      const totalLots = positions.reduce((t, p) => t + (p.size < 0n ? -p.size : p.size) / lot, 0n);
      const shortfall = lot * (1n + fraction(totalLots - 1n, 0, 1000));
      const { counterparties } = allocateAdl({
        ...MARKETS[MarketKind.Linear],
        mark: W,
        positions,
        policy: AdlPolicy.ProRata,
        shortfall,
        lotSize: lot,
      });
      const bySdk = new Map(counterparties.map((c) => [BigInt(c.subaccountId), c.deleverage]));
      let cumulative = 0n;
      for (const p of positions) {
        const lots = (p.size < 0n ? -p.size : p.size) / lot;
        const args = [shortfall / lot, cumulative, cumulative + lots, totalLots] as const;
        cumulative += lots;
        const id = BigInt(p.subaccountId);
        jobs.push(async () => {
          const lotsOnChain = (await read.proRataShare!(args)) as bigint;
          const sdk = bySdk.get(id) ?? 0n;
          if (lotsOnChain * lot !== sdk) mismatches.push(`side ${k} id ${id}: chain ${lotsOnChain * lot}, sdk ${sdk}`);
        });
      }
      const sum = counterparties.reduce((t, c) => t + c.deleverage, 0n);
      if (sum !== shortfall) mismatches.push(`side ${k}: shares sum to ${sum}, shortfall ${shortfall}`);
    }
    for (let i = 0; i < jobs.length; i += BATCH) await Promise.all(jobs.slice(i, i + BATCH).map((job) => job()));
    totals.vectors += jobs.length;
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
