/**
 * Conversions between the signed order's on-chain units (18-decimal price, contracts) and the engine's
 * (ticks, lots), using the market's tick and lot sizes. Values that are not whole ticks or lots, or do
 * not fit a safe number, convert to -1, which `OrderBook.place` rejects as `InvalidPrice` /
 * `InvalidSize` — the same orders the clearinghouse would skip with `SkipReason.TickOrLot`.
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** `limitPrice / tickSize` if `limitPrice` is a positive whole number of ticks that fits a number, else -1. */
export function priceToTicks(limitPrice: bigint, tickSize: bigint): number {
  return toUnits(limitPrice, tickSize);
}

/** `size / lotSize` if `size` is a positive whole number of lots that fits a number, else -1. */
export function sizeToLots(size: bigint, lotSize: bigint): number {
  return toUnits(size, lotSize);
}

/** The 18-decimal price of `ticks`. */
export function ticksToPrice(ticks: number, tickSize: bigint): bigint {
  return BigInt(ticks) * tickSize;
}

/** The contracts of `lots`. */
export function lotsToSize(lots: number, lotSize: bigint): bigint {
  return BigInt(lots) * lotSize;
}

function toUnits(value: bigint, unit: bigint): number {
  if (unit <= 0n) throw new RangeError(`unit must be positive, got ${unit}`);
  if (value <= 0n || value % unit !== 0n) return -1;
  const n = value / unit;
  return n > MAX_SAFE ? -1 : Number(n);
}
