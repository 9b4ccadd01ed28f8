// Mirror of contracts/libraries/FundingMath.sol (SPEC §4), name for name, with the same rounding and reverts.
import {
  MIN_INT256,
  assertInt,
  assertUint,
  sadd,
  sdiv,
  smul,
  sneg,
  ssub,
  toInt256,
  toUint256,
  uadd,
  udiv,
  umul,
} from "./checked.js";
import { type MarketKind, notional } from "./contractMath.js";
import { WAD, divUp, signedMulDiv } from "./fixedPoint.js";

const MAX_FUNDING_PRECISION = 10n ** 9n;

/** mark = index × (1 + clamp(premiumEma, ±band)), rounded towards zero. */
export function markPrice(index: bigint, premiumEma: bigint, band: bigint): bigint {
  assertUint("index", index);
  const premium = clampPremium(premiumEma, band);
  return toUint256(sdiv(smul(toInt256(index), sadd(WAD, premium)), WAD));
}

/** clamp(premiumEma, ±band), with `band` reinterpreted as `int256(band)` as on chain. */
export function clampPremium(premiumEma: bigint, band: bigint): bigint {
  assertInt("premiumEma", premiumEma);
  assertUint("band", band);
  const b = toInt256(band);
  if (premiumEma > b) return b;
  const negB = sneg(b);
  return premiumEma < negB ? negB : premiumEma;
}

/** A premium sample: (price − index) / index, 18 decimals, truncated towards zero. */
export function premiumSample(price: bigint, index: bigint): bigint {
  assertUint("price", price);
  assertUint("index", index);
  const signedIndex = toInt256(index);
  return sdiv(smul(ssub(toInt256(price), signedIndex), WAD), signedIndex);
}

/** Time-weighted EMA step: α = max(dt, 1) / (max(dt, 1) + period). */
export function updatePremiumEma(ema: bigint, sample: bigint, dt: bigint, period: bigint): bigint {
  assertInt("ema", ema);
  assertInt("sample", sample);
  assertUint("dt", dt);
  assertUint("period", period);
  const elapsed = dt === 0n ? 1n : dt;
  const alpha = toInt256(udiv(umul(elapsed, WAD), uadd(elapsed, period)));
  return sadd(ema, sdiv(smul(ssub(sample, ema), alpha), WAD));
}

/** rate = premium + clamp(interest − premium, ±cap), per funding interval (18 decimals). */
export function fundingRate(premium: bigint, interest: bigint, cap: bigint): bigint {
  assertInt("premium", premium);
  assertInt("interest", interest);
  assertUint("cap", cap);
  const c = toInt256(cap);
  let diff = ssub(interest, premium);
  if (diff > c) diff = c;
  else {
    const negC = sneg(c);
    if (diff < negC) diff = negC;
  }
  return sadd(premium, diff);
}

/** Sub-unit precision of the funding index: min(1e18 / unit, 1e9). */
export function fundingPrecision(unit: bigint): bigint {
  assertUint("unit", unit);
  const finest = udiv(10n ** 18n, unit);
  return finest < MAX_FUNDING_PRECISION ? finest : MAX_FUNDING_PRECISION;
}

/** Growth of the cumulative funding index over `dt` seconds, rounded towards −∞. Longs pay when it grows. */
export function fundingIndexDelta(
  kind: MarketKind,
  multiplier: bigint,
  unit: bigint,
  mark: bigint,
  rate: bigint,
  dt: bigint,
  interval: bigint,
): bigint {
  assertUint("multiplier", multiplier);
  assertUint("unit", unit);
  assertUint("mark", mark);
  assertInt("rate", rate);
  assertUint("dt", dt);
  assertUint("interval", interval);
  if (dt === 0n || rate === 0n) return 0n;
  const contractValue = notional(kind, multiplier, 1n, mark, umul(unit, fundingPrecision(unit)));
  // OpenZeppelin's SignedMath.abs is unchecked: |min int256| is 2^255.
  const absRate = rate === MIN_INT256 ? 1n << 255n : rate < 0n ? -rate : rate;
  return signedMulDiv(umul(contractValue, absRate), dt, umul(interval, WAD), rate < 0n, false);
}

/** Funding a position owes since its snapshot, in collateral units, rounded towards +∞ (a debit). */
export function fundingOwed(size: bigint, cumulativeIndex: bigint, snapshot: bigint, unit: bigint): bigint {
  assertInt("size", size);
  assertInt("cumulativeIndex", cumulativeIndex);
  assertInt("snapshot", snapshot);
  assertUint("unit", unit);
  if (size === 0n) return 0n;
  return divUp(smul(size, ssub(cumulativeIndex, snapshot)), fundingPrecision(unit));
}
