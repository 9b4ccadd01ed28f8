// Margin of a subaccount off-chain (the clearinghouse's `_health`, with the SDK math mirror) and the
// prices at which it becomes liquidatable or bankrupt (SPEC §3). Pure: no client.
import { MarketKind, valueAndNotional } from "../math/contractMath.js";
import { WAD, mulRateUp } from "../math/fixedPoint.js";
import { MAX_PRICE, bankruptcyPrice as contractBankruptcyPrice } from "../math/liquidationMath.js";
import { InvalidParameterError } from "./errors.js";

/** One position as margin sees it. */
export type HealthPosition = {
  kind: MarketKind;
  /** M, 18 decimals. */
  multiplier: bigint;
  /** 10^decimals of the collateral. */
  unit: bigint;
  imRate: bigint;
  mmRate: bigint;
  /** Contracts, long > 0. */
  size: bigint;
  /** Cost basis, collateral units (`Clearinghouse.position`). */
  basis: bigint;
  /** Funding owed since the position's snapshot, collateral units (`fundingOwed`). */
  fundingOwed: bigint;
  /** The market's mark, 18 decimals. */
  mark: bigint;
};

export type SubaccountHealthParameters = {
  /** Realized balance, collateral units. */
  balance: bigint;
  positions: readonly HealthPosition[];
};

export type PositionHealth = {
  /** Signed value at the mark, rounded down. */
  value: bigint;
  /** |value|, rounded up. */
  notional: bigint;
  /** value − basis. */
  unrealizedPnl: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
};

export type SubaccountHealthReturnType = {
  /** balance + Σ (value − basis − funding owed). */
  equity: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
  positions: PositionHealth[];
};

/**
 * Equity, IM and MM exactly as `Clearinghouse.accountHealth` computes them (value rounded down,
 * requirements rounded up), for any marks: the tool to ask "what if the mark were P?".
 */
export function subaccountHealth({ balance, positions }: SubaccountHealthParameters): SubaccountHealthReturnType {
  let equity = balance;
  let initialMargin = 0n;
  let maintenanceMargin = 0n;
  const out: PositionHealth[] = [];
  for (const p of positions) {
    if (p.size === 0n) {
      out.push({ value: 0n, notional: 0n, unrealizedPnl: 0n, initialMargin: 0n, maintenanceMargin: 0n });
      continue;
    }
    const { valueDown, notionalUp } = valueAndNotional(p.kind, p.multiplier, p.size, p.mark, p.unit);
    const im = mulRateUp(notionalUp, p.imRate);
    const mm = mulRateUp(notionalUp, p.mmRate);
    equity += valueDown - p.basis - p.fundingOwed;
    initialMargin += im;
    maintenanceMargin += mm;
    out.push({
      value: valueDown,
      notional: notionalUp,
      unrealizedPnl: valueDown - p.basis,
      initialMargin: im,
      maintenanceMargin: mm,
    });
  }
  return { equity, initialMargin, maintenanceMargin, positions: out };
}

export type RiskPriceParameters = SubaccountHealthParameters & {
  /** Which of `positions` moves; every other mark stays fixed. */
  position: number;
  /** `liquidation`: where equity = MM; `bankruptcy`: where equity = 0. */
  target: "liquidation" | "bankruptcy";
};

/** The price, 18 decimals, or null when no positive price reaches the target. */
export type RiskPriceReturnType = bigint | null;

export type RiskPriceErrorType = InvalidParameterError;

const WAD_CUBED = WAD * WAD * WAD;

/**
 * The mark of one position's market at which the subaccount's equity equals its maintenance margin
 * (`liquidation`) or zero (`bankruptcy`), with the other marks fixed (SPEC §3). The bankruptcy price is
 * the contract's own (`LiquidationMath.bankruptcyPrice` through the SDK mirror), so it equals the price
 * a liquidation at the current mark uses; the liquidation price is solved below.
 *
 * With C = balance + Σ others (value − basis − funding) − basis − funding of this position, R the
 * others' MM and r this market's mmRate, q contracts of multiplier M and unit u:
 * - linear, quanto: C + q·M·u·P/1e36 = R + r·|q|·M·u·P/1e54  ⇒  P = (R − C)·1e54 / (M·u·(q·1e18 − r·|q|))
 * - inverse:        C − q·M·u/P = R + r·|q|·M·u/(P·1e18)    ⇒  P = M·u·(q·1e18 + r·|q|) / ((C − R)·1e18)
 *
 * Null when the solution is not a positive price: the position cannot push the account there (a long
 * whose equity covers the target even at a price of 0), or the account is past it at every price
 * (check `equity < maintenanceMargin`). The exact solution is rounded towards the mark side — up for a
 * long, down for a short — so the price is reached no later than stated. The contract rounds value
 * down and requirements up, so at the returned price equity and MM differ by at most a few units.
 */
export function riskPrice({ balance, positions, position, target }: RiskPriceParameters): RiskPriceReturnType {
  const self = positions[position];
  if (self === undefined) {
    throw new InvalidParameterError({
      field: "position",
      value: position,
      expected: `an index below ${positions.length}`,
    });
  }
  if (self.size === 0n) return null;
  if (target === "bankruptcy") {
    // Exactly the price a liquidation would close at now (LiquidationMath, rounded in the account's
    // favour); its clamps mean that no such price exists.
    const { equity } = subaccountHealth({ balance, positions });
    const price = contractBankruptcyPrice(self.kind, self.multiplier, self.unit, self.size, self.mark, equity);
    return price === 1n || price === MAX_PRICE ? null : price;
  }
  const others = positions.filter((_, i) => i !== position);
  const rest = subaccountHealth({ balance, positions: others });
  const c = rest.equity - self.basis - self.fundingOwed;
  const required = rest.maintenanceMargin;
  const rate = self.mmRate;
  const q = self.size;
  const absQ = q < 0n ? -q : q;
  const mu = self.multiplier * self.unit;
  let numerator: bigint;
  let denominator: bigint;
  if (self.kind === MarketKind.Inverse) {
    numerator = mu * (q * WAD + rate * absQ);
    denominator = (c - required) * WAD;
  } else {
    numerator = (required - c) * WAD_CUBED;
    denominator = mu * (q * WAD - rate * absQ);
  }
  if (numerator === 0n || denominator === 0n || numerator > 0n !== denominator > 0n) return null;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const price = q > 0n ? (n + d - 1n) / d : n / d;
  return price === 0n ? null : price;
}

/** {@link riskPrice} with `target: "liquidation"`. */
export function liquidationPrice(params: Omit<RiskPriceParameters, "target">): RiskPriceReturnType {
  return riskPrice({ ...params, target: "liquidation" });
}

/** {@link riskPrice} with `target: "bankruptcy"`. */
export function bankruptcyPrice(params: Omit<RiskPriceParameters, "target">): RiskPriceReturnType {
  return riskPrice({ ...params, target: "bankruptcy" });
}
