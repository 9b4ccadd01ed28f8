/** Structured context attached to every SDK error (field names, offending values, offsets...). */
export type LucentErrorDetails = Readonly<Record<string, unknown>>;

export type LucentErrorOptions = {
  details?: LucentErrorDetails;
  cause?: unknown;
};

/**
 * Base class of every error the SDK throws. `shortMessage` is one human sentence; `details` carries
 * the machine-readable context. `message` combines both for logs.
 */
export class LucentError extends Error {
  override name = "LucentError";
  readonly shortMessage: string;
  readonly details: LucentErrorDetails;

  constructor(shortMessage: string, options: LucentErrorOptions = {}) {
    const details = options.details ?? {};
    super(formatMessage(shortMessage, details), options.cause === undefined ? undefined : { cause: options.cause });
    this.shortMessage = shortMessage;
    this.details = details;
  }
}

function formatMessage(shortMessage: string, details: LucentErrorDetails): string {
  const entries = Object.entries(details);
  if (entries.length === 0) return shortMessage;
  const lines = entries.map(([key, value]) => `  ${key}: ${formatValue(value)}`);
  return `${shortMessage}\n\nDetails:\n${lines.join("\n")}`;
}

function formatValue(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
