import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/**
 * The keeper's structured logger: one JSON object per line on stdout (pino), bigints as strings,
 * `component` naming the loop or layer that wrote it. Ship it to any log collector as is.
 */
export function createLogger({
  level = "info",
  destination,
}: { level?: LogLevel; destination?: pino.DestinationStream } = {}): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: "lucent-keeper" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      // bigints (sizes, fees, batch indices) are not JSON: log them as decimal strings.
      logMethod(args, method) {
        method.apply(this, args.map(stringifyBigints) as Parameters<typeof method>);
      },
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

function stringifyBigints(value: unknown, depth = 0): unknown {
  if (typeof value === "bigint") return value.toString();
  if (depth > 4 || value === null || typeof value !== "object" || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => stringifyBigints(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = stringifyBigints(v, depth + 1);
  return out;
}
