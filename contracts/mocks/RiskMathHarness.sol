// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarketKind} from "../types/Market.sol";
import {LiquidationMath} from "../libraries/LiquidationMath.sol";
import {AdlMath} from "../libraries/AdlMath.sol";

/// @title RiskMathHarness
/// @notice Exposes `LiquidationMath` and `AdlMath` as external pure functions, name for name and argument
/// for argument, so the TypeScript differential suite (test/sdk/riskMathDifferential.test.ts) can compare
/// them with the SDK mirrors (`sdk/src/math/liquidationMath.ts`, `sdk/src/adl/adlScore.ts`).
/// @dev Test-only; never deployed by the protocol. Keep the names identical to the library functions.
contract RiskMathHarness {
    // ------------------------------------------------------------------ LiquidationMath

    function MAX_PRICE() external pure returns (uint256) {
        return LiquidationMath.MAX_PRICE;
    }

    function bankruptcyPrice(MarketKind kind, uint256 multiplier, uint256 unit, int256 size, uint256 mark, int256 equity)
        external
        pure
        returns (uint256)
    {
        return LiquidationMath.bankruptcyPrice(kind, multiplier, unit, size, mark, equity);
    }

    function partialCloseSize(
        uint256 absSize,
        uint256 lot,
        uint256 deficit,
        uint256 positionNotional,
        uint256 imRate,
        uint256 feeRate
    ) external pure returns (uint256) {
        return LiquidationMath.partialCloseSize(absSize, lot, deficit, positionNotional, imRate, feeRate);
    }

    // ------------------------------------------------------------------ AdlMath

    function score(int256 markValue, int256 basis, int256 equity) external pure returns (int256) {
        return AdlMath.score(markValue, basis, equity);
    }

    function ranksBefore(int256 scoreA, uint256 idA, int256 scoreB, uint256 idB) external pure returns (bool) {
        return AdlMath.ranksBefore(scoreA, idA, scoreB, idB);
    }

    function proRataShare(uint256 shortfall, uint256 cumBefore, uint256 cumAfter, uint256 total)
        external
        pure
        returns (uint256)
    {
        return AdlMath.proRataShare(shortfall, cumBefore, cumAfter, total);
    }
}
