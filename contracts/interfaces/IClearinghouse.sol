// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SubaccountId} from "../types/Ids.sol";
import {Order} from "../types/Order.sol";
import {IClearinghouseEvents} from "./IClearinghouseEvents.sol";

/// @title IClearinghouse
/// @notice Holds trader margin, prices positions and settles keeper batches (SPEC §3–5).
/// Every state change emits an event from which balances and positions can be rebuilt.
interface IClearinghouse is IClearinghouseEvents {
    // ---------------------------------------------------------------- money in and out
    /// @notice Deposits `amount` of the collateral token into the caller's subaccount.
    function deposit(uint8 collateral, uint8 subaccount, uint256 amount) external;
    /// @notice Withdraws up to min(balance, equity − IM). Needs no keeper and never pauses (INV-9).
    function withdraw(uint8 collateral, uint8 subaccount, uint256 amount, address to) external;
    /// @notice Moves free collateral between two of the caller's subaccounts of the same token.
    function transfer(uint8 collateral, uint8 fromSubaccount, uint8 toSubaccount, uint256 amount) external;

    // ---------------------------------------------------------------- orders
    /// @notice Cancels the caller's orders, each by its EIP-712 hash (`OrderCancelled`). Takes the
    /// orders rather than their hashes so that the cancel also marks the order's nonce: a fill reads
    /// an order's `filled` slot only once its nonce is marked, which keeps that read off every fresh fill.
    function cancelOrders(Order[] calldata orders) external;
    /// @notice Cancels single nonces of one of the caller's subaccounts.
    function cancelNonces(uint8 collateral, uint8 subaccount, uint64[] calldata nonces) external;
    /// @notice Cancels every order of a subaccount with a nonce below `nonceFloor`. Settlement also
    /// raises a floor by one when it fills an order whole at it (nothing below it is live either way).
    function raiseNonceFloor(uint8 collateral, uint8 subaccount, uint64 nonceFloor) external;

    // ---------------------------------------------------------------- keepers
    /// @notice Settles a batch of fills encoded by `OrderCodec` (SPEC §5). `batchIndex` must be the
    /// keeper's next index. Each failing fill is skipped with `FillSkipped`; the rest settle and are
    /// logged together in one `FillsSettled`.
    function settleBatch(uint64 batchIndex, bytes calldata fills) external;
    function nextBatchIndex(address keeper) external view returns (uint64);

    // ---------------------------------------------------------------- reads
    function hashOrder(Order calldata order) external view returns (bytes32);
    /// @notice A subaccount's balance, open-markets mask and nonce floor (every order with a lower nonce is
    /// done: cancelled or filled).
    function account(SubaccountId id) external view returns (int256 balance, uint64 openMarkets, uint64 nonceFloor);
    function position(SubaccountId id, uint8 marketId)
        external
        view
        returns (int256 size, int256 basis, int256 fundingSnapshot);
    /// @return equity balance + Σ uPnL(mark) − Σ funding owed
    /// @return initialMargin Σ V·imRate
    /// @return maintenanceMargin Σ V·mmRate
    /// @return withdrawable min(balance, equity − IM), floored at zero
    function accountHealth(SubaccountId id)
        external
        view
        returns (int256 equity, uint256 initialMargin, uint256 maintenanceMargin, uint256 withdrawable);
    function filledAmount(address trader, bytes32 orderHash) external view returns (uint256);
    function isNonceUsed(SubaccountId id, uint64 nonce) external view returns (bool);
    /// @return indexPrice the oracle's price (0 if unusable)
    /// @return indexFresh whether the index is within `maxIndexAge`
    /// @return markPrice the mark the clearinghouse uses now
    /// @return premiumEma stored premium EMA
    /// @return cumulativeFunding funding index accrued to now
    /// @return openInterest long contracts (= short contracts, INV-2)
    function marketState(uint8 marketId)
        external
        view
        returns (
            uint256 indexPrice,
            bool indexFresh,
            uint256 markPrice,
            int256 premiumEma,
            int256 cumulativeFunding,
            uint256 openInterest
        );
    function insuranceFund(uint8 collateral) external view returns (uint256);
}
