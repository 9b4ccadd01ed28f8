// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IKeeperRegistry
/// @notice Keepers bond native currency to post batches (SPEC §5). An exiting keeper stops being
/// active at once and recovers its bond after the unbonding period.
interface IKeeperRegistry {
    error KeeperRegistryBondTooSmall(uint256 bond, uint256 minimum);
    error KeeperRegistryNotKeeper(address keeper);
    error KeeperRegistryAlreadyActive(address keeper);
    error KeeperRegistryStillUnbonding(address keeper, uint256 availableAt);
    error KeeperRegistryNothingToWithdraw(address keeper);
    error KeeperRegistryTransferFailed(address to, uint256 amount);

    event KeeperRegistered(address indexed keeper, uint256 bond);
    event KeeperExitRequested(address indexed keeper, uint256 availableAt);
    event KeeperBondWithdrawn(address indexed keeper, address indexed to, uint256 amount);
    event BondParametersChanged(uint256 minBond, uint256 unbondingPeriod);

    function register() external payable;
    function requestExit() external;
    function withdrawBond(address payable to) external;
    function isActiveKeeper(address keeper) external view returns (bool);
}
