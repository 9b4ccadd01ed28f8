import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address");
const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte hex private key");
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/** The keeper's configuration (`keeper.config.json`); every field has an env override, see {@link ENV_FIELDS}. */
export const keeperConfigSchema = z
  .object({
    /** JSON-RPC URLs, in order of preference: the keeper fails over to the next on errors and timeouts. */
    rpcUrls: z.array(z.string().url()).min(1),
    /** Expected chain id; checked against the nodes when set. */
    chainId: positiveInt.optional(),
    /** The keeper's key: its address must be registered in the KeeperRegistry. */
    privateKey,
    /** Ignition `deployed_addresses.json` to read the contract addresses from (default: the devnet's). */
    deploymentFile: z.string().optional(),
    /** Contract addresses; take precedence over `deploymentFile`. */
    addresses: z
      .object({ clearinghouse: address, marketRegistry: address, keeperRegistry: address.optional() })
      .strict()
      .optional(),
    /** First block to search for the keeper's `BatchSettled` events on restart (the deployment block). */
    startBlock: nonNegativeInt.default(0),
    /** Markets to match (default: every listed market). */
    markets: z.array(z.number().int().min(0).max(255)).optional(),
    /** Per market id: the engine's highest price in ticks (default 2^20). */
    maxPriceTicks: z.record(z.string().regex(/^\d+$/), positiveInt).default({}),
    api: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65_535).default(8787),
        /** Signature verifier threads (0: on the main thread; default one per core). */
        verifierThreads: nonNegativeInt.optional(),
      })
      .strict()
      .default({}),
    journal: z
      .object({
        path: z.string().default("keeper-journal.db"),
        synchronous: z.enum(["FULL", "NORMAL"]).default("FULL"),
      })
      .strict()
      .default({}),
    batch: z
      .object({
        maxFills: positiveInt.max(500).default(100),
        maxAgeMs: nonNegativeInt.default(250),
        pollMs: positiveInt.default(25),
        receiptTimeoutMs: positiveInt.default(60_000),
        gasMarginBps: nonNegativeInt.default(2_000),
        flushTimeoutMs: nonNegativeInt.default(30_000),
      })
      .strict()
      .default({}),
    rpc: z
      .object({
        timeoutMs: positiveInt.default(5_000),
        maxRounds: positiveInt.default(3),
        backoffMs: nonNegativeInt.default(200),
        backoffMaxMs: nonNegativeInt.default(2_000),
        pollingIntervalMs: positiveInt.default(250),
      })
      .strict()
      .default({}),
    tx: z
      .object({
        /** Replace a transaction this long after its last submission if it is not mined. */
        stuckAfterMs: positiveInt.default(15_000),
        /** Fee increase per replacement, basis points (≥ 1250 = +12.5%). */
        bumpBps: z.number().int().min(1_250).default(1_250),
        maxBumps: nonNegativeInt.default(5),
        /** Never pay more than this maxFeePerGas, in gwei. */
        maxFeePerGasGwei: z.number().positive().optional(),
        /** On start, how long transactions pending from before the restart may take before they are replaced. */
        restartWaitMs: nonNegativeInt.default(10_000),
      })
      .strict()
      .default({}),
    /** The liquidation loop (keeper/src/bots/liquidator.ts): book, backstop and ADL in one iteration. */
    liquidator: z
      .object({
        enabled: z.boolean().default(true),
        /** Poll period of the loop. */
        intervalMs: positiveInt.default(500),
        /** Plans per position per iteration when the simulation rejects one (the state moved). */
        maxAttempts: positiveInt.default(3),
        /** /health calls the loop stale when its last iteration is older than this. */
        staleAfterMs: positiveInt.default(30_000),
      })
      .strict()
      .default({}),
    /** Concurrent reads when open orders are checked against the chain on start. */
    reconcileConcurrency: positiveInt.default(8),
    /** How often the market watcher looks for markets paused, resumed or changed on chain. */
    marketWatchIntervalMs: positiveInt.default(2_000),
    log: z
      .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") })
      .strict()
      .default({}),
  })
  .strict();

export type KeeperConfig = z.infer<typeof keeperConfigSchema>;
export type KeeperConfigInput = z.input<typeof keeperConfigSchema>;

type EnvKind = "string" | "number" | "boolean" | "list" | "numberList";

/** Every overridable field: its path in the JSON and how its env value is parsed. */
const FIELDS: readonly [string[], EnvKind][] = [
  [["rpcUrls"], "list"],
  [["chainId"], "number"],
  [["privateKey"], "string"],
  [["deploymentFile"], "string"],
  [["addresses", "clearinghouse"], "string"],
  [["addresses", "marketRegistry"], "string"],
  [["addresses", "keeperRegistry"], "string"],
  [["startBlock"], "number"],
  [["markets"], "numberList"],
  [["api", "host"], "string"],
  [["api", "port"], "number"],
  [["api", "verifierThreads"], "number"],
  [["journal", "path"], "string"],
  [["journal", "synchronous"], "string"],
  [["batch", "maxFills"], "number"],
  [["batch", "maxAgeMs"], "number"],
  [["batch", "pollMs"], "number"],
  [["batch", "receiptTimeoutMs"], "number"],
  [["batch", "gasMarginBps"], "number"],
  [["batch", "flushTimeoutMs"], "number"],
  [["rpc", "timeoutMs"], "number"],
  [["rpc", "maxRounds"], "number"],
  [["rpc", "backoffMs"], "number"],
  [["rpc", "backoffMaxMs"], "number"],
  [["rpc", "pollingIntervalMs"], "number"],
  [["tx", "stuckAfterMs"], "number"],
  [["tx", "bumpBps"], "number"],
  [["tx", "maxBumps"], "number"],
  [["tx", "maxFeePerGasGwei"], "number"],
  [["tx", "restartWaitMs"], "number"],
  [["liquidator", "enabled"], "boolean"],
  [["liquidator", "intervalMs"], "number"],
  [["liquidator", "maxAttempts"], "number"],
  [["liquidator", "staleAfterMs"], "number"],
  [["reconcileConcurrency"], "number"],
  [["marketWatchIntervalMs"], "number"],
  [["log", "level"], "string"],
];

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

/**
 * `LUCENT_KEEPER_` + the field's JSON path in UPPER_SNAKE_CASE, joined by `_`: `batch.maxFills` →
 * `LUCENT_KEEPER_BATCH_MAX_FILLS`. Lists are comma-separated (`LUCENT_KEEPER_RPC_URLS=http://a,http://b`).
 */
export const ENV_FIELDS: readonly { env: string; path: string; kind: EnvKind }[] = FIELDS.map(([p, kind]) => ({
  env: `LUCENT_KEEPER_${p.map(snake).join("_")}`,
  path: p.join("."),
  kind,
}));

export class KeeperConfigError extends Error {
  override name = "KeeperConfigError";
}

/**
 * Reads `file` (JSON; optional), applies the `LUCENT_KEEPER_*` overrides from `env`, validates the result
 * and resolves relative file paths (`journal.path`, `deploymentFile`) against the config file's folder
 * (the working directory for values from the environment).
 */
export function loadKeeperConfig({
  file,
  env = process.env,
  cwd = process.cwd(),
}: { file?: string | undefined; env?: Record<string, string | undefined>; cwd?: string } = {}): KeeperConfig {
  let raw: Record<string, unknown> = {};
  const fileDir = file === undefined ? cwd : path.dirname(path.resolve(cwd, file));
  if (file !== undefined) {
    try {
      raw = JSON.parse(readFileSync(path.resolve(cwd, file), "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new KeeperConfigError(`cannot read the config file ${file}: ${(error as Error).message}`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      throw new KeeperConfigError(`${file} is not a JSON object`);
    resolvePaths(raw, fileDir);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const { env: name, path: p, kind } of ENV_FIELDS) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    setPath(fromEnv, p.split("."), parseEnv(name, value, kind));
  }
  resolvePaths(fromEnv, cwd);
  const merged = merge(raw, fromEnv);
  const parsed = keeperConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
    throw new KeeperConfigError(`invalid keeper configuration:\n${issues}`);
  }
  const config = parsed.data;
  // The default journal path, like a relative one in the file, lives beside the config file.
  if (config.journal.path !== ":memory:" && !path.isAbsolute(config.journal.path))
    config.journal.path = path.resolve(fileDir, config.journal.path);
  return config;
}

function parseEnv(name: string, value: string, kind: EnvKind): unknown {
  switch (kind) {
    case "string":
      return value;
    case "boolean": {
      const v = value.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      throw new KeeperConfigError(`${name}=${value} is not a boolean (true/false)`);
    }
    case "list":
      return value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
    case "number":
    case "numberList": {
      const parts = kind === "number" ? [value] : value.split(",").filter((s) => s.trim() !== "");
      const numbers = parts.map((s) => Number(s.trim()));
      if (numbers.some((n) => !Number.isFinite(n))) throw new KeeperConfigError(`${name}=${value} is not a number`);
      return kind === "number" ? numbers[0] : numbers;
    }
  }
}

function resolvePaths(raw: Record<string, unknown>, dir: string): void {
  if (typeof raw.deploymentFile === "string") raw.deploymentFile = path.resolve(dir, raw.deploymentFile);
  const journal = raw.journal as Record<string, unknown> | undefined;
  if (journal && typeof journal.path === "string" && journal.path !== ":memory:")
    journal.path = path.resolve(dir, journal.path);
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      typeof v === "object" &&
      v !== null &&
      !Array.isArray(v) &&
      typeof b === "object" &&
      b !== null &&
      !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
