// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "../utils/Test.sol";
import {LucentFixture} from "../utils/LucentFixture.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {MedianOracle} from "../../../contracts/oracles/MedianOracle.sol";
import {IClearinghouse} from "../../../contracts/interfaces/IClearinghouse.sol";
import {IClearinghouseEvents} from "../../../contracts/interfaces/IClearinghouseEvents.sol";
import {Clearinghouse} from "../../../contracts/core/Clearinghouse.sol";
import {MarketRegistry} from "../../../contracts/core/MarketRegistry.sol";
import {Order, OrderFlags, SkipReason} from "../../../contracts/types/Order.sol";
import {SubaccountId, SubaccountIdLib} from "../../../contracts/types/Ids.sol";
import {MarketConfig} from "../../../contracts/types/Market.sol";
import {ContractMath} from "../../../contracts/libraries/ContractMath.sol";
import {FixedPoint} from "../../../contracts/libraries/FixedPoint.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {SettledFills} from "../utils/SettledFills.sol";

/// @title LucentHandler
/// @notice Drives the devnet system (LucentFixture) with bounded random actions for the invariant
/// suite, and keeps an independent model of what the contract must have done:
/// - money: Σ deposits − Σ withdrawals per collateral;
/// - orders: every order it signed, its filled size, cancellations, nonce use and nonce floors;
/// - positions: the size of every subaccount in every market, changed only by fills the handler
///   submitted, that both traders signed, that it predicted valid and that the contract reported
///   settled (FillSettled) — INV-8;
/// - batches: how many it settled (INV-7).
/// For every fill it predicts the outcome from the order terms and the model (mirroring the order of
/// the contract's checks) and records a violation if the contract settles a fill that must be
/// skipped, skips it for a different reason, or skips a valid fill for anything but margin/staleness.
/// @dev The invariant runner ignores reverting calls (failOnRevert = false), so nothing here asserts:
/// a failed expectation is recorded with `_violate` and the invariant functions assert on the counts.
contract LucentHandler is LucentFixture {
    // ---------------------------------------------------------------- configuration
    uint256 public constant N_ACTORS = 4;
    uint256 public constant N_SUBS = 2; // subaccount indices 0 and 1 of each collateral
    uint256 public constant N_MARKETS = 3;
    uint256 internal constant MAX_ORDERS = 240;
    uint256 internal constant DAVE_PK = 0xDA7E;

    /// Fill kinds (seed % 32): 0–21 valid, then one deliberate defect each; 29–31 reduce-only takers,
    /// mostly sized to reduce (valid) and sometimes not (ReduceOnlyViolated).
    uint256 internal constant K_BAD_SIG = 22;
    uint256 internal constant K_EXPIRED = 23;
    uint256 internal constant K_OVERFILL = 24;
    uint256 internal constant K_KEEPER = 25;
    uint256 internal constant K_LIMIT = 26;
    uint256 internal constant K_SELF_TRADE = 27;
    uint256 internal constant K_FLAGS = 28;
    uint256 internal constant K_REDUCE_ONLY = 29;

    /// Violation categories, one per invariant that asserts them.
    uint256 public constant V_INV1 = 1;
    uint256 public constant V_INV7 = 7;
    uint256 public constant V_INV8 = 8;
    uint256 public constant V_INV9 = 9;

    // ---------------------------------------------------------------- records
    struct OrderRec {
        Order o;
        bytes32 hash;
        SubaccountId sub;
        bytes32 r;
        bytes32 vs;
        bool sigValid;
        uint64 filled; // model: Σ size of the settled fills of this order
        bool cancelledByHash;
    }

    struct FillRec {
        uint64 size;
        uint256 maker; // index into _orders
        uint256 taker;
    }

    /// @dev What the model expects of one fill.
    struct Expectation {
        SkipReason reason; // None: valid, may still fail margin (or staleness, when allowed)
        bool makerAtFault;
        bool staleAllowed;
    }

    bool private _initialized;
    address public dave;
    address[N_ACTORS] internal _actors;
    uint256[N_ACTORS] internal _pks;
    SubaccountId[] internal _subs; // every tracked subaccount: actors' and the keeper's

    OrderRec[] internal _orders;
    FillRec[] internal _lastFills;
    bytes internal _lastData;
    uint64 internal _lastIndex;
    bool internal _hasLastBatch;

    mapping(SubaccountId => mapping(uint256 market => int256)) internal _modelSize;
    mapping(SubaccountId => mapping(uint64 nonce => bool)) internal _modelNonceUsed;
    mapping(SubaccountId => uint64) internal _modelFloor;
    mapping(SubaccountId => uint64) internal _nextNonce;

    uint256 public currentTime;
    uint256[2] internal _indexPrice; // per oracle: 0 = BTC/USD, 1 = ETH/USD
    uint256[2] internal _lastReport;

    // ---------------------------------------------------------------- ghosts
    int256[2] internal _netDeposits; // per collateral: Σ deposits − Σ withdrawals
    uint256 public batchesSettled;
    uint256[2] internal _fillsSettledIn; // per collateral
    uint256 public fillsSettled;
    uint256 public fillsSkipped;
    uint256 public invalidFillsSubmitted;
    uint256 public replaysSubmitted;

    mapping(uint256 category => uint256) public violationCount;
    mapping(uint256 category => string) public violationReason;
    mapping(bytes4 action => uint256) public actionCount;
    mapping(SkipReason reason => uint256) public skipsByReason;

    // ================================================================ setup

    /// @dev The fixture is deployed by the invariant test (so that the system's creation code is not
    /// part of this contract, which must stay under the code size limit to be a fuzz target).
    function setUp() public pure override {
        revert("LucentHandler: use init");
    }

    /// @dev Adopts a deployed fixture, funds a fourth actor and snapshots the ghosts. Callable once.
    function init(
        Clearinghouse clearinghouse_,
        MarketRegistry registry_,
        MockERC20 usd_,
        MockERC20 xbt_,
        MedianOracle btcOracle_,
        MedianOracle ethOracle_,
        address[3] memory reporters_,
        address keeper_
    ) external {
        require(!_initialized, "initialized");
        _initialized = true;
        clearinghouse = clearinghouse_;
        registry = registry_;
        usd = usd_;
        xbt = xbt_;
        btcOracle = btcOracle_;
        ethOracle = ethOracle_;
        reporters = reporters_;
        keeper = keeper_;
        alice = vm.addr(ALICE_PK);
        bob = vm.addr(BOB_PK);
        carol = vm.addr(CAROL_PK);
        dave = vm.addr(DAVE_PK);
        _fund(dave, 1_000_000e6, 100e8);
        _actors = [alice, bob, carol, dave];
        _pks = [ALICE_PK, BOB_PK, CAROL_PK, DAVE_PK];
        // Every actor starts with a quarter of its money in subaccount 1 (isolated margin).
        for (uint256 a; a < N_ACTORS; ++a) {
            vm.startPrank(_actors[a]);
            clearinghouse.transfer(USD, 0, 1, 250_000e6);
            clearinghouse.transfer(XBT, 0, 1, 25e8);
            vm.stopPrank();
        }
        for (uint256 a; a < N_ACTORS; ++a) {
            for (uint8 c; c < 2; ++c) {
                for (uint8 s; s < N_SUBS; ++s) {
                    _subs.push(SubaccountIdLib.from(_actors[a], c, s));
                }
            }
        }
        _subs.push(SubaccountIdLib.from(keeper, USD, 0));
        _subs.push(SubaccountIdLib.from(keeper, XBT, 0));
        _netDeposits[USD] = int256(usd.balanceOf(address(clearinghouse)));
        _netDeposits[XBT] = int256(xbt.balanceOf(address(clearinghouse)));
        currentTime = block.timestamp;
        _indexPrice = [BTC_PRICE, ETH_PRICE];
        _lastReport = [block.timestamp, block.timestamp];
    }

    /// @dev The selectors the invariant runner may call.
    function actions() external pure returns (bytes4[] memory s) {
        s = new bytes4[](13);
        s[0] = this.deposit.selector;
        s[1] = this.withdraw.selector;
        s[2] = this.transfer.selector;
        s[3] = this.settleFills.selector;
        s[4] = this.settleFillsAgain.selector;
        s[5] = this.fillStoredOrder.selector;
        s[6] = this.resubmitLastBatch.selector;
        s[7] = this.cancelOrder.selector;
        s[8] = this.cancelNonce.selector;
        s[9] = this.raiseNonceFloor.selector;
        s[10] = this.moveIndex.selector;
        s[11] = this.warp.selector;
        s[12] = this.settleFillsMore.selector;
    }

    // ================================================================ actions: money

    function deposit(uint256 actorSeed, uint256 collSeed, uint256 subSeed, uint256 amountSeed) external {
        _begin(this.deposit.selector);
        (address who, uint8 c, uint8 s) = _pick(actorSeed, collSeed, subSeed);
        uint256 amount = bound(amountSeed, 1, c == USD ? 100_000e6 : 10e8);
        MockERC20 token = c == USD ? usd : xbt;
        token.mint(who, amount);
        vm.prank(who);
        try clearinghouse.deposit(c, s, amount) {
            _netDeposits[c] += int256(amount);
        } catch {
            _violate(V_INV9, "deposit reverted");
        }
    }

    /// @dev Withdraws within the reported withdrawable amount (must succeed) or beyond it (must revert).
    function withdraw(uint256 actorSeed, uint256 collSeed, uint256 subSeed, uint256 amountSeed, bool beyond) external {
        _begin(this.withdraw.selector);
        (address who, uint8 c, uint8 s) = _pick(actorSeed, collSeed, subSeed);
        SubaccountId id = SubaccountIdLib.from(who, c, s);
        (,,, uint256 free) = clearinghouse.accountHealth(id);
        MockERC20 token = c == USD ? usd : xbt;
        uint256 before = token.balanceOf(who);
        if (beyond || free == 0) {
            uint256 amount = free + bound(amountSeed, 1, 1e12);
            vm.prank(who);
            try clearinghouse.withdraw(c, s, amount, who) {
                _netDeposits[c] -= int256(amount);
                _violate(V_INV1, "withdrew more than the free collateral");
            } catch {}
        } else {
            uint256 amount = bound(amountSeed, 1, free);
            vm.prank(who);
            try clearinghouse.withdraw(c, s, amount, who) {
                _netDeposits[c] -= int256(amount);
                if (token.balanceOf(who) != before + amount) _violate(V_INV1, "withdrawal paid a different amount");
            } catch {
                _violate(V_INV9, "withdrawal of free collateral reverted");
            }
        }
    }

    /// @dev Moves collateral between an actor's two subaccounts, within or beyond its free collateral.
    function transfer(uint256 actorSeed, uint256 collSeed, uint256 subSeed, uint256 amountSeed, bool beyond) external {
        _begin(this.transfer.selector);
        (address who, uint8 c, uint8 s) = _pick(actorSeed, collSeed, subSeed);
        (,,, uint256 free) = clearinghouse.accountHealth(SubaccountIdLib.from(who, c, s));
        uint8 to = 1 - s;
        if (beyond || free == 0) {
            vm.prank(who);
            try clearinghouse.transfer(c, s, to, free + bound(amountSeed, 1, 1e12)) {
                _violate(V_INV1, "transferred more than the free collateral");
            } catch {}
        } else {
            vm.prank(who);
            try clearinghouse.transfer(c, s, to, bound(amountSeed, 1, free)) {}
            catch {
                _violate(V_INV9, "transfer of free collateral reverted");
            }
        }
    }

    // ================================================================ actions: fills

    /// @dev A batch of 1–4 new fills between random actors: valid ones, and deliberately invalid ones
    /// (bad signature, expired, over-fill, wrong keeper, limit violated, self-trade, bad flags,
    /// reduce-only).
    function settleFills(uint256 seed, uint8 count) external {
        _begin(this.settleFills.selector);
        _settleNewFills(seed, count);
    }

    /// @dev The same as `settleFills`, so that fills make up a larger share of the calls.
    function settleFillsAgain(uint256 seed, uint8 count) external {
        _begin(this.settleFillsAgain.selector);
        _settleNewFills(seed, count);
    }

    /// @dev The same as `settleFills`.
    function settleFillsMore(uint256 seed, uint8 count) external {
        _begin(this.settleFillsMore.selector);
        _settleNewFills(seed, count);
    }

    /// @dev A stored order (partially filled, filled, cancelled or expired: any) meets a fresh counter
    /// order: continues partial fills and replays finished orders.
    function fillStoredOrder(uint256 orderSeed, uint256 seed, bool asMaker, bool overRemaining) external {
        _begin(this.fillStoredOrder.selector);
        if (_orders.length == 0 || _orders.length + 1 > MAX_ORDERS) return;
        uint256 idx = orderSeed % _orders.length;
        Order memory stored = _orders[idx].o;
        uint64 remaining = _orders[idx].filled >= stored.size ? 0 : stored.size - _orders[idx].filled;
        uint64 size = overRemaining || remaining == 0
            ? uint64(bound(seed, uint256(remaining) + 1, uint256(remaining) + 10))
            : uint64(bound(seed, 1, remaining));
        // A counterparty that is not the same subaccount.
        uint256 a = (seed >> 64) % N_ACTORS;
        uint8 sub = uint8((seed >> 72) % N_SUBS);
        if (_actors[a] == stored.trader && sub == stored.subaccount) sub = 1 - sub;
        uint128 limit = stored.limitPrice;
        if (asMaker) {
            // A fresh taker crossing the stored maker's price by 0–3 ticks.
            uint128 k = _tick(stored.market) * uint128((seed >> 80) % 4);
            if (!stored.isBuy) limit += k;
            else if (limit > k) limit -= k;
        }
        // Otherwise a fresh maker quoting exactly the stored taker's limit.
        uint256 fresh = _newOrder(a, sub, stored.market, !stored.isBuy, size, limit, 0, uint40(FAR_EXPIRY), address(0), seed);
        if (!asMaker) {
            // Fresh maker at the stored taker's limit: a crossing price.
            FillRec[] memory one = new FillRec[](1);
            one[0] = FillRec(size, fresh, idx);
            _submit(one);
        } else {
            FillRec[] memory one = new FillRec[](1);
            one[0] = FillRec(size, idx, fresh);
            _submit(one);
        }
        ++replaysSubmitted;
    }

    /// @dev Posts the previous batch again: with its old index it must revert (INV-7); with the next
    /// index its fills run again against the updated state (fully filled orders must not fill twice).
    function resubmitLastBatch(bool sameIndex) external {
        _begin(this.resubmitLastBatch.selector);
        if (!_hasLastBatch) return;
        if (sameIndex) {
            vm.prank(keeper);
            try clearinghouse.settleBatch(_lastIndex, _lastData) {
                ++batchesSettled;
                _violate(V_INV7, "a batch index was accepted twice");
            } catch {}
            return;
        }
        FillRec[] memory fills = _lastFills;
        _submit(fills);
    }

    // ================================================================ actions: orders

    /// @dev The trader cancels a stored order by hash; or a stranger tries to, which must revert.
    function cancelOrder(uint256 orderSeed, bool byStranger) external {
        _begin(this.cancelOrder.selector);
        if (_orders.length == 0) return;
        uint256 idx = orderSeed % _orders.length;
        OrderRec storage rec = _orders[idx];
        Order[] memory orders = new Order[](1);
        orders[0] = rec.o;
        address who = rec.o.trader;
        if (byStranger) {
            for (uint256 a; a < N_ACTORS; ++a) {
                if (_actors[a] != who) {
                    who = _actors[a];
                    break;
                }
            }
        }
        vm.prank(who);
        try clearinghouse.cancelOrders(orders) {
            if (who != rec.o.trader) _violate(V_INV9, "a stranger cancelled someone's order");
            rec.cancelledByHash = true;
        } catch {
            if (who == rec.o.trader) _violate(V_INV9, "cancelOrders reverted");
        }
    }

    /// @dev The trader cancels the nonce of a stored order, or a nonce it has not used yet.
    function cancelNonce(uint256 orderSeed, bool future, uint256 ahead) external {
        _begin(this.cancelNonce.selector);
        if (_orders.length == 0) return;
        OrderRec storage rec = _orders[orderSeed % _orders.length];
        uint64 nonce = future ? _nextNonce[rec.sub] + uint64(bound(ahead, 0, 3)) : rec.o.nonce;
        uint64[] memory nonces = new uint64[](1);
        nonces[0] = nonce;
        vm.prank(rec.o.trader);
        try clearinghouse.cancelNonces(rec.sub.collateral(), rec.o.subaccount, nonces) {
            _modelNonceUsed[rec.sub][nonce] = true;
        } catch {
            _violate(V_INV9, "cancelNonces reverted");
        }
    }

    /// @dev Raises a subaccount's nonce floor (must succeed), or tries to lower it (must revert).
    function raiseNonceFloor(uint256 actorSeed, uint256 collSeed, uint256 subSeed, uint256 floorSeed, bool lower)
        external
    {
        _begin(this.raiseNonceFloor.selector);
        (address who, uint8 c, uint8 s) = _pick(actorSeed, collSeed, subSeed);
        SubaccountId id = SubaccountIdLib.from(who, c, s);
        uint64 floor = _modelFloor[id];
        if (lower) {
            vm.prank(who);
            try clearinghouse.raiseNonceFloor(c, s, uint64(bound(floorSeed, 0, floor))) {
                _violate(V_INV7, "nonce floor lowered or kept");
            } catch {}
            return;
        }
        uint256 highest = uint256(_nextNonce[id]) + 3;
        if (highest <= floor) highest = uint256(floor) + 1;
        uint64 newFloor = uint64(bound(floorSeed, uint256(floor) + 1, highest));
        vm.prank(who);
        try clearinghouse.raiseNonceFloor(c, s, newFloor) {
            _modelFloor[id] = newFloor;
            // Half the time the trader moves on to nonces above the floor.
            if (floorSeed & 1 == 0 && _nextNonce[id] < newFloor) _nextNonce[id] = newFloor;
        } catch {
            _violate(V_INV9, "raiseNonceFloor reverted");
        }
    }

    // ================================================================ actions: prices and time

    /// @dev The reporters move one index by up to ±3% (kept within 0.5×–2× of the start).
    function moveIndex(uint256 oracleSeed, uint256 bpsSeed) external {
        _begin(this.moveIndex.selector);
        uint256 o = oracleSeed % 2;
        int256 bps = boundInt(int256(bpsSeed), -300, 300);
        uint256 price = _indexPrice[o] * uint256(10_000 + bps) / 10_000;
        uint256 initial = o == 0 ? BTC_PRICE : ETH_PRICE;
        if (price < initial / 2) price = initial / 2;
        if (price > initial * 2) price = initial * 2;
        _indexPrice[o] = price;
        _report(o == 0 ? btcOracle : ethOracle, price);
        _lastReport[o] = block.timestamp;
    }

    /// @dev Time passes (funding accrues); the reporters refresh the index or the index goes stale.
    function warp(uint256 dtSeed, bool refresh) external {
        _begin(this.warp.selector);
        currentTime += bound(dtSeed, 1, 3 hours);
        vm.warp(currentTime);
        if (refresh) {
            _report(btcOracle, _indexPrice[0]);
            _report(ethOracle, _indexPrice[1]);
            _lastReport = [currentTime, currentTime];
        }
    }

    // ================================================================ building fills

    function _settleNewFills(uint256 seed, uint8 count) internal {
        uint256 n = bound(count, 1, 4);
        if (_orders.length + 2 * n > MAX_ORDERS) return;
        FillRec[] memory fills = new FillRec[](n);
        for (uint256 i; i < n; ++i) {
            fills[i] = _buildFill(uint256(keccak256(abi.encode(seed, i))));
        }
        _submit(fills);
    }

    /// @dev One new fill. `seed` bits choose the kind, actors, market, side, size and price.
    function _buildFill(uint256 seed) internal returns (FillRec memory f) {
        uint256 kind = seed % 32; // below K_BAD_SIG: valid; then one defect each (reduce-only: either)
        uint256 ma = (seed >> 8) % N_ACTORS;
        uint256 ta = (seed >> 16) % N_ACTORS;
        uint8 ms = uint8((seed >> 24) % N_SUBS);
        uint8 ts = uint8((seed >> 25) % N_SUBS);
        if (kind == K_SELF_TRADE) (ta, ts) = (ma, ms); // self-trade
        else if (ma == ta && ms == ts) ts = 1 - ms;
        uint8 market = uint8((seed >> 32) % N_MARKETS);
        bool makerBuy = (seed >> 40) & 1 == 1;

        uint64 size = uint64(bound(seed >> 48, 1, _maxSize(market)));
        if ((seed >> 112) % 10 == 0) size *= 1000; // beyond the margin of most accounts
        if (kind >= K_REDUCE_ONLY) {
            // Reduce-only taker: mostly sized and sided to reduce its current position.
            int256 pos = _modelSize[SubaccountIdLib.from(_actors[ta], _collateralOf(market), ts)][market];
            if (pos != 0 && (seed >> 216) % 4 != 0) {
                makerBuy = pos > 0; // the taker sells a long / buys back a short
                size = uint64(bound(seed >> 48, 1, FixedPoint.abs(pos)));
            }
        }
        uint128 tick = _tick(market);
        uint128 price = _priceNear(market, seed >> 128);

        uint64 makerSize = size + uint64(bound(seed >> 160, 0, size));
        uint64 takerSize = size + uint64(bound(seed >> 176, 0, (seed >> 175) & 1 == 0 ? 0 : size));
        if (kind == K_OVERFILL) {
            // Over-fill: the fill is larger than one of the orders.
            if (size == 1) size = 2;
            if ((seed >> 192) & 1 == 0) makerSize = size - 1;
            else takerSize = size - 1;
        }
        uint128 takerLimit = makerBuy ? price - (price > 4 * tick ? tick * uint128((seed >> 194) % 4) : 0)
            : price + tick * uint128((seed >> 194) % 4);
        if (kind == K_LIMIT) takerLimit = makerBuy ? price + tick : price - tick; // limit violated
        uint8 makerFlags = (seed >> 200) & 1 == 1 ? OrderFlags.POST_ONLY : 0;
        uint8 takerFlags = (seed >> 201) % 4 == 0 ? OrderFlags.IOC : 0;
        if (kind == K_FLAGS) {
            // Invalid flags: IOC maker, post-only taker, or an unknown bit.
            uint256 which = (seed >> 202) % 3;
            if (which == 0) makerFlags = OrderFlags.IOC;
            else if (which == 1) takerFlags = OrderFlags.POST_ONLY;
            else takerFlags = 8;
        }
        if (kind >= K_REDUCE_ONLY) takerFlags |= OrderFlags.REDUCE_ONLY;
        uint40 makerExpiry = uint40(FAR_EXPIRY);
        uint40 takerExpiry = (seed >> 204) % 4 == 0 ? uint40(block.timestamp + bound(seed >> 206, 0, 6 hours)) : uint40(FAR_EXPIRY);
        if (kind == K_EXPIRED) {
            if ((seed >> 210) & 1 == 0) makerExpiry = uint40(block.timestamp - 1);
            else takerExpiry = uint40(block.timestamp - 1);
        }
        address makerKeeper = (seed >> 211) % 4 == 0 ? keeper : address(0);
        address takerKeeper = address(0);
        if (kind == K_KEEPER) {
            if ((seed >> 213) & 1 == 0) makerKeeper = address(0xBEEF);
            else takerKeeper = address(0xBEEF);
        }

        f.size = size;
        f.maker = _newOrder(ma, ms, market, makerBuy, makerSize, price, makerFlags, makerExpiry, makerKeeper, seed);
        f.taker =
            _newOrder(ta, ts, market, !makerBuy, takerSize, takerLimit, takerFlags, takerExpiry, takerKeeper, seed >> 1);
        if (kind == K_BAD_SIG) {
            // Bad signature: one side signed by someone else's key.
            OrderRec storage victim = (seed >> 214) & 1 == 0 ? _orders[f.maker] : _orders[f.taker];
            uint256 wrongPk = _pks[(_actorIndex(victim.o.trader) + 1) % N_ACTORS];
            (victim.r, victim.vs) = _signCompact(victim.o, wrongPk);
            victim.sigValid = false;
        }
        if (kind >= K_BAD_SIG && kind < K_REDUCE_ONLY) ++invalidFillsSubmitted;
    }

    function _newOrder(
        uint256 actorIdx,
        uint8 sub,
        uint8 market,
        bool isBuy,
        uint64 size,
        uint128 limit,
        uint8 flags,
        uint40 expiry,
        address keeperField,
        uint256 seed
    ) internal returns (uint256 idx) {
        SubaccountId id = SubaccountIdLib.from(_actors[actorIdx], _collateralOf(market), sub);
        Order memory o;
        o.trader = _actors[actorIdx];
        o.subaccount = sub;
        o.market = market;
        o.isBuy = isBuy;
        o.size = size;
        o.limitPrice = limit;
        o.flags = flags;
        o.nonce = _nextNonce[id];
        o.expiry = expiry;
        o.keeper = keeperField;
        // Spread nonces so that bitmap words beyond the first are used too.
        _nextNonce[id] = o.nonce + 1 + uint64(seed % 23);
        (bytes32 r, bytes32 vs) = _signCompact(o, _pks[actorIdx]);
        idx = _orders.length;
        _orders.push(OrderRec(o, clearinghouse.hashOrder(o), id, r, vs, true, 0, false));
    }

    function _encodeFills(FillRec[] memory fills) internal view returns (bytes memory data) {
        for (uint256 i; i < fills.length; ++i) {
            OrderRec storage m = _orders[fills[i].maker];
            OrderRec storage t = _orders[fills[i].taker];
            data = bytes.concat(
                data,
                abi.encodePacked(
                    fills[i].size, _encodeOrderFields(m.o, 0), m.r, m.vs, _encodeOrderFields(t.o, 0), t.r, t.vs
                )
            );
        }
    }

    // ================================================================ settling and checking

    /// @dev Posts `fills` as one batch with the keeper's next index, then matches every fill to its
    /// event (a FillSkipped naming its index, or the next record of the batch's FillsSettled), checks
    /// it against the model's expectation and applies the settled ones to the model.
    function _submit(FillRec[] memory fills) internal {
        bytes memory data = _encodeFills(fills);
        uint64 index = clearinghouse.nextBatchIndex(keeper);
        vm.recordLogs();
        vm.prank(keeper);
        try clearinghouse.settleBatch(index, data) {
            ++batchesSettled;
        } catch (bytes memory err) {
            vm.getRecordedLogs();
            _violate(V_INV8, string.concat("settleBatch reverted: ", _hex4(err)));
            return;
        }
        Vm.Log[] memory logs = vm.getRecordedLogs();
        Vm.Log[] memory skips = new Vm.Log[](fills.length);
        bool[] memory skipped = new bool[](fills.length);
        bytes memory records;
        bool logged;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(clearinghouse)) continue;
            bytes32 topic = logs[i].topics[0];
            if (topic == IClearinghouseEvents.FillSkipped.selector) {
                (uint256 fillIndex,) = abi.decode(logs[i].data, (uint256, SkipReason));
                if (fillIndex >= fills.length || skipped[fillIndex]) {
                    _violate(V_INV8, "FillSkipped index out of range or repeated");
                    continue;
                }
                (skipped[fillIndex], skips[fillIndex]) = (true, logs[i]);
            } else if (topic == IClearinghouseEvents.FillsSettled.selector) {
                if (logged) _violate(V_INV7, "two FillsSettled in one batch");
                if (logs[i].topics[1] != bytes32(uint256(uint160(keeper))) || logs[i].topics[2] != bytes32(uint256(index))) {
                    _violate(V_INV8, "FillsSettled names another batch");
                }
                (records, logged) = (abi.decode(logs[i].data, (bytes)), true);
            }
        }
        uint256 settledCount = SettledFills.count(records);
        if (logged && settledCount == 0) _violate(V_INV8, "FillsSettled without fills");
        uint256 next;
        for (uint256 fi; fi < fills.length; ++fi) {
            if (skipped[fi]) {
                _checkSkipped(fills[fi], skips[fi]);
            } else if (next < settledCount) {
                _checkSettled(fills[fi], SettledFills.at(records, next++));
            } else {
                _violate(V_INV7, "a fill was neither settled nor skipped");
                break;
            }
        }
        if (next != settledCount) _violate(V_INV7, "more settled fills than fills");
        // An IOC taker left partially filled by this batch has its remainder cancelled at its end.
        for (uint256 i; i < fills.length; ++i) {
            OrderRec storage t = _orders[fills[i].taker];
            if (t.o.flags & OrderFlags.IOC != 0 && t.filled != 0 && t.filled < t.o.size) {
                _modelNonceUsed[t.sub][t.o.nonce] = true;
            }
        }
        delete _lastFills;
        for (uint256 i; i < fills.length; ++i) {
            _lastFills.push(fills[i]);
        }
        _lastData = data;
        _lastIndex = index;
        _hasLastBatch = true;
    }

    function _checkSkipped(FillRec memory f, Vm.Log memory log) internal {
        OrderRec storage m = _orders[f.maker];
        OrderRec storage t = _orders[f.taker];
        Expectation memory e = _expect(f);
        ++fillsSkipped;
        (, SkipReason reason) = abi.decode(log.data, (uint256, SkipReason));
        ++skipsByReason[reason];
        if (e.reason != SkipReason.None) {
            if (reason != e.reason) {
                _violate(
                    V_INV8,
                    string.concat("skip reason ", _dec(uint256(reason)), " expected ", _dec(uint256(e.reason)))
                );
            }
            if (log.topics[1] != (e.makerAtFault ? m.hash : t.hash)) _violate(V_INV8, "order at fault");
        } else if (
            reason != SkipReason.InsufficientMargin && !(reason == SkipReason.StaleIndex && e.staleAllowed)
        ) {
            _violate(V_INV8, string.concat("valid fill skipped: reason ", _dec(uint256(reason))));
        }
    }

    function _checkSettled(FillRec memory f, SettledFills.Record memory r) internal {
        OrderRec storage m = _orders[f.maker];
        OrderRec storage t = _orders[f.taker];
        Expectation memory e = _expect(f);
        ++fillsSettled;
        if (e.reason != SkipReason.None) {
            _violate(V_INV8, string.concat("settled a fill that must be skipped: ", _dec(uint256(e.reason))));
            return; // the model does not follow a fill it cannot consent to
        }
        (uint256 trade, uint256 fees) = (r.trade, r.fees);
        if (
            !r.maker.eq(m.sub) || !r.taker.eq(t.sub) || r.makerOrderHash != m.hash || r.takerOrderHash != t.hash
        ) _violate(V_INV8, "FillsSettled names other orders");
        uint256 expectedTrade = (uint256(m.o.market) << 248) | (uint256(f.size) << 184)
            | (uint256(m.o.limitPrice) << 56) | (t.o.isBuy ? 1 : 0);
        if (trade != expectedTrade) _violate(V_INV8, "FillSettled trade: size/price is not the maker's limit");
        (MarketConfig memory cfg, uint256 unit) = registry.market(m.o.market);
        uint256 value = ContractMath.notional(cfg.kind, cfg.multiplier, int256(uint256(f.size)), m.o.limitPrice, unit);
        uint256 expectedFees =
            (FixedPoint.mulRateUp(value, cfg.makerFeeRate) << 128) | FixedPoint.mulRateUp(value, cfg.takerFeeRate);
        if (fees != expectedFees) _violate(V_INV8, "fees");

        // Apply to the model.
        int256 delta = int256(uint256(f.size));
        _modelSize[m.sub][m.o.market] += m.o.isBuy ? delta : -delta;
        _modelSize[t.sub][t.o.market] += t.o.isBuy ? delta : -delta;
        _fill(m, f.size);
        _fill(t, f.size);
        ++_fillsSettledIn[_collateralOf(m.o.market)];
    }

    function _fill(OrderRec storage r, uint64 size) internal {
        r.filled += size;
        if (r.filled > r.o.size) _violate(V_INV7, "an order filled beyond its size");
        if (r.filled != r.o.size) return;
        _modelNonceUsed[r.sub][r.o.nonce] = true;
        // Filled whole at the floor: the contract records it by raising the floor past it.
        if (r.o.nonce == _modelFloor[r.sub] && r.o.nonce != type(uint64).max) _modelFloor[r.sub] = r.o.nonce + 1;
    }

    /// @dev The model's prediction, in the contract's order of checks: terms, signatures, order state,
    /// reduce-only; then margin (not predicted) and staleness (allowed only if it applies).
    function _expect(FillRec memory f) internal view returns (Expectation memory e) {
        OrderRec storage m = _orders[f.maker];
        OrderRec storage t = _orders[f.taker];
        (e.reason, e.makerAtFault) = _termsReason(m.o, t.o, f.size);
        if (e.reason != SkipReason.None) return e;
        if (!m.sigValid) return Expectation(SkipReason.BadSignature, true, false);
        if (!t.sigValid) return Expectation(SkipReason.BadSignature, false, false);
        e.reason = _stateReason(m, f.size);
        if (e.reason != SkipReason.None) {
            e.makerAtFault = true;
            return e;
        }
        e.reason = _stateReason(t, f.size);
        if (e.reason != SkipReason.None) return e;
        int256 delta = int256(uint256(f.size));
        int256 makerPos = _modelSize[m.sub][m.o.market];
        int256 takerPos = _modelSize[t.sub][t.o.market];
        int256 makerDelta = m.o.isBuy ? delta : -delta;
        int256 takerDelta = -makerDelta;
        if (_reduceOnlyViolated(m.o.flags, makerPos, makerDelta)) {
            return Expectation(SkipReason.ReduceOnlyViolated, true, false);
        }
        if (_reduceOnlyViolated(t.o.flags, takerPos, takerDelta)) {
            return Expectation(SkipReason.ReduceOnlyViolated, false, false);
        }
        uint256 o = _oracleOf(m.o.market);
        bool stale = block.timestamp - _lastReport[o] > 2 minutes;
        e.staleAllowed = stale
            && (
                PositionMath.increasesRisk(makerPos, makerPos + makerDelta)
                    || PositionMath.increasesRisk(takerPos, takerPos + takerDelta)
            );
    }

    /// @dev Mirror of Clearinghouse._checkTerms for the markets the handler trades.
    function _termsReason(Order memory maker, Order memory taker, uint64 size) internal view returns (SkipReason, bool) {
        if (taker.market != maker.market) return (SkipReason.MarketMismatch, false);
        if (taker.isBuy == maker.isBuy) return (SkipReason.SameSide, false);
        if (maker.flags & OrderFlags.IOC != 0 || maker.flags > OrderFlags.ALL) return (SkipReason.InvalidFlags, true);
        if (taker.flags & OrderFlags.POST_ONLY != 0 || taker.flags > OrderFlags.ALL) {
            return (SkipReason.InvalidFlags, false);
        }
        if (maker.keeper != address(0) && maker.keeper != keeper) return (SkipReason.KeeperNotAllowed, true);
        if (taker.keeper != address(0) && taker.keeper != keeper) return (SkipReason.KeeperNotAllowed, false);
        if (maker.expiry < block.timestamp) return (SkipReason.Expired, true);
        if (taker.expiry < block.timestamp) return (SkipReason.Expired, false);
        if (size == 0) return (SkipReason.TickOrLot, false);
        if (maker.limitPrice == 0 || maker.limitPrice % _tick(maker.market) != 0) return (SkipReason.TickOrLot, true);
        if (taker.isBuy ? taker.limitPrice < maker.limitPrice : taker.limitPrice > maker.limitPrice) {
            return (SkipReason.LimitViolated, false);
        }
        if (maker.trader == taker.trader && maker.subaccount == taker.subaccount) return (SkipReason.SelfTrade, false);
        return (SkipReason.None, false);
    }

    function _stateReason(OrderRec storage r, uint64 size) internal view returns (SkipReason) {
        if (r.o.nonce < _modelFloor[r.sub]) return SkipReason.Cancelled;
        if (_modelNonceUsed[r.sub][r.o.nonce]) return SkipReason.Cancelled;
        if (r.cancelledByHash) return SkipReason.Cancelled;
        if (uint256(r.filled) + size > r.o.size) return SkipReason.Overfilled;
        return SkipReason.None;
    }

    function _reduceOnlyViolated(uint8 flags, int256 pos, int256 delta) internal pure returns (bool) {
        if (flags & OrderFlags.REDUCE_ONLY == 0) return false;
        return pos == 0 || (pos > 0) == (delta > 0) || FixedPoint.abs(delta) > FixedPoint.abs(pos);
    }

    // ================================================================ helpers

    function _begin(bytes4 action) internal {
        ++actionCount[action];
        vm.warp(currentTime);
    }

    function _pick(uint256 actorSeed, uint256 collSeed, uint256 subSeed)
        internal
        view
        returns (address who, uint8 c, uint8 s)
    {
        who = _actors[actorSeed % N_ACTORS];
        c = uint8(collSeed % 2);
        s = uint8(subSeed % N_SUBS);
    }

    function _actorIndex(address who) internal view returns (uint256) {
        for (uint256 a; a < N_ACTORS; ++a) {
            if (_actors[a] == who) return a;
        }
        revert("not an actor");
    }

    function _collateralOf(uint8 market) internal pure returns (uint8) {
        return market == BTCUSD ? USD : XBT;
    }

    function _oracleOf(uint8 market) internal pure returns (uint256) {
        return market == ETHUSD ? 1 : 0;
    }

    function _tick(uint8 market) internal pure returns (uint128) {
        return market == ETHUSD ? 0.05e18 : 0.5e18;
    }

    function _maxSize(uint8 market) internal pure returns (uint256) {
        if (market == BTCUSD) return 500; // $50k at $100k
        if (market == XBTUSD) return 200_000; // 2 XBT
        return 1_000; // 4 XBT at $4,000
    }

    /// @dev A tick-aligned price within ±2% of the current index.
    function _priceNear(uint8 market, uint256 seed) internal view returns (uint128) {
        uint256 index = _indexPrice[_oracleOf(market)];
        int256 bps = boundInt(int256(seed), -200, 200);
        uint256 p = index * uint256(10_000 + bps) / 10_000;
        uint128 tick = _tick(market);
        p = p / tick * tick;
        return p == 0 ? tick : uint128(p);
    }

    function _violate(uint256 category, string memory why) internal {
        if (violationCount[category] == 0) violationReason[category] = why;
        ++violationCount[category];
    }

    function _dec(uint256 x) internal pure returns (string memory) {
        if (x == 0) return "0";
        bytes memory b;
        while (x != 0) {
            b = abi.encodePacked(bytes1(uint8(48 + x % 10)), b);
            x /= 10;
        }
        return string(b);
    }

    function _hex4(bytes memory err) internal pure returns (string memory) {
        if (err.length < 4) return "(no data)";
        bytes memory out = new bytes(10);
        bytes16 digits = "0123456789abcdef";
        out[0] = "0";
        out[1] = "x";
        for (uint256 i; i < 4; ++i) {
            out[2 + 2 * i] = digits[uint8(err[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(err[i]) & 15];
        }
        return string(out);
    }

    // ================================================================ views for the invariants

    function subCount() external view returns (uint256) {
        return _subs.length;
    }

    function subAt(uint256 i) external view returns (SubaccountId) {
        return _subs[i];
    }

    function orderCount() external view returns (uint256) {
        return _orders.length;
    }

    function orderAt(uint256 i) external view returns (OrderRec memory) {
        return _orders[i];
    }

    function netDeposits(uint8 c) external view returns (int256) {
        return _netDeposits[c];
    }

    function fillsSettledIn(uint8 c) external view returns (uint256) {
        return _fillsSettledIn[c];
    }

    function modelSize(SubaccountId id, uint256 market) external view returns (int256) {
        return _modelSize[id][market];
    }

    function modelNonceUsed(SubaccountId id, uint64 nonce) external view returns (bool) {
        return _modelNonceUsed[id][nonce] || nonce < _modelFloor[id];
    }

    function modelFloor(SubaccountId id) external view returns (uint64) {
        return _modelFloor[id];
    }

    function collateralOf(uint8 market) external pure returns (uint8) {
        return _collateralOf(market);
    }
}
