/**
 * Positions indexed by liquidation price (SPEC §3, §6, §11: the liquidatable ones of 1,000,000 positions
 * found in ≤ 5 ms after a price tick). Pure: plain data in, candidates out; no I/O, no clock.
 *
 * The float index only narrows the search; the decision is exact. `candidates()` returns a superset of
 * the liquidatable positions (every key carries a safety margin towards "liquidatable"), and
 * `exactHealth()` is the clearinghouse's `accountHealth` in bigint (the SDK's `subaccountHealth`), which
 * the keeper applies to every candidate before it sends anything.
 *
 * Layout — everything is linear in one variable per market, x = P (linear, quanto) or x = −1/P (inverse),
 * P in quote units as a float. A position of q contracts has value q·S·x (S = M·unit), notional |q|·S·|x|,
 * and funding owed q·(F − snapshot)/precision with F the market's cumulative funding index. So for an
 * account, equity − MM = c + Σ_m (k_m·x_m − φ_m·F_m) with k = q·S·(1 ∓ mmRate), φ = q/precision.
 *
 * - Single-market accounts (the rule): the liquidation price from the SDK's solver (`liquidationPrice`,
 *   exact bigint), turned into x and stored net of funding: key = x_liq − γ·F with γ = φ/k, which is the
 *   same for every long (and every short) of a market. As funding accrues, every liquidation price of a
 *   side moves by the same γ·ΔF, so the stored keys stay valid and a query compares them with x_mark − γ·F.
 *   Per market and side: keys sorted ascending in a Float64Array with the account handles in a Uint32Array
 *   beside them. A long is liquidatable once x_mark ≤ its x_liq (a suffix of the longs), a short once
 *   x_mark ≥ x_liq (a prefix of the shorts): one binary search and a slice. Updates go to a small pending
 *   buffer that queries scan linearly; it is merged into the sorted arrays in one O(n) pass when it grows
 *   past a threshold (batched rebuilds), entries it supersedes are skipped by a per-handle "where" flag.
 * - Multi-market accounts: a liquidation price with the other marks fixed goes stale whenever another of
 *   their markets ticks. They are kept as their coefficients (c, k_m, φ_m) and re-evaluated on every query
 *   of any market they hold, with the current marks of all of them: a few multiply-adds per account.
 */
import {
  MarketKind,
  fundingOwed,
  fundingPrecision,
  liquidationPrice,
  subaccountHealth,
  type HealthPosition,
  type SubaccountHealthReturnType,
} from "../../../sdk/src/index.js";

/** A market as the index needs it (a `Market` of the SDK has all of these). */
export type IndexMarket = {
  id: number;
  kind: MarketKind;
  /** M, 18 decimals. */
  multiplier: bigint;
  /** 10^decimals of the collateral. */
  unit: bigint;
  imRate: bigint;
  mmRate: bigint;
};

export type IndexPosition = { market: number; size: bigint; basis: bigint; fundingSnapshot: bigint };

/** A subaccount's exact state (the clearinghouse's `account` balance and `position`s). */
export type IndexAccount = { balance: bigint; positions: readonly IndexPosition[] };

/** A position that may be liquidatable: the account's handle and the market. */
export type Candidate = { handle: number; market: number };

export type LiquidationIndexOptions = {
  /**
   * Relative widening of every key towards "liquidatable" (default 1e-9): covers the float conversion of
   * exact prices and the float evaluation of multi-market accounts, which are accurate to ~1e-15.
   */
  margin?: number;
  /** Pending updates per side before a merge into the sorted arrays (default 4096). */
  rebuildThreshold?: number;
};

const WAD_F = 1e18;
const NONE = 0;
const MAIN = 1;
const PENDING = 2;

/** One side (longs or shorts) of one market: sorted keys + handles + weights, with a pending buffer. */
class SortedSide {
  keys = new Float64Array(0);
  ids = new Uint32Array(0);
  /** |q|·S: notional per unit of |x| (for L(Δ) of the cascade ratio). */
  weights = new Float64Array(0);
  n = 0;
  where = new Uint8Array(0);
  readonly pending = new Map<number, { key: number; weight: number }>();
  stale = 0;
  deferred = false;

  constructor(private readonly threshold: number) {}

  get size(): number {
    return this.n - this.stale + this.pending.size;
  }

  set(handle: number, key: number, weight: number): void {
    this.ensure(handle);
    if (this.where[handle] === MAIN) this.stale++;
    this.where[handle] = PENDING;
    this.pending.set(handle, { key, weight });
    this.maybeRebuild();
  }

  delete(handle: number): void {
    if (handle >= this.where.length) return;
    const w = this.where[handle];
    if (w === MAIN) this.stale++;
    else if (w === PENDING) this.pending.delete(handle);
    this.where[handle] = NONE;
    this.maybeRebuild();
  }

  /** Handles with key ≥ t (`atLeast`) or key ≤ t, appended to `out`. */
  collect(t: number, atLeast: boolean, out: number[]): void {
    const { keys, ids, where } = this;
    if (atLeast) {
      for (let j = lowerBound(keys, this.n, t); j < this.n; j++) {
        const h = ids[j]!;
        if (where[h] === MAIN) out.push(h);
      }
    } else {
      const end = upperBound(keys, this.n, t);
      for (let j = 0; j < end; j++) {
        const h = ids[j]!;
        if (where[h] === MAIN) out.push(h);
      }
    }
    for (const [h, e] of this.pending) if (atLeast ? e.key >= t : e.key <= t) out.push(h);
  }

  /** Σ weight·|key + shift| over keys in [lo, hi]; `fallback` for the infinite keys (|x| at mark). */
  weightedSum(lo: number, hi: number, shift: number, fallback: number): number {
    const { keys, ids, weights, where } = this;
    let total = 0;
    const end = upperBound(keys, this.n, hi);
    for (let j = lowerBound(keys, this.n, lo); j < end; j++) {
      if (where[ids[j]!] === MAIN) total += weights[j]! * absX(keys[j]!, shift, fallback);
    }
    for (const e of this.pending.values()) {
      if (e.key >= lo && e.key <= hi) total += e.weight * absX(e.key, shift, fallback);
    }
    return total;
  }

  maybeRebuild(): void {
    if (!this.deferred && this.pending.size + this.stale > Math.max(this.threshold, this.n >>> 6)) this.rebuild();
  }

  /** Merges the pending buffer into the sorted arrays and drops superseded entries: O(n + p log p). */
  rebuild(): void {
    const p = this.pending.size;
    const pk = new Float64Array(p);
    const ph = new Uint32Array(p);
    const pw = new Float64Array(p);
    const order = new Uint32Array(p);
    let i = 0;
    for (const [h, e] of this.pending) {
      pk[i] = e.key;
      ph[i] = h;
      pw[i] = e.weight;
      order[i] = i;
      i++;
    }
    order.sort((a, b) => pk[a]! - pk[b]! || ph[a]! - ph[b]!);
    const total = this.n - this.stale + p;
    const keys = new Float64Array(total);
    const ids = new Uint32Array(total);
    const weights = new Float64Array(total);
    let a = 0;
    let b = 0;
    let o = 0;
    const { where } = this;
    while (a < this.n || b < p) {
      if (a < this.n && where[this.ids[a]!] !== MAIN) {
        a++;
        continue;
      }
      const takeMain = b >= p || (a < this.n && this.keys[a]! <= pk[order[b]!]!);
      if (takeMain) {
        keys[o] = this.keys[a]!;
        ids[o] = this.ids[a]!;
        weights[o] = this.weights[a]!;
        a++;
      } else {
        const k = order[b]!;
        keys[o] = pk[k]!;
        ids[o] = ph[k]!;
        weights[o] = pw[k]!;
        b++;
      }
      o++;
    }
    // Only now: while merging, a pending handle's superseded main entry must still read as stale.
    for (let j = 0; j < p; j++) where[ph[j]!] = MAIN;
    this.keys = keys;
    this.ids = ids;
    this.weights = weights;
    this.n = o;
    this.stale = 0;
    this.pending.clear();
  }

  private ensure(handle: number): void {
    if (handle < this.where.length) return;
    const grown = new Uint8Array(Math.max(1024, 2 * this.where.length, handle + 1));
    grown.set(this.where);
    this.where = grown;
  }
}

function absX(key: number, shift: number, fallback: number): number {
  return Number.isFinite(key) ? Math.abs(key + shift) : fallback;
}

/** First j in [0, n) with keys[j] ≥ t (n if none). NaN-free keys. */
function lowerBound(keys: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First j in [0, n) with keys[j] > t (n if none). */
function upperBound(keys: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Multi-market accounts as rows of one Float64Array: [c, (market, k, φ) × capacity] per slot, with a
 * dense list of live slots, so a query is a loop over numbers (no objects, no hashing).
 */
class CrossTable {
  capacity = 4;
  stride = 1 + 3 * 4;
  pool = new Float64Array(0);
  terms = new Uint8Array(0);
  handleOfSlot = new Int32Array(0);
  live = new Int32Array(0);
  livePos = new Int32Array(0);
  liveCount = 0;
  private used = 0;
  private readonly free: number[] = [];
  readonly slotOf = new Map<number, number>();

  add(handle: number, c: number, rows: readonly [market: number, k: number, phi: number][]): void {
    if (rows.length > this.capacity) this.widen(rows.length);
    const slot = this.free.pop() ?? this.used++;
    this.ensure(slot + 1);
    const base = slot * this.stride;
    this.pool[base] = c;
    rows.forEach(([market, k, phi], i) => {
      this.pool[base + 1 + 3 * i] = market;
      this.pool[base + 2 + 3 * i] = k;
      this.pool[base + 3 + 3 * i] = phi;
    });
    this.terms[slot] = rows.length;
    this.handleOfSlot[slot] = handle;
    this.livePos[slot] = this.liveCount;
    this.live[this.liveCount++] = slot;
    this.slotOf.set(handle, slot);
  }

  delete(handle: number): void {
    const slot = this.slotOf.get(handle);
    if (slot === undefined) return;
    this.slotOf.delete(handle);
    const at = this.livePos[slot]!;
    const last = this.live[--this.liveCount]!;
    this.live[at] = last;
    this.livePos[last] = at;
    this.terms[slot] = 0;
    this.free.push(slot);
  }

  /** equity − MM in floats minus its error allowance (< 0: candidate), at the marks x and funding f. */
  slack(slot: number, x: Float64Array, f: Float64Array, margin: number): number {
    const pool = this.pool;
    const base = slot * this.stride;
    const n = this.terms[slot]!;
    let slack = pool[base]!;
    let magnitude = Math.abs(slack);
    for (let i = 0, o = base + 1; i < n; i++, o += 3) {
      const market = pool[o]!;
      const kx = pool[o + 1]! * x[market]!;
      const pf = pool[o + 2]! * f[market]!;
      slack += kx - pf;
      magnitude += Math.abs(kx) + Math.abs(pf);
    }
    // Floats are good to ~1e-15 of the magnitude; the contract rounds each value and requirement, and
    // funding owed up, by < 1 unit per position.
    return slack - margin * magnitude - 2 * n - 1;
  }

  private ensure(slots: number): void {
    if (slots <= this.terms.length) return;
    const cap = Math.max(1024, 2 * this.terms.length, slots);
    const pool = new Float64Array(cap * this.stride);
    pool.set(this.pool);
    this.pool = pool;
    this.terms = grow(this.terms, cap);
    this.handleOfSlot = grow(this.handleOfSlot, cap);
    this.live = grow(this.live, cap);
    this.livePos = grow(this.livePos, cap);
  }

  /** Re-lays the pool out for accounts with more positions than the current capacity (rare). */
  private widen(positions: number): void {
    const capacity = Math.max(positions, 2 * this.capacity);
    const stride = 1 + 3 * capacity;
    const slots = this.terms.length;
    const pool = new Float64Array(slots * stride);
    for (let slot = 0; slot < slots; slot++) {
      pool.set(this.pool.subarray(slot * this.stride, (slot + 1) * this.stride), slot * stride);
    }
    this.pool = pool;
    this.capacity = capacity;
    this.stride = stride;
  }
}

function grow<T extends Uint8Array | Int32Array>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  return out;
}

type MarketSlot = {
  config: IndexMarket;
  inverse: boolean;
  /** S = M·unit (collateral per contract per unit of x). */
  scale: number;
  precision: number;
  mark: bigint;
  cumulativeFunding: bigint;
  x: number;
  funding: number;
  /** dx_liq/dF for longs and shorts. */
  gammaLong: number;
  gammaShort: number;
  longs: SortedSide;
  shorts: SortedSide;
  /** Every account with a position here (for ADL sides). */
  holders: Set<number>;
};

/** Where an account sits in the index. */
const enum Placement {
  None = 0,
  Long = 1,
  Short = 2,
  Cross = 3,
}

export class LiquidationIndex {
  readonly margin: number;
  private readonly threshold: number;
  private readonly markets: (MarketSlot | undefined)[] = [];
  private readonly handles = new Map<string, number>();
  private readonly keyOf: string[] = [];
  private readonly states: (IndexAccount | undefined)[] = [];
  private readonly placement: Placement[] = [];
  private readonly placedMarket: number[] = [];
  private readonly cross = new CrossTable();
  /** x and F of every market by id, for the multi-market rows. */
  private readonly marketX = new Float64Array(256).fill(NaN);
  private readonly marketF = new Float64Array(256);
  private readonly freeHandles: number[] = [];

  constructor(markets: readonly IndexMarket[], options: LiquidationIndexOptions = {}) {
    this.margin = options.margin ?? 1e-9;
    this.threshold = options.rebuildThreshold ?? 4096;
    for (const config of markets) {
      if (this.markets[config.id] !== undefined) throw new Error(`market ${config.id} listed twice`);
      this.markets[config.id] = this.newSlot(config);
    }
  }

  /** A listed market's slot, before its first mark. */
  private newSlot(config: IndexMarket): MarketSlot {
    return {
      ...this.derived(config),
      mark: 0n,
      cumulativeFunding: 0n,
      x: NaN,
      funding: 0,
      longs: new SortedSide(this.threshold),
      shorts: new SortedSide(this.threshold),
      holders: new Set(),
    };
  }

  /** What a market's slot derives from its parameters alone. */
  private derived(config: IndexMarket) {
    const inverse = config.kind === MarketKind.Inverse;
    const scale = (Number(config.multiplier) / WAD_F) * Number(config.unit);
    const precision = Number(fundingPrecision(config.unit));
    const r = Number(config.mmRate) / WAD_F;
    // k = q·S·(1 − sign(q)·ε·r), ε = +1 for x = P and −1 for x = −1/P; γ = φ/k = 1/(precision·S·(…)).
    const eps = inverse ? -1 : 1;
    return {
      config,
      inverse,
      scale,
      precision,
      gammaLong: 1 / (precision * scale * (1 - eps * r)),
      gammaShort: 1 / (precision * scale * (1 + eps * r)),
    };
  }

  // ------------------------------------------------------------------ markets

  /**
   * Lists a new market, or gives a listed one new parameters (a governance change of its MM rate,
   * multiplier...): its mark and funding stay, and every account's key is derived again, so the next
   * `candidates()` already answers under the new rules.
   */
  setMarketConfig(config: IndexMarket): void {
    const m = this.markets[config.id];
    if (m === undefined) {
      this.markets[config.id] = this.newSlot(config);
      return;
    }
    Object.assign(m, this.derived(config));
    if (m.mark > 0n) this.setMarket(config.id, m.mark, m.cumulativeFunding); // x depends on the kind
    this.reindex();
  }

  /** A market's mark (18 decimals) and cumulative funding index: O(1), nothing is re-sorted. */
  setMarket(marketId: number, mark: bigint, cumulativeFunding: bigint): void {
    const m = this.market(marketId);
    if (mark <= 0n) throw new RangeError(`mark of market ${marketId} must be positive`);
    m.mark = mark;
    m.cumulativeFunding = cumulativeFunding;
    m.x = this.toX(m, Number(mark) / WAD_F);
    m.funding = Number(cumulativeFunding);
    this.marketX[marketId] = m.x;
    this.marketF[marketId] = m.funding;
  }

  markOf(marketId: number): bigint {
    return this.market(marketId).mark;
  }

  cumulativeFundingOf(marketId: number): bigint {
    return this.market(marketId).cumulativeFunding;
  }

  marketConfig(marketId: number): IndexMarket {
    return this.market(marketId).config;
  }

  // ------------------------------------------------------------------ accounts

  /** Inserts or replaces an account's exact state (positions of size 0 are ignored). */
  upsert(account: string, state: IndexAccount): number {
    let handle = this.handles.get(account);
    if (handle === undefined) {
      handle = this.freeHandles.pop() ?? this.keyOf.length;
      this.handles.set(account, handle);
      this.keyOf[handle] = account;
      this.placement[handle] = Placement.None;
    } else {
      this.unplace(handle);
    }
    const positions = state.positions.filter((p) => p.size !== 0n);
    for (const p of positions) this.market(p.market);
    this.states[handle] = { balance: state.balance, positions };
    this.place(handle);
    return handle;
  }

  remove(account: string): void {
    const handle = this.handles.get(account);
    if (handle === undefined) return;
    this.unplace(handle);
    this.handles.delete(account);
    this.states[handle] = undefined;
    this.freeHandles.push(handle);
  }

  /**
   * Re-derives every stored key from the current marks and funding: after a market's risk parameters
   * change, or to re-anchor keys of accounts whose liquidation price had no solution.
   */
  reindex(): void {
    for (const handle of this.handles.values()) {
      this.unplace(handle);
      this.place(handle);
    }
  }

  /** Applies many updates with one merge per side at the end (bulk loads). */
  batch(run: () => void): void {
    const sides = this.sides();
    for (const s of sides) s.deferred = true;
    try {
      run();
    } finally {
      for (const s of sides) {
        s.deferred = false;
        if (s.pending.size + s.stale > 0) s.rebuild();
      }
    }
  }

  handleOf(account: string): number | undefined {
    return this.handles.get(account);
  }

  accountOf(handle: number): string {
    const key = this.keyOf[handle];
    if (key === undefined || this.states[handle] === undefined) throw new RangeError(`no account at handle ${handle}`);
    return key;
  }

  state(account: string): IndexAccount | undefined {
    const handle = this.handles.get(account);
    return handle === undefined ? undefined : this.states[handle];
  }

  get accountCount(): number {
    return this.handles.size;
  }

  /** Accounts with a position in the market (for ADL sides), as handles. */
  holders(marketId: number): ReadonlySet<number> {
    return this.market(marketId).holders;
  }

  // ------------------------------------------------------------------ queries

  /**
   * Every account whose position in `marketId` may be liquidatable at the current marks: a superset of
   * the exact answer (re-check with {@link exactHealth}). Appends handles to `out`.
   */
  candidates(marketId: number, out: number[] = []): number[] {
    const m = this.market(marketId);
    if (!(m.x === m.x)) throw new Error(`market ${marketId} has no mark yet`);
    m.longs.collect(m.x - m.gammaLong * m.funding, true, out);
    m.shorts.collect(m.x - m.gammaShort * m.funding, false, out);
    const { cross, marketX, marketF, margin } = this;
    const { live, pool, stride, terms } = cross;
    for (let j = 0; j < cross.liveCount; j++) {
      const slot = live[j]!;
      let holds = false;
      for (let i = 0, o = slot * stride + 1; i < terms[slot]!; i++, o += 3) if (pool[o] === marketId) holds = true;
      if (holds && cross.slack(slot, marketX, marketF, margin) < 0) out.push(cross.handleOfSlot[slot]!);
    }
    return out;
  }

  /**
   * {@link candidates} of every market, as (handle, market) pairs: the single-market sides by binary
   * search, then one pass over the multi-market accounts at the current marks of all their markets.
   */
  allCandidates(): Candidate[] {
    const out: Candidate[] = [];
    const buffer: number[] = [];
    for (const m of this.markets) {
      if (m === undefined) continue;
      if (!(m.x === m.x)) throw new Error(`market ${m.config.id} has no mark yet`);
      buffer.length = 0;
      m.longs.collect(m.x - m.gammaLong * m.funding, true, buffer);
      m.shorts.collect(m.x - m.gammaShort * m.funding, false, buffer);
      const market = m.config.id;
      for (const handle of buffer) out.push({ handle, market });
    }
    const { cross, marketX, marketF, margin } = this;
    const { live, pool, stride, terms } = cross;
    for (let j = 0; j < cross.liveCount; j++) {
      const slot = live[j]!;
      if (cross.slack(slot, marketX, marketF, margin) >= 0) continue;
      const handle = cross.handleOfSlot[slot]!;
      for (let i = 0, o = slot * stride + 1; i < terms[slot]!; i++, o += 3) out.push({ handle, market: pool[o]! | 0 });
    }
    return out;
  }

  /** The clearinghouse's `accountHealth` of the account at the current marks and funding, exactly. */
  exactHealth(handle: number): SubaccountHealthReturnType {
    const state = this.states[handle];
    if (state === undefined) throw new RangeError(`no account at handle ${handle}`);
    return subaccountHealth({ balance: state.balance, positions: state.positions.map((p) => this.health(p)) });
  }

  /** `exactHealth(...).equity < maintenanceMargin` with at least one position. */
  isLiquidatable(handle: number): boolean {
    const state = this.states[handle];
    if (state === undefined || state.positions.length === 0) return false;
    const h = this.exactHealth(handle);
    return h.equity < h.maintenanceMargin;
  }

  /** The exact position in `market` and the margin inputs the SDK solvers take. */
  healthPositions(handle: number): HealthPosition[] {
    const state = this.states[handle];
    if (state === undefined) throw new RangeError(`no account at handle ${handle}`);
    return state.positions.map((p) => this.health(p));
  }

  /**
   * L of the cascade ratio (SPEC §9): Σ notional at the liquidation price of the positions on `side`
   * whose liquidation price lies at or beyond `limitPrice` from the current mark (longs: liquidation price
   * ≥ limitPrice, shorts: ≤ limitPrice), collateral units. Prices in quote units (floats).
   */
  liquidatingNotional(marketId: number, side: "long" | "short", limitPrice: number): number {
    const m = this.market(marketId);
    const shift = m.gammaLong * m.funding;
    const limitX = this.toX(m, limitPrice);
    let total: number;
    if (side === "long") {
      total = m.longs.weightedSum(limitX - shift, Infinity, shift, Math.abs(m.x));
    } else {
      const s = m.gammaShort * m.funding;
      total = m.shorts.weightedSum(-Infinity, limitX - s, s, Math.abs(m.x));
    }
    const { cross, marketX, marketF, margin } = this;
    const { live, pool, stride, terms } = cross;
    for (let j = 0; j < cross.liveCount; j++) {
      const slot = live[j]!;
      for (let i = 0, o = slot * stride + 1; i < terms[slot]!; i++, o += 3) {
        if (pool[o] !== marketId) continue;
        const k = pool[o + 1]!;
        if (k > 0 !== (side === "long")) continue;
        // The x where the account's slack is zero, the other marks fixed.
        const xLiq = m.x - cross.slack(slot, marketX, marketF, margin) / k;
        const reached = side === "long" ? xLiq >= limitX : xLiq <= limitX;
        if (reached) total += Math.abs((k / (1 - Math.sign(k) * this.rate(m))) * xLiq);
      }
    }
    return total;
  }

  /** Positions indexed per market and side (multi-market accounts count once per market they hold). */
  sizes(marketId: number): { longs: number; shorts: number; multiMarketAccounts: number } {
    const m = this.market(marketId);
    return { longs: m.longs.size, shorts: m.shorts.size, multiMarketAccounts: this.cross.liveCount };
  }

  /** x of a price (quote units): P, or −1/P for an inverse market. */
  xOf(marketId: number, price: number): number {
    return this.toX(this.market(marketId), price);
  }

  // ------------------------------------------------------------------ internals

  private market(marketId: number): MarketSlot {
    const m = this.markets[marketId];
    if (m === undefined) throw new RangeError(`unknown market ${marketId}`);
    return m;
  }

  private sides(): SortedSide[] {
    const out: SortedSide[] = [];
    for (const m of this.markets) if (m !== undefined) out.push(m.longs, m.shorts);
    return out;
  }

  private toX(m: MarketSlot, price: number): number {
    return m.inverse ? -1 / price : price;
  }

  private rate(m: MarketSlot): number {
    return (m.inverse ? -1 : 1) * (Number(m.config.mmRate) / WAD_F);
  }

  private health(p: IndexPosition): HealthPosition {
    const m = this.market(p.market);
    return {
      kind: m.config.kind,
      multiplier: m.config.multiplier,
      unit: m.config.unit,
      imRate: m.config.imRate,
      mmRate: m.config.mmRate,
      size: p.size,
      basis: p.basis,
      fundingOwed: fundingOwed(p.size, m.cumulativeFunding, p.fundingSnapshot, m.config.unit),
      mark: m.mark,
    };
  }

  private place(handle: number): void {
    const state = this.states[handle]!;
    const positions = state.positions;
    for (const p of positions) this.market(p.market).holders.add(handle);
    if (positions.length === 0) {
      this.placement[handle] = Placement.None;
      return;
    }
    if (positions.length === 1) {
      this.placeSingle(handle, state, positions[0]!);
      return;
    }
    // Multi-market: c = balance − Σ basis + Σ φ·snapshot; per position (market, k, φ).
    let c = Number(state.balance);
    const rows: [number, number, number][] = positions.map((p) => {
      const m = this.market(p.market);
      const q = Number(p.size);
      const phi = q / m.precision;
      c += -Number(p.basis) + phi * Number(p.fundingSnapshot);
      return [p.market, q * m.scale * (1 - Math.sign(q) * this.rate(m)), phi];
    });
    this.cross.add(handle, c, rows);
    this.placement[handle] = Placement.Cross;
  }

  private placeSingle(handle: number, state: IndexAccount, p: IndexPosition): void {
    const m = this.market(p.market);
    if (!(m.x === m.x)) throw new Error(`market ${p.market} has no mark yet: setMarket first`);
    const long = p.size > 0n;
    const side = long ? m.longs : m.shorts;
    const gamma = long ? m.gammaLong : m.gammaShort;
    const health = this.health(p);
    const price = liquidationPrice({ balance: state.balance, positions: [health], position: 0 });
    let key: number;
    if (price === null) {
      // No price reaches MM: either it is past MM at every price (always a candidate) or never.
      const h = subaccountHealth({ balance: state.balance, positions: [health] });
      key = h.equity < h.maintenanceMargin ? (long ? Infinity : -Infinity) : long ? -Infinity : Infinity;
    } else {
      const x = this.toX(m, Number(price) / WAD_F);
      const base = x - gamma * m.funding;
      // Relative float error, plus the solver's and the contract's rounding (a few units of equity,
      // and funding owed rounds up by < 1): 4 units over |k|, the units of slack per unit of x.
      const k = Math.abs(Number(p.size)) * m.scale * (1 - (long ? 1 : -1) * this.rate(m));
      const widen = this.margin * (Math.abs(x) + Math.abs(gamma * m.funding)) + 4 / k;
      key = long ? base + widen : base - widen;
    }
    const weight = Math.abs(Number(p.size)) * m.scale;
    side.set(handle, key, weight);
    this.placement[handle] = long ? Placement.Long : Placement.Short;
    this.placedMarket[handle] = p.market;
  }

  private unplace(handle: number): void {
    const state = this.states[handle];
    if (state !== undefined) for (const p of state.positions) this.market(p.market).holders.delete(handle);
    switch (this.placement[handle]) {
      case Placement.Long:
        this.market(this.placedMarket[handle]!).longs.delete(handle);
        break;
      case Placement.Short:
        this.market(this.placedMarket[handle]!).shorts.delete(handle);
        break;
      case Placement.Cross:
        this.cross.delete(handle);
        break;
      default:
        break;
    }
    this.placement[handle] = Placement.None;
  }
}
