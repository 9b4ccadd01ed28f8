// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @dev SPEC §1 conversions: 18-decimal prices and rates, signed money in token units.
/// `roundUp` always means "towards +∞", so callers pick the direction that favours the protocol
/// (requirements and debits up, credits down) whatever the sign.
library FixedPoint {
    uint256 internal constant WAD = 1e18;

    error FixedPointOverflow(uint256 magnitude);

    /// @dev a × b / denominator with the requested rounding. The product almost always fits in 256
    /// bits, so that case is a few opcodes; otherwise OpenZeppelin's 512-bit mulDiv takes over.
    /// Results are identical either way.
    function mulDiv(uint256 a, uint256 b, uint256 denominator, bool roundUp) internal pure returns (uint256 result) {
        bool fits;
        assembly ("memory-safe") {
            let product := mul(a, b)
            if and(iszero(iszero(denominator)), or(iszero(a), eq(div(product, a), b))) {
                fits := 1
                result := div(product, denominator)
                if and(roundUp, iszero(iszero(mod(product, denominator)))) { result := add(result, 1) }
            }
        }
        if (!fits) result = Math.mulDiv(a, b, denominator, roundUp ? Math.Rounding.Ceil : Math.Rounding.Floor);
    }

    /// @dev a × b / denominator rounded both ways, for one multiplication.
    function mulDivBoth(uint256 a, uint256 b, uint256 denominator) internal pure returns (uint256 down, uint256 up) {
        bool fits;
        assembly ("memory-safe") {
            let product := mul(a, b)
            if and(iszero(iszero(denominator)), or(iszero(a), eq(div(product, a), b))) {
                fits := 1
                down := div(product, denominator)
                up := add(down, iszero(iszero(mod(product, denominator))))
            }
        }
        if (!fits) {
            down = Math.mulDiv(a, b, denominator, Math.Rounding.Floor);
            up = down;
            if (mulmod(a, b, denominator) != 0) up += 1;
        }
    }

    function abs(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-x);
    }

    /// @dev `abs` without the overflow check, for the hot paths: exact for every int256, since
    /// -type(int256).min wraps to itself, whose uint256 is 2^255.
    function absUnchecked(int256 x) internal pure returns (uint256) {
        unchecked {
            return x >= 0 ? uint256(x) : uint256(-x);
        }
    }

    /// @dev `magnitude` with the sign of `negative`, where the magnitude was rounded away from zero
    /// iff that moves the signed result towards the requested direction.
    function signedMulDiv(uint256 a, uint256 b, uint256 denominator, bool negative, bool roundUp)
        internal
        pure
        returns (int256)
    {
        // A positive result rounded up and a negative one rounded down both grow in magnitude.
        uint256 magnitude = mulDiv(a, b, denominator, roundUp != negative);
        if (magnitude > uint256(type(int256).max)) revert FixedPointOverflow(magnitude);
        unchecked {
            return negative ? -int256(magnitude) : int256(magnitude); // the magnitude fits: checked above
        }
    }

    /// @dev x × rate / 1e18 for a rate, rounded up: a requirement or a fee. Both below 2^128 (every
    /// fee and margin in practice) is one unchecked expression, exactly `mulDiv`'s result.
    function mulRateUp(uint256 x, uint256 rate) internal pure returns (uint256) {
        if ((x | rate) >> 128 == 0) {
            unchecked {
                return (x * rate + (WAD - 1)) / WAD;
            }
        }
        return mulDiv(x, rate, WAD, true);
    }

    /// @dev x × rate / 1e18 rounded down: a credit.
    function mulRateDown(uint256 x, uint256 rate) internal pure returns (uint256) {
        return mulDiv(x, rate, WAD, false);
    }

    /// @dev a / b for signed a and positive b, rounded towards +∞.
    function divUp(int256 a, uint256 b) internal pure returns (int256) {
        int256 q = a / int256(b);
        if (a > 0 && q * int256(b) != a) q += 1;
        return q;
    }
}
