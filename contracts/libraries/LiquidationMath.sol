// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarketKind} from "../types/Market.sol";
import {FixedPoint} from "./FixedPoint.sol";

/// @title LiquidationMath
/// @notice SPEC §3 and §6: the bankruptcy price of a position and the size a partial liquidation closes.
/// @dev Mirrored by `sdk/src/math/liquidationMath.ts`.
library LiquidationMath {
    uint256 private constant WAD = 1e18;
    uint256 private constant WAD_SQUARED = 1e36;
    /// @dev Prices are packed in 128 bits in events; a bankruptcy price beyond that does not exist.
    uint256 internal constant MAX_PRICE = type(uint128).max;

    /// @notice The price at which closing `size` contracts leaves an account with `equity` (at `mark`,
    /// other marks fixed) at exactly zero: `signedValue(size, P) = signedValue(size, mark) − equity`.
    /// Rounded in the liquidated account's favour (a long's up, a short's down), so a close at this
    /// price never leaves it below zero. Clamped to [1, MAX_PRICE] when no such price exists.
    function bankruptcyPrice(MarketKind kind, uint256 multiplier, uint256 unit, int256 size, uint256 mark, int256 equity)
        internal
        pure
        returns (uint256)
    {
        bool long = size > 0;
        uint256 absEquity = FixedPoint.abs(equity);
        uint256 exposure = FixedPoint.abs(size) * multiplier * unit; // value = exposure·P/1e36 or exposure/P
        if (kind == MarketKind.Inverse) {
            // long: A/P = A/mark + e; short: A/P = A/mark − e, with A = exposure.
            bool addEquity = long == (equity >= 0);
            uint256 equityTerm = absEquity * mark;
            uint256 denominator;
            if (addEquity) {
                denominator = exposure + equityTerm;
            } else {
                if (equityTerm >= exposure) return MAX_PRICE;
                denominator = exposure - equityTerm;
            }
            return _clamp(FixedPoint.mulDiv(exposure, mark, denominator, long));
        }
        // linear, quanto: P = mark − e·1e36/A (long), mark + e·1e36/A (short).
        bool down = long == (equity >= 0); // the price moves below mark
        // Rounding towards the account's favour: a long's price rounds up, a short's down.
        uint256 shift = FixedPoint.mulDiv(absEquity, WAD_SQUARED, exposure, down != long);
        if (down) return shift >= mark ? 1 : _clamp(mark - shift);
        return mark + shift > MAX_PRICE ? MAX_PRICE : mark + shift;
    }

    /// @notice The least size (in contracts, a multiple of `lot`, at most `absSize`) whose close at mark
    /// brings equity back to initial margin, paying the liquidation fee on it:
    /// `equity − s·n·fee ≥ im − s·n·imRate` with n the position's notional per contract.
    function partialCloseSize(
        uint256 absSize,
        uint256 lot,
        uint256 deficit, // im − equity, > 0
        uint256 positionNotional,
        uint256 imRate,
        uint256 feeRate
    ) internal pure returns (uint256) {
        if (imRate <= feeRate) return absSize;
        uint256 relief = FixedPoint.mulRateDown(positionNotional, imRate - feeRate); // for the whole position
        if (relief == 0) return absSize;
        uint256 size = FixedPoint.mulDiv(deficit, absSize, relief, true);
        size = (size + lot - 1) / lot * lot;
        return size < absSize ? size : absSize;
    }

    function _clamp(uint256 price) private pure returns (uint256) {
        if (price == 0) return 1;
        return price > MAX_PRICE ? MAX_PRICE : price;
    }
}
