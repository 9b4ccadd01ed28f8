// `npm run devnet -- --scenario crash`, as a newcomer runs it: the devnet on free loopback ports (its own
// Ignition deployment folder, so a running devnet's files are left alone) starts its keeper node, price
// feeder and market maker, drives the two-leg BTC crash, and exits 0 only if the keeper's liquidator
// liquidated through the book and the backstop, deleveraged what the vault could not take, and the SDK's
// auditAdl verified every ADL.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DEPLOYMENT_ID = `devnet-crash-test-${process.pid}`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

afterAll(() => {
  rmSync(path.join(ROOT, "ignition", "deployments", DEPLOYMENT_ID), { recursive: true, force: true });
});

describe("npm run devnet -- --scenario crash", () => {
  it("liquidates, takes over, deleverages and verifies every ADL, then exits 0", async () => {
    const [rpcPort, apiPort] = [await freePort(), await freePort()];
    const child = spawn("npm", ["run", "--silent", "devnet", "--", "--scenario", "crash"], {
      cwd: ROOT,
      env: {
        ...process.env,
        LUCENT_DEVNET_PORT: String(rpcPort),
        LUCENT_DEVNET_KEEPER_PORT: String(apiPort),
        LUCENT_DEVNET_DEPLOYMENT_ID: DEPLOYMENT_ID,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 110_000);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (code !== 0) console.error(out);
    expect(code).toBe(0);

    expect(out).toContain(`keeper health                 http://127.0.0.1:${apiPort}/health`);
    const lines = out.split("\n");
    // Leg 1: victim A through the book and the backstop; leg 2: victim B through the backstop and ADL.
    const liquidated = lines.filter((l) => l.trim().startsWith("Liquidated 0x"));
    expect(liquidated).toHaveLength(2);
    expect(liquidated[0]).toMatch(/closed 100 \(book [1-9]\d*, backstop [1-9]\d*, ADL 0\)/);
    expect(liquidated[1]).toMatch(/closed 300 \(book \d+, backstop \d+, ADL [1-9]\d*\)/);
    expect(lines.filter((l) => l.trim().startsWith("BackstopTakeover:")).length).toBeGreaterThanOrEqual(1);
    expect(lines.filter((l) => l.trim().startsWith("Deleveraged 0x"))).toHaveLength(1);
    expect(lines.filter((l) => l.trim().startsWith("AdlCounterparty 0x")).length).toBeGreaterThanOrEqual(1);
    const audits = lines.filter((l) => /^\s+(VERIFIED|DISCREPANCY|UNVERIFIABLE)\s/.test(l));
    expect(audits.length).toBeGreaterThanOrEqual(1);
    expect(audits.every((l) => l.trim().startsWith("VERIFIED"))).toBe(true);
    expect(out).toContain("SCENARIO OK");
  }, 120_000);
});
