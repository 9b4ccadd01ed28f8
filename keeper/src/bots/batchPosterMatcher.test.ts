import { zeroAddress, type Hex } from "viem";
import { describe, expect, it, vi } from "vitest";
import { OrderFlags, type Order } from "../../../sdk/src/index.js";
import { staticMarkets } from "../api/interfaces.js";
import { OrderMatcher, type OrderMatcherOptions } from "./batchPosterMatcher.js";

const TICK = 10n ** 18n; // 100,000 ticks: inside the engine's default price range
const LOT = 10n;
const PRICE = 100_000n * 10n ** 18n;
const TRADER = "0x0000000000000000000000000000000000000b0b" as const;

function matcher(options: Partial<OrderMatcherOptions> = {}): OrderMatcher {
  return new OrderMatcher({
    markets: staticMarkets({ 0: { tickSize: TICK, lotSize: LOT, active: true } }),
    onFill: () => {},
    nowSeconds: () => 1_000,
    ...options,
  });
}

let seq = 0;
function sellReduceOnly(size: bigint): { hash: Hex; order: Order } {
  const order: Order = {
    trader: TRADER,
    subaccount: 0,
    market: 0,
    isBuy: false,
    size,
    limitPrice: PRICE,
    flags: OrderFlags.REDUCE_ONLY,
    nonce: BigInt(seq),
    expiry: 2_000,
    keeper: zeroAddress,
  };
  return { hash: `0x${(++seq).toString(16).padStart(64, "0")}`, order };
}

function submit(m: OrderMatcher, o: { hash: Hex; order: Order }): void {
  m.submit({ ...o, signature: "0x", receivedAt: 0, filled: 0n });
}

describe("OrderMatcher.prepare: reduce-only from the chain's position", () => {
  it("adds the on-chain position once (whole lots), shared by concurrent first orders", async () => {
    const positionOf = vi.fn(async () => 25n); // 2.5 lots: 2 whole lots towards zero
    const m = matcher({ positionOf });
    const o = sellReduceOnly(50n);
    await Promise.all([m.prepare(o.order), m.prepare(o.order)]);
    await m.prepare(o.order);
    expect(positionOf).toHaveBeenCalledTimes(1);
    submit(m, o);
    expect(m.remaining(o.hash)).toBe(20n); // clamped to the position it can reduce
  });

  it("without a read, a reduce-only order of a position the node never matched is refused", async () => {
    const onDropped = vi.fn();
    const m = matcher({ onDropped });
    const o = sellReduceOnly(50n);
    await m.prepare(o.order);
    submit(m, o);
    expect(m.remaining(o.hash)).toBe(0n);
    expect(onDropped).toHaveBeenCalledWith(o.hash, "cancelled", "rejected: ReduceOnlyWouldIncrease");
  });

  it("a failed read is reported, adds nothing, and is tried again on the account's next order", async () => {
    const positionOf = vi.fn<(order: Order) => Promise<bigint>>();
    positionOf.mockRejectedValueOnce(new Error("rpc down")).mockResolvedValueOnce(30n);
    const onPositionError = vi.fn();
    const m = matcher({ positionOf, onPositionError });
    const first = sellReduceOnly(50n);
    await m.prepare(first.order); // does not throw
    expect(onPositionError).toHaveBeenCalledTimes(1);
    submit(m, first);
    expect(m.remaining(first.hash)).toBe(0n); // nothing known yet: refused, as without a read

    const second = sellReduceOnly(50n);
    await m.prepare(second.order);
    expect(positionOf).toHaveBeenCalledTimes(2);
    submit(m, second);
    expect(m.remaining(second.hash)).toBe(30n);
  });
});
