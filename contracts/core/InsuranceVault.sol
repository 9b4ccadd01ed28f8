// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {SubaccountId, SubaccountIdLib} from "../types/Ids.sol";

/// @title InsuranceVault
/// @notice SPEC §8: one ERC-4626 vault per collateral token. Its money and any backstop positions
/// live in an ordinary clearinghouse subaccount (this contract, the collateral, index 0), which obeys
/// the same margin and ADL rules as every other subaccount. The clearinghouse credits it liquidation
/// fees and fee shares and charges it bad debt (`InsuranceFlow` events); `totalAssets` is that
/// subaccount's equity at mark, so LPs earn the fees and bear the losses first.
/// @dev Redemptions take a request and a cooldown, so nobody exits ahead of a loss they can see
/// coming: requested shares move into escrow here and keep bearing losses until redeemed.
contract InsuranceVault is ERC4626 {
    using SafeERC20 for IERC20;

    struct RedeemRequest {
        uint192 shares;
        uint64 readyAt;
    }

    IClearinghouse private immutable _clearinghouse;
    uint8 private immutable _collateral;
    uint256 private immutable _cooldown;
    mapping(address owner => RedeemRequest) private _requests;

    event RedeemRequested(address indexed owner, uint256 shares, uint256 totalRequested, uint256 readyAt);
    event RedeemRequestCancelled(address indexed owner, uint256 shares);

    error InsuranceVaultZeroShares();
    error InsuranceVaultCooldown(address owner, uint256 readyAt);
    error InsuranceVaultExceedsRequest(address owner, uint256 requested, uint256 shares);

    constructor(
        IERC20 asset_,
        IClearinghouse clearinghouse_,
        uint8 collateral_,
        uint256 cooldown_,
        string memory name_,
        string memory symbol_
    ) ERC20(name_, symbol_) ERC4626(asset_) {
        _clearinghouse = clearinghouse_;
        _collateral = collateral_;
        _cooldown = cooldown_;
    }

    function clearinghouse() external view returns (IClearinghouse) {
        return _clearinghouse;
    }

    function cooldown() external view returns (uint256) {
        return _cooldown;
    }

    /// @notice The clearinghouse subaccount holding the vault's money and positions.
    function subaccount() public view returns (SubaccountId) {
        return SubaccountIdLib.from(address(this), _collateral, 0);
    }

    function redeemRequest(address owner) external view returns (uint256 shares, uint256 readyAt) {
        RedeemRequest memory r = _requests[owner];
        return (r.shares, r.readyAt);
    }

    /// @notice Equity of the vault's subaccount at mark (balance + unrealized PnL − funding), floored at 0.
    function totalAssets() public view override returns (uint256) {
        (int256 equity,,,) = _clearinghouse.accountHealth(subaccount());
        return equity > 0 ? uint256(equity) : 0;
    }

    /// @dev A vault under water takes no deposits: new money would pay for losses it did not share in.
    function maxDeposit(address) public view override returns (uint256) {
        return totalAssets() == 0 && totalSupply() != 0 ? 0 : type(uint256).max;
    }

    function maxMint(address) public view override returns (uint256) {
        return totalAssets() == 0 && totalSupply() != 0 ? 0 : type(uint256).max;
    }

    /// @notice Shares `owner` can redeem now: its matured request, as far as free collateral allows.
    function maxRedeem(address owner) public view override returns (uint256) {
        RedeemRequest memory r = _requests[owner];
        if (r.readyAt == 0 || block.timestamp < r.readyAt) return 0;
        return Math.min(r.shares, convertToShares(_freeAssets()));
    }

    function maxWithdraw(address owner) public view override returns (uint256) {
        RedeemRequest memory r = _requests[owner];
        if (r.readyAt == 0 || block.timestamp < r.readyAt) return 0;
        return Math.min(previewRedeem(r.shares), _freeAssets());
    }

    /// @notice Moves `shares` into escrow and starts (or restarts) the owner's cooldown.
    function requestRedeem(uint256 shares) external {
        if (shares == 0) revert InsuranceVaultZeroShares();
        _transfer(msg.sender, address(this), shares);
        RedeemRequest storage r = _requests[msg.sender];
        r.shares += uint192(shares);
        r.readyAt = uint64(block.timestamp + _cooldown);
        emit RedeemRequested(msg.sender, shares, r.shares, r.readyAt);
    }

    /// @notice Returns the owner's escrowed shares.
    function cancelRedeemRequest() external {
        uint256 shares = _requests[msg.sender].shares;
        if (shares == 0) revert InsuranceVaultZeroShares();
        delete _requests[msg.sender];
        _transfer(address(this), msg.sender, shares);
        emit RedeemRequestCancelled(msg.sender, shares);
    }

    /// @dev Deposits go straight into the vault's clearinghouse subaccount.
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        super._deposit(caller, receiver, assets, shares);
        IERC20(asset()).forceApprove(address(_clearinghouse), assets);
        _clearinghouse.deposit(_collateral, 0, assets);
    }

    /// @dev Burns escrowed shares of a matured request and withdraws from the clearinghouse, which
    /// enforces the subaccount's free collateral like anyone's.
    function _withdraw(address caller, address receiver, address owner, uint256 assets, uint256 shares)
        internal
        override
    {
        if (caller != owner) _spendAllowance(owner, caller, shares);
        RedeemRequest storage r = _requests[owner];
        if (r.readyAt == 0 || block.timestamp < r.readyAt) revert InsuranceVaultCooldown(owner, r.readyAt);
        if (shares > r.shares) revert InsuranceVaultExceedsRequest(owner, r.shares, shares);
        r.shares -= uint192(shares);
        _burn(address(this), shares);
        _clearinghouse.withdraw(_collateral, 0, assets, receiver);
        emit Withdraw(caller, receiver, owner, assets, shares);
    }

    function _freeAssets() private view returns (uint256 free) {
        (,,, free) = _clearinghouse.accountHealth(subaccount());
    }
}
