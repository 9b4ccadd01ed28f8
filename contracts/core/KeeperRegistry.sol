// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IKeeperRegistry} from "../interfaces/IKeeperRegistry.sol";

/// @title KeeperRegistry
/// @notice Who may post batches. The bond makes a keeper identity costly to throw away; the
/// clearinghouse never trusts a keeper's claims regardless of its bond.
contract KeeperRegistry is IKeeperRegistry, AccessManaged {
    struct Keeper {
        uint128 bond;
        uint64 exitAvailableAt; // 0 while active
        bool registered;
    }

    uint256 public minBond;
    uint256 public unbondingPeriod;
    mapping(address keeper => Keeper) public keepers;

    constructor(address authority, uint256 minBond_, uint256 unbondingPeriod_) AccessManaged(authority) {
        minBond = minBond_;
        unbondingPeriod = unbondingPeriod_;
        emit BondParametersChanged(minBond_, unbondingPeriod_);
    }

    function setBondParameters(uint256 minBond_, uint256 unbondingPeriod_) external restricted {
        minBond = minBond_;
        unbondingPeriod = unbondingPeriod_;
        emit BondParametersChanged(minBond_, unbondingPeriod_);
    }

    /// @inheritdoc IKeeperRegistry
    function register() external payable {
        Keeper storage k = keepers[msg.sender];
        if (k.registered && k.exitAvailableAt == 0) revert KeeperRegistryAlreadyActive(msg.sender);
        uint256 bond = k.bond + msg.value;
        if (bond < minBond) revert KeeperRegistryBondTooSmall(bond, minBond);
        k.bond = uint128(bond);
        k.exitAvailableAt = 0;
        k.registered = true;
        emit KeeperRegistered(msg.sender, bond);
    }

    /// @inheritdoc IKeeperRegistry
    function requestExit() external {
        Keeper storage k = keepers[msg.sender];
        if (!k.registered || k.exitAvailableAt != 0) revert KeeperRegistryNotKeeper(msg.sender);
        uint256 availableAt = block.timestamp + unbondingPeriod;
        k.exitAvailableAt = uint64(availableAt);
        emit KeeperExitRequested(msg.sender, availableAt);
    }

    /// @inheritdoc IKeeperRegistry
    function withdrawBond(address payable to) external {
        Keeper storage k = keepers[msg.sender];
        if (!k.registered || k.exitAvailableAt == 0) revert KeeperRegistryNotKeeper(msg.sender);
        if (block.timestamp < k.exitAvailableAt) revert KeeperRegistryStillUnbonding(msg.sender, k.exitAvailableAt);
        uint256 amount = k.bond;
        if (amount == 0) revert KeeperRegistryNothingToWithdraw(msg.sender);
        delete keepers[msg.sender];
        emit KeeperBondWithdrawn(msg.sender, to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert KeeperRegistryTransferFailed(to, amount);
    }

    /// @inheritdoc IKeeperRegistry
    function isActiveKeeper(address keeper) external view returns (bool) {
        Keeper storage k = keepers[keeper];
        return k.registered && k.exitAvailableAt == 0 && k.bond >= minBond;
    }
}
