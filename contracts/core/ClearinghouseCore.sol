// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IClearinghouseEvents} from "../interfaces/IClearinghouseEvents.sol";
import {IMarketRegistry} from "../interfaces/IMarketRegistry.sol";
import {IKeeperRegistry} from "../interfaces/IKeeperRegistry.sol";
import {IIndexOracle} from "../interfaces/IIndexOracle.sol";
import {SubaccountId, SubaccountIdLib} from "../types/Ids.sol";
import {Position, PositionLib} from "../types/Position.sol";
import {MarketConfig, MarketKind} from "../types/Market.sol";
import {Order, OrderFlags, SkipReason} from "../types/Order.sol";
import {FixedPoint} from "../libraries/FixedPoint.sol";
import {ContractMath} from "../libraries/ContractMath.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {FundingMath} from "../libraries/FundingMath.sol";
import {OrderCodec} from "../libraries/OrderCodec.sol";

/// @title ClearinghouseCore
/// @notice The clearinghouse's storage and the logic its two halves share: `Clearinghouse` (money,
/// orders, batches, reads) and `LiquidationModule` (liquidation and ADL, SPEC §6–7), which the
/// clearinghouse runs by `delegatecall` in its own storage. One deployed contract could not hold
/// both under the 24,576-byte code limit; two contracts with privileged cross-calls would widen the
/// trusted surface and pay an external call per position the ADL check scans. The module is fixed
/// at the clearinghouse's construction (an immutable), so nothing can be swapped in later.
/// @dev Storage is the cost designed against (issue: ≤ 80k gas a fresh fill, ≤ 30k a repeat fill):
/// - an account is one slot: balance, flags, the mask of markets it holds positions in, its nonce
///   floor; its positions (one slot each, `Position`) and nonce words sit under the same mapping
///   key (`SubaccountStorage`), so a fill hashes the subaccount id once;
/// - an order filled whole at its account's nonce floor raises the floor by one, in the account
///   slot; any other order state is two bits in the subaccount's nonce bitmap (fresh, partially
///   filled, done), read only once the account has some (`FLAG_NONCE_WORDS`). Only a partially
///   filled order (or one cancelled by hash, which marks it partial) has a `filled` slot, and only
///   such an order's slot is read. Bits 0–1 of a written bitmap word mark it allocated, so it
///   never returns to zero and a later state in it costs a warm write, not a new slot;
/// - markets touched by a batch are cached in memory and their funding state written once a batch.
abstract contract ClearinghouseCore is IClearinghouseEvents, EIP712, ReentrancyGuardTransient {
    struct Account {
        int120 balance; // ±6.6e35 token units: more than any token's supply
        uint8 flags; // FLAG_*
        uint64 openMarkets; // bit m set iff a position in market m is open
        uint64 nonceFloor;
    }

    uint256 internal constant MAX_MARKETS = 64; // IMarketRegistry.MAX_MARKETS

    /// @dev Everything of one subaccount under one mapping key. Solidity lays the struct out from
    /// keccak256(id . slot): the account there, position m at +1+m, the nonce-word mapping at +65.
    /// A fill derives all three from that one hash (`_subaccountSlot`) instead of five.
    struct SubaccountStorage {
        Account account;
        Position[MAX_MARKETS] positions; // market ids are below 64 (the open-markets mask is 64 bits)
        mapping(uint256 word => uint256) nonceWords;
    }

    struct MarketState {
        int128 cumulativeFunding; // collateral units × fundingPrecision(unit) per contract; longs pay as it grows
        int64 premiumEma; // 18 decimals
        uint64 lastAccrual;
        uint128 lastMark; // mark at the last update; used when the index is stale
        uint64 openInterest; // long contracts (≤ maxOpenInterest, a uint64)
        uint32 longHolders; // subaccounts holding a long: the ADL check counts a side against these
        uint32 shortHolders;
    }

    /// @dev A market as seen by one transaction.
    struct MarketCache {
        uint8 id;
        bool loaded;
        bool traded;
        bool indexFresh;
        MarketConfig cfg;
        uint256 unit;
        address insuranceVault; // of the market's collateral; zero until set
        uint256 index;
        uint256 mark;
        int256 premiumEma;
        int256 cumulativeFunding;
        uint256 openInterest;
        uint256 longHolders;
        uint256 shortHolders;
        uint256 volume; // Σ size of this transaction's fills
        uint256 notional; // Σ size × price, for the premium sample
        uint256 fees; // Σ trading fees of this batch's fills
    }

    struct Context {
        uint256 marketLoads; // markets loaded so far (their configs live on the heap)
        MarketCache[] markets;
        uint256[] keeperFees; // per collateral
        uint256[] insuranceFees; // per collateral
        uint256[] partialIocs; // subaccount (176 bits) << 64 | nonce, closed at the end of the batch
        uint256 partialIocCount;
    }

    /// @dev One side of a trade while it is being checked, before anything is written.
    struct Side {
        SubaccountId id;
        bytes32 orderHash;
        int256 delta;
        bool reduceOnly;
        uint256 feeRate;
        // The account after the fill, in whole words (`_unpackAccount`; `_packAccount` stores it).
        int256 balance;
        uint256 accountFlags;
        uint256 openMarkets;
        uint256 nonceFloor;
        Position position;
        Position newPosition;
        uint256 fee;
        uint256 filledBefore;
        bool increasesRisk;
        uint256 nonceWord; // the order's nonce word, if read (`FLAG_NONCE_WORDS`), written back on settling
        // Where the account, the position and the nonce word live: computed once when read (from
        // one hash of the subaccount id, see `SubaccountStorage`), and written to directly when the
        // fill settles.
        uint256 accountSlot;
        uint256 positionSlot;
        uint256 nonceSlot;
    }

    uint256 private constant POSITIONS_OFFSET = 1; // of `SubaccountStorage.positions`
    uint256 private constant NONCE_WORDS_OFFSET = 1 + MAX_MARKETS; // of `SubaccountStorage.nonceWords`
    uint256 internal constant CANCELLED = type(uint256).max;
    uint256 internal constant NONCES_PER_WORD = 127;
    uint256 internal constant WORD_ALLOCATED = 1;
    uint256 internal constant NONCE_PARTIAL = 1;
    uint256 internal constant NONCE_DONE = 2;
    /// @dev `Account.flags`: set while `_liquidatableSince` holds a time, so a liquidation reads that
    /// slot only when there is something to clear.
    uint8 internal constant FLAG_LIQUIDATABLE = 1;
    /// @dev `Account.flags`: set once any order state is kept in the account's nonce words. Until then
    /// every order at or above the nonce floor is fresh, and a fill reads no nonce word at all.
    uint8 internal constant FLAG_NONCE_WORDS = 2;
    /// @dev `MarketConfig`'s 20 fields, one ABI word each, then the collateral unit and insurance vault.
    uint256 private constant MARKET_CONFIG_BYTES = 20 * 32;
    uint256 private constant MARKET_DATA_BYTES = MARKET_CONFIG_BYTES + 2 * 32;

    IMarketRegistry internal immutable _registry;
    IKeeperRegistry internal immutable _keepers;

    mapping(SubaccountId => SubaccountStorage) internal _subaccounts;
    mapping(address trader => mapping(bytes32 orderHash => uint256)) internal _filled;
    mapping(uint256 marketId => MarketState) internal _marketStates;
    mapping(address keeper => uint64) internal _nextBatchIndex;
    /// @dev When someone showed the account under maintenance margin (SPEC §0.5 grace period).
    mapping(SubaccountId => uint256) internal _liquidatableSince;

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

    /// @dev Fills `s` for `o`'s side of a fill: its order, account and position. The other fields are
    /// written by the step that produces them before anything reads them (the nonce word by
    /// `_orderStateReason`, the new position, fee and risk by `_applyToSide`), so they are not reset.
    /// Callers pass a struct they allocated once: a function that returns a memory struct allocates
    /// and zero-fills a new one on every call.
    function _openSide(
        MarketCache memory m,
        Order memory o,
        bytes32 orderHash,
        uint64 size,
        uint256 feeRate,
        Side memory s
    ) internal view {
        SubaccountId id = SubaccountIdLib.from(o.trader, m.cfg.collateral, o.subaccount);
        s.id = id;
        s.orderHash = orderHash;
        s.delta = o.isBuy ? int256(uint256(size)) : -int256(uint256(size));
        s.reduceOnly = o.flags & OrderFlags.REDUCE_ONLY != 0;
        s.feeRate = feeRate;
        uint256 accountSlot = _loadAccount(id, s);
        uint256 positionSlot;
        unchecked {
            // m.id < 64. Wraps like Solidity's own struct layout arithmetic (never, in practice).
            positionSlot = accountSlot + POSITIONS_OFFSET + m.id;
        }
        uint256 position;
        assembly ("memory-safe") {
            position := sload(positionSlot)
        }
        (s.accountSlot, s.positionSlot) = (accountSlot, positionSlot);
        s.position = Position.wrap(position);
        s.filledBefore = 0;
    }

    function _orderStateReason(Side memory s, Order memory o, uint64 size) internal view returns (SkipReason) {
        uint64 nonce = o.nonce;
        if (nonce < s.nonceFloor) return SkipReason.Cancelled;
        // An account whose orders were all filled whole and in nonce order has no nonce words: its
        // floor alone says which orders are done (see `_commitSide`).
        if (s.accountFlags & FLAG_NONCE_WORDS != 0) {
            uint256 nonceSlot = _nonceWordSlot(s.accountSlot, nonce / NONCES_PER_WORD);
            uint256 word;
            assembly ("memory-safe") {
                word := sload(nonceSlot)
            }
            (s.nonceSlot, s.nonceWord) = (nonceSlot, word);
            uint256 state = _stateIn(word, nonce);
            if (state == NONCE_DONE) return SkipReason.Cancelled;
            // Only a partially filled or cancelled order has a `filled` slot worth reading.
            if (state == NONCE_PARTIAL) {
                uint256 filled = _filled[o.trader][s.orderHash];
                if (filled == CANCELLED) return SkipReason.Cancelled;
                s.filledBefore = filled;
            }
        }
        unchecked {
            // `filledBefore` ≤ the order's uint64 size here (the cancelled marker returned above).
            if (s.filledBefore + size > o.size) return SkipReason.Overfilled;
        }
        return SkipReason.None;
    }

    /// @dev `_applyToSide` for a trade of the side's own delta at `price`, valued here.
    function _applyAt(MarketCache memory m, Side memory s, uint256 price) internal pure returns (SkipReason) {
        (uint256 valueDown, uint256 valueUp) =
            ContractMath.magnitudes(_kind(m), m.cfg.multiplier, FixedPoint.absUnchecked(s.delta), price, m.unit);
        return _applyToSide(m, s, price, valueDown, valueUp);
    }

    /// @dev Settles the side's pending funding and applies the trade to its position and balance.
    /// `valueDown`/`valueUp`: the trade's value (`ContractMath.magnitudes` of |delta| at `price`),
    /// computed once for both sides of a fill; the fee is charged on `valueUp`, the notional.
    function _applyToSide(MarketCache memory m, Side memory s, uint256 price, uint256 valueDown, uint256 valueUp)
        internal
        pure
        returns (SkipReason)
    {
        Position position = s.position;
        int256 size = position.size();
        int256 delta = s.delta;
        int256 newSize;
        unchecked {
            newSize = size + delta; // int64 plus a uint64 fill: far inside int256
        }
        if (s.reduceOnly && (size == 0 || (size > 0) == (delta > 0) || FixedPoint.abs(delta) > FixedPoint.abs(size))) {
            return SkipReason.ReduceOnlyViolated;
        }
        int256 cumulativeFunding = m.cumulativeFunding;
        // Out of its field's range, nothing of this fill can be stored; beyond MAX_FILL_VALUE neither
        // its basis nor its PnL could (and the sums below rely on that bound).
        if (
            newSize != int64(newSize) || cumulativeFunding != int96(cumulativeFunding)
                || valueUp >= PositionMath.MAX_FILL_VALUE
        ) return SkipReason.Overflow;
        (int256 tradedSize, int256 basis, int256 realizedPnl, bool addsRisk) = PositionMath.applyFill(
            _kind(m), m.cfg.multiplier, m.unit, size, position.basis(), delta, price, valueDown, valueUp
        );
        // Nothing is owed on no position, or on one whose snapshot is the index (the usual case in a
        // batch): skip the call.
        int256 snapshot = position.fundingSnapshot();
        int256 funding;
        if (size != 0 && snapshot != cumulativeFunding) {
            funding = FundingMath.fundingOwed(size, cumulativeFunding, snapshot, m.unit);
        }
        uint256 fee = FixedPoint.mulRateUp(valueUp, s.feeRate);
        int256 balance;
        unchecked {
            // |balance| < 2^119, |PnL| ≤ 2^252 + 2^95, |funding| ≤ 2^63 · 2^96, fee ≤ 1% of 2^252.
            balance = s.balance + realizedPnl - funding - int256(fee);
        }
        if (balance != int120(balance) || basis != int96(basis)) return SkipReason.Overflow;
        s.fee = fee;
        s.balance = balance;
        s.newPosition = PositionLib.packInRange(tradedSize, basis, cumulativeFunding); // all checked above
        s.openMarkets = _withMarket(s.openMarkets, m.id, tradedSize != 0);
        s.increasesRisk = addsRisk;
        return SkipReason.None;
    }

    /// @dev SPEC §3: a risk-increasing trade needs equity ≥ IM after it; a reducing one needs
    /// equity ≥ MM after it, or must leave the account no less healthy than before.
    /// `m` is the traded market, already loaded.
    function _marginOk(Context memory ctx, MarketCache memory m, Side memory s) internal view returns (bool) {
        int256 equity = s.balance;
        uint256 required;
        if (s.openMarkets == 1 << m.id) {
            // The common case in a batch: the traded market is the account's only one.
            // `_positionHealth` of the new position (never empty: its market bit is set), inlined.
            Position p = s.newPosition;
            (int256 value, uint256 notional) =
                ContractMath.valueAndNotional(_kind(m), m.cfg.multiplier, p.size(), m.mark, m.unit);
            required = FixedPoint.mulRateUp(notional, s.increasesRisk ? m.cfg.imRate : m.cfg.mmRate);
            if (notional < PositionMath.MAX_FILL_VALUE) {
                unchecked {
                    // |value| ≤ notional, the basis an int96, the balance an int120 (`_applyToSide`).
                    equity += value - p.basis();
                }
            } else {
                equity += value - p.basis();
            }
        } else {
            (equity, required) =
                _health(ctx, s.id, equity, s.openMarkets, m.id, s.newPosition, s.increasesRisk);
        }
        if (equity >= int256(required)) return true;
        if (s.increasesRisk) return false;
        Account memory before = _subaccounts[s.id].account;
        (int256 equity0, uint256 mm0) =
            _health(ctx, s.id, before.balance, before.openMarkets, type(uint256).max, Position.wrap(0), false);
        return equity - int256(required) >= equity0 - int256(mm0);
    }

    /// @dev Writes a side's account, position and order state to the slots `_openSide` and
    /// `_orderStateReason` read them from.
    /// An order filled whole whose nonce is the account's floor is recorded by raising the floor by
    /// one, in the account slot the fill writes anyway: every nonce below the floor was already done
    /// or cancelled, so nothing else changes meaning. Any other order state (filled out of nonce
    /// order, partially filled) goes to the nonce words, and `FLAG_NONCE_WORDS` says to read them.
    function _commitSide(Side memory s, Order memory o, uint64 size) internal {
        uint256 filled;
        unchecked {
            filled = s.filledBefore + size; // checked against the order's size already
        }
        uint64 nonce = o.nonce;
        uint256 state; // to record in the nonce words; none if zero
        if (filled == o.size) {
            if (nonce == s.nonceFloor && nonce != type(uint64).max) {
                unchecked {
                    s.nonceFloor = nonce + 1; // below 2^64 (checked above)
                }
            } else {
                state = NONCE_DONE;
            }
            if (s.filledBefore != 0) delete _filled[o.trader][s.orderHash];
        } else {
            if (s.filledBefore == 0) state = NONCE_PARTIAL;
            _filled[o.trader][s.orderHash] = filled;
        }
        if (state != 0) {
            if (s.accountFlags & FLAG_NONCE_WORDS == 0) {
                // Not read by `_orderStateReason`: the account's first state in the words.
                uint256 slot = _nonceWordSlot(s.accountSlot, nonce / NONCES_PER_WORD);
                uint256 current;
                assembly ("memory-safe") {
                    current := sload(slot)
                }
                (s.nonceSlot, s.nonceWord) = (slot, current);
                s.accountFlags |= FLAG_NONCE_WORDS;
            }
            (uint256 nonceSlot, uint256 word) = (s.nonceSlot, _withState(s.nonceWord, nonce, state));
            assembly ("memory-safe") {
                sstore(nonceSlot, word)
            }
        }
        (uint256 accountSlot, uint256 positionSlot) = (s.accountSlot, s.positionSlot);
        // `_applyToSide` range-checked the balance (every side committed here went through it).
        uint256 account = _packAccountInRange(s);
        Position position = s.newPosition;
        assembly ("memory-safe") {
            sstore(accountSlot, account)
            sstore(positionSlot, position)
        }
    }

    /// @dev Writes a side's account as one packed word, without first reading the slot.
    function _storeAccount(SubaccountId id, Side memory s) internal {
        uint256 slot = _subaccountSlot(id);
        uint256 packed = _packAccount(s);
        assembly ("memory-safe") {
            sstore(slot, packed)
        }
    }

    /// @dev Reads an account into a side's account fields; returns its slot.
    function _loadAccount(SubaccountId id, Side memory s) internal view returns (uint256 slot) {
        slot = _subaccountSlot(id);
        uint256 packed;
        assembly ("memory-safe") {
            packed := sload(slot)
        }
        _unpackAccount(packed, s);
    }

    /// @dev `_packAccountInRange` after re-checking the balance's int120 range, for the writers that
    /// changed the balance themselves (liquidation fees, bad debt).
    function _packAccount(Side memory s) internal pure returns (uint256) {
        SafeCast.toInt120(s.balance);
        return _packAccountInRange(s);
    }

    /// @dev Solidity's storage layout of `Account`, fields packed from the low-order bits, from a
    /// side's whole-word copy whose balance is known to fit an int120. The open-markets mask (market
    /// ids < 64), the flags and the floor (a uint64) fit their fields.
    function _packAccountInRange(Side memory s) internal pure returns (uint256) {
        return uint256(uint120(int120(s.balance))) | (s.accountFlags << 120) | (s.openMarkets << 128)
            | (s.nonceFloor << 192);
    }

    /// @dev The inverse of `_packAccount`: one read of the slot rather than one a field.
    function _unpackAccount(uint256 packed, Side memory s) internal pure {
        (s.balance, s.accountFlags, s.openMarkets, s.nonceFloor) =
            (int120(uint120(packed)), uint8(packed >> 120), uint64(packed >> 128), uint64(packed >> 192));
    }

    /// @dev The slot of `_subaccounts[id]`, where its account is stored.
    function _subaccountSlot(SubaccountId id) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0, id)
            mstore(0x20, _subaccounts.slot)
            slot := keccak256(0, 0x40)
        }
    }

    /// @dev The slot of `_subaccounts[id].nonceWords[index]`, from the subaccount's slot.
    function _nonceWordSlot(uint256 subaccountSlot, uint256 index) internal pure returns (uint256 slot) {
        uint256 mappingSlot;
        unchecked {
            mappingSlot = subaccountSlot + NONCE_WORDS_OFFSET;
        }
        assembly ("memory-safe") {
            mstore(0, index)
            mstore(0x20, mappingSlot)
            slot := keccak256(0, 0x40)
        }
    }

    function _newContext() internal view returns (Context memory ctx) {
        ctx.markets = new MarketCache[](_registry.marketCount());
        uint256 collaterals = _registry.collateralCount();
        ctx.keeperFees = new uint256[](collaterals);
        ctx.insuranceFees = new uint256[](collaterals);
    }

    /// @dev Market `id` as seen by this transaction, loaded on first use: config, index, mark, and
    /// funding accrued to now. Read it as `ctx.markets[id]` afterwards. It returns nothing on purpose:
    /// a function returning a memory struct allocates and zero-fills one on every call (~700 gas for
    /// a `MarketCache` with its config), and this runs several times a fill.
    function _loadMarketOnce(Context memory ctx, uint256 id) internal view {
        // A liquidation's context starts empty and grows to the markets it meets (a batch's is sized
        // to every listed market up front, which it needs anyway to skip fills in unlisted ones).
        if (id >= ctx.markets.length) _growMarkets(ctx, id + 1);
        MarketCache memory m = ctx.markets[id];
        if (!m.loaded) {
            _loadMarket(m, id);
            ++ctx.marketLoads;
        }
    }

    function _growMarkets(Context memory ctx, uint256 length) private pure {
        MarketCache[] memory grown = new MarketCache[](length);
        MarketCache[] memory current = ctx.markets;
        for (uint256 i; i < current.length; ++i) {
            grown[i] = current[i];
        }
        ctx.markets = grown;
    }

    function _loadMarket(MarketCache memory m, uint256 id) internal view {
        m.id = uint8(id);
        m.loaded = true;
        _readMarketData(m, id);
        MarketState memory st = _marketStates[id];
        (m.index, m.indexFresh) = _readIndex(m.cfg);
        m.premiumEma = st.premiumEma;
        m.openInterest = st.openInterest;
        m.longHolders = st.longHolders;
        m.shortHolders = st.shortHolders;
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

    /// @dev Reads the registry's published market data (`IMarketRegistry.marketData`): after a STOP
    /// byte, `abi.encode(config, unit, insuranceVault)`. The ABI encoding of a static struct is word
    /// for word the memory layout of that struct, so the config is copied straight into `m.cfg`.
    /// ~5k gas cold, against ~20k for `market()`'s nine cold storage reads and its ABI decoding.
    function _readMarketData(MarketCache memory m, uint256 id) private view {
        address data = _registry.marketData(id);
        MarketConfig memory cfg = m.cfg;
        uint256 size;
        uint256 unit;
        address vault;
        assembly ("memory-safe") {
            size := extcodesize(data)
            extcodecopy(data, cfg, 1, MARKET_CONFIG_BYTES)
            extcodecopy(data, 0, add(1, MARKET_CONFIG_BYTES), 0x40) // scratch space
            unit := mload(0)
            vault := mload(0x20)
        }
        if (size != MARKET_DATA_BYTES + 1) revert ClearinghouseMarketDataInvalid(id, data);
        m.unit = unit;
        m.insuranceVault = vault;
    }

    function _readIndex(MarketConfig memory cfg) internal view returns (uint256 price, bool fresh) {
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
    ) internal view returns (int256 equity, uint256 required) {
        equity = balance;
        while (mask != 0) {
            uint256 marketId = Math.log2(mask & (~mask + 1)); // lowest set bit
            mask &= mask - 1;
            bool overridden = marketId == overrideMarket;
            Position p = overridden ? overridePosition : _subaccounts[id].positions[marketId];
            int256 size = p.size();
            if (size == 0) continue;
            _loadMarketOnce(ctx, marketId);
            MarketCache memory m = ctx.markets[marketId];
            (int256 pnl, uint256 requirement) = _positionHealth(m, p, initial);
            equity += pnl;
            if (!overridden) equity -= FundingMath.fundingOwed(size, m.cumulativeFunding, p.fundingSnapshot(), m.unit);
            required += requirement;
        }
    }

    /// @dev One position's part of its account's health at the mark, funding aside: value − basis,
    /// and its initial (`initial`) or maintenance margin.
    function _positionHealth(MarketCache memory m, Position p, bool initial)
        internal
        pure
        returns (int256 pnl, uint256 required)
    {
        int256 size = p.size();
        if (size == 0) return (0, 0);
        (int256 value, uint256 notional) =
            ContractMath.valueAndNotional(_kind(m), m.cfg.multiplier, size, m.mark, m.unit);
        required = FixedPoint.mulRateUp(notional, initial ? m.cfg.imRate : m.cfg.mmRate);
        if (notional < PositionMath.MAX_FILL_VALUE) {
            unchecked {
                return (value - p.basis(), required); // |value| ≤ notional, and the basis is an int96
            }
        }
        return (value - p.basis(), required);
    }

    /// @dev The market's kind without the range check every memory read of an enum pays (~40 gas,
    /// several times a fill): the registry validated the kind before it published the config.
    function _kind(MarketCache memory m) internal pure returns (MarketKind kind) {
        MarketConfig memory cfg = m.cfg;
        assembly ("memory-safe") {
            kind := mload(cfg) // `kind` is the config's first field
        }
    }

    /// @dev An EOA's compact signature is checked with ecrecover alone; anything else (a contract
    /// wallet, an EIP-7702 account, a 65-byte signature) goes through OpenZeppelin's SignatureChecker.
    function _validSignature(address signer, bytes32 digest, OrderCodec.Signature memory sig)
        internal
        view
        returns (bool)
    {
        uint256 offset = sig.offset;
        if (sig.compact) {
            address recovered;
            assembly ("memory-safe") {
                let vs := calldataload(add(offset, 32))
                let s := and(vs, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                // Reject high-s signatures (malleability), as OpenZeppelin's ECDSA does.
                if iszero(gt(s, 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0)) {
                    // ecrecover's input above the free memory pointer (not allocated); the precompile
                    // returns no data for an invalid signature, so the output word is cleared first.
                    let input := mload(0x40)
                    mstore(input, digest)
                    mstore(add(input, 0x20), add(shr(255, vs), 27))
                    mstore(add(input, 0x40), calldataload(offset))
                    mstore(add(input, 0x60), s)
                    mstore(0, 0)
                    pop(staticcall(gas(), 1, input, 0x80, 0, 0x20))
                    recovered := mload(0)
                }
            }
            if (recovered != address(0) && recovered == signer) return true;
            if (signer.code.length == 0) return false;
        }
        bytes memory raw = new bytes(sig.length);
        assembly ("memory-safe") {
            calldatacopy(add(raw, 32), offset, mload(raw))
        }
        return SignatureChecker.isValidSignatureNow(signer, digest, raw);
    }

    /// @dev Is the order with this nonce done (filled whole or cancelled): below the floor, or so
    /// marked in the nonce words.
    function _nonceDone(SubaccountId id, uint64 nonce) internal view returns (bool) {
        SubaccountStorage storage sub = _subaccounts[id];
        if (nonce < sub.account.nonceFloor) return true;
        return _stateIn(sub.nonceWords[nonce / NONCES_PER_WORD], nonce) == NONCE_DONE;
    }

    function _stateIn(uint256 word, uint64 nonce) internal pure returns (uint256) {
        uint256 state;
        unchecked {
            state = (word >> (2 + 2 * (nonce % NONCES_PER_WORD))) & 3;
        }
        return state >= NONCE_DONE ? NONCE_DONE : state; // partial (01) | done (10) reads as done
    }

    /// @dev Nonce n's state is bits 2 + 2·(n % 127) of word n / 127; bits 0–1 mark the word allocated.
    function _setNonceState(SubaccountId id, uint64 nonce, uint256 state) internal {
        SubaccountStorage storage sub = _subaccounts[id];
        uint8 flags = sub.account.flags;
        if (flags & FLAG_NONCE_WORDS == 0) sub.account.flags = flags | FLAG_NONCE_WORDS;
        uint256 index = nonce / NONCES_PER_WORD;
        sub.nonceWords[index] = _withState(sub.nonceWords[index], nonce, state);
    }

    /// @dev States only move forward (fresh → partial → done), so OR-ing the bits is enough.
    function _withState(uint256 word, uint64 nonce, uint256 state) internal pure returns (uint256) {
        unchecked {
            return word | (state << (2 + 2 * (nonce % NONCES_PER_WORD))) | WORD_ALLOCATED;
        }
    }

    function _withMarket(uint256 mask, uint256 marketId, bool open) internal pure returns (uint256) {
        return open ? mask | (1 << marketId) : mask & ~(1 << marketId);
    }

    function _longSize(Position p) internal pure returns (uint256) {
        int256 size = p.size();
        return size > 0 ? uint256(size) : 0;
    }

    /// @dev Keeps the per-side holder counts exact as a position moves from `before` to `after`.
    function _countHolders(MarketCache memory m, Position before, Position after_) internal pure {
        int256 a = before.size();
        int256 b = after_.size();
        // Most fills keep the side: two comparisons and nothing written. A count only falls for a
        // holder it counted, and no count reaches 2^256.
        unchecked {
            if ((a > 0) != (b > 0)) m.longHolders = b > 0 ? m.longHolders + 1 : m.longHolders - 1;
            if ((a < 0) != (b < 0)) m.shortHolders = b < 0 ? m.shortHolders + 1 : m.shortHolders - 1;
        }
    }

    /// @dev Writes a market's funding, mark, open interest and holder counts.
    function _writeMarket(MarketCache memory m) internal {
        _marketStates[m.id] = MarketState({
            cumulativeFunding: int128(m.cumulativeFunding),
            premiumEma: int64(m.premiumEma),
            lastAccrual: uint64(block.timestamp),
            lastMark: uint128(m.mark),
            openInterest: uint64(m.openInterest),
            longHolders: uint32(m.longHolders),
            shortHolders: uint32(m.shortHolders)
        });
        emit MarketUpdated(m.id, m.index, m.mark, m.premiumEma, m.cumulativeFunding, m.openInterest);
    }

    /// @dev The subaccount that holds a collateral's insurance vault money and backstop positions.
    function _insuranceAccount(uint256 collateral) internal view returns (SubaccountId, address vault) {
        vault = _registry.collateral(collateral).insuranceVault;
        return (_insuranceSubaccount(vault, collateral), vault);
    }

    function _insuranceSubaccount(address vault, uint256 collateral) internal pure returns (SubaccountId) {
        return SubaccountIdLib.from(vault, uint8(collateral), 0);
    }

    function _credit(SubaccountId id, int256 amount) internal {
        Account storage a = _subaccounts[id].account;
        a.balance = SafeCast.toInt120(int256(a.balance) + amount);
    }
}
