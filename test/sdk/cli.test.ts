// The `lucent` binary as a user runs it: a child process per invocation, stdout, stderr and exit code.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../sdk/bin/lucent.js", import.meta.url));

type Run = { code: number; stdout: string; stderr: string };

function lucent(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs with --json and returns the one JSON object printed. */
async function json(...args: string[]): Promise<Record<string, string>> {
  const run = await lucent(...args, "--json");
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(run.stdout.endsWith("\n")).toBe(true);
  expect(run.stdout.trimEnd().split("\n")).toHaveLength(1);
  return JSON.parse(run.stdout) as Record<string, string>;
}

const QUANTO = ["--kind", "quanto", "--multiplier", "0.000001"];

describe.concurrent("lucent calc: SPEC §2 reference vectors", () => {
  it("value: 10,000 ETHUSD quanto contracts at $500 are worth 5 XBT", async () => {
    expect(await json("calc", "value", ...QUANTO, "--size", "10000", "--price", "500")).toEqual({ value: "5" });
    expect(await json("calc", "value", ...QUANTO, "--size", "-10000", "--price", "500")).toEqual({ value: "-5" });
  });

  it("pnl: inverse XBTUSD long 10,000 from $10,000 to $12,500 makes 0.2 XBT; quanto $500 → $600 makes 1 XBT", async () => {
    const inverse = ["--kind", "inverse", "--multiplier", "1", "--size", "10000"];
    expect(await json("calc", "pnl", ...inverse, "--entry", "10000", "--exit", "12500")).toEqual({ pnl: "0.2" });
    expect(await json("calc", "pnl", ...QUANTO, "--size", "10000", "--entry", "500", "--exit", "600")).toEqual({
      pnl: "1",
    });
  });

  it("margin: 2 % of 5 XBT is 0.1 XBT", async () => {
    const args = [...QUANTO, "--size", "10000", "--price", "500", "--rate", "0.02"];
    expect(await json("calc", "margin", ...args)).toEqual({ margin: "0.1" });
  });

  it("contracts: 100 XBT of exposure at $500 is 200,000 contracts", async () => {
    const args = [...QUANTO, "--price", "500", "--exposure", "100"];
    expect(await json("calc", "contracts", ...args)).toEqual({ contracts: "200000" });
  });

  it("quanto-hedge: the hedge leaves q·M·(X−E)·(S1−S0)", async () => {
    const args = ["--multiplier", "0.000001", "--size", "10000", "--entry", "500", "--exit", "600"];
    expect(
      await json("calc", "quanto-hedge", ...args, "--collateral-entry", "10000", "--collateral-exit", "12000"),
    ).toEqual({
      underlyingExposure: "100",
      perpPnl: "1",
      perpPnlUsd: "12000",
      hedgePnlUsd: "-10000",
      netPnlUsd: "2000",
    });
  });

  it("--decimals computes in the collateral token's unit, rounding as the contract does", async () => {
    // 10,000 inverse contracts of 1 USD at $3 = 3,333.33… XBT; a short's value rounds down (towards −∞).
    const args = ["--kind", "inverse", "--multiplier", "1", "--price", "3", "--decimals", "8"];
    expect(await json("calc", "value", ...args, "--size", "10000")).toEqual({ value: "3333.33333333" });
    expect(await json("calc", "value", ...args, "--size=-10000")).toEqual({ value: "-3333.33333334" });
  });

  it("prints aligned name/value lines without --json", async () => {
    const run = await lucent("calc", "value", ...QUANTO, "--size", "10000", "--price", "500");
    expect(run).toEqual({ code: 0, stdout: "value  5\n", stderr: "" });
  });
});

describe.concurrent("lucent: bad input exits 2 with exactly one line on stderr", () => {
  const cases: [string, string[], RegExp][] = [
    ["unknown kind", ["calc", "value", "--kind", "foo", "--multiplier", "1", "--size", "1", "--price", "1"], /kind/],
    ["non-numeric value", ["calc", "value", ...QUANTO, "--size", "1", "--price", "abc"], /--price.*abc/],
    ["fractional size", ["calc", "value", ...QUANTO, "--size", "1.5", "--price", "1"], /--size/],
    ["too many decimals", ["calc", "value", ...QUANTO, "--size", "1", "--price", "1.0000000000000000001"], /18/],
    ["negative rate", ["calc", "margin", ...QUANTO, "--size", "1", "--price", "1", "--rate", "-0.1"], /--rate/],
    ["missing flag", ["calc", "value", ...QUANTO, "--size", "1"], /--price/],
    ["zero price", ["calc", "value", ...QUANTO, "--size", "1", "--price", "0"], /ZeroPrice/],
    [
      "exposure finer than the token",
      ["calc", "contracts", ...QUANTO, "--price", "1", "--exposure", "0.001", "--decimals", "2"],
      /decimal places/,
    ],
    ["bad --decimals", ["calc", "value", ...QUANTO, "--size", "1", "--price", "1", "--decimals", "x"], /--decimals/],
    ["unknown option", ["calc", "value", ...QUANTO, "--size", "1", "--price", "1", "--bogus"], /--bogus/],
    ["unknown command", ["frobnicate"], /frobnicate/],
    ["unknown calc command", ["calc", "frob"], /frob/],
    ["missing command", ["calc"], /missing command/],
    ["order cancel without a hash", ["order", "cancel"], /orderHash/],
    ["order cancel of a short hash", ["order", "cancel", "0x1234"], /<orderHash>: expected 32 bytes/],
    [
      "order cancel with a bad key",
      ["order", "cancel", `0x${"ab".repeat(32)}`, "--private-key", "0x12"],
      /--private-key/,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const run = await lucent(...args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^[^\n]+\n$/);
      expect(run.stderr).toMatch(pattern);
    });
  }

  it("--help is not an error", async () => {
    const run = await lucent("calc", "value", "--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--multiplier");
  });
});
