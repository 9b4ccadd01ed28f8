// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {LucentFixture} from "./utils/LucentFixture.sol";
import {InsuranceVault} from "../../contracts/core/InsuranceVault.sol";
import {IMarketRegistry} from "../../contracts/interfaces/IMarketRegistry.sol";
import {IClearinghouseEvents} from "../../contracts/interfaces/IClearinghouseEvents.sol";
import {InsuranceFlowReason} from "../../contracts/types/Risk.sol";
import {Order} from "../../contracts/types/Order.sol";
import {SubaccountId} from "../../contracts/types/Ids.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";

contract MockERC20Local is MockERC20 {
    constructor() MockERC20("Dai", "DAI", 18) {}
}

/// @dev SPEC §8: ERC-4626 shares over the vault's clearinghouse subaccount, fee income, and
/// redemptions only through a request and a cooldown.
contract InsuranceVaultTest is LucentFixture {
    address internal lp;

    function setUp() public override {
        super.setUp();
        lp = vm.addr(0x1B);
        usd.mint(lp, 1_000_000e6);
        vm.prank(lp);
        usd.approve(address(usdVault), type(uint256).max);
    }

    function _deposit(uint256 amount) internal returns (uint256 shares) {
        vm.prank(lp);
        shares = usdVault.deposit(amount, lp);
    }

    function test_deposit_mintsSharesAndFundsTheVaultSubaccount() public {
        uint256 shares = _deposit(10_000e6);
        assertEq(usdVault.balanceOf(lp), shares, "shares minted");
        assertEq(usdVault.totalAssets(), 10_000e6, "assets");
        (int256 balance,,) = clearinghouse.account(usdVault.subaccount());
        assertEq(balance, int256(10_000e6), "money sits in the vault's ordinary subaccount");
        assertEq(clearinghouse.insuranceFund(USD), 10_000e6, "insuranceFund reads it");
        assertEq(usd.balanceOf(address(usdVault)), 0, "nothing idle in the vault contract");
    }

    function test_tradingFees_raiseTheSharePriceWithAnEvent() public {
        _deposit(10_000e6);
        uint256 before = usdVault.previewRedeem(1e6);
        Order memory maker = _order(alice, BTCUSD, false, 100, uint128(BTC_PRICE), 1);
        Order memory taker = _order(bob, BTCUSD, true, 100, uint128(BTC_PRICE), 2);
        // $10,000 notional: maker 2 bps + taker 5 bps = $7; 80% to insurance.
        vm.expectEmit(address(clearinghouse));
        emit IClearinghouseEvents.InsuranceFlow(USD, address(usdVault), InsuranceFlowReason.TradingFee, 5.6e6);
        _settle(abi.encodePacked(uint64(100), _encodeOrder(maker, ALICE_PK), _encodeOrder(taker, BOB_PK)));
        assertEq(usdVault.totalAssets(), 10_005.6e6, "fee income");
        assertGt(usdVault.previewRedeem(1e6), before, "shares are worth more");
    }

    function test_redeem_needsARequestAndTheCooldown() public {
        uint256 shares = _deposit(10_000e6);
        vm.prank(lp);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, lp, shares, 0));
        usdVault.redeem(shares, lp, lp);

        vm.prank(lp);
        usdVault.requestRedeem(shares);
        assertEq(usdVault.balanceOf(lp), 0, "shares in escrow");
        (uint256 requested, uint256 readyAt) = usdVault.redeemRequest(lp);
        assertEq(requested, shares, "requested");
        assertEq(readyAt, block.timestamp + 1 days, "cooldown");

        vm.warp(readyAt - 1);
        vm.prank(lp);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, lp, shares, 0));
        usdVault.redeem(shares, lp, lp);

        vm.warp(readyAt);
        uint256 before = usd.balanceOf(lp);
        vm.prank(lp);
        uint256 assets = usdVault.redeem(shares, lp, lp);
        assertEq(assets, 10_000e6, "all of it back");
        assertEq(usd.balanceOf(lp), before + assets, "paid out");
        assertEq(usdVault.totalSupply(), 0, "escrowed shares burned");
    }

    function test_redeem_cannotExceedTheRequest() public {
        uint256 shares = _deposit(10_000e6);
        vm.prank(lp);
        usdVault.requestRedeem(shares / 2);
        vm.warp(block.timestamp + 1 days);
        uint256 max = usdVault.maxRedeem(lp);
        assertEq(max, shares / 2, "only the request");
        vm.prank(lp);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, lp, shares, max));
        usdVault.redeem(shares, lp, lp);
    }

    function test_cancelRedeemRequest_returnsTheShares() public {
        uint256 shares = _deposit(10_000e6);
        vm.prank(lp);
        usdVault.requestRedeem(shares);
        vm.prank(lp);
        usdVault.cancelRedeemRequest();
        assertEq(usdVault.balanceOf(lp), shares, "back");
        (uint256 requested,) = usdVault.redeemRequest(lp);
        assertEq(requested, 0, "no request");
        vm.prank(lp);
        vm.expectRevert(InsuranceVault.InsuranceVaultZeroShares.selector);
        usdVault.cancelRedeemRequest();
    }

    function test_requestRedeem_rejectsZeroAndMoreThanOwned() public {
        uint256 shares = _deposit(10_000e6);
        vm.prank(lp);
        vm.expectRevert(InsuranceVault.InsuranceVaultZeroShares.selector);
        usdVault.requestRedeem(0);
        vm.prank(lp);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, lp, shares, shares + 1));
        usdVault.requestRedeem(shares + 1);
        (uint256 requested,) = usdVault.redeemRequest(lp);
        assertEq(requested, 0, "nothing requested");
        assertEq(usdVault.balanceOf(lp), shares, "shares untouched");
    }

    function test_redeem_byAnotherNeedsTheOwnersAllowance() public {
        uint256 shares = _deposit(10_000e6);
        vm.prank(lp);
        usdVault.requestRedeem(shares);
        vm.warp(block.timestamp + 1 days);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, alice, 0, shares));
        usdVault.redeem(shares, alice, lp);
        assertEq(usdVault.totalAssets(), 10_000e6, "nothing paid out");
        vm.prank(lp);
        usdVault.approve(alice, shares);
        vm.prank(alice);
        usdVault.redeem(shares, alice, lp);
        assertEq(usd.balanceOf(alice), 10_000e6, "paid to the approved caller's receiver");
    }

    function test_setInsuranceVault_isSetOnceAndMustMatchTheToken() public {
        vm.expectRevert(
            abi.encodeWithSelector(IMarketRegistry.MarketRegistryInsuranceVaultSet.selector, USD, address(usdVault))
        );
        registry.setInsuranceVault(USD, address(xbtVault));
        // A new collateral's vault must hold that collateral.
        uint8 c = registry.listCollateral(address(new MockERC20Local()));
        vm.expectRevert(
            abi.encodeWithSelector(IMarketRegistry.MarketRegistryInvalidParameter.selector, "insuranceVault")
        );
        registry.setInsuranceVault(c, address(usdVault));
    }
}
