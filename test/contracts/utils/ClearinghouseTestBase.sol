// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "./Test.sol";
import {LucentFixture} from "./LucentFixture.sol";
import {IClearinghouse} from "../../../contracts/interfaces/IClearinghouse.sol";
import {IClearinghouseEvents} from "../../../contracts/interfaces/IClearinghouseEvents.sol";
import {Order, SkipReason} from "../../../contracts/types/Order.sol";
import {SubaccountId, SubaccountIdLib} from "../../../contracts/types/Ids.sol";
import {MarketConfig} from "../../../contracts/types/Market.sol";
import {SettledFills} from "./SettledFills.sol";

/// @dev Shared helpers of the Clearinghouse unit tests: three more traders, recording of a batch's
/// events, and fingerprints of account / order state to prove that a rejected call or a skipped
/// fill changed nothing.
abstract contract ClearinghouseTestBase is LucentFixture {
    uint256 internal constant DAVE_PK = 0xDA7E;
    uint256 internal constant ERIN_PK = 0xE417;
    uint256 internal constant FRANK_PK = 0xF4A4C;
    address internal dave;
    address internal erin;
    address internal frank; // a small account: 1,000 USD and 1 XBT

    /// @dev Nonces of the filler fills, far from the nonces the tests use.
    uint64 private _fillerNonce = 1_000_000;

    struct Skip {
        bytes32 orderHash;
        uint256 fillIndex;
        SkipReason reason;
    }

    struct BatchResult {
        Skip[] skips;
        uint256 settledEvents; // fills in FillsSettled
        uint256 settled; // from BatchSettled
        uint256 skipped; // from BatchSettled
    }

    function setUp() public virtual override {
        super.setUp();
        dave = vm.addr(DAVE_PK);
        erin = vm.addr(ERIN_PK);
        frank = vm.addr(FRANK_PK);
        _fund(dave, 1_000_000e6, 100e8);
        _fund(erin, 1_000_000e6, 100e8);
        _fund(frank, 1_000e6, 1e8);
    }

    // ------------------------------------------------------------------ orders and fills

    function _hash(Order memory o) internal view returns (bytes32) {
        return clearinghouse.hashOrder(o);
    }

    function _collateralOf(uint8 market) internal pure returns (uint8) {
        return market == BTCUSD ? USD : XBT;
    }

    function _id(address who, uint8 collateral, uint8 subaccount) internal pure returns (SubaccountId) {
        return SubaccountIdLib.from(who, collateral, subaccount);
    }

    function _index(uint8 market) internal view returns (uint256 price) {
        (price,,,,,) = clearinghouse.marketState(market);
    }

    function _openInterest(uint8 market) internal view returns (uint256 oi) {
        (,,,,, oi) = clearinghouse.marketState(market);
    }

    /// @dev An order signed over an arbitrary digest (another chain, another clearinghouse).
    function _encodeOrderWithDigest(Order memory o, uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(_encodeOrderFields(o, 0), r, bytes32(uint256(s) | (uint256(v - 27) << 255)));
    }

    /// @dev A 65-byte `r ‖ s ‖ v` signature over the order's digest, for the extended encoding.
    function _sign65(Order memory o, uint256 pk) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, clearinghouse.hashOrder(o));
        return abi.encodePacked(r, s, v);
    }

    /// @dev A fill that settles: carol sells one contract to dave at the index (tick-aligned at the
    /// fixture's prices). Tests surround the fill under test with these to show the rest of the
    /// batch still settles.
    function _fillerFill(uint8 market) internal returns (bytes memory) {
        uint128 price = uint128(_index(market));
        Order memory m = _order(carol, market, false, 1, price, _fillerNonce++);
        Order memory t = _order(dave, market, true, 1, price, _fillerNonce++);
        return _fill(1, m, CAROL_PK, t, DAVE_PK);
    }

    /// @dev Settles with the fixture keeper and collects FillSkipped / FillsSettled / BatchSettled.
    function _settleRecorded(bytes memory fills) internal returns (BatchResult memory r) {
        vm.recordLogs();
        _settle(fills);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 n;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(clearinghouse) && logs[i].topics[0] == IClearinghouseEvents.FillSkipped.selector) {
                ++n;
            }
        }
        r.skips = new Skip[](n);
        n = 0;
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter != address(clearinghouse)) continue;
            if (l.topics[0] == IClearinghouseEvents.FillSkipped.selector) {
                (uint256 fillIndex, SkipReason reason) = abi.decode(l.data, (uint256, SkipReason));
                r.skips[n++] = Skip(l.topics[1], fillIndex, reason);
            } else if (l.topics[0] == IClearinghouseEvents.FillsSettled.selector) {
                r.settledEvents += SettledFills.count(abi.decode(l.data, (bytes)));
            } else if (l.topics[0] == IClearinghouseEvents.BatchSettled.selector) {
                (r.settled, r.skipped) = abi.decode(l.data, (uint256, uint256));
            }
        }
    }

    /// @dev One fill's record in `FillsSettled.fills`, from `FillSettled`'s fields.
    function _fillRecord(
        SubaccountId maker,
        SubaccountId taker,
        bytes32 makerHash,
        bytes32 takerHash,
        uint256 trade,
        uint256 fees
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(
            bytes22(uint176(uint256(SubaccountId.unwrap(maker)))),
            bytes22(uint176(uint256(SubaccountId.unwrap(taker)))),
            makerHash,
            takerHash,
            bytes26(uint208(((trade >> 56) << 8) | (trade & 0xff))), // FillSettled's layout, packed
            fees
        );
    }

    /// @dev Expects the next batch of the fixture keeper to log exactly these fill records.
    function _expectFillsSettled(bytes memory records) internal {
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouseEvents.FillsSettled(keeper, clearinghouse.nextBatchIndex(keeper), records);
    }

    function _assertSkip(BatchResult memory r, uint256 i, bytes32 orderHash, uint256 fillIndex, SkipReason reason)
        internal
        pure
    {
        assertTrue(i < r.skips.length, "missing FillSkipped event");
        assertEq(uint256(r.skips[i].reason), uint256(reason), "skip reason");
        assertEq(r.skips[i].orderHash, orderHash, "order at fault");
        assertEq(r.skips[i].fillIndex, fillIndex, "skipped fill index");
    }

    function _assertCounts(BatchResult memory r, uint256 settled, uint256 skipped) internal pure {
        assertEq(r.skips.length, skipped, "FillSkipped events");
        assertEq(r.settledEvents, settled, "fills in FillsSettled");
        assertEq(r.settled, settled, "BatchSettled.settled");
        assertEq(r.skipped, skipped, "BatchSettled.skipped");
    }

    // ------------------------------------------------------------------ state fingerprints

    /// @dev Everything the clearinghouse holds for `who`: subaccounts 0 and 1 of both collaterals,
    /// with their positions in every market of that collateral.
    function _accountState(address who) internal view returns (bytes32 h) {
        for (uint8 sub; sub < 2; ++sub) {
            for (uint8 c; c < 2; ++c) {
                SubaccountId id = _id(who, c, sub);
                (int256 balance, uint64 openMarkets, uint64 floor_) = clearinghouse.account(id);
                h = keccak256(abi.encode(h, balance, openMarkets, floor_));
                for (uint8 m; m < 3; ++m) {
                    if (_collateralOf(m) != c) continue;
                    (int256 size, int256 basis, int256 snapshot) = clearinghouse.position(id, m);
                    h = keccak256(abi.encode(h, size, basis, snapshot));
                }
            }
        }
    }

    /// @dev The filled amount and nonce state of an order.
    function _orderState(Order memory o) internal view returns (bytes32) {
        SubaccountId id = _id(o.trader, _collateralOf(o.market), o.subaccount);
        return keccak256(
            abi.encode(clearinghouse.filledAmount(o.trader, _hash(o)), clearinghouse.isNonceUsed(id, o.nonce))
        );
    }

    /// @dev Both traders and both orders of a fill, and the open interest of every market but `skip`.
    function _fillState(Order memory a, Order memory b, uint8 skipMarket) internal view returns (bytes32 h) {
        h = keccak256(abi.encode(_accountState(a.trader), _accountState(b.trader), _orderState(a), _orderState(b)));
        for (uint8 m; m < 3; ++m) {
            if (m != skipMarket) h = keccak256(abi.encode(h, _openInterest(m)));
        }
    }

    /// @dev The standard skip scenario: [filler, bad, filler] in one batch. Asserts the exact reason
    /// and culprit, that both fillers settled, and that the bad fill changed nothing.
    function _expectSkipped(
        bytes memory badFill,
        Order memory maker,
        Order memory taker,
        bool makerAtFault,
        SkipReason reason,
        uint8 fillerMarket
    ) internal {
        bytes32 culprit = makerAtFault ? _hash(maker) : _hash(taker);
        bytes memory batch = abi.encodePacked(_fillerFill(fillerMarket), badFill, _fillerFill(fillerMarket));
        bytes32 before = _fillState(maker, taker, fillerMarket);
        int256 carolBefore = _size(carol, _collateralOf(fillerMarket), fillerMarket);
        int256 daveBefore = _size(dave, _collateralOf(fillerMarket), fillerMarket);

        BatchResult memory r = _settleRecorded(batch);

        _assertCounts(r, 2, 1);
        _assertSkip(r, 0, culprit, 1, reason);
        assertEq(_fillState(maker, taker, fillerMarket), before, "skipped fill changed state");
        assertEq(_size(carol, _collateralOf(fillerMarket), fillerMarket), carolBefore - 2, "filler maker settled");
        assertEq(_size(dave, _collateralOf(fillerMarket), fillerMarket), daveBefore + 2, "filler taker settled");
    }

    function _marketConfig(uint8 market) internal view returns (MarketConfig memory cfg) {
        (cfg,) = registry.market(market);
    }
}
