import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { HeartbeatRegistry } from "./interfaces.js";

/** The intake's Prometheus metrics, on a registry of its own (several servers can share a process). */
export class IntakeMetrics {
  readonly registry = new Registry();
  readonly messages = new Counter({
    name: "lucent_intake_messages_total",
    help: "Messages received, by operation",
    labelNames: ["op"] as const,
    registers: [this.registry],
  });
  readonly accepted = new Counter({
    name: "lucent_intake_accepted_total",
    help: "Orders and cancels accepted (journaled and acknowledged)",
    labelNames: ["op"] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: "lucent_intake_rejected_total",
    help: "Messages rejected, by code",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly ackSeconds = new Histogram({
    name: "lucent_intake_ack_seconds",
    help: "Receipt to acknowledgement of an accepted order",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  readonly journalCommitSeconds = new Histogram({
    name: "lucent_journal_commit_seconds",
    help: "Duration of one journal group commit",
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  readonly journalCommitItems = new Histogram({
    name: "lucent_journal_commit_items",
    help: "Orders and cancels per journal group commit",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly connections = new Gauge({
    name: "lucent_intake_ws_connections",
    help: "Open WebSocket connections",
    registers: [this.registry],
  });
  readonly nativeCrypto = new Gauge({
    name: "lucent_intake_native_crypto",
    help: "1 when the native secp256k1 and keccak builds are in use, 0 on the slow JS fallback",
    registers: [this.registry],
  });

  constructor(heartbeats: HeartbeatRegistry | undefined, now: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: "lucent_keeper_" });
    new Gauge({
      name: "lucent_heartbeat_age_seconds",
      help: "Seconds since each registered loop last reported (-1: never)",
      labelNames: ["loop"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const h of heartbeats?.heartbeats() ?? []) {
          this.set({ loop: h.name }, h.lastBeatAt === undefined ? -1 : (now() - h.lastBeatAt) / 1000);
        }
      },
    });
  }
}
