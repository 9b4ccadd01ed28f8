// The keeper configuration: defaults, LUCENT_KEEPER_* overrides, relative paths, and clear errors.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ENV_FIELDS, KeeperConfigError, loadKeeperConfig } from "../../keeper/src/config.js";

const dir = mkdtempSync(join(tmpdir(), "lucent-keeper-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = `0x${"11".repeat(32)}`;

function write(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe("loadKeeperConfig", () => {
  it("fills defaults and resolves file paths against the config file's folder", () => {
    const file = write("a.json", { rpcUrls: ["http://127.0.0.1:8545"], privateKey: KEY, deploymentFile: "d.json" });
    const config = loadKeeperConfig({ file, env: {} });
    expect(config.api).toEqual({ host: "127.0.0.1", port: 8787 });
    expect(config.batch).toMatchObject({ maxFills: 100, maxAgeMs: 250 });
    expect(config.tx).toMatchObject({ stuckAfterMs: 15_000, bumpBps: 1_250 });
    expect(config.journal.path).toBe(join(dir, "keeper-journal.db"));
    expect(config.deploymentFile).toBe(join(dir, "d.json"));
  });

  it("lets every documented LUCENT_KEEPER_* variable override its field", () => {
    const file = write("b.json", { rpcUrls: ["http://127.0.0.1:8545"], privateKey: KEY, api: { port: 1 } });
    const config = loadKeeperConfig({
      file,
      cwd: "/tmp",
      env: {
        LUCENT_KEEPER_RPC_URLS: "http://a:1, http://b:2",
        LUCENT_KEEPER_API_PORT: "9000",
        LUCENT_KEEPER_BATCH_MAX_FILLS: "7",
        LUCENT_KEEPER_MARKETS: "0,2",
        LUCENT_KEEPER_JOURNAL_PATH: "j.db",
        LUCENT_KEEPER_LOG_LEVEL: "warn",
        LUCENT_KEEPER_TX_MAX_FEE_PER_GAS_GWEI: "50",
      },
    });
    expect(config.rpcUrls).toEqual(["http://a:1", "http://b:2"]);
    expect(config.api.port).toBe(9000);
    expect(config.batch.maxFills).toBe(7);
    expect(config.markets).toEqual([0, 2]);
    expect(config.journal.path).toBe("/tmp/j.db");
    expect(config.log.level).toBe("warn");
    expect(config.tx.maxFeePerGasGwei).toBe(50);
    expect(ENV_FIELDS.map((f) => f.env)).toContain("LUCENT_KEEPER_ADDRESSES_CLEARINGHOUSE");
    expect(new Set(ENV_FIELDS.map((f) => f.env)).size).toBe(ENV_FIELDS.length);
  });

  it("works from the environment alone", () => {
    const config = loadKeeperConfig({
      env: { LUCENT_KEEPER_RPC_URLS: "http://127.0.0.1:8545", LUCENT_KEEPER_PRIVATE_KEY: KEY },
    });
    expect(config.privateKey).toBe(KEY);
  });

  it("rejects bad values with the field's path", () => {
    const file = write("c.json", { rpcUrls: [], privateKey: "0x12", tx: { bumpBps: 500 }, extra: 1 });
    expect(() => loadKeeperConfig({ file, env: {} })).toThrow(KeeperConfigError);
    try {
      loadKeeperConfig({ file, env: {} });
    } catch (error) {
      const message = (error as Error).message;
      for (const field of ["rpcUrls", "privateKey", "tx.bumpBps", "(root)"]) expect(message).toContain(field);
    }
    expect(() =>
      loadKeeperConfig({
        env: { LUCENT_KEEPER_RPC_URLS: "http://x", LUCENT_KEEPER_PRIVATE_KEY: KEY, LUCENT_KEEPER_API_PORT: "x" },
      }),
    ).toThrow(/LUCENT_KEEPER_API_PORT=x is not a number/);
    expect(() => loadKeeperConfig({ file: join(dir, "missing.json"), env: {} })).toThrow(/cannot read/);
  });
});
