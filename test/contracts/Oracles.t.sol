// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {LucentFixture} from "./utils/LucentFixture.sol";
import {MedianOracle} from "../../contracts/oracles/MedianOracle.sol";
import {AggregatorOracleAdapter, IAggregatorV3} from "../../contracts/oracles/AggregatorOracleAdapter.sol";
import {IIndexOracle} from "../../contracts/interfaces/IIndexOracle.sol";
import {MockAggregator} from "../../contracts/mocks/MockAggregator.sol";
import {MarketConfig, MarketKind} from "../../contracts/types/Market.sol";

/// @notice The two index sources of SPEC §4: the devnet median of reporters and the production
/// Chainlink-style adapter with staleness and sequencer checks.
contract OraclesTest is LucentFixture {
    uint256 internal constant T0 = 1_700_000_000; // the fixture's start time
    MedianOracle internal median; // 3 reporters, quorum 2, reports count for 5 minutes
    address[3] internal r;

    function setUp() public override {
        super.setUp();
        median = new MedianOracle(address(manager), "TEST/USD", 2, 5 minutes);
        for (uint256 i; i < 3; ++i) {
            r[i] = vm.addr(0x7000 + i);
            median.addReporter(r[i]);
        }
    }

    function _reportAs(uint256 i, uint256 price) internal {
        vm.prank(r[i]);
        median.report(price);
    }

    function _assertIndex(IIndexOracle o, uint256 price, uint256 updatedAt, string memory what) internal view {
        (uint256 p, uint256 u) = o.latestIndex();
        assertEq(p, price, string.concat(what, ": price"));
        assertEq(u, updatedAt, string.concat(what, ": updatedAt"));
    }

    // ================================================================== MedianOracle

    function test_median_ofThreeReportsIsTheMiddleOne() public {
        _reportAs(0, 300e18);
        vm.warp(T0 + 10);
        _reportAs(1, 100e18);
        vm.warp(T0 + 20);
        _reportAs(2, 200e18);
        // updatedAt is the oldest report that counts.
        _assertIndex(IIndexOracle(address(median)), 200e18, T0, "median of 3");
    }

    function test_median_ofTwoReportsIsTheirAverage() public {
        _reportAs(0, 100e18);
        _reportAs(2, 301e18);
        _assertIndex(IIndexOracle(address(median)), 200.5e18, T0, "average of 2");
        // The average rounds down.
        _reportAs(0, 1);
        _reportAs(2, 2);
        _assertIndex(IIndexOracle(address(median)), 1, T0, "rounded down");
    }

    function test_median_excludesReportsOlderThanMaxReportAge() public {
        _reportAs(0, 1_000e18); // at T0
        vm.warp(T0 + 100);
        _reportAs(1, 200e18);
        _reportAs(2, 300e18);
        // At T0 + 300 the first report is exactly maxReportAge old: it still counts.
        vm.warp(T0 + 300);
        _assertIndex(IIndexOracle(address(median)), 300e18, T0, "three fresh");
        // One second later it is stale. A read does not recompute: the index still shows the median
        // as of the last report, and its age (updatedAt = its oldest input) lets the reader judge it.
        vm.warp(T0 + 301);
        _assertIndex(IIndexOracle(address(median)), 300e18, T0, "as of the last report");
        // The next report recomputes without the stale one: the median of the two fresh others.
        _reportAs(2, 300e18);
        _assertIndex(IIndexOracle(address(median)), 250e18, T0 + 100, "stale excluded");
    }

    function test_median_belowQuorumReportsUpdatedAtZero() public {
        _assertIndex(IIndexOracle(address(median)), 0, 0, "no reports");
        _reportAs(1, 100e18);
        _assertIndex(IIndexOracle(address(median)), 0, 0, "one of two");
        _reportAs(2, 100e18);
        _assertIndex(IIndexOracle(address(median)), 100e18, T0, "quorum reached");
        vm.warp(T0 + 301);
        _assertIndex(IIndexOracle(address(median)), 100e18, T0, "its age shows it stale");
        _reportAs(0, 150e18);
        _assertIndex(IIndexOracle(address(median)), 0, 0, "one fresh of two needed");
    }

    function test_median_aNewReportReplacesTheReportersPrevious() public {
        _reportAs(0, 100e18);
        _reportAs(1, 200e18);
        _reportAs(2, 300e18);
        vm.warp(T0 + 60);
        _reportAs(1, 1_000e18);
        _assertIndex(IIndexOracle(address(median)), 300e18, T0, "median moved");
    }

    function test_report_emitsPriceReported() public {
        vm.warp(T0 + 5);
        vm.expectEmit(true, false, false, true, address(median));
        emit MedianOracle.PriceReported(r[0], 123e18, T0 + 5);
        _reportAs(0, 123e18);
    }

    function test_report_revertsForANonReporter() public {
        _reportAs(0, 100e18);
        _reportAs(1, 100e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(MedianOracle.MedianOracleNotReporter.selector, alice));
        median.report(1e18);
        _assertIndex(IIndexOracle(address(median)), 100e18, T0, "unchanged");
    }

    function test_report_revertsOnAZeroPrice() public {
        _reportAs(0, 100e18);
        _reportAs(1, 100e18);
        vm.warp(T0 + 10);
        vm.prank(r[0]);
        vm.expectRevert(abi.encodeWithSelector(MedianOracle.MedianOracleZeroPrice.selector));
        median.report(0);
        _assertIndex(IIndexOracle(address(median)), 100e18, T0, "unchanged");
    }

    /// Prices are stored in 128 bits; a larger report is refused instead of silently truncated.
    function test_report_revertsOnPricesAbove128Bits() public {
        uint256 huge = (uint256(1) << 128) + 100e18;
        vm.prank(r[0]);
        vm.expectRevert(abi.encodeWithSelector(MedianOracle.MedianOraclePriceTooLarge.selector, huge));
        median.report(huge);
    }

    function test_reporters_areManagedByTheAuthorityOnly() public {
        address extra = vm.addr(0x7777);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        median.addReporter(extra);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        median.removeReporter(r[0]);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        median.setQuorum(1, 1 hours);
        assertEq(median.reporters().length, 3, "reporters unchanged");
        assertEq(median.quorum(), 2, "quorum unchanged");
    }

    function test_addReporter_revertsForAnExistingReporter() public {
        vm.expectRevert(abi.encodeWithSelector(MedianOracle.MedianOracleAlreadyReporter.selector, r[1]));
        median.addReporter(r[1]);
        assertEq(median.reporters().length, 3, "unchanged");
    }

    function test_removeReporter_dropsItsReportAndKeepsQuorumPossible() public {
        _reportAs(0, 100e18);
        _reportAs(1, 200e18);
        _reportAs(2, 900e18);
        vm.expectEmit(true, false, false, false, address(median));
        emit MedianOracle.ReporterRemoved(r[2]);
        median.removeReporter(r[2]);
        assertFalse(median.isReporter(r[2]), "removed");
        assertEq(median.reporters().length, 2, "two left");
        _assertIndex(IIndexOracle(address(median)), 150e18, T0, "its report no longer counts");
        vm.prank(r[2]);
        vm.expectRevert(abi.encodeWithSelector(MedianOracle.MedianOracleNotReporter.selector, r[2]));
        median.report(1e18);

        // Removing another would leave fewer reporters than the quorum.
        vm.expectRevert(abi.encodeWithSelector(MedianOracle.MedianOracleBadQuorum.selector, 2, 1));
        median.removeReporter(r[1]);
        assertTrue(median.isReporter(r[1]), "kept");
        vm.expectRevert(abi.encodeWithSelector(MedianOracle.MedianOracleNotReporter.selector, r[2]));
        median.removeReporter(r[2]);
    }

    function test_setQuorum_validatesAndApplies() public {
        vm.expectRevert(abi.encodeWithSelector(MedianOracle.MedianOracleBadQuorum.selector, 0, 3));
        median.setQuorum(0, 1 hours);
        vm.expectRevert(abi.encodeWithSelector(MedianOracle.MedianOracleBadQuorum.selector, 4, 3));
        median.setQuorum(4, 1 hours);
        assertEq(median.quorum(), 2, "quorum unchanged by the failed calls");
        assertEq(median.maxReportAge(), 5 minutes, "max age unchanged by the failed calls");

        median.setQuorum(1, 1 hours);
        assertEq(median.quorum(), 1, "quorum");
        assertEq(median.maxReportAge(), 1 hours, "max age");
        _reportAs(0, 42e18);
        _assertIndex(IIndexOracle(address(median)), 42e18, T0, "one report suffices");
        vm.warp(T0 + 1 hours);
        _assertIndex(IIndexOracle(address(median)), 42e18, T0, "fresh for an hour");
    }

    // ================================================================== AggregatorOracleAdapter

    function _adapter(uint8 decimals) internal returns (MockAggregator agg, AggregatorOracleAdapter adapter) {
        agg = new MockAggregator(decimals);
        adapter = new AggregatorOracleAdapter(IAggregatorV3(address(agg)), IAggregatorV3(address(0)), 0);
    }

    function test_adapter_scalesTheAnswerTo18Decimals() public {
        (MockAggregator agg, AggregatorOracleAdapter adapter) = _adapter(8);
        agg.set(2_000_12345678, T0 - 30);
        _assertIndex(IIndexOracle(address(adapter)), 2_000.12345678e18, T0 - 30, "8 decimals");

        (agg, adapter) = _adapter(18);
        agg.set(1.5e18, T0);
        _assertIndex(IIndexOracle(address(adapter)), 1.5e18, T0, "18 decimals");

        (agg, adapter) = _adapter(0);
        agg.set(7, T0);
        _assertIndex(IIndexOracle(address(adapter)), 7e18, T0, "0 decimals");
    }

    function test_adapter_passesOldRoundsThroughForTheClearinghouseToJudge() public {
        (MockAggregator agg, AggregatorOracleAdapter adapter) = _adapter(8);
        agg.set(100e8, T0 - 1 days);
        _assertIndex(IIndexOracle(address(adapter)), 100e18, T0 - 1 days, "old but valid");
    }

    function test_adapter_revertsOnMoreThan18Decimals() public {
        MockAggregator agg = new MockAggregator(19);
        vm.expectRevert(abi.encodeWithSelector(AggregatorOracleAdapter.AggregatorDecimalsTooLarge.selector, 19));
        new AggregatorOracleAdapter(IAggregatorV3(address(agg)), IAggregatorV3(address(0)), 0);
    }

    function test_adapter_reportsNonPositiveAnswersAsUnusable() public {
        (MockAggregator agg, AggregatorOracleAdapter adapter) = _adapter(8);
        agg.set(0, T0);
        _assertIndex(IIndexOracle(address(adapter)), 0, 0, "zero");
        agg.set(-1, T0);
        _assertIndex(IIndexOracle(address(adapter)), 0, 0, "negative");
    }

    function test_adapter_reportsAnUnansweredRoundAsUnusable() public {
        (MockAggregator agg, AggregatorOracleAdapter adapter) = _adapter(8);
        agg.setRound(5, 100e8, T0, T0, 4);
        _assertIndex(IIndexOracle(address(adapter)), 0, 0, "answeredInRound < roundId");
        agg.setRound(5, 100e8, T0, T0, 5);
        _assertIndex(IIndexOracle(address(adapter)), 100e18, T0, "answered");
    }

    function test_adapter_reportsMissingOrFutureTimestampsAsUnusable() public {
        (MockAggregator agg, AggregatorOracleAdapter adapter) = _adapter(8);
        agg.setRound(1, 100e8, 0, 0, 1);
        _assertIndex(IIndexOracle(address(adapter)), 0, 0, "updatedAt 0");
        agg.setRound(2, 100e8, T0 + 1, T0 + 1, 2);
        _assertIndex(IIndexOracle(address(adapter)), 0, 0, "updatedAt in the future");
    }

    function _withSequencer(uint256 grace)
        internal
        returns (MockAggregator agg, MockAggregator seq, AggregatorOracleAdapter adapter)
    {
        agg = new MockAggregator(8);
        seq = new MockAggregator(0);
        adapter = new AggregatorOracleAdapter(IAggregatorV3(address(agg)), IAggregatorV3(address(seq)), grace);
        agg.set(100e8, T0);
    }

    function test_adapter_reportsUnusableWhileTheSequencerIsDown() public {
        (, MockAggregator seq, AggregatorOracleAdapter adapter) = _withSequencer(1 hours);
        seq.setRound(1, 1, T0 - 1 days, T0 - 1 days, 1); // status 1 = down
        _assertIndex(IIndexOracle(address(adapter)), 0, 0, "sequencer down");
    }

    function test_adapter_reportsUnusableWithinTheSequencerGracePeriod() public {
        (, MockAggregator seq, AggregatorOracleAdapter adapter) = _withSequencer(1 hours);
        seq.setRound(2, 0, T0 - 30 minutes, T0 - 30 minutes, 2); // up again 30 minutes ago
        _assertIndex(IIndexOracle(address(adapter)), 0, 0, "within grace");
        vm.warp(T0 + 30 minutes); // exactly the grace period since it came up
        _assertIndex(IIndexOracle(address(adapter)), 0, 0, "at the end of grace");
        vm.warp(T0 + 30 minutes + 1);
        _assertIndex(IIndexOracle(address(adapter)), 100e18, T0, "after grace");
    }

    function test_adapter_reportsUnusableWhenTheSequencerFeedHasNoRound() public {
        (, MockAggregator seq, AggregatorOracleAdapter adapter) = _withSequencer(1 hours);
        seq.setRound(0, 0, 0, 0, 0);
        _assertIndex(IIndexOracle(address(adapter)), 0, 0, "startedAt 0");
    }

    /// The clearinghouse treats an adapter's `updatedAt = 0` as a stale index.
    function test_adapter_unusableIndexMakesTheMarketStale() public {
        (MockAggregator agg, MockAggregator seq, AggregatorOracleAdapter adapter) = _withSequencer(1 hours);
        seq.setRound(1, 0, T0 - 2 hours, T0 - 2 hours, 1);
        MarketConfig memory cfg = _config(MarketKind.Linear, USD, 0.001e18, 0.5e18, address(adapter));
        uint8 id = registry.listMarket("BTC-USD-CL", cfg);
        (uint256 index, bool fresh,,,,) = clearinghouse.marketState(id);
        assertEq(index, 100e18, "index");
        assertTrue(fresh, "fresh while the sequencer is up");

        seq.setRound(2, 1, T0, T0, 2); // sequencer goes down
        (index, fresh,,,,) = clearinghouse.marketState(id);
        assertEq(index, 0, "no index");
        assertFalse(fresh, "stale");

        seq.setRound(3, 0, T0 - 2 hours, T0 - 2 hours, 3);
        agg.set(100e8, T0 - 3 minutes); // older than maxIndexAge (2 minutes)
        (index, fresh,,,,) = clearinghouse.marketState(id);
        assertEq(index, 100e18, "price still read");
        assertFalse(fresh, "but stale by age");
    }
}
