// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ClearinghouseTestBase} from "./utils/ClearinghouseTestBase.sol";
import {IClearinghouse} from "../../contracts/interfaces/IClearinghouse.sol";
import {IClearinghouseEvents} from "../../contracts/interfaces/IClearinghouseEvents.sol";
import {IMarketRegistry} from "../../contracts/interfaces/IMarketRegistry.sol";
import {Clearinghouse} from "../../contracts/core/Clearinghouse.sol";
import {MockERC1271Wallet} from "../../contracts/mocks/MockERC1271Wallet.sol";
import {Order, OrderFlags, SkipReason} from "../../contracts/types/Order.sol";
import {MarketConfig} from "../../contracts/types/Market.sol";
import {SubaccountId} from "../../contracts/types/Ids.sol";

/// @notice On-chain cancellation and every per-fill check of SPEC §5: each failing fill is skipped
/// with the exact reason and the hash of the order at fault, changes nothing, and the rest of the
/// batch settles.
contract ClearinghouseOrdersTest is ClearinghouseTestBase {
    uint128 internal constant P = uint128(BTC_PRICE);
    uint256 private _chainId;

    /// @dev alice sells `size` BTCUSD at P to bob (maker alice, taker bob).
    function _aliceSellsToBob(uint64 size, uint64 nonce) internal view returns (Order memory m, Order memory t) {
        m = _order(alice, BTCUSD, false, size, P, nonce);
        t = _order(bob, BTCUSD, true, size, P, nonce);
    }

    /// @dev alice long `size`, bob short `size` on BTCUSD, in a batch of its own.
    function _openAliceLongBobShort(uint64 size) internal {
        Order memory m = _order(bob, BTCUSD, false, size, P, 900);
        Order memory t = _order(alice, BTCUSD, true, size, P, 900);
        _settle(_fill(size, m, BOB_PK, t, ALICE_PK));
        assertEq(_size(alice, USD, BTCUSD), int256(uint256(size)), "alice long");
    }

    // ================================================================== cancellation

    function _one(Order memory o) internal pure returns (Order[] memory orders) {
        orders = new Order[](1);
        orders[0] = o;
    }

    function test_cancelOrders_emitsAndMarksTheHashCancelled() public {
        (Order memory m,) = _aliceSellsToBob(10, 1);
        bytes32 h = _hash(m);
        vm.expectEmit(true, true, false, true, address(clearinghouse));
        emit IClearinghouseEvents.OrderCancelled(alice, h);
        vm.prank(alice);
        clearinghouse.cancelOrders(_one(m));
        assertEq(clearinghouse.filledAmount(alice, h), type(uint256).max, "cancelled marker");
        assertFalse(clearinghouse.isNonceUsed(_id(alice, USD, 0), 1), "the nonce itself stays usable");
    }

    function test_cancelOrders_thenFillIsSkippedCancelled() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        vm.prank(alice);
        clearinghouse.cancelOrders(_one(m));
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.Cancelled, XBTUSD);
    }

    function test_cancelOrders_ofAPartlyFilledOrderStopsTheRest() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        t.size = 4;
        _settle(_fill(4, m, ALICE_PK, t, BOB_PK));
        vm.prank(alice);
        clearinghouse.cancelOrders(_one(m));
        (Order memory m2, Order memory t2) = _aliceSellsToBob(10, 1);
        t2.nonce = 2;
        _expectSkipped(_fill(6, m2, ALICE_PK, t2, BOB_PK), m2, t2, true, SkipReason.Cancelled, XBTUSD);
        assertEq(_size(alice, USD, BTCUSD), -4, "only the part filled before the cancel");
    }

    function test_cancelOrders_leavesAnotherOrderWithTheSameNonceFillable() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        // A different order (hash) of the same subaccount with the same nonce.
        Order memory sibling = _order(alice, BTCUSD, false, 10, P + 1e18, 1);
        vm.prank(alice);
        clearinghouse.cancelOrders(_one(sibling));
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        assertEq(_size(alice, USD, BTCUSD), -10, "the order that was not cancelled still fills");
    }

    function test_cancelOrders_revertsForSomeoneElsesOrder() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseNotOrderOwner.selector, bob, alice));
        vm.prank(bob); // not alice: may not cancel hers
        clearinghouse.cancelOrders(_one(m));
        assertEq(clearinghouse.filledAmount(alice, _hash(m)), 0, "nothing marked");
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        assertEq(_size(alice, USD, BTCUSD), -10, "alice's order still fills");
    }

    function test_cancelOrders_revertsForAnUnlistedMarket() public {
        (Order memory m,) = _aliceSellsToBob(10, 1);
        m.market = 9;
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryUnknownMarket.selector, uint256(9)));
        vm.prank(alice);
        clearinghouse.cancelOrders(_one(m));
        assertEq(clearinghouse.filledAmount(alice, _hash(m)), 0, "nothing marked");
        assertFalse(clearinghouse.isNonceUsed(_sub(alice, USD), 1), "the nonce is untouched");
    }

    function test_cancelNonces_thenFillIsSkippedCancelled() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 300); // word 1 of the bitmap
        uint64[] memory nonces = new uint64[](1);
        nonces[0] = 300;
        SubaccountId id = _sub(bob, USD);
        vm.expectEmit(true, false, false, true, address(clearinghouse));
        emit IClearinghouseEvents.NonceCancelled(id, 300);
        vm.prank(bob);
        clearinghouse.cancelNonces(USD, 0, nonces);
        assertTrue(clearinghouse.isNonceUsed(id, 300), "nonce used");
        assertFalse(clearinghouse.isNonceUsed(id, 299), "neighbour free");
        assertFalse(clearinghouse.isNonceUsed(id, 301), "neighbour free");
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.Cancelled, XBTUSD);
    }

    function test_cancelNonces_isPerCollateralSubaccount() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 5);
        uint64[] memory nonces = new uint64[](1);
        nonces[0] = 5;
        vm.prank(alice);
        clearinghouse.cancelNonces(XBT, 0, nonces); // the XBT subaccount, not the one the order trades
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        assertEq(_size(alice, USD, BTCUSD), -10, "the USD order still fills");
    }

    function test_raiseNonceFloor_cancelsOrdersBelowTheFloor() public {
        SubaccountId id = _sub(alice, USD);
        vm.expectEmit(true, false, false, true, address(clearinghouse));
        emit IClearinghouseEvents.NonceFloorRaised(id, 10);
        vm.prank(alice);
        clearinghouse.raiseNonceFloor(USD, 0, 10);
        (,, uint64 floor_) = clearinghouse.account(id);
        assertEq(uint256(floor_), 10, "floor stored");
        assertTrue(clearinghouse.isNonceUsed(id, 9), "below floor");
        assertFalse(clearinghouse.isNonceUsed(id, 10), "at floor");

        (Order memory below, Order memory t1) = _aliceSellsToBob(5, 9);
        (Order memory atFloor, Order memory t2) = _aliceSellsToBob(5, 10);
        t2.nonce = 11;
        bytes32 aliceBefore = _accountState(alice);
        BatchResult memory r = _settleRecorded(
            abi.encodePacked(_fill(5, below, ALICE_PK, t1, BOB_PK), _fill(5, atFloor, ALICE_PK, t2, BOB_PK))
        );
        _assertCounts(r, 1, 1);
        _assertSkip(r, 0, _hash(below), 0, SkipReason.Cancelled);
        assertTrue(_accountState(alice) != aliceBefore, "second fill settled");
        assertEq(_size(alice, USD, BTCUSD), -5, "only the order at the floor filled");
        assertEq(_size(bob, USD, BTCUSD), 5, "bob");
        assertFalse(clearinghouse.isNonceUsed(_sub(bob, USD), 9), "bob's skipped nonce untouched");
    }

    function test_raiseNonceFloor_revertsWhenNotRaised() public {
        SubaccountId id = _sub(alice, USD);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseNonceFloorNotRaised.selector, 0, 0));
        clearinghouse.raiseNonceFloor(USD, 0, 0);

        vm.prank(alice);
        clearinghouse.raiseNonceFloor(USD, 0, 10);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseNonceFloorNotRaised.selector, 10, 10));
        clearinghouse.raiseNonceFloor(USD, 0, 10);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseNonceFloorNotRaised.selector, 10, 5));
        clearinghouse.raiseNonceFloor(USD, 0, 5);

        (,, uint64 floor_) = clearinghouse.account(id);
        assertEq(uint256(floor_), 10, "floor unchanged by the failed calls");
        assertTrue(clearinghouse.isNonceUsed(id, 9), "9 still cancelled");
        assertFalse(clearinghouse.isNonceUsed(id, 10), "10 still usable");
    }

    /// INV-7: a fully filled order sets its nonce bit, so replaying it later is skipped.
    function test_fill_replayOfAFullyFilledOrderInALaterBatchIsCancelled() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        bytes memory fill = _fill(10, m, ALICE_PK, t, BOB_PK);
        _settle(fill);
        assertTrue(clearinghouse.isNonceUsed(_sub(alice, USD), 1), "maker nonce used");
        assertTrue(clearinghouse.isNonceUsed(_sub(bob, USD), 1), "taker nonce used");

        // Replaying the same fill blames the maker (checked first).
        _expectSkipped(fill, m, t, true, SkipReason.Cancelled, XBTUSD);

        // A fresh maker with the spent taker blames the taker.
        Order memory m2 = _order(alice, BTCUSD, false, 10, P, 2);
        _expectSkipped(_fill(10, m2, ALICE_PK, t, BOB_PK), m2, t, false, SkipReason.Cancelled, XBTUSD);
        assertEq(_size(alice, USD, BTCUSD), -10, "applied once");
        assertEq(_size(bob, USD, BTCUSD), 10, "applied once");
    }

    function test_fill_replayWithinTheSameBatchIsCancelled() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        bytes memory fill = _fill(10, m, ALICE_PK, t, BOB_PK);
        BatchResult memory r = _settleRecorded(abi.encodePacked(fill, fill));
        _assertCounts(r, 1, 1);
        _assertSkip(r, 0, _hash(m), 1, SkipReason.Cancelled);
        assertEq(_size(alice, USD, BTCUSD), -10, "applied once");
    }

    function test_fill_partialFillsAccumulateAndAnOverfillIsSkipped() public {
        Order memory m = _order(alice, BTCUSD, false, 10, P, 1);
        Order memory t = _order(bob, BTCUSD, true, 100, P, 1);
        bytes32 mh = _hash(m);
        bytes32 th = _hash(t);

        _settle(_fill(4, m, ALICE_PK, t, BOB_PK));
        assertEq(clearinghouse.filledAmount(alice, mh), 4, "maker 4");
        assertEq(clearinghouse.filledAmount(bob, th), 4, "taker 4");
        _settle(_fill(3, m, ALICE_PK, t, BOB_PK));
        assertEq(clearinghouse.filledAmount(alice, mh), 7, "maker 7");
        assertEq(clearinghouse.filledAmount(bob, th), 7, "taker 7");
        assertFalse(clearinghouse.isNonceUsed(_sub(alice, USD), 1), "partially filled: nonce still free");

        // 7 + 4 > 10: the maker's order is over-filled.
        _expectSkipped(_fill(4, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.Overfilled, XBTUSD);
        assertEq(clearinghouse.filledAmount(alice, mh), 7, "maker still 7");

        // The last 3 complete the order.
        _settle(_fill(3, m, ALICE_PK, t, BOB_PK));
        assertEq(_size(alice, USD, BTCUSD), -10, "alice");
        assertEq(_size(bob, USD, BTCUSD), 10, "bob");
        assertEq(clearinghouse.filledAmount(bob, th), 10, "taker 10");
        assertTrue(clearinghouse.isNonceUsed(_sub(alice, USD), 1), "fully filled: nonce bit set");
        // By design (Clearinghouse storage notes) a fully filled order is recorded by its nonce bit
        // and its filled-amount slot is cleared, so filledAmount reads 0 again.
        assertEq(clearinghouse.filledAmount(alice, mh), 0, "slot released");
        // And any further fill of it is Cancelled.
        _expectSkipped(_fill(1, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.Cancelled, XBTUSD);
    }

    // ================================================================== the nonce floor as order state

    function _floor(address who) internal view returns (uint64 floor_) {
        (,, floor_) = clearinghouse.account(_sub(who, USD));
    }

    /// An order filled whole at its account's nonce floor is recorded by raising the floor by one.
    function test_fill_inNonceOrderRaisesTheFloor() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 0);
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        assertEq(_floor(alice), 1, "alice's floor");
        assertEq(_floor(bob), 1, "bob's floor");
        (m, t) = _aliceSellsToBob(10, 1);
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        assertEq(_floor(alice), 2, "alice's floor, again");
        assertTrue(clearinghouse.isNonceUsed(_sub(alice, USD), 1), "nonce 1 used");
        assertFalse(clearinghouse.isNonceUsed(_sub(alice, USD), 2), "nonce 2 free");
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.Cancelled, XBTUSD);
        assertEq(_size(alice, USD, BTCUSD), -20, "two fills applied");
    }

    /// Out of nonce order the floor waits and the nonce words keep the state; once the floor catches
    /// up, both records still stop replays.
    function test_fill_outOfNonceOrderIsKeptInTheNonceWords() public {
        SubaccountId id = _sub(alice, USD);
        (Order memory m1, Order memory t1) = _aliceSellsToBob(10, 1);
        _settle(_fill(10, m1, ALICE_PK, t1, BOB_PK));
        assertEq(_floor(alice), 0, "the floor waits for nonce 0");
        assertTrue(clearinghouse.isNonceUsed(id, 1), "nonce 1 used");
        assertFalse(clearinghouse.isNonceUsed(id, 0), "nonce 0 free");

        (Order memory m0, Order memory t0) = _aliceSellsToBob(10, 0);
        _settle(_fill(10, m0, ALICE_PK, t0, BOB_PK));
        assertEq(_floor(alice), 1, "nonce 0 raised the floor");
        assertTrue(clearinghouse.isNonceUsed(id, 1), "nonce 1 still used");
        _expectSkipped(_fill(10, m1, ALICE_PK, t1, BOB_PK), m1, t1, true, SkipReason.Cancelled, XBTUSD);
        _expectSkipped(_fill(10, m0, ALICE_PK, t0, BOB_PK), m0, t0, true, SkipReason.Cancelled, XBTUSD);

        // Nonce 2 is above the floor and the account now keeps nonce words: it fills and is recorded there.
        (Order memory m2, Order memory t2) = _aliceSellsToBob(10, 2);
        _settle(_fill(10, m2, ALICE_PK, t2, BOB_PK));
        assertTrue(clearinghouse.isNonceUsed(id, 2), "nonce 2 used");
        _expectSkipped(_fill(10, m2, ALICE_PK, t2, BOB_PK), m2, t2, true, SkipReason.Cancelled, XBTUSD);
        assertEq(_size(alice, USD, BTCUSD), -30, "three fills applied");
    }

    function test_fill_partialThenWholeAtTheFloorRaisesItAndReleasesTheSlot() public {
        Order memory m = _order(alice, BTCUSD, false, 10, P, 0);
        Order memory t = _order(bob, BTCUSD, true, 100, P, 0);
        _settle(_fill(4, m, ALICE_PK, t, BOB_PK));
        assertEq(_floor(alice), 0, "partially filled: the floor stays");
        assertEq(clearinghouse.filledAmount(alice, _hash(m)), 4, "maker 4");
        _settle(_fill(6, m, ALICE_PK, t, BOB_PK));
        assertEq(_floor(alice), 1, "filled whole: the floor moves past it");
        assertEq(_floor(bob), 0, "the taker's order is still open");
        assertEq(clearinghouse.filledAmount(alice, _hash(m)), 0, "slot released");
        _expectSkipped(_fill(1, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.Cancelled, XBTUSD);
    }

    function test_cancelNonces_aboveTheFloorOutlivesFillsBelowIt() public {
        uint64[] memory nonces = new uint64[](1);
        nonces[0] = 1;
        vm.prank(alice);
        clearinghouse.cancelNonces(USD, 0, nonces);
        (Order memory m0, Order memory t0) = _aliceSellsToBob(10, 0);
        _settle(_fill(10, m0, ALICE_PK, t0, BOB_PK));
        assertEq(_floor(alice), 1, "nonce 0 raised the floor to the cancelled nonce");
        (Order memory m1, Order memory t1) = _aliceSellsToBob(10, 1);
        _expectSkipped(_fill(10, m1, ALICE_PK, t1, BOB_PK), m1, t1, true, SkipReason.Cancelled, XBTUSD);
    }

    /// The floor is a uint64: an order at the last nonce cannot raise it and is kept in the nonce words.
    function test_fill_atTheLastNonceIsKeptInTheNonceWords() public {
        uint64 last = type(uint64).max;
        vm.prank(alice);
        clearinghouse.raiseNonceFloor(USD, 0, last);
        (Order memory m, Order memory t) = _aliceSellsToBob(10, last);
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        assertEq(_floor(alice), last, "the floor stays at the last nonce");
        assertTrue(clearinghouse.isNonceUsed(_sub(alice, USD), last), "last nonce used");
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.Cancelled, XBTUSD);
    }

    function test_fill_takerOverfillIsBlamedOnTheTaker() public {
        Order memory m = _order(alice, BTCUSD, false, 100, P, 1);
        Order memory t = _order(bob, BTCUSD, true, 5, P, 1);
        _expectSkipped(_fill(6, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.Overfilled, XBTUSD);
    }

    // ================================================================== signatures

    function test_fill_makerSignedByTheWrongKeyIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        _expectSkipped(_fill(10, m, CAROL_PK, t, BOB_PK), m, t, true, SkipReason.BadSignature, XBTUSD);
    }

    function test_fill_takerSignedByTheWrongKeyIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        _expectSkipped(_fill(10, m, ALICE_PK, t, ALICE_PK), m, t, false, SkipReason.BadSignature, XBTUSD);
    }

    function test_fill_signatureForAnotherChainIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        // The chain id is kept in storage: under via-IR a local copy of block.chainid may be
        // re-read after the cheatcode changed it.
        _chainId = block.chainid;
        vm.chainId(_chainId + 1);
        bytes32 foreignDigest = clearinghouse.hashOrder(m);
        vm.chainId(_chainId);
        assertEq(block.chainid, _chainId, "chain restored");
        assertTrue(foreignDigest != _hash(m), "the domain separator binds the chain id");
        bytes memory fill =
            abi.encodePacked(uint64(10), _encodeOrderWithDigest(m, ALICE_PK, foreignDigest), _encodeOrder(t, BOB_PK));
        _expectSkipped(fill, m, t, true, SkipReason.BadSignature, XBTUSD);
    }

    function test_fill_signatureForAnotherClearinghouseIsSkipped() public {
        Clearinghouse other = _newClearinghouse();
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        bytes32 foreignDigest = other.hashOrder(t);
        assertTrue(foreignDigest != _hash(t), "the domain separator binds the verifying contract");
        bytes memory fill =
            abi.encodePacked(uint64(10), _encodeOrder(m, ALICE_PK), _encodeOrderWithDigest(t, BOB_PK, foreignDigest));
        _expectSkipped(fill, m, t, false, SkipReason.BadSignature, XBTUSD);
    }

    function test_fill_signatureOverOtherOrderFieldsIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        Order memory signed = _order(bob, BTCUSD, true, 10, P, 1);
        signed.limitPrice = P - 1e18; // bob signed a lower limit than the order the keeper sends
        bytes memory fill =
            abi.encodePacked(uint64(10), _encodeOrder(m, ALICE_PK), _encodeOrderWithDigest(t, BOB_PK, _hash(signed)));
        _expectSkipped(fill, m, t, false, SkipReason.BadSignature, XBTUSD);
    }

    function test_fill_highSCompactSignatureIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ALICE_PK, _hash(m));
        // The malleable twin (r, n − s, flipped v) recovers the same signer but must be refused.
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        uint256 highS = n - uint256(s);
        uint8 flipped = v == 27 ? 1 : 0;
        bytes memory makerEnc =
            abi.encodePacked(_encodeOrderFields(m, 0), r, bytes32(highS | (uint256(flipped) << 255)));
        bytes memory fill = abi.encodePacked(uint64(10), makerEnc, _encodeOrder(t, BOB_PK));
        _expectSkipped(fill, m, t, true, SkipReason.BadSignature, XBTUSD);
    }

    function test_fill_eoa65ByteSignatureInTheExtendedEncodingSettles() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        bytes memory fill =
            abi.encodePacked(uint64(10), _encodeOrderExtended(m, _sign65(m, ALICE_PK)), _encodeOrder(t, BOB_PK));
        BatchResult memory r = _settleRecorded(fill);
        _assertCounts(r, 1, 0);
        assertEq(_size(alice, USD, BTCUSD), -10, "alice");
    }

    // ================================================================== EIP-1271

    function _wallet() internal returns (MockERC1271Wallet w, address owner) {
        uint256 ownerPk = 0x0A1E7;
        owner = vm.addr(ownerPk);
        w = new MockERC1271Wallet(owner);
        xbt.mint(address(w), 10e8);
        SubaccountId id = _id(address(w), XBT, 0);
        vm.expectEmit(true, true, false, true, address(clearinghouse));
        emit IClearinghouseEvents.Deposited(id, address(w), 10e8);
        vm.prank(owner);
        w.approveAndDeposit(address(xbt), address(clearinghouse), XBT, 0, 10e8);
        (int256 balance,,) = clearinghouse.account(id);
        assertEq(balance, int256(10e8), "wallet deposited");
    }

    function test_eip1271_walletOrderSignedByItsOwnerSettles() public {
        (MockERC1271Wallet w,) = _wallet();
        uint128 price = uint128(ETH_PRICE);
        Order memory m = _order(alice, ETHUSD, false, 100, price, 1);
        Order memory t = _order(address(w), ETHUSD, true, 100, price, 1);
        bytes memory fill =
            abi.encodePacked(uint64(100), _encodeOrder(m, ALICE_PK), _encodeOrderExtended(t, _sign65(t, 0x0A1E7)));
        BatchResult memory r = _settleRecorded(fill);
        _assertCounts(r, 1, 0);
        (int256 size,,) = clearinghouse.position(_id(address(w), XBT, 0), ETHUSD);
        assertEq(size, 100, "wallet long");
        assertEq(_size(alice, XBT, ETHUSD), -100, "alice short");
        assertTrue(clearinghouse.isNonceUsed(_id(address(w), XBT, 0), 1), "wallet nonce used");

        // As a maker too.
        Order memory m2 = _order(address(w), ETHUSD, false, 40, price, 2);
        Order memory t2 = _order(bob, ETHUSD, true, 40, price, 2);
        _settle(abi.encodePacked(uint64(40), _encodeOrderExtended(m2, _sign65(m2, 0x0A1E7)), _encodeOrder(t2, BOB_PK)));
        (size,,) = clearinghouse.position(_id(address(w), XBT, 0), ETHUSD);
        assertEq(size, 60, "wallet reduced as maker");
    }

    function test_eip1271_walletOrderSignedByAnotherKeyIsSkipped() public {
        (MockERC1271Wallet w,) = _wallet();
        uint128 price = uint128(ETH_PRICE);
        Order memory m = _order(alice, ETHUSD, false, 100, price, 1);
        Order memory t = _order(address(w), ETHUSD, true, 100, price, 1);
        bytes memory fill =
            abi.encodePacked(uint64(100), _encodeOrder(m, ALICE_PK), _encodeOrderExtended(t, _sign65(t, BOB_PK)));
        bytes32 walletBefore = _accountState(address(w));
        _expectSkipped(fill, m, t, false, SkipReason.BadSignature, BTCUSD);
        assertEq(_accountState(address(w)), walletBefore, "wallet unchanged");
    }

    function test_eip1271_walletMakerSignedByAnotherKeyIsSkipped() public {
        (MockERC1271Wallet w,) = _wallet();
        uint128 price = uint128(ETH_PRICE);
        Order memory m = _order(address(w), ETHUSD, false, 100, price, 1);
        Order memory t = _order(alice, ETHUSD, true, 100, price, 1);
        bytes memory fill =
            abi.encodePacked(uint64(100), _encodeOrderExtended(m, _sign65(m, CAROL_PK)), _encodeOrder(t, ALICE_PK));
        _expectSkipped(fill, m, t, true, SkipReason.BadSignature, BTCUSD);
    }

    // ================================================================== terms

    function test_fill_expiredMakerIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.expiry = uint40(block.timestamp - 1);
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.Expired, XBTUSD);
    }

    function test_fill_expiredTakerIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        t.expiry = uint40(block.timestamp - 1);
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.Expired, XBTUSD);
    }

    function test_fill_orderExpiringThisSecondStillSettles() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.expiry = uint40(block.timestamp);
        t.expiry = uint40(block.timestamp);
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        assertEq(_size(bob, USD, BTCUSD), 10, "settled");
    }

    function test_fill_buyTakerLimitBelowMakerPriceIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        t.limitPrice = P - 0.5e18;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.LimitViolated, XBTUSD);
    }

    function test_fill_sellTakerLimitAboveMakerPriceIsSkipped() public {
        Order memory m = _order(alice, BTCUSD, true, 10, P, 1);
        Order memory t = _order(bob, BTCUSD, false, 10, P + 0.5e18, 1);
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.LimitViolated, XBTUSD);
    }

    function test_fill_executesAtTheMakersLimitPrice() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        t.limitPrice = P + 1_000e18; // bob would pay more; he pays the maker's price
        bytes32 mh = _hash(m);
        bytes32 th = _hash(t);
        // notional 1,000 USD: maker fee 0.2, taker fee 0.5 USD.
        _expectFillsSettled(
            _fillRecord(
                _sub(alice, USD),
                _sub(bob, USD),
                mh,
                th,
                (uint256(BTCUSD) << 248) | (uint256(10) << 184) | (uint256(P) << 56) | 1,
                (uint256(0.2e6) << 128) | 0.5e6
            )
        );
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        (, int256 basis,) = clearinghouse.position(_sub(bob, USD), BTCUSD);
        assertEq(basis, int256(1_000e6), "bob's basis at 100k");
    }

    function test_fill_bothOrdersOnTheSameSideIsSkipped() public {
        Order memory m = _order(alice, BTCUSD, true, 10, P, 1);
        Order memory t = _order(bob, BTCUSD, true, 10, P, 1);
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.SameSide, XBTUSD);
    }

    function test_fill_iocMakerIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.flags = OrderFlags.IOC;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.InvalidFlags, XBTUSD);
    }

    function test_fill_postOnlyTakerIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        t.flags = OrderFlags.POST_ONLY;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.InvalidFlags, XBTUSD);
    }

    function test_fill_unknownFlagBitsAreSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.flags = 8;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.InvalidFlags, XBTUSD);
        (m, t) = _aliceSellsToBob(10, 2);
        t.flags = 0x10;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.InvalidFlags, XBTUSD);
    }

    function test_fill_postOnlyMakerAndIocTakerSettle() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.flags = OrderFlags.POST_ONLY;
        t.flags = OrderFlags.IOC;
        BatchResult memory r = _settleRecorded(_fill(10, m, ALICE_PK, t, BOB_PK));
        _assertCounts(r, 1, 0);
    }

    function test_fill_makerNamingAnotherKeeperIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.keeper = vm.addr(0xBEEF);
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.KeeperNotAllowed, XBTUSD);
    }

    function test_fill_takerNamingAnotherKeeperIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        t.keeper = vm.addr(0xBEEF);
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.KeeperNotAllowed, XBTUSD);
    }

    function test_fill_ordersNamingTheSettlingKeeperSettle() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.keeper = keeper;
        t.keeper = keeper;
        BatchResult memory r = _settleRecorded(_fill(10, m, ALICE_PK, t, BOB_PK));
        _assertCounts(r, 1, 0);
    }

    function test_fill_priceOffTheTickIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.limitPrice = P + 0.25e18; // tick 0.5
        t.limitPrice = P + 1e18;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.TickOrLot, XBTUSD);
    }

    function test_fill_zeroMakerPriceIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.limitPrice = 0;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.TickOrLot, XBTUSD);
    }

    function test_fill_zeroSizeIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        _expectSkipped(_fill(0, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.TickOrLot, XBTUSD);
    }

    function test_fill_sizeOffTheLotIsSkipped() public {
        MarketConfig memory cfg = _marketConfig(BTCUSD);
        cfg.lotSize = 10;
        registry.setMarketParameters(BTCUSD, cfg);
        (Order memory m, Order memory t) = _aliceSellsToBob(20, 1);
        _expectSkipped(_fill(15, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.TickOrLot, XBTUSD);
        _settle(_fill(20, m, ALICE_PK, t, BOB_PK));
        assertEq(_size(bob, USD, BTCUSD), 20, "a multiple of the lot settles");
    }

    function test_fill_selfTradeIsSkipped() public {
        Order memory m = _order(alice, BTCUSD, false, 10, P, 1);
        Order memory t = _order(alice, BTCUSD, true, 10, P, 2);
        _expectSkipped(_fill(10, m, ALICE_PK, t, ALICE_PK), m, t, false, SkipReason.SelfTrade, XBTUSD);
    }

    function test_fill_betweenTwoSubaccountsOfOneOwnerSettles() public {
        vm.prank(alice);
        clearinghouse.transfer(USD, 0, 1, 10_000e6);
        Order memory m = _order(alice, BTCUSD, false, 10, P, 1);
        Order memory t = _order(alice, BTCUSD, true, 10, P, 1);
        t.subaccount = 1;
        BatchResult memory r = _settleRecorded(_fill(10, m, ALICE_PK, t, ALICE_PK));
        _assertCounts(r, 1, 0);
        (int256 size,,) = clearinghouse.position(_id(alice, USD, 1), BTCUSD);
        assertEq(size, 10, "subaccount 1 long");
        assertEq(_size(alice, USD, BTCUSD), -10, "subaccount 0 short");
    }

    function test_fill_ordersForDifferentMarketsAreSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        t.market = XBTUSD;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, false, SkipReason.MarketMismatch, ETHUSD);
    }

    function test_fill_unknownMarketIsSkippedAsInactive() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.market = 9;
        t.market = 9;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.MarketInactive, XBTUSD);
    }

    function test_fill_inactiveMarketIsSkipped() public {
        MarketConfig memory cfg = _marketConfig(BTCUSD);
        cfg.active = false;
        registry.setMarketParameters(BTCUSD, cfg);
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.MarketInactive, XBTUSD);
    }

    // ================================================================== position checks

    function test_fill_reduceOnlyThatWouldIncreaseIsSkipped() public {
        _openAliceLongBobShort(10);
        Order memory m = _order(bob, BTCUSD, false, 5, P, 1);
        Order memory t = _order(alice, BTCUSD, true, 5, P, 1);
        t.flags = OrderFlags.REDUCE_ONLY; // alice is long: buying adds
        _expectSkipped(_fill(5, m, BOB_PK, t, ALICE_PK), m, t, false, SkipReason.ReduceOnlyViolated, XBTUSD);
    }

    function test_fill_reduceOnlyThatWouldFlipIsSkipped() public {
        _openAliceLongBobShort(10);
        Order memory m = _order(alice, BTCUSD, false, 15, P, 1);
        m.flags = OrderFlags.REDUCE_ONLY; // alice long 10 selling 15 would flip her short
        Order memory t = _order(bob, BTCUSD, true, 15, P, 1);
        _expectSkipped(_fill(15, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.ReduceOnlyViolated, XBTUSD);
    }

    function test_fill_reduceOnlyWithoutAPositionIsSkipped() public {
        (Order memory m, Order memory t) = _aliceSellsToBob(10, 1);
        m.flags = OrderFlags.REDUCE_ONLY;
        _expectSkipped(_fill(10, m, ALICE_PK, t, BOB_PK), m, t, true, SkipReason.ReduceOnlyViolated, XBTUSD);
    }

    function test_fill_reduceOnlyThatReducesSettles() public {
        _openAliceLongBobShort(10);
        Order memory m = _order(alice, BTCUSD, false, 10, P, 1);
        m.flags = OrderFlags.REDUCE_ONLY;
        Order memory t = _order(bob, BTCUSD, true, 10, P, 1);
        t.flags = OrderFlags.REDUCE_ONLY;
        BatchResult memory r = _settleRecorded(_fill(10, m, ALICE_PK, t, BOB_PK));
        _assertCounts(r, 1, 0);
        assertEq(_size(alice, USD, BTCUSD), 0, "alice flat");
        assertEq(_size(bob, USD, BTCUSD), 0, "bob flat");
        (, uint64 openMarkets,) = clearinghouse.account(_sub(alice, USD));
        assertEq(uint256(openMarkets), 0, "no open market left");
    }

    /// frank (1,000 USD) buying 100 at 100k needs 1,000 IM plus 5 fee: one contract too many.
    function test_fill_insufficientMarginOfTheTakerIsSkipped() public {
        Order memory m = _order(alice, BTCUSD, false, 100, P, 1);
        Order memory t = _order(frank, BTCUSD, true, 100, P, 1);
        _expectSkipped(_fill(100, m, ALICE_PK, t, FRANK_PK), m, t, false, SkipReason.InsufficientMargin, XBTUSD);

        // 99 contracts: IM 990, balance after fee 995.05.
        Order memory t2 = _order(frank, BTCUSD, true, 99, P, 2);
        _settle(_fill(99, m, ALICE_PK, t2, FRANK_PK));
        assertEq(_size(frank, USD, BTCUSD), 99, "the largest affordable size settles");
        assertEq(_balance(frank, USD), int256(1_000e6 - 4.95e6), "taker fee");
    }

    function test_fill_insufficientMarginOfTheMakerIsSkipped() public {
        Order memory m = _order(frank, BTCUSD, false, 200, P, 1);
        Order memory t = _order(alice, BTCUSD, true, 200, P, 1);
        _expectSkipped(_fill(200, m, FRANK_PK, t, ALICE_PK), m, t, true, SkipReason.InsufficientMargin, XBTUSD);
    }

    /// SPEC §4: a stale index blocks risk-increasing fills, whichever side adds risk, and nothing else.
    function test_fill_staleIndexBlocksRiskIncreasingFillsButNotReducingOnes() public {
        _openAliceLongBobShort(10);
        vm.warp(block.timestamp + 3 minutes); // maxIndexAge 2 min; reports still within 5 min
        _report(ethOracle, ETH_PRICE); // the filler market stays fresh
        (uint256 index, bool fresh,,,,) = clearinghouse.marketState(BTCUSD);
        assertFalse(fresh, "BTC index stale");
        assertEq(index, BTC_PRICE, "price still reported");

        // 1: alice reduces, erin (taker) opens: erin at fault.
        Order memory m1 = _order(alice, BTCUSD, false, 5, P, 1);
        Order memory t1 = _order(erin, BTCUSD, true, 5, P, 1);
        // 2: erin (maker) opens, bob reduces: erin at fault.
        Order memory m2 = _order(erin, BTCUSD, false, 5, P, 2);
        Order memory t2 = _order(bob, BTCUSD, true, 5, P, 2);
        // 3: erin opens on both sides' behalf... with frank: both add risk, the taker is blamed.
        Order memory m3 = _order(frank, BTCUSD, false, 1, P, 3);
        Order memory t3 = _order(erin, BTCUSD, true, 1, P, 3);
        // 4: alice and bob both reduce: settles.
        Order memory m4 = _order(alice, BTCUSD, false, 4, P, 4);
        Order memory t4 = _order(bob, BTCUSD, true, 4, P, 4);

        bytes32 erinBefore = _accountState(erin);
        bytes32 frankBefore = _accountState(frank);
        uint256 oiBefore = _openInterest(BTCUSD);
        BatchResult memory r = _settleRecorded(
            abi.encodePacked(
                _fillerFill(ETHUSD),
                _fill(5, m1, ALICE_PK, t1, ERIN_PK),
                _fill(5, m2, ERIN_PK, t2, BOB_PK),
                _fill(1, m3, FRANK_PK, t3, ERIN_PK),
                _fill(4, m4, ALICE_PK, t4, BOB_PK),
                _fillerFill(ETHUSD)
            )
        );
        _assertCounts(r, 3, 3);
        _assertSkip(r, 0, _hash(t1), 1, SkipReason.StaleIndex);
        _assertSkip(r, 1, _hash(m2), 2, SkipReason.StaleIndex);
        _assertSkip(r, 2, _hash(t3), 3, SkipReason.StaleIndex);
        assertEq(_accountState(erin), erinBefore, "erin untouched");
        assertEq(_accountState(frank), frankBefore, "frank untouched");
        assertEq(_size(alice, USD, BTCUSD), 6, "alice reduced by the 4 of fill 4 only");
        assertEq(_size(bob, USD, BTCUSD), -6, "bob reduced by the 4 of fill 4 only");
        assertEq(_openInterest(BTCUSD), oiBefore - 4, "open interest fell by 4");
        assertEq(_size(dave, XBT, ETHUSD), 2, "fillers settled");
    }

    function test_fill_beyondTheOpenInterestCapIsSkipped() public {
        _openAliceLongBobShort(10);
        MarketConfig memory cfg = _marketConfig(BTCUSD);
        cfg.maxOpenInterest = 15;
        registry.setMarketParameters(BTCUSD, cfg);

        // erin buys 6 from frank: OI 10 → 16 > 15.
        Order memory m = _order(frank, BTCUSD, false, 6, P, 1);
        Order memory t = _order(erin, BTCUSD, true, 6, P, 1);
        _expectSkipped(_fill(6, m, FRANK_PK, t, ERIN_PK), m, t, false, SkipReason.OpenInterestCap, XBTUSD);
        assertEq(_openInterest(BTCUSD), 10, "OI unchanged");

        // Exactly to the cap settles.
        Order memory t2 = _order(erin, BTCUSD, true, 5, P, 2);
        _settle(_fill(5, m, FRANK_PK, t2, ERIN_PK));
        assertEq(_openInterest(BTCUSD), 15, "OI at the cap");

        // Lower the cap under the current OI: reducing fills still settle.
        cfg.maxOpenInterest = 1;
        registry.setMarketParameters(BTCUSD, cfg);
        Order memory m3 = _order(alice, BTCUSD, false, 3, P, 3);
        Order memory t3 = _order(bob, BTCUSD, true, 3, P, 3);
        BatchResult memory r = _settleRecorded(_fill(3, m3, ALICE_PK, t3, BOB_PK));
        _assertCounts(r, 1, 0);
        assertEq(_openInterest(BTCUSD), 12, "OI reduced above the cap");
    }
}
