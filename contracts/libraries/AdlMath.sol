// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title AdlMath
/// @notice SPEC §7: the RANKED score and the PRO_RATA shares, exactly as `docs/adl.md` states them.
/// @dev Mirrored by `sdk/src/adl/adlScore.ts`; the differential suite holds them equal.
library AdlMath {
    int256 private constant WAD = 1e18;
    int256 private constant CAP = 1e36;

    /// @notice `PnL% × effective leverage` for a profitable position, `PnL% / effective leverage`
    /// otherwise (≤ 0), where PnL% = (markValue − basis)/|basis| and leverage = |markValue|/equity.
    /// @param markValue the position's signed value at mark, rounded down (ContractMath.signedValue)
    /// @param basis the position's cost basis (its signed entry value)
    /// @param equity the holder's equity at mark
    function score(int256 markValue, int256 basis, int256 equity) internal pure returns (int256) {
        int256 pnl = markValue - basis;
        int256 absEntry = basis < 0 ? -basis : basis;
        if (absEntry == 0) absEntry = 1;
        int256 absMark = markValue < 0 ? -markValue : markValue;
        if (absMark == 0) absMark = 1;
        int256 eq = equity < 1 ? int256(1) : equity;
        int256 pnlPct = pnl * WAD / absEntry;
        if (pnlPct > CAP) pnlPct = CAP;
        if (pnlPct < -CAP) pnlPct = -CAP;
        int256 leverage = absMark * WAD / eq;
        if (leverage > CAP) leverage = CAP;
        if (leverage < 1) leverage = 1;
        return pnl > 0 ? pnlPct * leverage / WAD : pnlPct * WAD / leverage;
    }

    /// @notice Whether (scoreA, idA) ranks strictly ahead of (scoreB, idB): score descending, then id ascending.
    function ranksBefore(int256 scoreA, uint256 idA, int256 scoreB, uint256 idB) internal pure returns (bool) {
        return scoreA > scoreB || (scoreA == scoreB && idA < idB);
    }

    /// @notice PRO_RATA share in lots of a position whose lots bring the cumulative count from
    /// `cumBefore` to `cumAfter`, of a `shortfall` spread over `total` lots:
    /// floor(s·C_i/T) − floor(s·C_{i−1}/T). The shares sum to exactly `shortfall`.
    function proRataShare(uint256 shortfall, uint256 cumBefore, uint256 cumAfter, uint256 total)
        internal
        pure
        returns (uint256)
    {
        return shortfall * cumAfter / total - shortfall * cumBefore / total;
    }
}
