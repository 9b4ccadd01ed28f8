// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ClearinghouseTestBase} from "./utils/ClearinghouseTestBase.sol";
import {IClearinghouse} from "../../contracts/interfaces/IClearinghouse.sol";
import {IClearinghouseEvents} from "../../contracts/interfaces/IClearinghouseEvents.sol";
import {MockERC20, FeeOnTransferERC20} from "../../contracts/mocks/MockERC20.sol";
import {Order} from "../../contracts/types/Order.sol";
import {SubaccountId} from "../../contracts/types/Ids.sol";

/// @notice deposit / withdraw / transfer (SPEC §3, INV-9).
contract ClearinghouseDepositsTest is ClearinghouseTestBase {
    // frank opens 50 BTCUSD long at 100k: notional 5,000 USD, IM 500 USD, taker fee 2.5 USD.
    uint256 internal constant FRANK_BALANCE_AFTER_OPEN = 997.5e6;
    uint256 internal constant FRANK_FREE_AFTER_OPEN = 497.5e6;

    function _openFrankLong() internal {
        Order memory m = _order(carol, BTCUSD, false, 50, uint128(BTC_PRICE), 1);
        Order memory t = _order(frank, BTCUSD, true, 50, uint128(BTC_PRICE), 1);
        _settle(_fill(50, m, CAROL_PK, t, FRANK_PK));
        assertEq(_size(frank, USD, BTCUSD), 50, "frank long");
    }

    // ================================================================== deposit

    function test_deposit_creditsSubaccountAndEmitsDeposited() public {
        address who = vm.addr(0xD0D0);
        usd.mint(who, 500e6);
        vm.prank(who);
        usd.approve(address(clearinghouse), 500e6);
        SubaccountId id = _id(who, USD, 3);
        uint256 vaultBefore = usd.balanceOf(address(clearinghouse));

        vm.expectEmit(true, true, false, true, address(clearinghouse));
        emit IClearinghouseEvents.Deposited(id, who, 500e6);
        vm.prank(who);
        clearinghouse.deposit(USD, 3, 500e6);

        (int256 balance, uint64 openMarkets, uint64 nonceFloor) = clearinghouse.account(id);
        assertEq(balance, int256(500e6), "balance");
        assertEq(uint256(openMarkets), 0, "no markets");
        assertEq(uint256(nonceFloor), 0, "nonce floor");
        assertEq(usd.balanceOf(who), 0, "tokens left the wallet");
        assertEq(usd.balanceOf(address(clearinghouse)), vaultBefore + 500e6, "tokens in the clearinghouse");
        (,,, uint256 withdrawable) = clearinghouse.accountHealth(id);
        assertEq(withdrawable, 500e6, "all of it is free");
        // The other subaccounts are untouched.
        (balance,,) = clearinghouse.account(_id(who, USD, 0));
        assertEq(balance, 0, "subaccount 0 untouched");
    }

    function test_deposit_accumulatesIntoTheSameSubaccount() public {
        usd.mint(alice, 7e6);
        vm.startPrank(alice);
        clearinghouse.deposit(USD, 0, 3e6);
        clearinghouse.deposit(USD, 0, 4e6);
        vm.stopPrank();
        assertEq(_balance(alice, USD), int256(1_000_000e6 + 7e6), "balance");
    }

    function test_deposit_revertsOnZeroAmount() public {
        uint256 vaultBefore = usd.balanceOf(address(clearinghouse));
        usd.mint(alice, 1e6);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseZeroAmount.selector));
        clearinghouse.deposit(USD, 0, 0);
        assertEq(_balance(alice, USD), int256(1_000_000e6), "balance unchanged");
        assertEq(usd.balanceOf(alice), 1e6, "wallet unchanged");
        assertEq(usd.balanceOf(address(clearinghouse)), vaultBefore, "vault unchanged");
    }

    function test_deposit_revertsOnUnknownCollateral() public {
        bytes32 before = _accountState(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseUnknownCollateral.selector, uint8(2)));
        clearinghouse.deposit(2, 0, 1e6);
        assertEq(_accountState(alice), before, "account unchanged");
    }

    function test_deposit_revertsOnFeeOnTransferToken() public {
        FeeOnTransferERC20 fot = new FeeOnTransferERC20();
        uint8 c = registry.listCollateral(address(fot));
        assertEq(uint256(c), 2, "listed as collateral 2");
        fot.mint(alice, 100e18);
        vm.startPrank(alice);
        fot.approve(address(clearinghouse), type(uint256).max);
        // 1% is burnt in transit: 99 arrive.
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseTransferAmountMismatch.selector, 100e18, 99e18)
        );
        clearinghouse.deposit(c, 0, 100e18);
        vm.stopPrank();
        (int256 balance,,) = clearinghouse.account(_id(alice, c, 0));
        assertEq(balance, 0, "nothing credited");
        assertEq(fot.balanceOf(alice), 100e18, "wallet unchanged");
        assertEq(fot.balanceOf(address(clearinghouse)), 0, "vault unchanged");
    }

    function test_deposit_andTransferRevertWhenTheBalanceWouldExceedInt120() public {
        MockERC20 big = new MockERC20("Big", "BIG", 18);
        uint8 c = registry.listCollateral(address(big));
        uint256 max = uint256(int256(type(int120).max));
        big.mint(alice, max + 1);
        vm.startPrank(alice);
        big.approve(address(clearinghouse), type(uint256).max);
        clearinghouse.deposit(c, 0, max);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseBalanceOverflow.selector, _id(alice, c, 0)));
        clearinghouse.deposit(c, 0, 1);

        clearinghouse.deposit(c, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseBalanceOverflow.selector, _id(alice, c, 0)));
        clearinghouse.transfer(c, 1, 0, 1);
        vm.stopPrank();

        (int256 b0,,) = clearinghouse.account(_id(alice, c, 0));
        (int256 b1,,) = clearinghouse.account(_id(alice, c, 1));
        assertEq(b0, type(int120).max, "subaccount 0 full");
        assertEq(b1, 1, "subaccount 1 kept its unit");
        assertEq(big.balanceOf(address(clearinghouse)), max + 1, "vault");
    }

    // ================================================================== withdraw

    function test_withdraw_sendsTokensAndEmitsWithdrawn() public {
        address to = vm.addr(0x7070);
        SubaccountId id = _sub(alice, USD);
        uint256 vaultBefore = usd.balanceOf(address(clearinghouse));

        vm.expectEmit(true, true, false, true, address(clearinghouse));
        emit IClearinghouseEvents.Withdrawn(id, to, 250_000e6);
        vm.prank(alice);
        clearinghouse.withdraw(USD, 0, 250_000e6, to);

        assertEq(_balance(alice, USD), int256(750_000e6), "balance debited");
        assertEq(usd.balanceOf(to), 250_000e6, "recipient paid");
        assertEq(usd.balanceOf(address(clearinghouse)), vaultBefore - 250_000e6, "vault paid out");
    }

    function test_withdraw_allowsTheWholeBalanceWithoutPositions() public {
        vm.prank(alice);
        clearinghouse.withdraw(XBT, 0, 100e8, alice);
        assertEq(_balance(alice, XBT), 0, "emptied");
        assertEq(xbt.balanceOf(alice), 100e8, "paid");
    }

    function test_withdraw_revertsOnZeroAmount() public {
        bytes32 before = _accountState(alice);
        uint256 vaultBefore = usd.balanceOf(address(clearinghouse));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseZeroAmount.selector));
        clearinghouse.withdraw(USD, 0, 0, alice);
        assertEq(_accountState(alice), before, "account unchanged");
        assertEq(usd.balanceOf(address(clearinghouse)), vaultBefore, "vault unchanged");
    }

    function test_withdraw_revertsOnUnknownCollateral() public {
        bytes32 before = _accountState(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseUnknownCollateral.selector, uint8(7)));
        clearinghouse.withdraw(7, 0, 1, alice);
        assertEq(_accountState(alice), before, "account unchanged");
    }

    function test_withdraw_revertsBeyondBalanceWithoutPositions() public {
        SubaccountId id = _sub(alice, USD);
        uint256 vaultBefore = usd.balanceOf(address(clearinghouse));
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouseEvents.ClearinghouseInsufficientFreeCollateral.selector, id, 1_000_000e6 + 1, 1_000_000e6
            )
        );
        clearinghouse.withdraw(USD, 0, 1_000_000e6 + 1, alice);
        assertEq(_balance(alice, USD), int256(1_000_000e6), "balance unchanged");
        assertEq(usd.balanceOf(address(clearinghouse)), vaultBefore, "vault unchanged");
        assertEq(usd.balanceOf(alice), 0, "wallet unchanged");
    }

    function test_withdraw_revertsForAnEmptySubaccountWithZeroAvailable() public {
        SubaccountId id = _id(alice, USD, 9);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseInsufficientFreeCollateral.selector, id, 1, 0)
        );
        clearinghouse.withdraw(USD, 9, 1, alice);
    }

    function test_withdraw_withOpenPositionAllowsUpToEquityMinusInitialMargin() public {
        _openFrankLong();
        SubaccountId id = _sub(frank, USD);
        (int256 equity, uint256 im, uint256 mm, uint256 withdrawable) = clearinghouse.accountHealth(id);
        assertEq(equity, int256(FRANK_BALANCE_AFTER_OPEN), "equity = balance at mark = entry");
        assertEq(im, 500e6, "IM = 10% of 5,000");
        assertEq(mm, 250e6, "MM = 5% of 5,000");
        assertEq(withdrawable, FRANK_FREE_AFTER_OPEN, "withdrawable = equity - IM");

        vm.prank(frank);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouseEvents.ClearinghouseInsufficientFreeCollateral.selector,
                id,
                FRANK_FREE_AFTER_OPEN + 1,
                FRANK_FREE_AFTER_OPEN
            )
        );
        clearinghouse.withdraw(USD, 0, FRANK_FREE_AFTER_OPEN + 1, frank);
        assertEq(_balance(frank, USD), int256(FRANK_BALANCE_AFTER_OPEN), "unchanged after the revert");
        assertEq(usd.balanceOf(frank), 0, "nothing paid");

        vm.prank(frank);
        clearinghouse.withdraw(USD, 0, FRANK_FREE_AFTER_OPEN, frank);
        assertEq(_balance(frank, USD), int256(500e6), "left exactly IM");
        assertEq(usd.balanceOf(frank), FRANK_FREE_AFTER_OPEN, "paid");
        (equity, im,, withdrawable) = clearinghouse.accountHealth(id);
        assertEq(equity, int256(im), "equity == IM");
        assertEq(withdrawable, 0, "nothing left to withdraw");

        vm.prank(frank);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseInsufficientFreeCollateral.selector, id, 1, 0)
        );
        clearinghouse.withdraw(USD, 0, 1, frank);
    }

    /// SPEC §3: withdrawable is realized balance only, even when equity − IM is larger.
    function test_withdraw_isCappedAtBalanceWhenUnrealizedProfitExceedsIt() public {
        _openFrankLong();
        _report(btcOracle, 120_000e18);
        SubaccountId id = _sub(frank, USD);
        (int256 equity, uint256 im,, uint256 withdrawable) = clearinghouse.accountHealth(id);
        // uPnL = 50 × 0.001 × 20,000 = 1,000 USD; IM = 10% × 6,000.
        assertEq(equity, int256(FRANK_BALANCE_AFTER_OPEN + 1_000e6), "equity");
        assertEq(im, 600e6, "IM at the new mark");
        assertEq(withdrawable, FRANK_BALANCE_AFTER_OPEN, "capped at balance");

        vm.prank(frank);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouseEvents.ClearinghouseInsufficientFreeCollateral.selector,
                id,
                FRANK_BALANCE_AFTER_OPEN + 1,
                FRANK_BALANCE_AFTER_OPEN
            )
        );
        clearinghouse.withdraw(USD, 0, FRANK_BALANCE_AFTER_OPEN + 1, frank);

        vm.prank(frank);
        clearinghouse.withdraw(USD, 0, FRANK_BALANCE_AFTER_OPEN, frank);
        assertEq(_balance(frank, USD), 0, "balance emptied");
        assertEq(_size(frank, USD, BTCUSD), 50, "position kept");
    }

    /// SPEC §4: a stale index blocks risk-increasing trades and liquidations, never withdrawals.
    function test_withdraw_stillWorksWhenTheIndexIsStale() public {
        _openFrankLong();
        vm.warp(block.timestamp + 10 minutes); // past maxIndexAge (2 min) and the reports' age (5 min)
        (uint256 index, bool fresh, uint256 mark,,,) = clearinghouse.marketState(BTCUSD);
        assertFalse(fresh, "index is stale");
        assertEq(index, BTC_PRICE, "the last median, too old to use");
        assertEq(mark, BTC_PRICE, "last good mark kept");

        SubaccountId id = _sub(frank, USD);
        (,,, uint256 withdrawable) = clearinghouse.accountHealth(id);
        // Funding accrued over 10 minutes at the last mark is tiny but makes equity a little lower.
        assertLe(withdrawable, FRANK_FREE_AFTER_OPEN, "withdrawable");
        assertGe(withdrawable, FRANK_FREE_AFTER_OPEN - 1e6, "withdrawable");

        vm.prank(frank);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouseEvents.ClearinghouseInsufficientFreeCollateral.selector, id, withdrawable + 1, withdrawable
            )
        );
        clearinghouse.withdraw(USD, 0, withdrawable + 1, frank);

        vm.prank(frank);
        clearinghouse.withdraw(USD, 0, withdrawable, frank);
        assertEq(usd.balanceOf(frank), withdrawable, "paid while stale");
    }

    /// INV-9: no keeper is needed to withdraw.
    function test_withdraw_stillWorksWithoutAnyActiveKeeper() public {
        _openFrankLong();
        vm.prank(keeper);
        keepers.requestExit();
        assertFalse(keepers.isActiveKeeper(keeper), "no active keeper");

        vm.prank(alice);
        clearinghouse.withdraw(USD, 0, 1_000_000e6, alice);
        assertEq(usd.balanceOf(alice), 1_000_000e6, "alice withdrew everything");

        vm.prank(frank);
        clearinghouse.withdraw(USD, 0, FRANK_FREE_AFTER_OPEN, frank);
        assertEq(usd.balanceOf(frank), FRANK_FREE_AFTER_OPEN, "frank withdrew his free collateral");
    }

    function test_withdraw_onlyDebitsTheCallersOwnSubaccount() public {
        // bob asking for alice's money debits bob's subaccount, never alice's.
        vm.prank(bob);
        clearinghouse.withdraw(USD, 0, 10e6, bob);
        assertEq(_balance(alice, USD), int256(1_000_000e6), "alice untouched");
        assertEq(_balance(bob, USD), int256(1_000_000e6 - 10e6), "bob debited");
    }

    // ================================================================== transfer

    function test_transfer_movesFreeCollateralBetweenOwnSubaccounts() public {
        SubaccountId from = _id(alice, USD, 0);
        SubaccountId to = _id(alice, USD, 1);
        uint256 vaultBefore = usd.balanceOf(address(clearinghouse));

        vm.expectEmit(true, true, false, true, address(clearinghouse));
        emit IClearinghouseEvents.Transferred(from, to, 1_000e6);
        vm.prank(alice);
        clearinghouse.transfer(USD, 0, 1, 1_000e6);

        (int256 a,,) = clearinghouse.account(from);
        (int256 b,,) = clearinghouse.account(to);
        assertEq(a, int256(999_000e6), "from debited");
        assertEq(b, int256(1_000e6), "to credited");
        assertEq(usd.balanceOf(address(clearinghouse)), vaultBefore, "no token moved");

        // The new subaccount is usable: its collateral can leave again.
        vm.prank(alice);
        clearinghouse.withdraw(USD, 1, 1_000e6, alice);
        assertEq(usd.balanceOf(alice), 1_000e6, "withdrawn from subaccount 1");
    }

    function test_transfer_revertsForTheSameSubaccount() public {
        bytes32 before = _accountState(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseSameSubaccount.selector, uint8(0)));
        clearinghouse.transfer(USD, 0, 0, 1e6);
        assertEq(_accountState(alice), before, "unchanged");
    }

    function test_transfer_revertsOnZeroAmount() public {
        bytes32 before = _accountState(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseZeroAmount.selector));
        clearinghouse.transfer(USD, 0, 1, 0);
        assertEq(_accountState(alice), before, "unchanged");
    }

    function test_transfer_revertsOnUnknownCollateral() public {
        bytes32 before = _accountState(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseUnknownCollateral.selector, uint8(2)));
        clearinghouse.transfer(2, 0, 1, 1);
        assertEq(_accountState(alice), before, "unchanged");
    }

    function test_transfer_revertsBeyondFreeCollateral() public {
        _openFrankLong();
        bytes32 before = _accountState(frank);
        SubaccountId from = _sub(frank, USD);
        vm.prank(frank);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouseEvents.ClearinghouseInsufficientFreeCollateral.selector,
                from,
                FRANK_FREE_AFTER_OPEN + 1,
                FRANK_FREE_AFTER_OPEN
            )
        );
        clearinghouse.transfer(USD, 0, 1, FRANK_FREE_AFTER_OPEN + 1);
        assertEq(_accountState(frank), before, "unchanged");

        vm.prank(frank);
        clearinghouse.transfer(USD, 0, 1, FRANK_FREE_AFTER_OPEN);
        (int256 b,,) = clearinghouse.account(_id(frank, USD, 1));
        assertEq(b, int256(FRANK_FREE_AFTER_OPEN), "free collateral moved");
    }
}
