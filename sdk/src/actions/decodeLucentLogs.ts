import {
  decodeEventLog,
  getAddress,
  hexToBigInt,
  isAddressEqual,
  type Address,
  type DecodeEventLogReturnType,
  type Hash,
  type Hex,
  type Log,
} from "viem";
import { clearinghouseAbi } from "../abi/clearinghouse.js";
import { InvalidParameterError } from "./errors.js";

const MASK_8 = (1n << 8n) - 1n;
const MASK_64 = (1n << 64n) - 1n;
const MASK_128 = (1n << 128n) - 1n;

/** `FillSettled.trade` and `.fees` unpacked (IClearinghouse NatSpec). */
export type SettledFill = {
  market: number;
  /** Contracts filled (unsigned). */
  size: bigint;
  /** The maker's limit, 18 decimals. */
  price: bigint;
  takerIsBuy: boolean;
  /** Collateral units. */
  makerFee: bigint;
  takerFee: bigint;
};

/** A subaccount id split into its parts (contracts/types/Ids.sol). */
export type SubaccountParts = { owner: Address; collateral: number; index: number };

type ClearinghouseEvent = DecodeEventLogReturnType<typeof clearinghouseAbi>;
/** The events `decodeLucentLogs` returns: a batch's `FillsSettled` comes back as its `FillSettled`s. */
export type LucentEventName = Exclude<ClearinghouseEvent["eventName"], "FillsSettled">;

/** Where a log sits on chain. */
export type LucentLogMeta = {
  address: Address;
  blockNumber: bigint;
  blockHash: Hash;
  transactionHash: Hash;
  transactionIndex: number;
  logIndex: number;
};

/**
 * A clearinghouse event, discriminated by `eventName`, with viem-typed `args`. `FillSettled` also
 * carries its packed `trade` and `fees` unpacked as `fill`.
 */
export type LucentEvent = LucentLogMeta &
  (
    | Exclude<ClearinghouseEvent, { eventName: "FillSettled" | "FillsSettled" }>
    | (FillSettledEvent & { fill: SettledFill })
  );

type FillSettledEvent = Extract<ClearinghouseEvent, { eventName: "FillSettled" }>;

export type DecodeLucentLogsParameters = {
  logs: readonly Log[];
  /** Keep only logs of this clearinghouse (default: any address whose log decodes). */
  address?: Address | undefined;
};

export type DecodeLucentLogsReturnType = LucentEvent[];

export type DecodeLucentLogsErrorType = InvalidParameterError;

/**
 * Decodes every clearinghouse event among `logs`, in order. Logs of other events or contracts, and
 * pending logs (no block yet), are left out.
 */
export function decodeLucentLogs({ logs, address }: DecodeLucentLogsParameters): DecodeLucentLogsReturnType {
  const events: LucentEvent[] = [];
  for (const log of logs) {
    if (address !== undefined && !isAddressEqual(log.address, address)) continue;
    if (log.blockNumber === null || log.blockHash === null || log.transactionHash === null) continue;
    if (log.logIndex === null || log.transactionIndex === null) continue;
    let decoded: ClearinghouseEvent;
    try {
      decoded = decodeEventLog({ abi: clearinghouseAbi, data: log.data, topics: log.topics, strict: true });
    } catch {
      continue; // not a clearinghouse event
    }
    const meta: LucentLogMeta = {
      address: getAddress(log.address),
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
      transactionIndex: log.transactionIndex,
      logIndex: log.logIndex,
    };
    if (decoded.eventName === "FillSettled") {
      events.push({ ...meta, ...decoded, fill: unpackFill(decoded.args.trade, decoded.args.fees) });
    } else if (decoded.eventName === "FillsSettled") {
      // A batch's fills come as one log; each becomes the `FillSettled` it stands for, in batch order.
      const fills = unpackSettledFills(decoded.args.fills);
      if (fills === undefined) continue; // malformed: not a clearinghouse's
      for (const args of fills) {
        events.push({ ...meta, eventName: "FillSettled", args, fill: unpackFill(args.trade, args.fees) });
      }
    } else {
      events.push({ ...meta, ...decoded });
    }
  }
  return events;
}

/** Unpacks `trade = market (8) | size (64) | price (128) | takerIsBuy (8)` and `fees = makerFee (128) | takerFee (128)`. */
export function unpackFill(trade: bigint, fees: bigint): SettledFill {
  for (const [field, value] of [
    ["trade", trade],
    ["fees", fees],
  ] as const) {
    if (value < 0n || value >> 256n !== 0n) throw new InvalidParameterError({ field, value, expected: "a uint256" });
  }
  return {
    market: Number((trade >> 248n) & MASK_8),
    size: (trade >> 184n) & MASK_64,
    price: (trade >> 56n) & MASK_128,
    takerIsBuy: (trade & MASK_8) !== 0n,
    makerFee: fees >> 128n,
    takerFee: fees & MASK_128,
  };
}

/** The bytes of one fill in `FillsSettled.fills` (IClearinghouseEvents). */
export const SETTLED_FILL_BYTES = 166;

/**
 * Splits `FillsSettled.fills` into the fills of the batch, in order, each with the fields of a
 * `FillSettled` event: `maker (22) | taker (22) | makerOrderHash (32) | takerOrderHash (32) |
 * trade (26) | fees (32)` bytes, the record's trade (`market 8 | size 64 | price 128 | takerIsBuy 8`
 * bits) put back in `FillSettled`'s layout. Undefined when the bytes are not whole records.
 */
export function unpackSettledFills(fills: Hex): FillSettledEvent["args"][] | undefined {
  const hex = fills.slice(2);
  const recordChars = 2 * SETTLED_FILL_BYTES;
  if (hex.length % recordChars !== 0) return undefined;
  const out: FillSettledEvent["args"][] = [];
  for (let at = 0; at < hex.length; at += recordChars) {
    const field = (from: number, bytes: number) => hex.slice(at + 2 * from, at + 2 * (from + bytes));
    out.push({
      maker: `0x${field(0, 22).padStart(64, "0")}`,
      taker: `0x${field(22, 22).padStart(64, "0")}`,
      makerOrderHash: `0x${field(44, 32)}`,
      takerOrderHash: `0x${field(76, 32)}`,
      trade: tradeWord(BigInt(`0x${field(108, 26)}`)),
      fees: BigInt(`0x${field(134, 32)}`),
    });
  }
  return out;
}

/** A record's 208-bit trade in `FillSettled.trade`'s layout (the flag moves from 8 to 56 bits). */
function tradeWord(packed: bigint): bigint {
  return ((packed >> 8n) << 56n) | (packed & MASK_8);
}

/** Splits a `SubaccountId` (`owner (160) | collateral (8) | index (8)`). */
export function parseSubaccountId(id: Hex): SubaccountParts {
  const value = hexToBigInt(id);
  if (value >> 176n !== 0n) throw new InvalidParameterError({ field: "id", value: id, expected: "a SubaccountId" });
  return {
    owner: getAddress(`0x${(value >> 16n).toString(16).padStart(40, "0")}`),
    collateral: Number((value >> 8n) & MASK_8),
    index: Number(value & MASK_8),
  };
}
