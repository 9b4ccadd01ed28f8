import { custom, HttpRequestError, RpcRequestError, TimeoutError, type CustomTransport } from "viem";

/**
 * A viem transport over several JSON-RPC URLs. Requests go to the current URL; a network error, a
 * timeout or an HTTP error status (5xx, 429, anything but 200) moves to the next URL at once, and once
 * every URL has failed in a round the transport backs off (exponentially, capped) before the next round.
 * After `maxRounds` failed rounds the request fails with the last error. A JSON-RPC error answer (a
 * revert, "nonce too low", ...) is the node's word and is returned as is, without failover.
 *
 * The transport sticks to the URL that last answered, so a recovered primary is only used again once
 * the current one fails: failing back and forth between a flaky and a good node costs more than it saves.
 */
export type FailoverTransportOptions = {
  urls: readonly string[];
  /** Per attempt. Default 5000 ms. */
  timeoutMs?: number;
  /** Full rounds over every URL before giving up. Default 3. */
  maxRounds?: number;
  /** Backoff after the first failed round; doubles each round. Default 200 ms. */
  backoffMs?: number;
  /** Cap of the backoff. Default 2000 ms. */
  backoffMaxMs?: number;
  /** Observes failovers (metrics, logs). */
  onFailover?: (event: FailoverEvent) => void;
};

export type FailoverEvent = { from: string; to: string; method: string; error: string; round: number };

export type FailoverTransportStats = {
  /** Attempts that failed with a network error, timeout or HTTP error status. */
  failures: number;
  /** Switches from one URL to the next. */
  failovers: number;
  /** Index in `urls` of the URL in use. */
  current: number;
};

export type FailoverTransport = { transport: CustomTransport; stats: FailoverTransportStats; urls: readonly string[] };

type JsonRpcResponse = {
  jsonrpc: "2.0";
  id: number;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
};

export function createFailoverTransport(options: FailoverTransportOptions): FailoverTransport {
  const urls = [...options.urls];
  if (urls.length === 0) throw new Error("at least one RPC URL is needed");
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxRounds = Math.max(1, options.maxRounds ?? 3);
  const backoffMs = options.backoffMs ?? 200;
  const backoffMaxMs = options.backoffMaxMs ?? 2_000;
  const stats: FailoverTransportStats = { failures: 0, failovers: 0, current: 0 };
  let nextId = 1;

  async function attempt(url: string, body: { method: string; params: unknown }): Promise<JsonRpcResponse> {
    const id = nextId++;
    const payload = { jsonrpc: "2.0", id, method: body.method, params: body.params ?? [] };
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if ((error as Error).name === "TimeoutError" || (error as Error).name === "AbortError")
        throw new TimeoutError({ body: payload, url });
      throw new HttpRequestError({ body: payload, url, details: String((error as Error).message ?? error) });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new HttpRequestError({ body: payload, url, status: response.status, details: String(error) });
    }
    if (response.status !== 200)
      throw new HttpRequestError({ body: payload, url, status: response.status, details: text.slice(0, 200) });
    try {
      const json = JSON.parse(text) as JsonRpcResponse;
      if (typeof json !== "object" || json === null || (json.result === undefined && json.error === undefined))
        throw new Error("not a JSON-RPC response");
      return json;
    } catch (error) {
      throw new HttpRequestError({ body: payload, url, status: response.status, details: String(error) });
    }
  }

  async function request({ method, params }: { method: string; params?: unknown }): Promise<unknown> {
    let lastError: unknown;
    for (let round = 0; round < maxRounds; round++) {
      if (round > 0) await sleep(Math.min(backoffMaxMs, backoffMs * 2 ** (round - 1)));
      for (let tried = 0; tried < urls.length; tried++) {
        const index = stats.current;
        const url = urls[index]!;
        try {
          const response = await attempt(url, { method, params });
          if (response.error !== undefined) {
            throw new RpcRequestError({ body: { method, params }, error: response.error, url });
          }
          return response.result;
        } catch (error) {
          if (error instanceof RpcRequestError) throw error;
          stats.failures++;
          lastError = error;
          if (urls.length > 1) {
            stats.current = (index + 1) % urls.length;
            stats.failovers++;
            options.onFailover?.({
              from: url,
              to: urls[stats.current]!,
              method,
              error: (error as Error).message?.split("\n")[0] ?? String(error),
              round,
            });
          }
        }
      }
    }
    throw lastError;
  }

  // viem's own retry would re-send to the same URL; this transport does its own rounds.
  const transport = custom({ request }, { retryCount: 0, name: "Failover JSON-RPC", key: "failover" });
  return { transport, stats, urls };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
