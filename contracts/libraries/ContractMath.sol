// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarketKind} from "../types/Market.sol";
import {FixedPoint} from "./FixedPoint.sol";

/// @title ContractMath
/// @notice SPEC §2: value, PnL, margin and sizing of linear, inverse and quanto contracts.
/// @dev Mirrored name for name by `sdk/src/math/contractMath.ts`; the differential suite holds them equal.
/// `unit` is 10^decimals of the collateral token, so results are in its smallest unit.
/// Signed value: +M·P·q (linear, quanto) or −M·q/P (inverse), so that for every kind
/// PnL = signedValue(exit) − signedValue(entry) and a position's basis is Σ signedValue(fills).
library ContractMath {
    uint256 private constant WAD_SQUARED = 1e36;

    error ZeroPrice();

    /// @notice Signed collateral value of `size` contracts at `price`, rounded towards +∞ or −∞.
    function signedValue(MarketKind kind, uint256 multiplier, int256 size, uint256 price, uint256 unit, bool roundUp)
        internal
        pure
        returns (int256)
    {
        if (price == 0) revert ZeroPrice();
        uint256 contracts = FixedPoint.abs(size);
        if (kind == MarketKind.Inverse) {
            return FixedPoint.signedMulDiv(contracts * multiplier, unit, price, size > 0, roundUp);
        }
        return FixedPoint.signedMulDiv(contracts * multiplier, price * unit, WAD_SQUARED, size < 0, roundUp);
    }

    /// @notice Unsigned position value V = |size| × value(price), rounded up (it sizes requirements).
    function notional(MarketKind kind, uint256 multiplier, int256 size, uint256 price, uint256 unit)
        internal
        pure
        returns (uint256)
    {
        if (price == 0) revert ZeroPrice();
        uint256 contracts = FixedPoint.abs(size);
        if (kind == MarketKind.Inverse) return FixedPoint.mulDiv(contracts * multiplier, unit, price, true);
        return FixedPoint.mulDiv(contracts * multiplier, price * unit, WAD_SQUARED, true);
    }

    /// @notice Both figures an account's health needs from one position, from one division:
    /// `signedValue(..., roundUp = false)` and `notional(...)`, exactly.
    function valueAndNotional(MarketKind kind, uint256 multiplier, int256 size, uint256 price, uint256 unit)
        internal
        pure
        returns (int256 valueDown, uint256 notionalUp)
    {
        uint256 down;
        (down, notionalUp) = magnitudes(kind, multiplier, FixedPoint.absUnchecked(size), price, unit);
        if (notionalUp > uint256(type(int256).max)) revert FixedPoint.FixedPointOverflow(notionalUp);
        unchecked {
            // Negative for a short (linear, quanto) or a long (inverse); the magnitude fits (above).
            valueDown = (size < 0) != (kind == MarketKind.Inverse) ? -int256(notionalUp) : int256(down);
        }
    }

    /// @notice The value of `contracts` contracts at `price` without its sign, rounded down and up:
    /// `notional` is `up`, and `signedValue` of that many contracts is ±`down` or ±`up`.
    function magnitudes(MarketKind kind, uint256 multiplier, uint256 contracts, uint256 price, uint256 unit)
        internal
        pure
        returns (uint256 down, uint256 up)
    {
        if (price == 0) revert ZeroPrice();
        // Products of factors below 2^128 (the usual case) cannot overflow: they skip the check.
        uint256 scaled;
        if ((contracts | multiplier) >> 128 == 0) {
            unchecked {
                scaled = contracts * multiplier;
            }
        } else {
            scaled = contracts * multiplier;
        }
        if (kind == MarketKind.Inverse) return FixedPoint.mulDivBoth(scaled, unit, price);
        uint256 perContract;
        if ((price | unit) >> 128 == 0) {
            unchecked {
                perContract = price * unit;
            }
        } else {
            perContract = price * unit;
        }
        return FixedPoint.mulDivBoth(scaled, perContract, WAD_SQUARED);
    }

    /// @notice PnL of `size` contracts opened at `entry` and closed at `exit`.
    /// @dev Exactly what a position realizes: the exit value rounded down minus the basis rounded up,
    /// so rounding dust stays with the protocol (SPEC §0.1).
    function pnl(MarketKind kind, uint256 multiplier, int256 size, uint256 entry, uint256 exit, uint256 unit)
        internal
        pure
        returns (int256)
    {
        return signedValue(kind, multiplier, size, exit, unit, false) - signedValue(kind, multiplier, size, entry, unit, true);
    }

    /// @notice Initial or maintenance margin of a position: V × rate, rounded up.
    function margin(MarketKind kind, uint256 multiplier, int256 size, uint256 price, uint256 rate, uint256 unit)
        internal
        pure
        returns (uint256)
    {
        return FixedPoint.mulRateUp(notional(kind, multiplier, size, price, unit), rate);
    }

    /// @notice How many contracts make `exposure` collateral units of value at `price`, rounded down.
    function contractsForExposure(MarketKind kind, uint256 multiplier, uint256 price, uint256 exposure, uint256 unit)
        internal
        pure
        returns (uint256)
    {
        if (price == 0) revert ZeroPrice();
        if (kind == MarketKind.Inverse) return FixedPoint.mulDiv(exposure, price, multiplier * unit, false);
        return FixedPoint.mulDiv(exposure, WAD_SQUARED, multiplier * price * unit, false);
    }
}
