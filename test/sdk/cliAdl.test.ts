// `lucent adl rank`, `adl audit`, `risk cascade` and `insurance` against the Ignition deployment on the in-process
// EDR chain, run in-process through `registerLiveCommands` with the test chain's client (as actions.test.ts does
// for `markets` and `account`); and `getInsuranceVault` checked against the vault's own views.
import { Command } from "commander";
import hre from "hardhat";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Log } from "viem";
import { describe, expect, it } from "vitest";
import { allocateAdl, type LucentClient } from "../../sdk/src/index.js";
import { getAdlRanking } from "../../sdk/src/adl/getAdlRanking.js";
import { getInsuranceVault } from "../../sdk/src/actions/getInsuranceVault.js";
import { registerLiveCommands } from "../../sdk/src/cli/live.js";
import { BTCUSD, CRASH, deployBtcShorts, USD_UNIT, WAD } from "../e2e/fixtures/btcShorts.js";

const connection = await hre.network.create();
const { networkHelpers } = connection;

/** The victim longs 900 BTC-USD with $10,000 against bob (600, also sold to mia), carol and dave; the index falls to $93,500. */
async function deployFixture() {
  const f = await deployBtcShorts(connection);
  const { lucent, publicClient, client, liquidation, id, beforeTrades } = f;
  const { keeper, victim, bob, carol, dave, mia, erin } = f.wallets;
  const [r0, r1] = f.reporters;
  await publicClient.waitForTransactionReceipt({ hash: f.tradesHash });
  for (const reporter of [r0, r1]) await lucent.btcOracle.write.report([CRASH], { account: reporter.account });

  /** The keeper liquidates the victim through ADL with the SDK's ranking and allocation. */
  const deleverage = async () => {
    const ranking = await getAdlRanking(client, { marketId: BTCUSD });
    const { counterparties } = allocateAdl({
      kind: 0,
      multiplier: WAD / 1000n,
      unit: USD_UNIT,
      mark: ranking.markPrice,
      positions: ranking.short,
      policy: 0,
      shortfall: 900n,
    });
    const hash = await liquidation.write.liquidate(
      [id(victim), BTCUSD, "0x", ranking.short.map((p) => p.subaccountId), counterparties.map((c) => c.deleverage)],
      { account: keeper.account },
    );
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
  };
  /** An LP deposits `assets` into the USD insurance vault. */
  const fundVault = async (assets: bigint) => {
    await lucent.usd.write.mint([erin.account.address, assets]);
    await lucent.usd.write.approve([lucent.usdVault.address, assets], { account: erin.account });
    await lucent.usdVault.write.deposit([assets, erin.account.address], { account: erin.account });
  };
  return {
    ...lucent,
    publicClient,
    client,
    beforeTrades,
    deleverage,
    fundVault,
    liquidation,
    keeper,
    victim: id(victim),
    bob: id(bob),
    carol: id(carol),
    dave: id(dave, 1),
    mia: id(mia),
  };
}

/** Runs `lucent <argv>` in-process with `client`; returns stdout, stderr and the exit code. */
async function lucent(client: LucentClient, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command("lucent").exitOverride();
  registerLiveCommands(program, { createClient: () => client, out: (t) => out.push(t), err: (t) => err.push(t) });
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: "user" });
    return { out: out.join("\n"), err: err.join("\n"), code: process.exitCode ?? 0 };
  } finally {
    process.exitCode = exitCode;
  }
}

describe("lucent adl", () => {
  it("adl rank: the shorts then the longs, in RANKED order with indicators; --json; --block; bad market", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const text = await lucent(f.client, ["adl", "rank", "BTC-USD"]);
    expect(text).toMatchObject({ code: 0, err: "" });
    const lines = text.out.split("\n");
    expect(lines[0]).toMatch(/^BTC-USD \(market 0\), ranked, mark 93500, block \d+$/);
    expect(lines[2]).toMatch(/^shorts/);
    expect(lines[3]).toMatch(/^rank\s+subaccount\s+size\s+score\s+indicator$/);
    expect(lines[5]).toMatch(new RegExp(`^0\\s+${f.dave}\\s+-300\\s+[0-9.]+\\s+■■■■■ 5$`, "i"));
    expect(lines[6]).toMatch(new RegExp(`^1\\s+${f.carol}\\s+-300\\s+[0-9.]+\\s+■■■■□ 4$`, "i"));
    expect(lines[7]).toMatch(new RegExp(`^2\\s+${f.bob}\\s+-600\\s+[0-9.]+\\s+■■□□□ 2$`, "i"));

    const { out, code } = await lucent(f.client, ["adl", "rank", "0", "--json"]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { policy: string; short: { subaccount: string; score: string }[] };
    const ranking = await getAdlRanking(f.client, { marketId: BTCUSD });
    expect(parsed.policy).toBe("ranked");
    expect(parsed.short.map((e) => e.subaccount)).toEqual(ranking.short.map((e) => e.subaccountId));
    expect(parsed.short.map((e) => BigInt(e.score.replace(".", "").replace(/^0+/, "") || "0"))).toHaveLength(3);

    const block = String(f.beforeTrades);
    const before = await lucent(f.client, ["adl", "rank", "0", "--block", block, "--json"]);
    expect(JSON.parse(before.out)).toMatchObject({ blockNumber: block, markPrice: "100000", long: [], short: [] });
    const bad = await lucent(f.client, ["adl", "rank", "DOGE"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: "market" must be one of 0 \(BTC-USD\)/);
  });

  it("adl audit: one verified line per ADL, exit 0; a tampering log source gives the discrepancy and exit 1", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    expect(await lucent(f.client, ["adl", "audit"])).toEqual({ out: "no ADL in the range", err: "", code: 0 });
    await f.deleverage();
    const text = await lucent(f.client, ["adl", "audit"]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(
      /^block \d+ tx 0x[0-9a-f]{64} market 0 account 0x[0-9a-f]{64}: verified \(3 counterparties\)\n/,
    );
    expect(text.out.split("\n").at(-1)).toBe("1 ADL: 1 verified, 0 with discrepancies, 0 unverifiable");
    const json = JSON.parse((await lucent(f.client, ["adl", "audit", "--from", "0", "--json"])).out) as {
      results: { status: string; counterparties: unknown[] }[];
    };
    expect(json.results.map((r) => [r.status, r.counterparties.length])).toEqual([["verified", 3]]);

    // A node that reports the first two AdlCounterparty logs in each other's place.
    const publicClient = f.client.publicClient;
    const getLogs = (async (args: Parameters<typeof publicClient.getLogs>[0]) => {
      const logs = (await publicClient.getLogs(args)) as Log[];
      const topic = logs.find((l) => l.topics.length === 4 && l.data.length === 2 + 64 * 4)?.topics[0];
      const adl = logs.filter((l) => l.topics[0] === topic);
      if (adl.length < 2) return logs;
      const [a, b] = adl as [Log, Log];
      return logs.map((l) =>
        l === a ? { ...a, topics: b.topics, data: b.data } : l === b ? { ...b, topics: a.topics, data: a.data } : l,
      );
    }) as typeof publicClient.getLogs;
    const tampered: LucentClient = { ...f.client, publicClient: { ...publicClient, getLogs } };
    const bad = await lucent(tampered, ["adl", "audit"]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/DISCREPANCY wrong-order at 0: expected 0x[0-9a-f]{64}, actual 0x[0-9a-f]{64}/);
  });
});

describe("lucent risk cascade", () => {
  it("R both ways from the chain's liquidation prices and a --depth-file; no depth: ∞ where anything liquidates", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    const dir = mkdtempSync(join(tmpdir(), "lucent-cascade-"));
    const file = join(dir, "depth.json");
    // $93,400 × 0.001 × 100 = $9,340 of bids within 25 bps of $93,500; asks 1,000 contracts at $94,000.
    writeFileSync(file, JSON.stringify({ bids: [["93400", "100"]], asks: [[94_000, 1_000]] }));
    const { out, code, err } = await lucent(f.client, ["risk", "cascade", "BTC-USD", "--depth-file", file, "--json"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as {
      depthSource: string;
      results: {
        direction: string;
        rows: { deltaBps: number; liquidating: number; depth: number; ratio: number | string }[];
      }[];
    };
    expect(parsed.depthSource).toBe(`file ${file}`);
    const [down, up] = parsed.results;
    expect(down!.direction).toBe("down");
    expect(down!.rows.map((r) => r.deltaBps)).toEqual([25, 50, 100, 200, 500]);
    // The victim is already below MM: its whole notional (900 × $93.5) liquidates at every Δ.
    expect(down!.rows[0]).toMatchObject({ liquidating: 84_150, depth: 9_340 });
    expect(down!.rows[0]!.ratio).toBeCloseTo(84_150 / 9_340, 9);
    // Upwards the asks at $94,000 (53 bps) count from Δ = 100.
    expect(up!.rows.map((r) => r.depth)).toEqual([0, 0, 94_000, 94_000, 94_000]);

    const table = await lucent(f.client, ["risk", "cascade", "0", "--book-url", "http://127.0.0.1:9"]);
    expect(table.code).toBe(0);
    expect(table.out.split("\n")[0]).toMatch(/depth: none \(pass --depth-file\)/);
    expect(table.out).toMatch(/^down\s+25\s+93266\.3\s+84150\s+0\s+∞$/m);
  });
});

describe("insurance vault", () => {
  it("getInsuranceVault: the vault's views, its subaccount and backstop position, the flows by reason", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await f.fundVault(1_000_000n * USD_UNIT);
    // The funded vault takes the whole position over at the bankruptcy price: no ADL.
    const hash = await f.liquidation.write.liquidate([f.victim, BTCUSD, "0x", [], []], { account: f.keeper.account });
    expect((await f.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    const { vaults } = await getInsuranceVault(f.client, { flows: true });
    expect(vaults.map((v) => v.collateral.symbol)).toEqual(["USD", "XBT"]);
    const usd = vaults[0]!;
    expect(usd.vault).toBe(f.usdVault.address);
    expect(usd.asset).toBe(f.usd.address);
    expect(usd.totalAssets).toBe(await f.usdVault.read.totalAssets());
    expect(usd.totalSupply).toBe(await f.usdVault.read.totalSupply());
    expect(usd.sharePrice).toBe(await f.usdVault.read.convertToAssets([10n ** BigInt(usd.shareDecimals)]));
    expect(usd.sharePrice).toBeGreaterThan(10n ** 6n); // bought below mark: the LP gained
    expect(usd.cooldown).toBe(await f.usdVault.read.cooldown());
    expect(usd.subaccount).toBe(await f.usdVault.read.subaccount());
    const [balance] = await f.clearinghouse.read.account([usd.subaccount]);
    const [equity] = await f.clearinghouse.read.accountHealth([usd.subaccount]);
    expect([usd.balance, usd.equity]).toEqual([balance, equity]);
    expect(usd.positions.map((p) => [p.marketId, p.size])).toEqual([[BTCUSD, 900n]]);
    // Cash in: the LP's deposit and the liquidation fee's insurance share; the takeover is the position's value.
    expect(balance).toBe(1_000_000n * USD_UNIT + usd.flows!.net);
    expect(usd.flows!.takeover).toBeGreaterThan(0n);
    expect(usd.flows).toMatchObject({ tradingFee: 0n, badDebt: 0n });
    expect(usd.flows!.net).toBe(usd.flows!.liquidationFee);
    const only = await getInsuranceVault(f.client, { collateral: 1 });
    expect(only.vaults.map((v) => [v.collateral.symbol, v.totalAssets, v.flows])).toEqual([["XBT", 0n, undefined]]);
    await expect(getInsuranceVault(f.client, { collateral: 7 })).rejects.toThrow(/Collateral 7 is not listed/);
  });

  it("lucent insurance: one row per vault; --json with decimal strings", async () => {
    const f = await networkHelpers.loadFixture(deployFixture);
    await f.fundVault(1_000n * USD_UNIT);
    const text = await lucent(f.client, ["insurance"]);
    expect(text.code).toBe(0);
    const lines = text.out.split("\n");
    expect(lines[0]).toMatch(/^collateral\s+vault\s+assets\s+shares\s+share price\s+cooldown/);
    expect(lines[2]).toMatch(
      new RegExp(`^USD\\s+${f.usdVault.address}\\s+1000\\s+1000\\s+1\\s+86400s\\s+1000\\s+1000\\s+-\\s+0\\s+0\\s+0$`),
    );
    const { out } = await lucent(f.client, ["insurance", "--json"]);
    const parsed = JSON.parse(out) as { vaults: Record<string, unknown>[] };
    expect(parsed.vaults[0]).toMatchObject({
      totalAssets: "1000",
      totalSupply: "1000",
      sharePrice: "1",
      cooldownSeconds: "86400",
      flows: { tradingFee: "0", liquidationFee: "0", badDebt: "0", takeover: "0", net: "0", count: 0 },
    });
  });
});
