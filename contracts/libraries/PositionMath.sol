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

    /// @dev basis × closed / size, rounded towards +∞ (closed and size have the same sign, |closed| ≤ |size|).
    function _shareUp(int256 basis, int256 closed, int256 size) private pure returns (int256) {
        if (closed == size) return basis;
        uint256 absClosed = FixedPoint.abs(closed);
        uint256 absSize = FixedPoint.abs(size);
        return FixedPoint.signedMulDiv(FixedPoint.abs(basis), absClosed, absSize, basis < 0, true);
    }
}
