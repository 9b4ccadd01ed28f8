// npm run bench:liquidation — SPEC §11: with 1,000,000 open positions, the liquidatable ones after a price
// tick found in ≤ 5 ms. Seeded synthetic positions over the devnet's three markets (5 % of the XBT
// accounts hold both XBTUSD and ETHUSD, so they are cross-margined), loaded into the keeper's
// liquidation index; then ticks of varying size, each timed from the mark update to the list of
// candidates of every market. Each tick's result is checked against a brute-force scan: the candidates,
// re-checked exactly, must equal the exact set of every position whose account is under maintenance
// margin (bigint `accountHealth` of all 1,000,000), and must contain it.
//
// Writes bench/results/liquidation.json: {"positions": 1000000, "scanMs": <median>, ...}.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LiquidationIndex } from "../keeper/src/risk/liquidationIndex.js";
import { DEVNET_MARKETS, syntheticAccounts, toWad } from "../keeper/src/risk/synthetic.js";

const POSITIONS = Number(process.env.POSITIONS ?? 1_000_000);
const SEED = 20_240_601;
/** Tick sizes (relative moves of one market, or of all three): small to a crash. */
const TICKS: readonly { market: number | "all"; move: number }[] = [
  { market: 0, move: -0.001 },
  { market: 1, move: -0.005 },
  { market: 2, move: 0.01 },
  { market: "all", move: -0.02 },
  { market: 0, move: 0.03 },
  { market: "all", move: -0.05 },
  { market: 2, move: -0.08 },
];
/** Exact brute force of all positions is slow (bigint); VERIFY=0 skips it. */
const VERIFY = process.env.VERIFY !== "0";

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const prices = DEVNET_MARKETS.map((m) => m.price);
const funding = [5n * 10n ** 15n, 3n * 10n ** 13n, -2n * 10n ** 13n];

let t0 = performance.now();
const accounts = syntheticAccounts({ seed: SEED, positions: POSITIONS, crossShare: 0.05, prices, funding });
const generateMs = performance.now() - t0;

const index = new LiquidationIndex(DEVNET_MARKETS);
prices.forEach((p, id) => index.setMarket(id, toWad(p), funding[id]!));
t0 = performance.now();
index.batch(() => {
  for (const { key, state } of accounts) index.upsert(key, state);
});
const loadMs = performance.now() - t0;
let positions = 0;
let crossAccounts = 0;
for (const { state } of accounts) {
  positions += state.positions.length;
  if (state.positions.length > 1) crossAccounts++;
}
console.log(
  `${positions.toLocaleString()} positions in ${accounts.length.toLocaleString()} accounts ` +
    `(${crossAccounts.toLocaleString()} cross-margined over XBTUSD+ETHUSD); generated in ${generateMs.toFixed(0)} ms, ` +
    `indexed in ${loadMs.toFixed(0)} ms (exact SDK liquidation prices)`,
);

// Warm the query path once (JIT), at the starting marks.
index.allCandidates();

type Row = { tick: string; scanMs: number; candidates: number; liquidatable: number; verified: boolean | null };
const rows: Row[] = [];
// Phase 1, timed: each tick REPEAT times from its starting marks (nothing else allocating in between);
// a tick's time is the median of its repetitions, the figure is the median over the ticks.
const REPEAT = 5;
const snapshots: { marks: number[]; found: ReturnType<LiquidationIndex["allCandidates"]> }[] = [];
for (const tick of TICKS) {
  const markets = tick.market === "all" ? [0, 1, 2] : [tick.market];
  const before = [...prices];
  for (const m of markets) prices[m] = prices[m]! * (1 + tick.move);
  const times: number[] = [];
  let found: ReturnType<LiquidationIndex["allCandidates"]> = [];
  for (let r = 0; r < REPEAT; r++) {
    for (const m of markets) index.setMarket(m, toWad(before[m]!), funding[m]!);
    const start = performance.now();
    for (const m of markets) index.setMarket(m, toWad(prices[m]!), funding[m]!);
    found = index.allCandidates();
    times.push(performance.now() - start);
  }
  const scanMs = median(times);
  snapshots.push({ marks: [...prices], found });
  const label = `${tick.market === "all" ? "all markets" : DEVNET_MARKETS[tick.market]!.symbol} ${(tick.move * 100).toFixed(1)}%`;
  rows.push({ tick: label, scanMs, candidates: found.length, liquidatable: 0, verified: null });
}

// Phase 2: the same marks again, the exact re-check the keeper does and the brute force.
snapshots.forEach(({ marks, found }, t) => {
  marks.forEach((p, id) => index.setMarket(id, toWad(p), funding[id]!));
  const exact = new Set<string>();
  for (const { handle, market } of found) if (index.isLiquidatable(handle)) exact.add(`${handle}:${market}`);
  const row = rows[t]!;
  row.liquidatable = exact.size;
  if (VERIFY) {
    const candidates = new Set(found.map(({ handle, market }) => `${handle}:${market}`));
    let truth = 0;
    let ok = true;
    for (const { key, state } of accounts) {
      const handle = index.handleOf(key)!;
      if (!index.isLiquidatable(handle)) continue;
      for (const p of state.positions) {
        truth++;
        const id = `${handle}:${p.market}`;
        if (!candidates.has(id) || !exact.has(id)) ok = false;
      }
    }
    row.verified = ok && truth === exact.size;
  }
  console.log(
    `tick ${row.tick.padEnd(18)} scan ${row.scanMs.toFixed(3).padStart(7)} ms  candidates ${String(row.candidates).padStart(7)}  ` +
      `liquidatable ${String(row.liquidatable).padStart(7)}  brute force ${row.verified === null ? "skipped" : row.verified ? "equal" : "DIFFERENT"}`,
  );
});

const scanMs = Number(median(rows.map((r) => r.scanMs)).toFixed(3));
const result = {
  positions,
  scanMs,
  target: 5,
  accounts: accounts.length,
  crossMarginedAccounts: crossAccounts,
  ticks: rows,
  loadMs: Number(loadMs.toFixed(0)),
};
console.log(`median scan ${scanMs} ms over ${rows.length} ticks (target ≤ 5 ms)`);
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench", "results", "liquidation.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
if (rows.some((r) => r.verified === false)) {
  console.error("the index disagreed with the brute-force scan");
  process.exitCode = 1;
}
