// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SubaccountId} from "../types/Ids.sol";
import {SkipReason} from "../types/Order.sol";
import {InsuranceFlowReason} from "../types/Risk.sol";

/// @title IClearinghouseEvents
/// @notice The errors and events of the clearinghouse and of its liquidation module, which runs in
/// the clearinghouse's storage and emits from its address.
interface IClearinghouseEvents {
    // ---------------------------------------------------------------- errors
    error ClearinghouseUnknownCollateral(uint8 collateral);
    error ClearinghouseZeroAmount();
    /// @notice Only an order's trader may cancel it.
    error ClearinghouseNotOrderOwner(address caller, address trader);
    /// @notice The registry's published data for a market is not the expected size.
    error ClearinghouseMarketDataInvalid(uint256 marketId, address data);
    /// @notice The token delivered a different amount than was sent (fee-on-transfer, rebasing...).
    error ClearinghouseTransferAmountMismatch(uint256 expected, uint256 received);
    error ClearinghouseBalanceOverflow(SubaccountId account);
    /// @notice Withdrawable = min(balance, equity − IM) (SPEC §3).
    error ClearinghouseInsufficientFreeCollateral(SubaccountId account, uint256 requested, uint256 available);
    error ClearinghouseSameSubaccount(uint8 subaccount);
    error ClearinghouseNotKeeper(address caller);
    error ClearinghouseBatchOutOfSequence(address keeper, uint64 expected, uint64 provided);
    /// @notice The batch ends inside a fill (raised by `OrderCodec`; declared here so the
    /// clearinghouse's ABI decodes it). A malformed batch reverts whole: it is the keeper's bug.
    error OrderCodecTruncated(uint256 offset, uint256 length);
    error ClearinghouseNonceFloorNotRaised(uint64 current, uint64 requested);

    // ---------------------------------------------------------------- events
    event Deposited(SubaccountId indexed account, address indexed from, uint256 amount);
    event Withdrawn(SubaccountId indexed account, address indexed to, uint256 amount);
    event Transferred(SubaccountId indexed from, SubaccountId indexed to, uint256 amount);
    event OrderCancelled(address indexed trader, bytes32 indexed orderHash);
    event NonceCancelled(SubaccountId indexed account, uint64 nonce);
    event NonceFloorRaised(SubaccountId indexed account, uint64 nonceFloor);
    /// @notice `account` is back at or above maintenance margin and its grace period (SPEC §0.5, started
    /// by `ILiquidation.flagLiquidatable`) is over: a later fall below starts a new one. Emitted by
    /// `clearLiquidatable`, and by a deposit or transfer that restores the account's margin.
    event LiquidatableCleared(SubaccountId indexed account);
    /// @notice An immediate-or-cancel order was partially filled in a batch; its remainder is cancelled
    /// at the end of that batch, so no keeper can fill it later.
    event IocRemainderCancelled(SubaccountId indexed account, uint64 nonce);

    /// @notice One settled fill. `trade` packs `market (8) | size (64) | price (128) | takerIsBuy (8)`
    /// and `fees` packs `makerFee (128) | takerFee (128)`, both in collateral units, so the event
    /// costs four data words; `sdk/src/actions/decodeLucentLogs.ts` unpacks them.
    /// Realized PnL and funding follow from the fill, the previous position and `MarketUpdated`.
    /// A liquidation's book fill is logged this way; a batch logs its fills in `FillsSettled`.
    event FillSettled(
        SubaccountId indexed maker,
        SubaccountId indexed taker,
        bytes32 makerOrderHash,
        bytes32 takerOrderHash,
        uint256 trade,
        uint256 fees
    );
    /// @notice Every fill a batch settled, in batch order, as 166-byte records with the fields of
    /// `FillSettled`: `maker (22) | taker (22) | makerOrderHash (32) | takerOrderHash (32) |
    /// trade (26: market 1 | size 8 | price 16 | takerIsBuy 1) | fees (32)`. One log a batch costs a
    /// fill ~1.2k gas less than a `FillSettled` each (log data is 8 gas a byte; a log and its topics
    /// 1.5k). Emitted after the batch's `FillSkipped` events and before its funding, fee and
    /// `BatchSettled` events, only if a fill settled. `decodeLucentLogs` (SDK) turns it back into one
    /// `FillSettled` a fill.
    event FillsSettled(address indexed keeper, uint64 indexed batchIndex, bytes fills);
    /// @notice A fill failed a check and was skipped; `orderHash` is the order at fault.
    event FillSkipped(bytes32 indexed orderHash, uint256 fillIndex, SkipReason reason);
    event BatchSettled(address indexed keeper, uint64 indexed batchIndex, uint256 settled, uint256 skipped);
    /// @notice Fee income of a batch: the keeper's share to its subaccount 0, the rest to insurance.
    event FeesDistributed(address indexed keeper, uint8 indexed collateral, uint256 keeperShare, uint256 insuranceShare);
    /// @notice A market's funding and mark state after a batch touched it (SPEC §4).
    event MarketUpdated(
        uint8 indexed marketId,
        uint256 indexPrice,
        uint256 markPrice,
        int256 premiumEma,
        int256 cumulativeFunding,
        uint256 openInterest
    );
    /// @notice Money into (`amount` > 0) or out of (< 0) a collateral's insurance vault subaccount
    /// (SPEC §8), with the reason. LP deposits and redemptions are the vault's own ERC-4626 events.
    event InsuranceFlow(uint8 indexed collateral, address indexed vault, InsuranceFlowReason reason, int256 amount);
}
