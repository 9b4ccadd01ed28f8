/**
 * The liquidation waterfall (SPEC §6–7) the clearinghouse will accept for one position, built by
 * replaying `LiquidationModule.liquidate` in exact bigint arithmetic with the SDK's math mirror. Pure.
 *
 * Mirrored step by step (contracts/core/LiquidationModule.sol):
 * - `_closeSize`: the whole position below `fullLiquidationRatio · MM`, else
 *   `LiquidationMath.partialCloseSize(|size|, lot, IM − equity, notional(position, mark), imRate, feeRate)`;
 * - `LiquidationMath.bankruptcyPrice` from the account's equity at mark;
 * - book fills: resting orders of the absorbing side in priority order, inside `mark ± mulRateDown(mark,
 *   bandRate)`, no worse than the bankruptcy price, never the liquidated account's own, up to the target.
 *   Each maker's fill is applied as the contract does (`_applyToSide` with the maker fee, then
 *   `_marginOk`), and a fill the contract would skip is left out, so the rest is sized right;
 * - backstop: the insurance vault takes all of the rest if `_backstopFits`, else the most lots that fit
 *   (the same binary search on lots, with the vault's own equity, IM and MM after the makers' fills);
 * - ADL: the whole opposite side in the market's policy order, after the fills and the backstop (the
 *   contract verifies against that state), with the sizes of `allocateAdl` (docs/adl.md).
 *
 * The plan is exact for the state it is given. The transaction runs a block later, when funding has
 * accrued a little: the liquidator simulates it (`eth_call`) first and re-plans from fresh state if the
 * contract disagrees (`AdlSizeMismatch`, `AdlOrderViolated`…), a bounded number of times.
 */
import type { Hex } from "viem";
import {
  AdlPolicy,
  MarketKind,
  applyTrade,
  encodeSignedOrder,
  increasesRisk,
  liquidationMath,
  mulRateDown,
  mulRateUp,
  notional as contractNotional,
  rankAdlSide,
  allocateAdl,
  subaccountHealth,
  fundingOwed,
  type HealthPosition,
  type SignedOrder,
} from "../../../sdk/src/index.js";
import type { IndexAccount, IndexPosition } from "./liquidationIndex.js";

/** A market at the moment of the liquidation. */
export type PlanMarket = {
  id: number;
  kind: MarketKind;
  multiplier: bigint;
  unit: bigint;
  lotSize: bigint;
  imRate: bigint;
  mmRate: bigint;
  makerFeeRate: bigint;
  adlPolicy: AdlPolicy;
  /** 18 decimals. */
  mark: bigint;
  /** Accrued to the block the plan is for. */
  cumulativeFunding: bigint;
};

/** `ILiquidation.liquidationParameters()`. */
export type PlanLiquidationParameters = { feeRate: bigint; fullLiquidationRatio: bigint; bandRate: bigint };

/** A resting order of the absorbing side (bids to liquidate a long, asks for a short). */
export type PlanBookOrder = {
  /** The caller's handle (the engine's order id). */
  orderId: number;
  /** The maker's subaccount id (hex). */
  maker: string;
  /** The limit price, 18 decimals. */
  price: bigint;
  /** Contracts still open. */
  remaining: bigint;
  reduceOnly: boolean;
  /** When given, the plan also encodes `bookFills`. */
  signed?: SignedOrder;
};

export type PlanLiquidationInput = {
  /** The liquidated subaccount id (hex) and the market of the position to liquidate. */
  account: string;
  market: number;
  markets: ReadonlyMap<number, PlanMarket>;
  /** Exact state of any subaccount (the liquidated one, makers, the vault, the ADL side). */
  accountState: (id: string) => IndexAccount | undefined;
  params: PlanLiquidationParameters;
  /** The absorbing side of the book, best first (price-time priority). */
  book: readonly PlanBookOrder[];
  /** The insurance vault's subaccount id for the market's collateral (undefined: no vault). */
  insurance: string | undefined;
  /** Every subaccount with a position in the market (either side); the plan keeps the opposite side. */
  holders: Iterable<string>;
};

export type PlannedBookFill = { orderId: number; maker: string; size: bigint; price: bigint };

export type LiquidationPlan = {
  account: string;
  market: number;
  positionBefore: bigint;
  equity: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
  /** Contracts the waterfall closes (`Liquidated.closed`). */
  target: bigint;
  full: boolean;
  bankruptcyPrice: bigint;
  bookFills: PlannedBookFill[];
  /** `size:uint64 | maker order` per fill, when every fill's order was given signed; else "0x". */
  bookFillsData: Hex;
  bookSize: bigint;
  backstopSize: bigint;
  adlSize: bigint;
  /** The whole opposite side in policy order (empty when ADL is not needed). */
  adlSide: Hex[];
  adlSizes: bigint[];
};

/** The account is not under maintenance margin, or holds no position in the market. */
export class NotLiquidatableError extends Error {
  override name = "NotLiquidatableError";
  constructor(
    readonly account: string,
    readonly market: number,
    readonly equity: bigint,
    readonly maintenanceMargin: bigint,
  ) {
    super(`${account} is not liquidatable in market ${market} (equity ${equity}, MM ${maintenanceMargin})`);
  }
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

type State = { balance: bigint; positions: IndexPosition[] };

export function planLiquidation(input: PlanLiquidationInput): LiquidationPlan {
  const { account, market: marketId, markets, params } = input;
  const m = markets.get(marketId);
  if (m === undefined) throw new RangeError(`unknown market ${marketId}`);
  const overlay = new Map<string, State>();
  const read = (id: string): State => {
    const known = overlay.get(id);
    if (known !== undefined) return known;
    const s = input.accountState(id);
    return { balance: s?.balance ?? 0n, positions: [...(s?.positions ?? [])] };
  };
  const health = (s: State) => subaccountHealth({ balance: s.balance, positions: healthPositions(s, markets) });
  const positionIn = (s: State): IndexPosition | undefined => s.positions.find((p) => p.market === marketId);

  const v = read(account);
  const positionBefore = positionIn(v)?.size ?? 0n;
  const h0 = health(v);
  if (positionBefore === 0n || h0.equity >= h0.maintenanceMargin) {
    throw new NotLiquidatableError(account, marketId, h0.equity, h0.maintenanceMargin);
  }
  const { equity, initialMargin, maintenanceMargin } = h0;
  const direction = positionBefore > 0n ? -1n : 1n;
  const absSize = positionBefore < 0n ? -positionBefore : positionBefore;

  // _closeSize
  let target: bigint;
  const full = equity < mulRateDown(maintenanceMargin, params.fullLiquidationRatio);
  if (full) {
    target = absSize;
  } else {
    const positionNotional = contractNotional(m.kind, m.multiplier, positionBefore, m.mark, m.unit);
    target = liquidationMath.partialCloseSize(
      absSize,
      m.lotSize,
      initialMargin - equity,
      positionNotional,
      m.imRate,
      params.feeRate,
    );
  }
  const bankruptcyPrice = liquidationMath.bankruptcyPrice(m.kind, m.multiplier, m.unit, positionBefore, m.mark, equity);
  let remaining = target;

  // 1. The book.
  const band = mulRateDown(m.mark, params.bandRate);
  const low = m.mark - band;
  const high = m.mark + band;
  const bookFills: PlannedBookFill[] = [];
  let bookSize = 0n;
  let state = v;
  for (const order of input.book) {
    if (remaining === 0n) break;
    if (order.maker === account || order.remaining <= 0n) continue;
    const price = order.price;
    if (price < low || price > high) continue;
    if (direction < 0n ? price < bankruptcyPrice : price > bankruptcyPrice) continue;
    let size = order.remaining < remaining ? order.remaining : remaining;
    size -= size % m.lotSize;
    if (size === 0n) continue;
    const makerBefore = read(order.maker);
    const makerAfter = applyToSide(m, makerBefore, -direction * size, price, m.makerFeeRate, order.reduceOnly);
    if (makerAfter === undefined || !marginOk(makerBefore, makerAfter, health)) continue;
    overlay.set(order.maker, makerAfter.state);
    const vAfter = applyToSide(m, state, direction * size, price, 0n, false);
    if (vAfter === undefined) throw new Error(`liquidation of ${account} overflows`);
    state = vAfter.state;
    overlay.set(account, state);
    bookFills.push({ orderId: order.orderId, maker: order.maker, size, price });
    bookSize += size;
    remaining -= size;
  }

  // What the book leaves of a partial target goes to the backstop and ADL as the whole remaining
  // position (the contract's rule: a close at the bankruptcy price does not improve the margin ratio).
  if (remaining !== 0n) {
    const left = positionIn(state)?.size ?? 0n;
    remaining = left < 0n ? -left : left;
    target = bookSize + remaining;
  }

  // 2. The insurance vault's backstop.
  let backstopSize = 0n;
  if (remaining !== 0n && input.insurance !== undefined && input.insurance !== account) {
    const vault = read(input.insurance);
    const fits = (size: bigint): boolean => {
      if (size === 0n) return true;
      const after = applyToSide(m, vault, -direction * size, bankruptcyPrice, 0n, false);
      return after !== undefined && marginOk(vault, after, health);
    };
    let taken = remaining;
    if (!fits(taken)) {
      let lo = 0n;
      let hi = remaining / m.lotSize;
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n;
        if (fits(mid * m.lotSize)) lo = mid;
        else hi = mid;
      }
      taken = lo * m.lotSize;
    }
    if (taken !== 0n) {
      overlay.set(input.insurance, applyToSide(m, vault, -direction * taken, bankruptcyPrice, 0n, false)!.state);
      backstopSize = taken;
      remaining -= taken;
    }
  }

  // 3. ADL of the rest against the opposite side, as the contract sees it after steps 1–2.
  let adlSide: Hex[] = [];
  let adlSizes: bigint[] = [];
  if (remaining !== 0n) {
    const longSide = positionBefore < 0n;
    const side: { subaccountId: Hex; size: bigint; basis: bigint; equity: bigint }[] = [];
    const seen = new Set<string>();
    for (const id of [...input.holders, ...overlay.keys()]) {
      if (seen.has(id) || id === account) continue;
      seen.add(id);
      const s = read(id);
      const p = positionIn(s);
      if (p === undefined || p.size === 0n || p.size > 0n !== longSide) continue;
      side.push({ subaccountId: id as Hex, size: p.size, basis: p.basis, equity: health(s).equity });
    }
    const ranking = { kind: m.kind, multiplier: m.multiplier, unit: m.unit, mark: m.mark, positions: side };
    const allocation = allocateAdl({ ...ranking, policy: m.adlPolicy, shortfall: remaining, lotSize: m.lotSize });
    if (m.adlPolicy === AdlPolicy.Ranked) {
      adlSide = rankAdlSide(ranking).map((p) => p.subaccountId as Hex);
    } else {
      adlSide = side.map((p) => p.subaccountId).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    }
    adlSizes = allocation.counterparties.map((c) => c.deleverage);
  }

  const allSigned = bookFills.every((f) => input.book.find((o) => o.orderId === f.orderId)?.signed !== undefined);
  return {
    account,
    market: marketId,
    positionBefore,
    equity,
    initialMargin,
    maintenanceMargin,
    target,
    full,
    bankruptcyPrice,
    bookFills,
    bookFillsData: allSigned ? encodeBookFills(bookFills, input.book) : "0x",
    bookSize,
    backstopSize,
    adlSize: remaining,
    adlSide,
    adlSizes,
  };
}

/** `size:uint64 | maker order` per fill (OrderCodec, as `encodeBatch` writes orders). */
export function encodeBookFills(fills: readonly PlannedBookFill[], book: readonly PlanBookOrder[]): Hex {
  let hex = "0x";
  for (const fill of fills) {
    const signed = book.find((o) => o.orderId === fill.orderId)?.signed;
    if (signed === undefined) throw new Error(`order ${fill.orderId} has no signature`);
    hex += fill.size.toString(16).padStart(16, "0");
    for (const byte of encodeSignedOrder(signed)) hex += byte.toString(16).padStart(2, "0");
  }
  return hex as Hex;
}

function healthPositions(s: State, markets: ReadonlyMap<number, PlanMarket>): HealthPosition[] {
  return s.positions
    .filter((p) => p.size !== 0n)
    .map((p) => {
      const m = markets.get(p.market);
      if (m === undefined) throw new RangeError(`unknown market ${p.market}`);
      return {
        kind: m.kind,
        multiplier: m.multiplier,
        unit: m.unit,
        imRate: m.imRate,
        mmRate: m.mmRate,
        size: p.size,
        basis: p.basis,
        fundingOwed: fundingOwed(p.size, m.cumulativeFunding, p.fundingSnapshot, m.unit),
        mark: m.mark,
      };
    });
}

/** `ClearinghouseCore._applyToSide`: settles funding, applies the trade and the fee. */
function applyToSide(
  m: PlanMarket,
  s: State,
  delta: bigint,
  price: bigint,
  feeRate: bigint,
  reduceOnly: boolean,
): { state: State; increasesRisk: boolean } | undefined {
  const p = s.positions.find((x) => x.market === m.id);
  const size = p?.size ?? 0n;
  const basis = p?.basis ?? 0n;
  const newSize = size + delta;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  if (reduceOnly && (size === 0n || size > 0n === delta > 0n || abs(delta) > abs(size))) return undefined;
  if (newSize > INT64_MAX || newSize < INT64_MIN) return undefined;
  const t = applyTrade(m.kind, m.multiplier, m.unit, size, basis, delta, price);
  const funding = p === undefined ? 0n : fundingOwed(size, m.cumulativeFunding, p.fundingSnapshot, m.unit);
  const fillNotional = feeRate === 0n ? 0n : contractNotional(m.kind, m.multiplier, delta, price, m.unit);
  const fee = feeRate === 0n ? 0n : mulRateUp(fillNotional, feeRate);
  const positions = s.positions.filter((x) => x.market !== m.id);
  if (t.size !== 0n) {
    positions.push({ market: m.id, size: t.size, basis: t.basis, fundingSnapshot: m.cumulativeFunding });
  }
  return {
    state: { balance: s.balance + t.realizedPnl - funding - fee, positions },
    increasesRisk: increasesRisk(size, t.size),
  };
}

/** `ClearinghouseCore._marginOk`. */
function marginOk(
  before: State,
  after: { state: State; increasesRisk: boolean },
  health: (s: State) => { equity: bigint; initialMargin: bigint; maintenanceMargin: bigint },
): boolean {
  const h = health(after.state);
  const required = after.increasesRisk ? h.initialMargin : h.maintenanceMargin;
  if (h.equity >= required) return true;
  if (after.increasesRisk) return false;
  const h0 = health(before);
  return h.equity - required >= h0.equity - h0.maintenanceMargin;
}
