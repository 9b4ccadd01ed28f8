import type { Address, Hex } from "viem";
import { insuranceVaultAbi } from "../abi/insuranceVault.js";
import type { LucentClient } from "../clients/types.js";
import {
  type InvalidParameterError,
  type LucentContractError,
  type LucentRpcError,
  UnknownCollateralError,
} from "./errors.js";
import { getCollaterals } from "./getCollaterals.js";
import { getEvents } from "./getEvents.js";
import { getSubaccount, type SubaccountPosition } from "./getSubaccount.js";
import { at, read, readCollateralCount, type CollateralInfo } from "./internal/read.js";
import { checkSmallUint, checkUint } from "./internal/validate.js";

/** `enum InsuranceFlowReason` (contracts/types/Risk.sol). */
export const InsuranceFlowReason = { TradingFee: 0, LiquidationFee: 1, BadDebt: 2, Takeover: 3 } as const;
export type InsuranceFlowReason = (typeof InsuranceFlowReason)[keyof typeof InsuranceFlowReason];
export const INSURANCE_FLOW_REASON_NAMES = ["tradingFee", "liquidationFee", "badDebt", "takeover"] as const;
export type InsuranceFlowReasonName = (typeof INSURANCE_FLOW_REASON_NAMES)[number];

export type GetInsuranceVaultParameters = {
  /** Only this collateral's vault (default: every listed collateral that has one). */
  collateral?: number | undefined;
  /** Read at this block (default: the latest, fixed once for all reads). */
  blockNumber?: bigint | undefined;
  /** Also sum the `InsuranceFlow` events from `fromBlock` (default 0) to the block, by reason. */
  flows?: boolean | { fromBlock?: bigint | undefined } | undefined;
};

/** `InsuranceFlow` amounts summed by reason, collateral units (> 0 into the vault, < 0 out of it). */
export type InsuranceFlowSummary = Record<InsuranceFlowReasonName, bigint> & {
  /**
   * Money in minus money out: trading fees + liquidation fees + bad debt (≤ 0). Takeovers are not in it: their
   * amount is the value of the position taken at the bankruptcy price, not a transfer.
   */
  net: bigint;
  /** How many events were summed. */
  count: number;
};

/** One collateral's ERC-4626 insurance vault (SPEC §8) and the clearinghouse subaccount holding its money. */
export type InsuranceVaultState = {
  collateral: CollateralInfo;
  vault: Address;
  /** The vault's ERC-4626 asset: the collateral token. */
  asset: Address;
  /** The subaccount's equity at mark, floored at 0: what the shares are worth (collateral units). */
  totalAssets: bigint;
  /** Shares outstanding (including shares escrowed for redemption requests). */
  totalSupply: bigint;
  /** The share token's decimals. */
  shareDecimals: number;
  /** Collateral units one whole share (10^shareDecimals) redeems for, rounded down (ERC-4626 `convertToAssets`). */
  sharePrice: bigint;
  /** Seconds between a redemption request and the redemption. */
  cooldown: bigint;
  /** The clearinghouse subaccount (vault, collateral, index 0). */
  subaccount: Hex;
  /** Realized balance of the subaccount, collateral units. */
  balance: bigint;
  /** balance + Σ uPnL − Σ funding owed: with backstop positions, may differ from the balance. */
  equity: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
  /** Backstop positions the vault holds. */
  positions: SubaccountPosition[];
  /** Present when `flows` was asked for. */
  flows?: InsuranceFlowSummary;
};

export type GetInsuranceVaultReturnType = { blockNumber: bigint; vaults: InsuranceVaultState[] };

export type GetInsuranceVaultErrorType =
  InvalidParameterError | UnknownCollateralError | LucentContractError | LucentRpcError;

/**
 * The insurance vault of each collateral: ERC-4626 figures (assets, shares, share price, cooldown), the
 * clearinghouse subaccount that holds the money and backstop positions, and optionally its inflows and outflows
 * (`InsuranceFlow`) summed by reason.
 */
export async function getInsuranceVault(
  client: LucentClient,
  { collateral, blockNumber: blockParam, flows }: GetInsuranceVaultParameters = {},
): Promise<GetInsuranceVaultReturnType> {
  if (collateral !== undefined) checkSmallUint("collateral", collateral, 8);
  if (blockParam !== undefined) checkUint("blockNumber", blockParam, 64);
  const blockNumber =
    blockParam ??
    (await read("getBlockNumber", client.addresses.clearinghouse, () =>
      client.publicClient.getBlockNumber({ cacheTime: 0 }),
    ));
  const collaterals = (await getCollaterals(client, { blockNumber })).filter(
    (c) => c.insuranceVault !== null && (collateral === undefined || c.index === collateral),
  );
  if (collateral !== undefined && collaterals.length === 0) {
    const collateralCount = await readCollateralCount(client, blockNumber);
    if (collateral >= collateralCount) throw new UnknownCollateralError({ collateral, collateralCount });
  }
  const events =
    flows === undefined || flows === false
      ? undefined
      : await getEvents(client, {
          fromBlock: typeof flows === "object" ? (flows.fromBlock ?? 0n) : 0n,
          toBlock: blockNumber,
          eventName: "InsuranceFlow",
        });
  const vaults = await Promise.all(
    collaterals.map(async (c): Promise<InsuranceVaultState> => {
      const vault = c.insuranceVault!;
      const call = <T>(functionName: string, run: () => Promise<T>) => read(functionName, vault, run);
      const [asset, totalAssets, totalSupply, shareDecimals, cooldown, sub] = await Promise.all([
        call("asset", () =>
          client.publicClient.readContract({
            address: vault,
            abi: insuranceVaultAbi,
            functionName: "asset",
            ...at(blockNumber),
          }),
        ),
        call("totalAssets", () =>
          client.publicClient.readContract({
            address: vault,
            abi: insuranceVaultAbi,
            functionName: "totalAssets",
            ...at(blockNumber),
          }),
        ),
        call("totalSupply", () =>
          client.publicClient.readContract({
            address: vault,
            abi: insuranceVaultAbi,
            functionName: "totalSupply",
            ...at(blockNumber),
          }),
        ),
        call("decimals", () =>
          client.publicClient.readContract({
            address: vault,
            abi: insuranceVaultAbi,
            functionName: "decimals",
            ...at(blockNumber),
          }),
        ),
        call("cooldown", () =>
          client.publicClient.readContract({
            address: vault,
            abi: insuranceVaultAbi,
            functionName: "cooldown",
            ...at(blockNumber),
          }),
        ),
        getSubaccount(client, { owner: vault, collateral: c.index, index: 0, blockNumber }),
      ]);
      const sharePrice = await call("convertToAssets", () =>
        client.publicClient.readContract({
          address: vault,
          abi: insuranceVaultAbi,
          functionName: "convertToAssets",
          args: [10n ** BigInt(shareDecimals)],
          ...at(blockNumber),
        }),
      );
      const state: InsuranceVaultState = {
        collateral: c,
        vault,
        asset,
        totalAssets,
        totalSupply,
        shareDecimals,
        sharePrice,
        cooldown,
        subaccount: sub.id,
        balance: sub.balance,
        equity: sub.equity,
        initialMargin: sub.initialMargin,
        maintenanceMargin: sub.maintenanceMargin,
        positions: sub.positions,
      };
      if (events !== undefined) state.flows = summarizeFlows(events, c.index);
      return state;
    }),
  );
  return { blockNumber, vaults };
}

/** Sums `InsuranceFlow` events of one collateral by reason. */
export function summarizeFlows(
  events: readonly { args: { collateral: number; reason: number; amount: bigint } }[],
  collateral: number,
): InsuranceFlowSummary {
  const summary: InsuranceFlowSummary = {
    tradingFee: 0n,
    liquidationFee: 0n,
    badDebt: 0n,
    takeover: 0n,
    net: 0n,
    count: 0,
  };
  for (const { args } of events) {
    if (args.collateral !== collateral) continue;
    const name = INSURANCE_FLOW_REASON_NAMES[args.reason];
    if (name !== undefined) summary[name] += args.amount;
    if (args.reason !== InsuranceFlowReason.Takeover) summary.net += args.amount;
    summary.count++;
  }
  return summary;
}
