import { numberToHex, type Hex } from "viem";
import { parseSubaccountId } from "../actions/decodeLucentLogs.js";
import type { InvalidParameterError, LucentRpcError, UnknownMarketError } from "../actions/errors.js";
import { getEvents } from "../actions/getEvents.js";
import { getMarketState } from "../actions/getMarketState.js";
import { type AdlPolicyName, getMarkets, type Market } from "../actions/getMarkets.js";
import { read, readClearinghouse } from "../actions/internal/read.js";
import { checkSmallUint, checkUint } from "../actions/internal/validate.js";
import type { LucentClient } from "../clients/types.js";
import { LucentError } from "../errors.js";
import type { MathErrorType } from "../math/checked.js";
import { AdlPolicy } from "./allocateAdl.js";
import { marketParticipants } from "./auditHolders.js";
import { type AdlIndicator, type AdlPosition, adlIndicator, rankAdlSide } from "./rankAdlSide.js";

export type AdlSideName = "long" | "short";

export type GetAdlRankingParameters = {
  marketId: number;
  /** Rank the sides as they stood at the end of this block (default: the latest block, fixed once). */
  blockNumber?: bigint | undefined;
};

/** One position of a side, in the order the market's policy deleverages it. */
export type AdlRankingEntry = {
  subaccountId: Hex;
  owner: Hex;
  /** Subaccount index of the owner. */
  index: number;
  /** Contracts, long > 0. */
  size: bigint;
  /** Collateral units. */
  basis: bigint;
  /** The holder's `accountHealth().equity` at the block, collateral units. */
  equity: bigint;
  /** The RANKED score (docs/adl.md); null under PRO_RATA, where no score orders the side. */
  score: bigint | null;
  /** 0-based place in the policy order (RANKED: score descending then id; PRO_RATA: id ascending). */
  rank: number;
  /** `5 − floor(5 · rank / n)`: 5 = first fifth of the queue … 1 = last fifth. */
  indicator: AdlIndicator;
};

export type GetAdlRankingReturnType = {
  marketId: number;
  symbol: string;
  blockNumber: bigint;
  policy: AdlPolicy;
  policyName: AdlPolicyName;
  markPrice: bigint;
  lotSize: bigint;
  /** The longs: the side a liquidated short is deleveraged against. */
  long: AdlRankingEntry[];
  /** The shorts: the side a liquidated long is deleveraged against. */
  short: AdlRankingEntry[];
};

export type GetAdlRankingErrorType =
  AdlSideCountMismatchError | UnknownMarketError | InvalidParameterError | LucentRpcError | MathErrorType;

/**
 * The positions found from the events are not the chain's count of the side (`sideHolders`): some position
 * changed without an event naming its holder, or the events read were incomplete (a capped log range).
 */
export class AdlSideCountMismatchError extends LucentError {
  override name = "AdlSideCountMismatchError";
  readonly side: AdlSideName;
  readonly onChain: bigint;
  readonly found: number;
  constructor(details: { marketId: number; side: AdlSideName; blockNumber: bigint; onChain: bigint; found: number }) {
    super(
      `The ${details.side} side of market ${details.marketId} has ${details.onChain} holders on chain, ` +
        `but ${details.found} were found from the events.`,
      { details },
    );
    this.side = details.side;
    this.onChain = details.onChain;
    this.found = details.found;
  }
}

/**
 * Both sides of a market in ADL order, from chain state at one block: the holders are every subaccount an event
 * names as trading in the market up to that block; each one's position and `accountHealth` equity are read at
 * the block, and each side is ordered by the market's policy (RANKED: `rankAdlSide`; PRO_RATA: id ascending).
 * The number of positions on each side is checked against the clearinghouse's own count (`sideHolders`).
 */
export async function getAdlRanking(
  client: LucentClient,
  { marketId, blockNumber: blockParam }: GetAdlRankingParameters,
): Promise<GetAdlRankingReturnType> {
  checkSmallUint("marketId", marketId, 8);
  if (blockParam !== undefined) checkUint("blockNumber", blockParam, 64);
  const address = client.addresses.clearinghouse;
  const blockNumber =
    blockParam ?? (await read("getBlockNumber", address, () => client.publicClient.getBlockNumber({ cacheTime: 0 })));
  const [market] = await getMarkets(client, { marketIds: [marketId], blockNumber });
  const [state, events, [longs, shorts]] = await Promise.all([
    getMarketState(client, { marketId, market: market!, blockNumber }),
    getEvents(client, { fromBlock: 0n, toBlock: blockNumber }),
    readClearinghouse(client, "sideHolders", [marketId], blockNumber),
  ]);
  const positions = await readSidePositions(client, marketParticipants(events, marketId), marketId, blockNumber);
  const long = positions.filter((p) => p.size > 0n);
  const short = positions.filter((p) => p.size < 0n);
  for (const [side, onChain, found] of [
    ["long", longs, long.length],
    ["short", shorts, short.length],
  ] as const) {
    if (onChain !== BigInt(found)) {
      throw new AdlSideCountMismatchError({ marketId, side, blockNumber, onChain, found });
    }
  }
  return {
    marketId,
    symbol: market!.symbol,
    blockNumber,
    policy: market!.adlPolicy,
    policyName: market!.adlPolicyName,
    markPrice: state.markPrice,
    lotSize: market!.lotSize,
    long: rankSide(market!, state.markPrice, long),
    short: rankSide(market!, state.markPrice, short),
  };
}

/** The non-zero positions of `candidates` in `marketId` with their holders' equity, read at `blockNumber`. */
async function readSidePositions(
  client: LucentClient,
  candidates: readonly Hex[],
  marketId: number,
  blockNumber: bigint,
): Promise<AdlPosition[]> {
  const rows = await Promise.all(
    candidates.map(async (id) => {
      const [size, basis] = await readClearinghouse(client, "position", [id, marketId], blockNumber);
      if (size === 0n) return undefined;
      const [equity] = await readClearinghouse(client, "accountHealth", [id], blockNumber);
      return { subaccountId: id, size, basis, equity };
    }),
  );
  return rows.filter((row): row is AdlPosition & { subaccountId: Hex } => row !== undefined);
}

/** One side of a market (same-sign positions) in the market's policy order, with ranks and indicators. */
export function rankSide(
  market: Pick<Market, "kind" | "multiplier" | "collateral" | "adlPolicy">,
  mark: bigint,
  positions: readonly AdlPosition[],
): AdlRankingEntry[] {
  const n = positions.length;
  const entry = (p: AdlPosition, score: bigint | null, rank: number): AdlRankingEntry => {
    const id = typeof p.subaccountId === "bigint" ? numberToHex(p.subaccountId, { size: 32 }) : p.subaccountId;
    const parts = parseSubaccountId(id);
    return {
      subaccountId: id,
      owner: parts.owner,
      index: parts.index,
      size: p.size,
      basis: p.basis,
      equity: p.equity,
      score,
      rank,
      indicator: adlIndicator(rank, n),
    };
  };
  if (market.adlPolicy === AdlPolicy.ProRata) {
    const byId = [...positions].sort((a, b) => compareIds(a.subaccountId, b.subaccountId));
    return byId.map((p, rank) => entry(p, null, rank));
  }
  const { kind, multiplier } = market;
  const ranked = rankAdlSide({ kind, multiplier, unit: market.collateral.unit, mark, positions });
  return ranked.map((p) => entry(p, p.score, p.rank));
}

function compareIds(a: Hex | bigint, b: Hex | bigint): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
