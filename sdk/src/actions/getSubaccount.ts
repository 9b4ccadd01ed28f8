import type { Address, Hex } from "viem";
import { subaccountId } from "../accounts/subaccountId.js";
import type { LucentClient } from "../clients/types.js";
import { MarketKind } from "../math/contractMath.js";
import { fundingOwed } from "../math/fundingMath.js";
import type {
  InvalidAddressError,
  InvalidParameterError,
  LucentContractError,
  LucentRpcError,
  UnknownCollateralError,
} from "./errors.js";
import { getMarketState } from "./getMarketState.js";
import { getMarkets, type MarketKindName } from "./getMarkets.js";
import { type CollateralInfo, read, readClearinghouse, readCollateral } from "./internal/read.js";
import { checkAddress, checkSmallUint } from "./internal/validate.js";
import { riskPrice, subaccountHealth, type HealthPosition } from "./subaccountHealth.js";

export type GetSubaccountParameters = {
  owner: Address;
  /** Collateral index in the registry. */
  collateral: number;
  /** Subaccount index (default 0). */
  index?: number | undefined;
  /** Read every value at this block (default: the latest block, fixed once for all reads). */
  blockNumber?: bigint | undefined;
};

/** One open position, valued at its market's current mark. */
export type SubaccountPosition = {
  marketId: number;
  symbol: string;
  kind: MarketKind;
  kindName: MarketKindName;
  /** Contracts, long > 0. */
  size: bigint;
  /** Cost basis, collateral units (Σ signed value of the fills; PnL = value − basis). */
  basis: bigint;
  /** The market's funding index when this position's funding was last settled. */
  fundingSnapshot: bigint;
  /** Funding owed since then, collateral units (negative: owed to the position). */
  fundingOwed: bigint;
  markPrice: bigint;
  /** Average entry price implied by the basis, 18 decimals (rounded to nearest); null if undefined. */
  entryPrice: bigint | null;
  /** Signed value at the mark (rounded down), collateral units. */
  value: bigint;
  /** |value| (rounded up). */
  notional: bigint;
  unrealizedPnl: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
  /** Mark at which the subaccount's equity = MM, other marks fixed; null if none (SPEC §3). */
  liquidationPrice: bigint | null;
  /** Mark at which equity = 0, other marks fixed; null if none. */
  bankruptcyPrice: bigint | null;
};

export type GetSubaccountReturnType = {
  /** `SubaccountId`: owner | collateral | index. */
  id: Hex;
  owner: Address;
  index: number;
  collateral: CollateralInfo;
  /** The block every value was read at. */
  blockNumber: bigint;
  /** Realized balance, collateral units. */
  balance: bigint;
  /** Orders with a nonce below this are done: cancelled, or filled whole (a fill at the floor raises it). */
  nonceFloor: bigint;
  /** balance + Σ uPnL − Σ funding owed (the clearinghouse's `accountHealth`). */
  equity: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
  /** min(balance, equity − IM), floored at 0. */
  withdrawable: bigint;
  /** equity < MM: a keeper may liquidate the subaccount. */
  liquidatable: boolean;
  positions: SubaccountPosition[];
};

export type GetSubaccountErrorType =
  InvalidAddressError | InvalidParameterError | UnknownCollateralError | LucentContractError | LucentRpcError;

/**
 * A subaccount's balance, margin and every open position with its PnL, funding, liquidation and
 * bankruptcy prices. Equity, IM, MM and withdrawable are the clearinghouse's own figures; the
 * per-position figures are recomputed with the SDK math at the same block (they add up to them).
 */
export async function getSubaccount(
  client: LucentClient,
  { owner: ownerParam, collateral: collateralIndex, index = 0, blockNumber: blockParam }: GetSubaccountParameters,
): Promise<GetSubaccountReturnType> {
  const owner = checkAddress("owner", ownerParam);
  checkSmallUint("collateral", collateralIndex, 8);
  checkSmallUint("index", index, 8);
  const address = client.addresses.clearinghouse;
  const blockNumber =
    blockParam ?? (await read("getBlockNumber", address, () => client.publicClient.getBlockNumber({ cacheTime: 0 })));
  const collateral = await readCollateral(client, collateralIndex, blockNumber);
  const id = subaccountId({ owner, collateral: collateralIndex, index });

  const [[balance, openMarkets, nonceFloor], [equity, initialMargin, maintenanceMargin, withdrawable]] =
    await Promise.all([
      readClearinghouse(client, "account", [id], blockNumber),
      readClearinghouse(client, "accountHealth", [id], blockNumber),
    ]);

  const marketIds: number[] = [];
  for (let i = 0; i < 64; ++i) if ((openMarkets >> BigInt(i)) & 1n) marketIds.push(i);
  const markets = marketIds.length === 0 ? [] : await getMarkets(client, { marketIds, blockNumber });
  const rows = await Promise.all(
    markets.map(async (market) => {
      const [[size, basis, fundingSnapshot], state] = await Promise.all([
        readClearinghouse(client, "position", [id, market.id], blockNumber),
        getMarketState(client, { marketId: market.id, market, blockNumber }),
      ]);
      const unit = market.collateral.unit;
      const health: HealthPosition = {
        kind: market.kind,
        multiplier: market.multiplier,
        unit,
        imRate: market.imRate,
        mmRate: market.mmRate,
        size,
        basis,
        fundingOwed: fundingOwed(size, state.cumulativeFunding, fundingSnapshot, unit),
        mark: state.markPrice,
      };
      return { market, fundingSnapshot, health };
    }),
  );

  const open = rows.filter((row) => row.health.size !== 0n);
  const healthPositions = open.map((row) => row.health);
  const local = subaccountHealth({ balance, positions: healthPositions });
  const positions = open.map(({ market, fundingSnapshot, health }, i): SubaccountPosition => {
    const h = local.positions[i]!;
    const prices = { balance, positions: healthPositions, position: i };
    return {
      marketId: market.id,
      symbol: market.symbol,
      kind: market.kind,
      kindName: market.kindName,
      size: health.size,
      basis: health.basis,
      fundingSnapshot,
      fundingOwed: health.fundingOwed,
      markPrice: health.mark,
      entryPrice: entryPrice(health),
      value: h.value,
      notional: h.notional,
      unrealizedPnl: h.unrealizedPnl,
      initialMargin: h.initialMargin,
      maintenanceMargin: h.maintenanceMargin,
      liquidationPrice: riskPrice({ ...prices, target: "liquidation" }),
      bankruptcyPrice: riskPrice({ ...prices, target: "bankruptcy" }),
    };
  });

  return {
    id,
    owner,
    index,
    collateral,
    blockNumber,
    balance,
    nonceFloor,
    equity,
    initialMargin,
    maintenanceMargin,
    withdrawable,
    liquidatable: equity < maintenanceMargin,
    positions,
  };
}

/**
 * The price whose value of `size` contracts is `basis`: basis·1e36 / (q·M·u) (linear, quanto) or
 * −q·M·u / basis (inverse), rounded to nearest. Funding precision plays no part.
 */
function entryPrice({ kind, multiplier, unit, size, basis }: HealthPosition): bigint | null {
  const mu = multiplier * unit;
  let n: bigint;
  let d: bigint;
  if (kind === MarketKind.Inverse) {
    n = -size * mu;
    d = basis;
  } else {
    n = basis * 10n ** 36n;
    d = size * mu;
  }
  if (d === 0n || n === 0n || n > 0n !== d > 0n) return null;
  if (n < 0n) [n, d] = [-n, -d];
  return (n + d / 2n) / d;
}
