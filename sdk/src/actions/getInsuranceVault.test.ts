// The pure part of getInsuranceVault: the InsuranceFlow sums. The chain path is tested on the Ignition
// deployment in test/sdk/cliAdl.test.ts (the action against the vault's own views, and `lucent insurance`).
import { describe, expect, it } from "vitest";
import { InsuranceFlowReason, summarizeFlows } from "./getInsuranceVault.js";

const flow = (collateral: number, reason: number, amount: bigint) => ({ args: { collateral, reason, amount } });

describe("summarizeFlows", () => {
  it("sums each reason of one collateral; net is the cash (fees in, bad debt out), not the takeovers", () => {
    const events = [
      flow(0, InsuranceFlowReason.TradingFee, 5n),
      flow(0, InsuranceFlowReason.LiquidationFee, 100n),
      flow(0, InsuranceFlowReason.Takeover, 80_000n),
      flow(0, InsuranceFlowReason.BadDebt, -30n),
      flow(0, InsuranceFlowReason.TradingFee, 7n),
      flow(1, InsuranceFlowReason.LiquidationFee, 1_000n),
    ];
    expect(summarizeFlows(events, 0)).toEqual({
      tradingFee: 12n,
      liquidationFee: 100n,
      badDebt: -30n,
      takeover: 80_000n,
      net: 82n,
      count: 5,
    });
    expect(summarizeFlows(events, 1)).toMatchObject({ liquidationFee: 1_000n, net: 1_000n, count: 1 });
    expect(summarizeFlows(events, 2)).toEqual({
      tradingFee: 0n,
      liquidationFee: 0n,
      badDebt: 0n,
      takeover: 0n,
      net: 0n,
      count: 0,
    });
  });
});
