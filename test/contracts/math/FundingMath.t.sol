// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MathBase} from "./MathBase.t.sol";
import {MarketKind} from "../../../contracts/types/Market.sol";

/// @dev SPEC §4: mark price, premium EMA, funding rate and the cumulative funding index.
contract FundingMathTest is MathBase {
    int256 internal constant IWAD = 1e18;

    function _iabs(int256 x) internal pure returns (int256) {
        return x >= 0 ? x : -x;
    }

    // ================================================================ funding rate

    function test_fundingRate_examples() public view {
        // The fixture's parameters: interest 0.01%, cap 0.05% per interval, mark band 1%.
        assertEq(h.fundingRate(0, 0.0001e18, 0.0005e18), 0.0001e18, "no premium: the interest rate");
        assertEq(h.fundingRate(0.0003e18, 0.0001e18, 0.0005e18), 0.0001e18, "small premium: still interest");
        assertEq(h.fundingRate(0.01e18, 0.0001e18, 0.0005e18), 0.0095e18, "premium at band: longs pay");
        assertEq(h.fundingRate(-0.01e18, 0.0001e18, 0.0005e18), -0.0095e18, "discount at band: shorts pay");
        assertEq(h.fundingRate(0.01e18, 0.0001e18, 0), 0.01e18, "no cap: the premium");
    }

    function testFuzz_fundingRate_clamp(int256 premium, int256 interest, uint256 cap) public view {
        premium = boundInt(premium, -1e18, 1e18);
        interest = boundInt(interest, -0.1e18, 0.1e18);
        cap = bound(cap, 0, 0.1e18);
        int256 r = h.fundingRate(premium, interest, cap);
        int256 c = int256(cap);
        assertGe(r, premium - c, "rate >= premium - cap");
        assertLe(r, premium + c, "rate <= premium + cap");
        if (_iabs(interest - premium) <= c) assertEq(r, interest, "within the cap: the interest rate");
        else if (interest > premium) assertEq(r, premium + c, "clamped up");
        else assertEq(r, premium - c, "clamped down");
        assertLe(_iabs(r - interest), _iabs(premium - interest), "between premium and interest");
    }

    // ================================================================ mark

    function test_markPrice_examples() public view {
        assertEq(h.markPrice(100_000e18, 0.005e18, 0.01e18), 100_500e18, "premium inside the band");
        assertEq(h.markPrice(100_000e18, 0.05e18, 0.01e18), 101_000e18, "clamped to +band");
        assertEq(h.markPrice(100_000e18, -0.05e18, 0.01e18), 99_000e18, "clamped to -band");
        assertEq(h.markPrice(100_000e18, 0, 0.01e18), 100_000e18, "no premium");
        assertEq(h.clampPremium(0.02e18, 0.01e18), 0.01e18, "clamp +");
        assertEq(h.clampPremium(-0.02e18, 0.01e18), -0.01e18, "clamp -");
        assertEq(h.clampPremium(0.002e18, 0.01e18), 0.002e18, "inside");
    }

    function testFuzz_clampPremium(int256 ema, uint256 band) public view {
        ema = boundInt(ema, -100e18, 100e18);
        band = bound(band, 0, 1e18 - 1);
        int256 p = h.clampPremium(ema, band);
        assertLe(_iabs(p), int256(band), "|premium| <= band");
        if (_iabs(ema) <= int256(band)) assertEq(p, ema, "inside the band: unchanged");
        else assertEq(p, ema > 0 ? int256(band) : -int256(band), "outside: the nearest edge");
    }

    /// mark = index × (1 + clamp(ema, ±band)) floored, always inside the band around the index.
    function testFuzz_markPrice_band(uint256 is_, int256 ema, int256 ema2, uint256 band) public view {
        uint256 index = _price(is_);
        ema = boundInt(ema, -10e18, 10e18);
        ema2 = boundInt(ema2, -10e18, 10e18);
        band = bound(band, 0, 1e18 - 1); // the registry rejects band >= 100%
        uint256 mark = h.markPrice(index, ema, band);
        int256 p = h.clampPremium(ema, band);
        assertEq(mark, Math.mulDiv(index, uint256(IWAD + p), 1e18), "index x (1 + premium) floored");
        assertGe(mark, Math.mulDiv(index, 1e18 - band, 1e18), "mark >= index x (1 - band)");
        assertLe(mark, Math.mulDiv(index, 1e18 + band, 1e18), "mark <= index x (1 + band)");
        if (band < 1e18 && index >= 1e18) assertGt(mark, 0, "mark > 0");
        (int256 lo, int256 hi) = ema <= ema2 ? (ema, ema2) : (ema2, ema);
        assertLe(h.markPrice(index, lo, band), h.markPrice(index, hi, band), "monotone in the premium");
    }

    // ================================================================ premium sample and EMA

    /// sample = (price − index)/index, truncated towards zero.
    function testFuzz_premiumSample(uint256 ps, uint256 is_) public view {
        (uint256 price, uint256 index) = (_price(ps), _price(is_));
        int256 s = h.premiumSample(price, index);
        uint256 diff = price >= index ? price - index : index - price;
        if (s != 0) assertEq(s > 0, price > index, "sign");
        uint256 m = _abs(s);
        // m·index ≤ |price − index|·1e18 < (m + 1)·index
        assertTrue(_cmp(m, index, diff, 1e18) <= 0, "|sample| <= exact");
        assertTrue(_cmp(diff, 1e18, m + 1, index) < 0, "|sample| > exact - 1");
        if (price == index) assertEq(s, 0, "at the index: 0");
    }

    function testFuzz_updatePremiumEma(int256 ema, int256 sample, uint256 dt, uint256 dt2, uint256 period) public view {
        ema = boundInt(ema, -10e18, 10e18);
        sample = boundInt(sample, -10e18, 10e18);
        dt = bound(dt, 0, 1e8);
        dt2 = bound(dt2, dt, 1e8);
        period = bound(period, 0, 1e7);
        int256 next = h.updatePremiumEma(ema, sample, dt, period);
        (int256 lo, int256 hi) = ema <= sample ? (ema, sample) : (sample, ema);
        assertGe(next, lo, "between ema and sample (lo)");
        assertLe(next, hi, "between ema and sample (hi)");
        assertLe(_iabs(next - sample), _iabs(ema - sample), "moves towards the sample");
        // The reference: α = max(dt, 1)/(max(dt, 1) + period), the step truncated towards zero.
        uint256 elapsed = dt == 0 ? 1 : dt;
        int256 alpha = int256(elapsed * 1e18 / (elapsed + period));
        assertEq(next, ema + (sample - ema) * alpha / IWAD, "reference formula");
        // A longer interval moves at least as far.
        assertLe(_iabs(h.updatePremiumEma(ema, sample, dt2, period) - sample), _iabs(next - sample), "monotone in dt");
        if (period == 0) assertEq(next, sample, "no smoothing: the sample");
        assertEq(h.updatePremiumEma(sample, sample, dt, period), sample, "at the sample: unchanged");
    }

    function test_updatePremiumEma_sameSecondStillCounts() public view {
        // dt = 0 counts as one second: α = 1/601 with a 10-minute period.
        int256 next = h.updatePremiumEma(0, 0.601e18, 0, 600);
        assertEq(next, int256(0.601e18) * int256(uint256(1e18) / 601) / 1e18, "one second of weight");
        assertGt(next, int256(0), "moved");
    }

    // ================================================================ funding index and owed

    /// Fixture ETHUSD (quanto, M = 0.000001 XBT/USD) at $4,000: 0.004 XBT a contract; 0.01% for one full
    /// interval is 40 sat a contract; 1,000 contracts owe 0.0004 XBT.
    function test_funding_reference() public view {
        int256 delta = h.fundingIndexDelta(MarketKind.Quanto, 0.000001e18, 1e8, 4_000e18, 0.0001e18, 8 hours, 8 hours);
        assertEq(delta, 40e9, "40 sat x 1e9 per contract");
        assertEq(h.fundingOwed(1_000, delta, 0, 1e8), 40_000, "long owes 40,000 sat");
        assertEq(h.fundingOwed(-1_000, delta, 0, 1e8), -40_000, "short receives 40,000 sat");
        assertEq(h.fundingOwed(0, delta, 0, 1e8), 0, "flat owes nothing");
        assertEq(h.fundingIndexDelta(MarketKind.Quanto, 0.000001e18, 1e8, 4_000e18, 0.0001e18, 0, 8 hours), 0, "dt 0");
        assertEq(h.fundingIndexDelta(MarketKind.Quanto, 0.000001e18, 1e8, 4_000e18, 0, 1 hours, 8 hours), 0, "rate 0");
    }

    function testFuzz_fundingIndexDelta(
        uint256 k,
        uint256 ms,
        uint256 us,
        uint256 marks,
        int256 rate,
        uint256 dt1,
        uint256 dt2,
        uint256 interval
    ) public view {
        MarketKind kind = _kind(k);
        (uint256 mult, uint256 unit, uint256 mark) = (_mult(ms), _unit(us), _price(marks));
        rate = boundInt(rate, -0.01e18, 0.01e18);
        dt1 = bound(dt1, 0, 30 days);
        dt2 = bound(dt2, 0, 30 days);
        interval = bound(interval, 1, 30 days);
        int256 d1 = h.fundingIndexDelta(kind, mult, unit, mark, rate, dt1, interval);
        int256 d2 = h.fundingIndexDelta(kind, mult, unit, mark, rate, dt2, interval);
        int256 d12 = h.fundingIndexDelta(kind, mult, unit, mark, rate, dt1 + dt2, interval);
        if (d1 != 0) assertEq(d1 > 0, rate > 0, "longs pay when the rate is positive");
        if (rate == 0 || dt1 == 0) assertEq(d1, 0, "nothing accrues");
        // rate × value of one contract (× the funding precision, rounded up) × dt / interval, rounded
        // towards −∞.
        uint256 cv = h.notional(kind, mult, 1, mark, unit * h.fundingPrecision(unit));
        _assertRounded(d1, rate < 0, cv * _abs(rate), dt1, interval * 1e18, false, "index delta");
        // Accruing in two steps never grows the index by more than one step, and by at most 1 less.
        assertLe(d1 + d2, d12, "split accrual <= single accrual");
        assertGe(d1 + d2, d12 - 1, "within 1");
        // Opposite rates: the same magnitude, both rounded towards −∞.
        int256 neg = h.fundingIndexDelta(kind, mult, unit, mark, -rate, dt1, interval);
        assertLe(d1 + neg, int256(0), "d(r) + d(-r) <= 0");
        assertGe(d1 + neg, int256(-1), "d(r) + d(-r) >= -1");
    }

    function test_fundingPrecision_neverFinerThanAnAttoToken() public view {
        assertEq(h.fundingPrecision(1e6), 1e9, "6 decimals");
        assertEq(h.fundingPrecision(1e8), 1e9, "8 decimals");
        assertEq(h.fundingPrecision(1e9), 1e9, "9 decimals");
        assertEq(h.fundingPrecision(1e12), 1e6, "12 decimals");
        assertEq(h.fundingPrecision(1e18), 1, "18 decimals");
    }

    /// Precision min(1e9, 1e18/unit): one index step is never finer than 1e-18 of a whole token.
    function testFuzz_fundingPrecision(uint256 us) public view {
        uint256 unit = _unit(us);
        uint256 p = h.fundingPrecision(unit);
        assertGe(p, 1, "precision >= 1");
        assertLe(p, 1e9, "precision <= 1e9");
        assertLe(p * unit, 1e18, "unit x precision <= 1e18");
        if (unit <= 1e9) assertEq(p, 1e9, "coarse tokens: 1e9");
        else assertEq(p * unit, 1e18, "fine tokens: exactly 1e-18 of a token");
    }

    /// Longs pay exactly what shorts receive, plus at most one unit kept by the protocol.
    function testFuzz_fundingOwed_longShortNetsToDust(uint256 ss, int256 cum, int256 snap, uint256 us) public view {
        int256 size = int256(_logUniform(ss, 0, MAX_SIZE_EXP));
        uint256 unit = _unit(us);
        int256 p = int256(h.fundingPrecision(unit));
        cum = boundInt(cum, -1e30, 1e30);
        snap = boundInt(snap, -1e30, 1e30);
        int256 longOwes = h.fundingOwed(size, cum, snap, unit);
        int256 shortOwes = h.fundingOwed(-size, cum, snap, unit);
        assertGe(longOwes + shortOwes, int256(0), "the protocol never pays out more than it collects");
        assertLe(longOwes + shortOwes, int256(1), "and keeps at most 1 unit");
        // owed = ceil(size × (cum − snap) / precision): a debit rounded up, a credit towards zero.
        int256 exact = size * (cum - snap);
        assertGe(longOwes * p, exact, "long: owed >= exact");
        assertLt((longOwes - 1) * p, exact, "long: owed < exact + 1");
        assertGe(shortOwes * p, -exact, "short: owed >= exact");
        assertLt((shortOwes - 1) * p, -exact, "short: owed < exact + 1");
        assertEq(h.fundingOwed(0, cum, snap, unit), 0, "flat owes nothing");
    }

    /// Any set of positions that nets to zero contracts pays in at least what it pays out.
    function testFuzz_fundingOwed_zeroNetPositions(uint256 a, uint256 b, uint256 c, int256 cum, int256 snap, uint256 us)
        public
        view
    {
        int256 l1 = int256(_logUniform(a, 0, MAX_SIZE_EXP));
        int256 l2 = int256(_logUniform(b, 0, MAX_SIZE_EXP));
        int256 s1 = -int256(bound(c, 0, uint256(l1 + l2)));
        int256 s2 = -(l1 + l2) - s1;
        uint256 unit = _unit(us);
        cum = boundInt(cum, -1e30, 1e30);
        snap = boundInt(snap, -1e30, 1e30);
        int256 net = h.fundingOwed(l1, cum, snap, unit) + h.fundingOwed(l2, cum, snap, unit)
            + h.fundingOwed(s1, cum, snap, unit) + h.fundingOwed(s2, cum, snap, unit);
        assertGe(net, int256(0), "net funding >= 0");
        assertLe(net, int256(3), "net funding <= n - 1");
    }

    /// The index accrued at the fastest realistic rate (the 1% band plus the cap, every interval) for
    /// ten years on a contract worth 1,000 whole tokens stays inside the int96 position snapshot,
    /// whatever the token's decimals.
    function testFuzz_fundingIndex_headroom(uint256 us) public view {
        uint256 unit = _unit(us);
        // One contract worth 1,000 tokens: linear, M = 1e-3 base units, price 1e6 quote units.
        int256 tenYears = h.fundingIndexDelta(MarketKind.Linear, 0.001e18, unit, 1_000_000e18, 0.0105e18, 3650 days, 8 hours);
        assertLt(tenYears, int256(type(int96).max), "10 years at the maximum rate fit int96");
        assertEq(h.fundingOwed(1, tenYears, 0, unit), int256(1_000 * unit) * 105 * 3 * 3650 / 10_000, "owed = rate x value x intervals");
    }

    function test_overflow_reverts() public {
        vm.expectRevert();
        h.fundingOwed(type(int256).max, 2, 0, 1e8);
        vm.expectRevert();
        h.fundingOwed(1, 1, 0, 0); // unit 0: no precision
        vm.expectRevert();
        h.markPrice(2 ** 250, 0.5e18, 0.9e18);
        vm.expectRevert();
        h.premiumSample(2 ** 250, 1);
        vm.expectRevert();
        h.fundingIndexDelta(MarketKind.Linear, 2 ** 120, 1e18, 2 ** 120, 1e18, 2 ** 100, 1);
        vm.expectRevert();
        h.fundingRate(type(int256).min, 1, 0);
    }
}
