// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MathBase} from "./MathBase.t.sol";
import {MarketKind} from "../../../contracts/types/Market.sol";
import {ContractMath} from "../../../contracts/libraries/ContractMath.sol";
import {FixedPoint} from "../../../contracts/libraries/FixedPoint.sol";

/// @dev SPEC §2: value, PnL, margin and sizing of linear, inverse and quanto contracts.
contract ContractMathTest is MathBase {
    MarketKind internal constant LINEAR = MarketKind.Linear;
    MarketKind internal constant INVERSE = MarketKind.Inverse;
    MarketKind internal constant QUANTO = MarketKind.Quanto;

    uint256 internal constant XBT_UNIT = 1e8;
    uint256 internal constant USD_UNIT = 1e6;

    // ================================================================ SPEC §2 reference vectors

    /// Quanto ETHUSD, M = 0.000001 XBT/USD, 10,000 contracts at $500.
    uint256 internal constant ETH_M = 0.000001e18;

    function test_reference_quanto_value() public view {
        assertEq(h.signedValue(QUANTO, ETH_M, 10_000, 500e18, XBT_UNIT, false), int256(5e8), "value 5 XBT (down)");
        assertEq(h.signedValue(QUANTO, ETH_M, 10_000, 500e18, XBT_UNIT, true), int256(5e8), "value 5 XBT (up)");
        assertEq(h.signedValue(QUANTO, ETH_M, -10_000, 500e18, XBT_UNIT, true), -int256(5e8), "short value -5 XBT");
        assertEq(h.notional(QUANTO, ETH_M, 10_000, 500e18, XBT_UNIT), 5e8, "notional 5 XBT");
        assertEq(h.notional(QUANTO, ETH_M, -10_000, 500e18, XBT_UNIT), 5e8, "short notional 5 XBT");
    }

    function test_reference_quanto_initialMargin() public view {
        assertEq(h.margin(QUANTO, ETH_M, 10_000, 500e18, 0.02e18, XBT_UNIT), 0.1e8, "IM at 2% = 0.1 XBT");
        assertEq(h.margin(QUANTO, ETH_M, -10_000, 500e18, 0.02e18, XBT_UNIT), 0.1e8, "short IM at 2% = 0.1 XBT");
    }

    function test_reference_quanto_pnl() public view {
        assertEq(h.pnl(QUANTO, ETH_M, 10_000, 500e18, 600e18, XBT_UNIT), int256(1e8), "long $500 -> $600 = +1 XBT");
        assertEq(h.pnl(QUANTO, ETH_M, -10_000, 500e18, 600e18, XBT_UNIT), -int256(1e8), "short $500 -> $600 = -1 XBT");
        assertEq(h.pnl(QUANTO, ETH_M, 10_000, 600e18, 500e18, XBT_UNIT), -int256(1e8), "long $600 -> $500 = -1 XBT");
    }

    function test_reference_quanto_contractsForExposure() public view {
        assertEq(h.contractsForExposure(QUANTO, ETH_M, 500e18, 100e8, XBT_UNIT), 200_000, "100 XBT at $500");
        // And back: 200,000 contracts at $500 are worth exactly 100 XBT.
        assertEq(h.notional(QUANTO, ETH_M, 200_000, 500e18, XBT_UNIT), 100e8, "200,000 contracts = 100 XBT");
    }

    /// Inverse XBTUSD, M = 1 USD, long 10,000 contracts at $10,000, exit $12,500.
    function test_reference_inverse_pnl() public view {
        assertEq(h.pnl(INVERSE, 1e18, 10_000, 10_000e18, 12_500e18, XBT_UNIT), int256(0.2e8), "long: +0.2 XBT");
        assertEq(h.pnl(INVERSE, 1e18, -10_000, 10_000e18, 12_500e18, XBT_UNIT), -int256(0.2e8), "short: -0.2 XBT");
    }

    function test_reference_inverse_value() public view {
        // 10,000 USD at $10,000 = 1 XBT; a long's signed value is −M·q/P.
        assertEq(h.signedValue(INVERSE, 1e18, 10_000, 10_000e18, XBT_UNIT, true), -int256(1e8), "long value");
        assertEq(h.signedValue(INVERSE, 1e18, -10_000, 10_000e18, XBT_UNIT, false), int256(1e8), "short value");
        assertEq(h.notional(INVERSE, 1e18, 10_000, 12_500e18, XBT_UNIT), 0.8e8, "value at exit 0.8 XBT");
        assertEq(h.contractsForExposure(INVERSE, 1e18, 10_000e18, 1e8, XBT_UNIT), 10_000, "1 XBT at $10,000");
    }

    /// Inverse rounding dust: 1 contract of $1 at $30,000 is 3,333.33.. sat.
    function test_reference_inverse_roundingDust() public view {
        assertEq(h.signedValue(INVERSE, 1e18, 1, 30_000e18, XBT_UNIT, true), -3333, "long value rounded up");
        assertEq(h.signedValue(INVERSE, 1e18, 1, 30_000e18, XBT_UNIT, false), -3334, "long value rounded down");
        assertEq(h.notional(INVERSE, 1e18, 1, 30_000e18, XBT_UNIT), 3334, "notional rounded up");
        assertEq(h.pnl(INVERSE, 1e18, 1, 30_000e18, 30_000e18, XBT_UNIT), -1, "flat round trip keeps 1 sat");
        assertEq(h.margin(INVERSE, 1e18, 1, 30_000e18, 0.1e18, XBT_UNIT), 334, "IM 10% of 3334 rounded up");
    }

    /// Linear BTC-USD in a 6-decimal USD token, M = 0.001 BTC (the devnet market).
    function test_reference_linear() public view {
        uint256 m = 0.001e18;
        assertEq(h.signedValue(LINEAR, m, 10, 100_000e18, USD_UNIT, false), int256(1_000e6), "10 x 0.001 BTC at 100k");
        assertEq(h.notional(LINEAR, m, -10, 100_000e18, USD_UNIT), 1_000e6, "short notional");
        assertEq(h.margin(LINEAR, m, 10, 100_000e18, 0.1e18, USD_UNIT), 100e6, "IM 10%");
        assertEq(h.margin(LINEAR, m, 10, 100_000e18, 0.05e18, USD_UNIT), 50e6, "MM 5%");
        assertEq(h.pnl(LINEAR, m, 10, 100_000e18, 110_000e18, USD_UNIT), int256(100e6), "long +10k = +$100");
        assertEq(h.pnl(LINEAR, m, -10, 100_000e18, 110_000e18, USD_UNIT), -int256(100e6), "short +10k = -$100");
        assertEq(h.contractsForExposure(LINEAR, m, 100_000e18, 1_000e6, USD_UNIT), 10, "$1,000 at 100k");
        assertEq(h.contractsForExposure(LINEAR, m, 100_000e18, 1_099e6, USD_UNIT), 10, "rounded down");
        // Linear BTC-USD in USDC with M = 0.001 BTC: 1 contract at $63,999.5 is $63.9995 (exact in 6 dp).
        assertEq(h.signedValue(LINEAR, m, 1, 63_999.5e18, USD_UNIT, false), int256(63.9995e6), "fractional price");
        // $0.0000005 of dust: 1 contract at $0.0005 is $0.0000005, rounds to 0 down and 1 up.
        assertEq(h.signedValue(LINEAR, m, 1, 0.0005e18, USD_UNIT, false), 0, "sub-unit value rounded down");
        assertEq(h.signedValue(LINEAR, m, 1, 0.0005e18, USD_UNIT, true), 1, "sub-unit value rounded up");
    }

    /// The devnet fixture's markets at their initial prices.
    function test_reference_fixtureMarkets() public view {
        assertEq(h.notional(LINEAR, 0.001e18, 1, 100_000e18, USD_UNIT), 100e6, "BTCUSD contract = $100");
        assertEq(h.notional(INVERSE, 1e18, 1, 100_000e18, XBT_UNIT), 1_000, "XBTUSD contract = 1000 sat");
        assertEq(h.notional(QUANTO, ETH_M, 1, 4_000e18, XBT_UNIT), 0.004e8, "ETHUSD contract = 0.004 XBT");
    }

    // ================================================================ signedValue / notional

    function testFuzz_signedValue_roundsExactly(uint256 k, uint256 ms, uint256 ss, uint256 ps, uint256 us) public view {
        MarketKind kind = _kind(k);
        (uint256 mult, int256 size, uint256 price, uint256 unit) = (_mult(ms), _size(ss), _price(ps), _unit(us));
        int256 up = h.signedValue(kind, mult, size, price, unit, true);
        int256 down = h.signedValue(kind, mult, size, price, unit, false);
        (bool neg, uint256 a, uint256 b, uint256 d) = _exactValue(kind, mult, size, price, unit);
        _assertRounded(up, neg, a, b, d, true, "up");
        _assertRounded(down, neg, a, b, d, false, "down");
        assertGe(up, down, "up >= down");
        assertLe(up - down, int256(1), "up - down <= 1");
        assertEq(up == down, _isExact(a, b, d), "equal iff exact");
    }

    function testFuzz_signedValue_antisymmetric(uint256 k, uint256 ms, uint256 ss, uint256 ps, uint256 us) public view {
        MarketKind kind = _kind(k);
        (uint256 mult, int256 size, uint256 price, uint256 unit) = (_mult(ms), _size(ss), _price(ps), _unit(us));
        assertEq(
            h.signedValue(kind, mult, -size, price, unit, true),
            -h.signedValue(kind, mult, size, price, unit, false),
            "v(-q, up) == -v(q, down)"
        );
        assertEq(h.signedValue(kind, mult, 0, price, unit, true), 0, "zero size");
    }

    /// Longs have positive value for linear/quanto, negative for inverse; either way value grows with price.
    function testFuzz_signedValue_signAndMonotone(uint256 k, uint256 ms, uint256 ss, uint256 p1, uint256 p2, uint256 us)
        public
        view
    {
        MarketKind kind = _kind(k);
        (uint256 mult, int256 size, uint256 unit) = (_mult(ms), _size(ss), _unit(us));
        (uint256 lo, uint256 hi) = (_price(p1), _price(p2));
        if (lo > hi) (lo, hi) = (hi, lo);
        int256 vLo = h.signedValue(kind, mult, size, lo, unit, false);
        int256 vHi = h.signedValue(kind, mult, size, hi, unit, false);
        bool valueNegative = kind == MarketKind.Inverse ? size > 0 : size < 0;
        if (valueNegative) assertLe(vLo, int256(0), "sign (lo)");
        else assertGe(vLo, int256(0), "sign (lo)");
        if (size > 0) assertLe(vLo, vHi, "a long's value grows with price");
        else assertGe(vLo, vHi, "a short's value falls with price");
    }

    /// Rounded down, value is super-additive in size by at most one unit.
    function testFuzz_signedValue_additiveWithinDust(uint256 k, uint256 ms, uint256 s1, uint256 s2, uint256 ps, uint256 us)
        public
        view
    {
        MarketKind kind = _kind(k);
        (uint256 mult, uint256 price, uint256 unit) = (_mult(ms), _price(ps), _unit(us));
        (int256 a, int256 b) = (_size(s1), _size(s2));
        int256 whole = h.signedValue(kind, mult, a + b, price, unit, false);
        int256 parts = h.signedValue(kind, mult, a, price, unit, false) + h.signedValue(kind, mult, b, price, unit, false);
        assertGe(whole, parts, "floor(x + y) >= floor(x) + floor(y)");
        assertLe(whole - parts, int256(1), "by at most 1");
    }

    function testFuzz_notional_isValueRoundedAwayFromZero(uint256 k, uint256 ms, uint256 ss, uint256 ps, uint256 us)
        public
        view
    {
        MarketKind kind = _kind(k);
        (uint256 mult, int256 size, uint256 price, uint256 unit) = (_mult(ms), _size(ss), _price(ps), _unit(us));
        uint256 n = h.notional(kind, mult, size, price, unit);
        int256 up = h.signedValue(kind, mult, size, price, unit, true);
        int256 down = h.signedValue(kind, mult, size, price, unit, false);
        // |v| rounded up: the rounded-up value if positive, minus the rounded-down one if negative.
        uint256 expected = up > 0 ? uint256(up) : _abs(down);
        assertEq(n, expected, "notional == |value| rounded up");
        assertEq(h.notional(kind, mult, -size, price, unit), n, "notional symmetric in side");
        (, uint256 a, uint256 b, uint256 d) = _exactValue(kind, mult, size, price, unit);
        _assertRounded(int256(n), false, a, b, d, true, "notional");
    }

    /// The one-division form used by account health equals the two separate functions exactly.
    function testFuzz_valueAndNotional_matchesSeparateFunctions(uint256 k, uint256 ms, uint256 ss, uint256 ps, uint256 us)
        public
        view
    {
        MarketKind kind = _kind(k);
        (uint256 mult, int256 size, uint256 price, uint256 unit) = (_mult(ms), _size(ss), _price(ps), _unit(us));
        (int256 v, uint256 n) = h.valueAndNotional(kind, mult, size, price, unit);
        assertEq(v, h.signedValue(kind, mult, size, price, unit, false), "valueDown == signedValue(down)");
        assertEq(n, h.notional(kind, mult, size, price, unit), "notionalUp == notional");
        (int256 v0, uint256 n0) = h.valueAndNotional(kind, mult, 0, price, unit);
        assertEq(v0, 0, "flat value");
        assertEq(n0, 0, "flat notional");
    }

    // ================================================================ pnl

    /// pnl is the exact rational q·M·(P − E) (or q·M·(1/E − 1/P)) floored, or one less — never more.
    function testFuzz_pnl_exactFlooredWithinDust(uint256 k, uint256 ms, uint256 ss, uint256 e, uint256 x, uint256 us)
        public
        view
    {
        MarketKind kind = _kind(k);
        (uint256 mult, int256 size, uint256 unit) = (_mult(ms), _size(ss), _unit(us));
        (uint256 entry, uint256 exit) = (_price(e), _price(x));
        int256 p = h.pnl(kind, mult, size, entry, exit, unit);
        (bool neg, uint256 a, uint256 b, uint256 d) = _exactPnl(kind, mult, size, entry, exit, unit);
        int256 floorExact = _round(neg, a, b, d, false);
        assertLe(p, floorExact, "pnl <= floor(exact): dust never favours the trader");
        assertGe(p, floorExact - 1, "pnl >= floor(exact) - 1");
        // When both legs are whole token units the PnL is exact.
        (, uint256 a1, uint256 b1, uint256 d1) = _exactValue(kind, mult, size, entry, unit);
        (, uint256 a2, uint256 b2, uint256 d2) = _exactValue(kind, mult, size, exit, unit);
        if (_isExact(a1, b1, d1) && _isExact(a2, b2, d2)) assertEq(p, floorExact, "exact legs: exact pnl");
    }

    /// A PnL that is an exact integer (entry and exit on whole units) is reproduced exactly.
    function testFuzz_pnl_exactOnWholeUnits(uint256 ss, uint256 e, uint256 x) public view {
        // Quanto, M = 0.000001 XBT/USD, whole-dollar prices: 1 contract at $P is P·100 sat exactly.
        int256 size = _size(ss);
        uint256 entry = bound(e, 1, 1e6) * 1e18;
        uint256 exit = bound(x, 1, 1e6) * 1e18;
        int256 expected = size * (int256(exit) - int256(entry)) / 1e18 * 100;
        assertEq(h.pnl(QUANTO, ETH_M, size, entry, exit, XBT_UNIT), expected, "quanto exact");
        assertEq(h.pnl(LINEAR, ETH_M, size, entry, exit, XBT_UNIT), expected, "linear exact");
    }

    function testFuzz_pnl_roundTripFavoursProtocol(uint256 k, uint256 ms, uint256 ss, uint256 e, uint256 x, uint256 us)
        public
        view
    {
        MarketKind kind = _kind(k);
        (uint256 mult, int256 size, uint256 unit) = (_mult(ms), _size(ss), _unit(us));
        (uint256 entry, uint256 exit) = (_price(e), _price(x));
        int256 there = h.pnl(kind, mult, size, entry, exit, unit);
        int256 back = h.pnl(kind, mult, size, exit, entry, unit);
        assertLe(there + back, int256(0), "entry->exit->entry <= 0");
        assertGe(there + back, int256(-2), "and >= -2");
        // The two sides of one trade: what the long makes the short loses, less dust.
        int256 other = h.pnl(kind, mult, -size, entry, exit, unit);
        assertLe(there + other, int256(0), "long + short <= 0");
        assertGe(there + other, int256(-2), "long + short >= -2");
        assertLe(h.pnl(kind, mult, size, entry, entry, unit), int256(0), "flat <= 0");
        assertGe(h.pnl(kind, mult, size, entry, entry, unit), int256(-1), "flat >= -1");
    }

    // ================================================================ margin

    /// margin = ceil(notional × rate): ≥ the exact product and less than it + 1.
    function testFuzz_margin_roundsUp(uint256 k, uint256 ms, uint256 ss, uint256 ps, uint256 us, uint256 rs) public view {
        MarketKind kind = _kind(k);
        (uint256 mult, int256 size, uint256 price, uint256 unit) = (_mult(ms), _size(ss), _price(ps), _unit(us));
        uint256 rate = bound(rs, 0, 1e18);
        uint256 n = h.notional(kind, mult, size, price, unit);
        uint256 m = h.margin(kind, mult, size, price, rate, unit);
        assertTrue(_cmp(m, WAD, n, rate) >= 0, "margin >= notional x rate");
        if (m != 0) assertTrue(_cmp(m - 1, WAD, n, rate) < 0, "margin < notional x rate + 1");
        assertLe(m, n, "margin <= notional for rate <= 1");
        // mmRate < imRate ⇒ MM ≤ IM.
        uint256 lower = bound(rs >> 128, 0, rate);
        assertLe(h.margin(kind, mult, size, price, lower, unit), m, "margin monotone in rate");
        // And so never below the exact V·rate either: notional ≥ exact V (m ≥ n·rate ≥ V·rate).
        (, uint256 a, uint256 b, uint256 d) = _exactValue(kind, mult, size, price, unit);
        assertTrue(_cmp(n, d, a, b) >= 0, "notional >= exact value");
    }

    // ================================================================ contractsForExposure

    /// The largest n whose value (rounded up) fits the exposure.
    function testFuzz_contractsForExposure_isMaximal(uint256 k, uint256 ms, uint256 ps, uint256 us, uint256 xs) public view {
        MarketKind kind = _kind(k);
        (uint256 mult, uint256 price, uint256 unit) = (_mult(ms), _price(ps), _unit(us));
        uint256 exposure = _logUniform(xs, 0, 36);
        uint256 n = h.contractsForExposure(kind, mult, price, exposure, unit);
        vm.assume(n < 1e30); // tiny contracts and huge exposures: beyond any realistic size
        if (n > 0) assertLe(h.notional(kind, mult, int256(n), price, unit), exposure, "value(n) <= exposure");
        assertGt(h.notional(kind, mult, int256(n + 1), price, unit), exposure, "value(n + 1) > exposure");
    }

    function testFuzz_contractsForExposure_roundTrip(uint256 k, uint256 ms, uint256 ss, uint256 ps, uint256 us)
        public
        view
    {
        MarketKind kind = _kind(k);
        (uint256 mult, uint256 price, uint256 unit) = (_mult(ms), _price(ps), _unit(us));
        int256 size = int256(_logUniform(ss, 0, MAX_SIZE_EXP));
        uint256 up = h.notional(kind, mult, size, price, unit);
        assertGe(h.contractsForExposure(kind, mult, price, up, unit), uint256(size), "cfe(value up of N) >= N");
        // Value rounded down (towards zero) loses less than one unit, so when one contract is worth at
        // least one unit it loses at most one contract.
        int256 vDown = h.signedValue(kind, mult, kind == MarketKind.Inverse ? -size : size, price, unit, false);
        uint256 down = _abs(vDown);
        uint256 n = h.contractsForExposure(kind, mult, price, down, unit);
        assertLe(n, uint256(size), "cfe(value down of N) <= N");
        (, uint256 a, uint256 b, uint256 d) = _exactValue(kind, mult, 1, price, unit);
        if (_cmp(a, b, 1, d) >= 0) assertGe(n, uint256(size) - 1, "cfe(value down of N) >= N - 1");
    }

    // ================================================================ reverts

    function test_zeroPrice_reverts() public {
        for (uint256 k; k < 3; ++k) {
            MarketKind kind = MarketKind(k);
            vm.expectRevert(ContractMath.ZeroPrice.selector);
            h.signedValue(kind, 1e18, 1, 0, 1e8, true);
            vm.expectRevert(ContractMath.ZeroPrice.selector);
            h.notional(kind, 1e18, 1, 0, 1e8);
            vm.expectRevert(ContractMath.ZeroPrice.selector);
            h.pnl(kind, 1e18, 1, 0, 1e18, 1e8);
            vm.expectRevert(ContractMath.ZeroPrice.selector);
            h.pnl(kind, 1e18, 1, 1e18, 0, 1e8);
            vm.expectRevert(ContractMath.ZeroPrice.selector);
            h.margin(kind, 1e18, 1, 0, 0.1e18, 1e8);
            vm.expectRevert(ContractMath.ZeroPrice.selector);
            h.contractsForExposure(kind, 1e18, 0, 1e8, 1e8);
            vm.expectRevert(ContractMath.ZeroPrice.selector);
            h.valueAndNotional(kind, 1e18, 1, 0, 1e8);
        }
    }

    /// Checked arithmetic: a product that does not fit reverts instead of wrapping.
    function test_overflow_reverts() public {
        for (uint256 k; k < 3; ++k) {
            MarketKind kind = MarketKind(k);
            // |type(int256).min| does not fit.
            vm.expectRevert();
            h.signedValue(kind, 1, type(int256).min, 1e18, 1, true);
            // contracts × multiplier overflows.
            vm.expectRevert();
            h.signedValue(kind, type(uint256).max / 2, 3, 1e18, 1, true);
            vm.expectRevert();
            h.notional(kind, type(uint256).max / 2, 3, 1e18, 1);
        }
        // price × unit overflows (linear, quanto).
        vm.expectRevert();
        h.signedValue(LINEAR, 1, 1, type(uint256).max / 2, 3, true);
        // The 512-bit quotient does not fit 256 bits.
        vm.expectRevert();
        h.signedValue(QUANTO, 2 ** 127, 2 ** 127, 2 ** 127, 1, false);
        // The magnitude fits uint256 but not int256: FixedPointOverflow, not a wrapped sign.
        uint256 magnitude = (2 ** 200) * (2 ** 55 + 1);
        vm.expectRevert(abi.encodeWithSelector(FixedPoint.FixedPointOverflow.selector, magnitude));
        h.signedValue(INVERSE, 2 ** 55 + 1, 2 ** 200, 1, 1, true);
        vm.expectRevert(abi.encodeWithSelector(FixedPoint.FixedPointOverflow.selector, magnitude));
        h.valueAndNotional(INVERSE, 2 ** 55 + 1, 2 ** 200, 1, 1);
        // multiplier × price × unit overflows in contractsForExposure.
        vm.expectRevert();
        h.contractsForExposure(LINEAR, 2 ** 100, 2 ** 100, 1e18, 2 ** 60);
    }

    /// The largest realistic inputs (SPEC §1 ranges) do not overflow for any kind.
    function test_realisticExtremes_doNotOverflow() public view {
        for (uint256 k; k < 3; ++k) {
            MarketKind kind = MarketKind(k);
            h.signedValue(kind, 1e24, 1e12, 1e27, 1e18, true);
            h.signedValue(kind, 1e24, -1e12, 1e12, 1e18, false);
            h.pnl(kind, 1e24, 1e12, 1e12, 1e27, 1e18);
            h.pnl(kind, 1e24, -1e12, 1e27, 1e12, 1e18);
            h.margin(kind, 1e24, 1e12, 1e27, 1e18, 1e18);
            h.contractsForExposure(kind, 1e9, 1e12, 1e45, 1);
        }
    }
}
