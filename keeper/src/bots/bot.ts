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
