// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Test} from "../utils/Test.sol";
import {MathHarness} from "../../../contracts/mocks/MathHarness.sol";
import {MarketKind} from "../../../contracts/types/Market.sol";

/// @dev Shared input generators and an independent exact-arithmetic reference for the math fuzz tests.
/// Realistic ranges (SPEC §1): sizes up to 1e12 contracts, prices 1e-6..1e9 quote units (18 decimals),
/// multipliers 1e-9..1e6 (18 decimals), collateral units 10^0..10^18. Values are drawn log-uniformly
/// so that small and large magnitudes are both exercised.
abstract contract MathBase is Test {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant WAD2 = 1e36;

    uint256 internal constant MIN_PRICE_EXP = 12; // 1e-6 quote units
    uint256 internal constant MAX_PRICE_EXP = 27; // 1e9 quote units
    uint256 internal constant MIN_MULT_EXP = 9; // 1e-9
    uint256 internal constant MAX_MULT_EXP = 24; // 1e6
    uint256 internal constant MAX_SIZE_EXP = 12; // 1e12 contracts

    MathHarness internal h;

    function setUp() public virtual {
        h = new MathHarness();
    }

    // ------------------------------------------------------------------ generators

    /// @dev A value in [10^lo, 10^hi], log-uniform over the decades.
    function _logUniform(uint256 seed, uint256 lo, uint256 hi) internal pure returns (uint256) {
        uint256 e = lo + seed % (hi - lo + 1);
        uint256 low = 10 ** e;
        uint256 high = e == hi ? low : 10 ** (e + 1);
        return bound(uint256(keccak256(abi.encode(seed))), low, high);
    }

    function _kind(uint256 seed) internal pure returns (MarketKind) {
        return MarketKind(seed % 3);
    }

    function _mult(uint256 seed) internal pure returns (uint256) {
        return _logUniform(seed, MIN_MULT_EXP, MAX_MULT_EXP);
    }

    function _price(uint256 seed) internal pure returns (uint256) {
        return _logUniform(seed, MIN_PRICE_EXP, MAX_PRICE_EXP);
    }

    function _unit(uint256 seed) internal pure returns (uint256) {
        return 10 ** (seed % 19);
    }

    /// @dev A non-zero signed size, |size| in [1, 1e12].
    function _size(uint256 seed) internal pure returns (int256) {
        int256 magnitude = int256(_logUniform(seed >> 1, 0, MAX_SIZE_EXP));
        return seed & 1 == 0 ? magnitude : -magnitude;
    }

    /// @dev A positive size in [1, max].
    function _positive(uint256 seed, uint256 max) internal pure returns (int256) {
        return int256(bound(seed, 1, max));
    }

    function _abs(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-x);
    }

    // ------------------------------------------------------------------ exact reference

    /// @dev Compares a1·b1 with a2·b2 exactly (512-bit): -1, 0 or 1.
    function _cmp(uint256 a1, uint256 b1, uint256 a2, uint256 b2) internal pure returns (int256) {
        (uint256 h1, uint256 l1) = Math.mul512(a1, b1);
        (uint256 h2, uint256 l2) = Math.mul512(a2, b2);
        if (h1 != h2) return h1 < h2 ? int256(-1) : int256(1);
        if (l1 != l2) return l1 < l2 ? int256(-1) : int256(1);
        return 0;
    }

    /// @dev The rational `sign × a·b/d` rounded towards −∞ (roundUp false) or +∞ (roundUp true).
    function _round(bool negative, uint256 a, uint256 b, uint256 d, bool roundUp) internal pure returns (int256) {
        // A positive value rounded up and a negative one rounded down grow in magnitude.
        bool away = roundUp != negative;
        uint256 magnitude = Math.mulDiv(a, b, d, away ? Math.Rounding.Ceil : Math.Rounding.Floor);
        return negative ? -int256(magnitude) : int256(magnitude);
    }

    /// @dev Is a·b divisible by d (the rational is an integer)?
    function _isExact(uint256 a, uint256 b, uint256 d) internal pure returns (bool) {
        return mulmod(a, b, d) == 0;
    }

    /// @dev Exact PnL of `size` contracts from `entry` to `exit` as the rational sign × a·b/d, from the
    /// SPEC §2 table directly: q·M·(P − E) for linear and quanto, q·M·(1/E − 1/P) = q·M·(P − E)/(E·P)
    /// for inverse (a different formula from the library's difference of rounded values).
    function _exactPnl(MarketKind kind, uint256 mult, int256 size, uint256 entry, uint256 exit, uint256 unit)
        internal
        pure
        returns (bool negative, uint256 a, uint256 b, uint256 d)
    {
        uint256 diff = exit >= entry ? exit - entry : entry - exit;
        negative = diff != 0 && ((size > 0) != (exit > entry));
        if (kind == MarketKind.Inverse) {
            a = _abs(size) * mult * unit;
            b = diff;
            d = entry * exit;
        } else {
            a = _abs(size) * mult;
            b = diff * unit;
            d = WAD2;
        }
    }

    /// @dev Exact signed value of `size` contracts at `price` as sign × a·b/d.
    function _exactValue(MarketKind kind, uint256 mult, int256 size, uint256 price, uint256 unit)
        internal
        pure
        returns (bool negative, uint256 a, uint256 b, uint256 d)
    {
        if (kind == MarketKind.Inverse) {
            return (size > 0, _abs(size) * mult, unit, price);
        }
        return (size < 0, _abs(size) * mult, price * unit, WAD2);
    }

    /// @dev Asserts `x` is `sign × a·b/d` rounded towards +∞ (roundUp) or −∞, using only 512-bit products.
    function _assertRounded(int256 x, bool negative, uint256 a, uint256 b, uint256 d, bool roundUp, string memory what)
        internal
        pure
    {
        // Work on magnitudes: the magnitude was rounded away from zero iff roundUp != negative.
        if (x != 0) assertEq(x < 0, negative, string.concat(what, ": sign"));
        uint256 m = _abs(x);
        bool away = roundUp != negative;
        if (away) {
            // (m − 1)·d < a·b ≤ m·d
            assertTrue(_cmp(a, b, m, d) <= 0, string.concat(what, ": below exact"));
            if (m != 0) assertTrue(_cmp(m - 1, d, a, b) < 0, string.concat(what, ": more than 1 above exact"));
        } else {
            // m·d ≤ a·b < (m + 1)·d
            assertTrue(_cmp(m, d, a, b) <= 0, string.concat(what, ": above exact"));
            assertTrue(_cmp(a, b, m + 1, d) < 0, string.concat(what, ": more than 1 below exact"));
        }
    }
}
