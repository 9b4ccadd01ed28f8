/**
 * Seeded, realistic synthetic positions over the devnet's three markets (ignition/modules/Lucent.ts):
 * BTC-USD linear in USD, XBTUSD inverse and ETHUSD quanto in XBT. For the liquidation index's property
 * tests and `npm run bench:liquidation`. Pure and deterministic for a seed.
 */
import { MarketKind, signedValue } from "../../../sdk/src/index.js";
import type { IndexAccount, IndexMarket, IndexPosition } from "./liquidationIndex.js";

const WAD = 10n ** 18n;

/** The devnet markets with their risk parameters (IM 10 %, MM 5 %). */
export const DEVNET_MARKETS: readonly (IndexMarket & { symbol: string; collateral: number; price: number })[] = [
  {
    id: 0,
    symbol: "BTC-USD",
    kind: MarketKind.Linear,
    multiplier: WAD / 1000n,
    unit: 10n ** 6n,
    imRate: WAD / 10n,
    mmRate: WAD / 20n,
    collateral: 0,
    price: 100_000,
  },
  {
    id: 1,
    symbol: "XBTUSD",
    kind: MarketKind.Inverse,
    multiplier: WAD,
    unit: 10n ** 8n,
    imRate: WAD / 10n,
    mmRate: WAD / 20n,
    collateral: 1,
    price: 100_000,
  },
  {
    id: 2,
    symbol: "ETHUSD",
    kind: MarketKind.Quanto,
    multiplier: WAD / 1_000_000n,
    unit: 10n ** 8n,
    imRate: WAD / 10n,
    mmRate: WAD / 20n,
    collateral: 1,
    price: 4_000,
  },
];

/** mulberry32: a small, fast, seeded PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float price (quote units) as an 18-decimal bigint on a 1e-6 grid. */
export function toWad(price: number): bigint {
  return BigInt(Math.round(price * 1e6)) * 10n ** 12n;
}

export type SyntheticOptions = {
  seed: number;
  /** Open positions to generate (multi-market accounts hold two). */
  positions: number;
  /** Share of XBT accounts holding both XBTUSD and ETHUSD (default 0.05). */
  crossShare?: number;
  /** Current marks by market id (default the devnet prices). */
  prices?: readonly number[];
  /** Cumulative funding index by market id (default 0). */
  funding?: readonly bigint[];
};

export type SyntheticAccount = { key: string; state: IndexAccount };

/**
 * Accounts opened at entries around the mark (σ 3 %) with leverage 1.2–9.5× on their entry notional
 * (log-uniform, the devnet's IM allows 10×), sizes log-uniform over three decades, longs and shorts equal.
 * Some are past maintenance already and many sit within a few per cent of it, as after a volatile day.
 */
export function syntheticAccounts(options: SyntheticOptions): SyntheticAccount[] {
  const random = prng(options.seed);
  const crossShare = options.crossShare ?? 0.05;
  const prices = options.prices ?? DEVNET_MARKETS.map((m) => m.price);
  const funding = options.funding ?? DEVNET_MARKETS.map(() => 0n);
  const gaussian = () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const logUniform = (lo: number, hi: number) => lo * Math.exp(random() * Math.log(hi / lo));
  const sizeRange: readonly [number, number][] = [
    [1, 5_000], // BTC-USD: 0.001 BTC each
    [100, 1_000_000], // XBTUSD: $1 each
    [1, 10_000], // ETHUSD: 1e-6 XBT per $ each (0.004 XBT at $4,000)
  ];
  const position = (market: number): { position: IndexPosition; margin: bigint } => {
    const m = DEVNET_MARKETS[market]!;
    const [lo, hi] = sizeRange[market]!;
    const q = BigInt(Math.max(1, Math.round(logUniform(lo, hi)))) * (random() < 0.5 ? 1n : -1n);
    const entry = toWad(prices[market]! * (1 + 0.03 * gaussian()));
    const basis = signedValue(m.kind, m.multiplier, q, entry, m.unit, true);
    const leverage = logUniform(1.2, 9.5);
    const absBasis = basis < 0n ? -basis : basis;
    const margin = BigInt(Math.floor(Number(absBasis) / leverage));
    const snapshot = funding[market]! - BigInt(Math.floor(random() * 1e9));
    return { position: { market, size: q, basis, fundingSnapshot: snapshot }, margin };
  };
  const accounts: SyntheticAccount[] = [];
  let made = 0;
  let n = 0;
  while (made < options.positions) {
    const key = `0x${(++n).toString(16).padStart(44, "0")}`;
    const market = Math.floor(random() * 3);
    if (market !== 0 && made + 1 < options.positions && random() < crossShare * 2) {
      const a = position(1);
      const b = position(2);
      accounts.push({ key, state: { balance: a.margin + b.margin, positions: [a.position, b.position] } });
      made += 2;
    } else {
      const a = position(market);
      accounts.push({ key, state: { balance: a.margin, positions: [a.position] } });
      made += 1;
    }
  }
  return accounts;
}
