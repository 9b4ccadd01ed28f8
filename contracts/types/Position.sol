// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev One position in one storage slot, because a position is written on every fill and a new
/// slot costs 22,100 gas: `size int64 | basis int96 | fundingSnapshot int96` (high to low bits).
/// - size: contracts, long > 0.
/// - basis: Σ signed value of the fills that built the position, in collateral token units,
///   rounded up (SPEC §2; PnL = signed mark value − basis for every kind).
/// - fundingSnapshot: the market's cumulative funding index when funding was last settled.
type Position is uint256;

using PositionLib for Position global;

library PositionLib {
    /// @dev Packs a position. The caller has checked each field fits its width (`_applyToSide` turns
    /// a field that does not into a skipped fill), so nothing is checked again here.
    function packInRange(int256 size_, int256 basis_, int256 fundingSnapshot_) internal pure returns (Position) {
        return Position.wrap(
            (uint256(uint64(int64(size_))) << 192) | (uint256(uint96(int96(basis_))) << 96)
                | uint256(uint96(int96(fundingSnapshot_)))
        );
    }

    function size(Position p) internal pure returns (int256) {
        return int64(uint64(Position.unwrap(p) >> 192));
    }

    function basis(Position p) internal pure returns (int256) {
        return int96(uint96(Position.unwrap(p) >> 96));
    }

    function fundingSnapshot(Position p) internal pure returns (int256) {
        return int96(uint96(Position.unwrap(p)));
    }

    function isEmpty(Position p) internal pure returns (bool) {
        return Position.unwrap(p) >> 192 == 0;
    }
}
