// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

interface IDepositTarget {
    function deposit(uint8 collateral, uint8 subaccount, uint256 amount) external;
}

/// @dev A contract wallet whose owner's 65-byte ECDSA signature is its signature (EIP-1271).
contract MockERC1271Wallet is IERC1271 {
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? IERC1271.isValidSignature.selector : bytes4(0);
    }

    function approveAndDeposit(address token, address clearinghouse, uint8 collateral, uint8 subaccount, uint256 amount)
        external
    {
        require(msg.sender == owner, "not owner");
        IERC20(token).approve(clearinghouse, amount);
        IDepositTarget(clearinghouse).deposit(collateral, subaccount, amount);
    }
}
