// Internal: who may hold a position in a market, from the clearinghouse's events alone. A position only ever
// changes through a fill (batch or liquidation), a backstop takeover or an ADL, and each of those names both
// parties, so every subaccount that ever held a position in the market appears in one of these events.
import type { Hex } from "viem";
import type { LucentEvent } from "../actions/decodeLucentLogs.js";

/** Every subaccount that traded in `marketId` in `events`, in ascending id order (lower-case hex). */
export function marketParticipants(events: readonly LucentEvent[], marketId: number): Hex[] {
  const seen = new Set<Hex>();
  const add = (id: Hex) => seen.add(id.toLowerCase() as Hex);
  for (const event of events) {
    switch (event.eventName) {
      case "FillSettled":
        if (event.fill.market === marketId) {
          add(event.args.maker);
          add(event.args.taker);
        }
        break;
      case "BackstopTakeover":
        if (event.args.marketId === marketId) {
          add(event.args.account);
          add(event.args.insurance);
        }
        break;
      case "AdlCounterparty":
        if (event.args.marketId === marketId) {
          add(event.args.account);
          add(event.args.counterparty);
        }
        break;
      case "Liquidated":
        if (event.args.marketId === marketId) add(event.args.account);
        break;
      default:
        break;
    }
  }
  return [...seen].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}
