// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SubaccountId} from "../types/Ids.sol";
import {Order, SkipReason} from "../types/Order.sol";

/// @title IClearinghouse
/// @notice Holds trader margin, prices positions and settles keeper batches (SPEC §3–5).
/// Every state change emits an event from which balances and positions can be rebuilt.
interface IClearinghouse {
    // ---------------------------------------------------------------- errors
    error ClearinghouseUnknownCollateral(uint8 collateral);
    error ClearinghouseZeroAmount();
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
    /// @notice An immediate-or-cancel order was partially filled in a batch; its remainder is cancelled
    /// at the end of that batch, so no keeper can fill it later.
    event IocRemainderCancelled(SubaccountId indexed account, uint64 nonce);

    /// @notice One settled fill. `trade` packs `market (8) | size (64) | price (128) | takerIsBuy (8)`
    /// and `fees` packs `makerFee (128) | takerFee (128)`, both in collateral units, so the event
    /// costs four data words; `sdk/src/actions/decodeEvents.ts` unpacks them.
    /// Realized PnL and funding follow from the fill, the previous position and `MarketUpdated`.
    event FillSettled(
        SubaccountId indexed maker,
        SubaccountId indexed taker,
        bytes32 makerOrderHash,
        bytes32 takerOrderHash,
        uint256 trade,
        uint256 fees
    );
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

    // ---------------------------------------------------------------- money in and out
    /// @notice Deposits `amount` of the collateral token into the caller's subaccount.
    function deposit(uint8 collateral, uint8 subaccount, uint256 amount) external;
    /// @notice Withdraws up to min(balance, equity − IM). Needs no keeper and never pauses (INV-9).
    function withdraw(uint8 collateral, uint8 subaccount, uint256 amount, address to) external;
    /// @notice Moves free collateral between two of the caller's subaccounts of the same token.
    function transfer(uint8 collateral, uint8 fromSubaccount, uint8 toSubaccount, uint256 amount) external;

    // ---------------------------------------------------------------- orders
    /// @notice Cancels the caller's orders by EIP-712 hash.
    function cancelOrders(bytes32[] calldata orderHashes) external;
    /// @notice Cancels single nonces of one of the caller's subaccounts.
    function cancelNonces(uint8 collateral, uint8 subaccount, uint64[] calldata nonces) external;
    /// @notice Cancels every order of a subaccount with a nonce below `nonceFloor`.
    function raiseNonceFloor(uint8 collateral, uint8 subaccount, uint64 nonceFloor) external;

    // ---------------------------------------------------------------- keepers
    /// @notice Settles a batch of fills encoded by `OrderCodec` (SPEC §5). `batchIndex` must be the
    /// keeper's next index. Each failing fill is skipped with `FillSkipped`; the rest settle.
    function settleBatch(uint64 batchIndex, bytes calldata fills) external;
    function nextBatchIndex(address keeper) external view returns (uint64);

    // ---------------------------------------------------------------- reads
    function hashOrder(Order calldata order) external view returns (bytes32);
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
