// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IIndexOracle
/// @notice SPEC §4: the index price of a market. The clearinghouse decides staleness from `updatedAt`
/// and the market's `maxIndexAge`; an adapter that cannot vouch for its price returns `updatedAt = 0`.
interface IIndexOracle {
    /// @return price Index price, 18 decimals.
    /// @return updatedAt Timestamp the price is valid as of; 0 when the source is unusable.
    function latestIndex() external view returns (uint256 price, uint256 updatedAt);
}
