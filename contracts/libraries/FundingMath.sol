// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";
import {MarketKind} from "../types/Market.sol";
import {FixedPoint} from "./FixedPoint.sol";
import {ContractMath} from "./ContractMath.sol";

/// @title FundingMath
/// @notice SPEC §4: mark price from the premium EMA, funding rate, and the cumulative funding index.
/// @dev Mirrored by `sdk/src/math/fundingMath.ts`.
library FundingMath {
    int256 private constant WAD = 1e18;
    uint256 private constant MAX_FUNDING_PRECISION = 1e9;

    /// @notice mark = index × (1 + clamp(premiumEma, ±band)), rounded down.
    function markPrice(uint256 index, int256 premiumEma, uint256 band) internal pure returns (uint256) {
        int256 premium = clampPremium(premiumEma, band);
        return uint256(int256(index) * (WAD + premium) / WAD);
    }

    function clampPremium(int256 premiumEma, uint256 band) internal pure returns (int256) {
        int256 b = int256(band);
        return premiumEma > b ? b : (premiumEma < -b ? -b : premiumEma);
    }

    /// @notice A premium sample: (price − index) / index, 18 decimals.
    function premiumSample(uint256 price, uint256 index) internal pure returns (int256) {
        return (int256(price) - int256(index)) * WAD / int256(index);
    }

    /// @notice Time-weighted EMA step: α = dt / (dt + period), with dt at least one second so that a
    /// sample taken in the same second as the previous one still counts a little.
    function updatePremiumEma(int256 ema, int256 sample, uint256 dt, uint256 period) internal pure returns (int256) {
        uint256 elapsed = dt == 0 ? 1 : dt;
        int256 alpha = int256(elapsed * uint256(WAD) / (elapsed + period));
        return ema + (sample - ema) * alpha / WAD;
    }

    /// @notice rate = premium + clamp(interest − premium, ±cap), per funding interval (18 decimals).
    function fundingRate(int256 premium, int256 interest, uint256 cap) internal pure returns (int256) {
        int256 c = int256(cap);
        int256 diff = interest - premium;
        diff = diff > c ? c : (diff < -c ? -c : diff);
        return premium + diff;
    }

    /// @notice Sub-unit precision of the funding index for a collateral whose unit is `unit` = 10^decimals:
    /// 1e9 for tokens of up to 9 decimals, less for finer tokens, so one index step is never finer than
    /// 1e-18 of a whole token and the `int96` snapshot in a position keeps ~3.9e10 tokens per contract
    /// of headroom whatever the decimals (an 18-decimal token at 1e9 would overflow within weeks).
    function fundingPrecision(uint256 unit) internal pure returns (uint256) {
        uint256 finest = 1e18 / unit;
        return finest < MAX_FUNDING_PRECISION ? finest : MAX_FUNDING_PRECISION;
    }

    /// @notice Growth of the cumulative funding index over `dt` seconds, in collateral units ×
    /// `fundingPrecision(unit)` per contract: rate × value of one contract at `mark` × dt / interval.
    /// Longs pay when it grows.
    function fundingIndexDelta(
        MarketKind kind,
        uint256 multiplier,
        uint256 unit,
        uint256 mark,
        int256 rate,
        uint256 dt,
        uint256 interval
    ) internal pure returns (int256) {
        if (dt == 0 || rate == 0) return 0;
        uint256 contractValue = ContractMath.notional(kind, multiplier, 1, mark, unit * fundingPrecision(unit));
        return FixedPoint.signedMulDiv(contractValue * SignedMath.abs(rate), dt, interval * uint256(WAD), rate < 0, false);
    }

    /// @notice Funding a position owes since its snapshot, in collateral units, rounded up (a debit;
    /// negative means it is owed funding, rounded towards zero). Longs and shorts use the same index,
    /// so what longs pay is what shorts receive, less dust kept by the protocol.
    function fundingOwed(int256 size, int256 cumulativeIndex, int256 snapshot, uint256 unit)
        internal
        pure
        returns (int256)
    {
        // Nothing accrued since the snapshot is the common case for an account trading again within
        // a batch (its snapshot was just set to the index); it is exact, not an approximation.
        if (size == 0 || cumulativeIndex == snapshot) return 0;
        return FixedPoint.divUp(size * (cumulativeIndex - snapshot), fundingPrecision(unit));
    }
}
