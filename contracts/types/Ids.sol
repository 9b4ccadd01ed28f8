// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev A subaccount: `owner (160 bits) | collateral index (8 bits) | subaccount index (8 bits)`.
/// One subaccount holds one collateral token and is cross-margined across that token's markets.
type SubaccountId is bytes32;

using SubaccountIdLib for SubaccountId global;

library SubaccountIdLib {
    function from(address owner_, uint8 collateral_, uint8 index_) internal pure returns (SubaccountId) {
        return SubaccountId.wrap(bytes32((uint256(uint160(owner_)) << 16) | (uint256(collateral_) << 8) | index_));
    }

    function owner(SubaccountId id) internal pure returns (address) {
        return address(uint160(uint256(SubaccountId.unwrap(id)) >> 16));
    }

    function collateral(SubaccountId id) internal pure returns (uint8) {
        return uint8(uint256(SubaccountId.unwrap(id)) >> 8);
    }

    function index(SubaccountId id) internal pure returns (uint8) {
        return uint8(uint256(SubaccountId.unwrap(id)));
    }

    function eq(SubaccountId a, SubaccountId b) internal pure returns (bool) {
        return SubaccountId.unwrap(a) == SubaccountId.unwrap(b);
    }
}
