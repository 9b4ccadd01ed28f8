// `npm run bench:intake`: signed orders per second through the keeper's intake (SPEC §11: ≥ 10,000
// verified and acknowledged over WebSocket on loopback).
//
// The server runs in this process exactly as a keeper runs it: EIP-712 signature recovered on the
// verifier threads and matched to the trader, all intake checks, each order journaled in SQLite
// (WAL, synchronous=FULL, group commit) before its acknowledgement. Only the per-connection rate
// limit is raised (a bench client pushes far more than one trader would); per-trader limits are the
// defaults (ORDERS spread over TRADERS accounts stay within them).
//
// The clients run in a CHILD process (same file, `--client`), sharing the machine's two cores with
// the server: they pre-sign every order before the clock starts (signing is the client's cost),
// then pipeline them over CONNECTIONS WebSockets, at most WINDOW unanswered per connection, and
// time first send → last acknowledgement. The load is bounded: ORDERS orders, then everything stops.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hashOrder, lucentDomain, signOrder, type Order } from "../sdk/src/index.js";
import { startIntakeServer } from "../keeper/src/api/server.js";
import { orderToWire } from "../keeper/src/api/schema.js";
import { staticMarkets } from "../keeper/src/api/interfaces.js";
import { Journal } from "../keeper/src/store/journal.js";
import { domainSeparatorOf, encodeOrderStruct, ORDER_STRUCT_BYTES, toHex } from "../keeper/src/crypto/orderStruct.js";
import { keccak256 } from "../keeper/src/crypto/verifyCore.js";

const ORDERS = Number(process.env.BENCH_INTAKE_ORDERS ?? 50_000);
const TRADERS = 500;
const CONNECTIONS = 4;
const WINDOW = 1_000;
const domain = lucentDomain({ chainId: 31337, clearinghouse: "0x5FbDB2315678afecb367f032d93F642f64180aa3" });
const markets = staticMarkets({ 0: { tickSize: 10n ** 16n, lotSize: 1n, active: true } });

type ClientReport = {
  /** CPU seconds the client process used while timed. */
  clientCpuSeconds: number;
  orders: number;
  accepted: number;
  rejected: Record<string, number>;
  seconds: number;
  presignSeconds: number;
};

if (process.argv[2] === "--client") {
  const report = await runClients(Number(process.argv[3]));
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
} else {
  await runBench();
}

async function runBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lucent-bench-intake-"));
  const journal = new Journal({ path: join(dir, "journal.db"), synchronous: "FULL" });
  let sunk = 0;
  const server = await startIntakeServer({
    port: 0,
    domain,
    journal,
    markets,
    sink: { submit: () => void sunk++, cancel: () => {} },
    limits: { perConnection: { burst: 1_000_000, perSecond: 1_000_000 } },
  });
  try {
    const child = spawn(
      process.execPath,
      [
        "--disable-warning=ExperimentalWarning",
        "--import",
        "tsx",
        fileURLToPath(import.meta.url),
        "--client",
        String(server.port),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    // The server is idle while the client pre-signs, so its CPU over the child's life is the load's.
    const serverCpuBefore = process.cpuUsage();
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    if (code !== 0) throw new Error(`bench client exited with ${code}`);
    const serverCpu = process.cpuUsage(serverCpuBefore);
    const serverCpuSeconds = (serverCpu.user + serverCpu.system) / 1e6;
    const report = JSON.parse(out.trim().split("\n").at(-1)!) as ClientReport;
    const journaled = journal.countOrders().open;
    if (report.accepted !== ORDERS || journaled !== ORDERS || sunk !== ORDERS) {
      throw new Error(
        `expected ${ORDERS} accepted, journaled and sunk orders: ${JSON.stringify({ ...report, journaled, sunk })}`,
      );
    }
    const signedOrdersPerSec = Math.round(report.accepted / report.seconds);
    const result = {
      signedOrdersPerSec,
      orders: ORDERS,
      traders: TRADERS,
      connections: CONNECTIONS,
      window: WINDOW,
      clients: "child process, same machine",
      journal: "SQLite WAL, synchronous=FULL, group commit",
      journalCommits: journal.stats.commits,
      seconds: Number(report.seconds.toFixed(3)),
      // CPU cost of one order (server incl. verifier threads, plus the client), and what two otherwise
      // idle cores would therefore sustain: the figure above is lower when other work shares the machine.
      serverCpuMicrosPerOrder: Math.round((serverCpuSeconds / ORDERS) * 1e6),
      clientCpuMicrosPerOrder: Math.round((report.clientCpuSeconds / ORDERS) * 1e6),
      cpuBoundOrdersPerSecOnTwoIdleCores: Math.round((2 * ORDERS) / (serverCpuSeconds + report.clientCpuSeconds)),
      loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    };
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/intake.json", `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `intake: ${ORDERS} signed orders verified, journaled and acknowledged in ${report.seconds.toFixed(2)} s over ` +
        `${CONNECTIONS} WebSockets → ${signedOrdersPerSec} orders/s (${journal.stats.commits} commits; pre-signing took ` +
        `${report.presignSeconds.toFixed(1)} s, untimed)`,
    );
    console.log(
      `CPU per order: server ${result.serverCpuMicrosPerOrder} µs + client ${result.clientCpuMicrosPerOrder} µs → ` +
        `${result.cpuBoundOrdersPerSecOnTwoIdleCores} orders/s if the two cores were otherwise idle (1-min load average ${result.loadAverage1m})`,
    );
    console.log(JSON.stringify({ signedOrdersPerSec }));
  } finally {
    await server.close();
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runClients(port: number): Promise<ClientReport> {
  const presignStart = performance.now();
  const messages = await presign();
  const presignSeconds = (performance.now() - presignStart) / 1000;
  const sockets = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      await new Promise((resolve, reject) => {
        ws.addEventListener("open", resolve, { once: true });
        ws.addEventListener("error", reject, { once: true });
      });
      return ws;
    }),
  );
  let accepted = 0;
  const rejected: Record<string, number> = {};
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    sockets.map(
      (ws, c) =>
        new Promise<void>((resolve) => {
          // Connection c sends messages c, c + CONNECTIONS, …
          const mine = messages.filter((_, i) => i % CONNECTIONS === c);
          let sent = 0;
          let answered = 0;
          const pump = () => {
            while (sent < mine.length && sent - answered < WINDOW) ws.send(mine[sent++]!);
          };
          ws.addEventListener("message", (e) => {
            const a = JSON.parse(String(e.data)) as { ok: boolean; error?: { code: string } };
            if (a.ok) accepted++;
            else rejected[a.error!.code] = (rejected[a.error!.code] ?? 0) + 1;
            if (++answered === mine.length) resolve();
            else pump();
          });
          pump();
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  for (const ws of sockets) ws.close();
  return {
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    orders: messages.length,
    accepted,
    rejected,
    seconds,
    presignSeconds,
  };
}

/** Serialized order messages, signed with libsecp256k1; the first 50 are checked against the SDK's signOrder. */
async function presign(): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const secp = require("secp256k1/bindings.js") as {
    ecdsaSign(msg32: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
  };
  const keys = Array.from({ length: TRADERS }, (_, i) => {
    const key = keccak256(Buffer.from(`lucent bench trader ${i}`));
    return { key, address: privateKeyToAccount(toHex(key)).address };
  });
  const separator = domainSeparatorOf(domain);
  const struct = Buffer.alloc(ORDER_STRUCT_BYTES);
  const prefixed = Buffer.concat([Buffer.from([0x19, 0x01]), separator, Buffer.alloc(32)]);
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  const messages: string[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const trader = keys[i % TRADERS]!;
    const order: Order = {
      trader: trader.address as Address,
      subaccount: 0,
      market: 0,
      isBuy: i % 2 === 0,
      size: BigInt(1 + (i % 100)),
      limitPrice: (30_000n + BigInt(i % 1000)) * 10n ** 16n,
      flags: i % 10 === 0 ? 1 : 0,
      nonce: BigInt(i),
      expiry,
      keeper: "0x0000000000000000000000000000000000000000",
    };
    encodeOrderStruct(order, struct);
    keccak256(struct).copy(prefixed, 34);
    const digest = keccak256(prefixed);
    const { signature, recid } = secp.ecdsaSign(digest, trader.key);
    const sig = `0x${Buffer.from(signature).toString("hex")}${(27 + recid).toString(16)}` as Hex;
    if (i < 50) {
      const sdk = await signOrder({ signer: privateKeyToAccount(toHex(trader.key)), domain, order });
      if (sdk.signature !== sig || sdk.hash !== toHex(digest) || hashOrder({ domain, order }) !== toHex(digest)) {
        throw new Error(`bench signing disagrees with the SDK on order ${i}`);
      }
    }
    messages.push(JSON.stringify({ op: "order", id: i, order: orderToWire(order), signature: sig }));
  }
  return messages;
}
