// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarketKind} from "../types/Market.sol";
import {FixedPoint} from "./FixedPoint.sol";
import {ContractMath} from "./ContractMath.sol";

/// @title PositionMath
/// @notice How a fill changes a position's size and cost basis, and what it realizes (SPEC §2–3).
/// @dev Mirrored by `sdk/src/math/positionMath.ts`. The basis is kept in collateral units so PnL is
/// additive across fills; the closed share of the basis is released rounded up and the exit value
/// rounded down, so each trade's realized PnL is never more than exact.
library PositionMath {
    /// @dev `applyTrade`'s result as one value, for callers that keep it (tests, harnesses).
    struct Trade {
        int256 size;
        int256 basis;
        int256 realizedPnl;
    }

    /// @notice Applies `delta` contracts at `price` to a position of `size` with `basis`.
    /// @dev Returns a tuple, not a `Trade`: a memory struct would be allocated on every call, and
    /// this runs twice a fill.
    function applyTrade(
        MarketKind kind,
        uint256 multiplier,
        uint256 unit,
        int256 size,
        int256 basis,
        int256 delta,
        uint256 price
    ) internal pure returns (int256 newSize, int256 newBasis, int256 realizedPnl) {
        newSize = size + delta;
        if (size == 0 || (size > 0) == (delta > 0)) {
            // Opening or increasing.
            newBasis = basis + ContractMath.signedValue(kind, multiplier, delta, price, unit, true);
        } else if (newSize == 0 || (newSize > 0) == (size > 0)) {
            // Reducing or closing: release the closed share of the basis.
            int256 closed = -delta; // same sign as size
            int256 released = _shareUp(basis, closed, size);
            int256 exitValue = ContractMath.signedValue(kind, multiplier, closed, price, unit, false);
            newBasis = basis - released;
            realizedPnl = exitValue - released;
        } else {
            // Flipping: close everything, then open the remainder on the other side.
            realizedPnl = ContractMath.signedValue(kind, multiplier, size, price, unit, false) - basis;
            newBasis = ContractMath.signedValue(kind, multiplier, newSize, price, unit, true);
        }
    }

    /// @dev Values at or above this are never computed by `applyFill`'s callers' trades: such a value
    /// fits no int96 basis nor, realized, an int120 balance, so the caller skips the fill instead.
    /// Below it, `applyFill`'s sums (and a balance plus them) cannot overflow int256.
    uint256 internal constant MAX_FILL_VALUE = 2 ** 252;

    /// @notice `applyTrade` for a fill whose value (|delta| contracts at `price`) is known, rounded
    /// down and up (`ContractMath.magnitudes`, below `MAX_FILL_VALUE`). Both sides of a fill share
    /// that value, so opening, increasing, reducing and closing need no further division; only a
    /// flip values its two parts. Equal to `applyTrade`, and `addsRisk` to
    /// `increasesRisk(size, newSize)`, which the branch taken already says (fuzzed in PositionMath.t.sol).
    function applyFill(
        MarketKind kind,
        uint256 multiplier,
        uint256 unit,
        int256 size,
        int256 basis,
        int256 delta,
        uint256 price,
        uint256 valueDown,
        uint256 valueUp
    ) internal pure returns (int256 newSize, int256 newBasis, int256 realizedPnl, bool addsRisk) {
        bool inverse = kind == MarketKind.Inverse;
        // Sizes are int64 plus a uint64 fill, the basis an int96, every value below 2^252.
        unchecked {
            newSize = size + delta;
            if (size == 0 || (size > 0) == (delta > 0)) {
                // Opening or increasing: the fill's signed value rounded up.
                newBasis = basis + _signed(valueDown, valueUp, (delta < 0) != inverse, true);
                addsRisk = delta != 0;
            } else if (newSize == 0 || (newSize > 0) == (size > 0)) {
                // Reducing or closing: the closed contracts (−delta) are the fill's, valued down.
                int256 released = _shareUp(basis, -delta, size);
                newBasis = basis - released;
                realizedPnl = _signed(valueDown, valueUp, (delta > 0) != inverse, false) - released;
            } else {
                // Flipping: both parts are smaller than the fill, so their values are too.
                realizedPnl = ContractMath.signedValue(kind, multiplier, size, price, unit, false) - basis;
                newBasis = ContractMath.signedValue(kind, multiplier, newSize, price, unit, true);
                addsRisk = true;
            }
        }
    }

    /// @notice Unrealized PnL at `price`: signed value (rounded down) minus basis.
    function unrealizedPnl(MarketKind kind, uint256 multiplier, uint256 unit, int256 size, int256 basis, uint256 price)
        internal
        pure
        returns (int256)
    {
        if (size == 0) return 0;
        return ContractMath.signedValue(kind, multiplier, size, price, unit, false) - basis;
    }

    /// @notice Does moving from `size` to `newSize` add risk (grow or flip the position)?
    function increasesRisk(int256 size, int256 newSize) internal pure returns (bool) {
        if (newSize == 0) return false;
        if (size == 0 || (size ^ newSize) < 0) return true; // opening or flipping
        return newSize > 0 ? newSize > size : newSize < size;
    }

    /// @dev `signedValue` from a known magnitude: rounded towards +∞, a positive value takes the
    /// larger magnitude and a negative one the smaller (as `FixedPoint.signedMulDiv`).
    function _signed(uint256 down, uint256 up, bool negative, bool roundUp) private pure returns (int256) {
        unchecked {
            return negative ? -int256(roundUp ? down : up) : int256(roundUp ? up : down); // below 2^252
        }
    }

    /// @dev basis × closed / size, rounded towards +∞ (closed and size have the same sign, |closed| ≤ |size|).
    function _shareUp(int256 basis, int256 closed, int256 size) private pure returns (int256) {
        if (closed == size) return basis;
        uint256 absClosed = FixedPoint.abs(closed);
        uint256 absSize = FixedPoint.abs(size);
        return FixedPoint.signedMulDiv(FixedPoint.abs(basis), absClosed, absSize, basis < 0, true);
    }
}
