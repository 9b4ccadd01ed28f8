// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {MarketKind} from "../../../contracts/types/Market.sol";
import {ContractMath} from "../../../contracts/libraries/ContractMath.sol";
import {LiquidationMath} from "../../../contracts/libraries/LiquidationMath.sol";
import {AdlMath} from "../../../contracts/libraries/AdlMath.sol";
import {FixedPoint} from "../../../contracts/libraries/FixedPoint.sol";

/// @dev SPEC §3, §6, §7: bankruptcy price, partial close size, ADL score and pro-rata shares.
contract RiskMathTest is Test {
    uint256 internal constant USD_UNIT = 1e6;
    uint256 internal constant XBT_UNIT = 1e8;

    // ================================================================ bankruptcy price

    /// A long 900 × 0.001 BTC with $4,105 at $93,500: P = 93,500 − 4,105 / 0.9.
    function test_bankruptcyPrice_linearLong() public pure {
        uint256 p = LiquidationMath.bankruptcyPrice(MarketKind.Linear, 0.001e18, USD_UNIT, 900, 93_500e18, 4_105e6);
        assertEq(p, 93_500e18 - uint256(4_105e18) * 10 / 9, "mark - equity/(qM), rounded up for a long");
    }

    /// Inverse XBTUSD long 10,000 × $1 at $10,000 with 0.1 XBT: 1/P = 1/10,000 + 0.1/10,000 → $9,090.90…
    function test_bankruptcyPrice_inverseLong() public pure {
        uint256 p = LiquidationMath.bankruptcyPrice(MarketKind.Inverse, 1e18, XBT_UNIT, 10_000, 10_000e18, 0.1e8);
        assertEq(p, 9_090_909_090_909_090_909_091, "A*mark/(A + e*mark), rounded up");
    }

    function test_bankruptcyPrice_inverseLongBeyondRescueIsTheMaximum() public pure {
        // The whole position is worth 1 XBT at mark; equity is −1.5 XBT: no price makes it whole.
        uint256 p = LiquidationMath.bankruptcyPrice(MarketKind.Inverse, 1e18, XBT_UNIT, 10_000, 10_000e18, -1.5e8);
        assertEq(p, LiquidationMath.MAX_PRICE, "clamped");
    }

    function test_bankruptcyPrice_linearLongWithMoreEquityThanValueIsOne() public pure {
        uint256 p = LiquidationMath.bankruptcyPrice(MarketKind.Linear, 0.001e18, USD_UNIT, 1, 100e18, 1_000e6);
        assertEq(p, 1, "clamped to the smallest price");
    }

    /// Closing the whole position at its bankruptcy price leaves the equity at zero, never below,
    /// and above zero by no more than the rounding of one price step.
    function testFuzz_bankruptcyPrice_closingThereLeavesZeroEquity(
        uint8 kindSeed,
        uint256 sizeSeed,
        uint256 markSeed,
        uint256 equitySeed,
        bool long
    ) public pure {
        MarketKind kind = MarketKind(kindSeed % 3);
        (uint256 multiplier, uint256 unit) = kind == MarketKind.Linear
            ? (uint256(0.001e18), USD_UNIT)
            : kind == MarketKind.Inverse ? (uint256(1e18), XBT_UNIT) : (uint256(0.000001e18), XBT_UNIT);
        int256 size = int256(bound(sizeSeed, 1, 1e9));
        if (!long) size = -size;
        uint256 mark = bound(markSeed, 100e18, 1_000_000e18);
        uint256 value = ContractMath.notional(kind, multiplier, size, mark, unit);
        // equity between −50% and +20% of the position's value (a liquidation's range and beyond)
        int256 equity = int256(bound(equitySeed, 0, value * 7 / 10)) - int256(value / 2);
        uint256 p = LiquidationMath.bankruptcyPrice(kind, multiplier, unit, size, mark, equity);
        if (p == 1 || p == LiquidationMath.MAX_PRICE) return; // no such price: clamped (tested above)
        // equity after closing at p = equity + value(p) − value(mark), exact in the 1e36 scale
        int256 change = _exactValue(kind, multiplier, unit, size, p) - _exactValue(kind, multiplier, unit, size, mark);
        int256 afterScaled = equity * 1e36 + change;
        assertGe(afterScaled, 0, "never below zero");
        // One price step (1e-18) moves the value by at most |q|·M·unit (linear) or A/p² (inverse).
        int256 step = _exactValue(kind, multiplier, unit, size, p + (long ? 1 : 0))
            - _exactValue(kind, multiplier, unit, size, p - (long ? 0 : 1));
        assertLe(afterScaled, (step < 0 ? -step : step) + 1e36, "zero up to one price step");
    }

    /// Value of `size` at `price`, ×1e36, exact for linear/quanto, floored for inverse.
    function _exactValue(MarketKind kind, uint256 multiplier, uint256 unit, int256 size, uint256 price)
        internal
        pure
        returns (int256)
    {
        uint256 q = FixedPoint.abs(size);
        if (kind == MarketKind.Inverse) {
            uint256 v = FixedPoint.mulDiv(q * multiplier * unit, 1e36, price, false);
            return size > 0 ? -int256(v) : int256(v);
        }
        uint256 w = q * multiplier * unit * price;
        return size > 0 ? int256(w) : -int256(w);
    }

    // ================================================================ partial close size

    function test_partialCloseSize_theWorkedExample() public pure {
        // IM 8,415, equity 4,105, position notional 84,150, IM 10%, fee 1%: ⌈4,310·900/7,573.5⌉ = 513.
        assertEq(LiquidationMath.partialCloseSize(900, 1, 4_310e6, 84_150e6, 0.1e18, 0.01e18), 513, "513");
        assertEq(LiquidationMath.partialCloseSize(900, 10, 4_310e6, 84_150e6, 0.1e18, 0.01e18), 520, "lot 10");
        assertEq(LiquidationMath.partialCloseSize(900, 1, 80_000e6, 84_150e6, 0.1e18, 0.01e18), 900, "capped");
        assertEq(LiquidationMath.partialCloseSize(900, 1, 1, 84_150e6, 0.01e18, 0.01e18), 900, "fee >= IM: all");
    }

    /// The size restores IM at mark after its fee, and one lot less would not.
    function testFuzz_partialCloseSize_isTheLeastThatRestoresIm(
        uint256 sizeSeed,
        uint256 lotSeed,
        uint256 deficitSeed,
        uint256 notionalSeed
    ) public pure {
        uint256 lot = bound(lotSeed, 1, 100);
        uint256 absSize = bound(sizeSeed, 1, 1e6) * lot;
        uint256 notional = bound(notionalSeed, 1e6, 1e15);
        uint256 relief = FixedPoint.mulRateDown(notional, 0.09e18);
        uint256 deficit = bound(deficitSeed, 1, relief);
        uint256 s = LiquidationMath.partialCloseSize(absSize, lot, deficit, notional, 0.1e18, 0.01e18);
        assertEq(s % lot, 0, "a multiple of the lot");
        assertLe(s, absSize, "never more than the position");
        // s·relief/absSize ≥ deficit (restores IM), (s − lot)·relief/absSize < deficit (least)
        assertGe(s * relief, deficit * absSize, "restores IM");
        if (s >= lot) assertLt((s - lot) * relief, deficit * absSize, "one lot less does not");
    }

    // ================================================================ ADL score

    function test_score_profitableRanksByPnlTimesLeverage() public pure {
        // +10% at 2x vs +10% at 5x: the more levered ranks first; both ahead of any loser.
        int256 a = AdlMath.score(110e6, 100e6, 55e6);
        int256 b = AdlMath.score(110e6, 100e6, 22e6);
        int256 loser = AdlMath.score(90e6, 100e6, 45e6);
        assertEq(a, 0.2e18, "10% x 2");
        assertEq(b, 0.5e18, "10% x 5");
        assertGt(b, a, "more levered first");
        assertLt(loser, 0, "losers score below zero");
    }

    function test_score_losersRankByPnlOverLeverage() public pure {
        // −10% at 2x → −0.05; −10% at 4x → −0.025: the more levered loser ranks first among losers.
        assertEq(AdlMath.score(90e6, 100e6, 45e6), -0.05e18, "-10% / 2");
        assertEq(AdlMath.score(90e6, 100e6, 22.5e6), -0.025e18, "-10% / 4");
    }

    function test_score_shortsUseSignedValues() public pure {
        // A short with basis −100 now marked −90 (price fell 10%): +10% on 90/45 = 2x → 0.2.
        assertEq(AdlMath.score(-90e6, -100e6, 45e6), 0.2e18, "profitable short");
    }

    function test_score_underwaterHolderCountsAsMaximallyLevered() public pure {
        assertEq(AdlMath.score(110e6, 100e6, -5e6), 0.1e18 * 110e6, "equity <= 0 -> leverage |V|*1e18/1");
    }

    function testFuzz_score_signFollowsPnl(int128 markValue, int128 basis, int128 equity) public pure {
        int256 s = AdlMath.score(markValue, basis, equity);
        int256 pnl = int256(markValue) - int256(basis);
        if (pnl > 0) assertGe(s, 0, "profitable: >= 0");
        else assertLe(s, 0, "losing or flat: <= 0");
    }

    // ================================================================ pro-rata shares

    function testFuzz_proRata_sharesSumToTheShortfallAndStayWithinOneLot(uint256 seed, uint8 countSeed) public pure {
        uint256 n = bound(countSeed, 1, 30);
        uint256[] memory lots = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            lots[i] = bound(uint256(keccak256(abi.encode(seed, i))), 1, 1e9);
            total += lots[i];
        }
        uint256 shortfall = bound(seed, 0, total);
        uint256 sum;
        uint256 cumulative;
        for (uint256 i; i < n; ++i) {
            uint256 share = AdlMath.proRataShare(shortfall, cumulative, cumulative + lots[i], total);
            cumulative += lots[i];
            assertLe(share, lots[i], "never more than the position");
            // within one lot of the exact share s·t/T
            uint256 exactDown = shortfall * lots[i] / total;
            assertGe(share + 1, exactDown, "at least the exact share less one");
            assertLe(share, exactDown + 1, "at most the exact share plus one");
            sum += share;
        }
        assertEq(sum, shortfall, "exactly the shortfall (INV-6)");
    }
}
