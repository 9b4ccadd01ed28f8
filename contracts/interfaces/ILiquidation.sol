// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SubaccountId} from "../types/Ids.sol";
import {AdlPolicy} from "../types/Market.sol";
import {LiquidationParameters} from "../types/Risk.sol";

/// @title ILiquidation
/// @notice The liquidation waterfall and verified auto-deleveraging (SPEC §6–7). Called at the
/// clearinghouse's address (its fallback runs `LiquidationModule` in the clearinghouse's storage).
interface ILiquidation {
    // ---------------------------------------------------------------- errors
    error LiquidationDirectCall();
    error LiquidationNoPosition(SubaccountId account, uint8 marketId);
    /// @notice Equity is not below maintenance margin at mark.
    error LiquidationNotLiquidatable(SubaccountId account, int256 equity, uint256 maintenanceMargin);
    error LiquidationStaleIndex(uint8 marketId);
    /// @notice Only registered keepers may fill against the book.
    error LiquidationNotKeeper(address caller);
    /// @notice Without a keeper, an account may be liquidated only `gracePeriod` after it was flagged.
    error LiquidationGracePeriod(SubaccountId account, uint256 readyAt);
    /// @notice The account is still below maintenance margin: its grace period cannot be cleared.
    error LiquidationStillLiquidatable(SubaccountId account, int256 equity, uint256 maintenanceMargin);
    /// @notice A book fill the keeper should not have submitted (wrong market or side, a fill
    /// against the liquidated account itself).
    error LiquidationInvalidBookFill(uint256 fillIndex);
    error LiquidationBookOverfill(uint256 fillIndex, uint256 remaining, uint256 size);
    error LiquidationPriceOutsideBand(uint256 fillIndex, uint256 price, uint256 low, uint256 high);
    error LiquidationPriceBeyondBankruptcy(uint256 fillIndex, uint256 price, uint256 bankruptcyPrice);
    error LiquidationOverflow(SubaccountId account);
    /// @notice The submitted side does not hold every position on the ADL side (`expected` holders).
    error AdlSideIncomplete(uint256 expected, uint256 provided);
    /// @notice Entry `index` holds no position on the ADL side (none at all, or the wrong side).
    error AdlNotOnSide(uint256 index, SubaccountId account);
    /// @notice Entry `index` does not rank strictly after entry `index − 1` under the market's policy.
    error AdlOrderViolated(uint256 index, SubaccountId account);
    /// @notice The size submitted for the `selected`-th deleveraged position is not the policy's.
    error AdlSizeMismatch(uint256 selected, uint256 expected, uint256 provided);
    /// @notice More sizes were submitted than positions the shortfall reaches.
    error AdlOverDeleveraged(uint256 sizesProvided, uint256 sizesNeeded);

    // ---------------------------------------------------------------- events
    event LiquidatableFlagged(SubaccountId indexed account, uint256 since);
    /// @notice One liquidation: `closed` contracts of the position, `bookSize` against resting orders
    /// (each a `FillSettled` with a zero taker order hash), `backstopSize` taken over by the insurance
    /// vault and `adlSize` deleveraged, the last two at `bankruptcyPrice`. A partial liquidation
    /// (the least size that restores IM at mark) is done by the book alone; whatever of it the book
    /// does not take, the backstop and ADL take the whole remaining position, because a close at the
    /// bankruptcy price does not improve the margin ratio.
    event Liquidated(
        SubaccountId indexed account,
        uint8 indexed marketId,
        address indexed liquidator,
        int256 positionBefore,
        uint256 markPrice,
        uint256 bankruptcyPrice,
        uint256 closed,
        uint256 bookSize,
        uint256 backstopSize,
        uint256 adlSize,
        uint256 fee,
        uint256 liquidatorFee
    );
    event BackstopTakeover(
        SubaccountId indexed account, uint8 indexed marketId, SubaccountId indexed insurance, int256 size, uint256 price
    );
    /// @notice An ADL of `shortfall` contracts of `account`'s position at `price` (its bankruptcy price),
    /// checked against `sideSize` positions; one `AdlCounterparty` per deleveraged position follows.
    event Deleveraged(
        SubaccountId indexed account,
        uint8 indexed marketId,
        AdlPolicy policy,
        uint256 markPrice,
        uint256 price,
        uint256 shortfall,
        uint256 sideSize
    );
    /// @notice `counterparty`, at `rank` in the submitted order, traded `size` (signed, its side) at `price`;
    /// `score` is its RANKED score (docs/adl.md), or zero under PRO_RATA.
    event AdlCounterparty(
        SubaccountId indexed account,
        SubaccountId indexed counterparty,
        uint8 indexed marketId,
        uint256 rank,
        int256 size,
        uint256 price,
        int256 score
    );

    // ---------------------------------------------------------------- actions
    /// @notice Records that `account` is below maintenance margin now, starting its grace period.
    function flagLiquidatable(SubaccountId account) external;

    /// @notice Ends `account`'s grace period once it is back at or above maintenance margin (after the
    /// price recovered or the position shrank), so that a later fall below gives keepers a full grace
    /// period again instead of letting anyone liquidate it at once. Anyone may call it; a deposit or
    /// transfer into the account that restores its margin does the same. No-op if it is not flagged.
    function clearLiquidatable(SubaccountId account) external;

    /// @notice Liquidates `account`'s position in `marketId` through the waterfall (SPEC §6), in one call.
    /// @param bookFills `size:uint64 | maker order` (OrderCodec) repeated: resting orders that take the
    /// position inside the band around mark and at or better than the bankruptcy price. Keepers only.
    /// @param adlSide every position on the opposite side, in the market's policy order (RANKED: score
    /// descending then id ascending; PRO_RATA: id ascending). Read only if ADL is needed.
    /// @param adlSizes the size deleveraged from each selected position, in order.
    function liquidate(
        SubaccountId account,
        uint8 marketId,
        bytes calldata bookFills,
        SubaccountId[] calldata adlSide,
        uint64[] calldata adlSizes
    ) external;

    function liquidationParameters() external view returns (LiquidationParameters memory);
    function liquidatableSince(SubaccountId account) external view returns (uint256);
    /// @notice How many subaccounts hold a long and a short in `marketId`: the length an ADL side must have.
    function sideHolders(uint8 marketId) external view returns (uint256 longs, uint256 shorts);
}
