import type { BlockNumber, BlockTag, Log } from "viem";
import { clearinghouseAbi } from "../abi/clearinghouse.js";
import type { LucentClient } from "../clients/types.js";
import { decodeLucentLogs, type LucentEvent, type LucentEventName } from "./decodeLucentLogs.js";
import type { LucentRpcError } from "./errors.js";
import { read } from "./internal/read.js";

export type GetEventsParameters<eventName extends LucentEventName | undefined = undefined> = {
  /** Default 0: the whole chain (narrow it on long chains; providers cap log ranges). */
  fromBlock?: BlockNumber | BlockTag | undefined;
  toBlock?: BlockNumber | BlockTag | undefined;
  /** Only this event. */
  eventName?: eventName;
};

export type GetEventsReturnType<eventName extends LucentEventName | undefined = undefined> =
  eventName extends LucentEventName ? Extract<LucentEvent, { eventName: eventName }>[] : LucentEvent[];

export type GetEventsErrorType = LucentRpcError;

/** The clearinghouse's events in a block range, decoded (`decodeLucentLogs`), in chain order. */
export async function getEvents<const eventName extends LucentEventName | undefined = undefined>(
  client: LucentClient,
  { fromBlock = 0n, toBlock = "latest", eventName }: GetEventsParameters<eventName> = {},
): Promise<GetEventsReturnType<eventName>> {
  const address = client.addresses.clearinghouse;
  // With an event, the node filters by its topic; decoding is decodeLucentLogs' either way. A batch's
  // fills are one `FillsSettled` log, which decodes into its `FillSettled` events.
  const names: readonly string[] =
    eventName === undefined ? [] : eventName === "FillSettled" ? ["FillSettled", "FillsSettled"] : [eventName];
  const events = clearinghouseAbi.filter(
    (i): i is Extract<(typeof clearinghouseAbi)[number], { type: "event" }> =>
      i.type === "event" && names.includes(i.name),
  );
  const logs: readonly Log[] = await read("getLogs", address, () =>
    events.length > 0
      ? client.publicClient.getLogs({ address, events, fromBlock, toBlock })
      : client.publicClient.getLogs({ address, fromBlock, toBlock }),
  );
  const decoded = decodeLucentLogs({ logs, address });
  return (
    eventName === undefined ? decoded : decoded.filter((event) => event.eventName === eventName)
  ) as GetEventsReturnType<eventName>;
}
