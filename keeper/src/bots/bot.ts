/**
 * One loop of the keeper node (batch poster, liquidator, deleverager, price feeder). Every bot
 * implements this interface so the node starts, stops and health-checks them the same way, and
 * `GET /health` reports each one's last heartbeat (Drift keeper-bots style).
 */
export interface Bot {
  /** Stable, unique, kebab-case: also the heartbeat and log name. */
  readonly name: string;
  /** Reads chain state, reconciles with the journal; no loop runs yet. */
  init(): Promise<void>;
  /** Starts the loop; resolves once it is running (not when it ends). */
  start(): Promise<void>;
  /** Stops the loop and waits for the in-flight iteration to finish. Idempotent. */
  stop(): Promise<void>;
  /** Healthy when the last completed iteration is recent enough for this bot. */
  healthCheck(): BotHealth;
}

export interface BotHealth {
  readonly healthy: boolean;
  /** Milliseconds since the epoch of the last completed iteration, or null before the first one. */
  readonly lastHeartbeatMs: number | null;
  readonly detail?: string;
}

/**
 * The loop of a bot that polls: `iterate` every `intervalMs` until stopped, one at a time, the first
 * at once. An iteration that throws keeps its error for /health (and goes to `onError`) and the loop
 * goes on; the bot calls `beat()` when one ends well, and `health()` says whether that was recent
 * enough. Every polling bot (liquidator, market watcher, price feeder, market maker) runs on one.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastHeartbeat: number | null = null;
  private lastError: string | undefined;

  constructor(
    private readonly o: {
      iterate: () => Promise<unknown>;
      intervalMs: number;
      staleAfterMs: number;
      now: () => number;
      onError?: (error: unknown) => void;
    },
  ) {}

  /** True before `start` and once `stop` was called: an iteration may cut its work short. */
  get stopping(): boolean {
    return this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.o
        .iterate()
        .then(() => undefined)
        .catch((error: unknown) => this.fail(error));
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.o.intervalMs);
    };
    void loop();
  }

  /** Stops the loop and waits for the in-flight iteration. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  /** An iteration ended well, now. */
  beat(): void {
    this.lastHeartbeat = this.o.now();
    this.lastError = undefined;
  }

  /** An iteration (or work the bot does outside the loop) failed: kept for /health until the next beat. */
  fail(error: unknown): void {
    this.lastError = error instanceof Error ? error.message.split("\n")[0] : String(error);
    this.o.onError?.(error);
  }

  health(): BotHealth {
    const last = this.lastHeartbeat;
    const healthy = last !== null && this.o.now() - last <= this.o.staleAfterMs;
    return this.lastError === undefined
      ? { healthy, lastHeartbeatMs: last }
      : { healthy, lastHeartbeatMs: last, detail: this.lastError };
  }
}
