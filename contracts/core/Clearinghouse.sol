// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {ClearinghouseCore} from "./ClearinghouseCore.sol";
import {InsuranceFlowReason} from "../types/Risk.sol";
import {IMarketRegistry} from "../interfaces/IMarketRegistry.sol";
import {IKeeperRegistry} from "../interfaces/IKeeperRegistry.sol";
import {IIndexOracle} from "../interfaces/IIndexOracle.sol";
import {ILiquidation} from "../interfaces/ILiquidation.sol";
import {SubaccountId, SubaccountIdLib} from "../types/Ids.sol";
import {Position, PositionLib} from "../types/Position.sol";
import {MarketConfig, Collateral} from "../types/Market.sol";
import {Order, OrderFlags, SkipReason} from "../types/Order.sol";
import {FixedPoint} from "../libraries/FixedPoint.sol";
import {ContractMath} from "../libraries/ContractMath.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {FundingMath} from "../libraries/FundingMath.sol";
import {OrderCodec} from "../libraries/OrderCodec.sol";

/// @title Clearinghouse
/// @notice Trader margin, positions and keeper batch settlement (SPEC §3–5). Liquidation and ADL
/// (SPEC §6–7) are `LiquidationModule`'s, run in this contract's storage by the fallback below;
/// their ABI is `ILiquidation` at this address. See `ClearinghouseCore` for the storage design.
contract Clearinghouse is IClearinghouse, ClearinghouseCore {
    using SafeERC20 for IERC20;

    /// @dev The memory one fill works in, allocated once per batch and overwritten by every fill.
    struct FillBuffers {
        Order maker;
        Order taker;
        OrderCodec.Signature makerSig;
        OrderCodec.Signature takerSig;
        Side makerSide;
        Side takerSide;
        bytes32 domainSeparator; // EIP-712, read once a batch
        // `FillsSettled`'s data: the ABI offset word, the length of the records, then the records.
        uint256 fillLog;
    }

    /// @dev The bytes of one fill in `FillsSettled.fills`.
    uint256 private constant SETTLED_FILL_BYTES = 166;

    address private immutable _liquidationModule;

    error ClearinghouseModuleMismatch(address module);

    constructor(IMarketRegistry registry_, IKeeperRegistry keepers_, address liquidationModule_)
        ClearinghouseCore(registry_, keepers_)
    {
        // The module runs with this contract's storage but its own immutables: they must agree.
        if (
            ClearinghouseCore(liquidationModule_).registry() != registry_
                || ClearinghouseCore(liquidationModule_).keeperRegistry() != keepers_
        ) revert ClearinghouseModuleMismatch(liquidationModule_);
        _liquidationModule = liquidationModule_;
    }

    /// @notice Liquidation and ADL entry points (`ILiquidation`) run in the module, in this storage.
    fallback() external {
        address module = _liquidationModule;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    function liquidationModule() external view returns (address) {
        return _liquidationModule;
    }

    // =================================================================== money in and out

    /// @inheritdoc IClearinghouse
    function deposit(uint8 collateral, uint8 subaccount, uint256 amount) external nonReentrant {
        if (amount == 0) revert ClearinghouseZeroAmount();
        IERC20 token = _token(collateral);
        SubaccountId id = SubaccountIdLib.from(msg.sender, collateral, subaccount);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert ClearinghouseTransferAmountMismatch(amount, received);

        Account storage a = _subaccounts[id].account;
        int256 balance = int256(a.balance) + int256(amount);
        if (balance > type(int120).max) revert ClearinghouseBalanceOverflow(id);
        a.balance = int120(balance);
        emit Deposited(id, msg.sender, amount);
        if (a.flags & FLAG_LIQUIDATABLE != 0) _clearIfHealthy(id);
    }

    /// @inheritdoc IClearinghouse
    function withdraw(uint8 collateral, uint8 subaccount, uint256 amount, address to) external nonReentrant {
        IERC20 token = _token(collateral);
        SubaccountId id = SubaccountIdLib.from(msg.sender, collateral, subaccount);
        _debitFreeCollateral(id, amount);
        emit Withdrawn(id, to, amount);
        token.safeTransfer(to, amount);
    }

    /// @inheritdoc IClearinghouse
    function transfer(uint8 collateral, uint8 fromSubaccount, uint8 toSubaccount, uint256 amount)
        external
        nonReentrant
    {
        if (fromSubaccount == toSubaccount) revert ClearinghouseSameSubaccount(fromSubaccount);
        _token(collateral);
        SubaccountId from = SubaccountIdLib.from(msg.sender, collateral, fromSubaccount);
        SubaccountId to = SubaccountIdLib.from(msg.sender, collateral, toSubaccount);
        _debitFreeCollateral(from, amount);
        Account storage b = _subaccounts[to].account;
        int256 balance = int256(b.balance) + int256(amount);
        if (balance > type(int120).max) revert ClearinghouseBalanceOverflow(to);
        b.balance = int120(balance);
        emit Transferred(from, to, amount);
        if (b.flags & FLAG_LIQUIDATABLE != 0) _clearIfHealthy(to);
    }

    /// @dev Money into a flagged account ends its grace period if it restored maintenance margin:
    /// otherwise a stale flag would let anyone liquidate it the moment it next falls below. Through
    /// the module's `clearLiquidatable`, which reverts while the account is still below: caught, as is
    /// any failure of the health check, because nothing may stop money going in.
    function _clearIfHealthy(SubaccountId id) private {
        try ILiquidation(address(this)).clearLiquidatable(id) {} catch {}
    }

    function _debitFreeCollateral(SubaccountId id, uint256 amount) private {
        if (amount == 0) revert ClearinghouseZeroAmount();
        uint256 available = _withdrawable(_newContext(), id);
        if (amount > available) revert ClearinghouseInsufficientFreeCollateral(id, amount, available);
        _subaccounts[id].account.balance -= int120(int256(amount));
    }

    // =================================================================== orders

    /// @inheritdoc IClearinghouse
    function cancelOrders(Order[] calldata orders) external {
        for (uint256 i; i < orders.length; ++i) {
            Order memory o = orders[i];
            if (o.trader != msg.sender) revert ClearinghouseNotOrderOwner(msg.sender, o.trader);
            (MarketConfig memory cfg,) = _registry.market(o.market);
            bytes32 orderHash = OrderCodec.typedDataHash(o, _domainSeparatorV4());
            _filled[msg.sender][orderHash] = CANCELLED;
            // Marked partially filled, the nonce sends every fill of it to the `filled` slot above
            // (a done nonce stays done: the states only move forward).
            _setNonceState(SubaccountIdLib.from(msg.sender, cfg.collateral, o.subaccount), o.nonce, NONCE_PARTIAL);
            emit OrderCancelled(msg.sender, orderHash);
        }
    }

    /// @inheritdoc IClearinghouse
    function cancelNonces(uint8 collateral, uint8 subaccount, uint64[] calldata nonces) external {
        SubaccountId id = SubaccountIdLib.from(msg.sender, collateral, subaccount);
        for (uint256 i; i < nonces.length; ++i) {
            _setNonceState(id, nonces[i], NONCE_DONE);
            emit NonceCancelled(id, nonces[i]);
        }
    }

    /// @inheritdoc IClearinghouse
    function raiseNonceFloor(uint8 collateral, uint8 subaccount, uint64 nonceFloor) external {
        SubaccountId id = SubaccountIdLib.from(msg.sender, collateral, subaccount);
        Account storage a = _subaccounts[id].account;
        if (nonceFloor <= a.nonceFloor) revert ClearinghouseNonceFloorNotRaised(a.nonceFloor, nonceFloor);
        a.nonceFloor = nonceFloor;
        emit NonceFloorRaised(id, nonceFloor);
    }

    // =================================================================== batches

    /// @inheritdoc IClearinghouse
    function settleBatch(uint64 batchIndex, bytes calldata fills) external {
        if (!_keepers.isActiveKeeper(msg.sender)) revert ClearinghouseNotKeeper(msg.sender);
        uint64 expected = _nextBatchIndex[msg.sender];
        if (batchIndex != expected) revert ClearinghouseBatchOutOfSequence(msg.sender, expected, batchIndex);
        _nextBatchIndex[msg.sender] = expected + 1; // INV-7: a batch applies at most once

        Context memory ctx = _newContext();
        // Per-fill memory is allocated before the loop, which reuses the heap: at most one IOC taker
        // and one settled record a fill, and a batch has at most this many fills.
        uint256 maxFills = fills.length / OrderCodec.MIN_FILL_BYTES + 1;
        ctx.partialIocs = new uint256[](maxFills);
        FillBuffers memory buffers;
        buffers.domainSeparator = _domainSeparatorV4();
        buffers.fillLog = _allocateFillLog(maxFills);
        uint256 cursor;
        uint256 fillIndex;
        uint256 settled;
        while (cursor < fills.length) {
            uint256 heap;
            assembly ("memory-safe") {
                heap := mload(0x40)
            }
            uint256 loads = ctx.marketLoads;
            bool ok;
            (ok, cursor) = _settleFill(ctx, buffers, fills, cursor, fillIndex);
            unchecked {
                if (ok) ++settled;
                ++fillIndex;
            }
            // Everything a fill allocates is dead once it is settled, except a market it loaded into
            // the cache; reusing the memory keeps a batch's memory cost linear instead of quadratic.
            if (ctx.marketLoads == loads) {
                assembly ("memory-safe") {
                    mstore(0x40, heap)
                }
            }
        }
        if (settled != 0) _emitFillLog(buffers.fillLog, batchIndex);
        _closeBatch(ctx);
        emit BatchSettled(msg.sender, batchIndex, settled, fillIndex - settled);
    }

    /// @inheritdoc IClearinghouse
    function nextBatchIndex(address keeper) external view returns (uint64) {
        return _nextBatchIndex[keeper];
    }

    /// @dev Checks one fill completely in memory, then writes it; a failed check skips it.
    function _settleFill(
        Context memory ctx,
        FillBuffers memory buffers,
        bytes calldata data,
        uint256 cursor,
        uint256 fillIndex
    ) private returns (bool ok, uint256 next) {
        uint64 size;
        (size, next) = OrderCodec.decodeFillSize(data, cursor);
        Order memory maker = buffers.maker;
        Order memory taker = buffers.taker;
        OrderCodec.Signature memory makerSig = buffers.makerSig;
        OrderCodec.Signature memory takerSig = buffers.takerSig;
        next = OrderCodec.decodeOrder(data, next, maker, makerSig);
        next = OrderCodec.decodeOrder(data, next, taker, takerSig);
        bytes32 makerHash = OrderCodec.typedDataHash(maker, buffers.domainSeparator);
        bytes32 takerHash = OrderCodec.typedDataHash(taker, buffers.domainSeparator);

        (SkipReason reason, bool makerAtFault) = _checkTerms(ctx, maker, taker, size);
        if (reason == SkipReason.None) {
            if (!_validSignature(maker.trader, makerHash, makerSig)) (reason, makerAtFault) = (SkipReason.BadSignature, true);
            else if (!_validSignature(taker.trader, takerHash, takerSig)) reason = SkipReason.BadSignature;
        }
        if (reason != SkipReason.None) {
            emit FillSkipped(makerAtFault ? makerHash : takerHash, fillIndex, reason);
            return (false, next);
        }

        MarketCache memory m = ctx.markets[maker.market]; // loaded by _checkTerms
        uint256 price = maker.limitPrice;
        Side memory ms = buffers.makerSide;
        Side memory ts = buffers.takerSide;
        _openSide(m, maker, makerHash, size, m.cfg.makerFeeRate, ms);
        _openSide(m, taker, takerHash, size, m.cfg.takerFeeRate, ts);

        // Cancellation, nonce use and remaining size of both orders, then the trade itself.
        reason = _orderStateReason(ms, maker, size);
        makerAtFault = reason != SkipReason.None;
        if (!makerAtFault) reason = _orderStateReason(ts, taker, size);
        if (reason == SkipReason.None) (reason, makerAtFault) = _trade(ctx, m, ms, ts, price, size);
        if (reason != SkipReason.None) {
            emit FillSkipped(makerAtFault ? makerHash : takerHash, fillIndex, reason);
            return (false, next);
        }

        _commitSide(ms, maker, size);
        _commitSide(ts, taker, size);
        // Sizes are uint64 and a batch's fill count is bounded by its calldata: these sums cannot overflow.
        unchecked {
            if (taker.flags & OrderFlags.IOC != 0 && ts.filledBefore + size != taker.size) {
                ctx.partialIocs[ctx.partialIocCount++] = (uint256(SubaccountId.unwrap(ts.id)) << 64) | taker.nonce;
            }
            m.volume += size;
            m.notional += uint256(size) * price; // < 2^64 · 2^128 per fill
        }
        m.fees += ms.fee + ts.fee; // split between keeper and insurance once a batch, in _closeBatch
        m.traded = true;

        _logFill(
            buffers.fillLog,
            ms.id,
            ts.id,
            makerHash,
            takerHash,
            (uint256(maker.market) << 200) | (uint256(size) << 136) | (price << 8) | (taker.isBuy ? 1 : 0),
            (ms.fee << 128) | ts.fee
        );
        return (true, next);
    }

    /// @dev Memory for `records` fills' `FillsSettled` data (and the word of zero padding after it),
    /// allocated before the fills so that the settlement loop's heap reuse leaves it alone.
    function _allocateFillLog(uint256 records) private pure returns (uint256 log) {
        uint256 bytes_ = 0x40 + records * SETTLED_FILL_BYTES + 0x20;
        assembly ("memory-safe") {
            log := mload(0x40)
            mstore(0x40, add(log, and(add(bytes_, 31), not(31))))
            mstore(log, 0x20) // the ABI offset of `fills`
            mstore(add(log, 0x20), 0) // its length
        }
    }

    /// @dev Appends one fill's record (see `FillsSettled`); `trade` is its 208 bits. Each field is
    /// written left-aligned at its offset; the next field's write overwrites what spills over.
    function _logFill(
        uint256 log,
        SubaccountId maker,
        SubaccountId taker,
        bytes32 makerHash,
        bytes32 takerHash,
        uint256 trade,
        uint256 fees
    ) private pure {
        assembly ("memory-safe") {
            let length := mload(add(log, 0x20))
            let p := add(add(log, 0x40), length)
            mstore(p, shl(80, maker)) // SubaccountId: 176 bits
            mstore(add(p, 22), shl(80, taker))
            mstore(add(p, 44), makerHash)
            mstore(add(p, 76), takerHash)
            mstore(add(p, 108), shl(48, trade)) // 208 bits
            mstore(add(p, 134), fees)
            mstore(add(log, 0x20), add(length, SETTLED_FILL_BYTES))
        }
    }

    function _emitFillLog(uint256 log, uint64 batchIndex) private {
        bytes32 topic = FillsSettled.selector;
        assembly ("memory-safe") {
            let length := mload(add(log, 0x20))
            mstore(add(add(log, 0x40), length), 0) // ABI padding to a whole word
            log3(log, add(0x40, and(add(length, 31), not(31))), topic, caller(), batchIndex)
        }
    }

    /// @dev The checks that need no storage: market, sides, flags, keeper, expiry, tick/lot, limits.
    /// @return reason why the fill fails, or None. @return makerAtFault whose order is to blame.
    function _checkTerms(Context memory ctx, Order memory maker, Order memory taker, uint64 size)
        private
        view
        returns (SkipReason, bool)
    {
        if (maker.market >= ctx.markets.length) return (SkipReason.MarketInactive, true);
        if (taker.market != maker.market) return (SkipReason.MarketMismatch, false);
        MarketCache memory m = ctx.markets[maker.market]; // the batch's cache has every listed market
        if (!m.loaded) {
            _loadMarket(m, maker.market);
            ++ctx.marketLoads;
        }
        if (!m.cfg.active) return (SkipReason.MarketInactive, true);
        if (taker.isBuy == maker.isBuy) return (SkipReason.SameSide, false);
        if (maker.flags & OrderFlags.IOC != 0 || maker.flags > OrderFlags.ALL) return (SkipReason.InvalidFlags, true);
        if (taker.flags & OrderFlags.POST_ONLY != 0 || taker.flags > OrderFlags.ALL) {
            return (SkipReason.InvalidFlags, false);
        }
        if (maker.keeper != address(0) && maker.keeper != msg.sender) return (SkipReason.KeeperNotAllowed, true);
        if (taker.keeper != address(0) && taker.keeper != msg.sender) return (SkipReason.KeeperNotAllowed, false);
        if (maker.expiry < block.timestamp) return (SkipReason.Expired, true);
        if (taker.expiry < block.timestamp) return (SkipReason.Expired, false);
        if (size == 0 || size % m.cfg.lotSize != 0) return (SkipReason.TickOrLot, false);
        if (maker.limitPrice == 0 || maker.limitPrice % m.cfg.tickSize != 0) return (SkipReason.TickOrLot, true);
        if (taker.isBuy ? taker.limitPrice < maker.limitPrice : taker.limitPrice > maker.limitPrice) {
            return (SkipReason.LimitViolated, false);
        }
        if (maker.trader == taker.trader && maker.subaccount == taker.subaccount) return (SkipReason.SelfTrade, false);
        return (SkipReason.None, false);
    }

    /// @dev Computes both sides' new positions, balances and fees, and checks reduce-only, the index,
    /// open interest and margin. Writes nothing.
    function _trade(
        Context memory ctx,
        MarketCache memory m,
        Side memory ms,
        Side memory ts,
        uint256 price,
        uint64 size
    ) private view returns (SkipReason, bool) {
        // Both sides trade the same contracts at the same price: one valuation for both.
        (uint256 valueDown, uint256 valueUp) = ContractMath.magnitudes(_kind(m), m.cfg.multiplier, size, price, m.unit);
        SkipReason r = _applyToSide(m, ms, price, valueDown, valueUp);
        if (r != SkipReason.None) return (r, true);
        r = _applyToSide(m, ts, price, valueDown, valueUp);
        if (r != SkipReason.None) return (r, false);

        if (!m.indexFresh && (ms.increasesRisk || ts.increasesRisk)) {
            return (SkipReason.StaleIndex, !ts.increasesRisk);
        }
        // INV-2: open interest counts longs; shorts always match it.
        uint256 oi;
        unchecked {
            // Every term is below 2^64, and the released longs are part of the open interest.
            oi = m.openInterest + _longSize(ms.newPosition) + _longSize(ts.newPosition);
            oi -= _longSize(ms.position) + _longSize(ts.position);
        }
        if (oi > m.openInterest && oi > m.cfg.maxOpenInterest) return (SkipReason.OpenInterestCap, false);

        if (!_marginOk(ctx, m, ms)) return (SkipReason.InsufficientMargin, true);
        if (!_marginOk(ctx, m, ts)) return (SkipReason.InsufficientMargin, false);
        m.openInterest = oi;
        _countHolders(m, ms.position, ms.newPosition);
        _countHolders(m, ts.position, ts.newPosition);
        return (SkipReason.None, false);
    }

    /// @dev Writes the funding state of traded markets, updates their premium EMA from this
    /// batch's volume-weighted fill price, and pays out fees.
    function _closeBatch(Context memory ctx) private {
        for (uint256 i; i < ctx.partialIocCount; ++i) {
            uint256 entry = ctx.partialIocs[i];
            SubaccountId id = SubaccountId.wrap(bytes32(entry >> 64));
            uint64 nonce = uint64(entry);
            if (_nonceDone(id, nonce)) continue; // completed later in the batch
            _setNonceState(id, nonce, NONCE_DONE);
            emit IocRemainderCancelled(id, nonce);
        }
        for (uint256 id; id < ctx.markets.length; ++id) {
            MarketCache memory m = ctx.markets[id];
            if (!m.traded) continue;
            // The keeper's share of the market's fees this batch, rounded down (so it is never less
            // than the sum of per-fill shares rounded down).
            uint256 keeperShare = FixedPoint.mulRateDown(m.fees, m.cfg.keeperFeeShare);
            ctx.keeperFees[m.cfg.collateral] += keeperShare;
            ctx.insuranceFees[m.cfg.collateral] += m.fees - keeperShare;
            if (m.indexFresh && m.volume > 0) {
                // A sample is clamped to the mark band before it enters the EMA: one extreme fill
                // (even a self-trade between two subaccounts) can move the mark at most to the band.
                int256 sample = FundingMath.clampPremium(
                    FundingMath.premiumSample(m.notional / m.volume, m.index), m.cfg.markBandRate
                );
                uint256 dt = block.timestamp - _marketStates[id].lastAccrual;
                m.premiumEma = FundingMath.updatePremiumEma(m.premiumEma, sample, dt, m.cfg.premiumEmaPeriod);
                m.mark = FundingMath.markPrice(m.index, m.premiumEma, m.cfg.markBandRate);
            }
            _writeMarket(m);
        }
        for (uint256 c; c < ctx.keeperFees.length; ++c) {
            uint256 keeperShare = ctx.keeperFees[c];
            uint256 insuranceShare = ctx.insuranceFees[c];
            if (keeperShare == 0 && insuranceShare == 0) continue;
            if (keeperShare != 0) {
                SubaccountId k = SubaccountIdLib.from(msg.sender, uint8(c), 0);
                _credit(k, int256(keeperShare));
            }
            emit FeesDistributed(msg.sender, uint8(c), keeperShare, insuranceShare);
            if (insuranceShare != 0) {
                (SubaccountId insurance, address vault) = _insuranceAccount(c);
                _credit(insurance, int256(insuranceShare));
                emit InsuranceFlow(uint8(c), vault, InsuranceFlowReason.TradingFee, int256(insuranceShare));
            }
        }
    }

    // =================================================================== margin

    /// @dev equity, IM and MM together, for views.
    function _fullHealth(Context memory ctx, SubaccountId id)
        private
        view
        returns (int256 equity, uint256 im, uint256 mm)
    {
        Account memory a = _subaccounts[id].account;
        (equity, im) = _health(ctx, id, a.balance, a.openMarkets, type(uint256).max, Position.wrap(0), true);
        (, mm) = _health(ctx, id, a.balance, a.openMarkets, type(uint256).max, Position.wrap(0), false);
    }

    function _withdrawable(Context memory ctx, SubaccountId id) private view returns (uint256) {
        Account memory a = _subaccounts[id].account;
        if (a.balance <= 0) return 0;
        (int256 equity, uint256 im) =
            _health(ctx, id, a.balance, a.openMarkets, type(uint256).max, Position.wrap(0), true);
        int256 free = equity - int256(im);
        if (free <= 0) return 0;
        return uint256(free) < uint256(int256(a.balance)) ? uint256(free) : uint256(int256(a.balance));
    }

    // =================================================================== reads

    /// @inheritdoc IClearinghouse
    function hashOrder(Order calldata order) external view returns (bytes32) {
        return OrderCodec.typedDataHash(order, _domainSeparatorV4());
    }

    /// @inheritdoc IClearinghouse
    function account(SubaccountId id) external view returns (int256 balance, uint64 openMarkets, uint64 nonceFloor) {
        Account memory a = _subaccounts[id].account;
        return (a.balance, a.openMarkets, a.nonceFloor);
    }

    /// @inheritdoc IClearinghouse
    function position(SubaccountId id, uint8 marketId)
        external
        view
        returns (int256 size, int256 basis, int256 fundingSnapshot)
    {
        if (marketId >= MAX_MARKETS) return (0, 0, 0); // no such market, so no position
        Position p = _subaccounts[id].positions[marketId];
        return (p.size(), p.basis(), p.fundingSnapshot());
    }

    /// @inheritdoc IClearinghouse
    function accountHealth(SubaccountId id)
        external
        view
        returns (int256 equity, uint256 initialMargin, uint256 maintenanceMargin, uint256 withdrawable)
    {
        Context memory ctx = _newContext();
        (equity, initialMargin, maintenanceMargin) = _fullHealth(ctx, id);
        withdrawable = _withdrawable(ctx, id);
    }

    /// @inheritdoc IClearinghouse
    function filledAmount(address trader, bytes32 orderHash) external view returns (uint256) {
        return _filled[trader][orderHash];
    }

    /// @inheritdoc IClearinghouse
    function isNonceUsed(SubaccountId id, uint64 nonce) external view returns (bool) {
        return _nonceDone(id, nonce);
    }

    /// @inheritdoc IClearinghouse
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
        )
    {
        Context memory ctx = _newContext();
        _loadMarketOnce(ctx, marketId);
        MarketCache memory m = ctx.markets[marketId];
        return (m.index, m.indexFresh, m.mark, m.premiumEma, m.cumulativeFunding, m.openInterest);
    }

    /// @inheritdoc IClearinghouse
    function insuranceFund(uint8 collateral) external view returns (uint256) {
        (SubaccountId insurance,) = _insuranceAccount(collateral);
        int256 balance = _subaccounts[insurance].account.balance;
        return balance > 0 ? uint256(balance) : 0;
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // =================================================================== helpers

    function _token(uint8 collateral) private view returns (IERC20) {
        if (collateral >= _registry.collateralCount()) revert ClearinghouseUnknownCollateral(collateral);
        Collateral memory c = _registry.collateral(collateral);
        return IERC20(c.token);
    }

}
