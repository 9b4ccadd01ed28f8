// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarketKind} from "../types/Market.sol";
import {ContractMath} from "../libraries/ContractMath.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {FundingMath} from "../libraries/FundingMath.sol";
import {FixedPoint} from "../libraries/FixedPoint.sol";

/// @title MathHarness
/// @notice Exposes `ContractMath`, `PositionMath` and `FundingMath` as external pure functions, name for
/// name and argument for argument, so that Solidity fuzz tests can call them externally (and observe
/// reverts) and the TypeScript differential suite can compare them with the SDK mirrors.
/// @dev Test-only; never deployed by the protocol. Keep the names identical to the library functions.
contract MathHarness {
    // ------------------------------------------------------------------ ContractMath

    function signedValue(MarketKind kind, uint256 multiplier, int256 size, uint256 price, uint256 unit, bool roundUp)
        external
        pure
        returns (int256)
    {
        return ContractMath.signedValue(kind, multiplier, size, price, unit, roundUp);
    }

    function notional(MarketKind kind, uint256 multiplier, int256 size, uint256 price, uint256 unit)
        external
        pure
        returns (uint256)
    {
        return ContractMath.notional(kind, multiplier, size, price, unit);
    }

    function valueAndNotional(MarketKind kind, uint256 multiplier, int256 size, uint256 price, uint256 unit)
        external
        pure
        returns (int256 valueDown, uint256 notionalUp)
    {
        return ContractMath.valueAndNotional(kind, multiplier, size, price, unit);
    }

    function pnl(MarketKind kind, uint256 multiplier, int256 size, uint256 entry, uint256 exit, uint256 unit)
        external
        pure
        returns (int256)
    {
        return ContractMath.pnl(kind, multiplier, size, entry, exit, unit);
    }

    function margin(MarketKind kind, uint256 multiplier, int256 size, uint256 price, uint256 rate, uint256 unit)
        external
        pure
        returns (uint256)
    {
        return ContractMath.margin(kind, multiplier, size, price, rate, unit);
    }

    function contractsForExposure(MarketKind kind, uint256 multiplier, uint256 price, uint256 exposure, uint256 unit)
        external
        pure
        returns (uint256)
    {
        return ContractMath.contractsForExposure(kind, multiplier, price, exposure, unit);
    }

    // ------------------------------------------------------------------ PositionMath

    function applyTrade(
        MarketKind kind,
        uint256 multiplier,
        uint256 unit,
        int256 size,
        int256 basis,
        int256 delta,
        uint256 price
    ) external pure returns (PositionMath.Trade memory t) {
        (t.size, t.basis, t.realizedPnl) = PositionMath.applyTrade(kind, multiplier, unit, size, basis, delta, price);
    }

    /// @dev `applyFill` valued as the clearinghouse values a fill: `magnitudes` of |delta| at `price`.
    function applyFill(
        MarketKind kind,
        uint256 multiplier,
        uint256 unit,
        int256 size,
        int256 basis,
        int256 delta,
        uint256 price
    ) external pure returns (PositionMath.Trade memory t, bool addsRisk) {
        (uint256 down, uint256 up) = ContractMath.magnitudes(kind, multiplier, FixedPoint.abs(delta), price, unit);
        require(up < PositionMath.MAX_FILL_VALUE, "fill value out of range");
        (t.size, t.basis, t.realizedPnl, addsRisk) =
            PositionMath.applyFill(kind, multiplier, unit, size, basis, delta, price, down, up);
    }

    function magnitudes(MarketKind kind, uint256 multiplier, uint256 contracts, uint256 price, uint256 unit)
        external
        pure
        returns (uint256 down, uint256 up)
    {
        return ContractMath.magnitudes(kind, multiplier, contracts, price, unit);
    }

    function unrealizedPnl(MarketKind kind, uint256 multiplier, uint256 unit, int256 size, int256 basis, uint256 price)
        external
        pure
        returns (int256)
    {
        return PositionMath.unrealizedPnl(kind, multiplier, unit, size, basis, price);
    }

    function increasesRisk(int256 size, int256 newSize) external pure returns (bool) {
        return PositionMath.increasesRisk(size, newSize);
    }

    // ------------------------------------------------------------------ FundingMath

    function markPrice(uint256 index, int256 premiumEma, uint256 band) external pure returns (uint256) {
        return FundingMath.markPrice(index, premiumEma, band);
    }

    function clampPremium(int256 premiumEma, uint256 band) external pure returns (int256) {
        return FundingMath.clampPremium(premiumEma, band);
    }

    function premiumSample(uint256 price, uint256 index) external pure returns (int256) {
        return FundingMath.premiumSample(price, index);
    }

    function updatePremiumEma(int256 ema, int256 sample, uint256 dt, uint256 period) external pure returns (int256) {
        return FundingMath.updatePremiumEma(ema, sample, dt, period);
    }

    function fundingRate(int256 premium, int256 interest, uint256 cap) external pure returns (int256) {
        return FundingMath.fundingRate(premium, interest, cap);
    }

    function fundingIndexDelta(
        MarketKind kind,
        uint256 multiplier,
        uint256 unit,
        uint256 mark,
        int256 rate,
        uint256 dt,
        uint256 interval
    ) external pure returns (int256) {
        return FundingMath.fundingIndexDelta(kind, multiplier, unit, mark, rate, dt, interval);
    }

    function fundingOwed(int256 size, int256 cumulativeIndex, int256 snapshot, uint256 unit)
        external
        pure
        returns (int256)
    {
        return FundingMath.fundingOwed(size, cumulativeIndex, snapshot, unit);
    }

    function fundingPrecision(uint256 unit) external pure returns (uint256) {
        return FundingMath.fundingPrecision(unit);
    }
}
