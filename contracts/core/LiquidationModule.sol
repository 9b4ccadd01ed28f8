// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ClearinghouseCore} from "./ClearinghouseCore.sol";
import {ILiquidation} from "../interfaces/ILiquidation.sol";
import {IMarketRegistry} from "../interfaces/IMarketRegistry.sol";
import {IKeeperRegistry} from "../interfaces/IKeeperRegistry.sol";
import {SubaccountId, SubaccountIdLib} from "../types/Ids.sol";
import {Position, PositionLib} from "../types/Position.sol";
import {AdlPolicy} from "../types/Market.sol";
import {Order, OrderFlags, SkipReason} from "../types/Order.sol";
import {InsuranceFlowReason, LiquidationParameters} from "../types/Risk.sol";
import {FixedPoint} from "../libraries/FixedPoint.sol";
import {ContractMath} from "../libraries/ContractMath.sol";
import {LiquidationMath} from "../libraries/LiquidationMath.sol";
import {FundingMath} from "../libraries/FundingMath.sol";
import {AdlMath} from "../libraries/AdlMath.sol";
import {OrderCodec} from "../libraries/OrderCodec.sol";

/// @title LiquidationModule
/// @notice SPEC §6–7: the liquidation waterfall (book → insurance backstop → ADL) and the check
/// that an ADL follows the market's published ranking. Runs only by `delegatecall` from the
/// clearinghouse, in its storage.
/// @dev Completeness of an ADL side without an on-chain list of holders: the clearinghouse counts
/// the holders of each side of each market. The keeper submits the whole side; the module checks
/// that every entry holds a position on that side, that the entries are strictly ordered (so no
/// entry repeats), and that their number equals the count. Together these prove the submission is
/// exactly the side, in the right order, at a cost of one position and one account read per entry.
contract LiquidationModule is ClearinghouseCore, ILiquidation {
    uint256 private constant WAD = 1e18;

    /// @dev A liquidation in progress. `direction` is the sign of the liquidated account's trades.
    struct Liquidation {
        int256 positionBefore;
        int256 direction;
        uint256 target;
        uint256 remaining;
        uint256 bankruptcyPrice;
        uint256 bookSize;
        uint256 backstopSize;
        uint256 adlSize;
        uint256 makerFees;
    }

    address private immutable _self;
    uint256 private immutable _feeRate;
    uint256 private immutable _liquidatorShare;
    uint256 private immutable _fullLiquidationRatio;
    uint256 private immutable _bandRate;
    uint256 private immutable _gracePeriod;

    error LiquidationInvalidParameters();

    constructor(IMarketRegistry registry_, IKeeperRegistry keepers_, LiquidationParameters memory p)
        ClearinghouseCore(registry_, keepers_)
    {
        if (p.feeRate >= WAD || p.liquidatorShare > WAD || p.fullLiquidationRatio > WAD || p.bandRate >= WAD) {
            revert LiquidationInvalidParameters();
        }
        _self = address(this);
        _feeRate = p.feeRate;
        _liquidatorShare = p.liquidatorShare;
        _fullLiquidationRatio = p.fullLiquidationRatio;
        _bandRate = p.bandRate;
        _gracePeriod = p.gracePeriod;
    }

    modifier onlyDelegated() {
        if (address(this) == _self) revert LiquidationDirectCall();
        _;
    }

    /// @inheritdoc ILiquidation
    function liquidationParameters() external view returns (LiquidationParameters memory) {
        return LiquidationParameters(
            uint64(_feeRate), uint64(_liquidatorShare), uint64(_fullLiquidationRatio), uint64(_bandRate), uint32(_gracePeriod)
        );
    }

    /// @inheritdoc ILiquidation
    function liquidatableSince(SubaccountId account) external view returns (uint256) {
        return _liquidatableSince[account];
    }

    /// @inheritdoc ILiquidation
    function sideHolders(uint8 marketId) external view returns (uint256 longs, uint256 shorts) {
        MarketState storage st = _marketStates[marketId];
        return (st.longHolders, st.shortHolders);
    }

    /// @inheritdoc ILiquidation
    function flagLiquidatable(SubaccountId account) external onlyDelegated {
        (int256 equity, uint256 mm) = _maintenanceHealth(account);
        Account storage a = _subaccounts[account].account;
        if (a.openMarkets == 0 || equity >= int256(mm)) revert LiquidationNotLiquidatable(account, equity, mm);
        if (_liquidatableSince[account] == 0) {
            _liquidatableSince[account] = block.timestamp;
            a.flags |= FLAG_LIQUIDATABLE;
            emit LiquidatableFlagged(account, block.timestamp);
        }
    }

    /// @inheritdoc ILiquidation
    function clearLiquidatable(SubaccountId account) external onlyDelegated {
        Account storage a = _subaccounts[account].account;
        if (a.flags & FLAG_LIQUIDATABLE == 0) return; // no grace period to end
        (int256 equity, uint256 mm) = _maintenanceHealth(account);
        if (equity < int256(mm)) revert LiquidationStillLiquidatable(account, equity, mm);
        a.flags &= ~FLAG_LIQUIDATABLE;
        delete _liquidatableSince[account];
        emit LiquidatableCleared(account);
    }

    /// @dev An account's equity and maintenance margin at the mark: the liquidation condition.
    function _maintenanceHealth(SubaccountId id) private view returns (int256 equity, uint256 mm) {
        Account memory a = _subaccounts[id].account;
        return _health(_newMarketsContext(), id, a.balance, a.openMarkets, type(uint256).max, Position.wrap(0), false);
    }

    /// @inheritdoc ILiquidation
    function liquidate(
        SubaccountId account,
        uint8 marketId,
        bytes calldata bookFills,
        SubaccountId[] calldata adlSide,
        uint64[] calldata adlSizes
    ) external nonReentrant onlyDelegated {
        Context memory ctx = _newMarketsContext();
        // Market ids stop at 63 (the open-markets mask is 64 bits): beyond that nobody holds a position.
        if (marketId >= MAX_MARKETS) revert LiquidationNoPosition(account, marketId);
        Side memory v = _party(account, marketId, 0);
        Liquidation memory l;
        l.positionBefore = v.position.size();
        // Checked before the market is read: an unlisted market holds no positions.
        if (l.positionBefore == 0) revert LiquidationNoPosition(account, marketId);
        _loadMarketOnce(ctx, marketId);
        MarketCache memory m = ctx.markets[marketId];
        // SPEC §4: a stale index blocks liquidations in the market (and nothing else).
        if (!m.indexFresh) revert LiquidationStaleIndex(marketId);
        (int256 equity, uint256 mm) =
            _health(ctx, account, v.balance, v.openMarkets, type(uint256).max, Position.wrap(0), false);
        if (equity >= int256(mm)) revert LiquidationNotLiquidatable(account, equity, mm);
        _authorize(account, bookFills.length != 0);

        l.direction = l.positionBefore > 0 ? -1 : int256(1);
        l.target = _closeSize(ctx, m, v, equity, mm);
        l.remaining = l.target;
        l.bankruptcyPrice =
            LiquidationMath.bankruptcyPrice(m.cfg.kind, m.cfg.multiplier, m.unit, l.positionBefore, m.mark, equity);

        // 1. The book, inside the band and no worse than the bankruptcy price.
        uint256 cursor;
        for (uint256 fillIndex; cursor < bookFills.length; ++fillIndex) {
            cursor = _bookFill(ctx, m, v, l, bookFills, cursor, fillIndex);
        }
        // A close at the bankruptcy price takes the closed share of the equity with it, so it never
        // improves the account's margin ratio: the part of a partial liquidation that the book
        // could not take turns the liquidation into a full one.
        if (l.remaining != 0) {
            l.remaining = FixedPoint.abs(v.position.size());
            l.target = l.bookSize + l.remaining;
        }
        // 2. The insurance vault's backstop, as far as its own margin allows.
        if (l.remaining != 0) _backstop(ctx, m, v, l);
        // 3. ADL of the rest against the opposite side, in the published order.
        if (l.remaining != 0) _deleverage(ctx, m, v, l, adlSide, adlSizes);
        else if (adlSizes.length != 0) revert AdlOverDeleveraged(adlSizes.length, 0);

        (uint256 fee, uint256 liquidatorFee) = _chargeFee(ctx, m, v, l);
        int256 badDebt = _takeBadDebt(v);
        if (v.accountFlags & FLAG_LIQUIDATABLE != 0) {
            v.accountFlags &= ~FLAG_LIQUIDATABLE;
            delete _liquidatableSince[account];
        }
        // The liquidated account is written once, before anyone else is credited (the liquidator's
        // subaccount may be the same one).
        _storeAccount(account, v);
        _subaccounts[account].positions[marketId] = v.position;
        _payOut(m, l, fee, liquidatorFee, badDebt);
        _writeMarket(m);
        emit Liquidated(
            account,
            marketId,
            msg.sender,
            l.positionBefore,
            m.mark,
            l.bankruptcyPrice,
            l.target,
            l.bookSize,
            l.backstopSize,
            l.adlSize,
            fee,
            liquidatorFee
        );
    }

    // =================================================================== waterfall

    /// @dev Keepers liquidate at once; anyone else only through backstop/ADL after the grace period.
    function _authorize(SubaccountId account, bool withBook) private view {
        if (_keepers.isActiveKeeper(msg.sender)) return;
        if (withBook) revert LiquidationNotKeeper(msg.sender);
        uint256 since = _liquidatableSince[account];
        if (since == 0) revert LiquidationGracePeriod(account, 0);
        if (block.timestamp < since + _gracePeriod) revert LiquidationGracePeriod(account, since + _gracePeriod);
    }

    /// @dev SPEC §6: the least size that restores initial margin; all of it below the full threshold.
    /// This is what the book may take; see `liquidate` for what the backstop and ADL take.
    function _closeSize(Context memory ctx, MarketCache memory m, Side memory v, int256 equity, uint256 mm)
        private
        view
        returns (uint256)
    {
        uint256 absSize = FixedPoint.abs(v.position.size());
        if (equity < int256(FixedPoint.mulRateDown(mm, _fullLiquidationRatio))) return absSize;
        (, uint256 im) =
            _health(ctx, v.id, v.balance, v.openMarkets, type(uint256).max, Position.wrap(0), true);
        uint256 notional = ContractMath.notional(m.cfg.kind, m.cfg.multiplier, v.position.size(), m.mark, m.unit);
        return LiquidationMath.partialCloseSize(
            absSize, m.cfg.lotSize, uint256(int256(im) - equity), notional, m.cfg.imRate, _feeRate
        );
    }

    /// @dev One resting order taking part of the position. The keeper's mistakes revert; the maker's
    /// (signature, cancellation, expiry, margin) skip the fill as in a batch.
    function _bookFill(
        Context memory ctx,
        MarketCache memory m,
        Side memory v,
        Liquidation memory l,
        bytes calldata data,
        uint256 cursor,
        uint256 fillIndex
    ) private returns (uint256 next) {
        uint64 size;
        Order memory maker;
        OrderCodec.Signature memory sig;
        (size, next) = OrderCodec.decodeFillSize(data, cursor);
        next = OrderCodec.decodeOrder(data, next, maker, sig);
        uint256 price = maker.limitPrice;
        if (
            maker.market != m.id || maker.isBuy != (l.direction < 0)
                || SubaccountIdLib.from(maker.trader, m.cfg.collateral, maker.subaccount).eq(v.id)
        ) revert LiquidationInvalidBookFill(fillIndex);
        if (size == 0 || size > l.remaining) revert LiquidationBookOverfill(fillIndex, l.remaining, size);
        uint256 band = FixedPoint.mulRateDown(m.mark, _bandRate);
        if (price < m.mark - band || price > m.mark + band) {
            revert LiquidationPriceOutsideBand(fillIndex, price, m.mark - band, m.mark + band);
        }
        if (l.direction < 0 ? price < l.bankruptcyPrice : price > l.bankruptcyPrice) {
            revert LiquidationPriceBeyondBankruptcy(fillIndex, price, l.bankruptcyPrice);
        }

        bytes32 makerHash = OrderCodec.typedDataHash(maker, _domainSeparatorV4());
        SkipReason reason = _makerTerms(m, maker, size);
        if (reason == SkipReason.None && !_validSignature(maker.trader, makerHash, sig)) reason = SkipReason.BadSignature;
        Side memory ms;
        if (reason == SkipReason.None) {
            _openSide(m, maker, makerHash, size, m.cfg.makerFeeRate, ms);
            reason = _orderStateReason(ms, maker, size);
            if (reason == SkipReason.None) reason = _applyAt(m, ms, price);
            if (reason == SkipReason.None && !_marginOk(ctx, m, ms)) reason = SkipReason.InsufficientMargin;
        }
        if (reason != SkipReason.None) {
            emit FillSkipped(makerHash, fillIndex, reason);
            return next;
        }
        v.delta = l.direction * int256(uint256(size));
        _applyOrRevert(m, v, price);
        _track(m, ms);
        _track(m, v);
        _commitSide(ms, maker, size);
        v.position = v.newPosition;
        l.remaining -= size;
        l.bookSize += size;
        l.makerFees += ms.fee;
        emit FillSettled(
            ms.id,
            v.id,
            makerHash,
            bytes32(0),
            (uint256(m.id) << 248) | (uint256(size) << 184) | (price << 56) | (l.direction > 0 ? 1 : 0),
            ms.fee << 128
        );
    }

    /// @dev The maker's own terms: flags, keeper restriction, expiry, tick and lot.
    function _makerTerms(MarketCache memory m, Order memory maker, uint64 size) private view returns (SkipReason) {
        if (maker.flags & OrderFlags.IOC != 0 || maker.flags > OrderFlags.ALL) return SkipReason.InvalidFlags;
        if (maker.keeper != address(0) && maker.keeper != msg.sender) return SkipReason.KeeperNotAllowed;
        if (maker.expiry < block.timestamp) return SkipReason.Expired;
        if (size % m.cfg.lotSize != 0) return SkipReason.TickOrLot;
        if (maker.limitPrice % m.cfg.tickSize != 0) return SkipReason.TickOrLot;
        return SkipReason.None;
    }

    /// @dev The insurance vault takes what it can at the bankruptcy price under its own margin rules:
    /// all of the rest if it can, else the most lots it can (binary search; a rare path).
    function _backstop(Context memory ctx, MarketCache memory m, Side memory v, Liquidation memory l) private {
        address vault = m.insuranceVault;
        SubaccountId insurance = _insuranceSubaccount(vault, m.cfg.collateral);
        if (vault == address(0) || insurance.eq(v.id)) return;
        uint256 lot = m.cfg.lotSize;
        uint256 taken = l.remaining;
        if (!_backstopFits(ctx, m, insurance, l, taken)) {
            uint256 low; // lots known to fit
            uint256 high = l.remaining / lot; // lots known not to fit
            while (high - low > 1) {
                uint256 mid = (low + high) / 2;
                if (_backstopFits(ctx, m, insurance, l, mid * lot)) low = mid;
                else high = mid;
            }
            taken = low * lot;
        }
        if (taken == 0) return;
        Side memory b = _party(insurance, m.id, -l.direction * int256(taken));
        _applyOrRevert(m, b, l.bankruptcyPrice);
        _track(m, b);
        _commitParty(b, m.id);
        v.delta = l.direction * int256(taken);
        _applyOrRevert(m, v, l.bankruptcyPrice);
        _track(m, v);
        v.position = v.newPosition;
        l.remaining -= taken;
        l.backstopSize = taken;
        emit BackstopTakeover(v.id, m.id, insurance, b.delta, l.bankruptcyPrice);
        int256 value = int256(ContractMath.notional(m.cfg.kind, m.cfg.multiplier, b.delta, l.bankruptcyPrice, m.unit));
        emit InsuranceFlow(m.cfg.collateral, vault, InsuranceFlowReason.Takeover, value);
    }

    function _backstopFits(
        Context memory ctx,
        MarketCache memory m,
        SubaccountId insurance,
        Liquidation memory l,
        uint256 size
    ) private view returns (bool) {
        if (size == 0) return true;
        Side memory b = _party(insurance, m.id, -l.direction * int256(size));
        if (_applyAt(m, b, l.bankruptcyPrice) != SkipReason.None) return false;
        return _marginOk(ctx, m, b);
    }

    /// @dev SPEC §7. Verifies the submitted side (complete, every entry on it, strictly in policy
    /// order) against the state before any cut, then deleverages exactly the shortfall at the
    /// bankruptcy price. Two passes: a cut changes the cut position's score, so verifying while
    /// cutting would let a repeated entry pass.
    function _deleverage(
        Context memory ctx,
        MarketCache memory m,
        Side memory v,
        Liquidation memory l,
        SubaccountId[] calldata side,
        uint64[] calldata sizes
    ) private {
        bool longSide = l.positionBefore < 0; // the ADL side is opposite the liquidated position
        {
            uint256 holders = longSide ? m.longHolders : m.shortHolders;
            if (side.length != holders) revert AdlSideIncomplete(holders, side.length);
        }
        uint256 shortfall = l.remaining;
        emit Deleveraged(v.id, m.id, m.cfg.adlPolicy, m.mark, l.bankruptcyPrice, shortfall, side.length);
        (uint256[] memory shares, int256[] memory scores) = _verifySide(ctx, m, side, longSide, shortfall);
        uint256 selected;
        for (uint256 i; i < side.length; ++i) {
            uint256 share = shares[i];
            if (share == 0) continue;
            uint256 provided = selected < sizes.length ? sizes[selected] : 0;
            if (provided != share) revert AdlSizeMismatch(selected, share, provided);
            ++selected;
            _deleverageOne(m, v, l, side[i], share, i, scores[i]);
        }
        if (selected != sizes.length) revert AdlOverDeleveraged(sizes.length, selected);
        l.adlSize = shortfall; // INV-6: RANKED stops at the shortfall; PRO_RATA shares sum to it
    }

    /// @dev The first pass: reads only. Each entry must hold a position on the side and rank strictly
    /// after the one before it (RANKED: score descending then id ascending; PRO_RATA: id ascending),
    /// which also rules out repeats. Returns each entry's share of the shortfall and its score.
    function _verifySide(
        Context memory ctx,
        MarketCache memory m,
        SubaccountId[] calldata side,
        bool longSide,
        uint256 shortfall
    ) private view returns (uint256[] memory shares, int256[] memory scores) {
        uint256 n = side.length;
        shares = new uint256[](n);
        scores = new int256[](n);
        bool ranked = m.cfg.adlPolicy == AdlPolicy.Ranked;
        uint256 lot = m.cfg.lotSize;
        uint256 totalLots = m.openInterest / lot; // a side's lots total the open interest
        uint256 cumulativeLots;
        uint256 remaining = shortfall;
        uint256 previousKey;
        for (uint256 i; i < n; ++i) {
            uint256 heap;
            assembly ("memory-safe") {
                heap := mload(0x40)
            }
            uint256 loads = ctx.marketLoads;
            SubaccountId id = side[i];
            Position p = _subaccounts[id].positions[m.id];
            int256 size = p.size();
            if (size == 0 || (size > 0) != longSide) revert AdlNotOnSide(i, id);
            uint256 absSize = FixedPoint.abs(size);
            uint256 key = uint256(SubaccountId.unwrap(id));
            if (ranked) {
                int256 score = _score(ctx, m, id, p);
                if (i != 0 && !AdlMath.ranksBefore(scores[i - 1], previousKey, score, key)) {
                    revert AdlOrderViolated(i, id);
                }
                scores[i] = score;
                uint256 share = remaining < absSize ? remaining : absSize;
                shares[i] = share;
                remaining -= share;
            } else {
                if (i != 0 && previousKey >= key) revert AdlOrderViolated(i, id);
                uint256 lots = absSize / lot;
                shares[i] = AdlMath.proRataShare(shortfall / lot, cumulativeLots, cumulativeLots + lots, totalLots) * lot;
                cumulativeLots += lots;
            }
            previousKey = key;
            // Nothing allocated in this iteration outlives it unless it loaded a market into the cache.
            if (ctx.marketLoads == loads) {
                assembly ("memory-safe") {
                    mstore(0x40, heap)
                }
            }
        }
    }

    function _deleverageOne(
        MarketCache memory m,
        Side memory v,
        Liquidation memory l,
        SubaccountId id,
        uint256 share,
        uint256 rank,
        int256 score
    ) private {
        Side memory c = _party(id, m.id, -l.direction * int256(share));
        _applyOrRevert(m, c, l.bankruptcyPrice);
        _track(m, c);
        _commitParty(c, m.id);
        v.delta = l.direction * int256(share);
        _applyOrRevert(m, v, l.bankruptcyPrice);
        _track(m, v);
        v.position = v.newPosition;
        l.remaining -= share;
        emit AdlCounterparty(v.id, id, m.id, rank, c.delta, l.bankruptcyPrice, score);
    }

    /// @dev The RANKED score of a position from its holder's equity at mark (docs/adl.md). The
    /// equity is `_health`'s, computed here with the position already loaded and its mark value
    /// computed once for both the equity and the score: this runs once per scanned position.
    function _score(Context memory ctx, MarketCache memory m, SubaccountId id, Position p) private view returns (int256) {
        Account memory a = _subaccounts[id].account;
        int256 size = p.size();
        int256 markValue = ContractMath.signedValue(m.cfg.kind, m.cfg.multiplier, size, m.mark, m.unit, false);
        int256 equity = a.balance + markValue - p.basis()
            - FundingMath.fundingOwed(size, m.cumulativeFunding, p.fundingSnapshot(), m.unit);
        uint256 others = uint256(a.openMarkets) & ~(uint256(1) << m.id);
        if (others != 0) {
            (int256 rest,) = _health(ctx, id, 0, others, type(uint256).max, Position.wrap(0), false);
            equity += rest;
        }
        return AdlMath.score(markValue, p.basis(), equity);
    }

    /// @dev The liquidation fee on the closed size at mark, capped by the equity left, taken from the
    /// liquidated account (in memory; `liquidate` writes it). The liquidator's share of it is returned.
    function _chargeFee(Context memory ctx, MarketCache memory m, Side memory v, Liquidation memory l)
        private
        view
        returns (uint256 fee, uint256 liquidatorFee)
    {
        fee = FixedPoint.mulRateUp(
            ContractMath.notional(m.cfg.kind, m.cfg.multiplier, int256(l.target), m.mark, m.unit), _feeRate
        );
        (int256 equity,) =
            _health(ctx, v.id, v.balance, v.openMarkets, type(uint256).max, Position.wrap(0), false);
        if (equity < int256(fee)) fee = equity > 0 ? uint256(equity) : 0;
        liquidatorFee = FixedPoint.mulRateDown(fee, _liquidatorShare);
        v.balance = SafeCast.toInt120(v.balance - int256(fee));
    }

    /// @dev INV-4: an account left without positions and with a negative balance is made whole by
    /// the insurance vault, whose subaccount bears the loss (its LPs' shares lose value). Returns the
    /// (negative) debt moved, zero if none.
    function _takeBadDebt(Side memory v) private pure returns (int256 debt) {
        if (v.openMarkets != 0 || v.balance >= 0) return 0;
        debt = v.balance;
        v.balance = 0;
    }

    /// @dev Credits the liquidator its share of the fee, and the insurance vault the rest with the maker
    /// fees of book fills, less any bad debt it covers: one write, one event per reason.
    function _payOut(MarketCache memory m, Liquidation memory l, uint256 fee, uint256 liquidatorFee, int256 debt)
        private
    {
        uint8 collateral = m.cfg.collateral;
        address vault = m.insuranceVault;
        if (liquidatorFee != 0) _credit(SubaccountIdLib.from(msg.sender, collateral, 0), int256(liquidatorFee));
        int256 insuranceFee = int256(fee - liquidatorFee);
        int256 makerFees = int256(l.makerFees);
        int256 flow = insuranceFee + makerFees + debt;
        if (flow != 0) _credit(_insuranceSubaccount(vault, collateral), flow);
        if (insuranceFee != 0) emit InsuranceFlow(collateral, vault, InsuranceFlowReason.LiquidationFee, insuranceFee);
        if (makerFees != 0) emit InsuranceFlow(collateral, vault, InsuranceFlowReason.TradingFee, makerFees);
        if (debt != 0) emit InsuranceFlow(collateral, vault, InsuranceFlowReason.BadDebt, debt);
    }

    // =================================================================== parties

    /// @dev An empty context: its market cache grows to the markets the transaction meets (listed
    /// ones, as positions only exist in those), and a liquidation accumulates no batch fees.
    function _newMarketsContext() private pure returns (Context memory ctx) {}

    function _party(SubaccountId id, uint256 marketId, int256 delta) private view returns (Side memory s) {
        s.id = id;
        s.delta = delta;
        _loadAccount(id, s);
        s.position = _subaccounts[id].positions[marketId];
    }

    /// @dev Liquidation trades carry no fee and no margin check; only an overflow stops them.
    function _applyOrRevert(MarketCache memory m, Side memory s, uint256 price) private pure {
        if (_applyAt(m, s, price) != SkipReason.None) revert LiquidationOverflow(s.id);
    }

    /// @dev Open interest (INV-2) and the holder counts follow every position change.
    function _track(MarketCache memory m, Side memory s) private pure {
        m.openInterest = m.openInterest + _longSize(s.newPosition) - _longSize(s.position);
        _countHolders(m, s.position, s.newPosition);
    }

    function _commitParty(Side memory s, uint256 marketId) private {
        _storeAccount(s.id, s);
        _subaccounts[s.id].positions[marketId] = s.newPosition;
    }
}
