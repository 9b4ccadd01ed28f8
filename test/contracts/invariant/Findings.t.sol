// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LucentFixture} from "../utils/LucentFixture.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {MedianOracle} from "../../../contracts/oracles/MedianOracle.sol";
import {Order, OrderFlags} from "../../../contracts/types/Order.sol";
import {MarketKind} from "../../../contracts/types/Market.sol";
import {SubaccountIdLib} from "../../../contracts/types/Ids.sol";
import {SkipReason} from "../../../contracts/types/Order.sol";
import {IClearinghouse} from "../../../contracts/interfaces/IClearinghouse.sol";
import {IClearinghouseEvents} from "../../../contracts/interfaces/IClearinghouseEvents.sol";
import {Vm} from "../utils/Test.sol";

/// @title FindingsTest
/// @notice Concrete scenarios behind the invariant suite's notes and findings.
/// Functions named `disabled_…` assert the behaviour the SPEC requires and FAIL against the current
/// contracts; they are renamed so that the runner skips them (rename to `test_…` to reproduce).
/// Each one's comment gives the exact failing scenario.
contract FindingsTest is LucentFixture {
    // ================================================================ notes (enabled, passing)

    /// INV-1 note: "vault ≥ Σ balances + insurance" is not an invariant while positions are open.
    /// Alice buys 100 BTCUSD from Bob at $100k; the index rises to $110k; Alice sells her 100 to
    /// Carol at $110k and realizes +$1,000 into her balance, while Bob's −$1,000 is still unrealized.
    /// Σ balances now exceeds the vault by Bob's unrealized loss, yet Σ equity (at any common mark)
    /// is covered, which is what INV-1 checks.
    function test_INV1_balanceSumMayExceedVaultWhilePositionsAreOpen() public {
        _settle(_fill(100, _order(bob, BTCUSD, false, 100, 100_000e18, 1), BOB_PK, _order(alice, BTCUSD, true, 100, 100_000e18, 1), ALICE_PK));
        _report(btcOracle, 110_000e18);
        _settle(_fill(100, _order(alice, BTCUSD, false, 100, 110_000e18, 2), ALICE_PK, _order(carol, BTCUSD, true, 100, 110_000e18, 1), CAROL_PK));
        assertEq(_size(alice, USD, BTCUSD), 0, "alice flat");
        int256 sumBalances = _balance(alice, USD) + _balance(bob, USD) + _balance(carol, USD)
            + _balanceOf(keeper, USD) + int256(clearinghouse.insuranceFund(USD));
        uint256 held = usd.balanceOf(address(clearinghouse));
        assertGt(sumBalances, int256(held), "sum of balances exceeds the vault");
        (int256 eqA,,,) = clearinghouse.accountHealth(_sub(alice, USD));
        (int256 eqB,,,) = clearinghouse.accountHealth(_sub(bob, USD));
        (int256 eqC,,,) = clearinghouse.accountHealth(_sub(carol, USD));
        int256 sumEquity = eqA + eqB + eqC + _balanceOf(keeper, USD) + int256(clearinghouse.insuranceFund(USD));
        assertLe(sumEquity, int256(held), "sum of equity is covered");
    }

    /// INV-7 note: `filledAmount` is not monotone by itself. A partially filled order's size lives in
    /// `filledAmount`; when the order completes, the slot is deleted (reads 0) and the nonce bit is set
    /// instead. "isNonceUsed ? size : filledAmount" is the monotone quantity.
    function test_INV7_filledAmountResetsToZeroOnCompletion() public {
        Order memory maker = _order(alice, BTCUSD, false, 10, 100_000e18, 7);
        bytes32 h = clearinghouse.hashOrder(maker);
        _settle(_fill(4, maker, ALICE_PK, _order(bob, BTCUSD, true, 4, 100_000e18, 1), BOB_PK));
        assertEq(clearinghouse.filledAmount(alice, h), 4, "partially filled");
        assertFalse(clearinghouse.isNonceUsed(_sub(alice, USD), 7), "nonce free");
        _settle(_fill(6, maker, ALICE_PK, _order(bob, BTCUSD, true, 6, 100_000e18, 2), BOB_PK));
        assertEq(clearinghouse.filledAmount(alice, h), 0, "completed: filledAmount reads 0");
        assertTrue(clearinghouse.isNonceUsed(_sub(alice, USD), 7), "completed: nonce used");
    }

    // ================================================================ regressions (enabled, passing)

    /// FINDING 1 (fixed in bc6b98a by clamping samples to the band) — premium EMA wrap.
    /// Scenario: BTCUSD has never traded (lastAccrual = 0, so α ≈ 1). Alice's subaccount 0 sells one
    /// contract to her own subaccount 1 at 11 × the index ($1.1M; ~$1,000 of margin, $0.77 of fees,
    /// both sides pass margin). Before the fix the premium sample +10e18 made the EMA ≈ +10e18, which
    /// does not fit int64 and was stored as −8,446,747,603,120,070,656: the mark went to
    /// index × (1 − band) and funding flipped from longs-pay to shorts-pay.
    function test_premiumEma_farFillStaysInsideTheBand() public {
        Order memory maker = _order(alice, BTCUSD, false, 1, 1_100_000e18, 1);
        Order memory taker = _order(alice, BTCUSD, true, 1, 1_100_000e18, 1);
        taker.subaccount = 1;
        vm.prank(alice);
        clearinghouse.transfer(USD, 0, 1, 100_000e6);
        _settle(_fill(1, maker, ALICE_PK, taker, ALICE_PK));
        assertEq(_size(alice, USD, BTCUSD), -1, "filled");
        (uint256 index,, uint256 mark, int256 premiumEma,,) = clearinghouse.marketState(BTCUSD);
        assertGe(premiumEma, int256(0), "a fill above the index cannot make the premium negative");
        assertLe(premiumEma, int256(0.01e18), "the premium stays within the band");
        assertGe(mark, index, "a fill above the index cannot push the mark below it");
    }

    /// FINDING 2 (fixed in bc6b98a: precision min(1e9, 1e18/unit)) — funding index overflow for an
    /// 18-decimal collateral. Scenario: a linear BTC-USD market settled in an 18-decimal stablecoin
    /// (DAI-like), M = 0.001 BTC, one contract = 100e18 units. With the old fixed 1e9 precision the
    /// index grew by 1e25 per interval at the 0.01% interest rate and passed int96 (≈ 3.96e28) after
    /// ~3.6 years (~14 days with the premium at the 1% band); from then on PositionLib.pack reverted
    /// and every batch touching the market reverted as a whole (see `_fundingOverflowScenario`, which
    /// reverts on 486ef31). Now: four years of monthly trading stays far inside int96.
    function test_fundingIndex_18DecimalCollateralStaysInRange() public {
        uint8 market = _listDaiMarket();
        int256 cumulative = _fundingOverflowScenario(market);
        assertGt(cumulative, int256(0), "funding accrued");
        assertLt(cumulative, int256(type(int96).max) / 1e6, "and has more than a million times headroom");
        assertEq(_size(bob, USD, BTCUSD), 1, "the unrelated BTCUSD fill settled");
    }

    /// FINDING 2, continued: when a funding index does leave int96 (only for absurd contracts now: here
    /// one contract is worth $1e15), the fill is skipped with Overflow and the rest of the batch
    /// settles (SPEC §5), instead of the whole batch reverting.
    function test_fundingIndexOverflow_skipsTheFillNotTheBatch() public {
        MedianOracle giant = _medianOracle("GIANT/USD");
        _report(giant, 1e27);
        uint8 market = registry.listMarket("GIANT", _config(MarketKind.Linear, USD, 1e24, 0.5e18, address(giant)));
        _fund(alice, 1e21, 0);
        _fund(bob, 1e21, 0);
        _settle(_fill(1, _order(alice, market, false, 1, 1e27, 1), ALICE_PK, _order(bob, market, true, 1, 1e27, 1), BOB_PK));
        assertEq(_size(bob, USD, market), 1, "opened");
        // 1e21 units × 1e9 × 0.01% = 1e26 of index per 8 hours: int96 is passed after ~132 days.
        uint256 t = block.timestamp + 140 days;
        vm.warp(t);
        _report(giant, 1e27);
        _report(btcOracle, BTC_PRICE);
        (,,,, int256 cumulative,) = clearinghouse.marketState(market);
        assertGt(cumulative, int256(type(int96).max), "the funding index has left int96");
        bytes memory both = bytes.concat(
            _fill(1, _order(alice, market, false, 1, 1e27, 2), ALICE_PK, _order(bob, market, true, 1, 1e27, 2), BOB_PK),
            _fill(1, _order(alice, BTCUSD, false, 1, 100_000e18, 3), ALICE_PK, _order(bob, BTCUSD, true, 1, 100_000e18, 3), BOB_PK)
        );
        vm.recordLogs();
        _settle(both);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool skippedOverflow;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != IClearinghouseEvents.FillSkipped.selector) continue;
            (uint256 fillIndex, SkipReason reason) = abi.decode(logs[i].data, (uint256, SkipReason));
            if (fillIndex == 0 && reason == SkipReason.Overflow) skippedOverflow = true;
        }
        assertTrue(skippedOverflow, "the overflowing fill is skipped with Overflow");
        assertEq(_size(bob, USD, market), 1, "no change in the overflowing market");
        assertEq(_size(bob, USD, BTCUSD), 1, "the unrelated BTCUSD fill settled");
    }

    // ================================================================ IOC

    /// An IOC taker's remainder once stayed fillable in later batches, letting the keeper choose when
    /// (after which price move) to fill it. Now the batch that first fills it cancels the remainder.
    function test_iocTakerRemainderIsNotFillableInALaterBatch() public {
        Order memory ioc = _order(bob, BTCUSD, true, 10, 100_000e18, 1);
        ioc.flags = OrderFlags.IOC;
        _settle(_fill(4, _order(alice, BTCUSD, false, 4, 100_000e18, 1), ALICE_PK, ioc, BOB_PK));
        assertEq(_size(bob, USD, BTCUSD), 4, "first batch");
        vm.warp(block.timestamp + 1 hours);
        _report(btcOracle, 90_000e18);
        _settle(_fill(6, _order(carol, BTCUSD, false, 6, 100_000e18, 1), CAROL_PK, ioc, BOB_PK));
        assertEq(_size(bob, USD, BTCUSD), 4, "the IOC remainder must not fill an hour later");
    }

    function test_iocTakerSweepsSeveralMakersInOneBatch() public {
        Order memory ioc = _order(bob, BTCUSD, true, 10, 100_000e18, 7);
        ioc.flags = OrderFlags.IOC;
        _settle(
            bytes.concat(
                _fill(4, _order(alice, BTCUSD, false, 4, 100_000e18, 7), ALICE_PK, ioc, BOB_PK),
                _fill(5, _order(carol, BTCUSD, false, 5, 100_000e18, 7), CAROL_PK, ioc, BOB_PK)
            )
        );
        assertEq(_size(bob, USD, BTCUSD), 9, "both fills of the IOC taker settle in its batch");
        assertTrue(clearinghouse.isNonceUsed(SubaccountIdLib.from(bob, USD, 0), 7), "remainder cancelled");
    }

    function test_iocRemainderCancelledIsEmitted() public {
        Order memory ioc = _order(bob, BTCUSD, true, 10, 100_000e18, 8);
        ioc.flags = OrderFlags.IOC;
        vm.expectEmit(true, false, false, true, address(clearinghouse));
        emit IClearinghouseEvents.IocRemainderCancelled(SubaccountIdLib.from(bob, USD, 0), 8);
        _settle(_fill(4, _order(alice, BTCUSD, false, 4, 100_000e18, 8), ALICE_PK, ioc, BOB_PK));
    }

    // ================================================================ helpers

    function _balanceOf(address who, uint8 collateral) internal view returns (int256 balance) {
        (balance,,) = clearinghouse.account(SubaccountIdLib.from(who, collateral, 0));
    }

    /// @dev Four years of monthly 1-contract trades in `market` (the DAI market) at the index, then one
    /// batch with a fill there and an unrelated BTCUSD fill. Returns the market's funding index.
    function _fundingOverflowScenario(uint8 market) internal returns (int256 cumulative) {
        uint64 nonce = 100;
        uint256 t = block.timestamp; // tracked explicitly: via-IR may fold repeated block.timestamp reads
        for (uint256 month; month < 48; ++month) {
            t += 30 days;
            vm.warp(t);
            _report(btcOracle, BTC_PRICE);
            _settle(
                _fill(1, _order(alice, market, false, 1, 100_000e18, nonce), ALICE_PK, _order(bob, market, true, 1, 100_000e18, nonce), BOB_PK)
            );
            ++nonce;
        }
        bytes memory both = bytes.concat(
            _fill(1, _order(alice, market, false, 1, 100_000e18, nonce), ALICE_PK, _order(bob, market, true, 1, 100_000e18, nonce), BOB_PK),
            _fill(1, _order(alice, BTCUSD, false, 1, 100_000e18, nonce), ALICE_PK, _order(bob, BTCUSD, true, 1, 100_000e18, nonce), BOB_PK)
        );
        _settle(both);
        (,,,, cumulative,) = clearinghouse.marketState(market);
    }

    /// @dev Lists an 18-decimal stablecoin and a linear BTC-USD market settled in it, and funds alice
    /// and bob with it.
    function _listDaiMarket() internal returns (uint8 market) {
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        uint8 collateral = registry.listCollateral(address(dai));
        market = registry.listMarket("BTC-DAI", _config(MarketKind.Linear, collateral, 0.001e18, 0.5e18, address(btcOracle)));
        address[2] memory who = [alice, bob];
        for (uint256 i; i < 2; ++i) {
            dai.mint(who[i], 1_000_000e18);
            vm.startPrank(who[i]);
            dai.approve(address(clearinghouse), type(uint256).max);
            clearinghouse.deposit(collateral, 0, 1_000_000e18);
            vm.stopPrank();
        }
    }
}
