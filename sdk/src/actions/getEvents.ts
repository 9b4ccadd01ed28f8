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
  const event =
    eventName === undefined ? undefined : clearinghouseAbi.find((i) => i.type === "event" && i.name === eventName);
  // With an event, the node filters by its topic; decoding is decodeLucentLogs' either way.
  const logs: readonly Log[] = await read("getLogs", address, () =>
    event?.type === "event"
      ? client.publicClient.getLogs({ address, event, fromBlock, toBlock })
      : client.publicClient.getLogs({ address, fromBlock, toBlock }),
  );
  const events = decodeLucentLogs({ logs, address });
  return (
    eventName === undefined ? events : events.filter((event) => event.eventName === eventName)
  ) as GetEventsReturnType<eventName>;
}
