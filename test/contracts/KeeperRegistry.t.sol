// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {LucentFixture} from "./utils/LucentFixture.sol";
import {IKeeperRegistry} from "../../contracts/interfaces/IKeeperRegistry.sol";
import {IClearinghouse} from "../../contracts/interfaces/IClearinghouse.sol";
import {IClearinghouseEvents} from "../../contracts/interfaces/IClearinghouseEvents.sol";
import {Order} from "../../contracts/types/Order.sol";

/// @dev Refuses native currency.
contract NoReceive {}

/// @notice Keeper bonds and activity (SPEC §5). Fixture: minBond 1 ether, unbonding 1 day, `keeper`
/// registered with 1 ether.
contract KeeperRegistryTest is LucentFixture {
    uint256 internal constant T0 = 1_700_000_000; // the fixture's start time
    address internal newcomer;

    function setUp() public override {
        super.setUp();
        newcomer = vm.addr(0x4E3C);
        vm.deal(newcomer, 10 ether);
    }

    function _bond(address k) internal view returns (uint256 bond, uint256 exitAvailableAt, bool registered) {
        (uint128 b, uint64 e, bool r) = keepers.keepers(k);
        return (b, e, r);
    }

    function test_register_activatesAKeeperWithEnoughBondAndEmits() public {
        assertFalse(keepers.isActiveKeeper(newcomer), "inactive before");
        vm.expectEmit(true, false, false, true, address(keepers));
        emit IKeeperRegistry.KeeperRegistered(newcomer, 1.5 ether);
        vm.prank(newcomer);
        keepers.register{value: 1.5 ether}();
        assertTrue(keepers.isActiveKeeper(newcomer), "active");
        (uint256 bond, uint256 exitAt, bool registered) = _bond(newcomer);
        assertEq(bond, 1.5 ether, "bond");
        assertEq(exitAt, 0, "not exiting");
        assertTrue(registered, "registered");
        assertEq(address(keepers).balance, 2.5 ether, "bonds held");
    }

    function test_register_revertsWithTooSmallABond() public {
        vm.prank(newcomer);
        vm.expectRevert(
            abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryBondTooSmall.selector, 1 ether - 1, 1 ether)
        );
        keepers.register{value: 1 ether - 1}();
        assertFalse(keepers.isActiveKeeper(newcomer), "still inactive");
        assertEq(newcomer.balance, 10 ether, "value returned");
        assertEq(address(keepers).balance, 1 ether, "nothing held");
    }

    function test_register_revertsWhenAlreadyActive() public {
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryAlreadyActive.selector, keeper));
        keepers.register{value: 1 ether}();
        (uint256 bond,,) = _bond(keeper);
        assertEq(bond, 1 ether, "bond unchanged");
        assertEq(address(keepers).balance, 1 ether, "nothing added");
    }

    function test_requestExit_deactivatesAtOnceAndEmits() public {
        vm.expectEmit(true, false, false, true, address(keepers));
        emit IKeeperRegistry.KeeperExitRequested(keeper, T0 + 1 days);
        vm.prank(keeper);
        keepers.requestExit();
        assertFalse(keepers.isActiveKeeper(keeper), "inactive at once");
        (uint256 bond, uint256 exitAt, bool registered) = _bond(keeper);
        assertEq(bond, 1 ether, "bond kept until withdrawn");
        assertEq(exitAt, T0 + 1 days, "available after unbonding");
        assertTrue(registered, "still registered");
    }

    function test_requestExit_revertsForANonKeeperOrASecondRequest() public {
        vm.prank(newcomer);
        vm.expectRevert(abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryNotKeeper.selector, newcomer));
        keepers.requestExit();
        (, uint256 newcomerExit, bool newcomerRegistered) = _bond(newcomer);
        assertEq(newcomerExit, 0, "no exit recorded for a stranger");
        assertFalse(newcomerRegistered, "stranger not registered");

        vm.prank(keeper);
        keepers.requestExit();
        vm.warp(T0 + 1 hours);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryNotKeeper.selector, keeper));
        keepers.requestExit();
        (, uint256 exitAt,) = _bond(keeper);
        assertEq(exitAt, T0 + 1 days, "the first request's clock is kept");
    }

    function test_withdrawBond_revertsBeforeAnExitRequest() public {
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryNotKeeper.selector, keeper));
        keepers.withdrawBond(payable(keeper));
        assertTrue(keepers.isActiveKeeper(keeper), "still active");
        assertEq(address(keepers).balance, 1 ether, "bond held");
    }

    function test_withdrawBond_revertsWhileUnbonding() public {
        vm.prank(keeper);
        keepers.requestExit();
        vm.warp(T0 + 1 days - 1);
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryStillUnbonding.selector, keeper, T0 + 1 days)
        );
        keepers.withdrawBond(payable(keeper));
        assertEq(address(keepers).balance, 1 ether, "bond held");
        (uint256 bond,,) = _bond(keeper);
        assertEq(bond, 1 ether, "bond recorded");
    }

    function test_withdrawBond_paysOutAfterUnbondingAndForgetsTheKeeper() public {
        address payable to = payable(vm.addr(0x7011));
        uint256 keeperBalance = keeper.balance;
        vm.prank(keeper);
        keepers.requestExit();
        vm.warp(T0 + 1 days);
        vm.expectEmit(true, true, false, true, address(keepers));
        emit IKeeperRegistry.KeeperBondWithdrawn(keeper, to, 1 ether);
        vm.prank(keeper);
        keepers.withdrawBond(to);
        assertEq(to.balance, 1 ether, "bond paid to the recipient");
        assertEq(keeper.balance, keeperBalance, "keeper itself not paid");
        assertEq(address(keepers).balance, 0, "nothing held");
        (uint256 bond, uint256 exitAt, bool registered) = _bond(keeper);
        assertEq(bond, 0, "bond cleared");
        assertEq(exitAt, 0, "exit cleared");
        assertFalse(registered, "forgotten");
        assertFalse(keepers.isActiveKeeper(keeper), "inactive");

        // A second withdrawal has nothing to take.
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryNotKeeper.selector, keeper));
        keepers.withdrawBond(to);
    }

    function test_withdrawBond_revertsWhenTheRecipientRefusesPayment() public {
        NoReceive sink = new NoReceive();
        vm.prank(keeper);
        keepers.requestExit();
        vm.warp(T0 + 1 days);
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryTransferFailed.selector, address(sink), 1 ether)
        );
        keepers.withdrawBond(payable(address(sink)));
        (uint256 bond,, bool registered) = _bond(keeper);
        assertEq(bond, 1 ether, "bond still recorded");
        assertTrue(registered, "still registered");
        assertEq(address(keepers).balance, 1 ether, "bond still held");
    }

    function test_withdrawBond_revertsWhenTheBondIsZero() public {
        keepers.setBondParameters(0, 0); // a zero minimum lets a keeper register without a bond
        vm.startPrank(newcomer);
        keepers.register();
        assertTrue(keepers.isActiveKeeper(newcomer), "active with no bond");
        keepers.requestExit();
        vm.expectRevert(abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryNothingToWithdraw.selector, newcomer));
        keepers.withdrawBond(payable(newcomer));
        vm.stopPrank();
        (,, bool registered) = _bond(newcomer);
        assertTrue(registered, "still registered");
    }

    function test_isActiveKeeper_followsRegisterExitAndReRegister() public {
        vm.prank(newcomer);
        keepers.register{value: 1 ether}();
        assertTrue(keepers.isActiveKeeper(newcomer), "registered");
        vm.prank(newcomer);
        keepers.requestExit();
        assertFalse(keepers.isActiveKeeper(newcomer), "exiting");
        // Registering again while unbonding cancels the exit and keeps the bond.
        vm.prank(newcomer);
        keepers.register();
        assertTrue(keepers.isActiveKeeper(newcomer), "active again");
        (uint256 bond, uint256 exitAt,) = _bond(newcomer);
        assertEq(bond, 1 ether, "same bond");
        assertEq(exitAt, 0, "exit cancelled");
    }

    function test_isActiveKeeper_turnsFalseWhenTheMinimumBondIsRaised() public {
        keepers.setBondParameters(2 ether, 1 days);
        assertFalse(keepers.isActiveKeeper(keeper), "under-bonded");
        // Surprising: register() treats the under-bonded keeper as AlreadyActive, so it cannot top up
        // directly; it has to request an exit first and then re-register with the difference.
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IKeeperRegistry.KeeperRegistryAlreadyActive.selector, keeper));
        keepers.register{value: 1 ether}();
        vm.startPrank(keeper);
        keepers.requestExit();
        keepers.register{value: 1 ether}();
        vm.stopPrank();
        assertTrue(keepers.isActiveKeeper(keeper), "topped up");
        (uint256 bond,,) = _bond(keeper);
        assertEq(bond, 2 ether, "bond");
    }

    function test_setBondParameters_isRestrictedAndEmits() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        keepers.setBondParameters(0, 0);
        assertEq(keepers.minBond(), 1 ether, "unchanged");

        vm.expectEmit(false, false, false, true, address(keepers));
        emit IKeeperRegistry.BondParametersChanged(3 ether, 2 days);
        keepers.setBondParameters(3 ether, 2 days);
        assertEq(keepers.minBond(), 3 ether, "minBond");
        assertEq(keepers.unbondingPeriod(), 2 days, "unbondingPeriod");
    }

    /// An exited keeper can no longer settle, and resumes its own batch sequence if it comes back.
    function test_exitedKeeperCanNoLongerSettle() public {
        Order memory m = _order(alice, BTCUSD, false, 10, uint128(BTC_PRICE), 1);
        Order memory t = _order(bob, BTCUSD, true, 10, uint128(BTC_PRICE), 1);
        bytes memory fill = _fill(10, m, ALICE_PK, t, BOB_PK);
        _settle(fill);
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 1, "one batch");

        vm.prank(keeper);
        keepers.requestExit();
        Order memory m2 = _order(alice, BTCUSD, false, 10, uint128(BTC_PRICE), 2);
        Order memory t2 = _order(bob, BTCUSD, true, 10, uint128(BTC_PRICE), 2);
        bytes memory fill2 = _fill(10, m2, ALICE_PK, t2, BOB_PK);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseNotKeeper.selector, keeper));
        clearinghouse.settleBatch(1, fill2);
        assertEq(_size(alice, USD, BTCUSD), -10, "no second fill");
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 1, "index unchanged");

        // After withdrawing its bond it is still not a keeper.
        vm.warp(T0 + 1 days);
        vm.prank(keeper);
        keepers.withdrawBond(payable(keeper));
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseNotKeeper.selector, keeper));
        clearinghouse.settleBatch(1, "");

        // Re-registering resumes at the next index, never replaying batch 0.
        vm.prank(keeper);
        keepers.register{value: 1 ether}();
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseBatchOutOfSequence.selector, keeper, 1, 0));
        clearinghouse.settleBatch(0, fill);
        vm.prank(keeper);
        clearinghouse.settleBatch(1, "");
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 2, "resumed");
    }
}
