// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Test} from "../utils/Test.sol";
import {FixedPoint} from "../../../contracts/libraries/FixedPoint.sol";

/// @dev External wrappers so that reverts can be observed.
contract FixedPointHarness {
    function mulDiv(uint256 a, uint256 b, uint256 d, bool up) external pure returns (uint256) {
        return FixedPoint.mulDiv(a, b, d, up);
    }

    function mulDivBoth(uint256 a, uint256 b, uint256 d) external pure returns (uint256, uint256) {
        return FixedPoint.mulDivBoth(a, b, d);
    }

    function signedMulDiv(uint256 a, uint256 b, uint256 d, bool negative, bool up) external pure returns (int256) {
        return FixedPoint.signedMulDiv(a, b, d, negative, up);
    }

    function divUp(int256 a, uint256 b) external pure returns (int256) {
        return FixedPoint.divUp(a, b);
    }

    function mulRateUp(uint256 x, uint256 rate) external pure returns (uint256) {
        return FixedPoint.mulRateUp(x, rate);
    }
}

/// @dev SPEC §1 conversions: the fast-path mulDiv must agree with OpenZeppelin's 512-bit mulDiv on
/// every input, including products at the edge of 256 bits, and the rounding helpers must round in
/// the requested direction.
contract FixedPointTest is Test {
    FixedPointHarness internal f;

    function setUp() public {
        f = new FixedPointHarness();
    }

    function _ref(uint256 a, uint256 b, uint256 d, bool up) internal pure returns (uint256) {
        return Math.mulDiv(a, b, d, up ? Math.Rounding.Ceil : Math.Rounding.Floor);
    }

    /// Random full-range inputs: identical results, and a revert exactly when the reference reverts.
    function testFuzz_mulDiv_matchesOpenZeppelin(uint256 a, uint256 b, uint256 d, bool up) public view {
        d = bound(d, 1, type(uint256).max);
        (uint256 hi,) = Math.mul512(a, b);
        // The quotient fits 256 bits iff the high word of a·b is below d.
        if (hi >= d) return;
        assertEq(f.mulDiv(a, b, d, up), _ref(a, b, d, up), "mulDiv == Math.mulDiv");
    }

    /// Products on both sides of 2^256, where the fast path hands over to the 512-bit one.
    function testFuzz_mulDiv_atTheOverflowEdge(uint256 a, uint256 offset, uint256 d, bool up) public view {
        a = bound(a, 2, type(uint128).max);
        uint256 b = type(uint256).max / a + bound(offset, 0, 2) - 1; // a·b just below, at or above 2^256
        d = bound(d, 1, type(uint256).max);
        (uint256 hi,) = Math.mul512(a, b);
        if (hi >= d) return;
        assertEq(f.mulDiv(a, b, d, up), _ref(a, b, d, up), "edge: mulDiv == Math.mulDiv");
        (uint256 down, uint256 ceil) = f.mulDivBoth(a, b, d);
        assertEq(down, _ref(a, b, d, false), "edge: both (down)");
        assertEq(ceil, _ref(a, b, d, true), "edge: both (up)");
    }

    /// Both operands below 2^128 take the one-expression path; either above takes mulDiv's. Both
    /// round up exactly, and an unrepresentable result reverts.
    function testFuzz_mulRateUp_matchesOpenZeppelin(uint256 x, uint256 rate, uint8 shape) public {
        if (shape % 3 == 0) (x, rate) = (bound(x, 0, type(uint128).max), bound(rate, 0, type(uint128).max));
        if (shape % 3 == 1) (x, rate) = (bound(x, 2 ** 127, 2 ** 129), bound(rate, 0, 2 ** 129));
        (uint256 hi,) = Math.mul512(x, rate);
        if (hi >= 1e18) {
            vm.expectRevert();
            f.mulRateUp(x, rate);
            return;
        }
        assertEq(f.mulRateUp(x, rate), _ref(x, rate, 1e18, true), "mulRateUp == ceil(x * rate / 1e18)");
    }

    /// Full-range inputs: both roundings equal OpenZeppelin's (fast and 512-bit paths alike).
    function testFuzz_mulDivBoth_fullRange(uint256 a, uint256 b, uint256 d) public view {
        d = bound(d, 1, type(uint256).max);
        (uint256 hi,) = Math.mul512(a, b);
        if (hi >= d) return;
        (uint256 down, uint256 up) = f.mulDivBoth(a, b, d);
        assertEq(down, _ref(a, b, d, false), "down");
        if (down == type(uint256).max && mulmod(a, b, d) != 0) return; // up would not fit either
        assertEq(up, _ref(a, b, d, true), "up");
    }

    function testFuzz_mulDivBoth(uint256 a, uint256 b, uint256 d) public view {
        a = bound(a, 0, type(uint128).max);
        b = bound(b, 0, type(uint128).max);
        d = bound(d, 1, type(uint256).max);
        (uint256 down, uint256 up) = f.mulDivBoth(a, b, d);
        assertEq(down, a * b / d, "down");
        assertEq(up, _ref(a, b, d, true), "up");
        assertLe(up - down, 1, "up - down <= 1");
    }

    /// The sign follows `negative`; `up` rounds towards +∞ whatever the sign.
    function testFuzz_signedMulDiv(uint256 a, uint256 b, uint256 d, bool negative, bool up) public view {
        a = bound(a, 0, 2 ** 127 - 1);
        b = bound(b, 0, 2 ** 127 - 1);
        d = bound(d, 1, type(uint128).max);
        int256 r = f.signedMulDiv(a, b, d, negative, up);
        int256 down = f.signedMulDiv(a, b, d, negative, false);
        int256 ceil = f.signedMulDiv(a, b, d, negative, true);
        assertEq(r, up ? ceil : down, "direction");
        assertLe(down, ceil, "down <= up");
        assertLe(ceil - down, int256(1), "up - down <= 1");
        // down ≤ sign·a·b/d ≤ up, checked on integers: down·d ≤ sign·a·b ≤ up·d.
        int256 exact = (negative ? -int256(1) : int256(1)) * int256(a * b);
        assertLe(down * int256(d), exact, "down <= exact");
        assertGe(ceil * int256(d), exact, "up >= exact");
    }

    function testFuzz_divUp(int256 a, uint256 b) public view {
        a = boundInt(a, -1e60, 1e60);
        b = bound(b, 1, 1e30);
        int256 q = f.divUp(a, b);
        assertGe(q * int256(b), a, "q*b >= a");
        assertLt((q - 1) * int256(b), a, "(q - 1)*b < a");
    }

    function test_reverts() public {
        vm.expectRevert();
        f.mulDiv(1, 1, 0, false); // division by zero, fast path
        vm.expectRevert();
        f.mulDiv(type(uint256).max, type(uint256).max, 0, true); // division by zero, slow path
        vm.expectRevert();
        f.mulDiv(type(uint256).max, type(uint256).max, 1, false); // quotient beyond 256 bits
        uint256 big = uint256(type(int256).max) + 1;
        vm.expectRevert();
        f.mulDivBoth(1, 1, 0); // division by zero
        vm.expectRevert(abi.encodeWithSelector(FixedPoint.FixedPointOverflow.selector, big));
        f.signedMulDiv(big, 1, 1, true, false);
        assertEq(f.signedMulDiv(big - 1, 1, 1, true, false), -type(int256).max, "largest magnitude");
    }

    function test_rates() public pure {
        assertEq(FixedPoint.mulRateUp(3, 0.5e18), 2, "1.5 up");
        assertEq(FixedPoint.mulRateDown(3, 0.5e18), 1, "1.5 down");
        assertEq(FixedPoint.mulRateUp(1_000e6, 0.0005e18), 0.5e6, "exact fee");
        assertEq(FixedPoint.divUp(-7, 2), -3, "-3.5 up");
        assertEq(FixedPoint.divUp(7, 2), 4, "3.5 up");
        assertEq(FixedPoint.abs(-5), 5, "abs");
        assertEq(FixedPoint.absUnchecked(-5), 5, "absUnchecked");
        assertEq(FixedPoint.absUnchecked(type(int256).min), 2 ** 255, "absUnchecked(min) is exact");
    }
}
