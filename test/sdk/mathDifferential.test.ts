// Differential suite: the SDK math mirrors (sdk/src/math) against the Solidity libraries through
// `MathHarness` on the in-process EDR chain. Seeded random vectors in realistic ranges, mixed with edge
// values, must give identical results on both sides, and both sides must revert/throw for the same inputs
// with the same error (custom error name and arguments, or Panic code).
import hre from "hardhat";
import { BaseError, ContractFunctionRevertedError } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import {
  MAX_INT256,
  MAX_UINT256,
  MIN_INT256,
  MAX_FILL_VALUE,
  MathError,
  abs,
  applyFill,
  applyTrade,
  clampPremium,
  contractsForExposure,
  fundingIndexDelta,
  fundingOwed,
  fundingPrecision,
  fundingRate,
  increasesRisk,
  margin,
  markPrice,
  notional,
  pnl,
  premiumSample,
  signedValue,
  unrealizedPnl,
  updatePremiumEma,
  magnitudes,
  valueAndNotional,
  type MarketKind,
} from "../../sdk/src/index.js";
import { vectorSource } from "./fixtures/randomVectors.js";

const VECTORS_PER_FUNCTION = 1_000;
const BATCH = 250;
const SEED = 0x1c3e7;

const { viem } = await hre.network.create();
const harness = await viem.deployContract("MathHarness");
// Loosely typed handle: the cases below pass argument tuples built generically.
const read = harness.read as unknown as Record<string, (args: readonly unknown[]) => Promise<unknown>>;

const { randInt, pick, chance, digits, maybeRound } = vectorSource(SEED);

const UINT_EDGES = [0n, 1n, 2n, 10n ** 18n, 10n ** 36n, 1n << 128n, MAX_INT256, MAX_INT256 + 1n, MAX_UINT256];
const INT_EDGES = [0n, 1n, -1n, MAX_INT256, MIN_INT256, MIN_INT256 + 1n, 1n << 128n, -(1n << 128n)];
const EDGE = 0.06;

const u = (gen: () => bigint): bigint => (chance(EDGE) ? pick(UINT_EDGES) : maybeRound(gen()));
const s = (gen: () => bigint): bigint => (chance(EDGE) ? pick(INT_EDGES) : maybeRound(gen()));
const signed = (x: bigint): bigint => (chance(0.5) ? -x : x);

const kind = (): MarketKind => randInt(3) as MarketKind;
const multiplier = () => u(() => digits(10, 25)); // 1e-9 .. 1e6 in 18 decimals
const price = () => u(() => digits(13, 28)); // 1e-6 .. 1e9 quote units in 18 decimals
const size = () => s(() => (chance(0.05) ? 0n : signed(digits(1, 13)))); // up to 1e12 contracts
const unit = () => (chance(EDGE) ? pick(UINT_EDGES) : 10n ** BigInt(randInt(19))); // 10^0 .. 10^18
const rate = () => u(() => digits(1, 19)); // up to 1e18
const basis = () => s(() => signed(digits(1, 40)));
const exposure = () => u(() => digits(1, 30));
const premium = () => s(() => signed(digits(1, 18))); // ±1 in 18 decimals
const smallRate = () => s(() => signed(digits(1, 17)));
const seconds = () => u(() => (chance(0.1) ? 0n : digits(1, 7)));
const index = () => s(() => signed(digits(1, 32)));
const bool = () => chance(0.5);

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

async function runChain(call: () => Promise<unknown>, normalize: (v: unknown) => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: normalize(await call()) };
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

type Case = { fn: string; args: readonly unknown[] };
type Mismatch = Case & { ts: Outcome; chain: Outcome };

const stringify = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x));

const totals = { vectors: 0, reverts: 0 };
/** Which revert kinds each function reached (so coverage of the error paths is visible). */
const revertKinds = new Map<string, Set<string>>();

async function differential(
  fn: string,
  generate: () => readonly unknown[],
  ts: (...args: never[]) => unknown,
  normalize: (v: unknown) => unknown = (v) => v,
  fixed: readonly (readonly unknown[])[] = [],
): Promise<Mismatch[]> {
  const cases: Case[] = fixed.map((args) => ({ fn, args }));
  while (cases.length < VECTORS_PER_FUNCTION + fixed.length) cases.push({ fn, args: generate() });
  const mismatches: Mismatch[] = [];
  for (let i = 0; i < cases.length; i += BATCH) {
    const batch = cases.slice(i, i + BATCH);
    const results = await Promise.all(
      batch.map(async (c) => {
        const chainOutcome = await runChain(() => read[fn]!(c.args), normalize);
        const tsOutcome = runTs(() => (ts as (...a: unknown[]) => unknown)(...c.args));
        return { ...c, ts: tsOutcome, chain: chainOutcome };
      }),
    );
    for (const r of results) {
      totals.vectors += 1;
      if (!r.chain.ok) {
        totals.reverts += 1;
        const kinds = revertKinds.get(fn) ?? new Set<string>();
        kinds.add(r.chain.error.startsWith("Panic") ? r.chain.error : r.chain.error.replace(/\(.*\)$/, ""));
        revertKinds.set(fn, kinds);
      }
      if (stringify(r.ts) !== stringify(r.chain)) mismatches.push(r);
    }
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

const asTrade = (v: unknown) => {
  const t = v as { size: bigint; basis: bigint; realizedPnl: bigint };
  return { size: t.size, basis: t.basis, realizedPnl: t.realizedPnl };
};
const asMagnitudes = (v: unknown) => {
  const [down, up] = v as readonly [bigint, bigint];
  return { down, up };
};
const asFill = (v: unknown) => {
  const [trade, addsRisk] = v as readonly [unknown, boolean];
  return { ...asTrade(trade), addsRisk };
};
const asValueAndNotional = (v: unknown) => {
  const [valueDown, notionalUp] = v as readonly [bigint, bigint];
  return { valueDown, notionalUp };
};

const started = performance.now();
afterAll(() => {
  console.log(
    `math differential: ${totals.vectors} vectors (${totals.reverts} reverting) in ${((performance.now() - started) / 1000).toFixed(1)} s\n` +
      [...revertKinds].map(([fn, kinds]) => `  ${fn}: ${[...kinds].join(", ")}`).join("\n"),
  );
});

// ---------------------------------------------------------------- the functions

const W = 10n ** 18n;

describe("SDK math ≡ Solidity (MathHarness)", () => {
  it("signedValue", async () => {
    expectNoMismatch(
      await differential(
        "signedValue",
        () => [kind(), multiplier(), size(), price(), unit(), bool()],
        signedValue,
        undefined,
        [
          [2, 10n ** 12n, 10_000n, 500n * W, 10n ** 8n, false],
          [1, W, MIN_INT256, W, 1n, true],
          [1, 1n, 1n, 1n, MAX_UINT256, false],
        ],
      ),
    );
  });

  it("notional", async () => {
    expectNoMismatch(await differential("notional", () => [kind(), multiplier(), size(), price(), unit()], notional));
  });

  it("valueAndNotional", async () => {
    expectNoMismatch(
      await differential(
        "valueAndNotional",
        () => [kind(), multiplier(), size(), price(), unit()],
        valueAndNotional,
        asValueAndNotional,
        [
          [0, 1n, -1n, 1n, 1n],
          [1, 1n, 1n, 1n, MAX_INT256 + 1n],
          [1, 1n, -1n, 2n, MAX_INT256 + 1n],
          // The minimum int256 has an exact magnitude here (no panic), with or without a product.
          [0, 1n, MIN_INT256, 1n, 1n],
          [1, 0n, MIN_INT256, W, 1n],
          [2, 2n, MIN_INT256, W, 1n],
        ],
      ),
    );
  });

  it("magnitudes", async () => {
    expectNoMismatch(
      await differential(
        "magnitudes",
        () => [kind(), multiplier(), u(() => digits(1, 13)), price(), unit()],
        magnitudes,
        asMagnitudes,
        [
          [0, 1n << 128n, 1n << 128n, W, 1n], // contracts × multiplier at 2^256: the checked product
          [2, W, 1n << 127n, 1n << 128n, 10n ** 18n], // price × unit beyond 2^128: the checked product
        ],
      ),
    );
  });

  it("applyFill (one valuation for both sides, as settlement applies it)", async () => {
    // The settlement path's ranges: int64 positions and fills, an int96 basis, a value below 2^252.
    const size64 = () => (chance(0.05) ? 0n : signed(digits(1, 13)));
    expectNoMismatch(
      await differential(
        "applyFill",
        () => {
          for (;;) {
            const [k, m, un, sz, p] = [kind(), multiplier(), unit(), size64(), price()];
            let b = signed(digits(1, 28));
            if (chance(0.7)) {
              try {
                const value = signedValue(k, m, sz, price(), un, true);
                if (value > -(1n << 95n) && value < 1n << 95n) b = value;
              } catch {
                /* keep the random basis */
              }
            }
            const d = chance(0.3) ? -sz + (chance(0.5) ? 0n : size64()) : size64();
            try {
              if (magnitudes(k, m, abs(d), p, un).up >= MAX_FILL_VALUE) continue; // skipped by settlement
            } catch {
              /* both sides revert alike */
            }
            return [k, m, un, sz, b, d, p];
          }
        },
        (k: MarketKind, m: bigint, un: bigint, sz: bigint, b: bigint, d: bigint, p: bigint) => {
          const { down, up } = magnitudes(k, m, abs(d), p, un);
          return applyFill(k, m, un, sz, b, d, p, down, up);
        },
        asFill,
      ),
    );
  });

  it("pnl", async () => {
    expectNoMismatch(
      await differential("pnl", () => [kind(), multiplier(), size(), price(), price(), unit()], pnl, undefined, [
        [1, W, 10_000n, 10_000n * W, 12_500n * W, 10n ** 8n],
        // Both sides revert, with different errors: which one surfaces depends on evaluation order.
        [1, 1n, 1n, 1n, 0n, MAX_UINT256],
        [1, 1n, 1n, 0n, 1n, MAX_UINT256],
      ]),
    );
  });

  it("margin", async () => {
    expectNoMismatch(
      await differential("margin", () => [kind(), multiplier(), size(), price(), rate(), unit()], margin),
    );
  });

  it("contractsForExposure", async () => {
    expectNoMismatch(
      await differential(
        "contractsForExposure",
        () => [kind(), multiplier(), price(), exposure(), unit()],
        contractsForExposure,
        undefined,
        [[2, 10n ** 12n, 500n * W, 100n * 10n ** 8n, 10n ** 8n]],
      ),
    );
  });

  it("applyTrade", async () => {
    expectNoMismatch(
      await differential(
        "applyTrade",
        () => {
          const k = kind();
          const m = multiplier();
          const un = unit();
          const sz = size();
          // A realistic basis most of the time: the position's value at some entry price.
          let b = basis();
          if (chance(0.7)) {
            try {
              b = signedValue(k, m, sz, price(), un, true);
            } catch {
              /* keep the random basis */
            }
          }
          let d = chance(0.3) ? -sz + (chance(0.5) ? 0n : size()) : size();
          if (d > MAX_INT256 || d < MIN_INT256) d = size(); // keep it an int256
          return [k, m, un, sz, b, d, price()];
        },
        applyTrade,
        asTrade,
      ),
    );
  });

  it("unrealizedPnl", async () => {
    expectNoMismatch(
      await differential(
        "unrealizedPnl",
        () => [kind(), multiplier(), unit(), size(), basis(), price()],
        unrealizedPnl,
      ),
    );
  });

  it("increasesRisk", async () => {
    expectNoMismatch(await differential("increasesRisk", () => [size(), chance(0.2) ? 0n : size()], increasesRisk));
  });

  it("markPrice", async () => {
    expectNoMismatch(
      await differential("markPrice", () => [price(), premium(), u(() => digits(1, 17))], markPrice, undefined, [
        [W, 0n, MAX_UINT256],
        [MAX_UINT256, 0n, 0n],
      ]),
    );
  });

  it("clampPremium", async () => {
    expectNoMismatch(
      await differential("clampPremium", () => [premium(), u(() => digits(1, 17))], clampPremium, undefined, [
        [0n, MAX_INT256 + 1n],
        [MIN_INT256, 1n],
      ]),
    );
  });

  it("premiumSample", async () => {
    expectNoMismatch(
      await differential(
        "premiumSample",
        () => {
          const i = price();
          const near = (i * BigInt(900 + randInt(200))) / 1000n; // within ±10% of the index
          return [chance(0.5) || near > MAX_UINT256 ? price() : near, i];
        },
        premiumSample,
        undefined,
        [
          [0n, MAX_UINT256],
          [1n, 0n],
        ],
      ),
    );
  });

  it("updatePremiumEma", async () => {
    expectNoMismatch(
      await differential("updatePremiumEma", () => [premium(), premium(), seconds(), seconds()], updatePremiumEma),
    );
  });

  it("fundingRate", async () => {
    expectNoMismatch(
      await differential("fundingRate", () => [smallRate(), smallRate(), u(() => digits(1, 17))], fundingRate),
    );
  });

  it("fundingPrecision", async () => {
    expectNoMismatch(await differential("fundingPrecision", () => [unit()], fundingPrecision));
  });

  it("fundingIndexDelta", async () => {
    expectNoMismatch(
      await differential(
        "fundingIndexDelta",
        () => [kind(), multiplier(), unit(), price(), smallRate(), seconds(), u(() => digits(1, 6))],
        fundingIndexDelta,
        undefined,
        [[0, W, 1n, W, MIN_INT256, 1n, 1n]],
      ),
    );
  });

  it("fundingOwed", async () => {
    expectNoMismatch(
      await differential("fundingOwed", () => [size(), index(), index(), unit()], fundingOwed, undefined, [
        [1n, 1n, 0n, 0n],
        [MIN_INT256, 1n, 0n, MAX_UINT256],
      ]),
    );
  });
});
