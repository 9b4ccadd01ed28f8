// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {IMarketRegistry} from "../interfaces/IMarketRegistry.sol";
import {IKeeperRegistry} from "../interfaces/IKeeperRegistry.sol";
import {IIndexOracle} from "../interfaces/IIndexOracle.sol";
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
/// @notice Trader margin, positions and keeper batch settlement (SPEC §3–5).
/// @dev Storage is the cost designed against (issue: ≤ 80k gas a fresh fill, ≤ 30k a repeat fill):
/// - an account is one slot: balance, the mask of markets it holds positions in, its nonce floor;
/// - a position is one slot (`Position`);
/// - an order's state is two bits in its subaccount's nonce bitmap (fresh, partially filled, done);
///   only a partially filled order gets a `filled` slot, and a fresh order's `filled` slot is read
///   only if its trader ever cancelled by hash. Bits 0–1 of every bitmap word mark it allocated, and
///   a first deposit allocates word 0, so a fill never pays for a fresh slot there;
/// - markets touched by a batch are cached in memory and their funding state written once a batch.
contract Clearinghouse is IClearinghouse, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    struct Account {
        int128 balance;
        uint64 openMarkets; // bit m set iff a position in market m is open
        uint64 nonceFloor;
    }

    struct MarketState {
        int128 cumulativeFunding; // collateral units × fundingPrecision(unit) per contract; longs pay as it grows
        int64 premiumEma; // 18 decimals
        uint64 lastAccrual;
        uint128 lastMark; // mark at the last update; used when the index is stale
        uint128 openInterest; // long contracts
    }

    /// @dev A market as seen by one transaction.
    struct MarketCache {
        uint8 id;
        bool loaded;
        bool traded;
        bool indexFresh;
        MarketConfig cfg;
        uint256 unit;
        uint256 index;
        uint256 mark;
        int256 premiumEma;
        int256 cumulativeFunding;
        uint256 openInterest;
        uint256 volume; // Σ size of this transaction's fills
        uint256 notional; // Σ size × price, for the premium sample
    }

    struct Context {
        uint256 marketLoads; // markets loaded so far (their configs live on the heap)
        MarketCache[] markets;
        uint256[] keeperFees; // per collateral
        uint256[] insuranceFees; // per collateral
        uint256[] partialIocs; // subaccount (176 bits) << 64 | nonce, closed at the end of the batch
        uint256 partialIocCount;
    }

    /// @dev One side of a fill while it is being checked, before anything is written.
    struct Side {
        SubaccountId id;
        bytes32 orderHash;
        int256 delta;
        bool reduceOnly;
        uint256 feeRate;
        Account account;
        Position position;
        Position newPosition;
        uint256 fee;
        uint256 filledBefore;
        bool increasesRisk;
    }

    uint256 private constant CANCELLED = type(uint256).max;
    uint256 private constant NONCES_PER_WORD = 127;
    uint256 private constant WORD_ALLOCATED = 1;
    uint256 private constant NONCE_PARTIAL = 1;
    uint256 private constant NONCE_DONE = 2;

    IMarketRegistry private immutable _registry;
    IKeeperRegistry private immutable _keepers;

    mapping(SubaccountId => Account) private _accounts;
    mapping(SubaccountId => mapping(uint256 marketId => Position)) private _positions;
    mapping(SubaccountId => mapping(uint256 word => uint256)) private _nonceWords;
    mapping(address trader => mapping(bytes32 orderHash => uint256)) private _filled;
    mapping(uint256 marketId => MarketState) private _marketStates;
    mapping(address keeper => uint64) private _nextBatchIndex;
    /// @dev Set once a trader cancels by hash: from then on fills check its orders' `filled` slot.
    mapping(address trader => bool) private _cancelsByHash;
    mapping(uint8 collateral => uint256) private _insuranceFund;

    constructor(IMarketRegistry registry_, IKeeperRegistry keepers_) EIP712("Lucent", "1") {
        _registry = registry_;
        _keepers = keepers_;
    }

    function registry() external view returns (IMarketRegistry) {
        return _registry;
    }

    function keeperRegistry() external view returns (IKeeperRegistry) {
        return _keepers;
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

        Account storage a = _accounts[id];
        int256 balance = int256(a.balance) + int256(amount);
        if (balance > type(int128).max) revert ClearinghouseBalanceOverflow(id);
        a.balance = int128(balance);
        // Allocate the first nonce word now, so the account's first fills write a warm slot.
        if (_nonceWords[id][0] == 0) _nonceWords[id][0] = WORD_ALLOCATED;
        emit Deposited(id, msg.sender, amount);
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
        Account storage b = _accounts[to];
        int256 balance = int256(b.balance) + int256(amount);
        if (balance > type(int128).max) revert ClearinghouseBalanceOverflow(to);
        b.balance = int128(balance);
        if (_nonceWords[to][0] == 0) _nonceWords[to][0] = WORD_ALLOCATED;
        emit Transferred(from, to, amount);
    }

    function _debitFreeCollateral(SubaccountId id, uint256 amount) private {
        if (amount == 0) revert ClearinghouseZeroAmount();
        uint256 available = _withdrawable(_newContext(), id);
        if (amount > available) revert ClearinghouseInsufficientFreeCollateral(id, amount, available);
        _accounts[id].balance -= int128(int256(amount));
    }

    // =================================================================== orders

    /// @inheritdoc IClearinghouse
    function cancelOrders(bytes32[] calldata orderHashes) external {
        if (!_cancelsByHash[msg.sender]) _cancelsByHash[msg.sender] = true;
        for (uint256 i; i < orderHashes.length; ++i) {
            _filled[msg.sender][orderHashes[i]] = CANCELLED;
            emit OrderCancelled(msg.sender, orderHashes[i]);
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
        Account storage a = _accounts[id];
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
        // At most one IOC taker per fill; allocated before the loop, which reuses the heap.
        ctx.partialIocs = new uint256[](fills.length / OrderCodec.MIN_FILL_BYTES + 1);
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
            (ok, cursor) = _settleFill(ctx, fills, cursor, fillIndex);
            if (ok) ++settled;
            ++fillIndex;
            // Everything a fill allocates is dead once it is settled, except a market it loaded into
            // the cache; reusing the memory keeps a batch's memory cost linear instead of quadratic.
            if (ctx.marketLoads == loads) {
                assembly ("memory-safe") {
                    mstore(0x40, heap)
                }
            }
        }
        _closeBatch(ctx);
        emit BatchSettled(msg.sender, batchIndex, settled, fillIndex - settled);
    }

    /// @inheritdoc IClearinghouse
    function nextBatchIndex(address keeper) external view returns (uint64) {
        return _nextBatchIndex[keeper];
    }

    /// @dev Checks one fill completely in memory, then writes it; a failed check skips it.
    function _settleFill(Context memory ctx, bytes calldata data, uint256 cursor, uint256 fillIndex)
        private
        returns (bool ok, uint256 next)
    {
        uint64 size;
        (size, next) = OrderCodec.decodeFillSize(data, cursor);
        Order memory maker;
        Order memory taker;
        OrderCodec.Signature memory makerSig;
        OrderCodec.Signature memory takerSig;
        (maker, makerSig, next) = OrderCodec.decodeOrder(data, next);
        (taker, takerSig, next) = OrderCodec.decodeOrder(data, next);
        bytes32 makerHash = _hashTypedDataV4(OrderCodec.structHash(maker));
        bytes32 takerHash = _hashTypedDataV4(OrderCodec.structHash(taker));

        (SkipReason reason, bool makerAtFault) = _checkTerms(ctx, maker, taker, size);
        if (reason == SkipReason.None) {
            if (!_validSignature(maker.trader, makerHash, makerSig)) (reason, makerAtFault) = (SkipReason.BadSignature, true);
            else if (!_validSignature(taker.trader, takerHash, takerSig)) reason = SkipReason.BadSignature;
        }
        if (reason != SkipReason.None) {
            emit FillSkipped(makerAtFault ? makerHash : takerHash, fillIndex, reason);
            return (false, next);
        }

        MarketCache memory m = _market(ctx, maker.market);
        uint256 price = maker.limitPrice;
        Side memory ms = _openSide(m, maker, makerHash, size, m.cfg.makerFeeRate);
        Side memory ts = _openSide(m, taker, takerHash, size, m.cfg.takerFeeRate);

        (reason, makerAtFault) = _checkOrderState(ms, maker, ts, taker, size);
        if (reason == SkipReason.None) (reason, makerAtFault) = _trade(ctx, m, ms, ts, maker.market, price);
        if (reason != SkipReason.None) {
            emit FillSkipped(makerAtFault ? makerHash : takerHash, fillIndex, reason);
            return (false, next);
        }

        _commitSide(ms, maker, size, maker.market);
        _commitSide(ts, taker, size, maker.market);
        if (taker.flags & OrderFlags.IOC != 0 && ts.filledBefore + size != taker.size) {
            ctx.partialIocs[ctx.partialIocCount++] = (uint256(SubaccountId.unwrap(ts.id)) << 64) | taker.nonce;
        }
        uint256 collateral = m.cfg.collateral;
        uint256 fees = ms.fee + ts.fee;
        uint256 keeperShare = FixedPoint.mulRateDown(fees, m.cfg.keeperFeeShare);
        ctx.keeperFees[collateral] += keeperShare;
        ctx.insuranceFees[collateral] += fees - keeperShare;
        m.traded = true;
        m.volume += size;
        m.notional += uint256(size) * price;

        emit FillSettled(
            ms.id,
            ts.id,
            makerHash,
            takerHash,
            (uint256(maker.market) << 248) | (uint256(size) << 184) | (price << 56) | (taker.isBuy ? 1 : 0),
            (ms.fee << 128) | ts.fee
        );
        return (true, next);
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
        MarketCache memory m = _market(ctx, maker.market);
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

    /// @dev An EOA's compact signature is checked with ecrecover alone; anything else (a contract
    /// wallet, an EIP-7702 account, a 65-byte signature) goes through OpenZeppelin's SignatureChecker.
    function _validSignature(address signer, bytes32 digest, OrderCodec.Signature memory sig)
        private
        view
        returns (bool)
    {
        uint256 offset = sig.offset;
        if (sig.compact) {
            bytes32 r;
            bytes32 vs;
            assembly ("memory-safe") {
                r := calldataload(offset)
                vs := calldataload(add(offset, 32))
            }
            bytes32 s = vs & bytes32(0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff);
            // Reject high-s signatures (malleability), as OpenZeppelin's ECDSA does.
            if (uint256(s) <= 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) {
                address recovered = ecrecover(digest, uint8((uint256(vs) >> 255) + 27), r, s);
                if (recovered != address(0) && recovered == signer) return true;
            }
            if (signer.code.length == 0) return false;
        }
        bytes memory raw = new bytes(sig.length);
        assembly ("memory-safe") {
            calldatacopy(add(raw, 32), offset, mload(raw))
        }
        return SignatureChecker.isValidSignatureNow(signer, digest, raw);
    }

    function _openSide(MarketCache memory m, Order memory o, bytes32 orderHash, uint64 size, uint256 feeRate)
        private
        view
        returns (Side memory s)
    {
        s.id = SubaccountIdLib.from(o.trader, m.cfg.collateral, o.subaccount);
        s.orderHash = orderHash;
        s.delta = o.isBuy ? int256(uint256(size)) : -int256(uint256(size));
        s.reduceOnly = o.flags & OrderFlags.REDUCE_ONLY != 0;
        s.feeRate = feeRate;
        s.account = _accounts[s.id];
        s.position = _positions[s.id][o.market];
    }

    /// @dev Cancellation, nonce use and remaining size of both orders.
    function _checkOrderState(Side memory ms, Order memory maker, Side memory ts, Order memory taker, uint64 size)
        private
        view
        returns (SkipReason, bool)
    {
        SkipReason r = _orderStateReason(ms, maker, size);
        if (r != SkipReason.None) return (r, true);
        return (_orderStateReason(ts, taker, size), false);
    }

    function _orderStateReason(Side memory s, Order memory o, uint64 size) private view returns (SkipReason) {
        if (o.nonce < s.account.nonceFloor) return SkipReason.Cancelled;
        uint256 state = _nonceState(s.id, o.nonce);
        if (state == NONCE_DONE) return SkipReason.Cancelled;
        if (state == NONCE_PARTIAL || _cancelsByHash[o.trader]) {
            uint256 filled = _filled[o.trader][s.orderHash];
            if (filled == CANCELLED) return SkipReason.Cancelled;
            s.filledBefore = filled;
        }
        if (s.filledBefore + size > o.size) return SkipReason.Overfilled;
        return SkipReason.None;
    }

    /// @dev Computes both sides' new positions, balances and fees, and checks reduce-only, the index,
    /// open interest and margin. Writes nothing.
    function _trade(
        Context memory ctx,
        MarketCache memory m,
        Side memory ms,
        Side memory ts,
        uint256 marketId,
        uint256 price
    ) private view returns (SkipReason, bool) {
        // Both sides trade the same contracts at the same price: one notional for both fees.
        uint256 fillNotional = ContractMath.notional(m.cfg.kind, m.cfg.multiplier, ms.delta, price, m.unit);
        SkipReason r = _applyToSide(m, ms, price, fillNotional);
        if (r != SkipReason.None) return (r, true);
        r = _applyToSide(m, ts, price, fillNotional);
        if (r != SkipReason.None) return (r, false);

        if (!m.indexFresh && (ms.increasesRisk || ts.increasesRisk)) {
            return (SkipReason.StaleIndex, !ts.increasesRisk);
        }
        // INV-2: open interest counts longs; shorts always match it.
        uint256 oi = m.openInterest + _longSize(ms.newPosition) + _longSize(ts.newPosition);
        uint256 released = _longSize(ms.position) + _longSize(ts.position);
        oi -= released;
        if (oi > m.openInterest && oi > m.cfg.maxOpenInterest) return (SkipReason.OpenInterestCap, false);

        if (!_marginOk(ctx, ms, marketId)) return (SkipReason.InsufficientMargin, true);
        if (!_marginOk(ctx, ts, marketId)) return (SkipReason.InsufficientMargin, false);
        m.openInterest = oi;
        return (SkipReason.None, false);
    }

    /// @dev Settles the side's pending funding and applies the trade to its position and balance.
    function _applyToSide(MarketCache memory m, Side memory s, uint256 price, uint256 fillNotional)
        private
        pure
        returns (SkipReason)
    {
        int256 size = s.position.size();
        int256 newSize = size + s.delta;
        if (s.reduceOnly && (size == 0 || (size > 0) == (s.delta > 0) || FixedPoint.abs(s.delta) > FixedPoint.abs(size))) {
            return SkipReason.ReduceOnlyViolated;
        }
        if (newSize != int64(newSize)) return SkipReason.Overflow;
        PositionMath.Trade memory t =
            PositionMath.applyTrade(m.cfg.kind, m.cfg.multiplier, m.unit, size, s.position.basis(), s.delta, price);
        int256 funding = FundingMath.fundingOwed(size, m.cumulativeFunding, s.position.fundingSnapshot(), m.unit);
        s.fee = FixedPoint.mulRateUp(fillNotional, s.feeRate);
        int256 balance = int256(s.account.balance) + t.realizedPnl - funding - int256(s.fee);
        if (balance != int128(balance) || t.basis != int96(t.basis) || m.cumulativeFunding != int96(m.cumulativeFunding)) {
            return SkipReason.Overflow;
        }
        s.account.balance = int128(balance);
        s.newPosition = PositionLib.pack(t.size, t.basis, m.cumulativeFunding);
        // `s.account` is the state after the fill: its balance above and its open markets here.
        s.account.openMarkets = uint64(_withMarket(s.account.openMarkets, m.id, t.size != 0));
        s.increasesRisk = PositionMath.increasesRisk(size, t.size);
        return SkipReason.None;
    }

    /// @dev SPEC §3: a risk-increasing trade needs equity ≥ IM after it; a reducing one needs
    /// equity ≥ MM after it, or must leave the account no less healthy than before.
    function _marginOk(Context memory ctx, Side memory s, uint256 marketId) private view returns (bool) {
        (int256 equity, uint256 required) =
            _health(ctx, s.id, s.account.balance, s.account.openMarkets, marketId, s.newPosition, s.increasesRisk);
        if (equity >= int256(required)) return true;
        if (s.increasesRisk) return false;
        Account memory before = _accounts[s.id];
        (int256 equity0, uint256 mm0) =
            _health(ctx, s.id, before.balance, before.openMarkets, type(uint256).max, Position.wrap(0), false);
        return equity - int256(required) >= equity0 - int256(mm0);
    }

    function _commitSide(Side memory s, Order memory o, uint64 size, uint256 marketId) private {
        _accounts[s.id] = s.account;
        _positions[s.id][marketId] = s.newPosition;
        uint256 filled = s.filledBefore + size;
        if (filled == o.size) {
            // Fully filled: two bits in an allocated word instead of a new slot.
            _setNonceState(s.id, o.nonce, NONCE_DONE);
            if (s.filledBefore != 0) delete _filled[o.trader][s.orderHash];
        } else {
            if (s.filledBefore == 0) _setNonceState(s.id, o.nonce, NONCE_PARTIAL);
            _filled[o.trader][s.orderHash] = filled;
        }
    }

    /// @dev Writes the funding state of traded markets, updates their premium EMA from this
    /// batch's volume-weighted fill price, and pays out fees.
    function _closeBatch(Context memory ctx) private {
        for (uint256 i; i < ctx.partialIocCount; ++i) {
            uint256 entry = ctx.partialIocs[i];
            SubaccountId id = SubaccountId.wrap(bytes32(entry >> 64));
            uint64 nonce = uint64(entry);
            if (_nonceState(id, nonce) == NONCE_DONE) continue; // completed later in the batch
            _setNonceState(id, nonce, NONCE_DONE);
            emit IocRemainderCancelled(id, nonce);
        }
        for (uint256 id; id < ctx.markets.length; ++id) {
            MarketCache memory m = ctx.markets[id];
            if (!m.traded) continue;
            MarketState storage st = _marketStates[id];
            if (m.indexFresh && m.volume > 0) {
                // A sample is clamped to the mark band before it enters the EMA: one extreme fill
                // (even a self-trade between two subaccounts) can move the mark at most to the band.
                int256 sample = FundingMath.clampPremium(
                    FundingMath.premiumSample(m.notional / m.volume, m.index), m.cfg.markBandRate
                );
                uint256 dt = block.timestamp - st.lastAccrual;
                m.premiumEma = FundingMath.updatePremiumEma(m.premiumEma, sample, dt, m.cfg.premiumEmaPeriod);
                m.mark = FundingMath.markPrice(m.index, m.premiumEma, m.cfg.markBandRate);
            }
            st.cumulativeFunding = int128(m.cumulativeFunding);
            st.premiumEma = int64(m.premiumEma);
            st.lastAccrual = uint64(block.timestamp);
            st.lastMark = uint128(m.mark);
            st.openInterest = uint128(m.openInterest);
            emit MarketUpdated(uint8(id), m.index, m.mark, m.premiumEma, m.cumulativeFunding, m.openInterest);
        }
        for (uint256 c; c < ctx.keeperFees.length; ++c) {
            uint256 keeperShare = ctx.keeperFees[c];
            uint256 insuranceShare = ctx.insuranceFees[c];
            if (keeperShare == 0 && insuranceShare == 0) continue;
            if (keeperShare != 0) {
                SubaccountId k = SubaccountIdLib.from(msg.sender, uint8(c), 0);
                _accounts[k].balance += int128(int256(keeperShare));
            }
            _insuranceFund[uint8(c)] += insuranceShare;
            emit FeesDistributed(msg.sender, uint8(c), keeperShare, insuranceShare);
        }
    }

    // =================================================================== margin

    function _newContext() private view returns (Context memory ctx) {
        ctx.markets = new MarketCache[](_registry.marketCount());
        uint256 collaterals = _registry.collateralCount();
        ctx.keeperFees = new uint256[](collaterals);
        ctx.insuranceFees = new uint256[](collaterals);
    }

    /// @dev A market as seen by this transaction, loaded on first use: config, index, mark, and
    /// funding accrued to now. (No named memory return: that would allocate a struct per call.)
    function _market(Context memory ctx, uint256 id) private view returns (MarketCache memory) {
        MarketCache memory m = ctx.markets[id];
        if (!m.loaded) {
            _loadMarket(m, id);
            ++ctx.marketLoads;
        }
        return m;
    }

    function _loadMarket(MarketCache memory m, uint256 id) private view {
        m.id = uint8(id);
        m.loaded = true;
        (m.cfg, m.unit) = _registry.market(id);
        MarketState memory st = _marketStates[id];
        (m.index, m.indexFresh) = _readIndex(m.cfg);
        m.premiumEma = st.premiumEma;
        m.openInterest = st.openInterest;
        // A stale index blocks risk-increasing trades; everything else keeps the last good mark.
        m.mark = m.indexFresh ? FundingMath.markPrice(m.index, m.premiumEma, m.cfg.markBandRate) : st.lastMark;
        m.cumulativeFunding = st.cumulativeFunding;
        if (st.lastAccrual != 0 && m.mark != 0) {
            int256 rate = FundingMath.fundingRate(
                FundingMath.clampPremium(m.premiumEma, m.cfg.markBandRate), m.cfg.interestRate, m.cfg.fundingCapRate
            );
            m.cumulativeFunding += FundingMath.fundingIndexDelta(
                m.cfg.kind, m.cfg.multiplier, m.unit, m.mark, rate, block.timestamp - st.lastAccrual, m.cfg.fundingInterval
            );
        }
    }

    function _readIndex(MarketConfig memory cfg) private view returns (uint256 price, bool fresh) {
        try IIndexOracle(cfg.oracle).latestIndex() returns (uint256 p, uint256 updatedAt) {
            fresh = p != 0 && updatedAt != 0 && updatedAt <= block.timestamp
                && block.timestamp - updatedAt <= cfg.maxIndexAge;
            price = p;
        } catch {}
    }

    /// @dev An account's equity and its initial (`initial`) or maintenance margin, with
    /// `overrideMarket`'s position replaced by `overridePosition` (whose funding is settled).
    function _health(
        Context memory ctx,
        SubaccountId id,
        int256 balance,
        uint256 mask,
        uint256 overrideMarket,
        Position overridePosition,
        bool initial
    ) private view returns (int256 equity, uint256 required) {
        equity = balance;
        while (mask != 0) {
            uint256 marketId = Math.log2(mask & (~mask + 1)); // lowest set bit
            mask &= mask - 1;
            bool overridden = marketId == overrideMarket;
            Position p = overridden ? overridePosition : _positions[id][marketId];
            int256 size = p.size();
            if (size == 0) continue;
            MarketCache memory m = _market(ctx, marketId);
            (int256 value, uint256 notional) =
                ContractMath.valueAndNotional(m.cfg.kind, m.cfg.multiplier, size, m.mark, m.unit);
            equity += value - p.basis();
            if (!overridden) equity -= FundingMath.fundingOwed(size, m.cumulativeFunding, p.fundingSnapshot(), m.unit);
            required += FixedPoint.mulRateUp(notional, initial ? m.cfg.imRate : m.cfg.mmRate);
        }
    }

    /// @dev equity, IM and MM together, for views.
    function _fullHealth(Context memory ctx, SubaccountId id)
        private
        view
        returns (int256 equity, uint256 im, uint256 mm)
    {
        Account memory a = _accounts[id];
        (equity, im) = _health(ctx, id, a.balance, a.openMarkets, type(uint256).max, Position.wrap(0), true);
        (, mm) = _health(ctx, id, a.balance, a.openMarkets, type(uint256).max, Position.wrap(0), false);
    }

    function _withdrawable(Context memory ctx, SubaccountId id) private view returns (uint256) {
        Account memory a = _accounts[id];
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
        return _hashTypedDataV4(OrderCodec.structHash(order));
    }

    /// @inheritdoc IClearinghouse
    function account(SubaccountId id) external view returns (int256 balance, uint64 openMarkets, uint64 nonceFloor) {
        Account memory a = _accounts[id];
        return (a.balance, a.openMarkets, a.nonceFloor);
    }

    /// @inheritdoc IClearinghouse
    function position(SubaccountId id, uint8 marketId)
        external
        view
        returns (int256 size, int256 basis, int256 fundingSnapshot)
    {
        Position p = _positions[id][marketId];
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
        return nonce < _accounts[id].nonceFloor || _nonceState(id, nonce) == NONCE_DONE;
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
        MarketCache memory m = _market(ctx, marketId);
        return (m.index, m.indexFresh, m.mark, m.premiumEma, m.cumulativeFunding, m.openInterest);
    }

    /// @inheritdoc IClearinghouse
    function insuranceFund(uint8 collateral) external view returns (uint256) {
        return _insuranceFund[collateral];
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

    /// @dev Nonce n's state is bits 2 + 2·(n % 127) of word n / 127; bits 0–1 mark the word allocated.
    function _nonceState(SubaccountId id, uint64 nonce) private view returns (uint256) {
        uint256 state = (_nonceWords[id][nonce / NONCES_PER_WORD] >> (2 + 2 * (nonce % NONCES_PER_WORD))) & 3;
        return state >= NONCE_DONE ? NONCE_DONE : state; // partial (01) | done (10) reads as done
    }

    /// @dev States only move forward (fresh → partial → done), so OR-ing the bits is enough.
    function _setNonceState(SubaccountId id, uint64 nonce, uint256 state) private {
        _nonceWords[id][nonce / NONCES_PER_WORD] |= (state << (2 + 2 * (nonce % NONCES_PER_WORD))) | WORD_ALLOCATED;
    }

    function _withMarket(uint256 mask, uint256 marketId, bool open) private pure returns (uint256) {
        return open ? mask | (1 << marketId) : mask & ~(1 << marketId);
    }

    function _longSize(Position p) private pure returns (uint256) {
        int256 size = p.size();
        return size > 0 ? uint256(size) : 0;
    }

}
