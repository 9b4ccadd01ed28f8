// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {LucentFixture} from "./utils/LucentFixture.sol";
import {IMarketRegistry} from "../../contracts/interfaces/IMarketRegistry.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {InsuranceVault} from "../../contracts/core/InsuranceVault.sol";
import {IClearinghouse} from "../../contracts/interfaces/IClearinghouse.sol";
import {IClearinghouseEvents} from "../../contracts/interfaces/IClearinghouseEvents.sol";
import {MarketConfig, MarketKind, Collateral} from "../../contracts/types/Market.sol";

contract MarketRegistryTest is LucentFixture {
    uint256 internal constant T0 = 1_700_000_000; // the fixture's start time
    uint64 internal constant LISTER_ROLE = 42;

    function _solConfig() internal view returns (MarketConfig memory) {
        return _config(MarketKind.Linear, USD, 1e18, 0.01e18, address(btcOracle));
    }

    function _configsEqual(MarketConfig memory a, MarketConfig memory b) internal pure returns (bool) {
        return keccak256(abi.encode(a)) == keccak256(abi.encode(b));
    }

    // ================================================================== collateral

    function test_listCollateral_appendsTheTokenAndEmits() public {
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IMarketRegistry.CollateralListed(2, address(dai), 18);
        uint8 index = registry.listCollateral(address(dai));
        assertEq(uint256(index), 2, "index");
        assertEq(registry.collateralCount(), 3, "count");
        Collateral memory c = registry.collateral(2);
        assertEq(c.token, address(dai), "token");
        assertEq(uint256(c.decimals), 18, "decimals");
    }

    function test_listCollateral_revertsWhenAlreadyListed() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryCollateralListed.selector, address(xbt)));
        registry.listCollateral(address(xbt));
        assertEq(registry.collateralCount(), 2, "count unchanged");
    }

    function test_listCollateral_revertsOnMoreThan18Decimals() public {
        MockERC20 odd = new MockERC20("Odd", "ODD", 19);
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryBadDecimals.selector, address(odd), 19));
        registry.listCollateral(address(odd));
        assertEq(registry.collateralCount(), 2, "count unchanged");
    }

    function test_collateral_revertsOnAnUnknownIndex() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryUnknownCollateral.selector, 2));
        registry.collateral(2);
    }

    // ================================================================== listing

    function test_listMarket_appendsTheMarketAndEmits() public {
        MarketConfig memory cfg = _solConfig();
        vm.expectEmit(true, false, false, true, address(registry));
        emit IMarketRegistry.MarketListed(3, "SOL-USD", cfg);
        uint8 id = registry.listMarket("SOL-USD", cfg);
        assertEq(uint256(id), 3, "id");
        assertEq(registry.marketCount(), 4, "count");
        (MarketConfig memory stored, uint256 unit) = registry.market(3);
        assertTrue(_configsEqual(stored, cfg), "stored config");
        assertEq(unit, 1e6, "USD unit");
        assertEq(registry.symbol(3), "SOL-USD", "symbol");
        (, unit) = registry.market(XBTUSD);
        assertEq(unit, 1e8, "XBT unit");
    }

    function test_listMarket_revertsOnAnUnknownCollateral() public {
        MarketConfig memory cfg = _solConfig();
        cfg.collateral = 2;
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryUnknownCollateral.selector, 2));
        registry.listMarket("SOL-USD", cfg);
        assertEq(registry.marketCount(), 3, "count unchanged");
    }

    function _expectInvalidListing(MarketConfig memory cfg, string memory field) internal {
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryInvalidParameter.selector, field));
        registry.listMarket("BAD", cfg);
        assertEq(registry.marketCount(), 3, string.concat("count unchanged after ", field));
    }

    function test_listMarket_revertsOnEachInvalidParameter() public {
        MarketConfig memory c;
        c = _solConfig(); c.multiplier = 0; _expectInvalidListing(c, "multiplier");
        c = _solConfig(); c.tickSize = 0; _expectInvalidListing(c, "tickSize");
        c = _solConfig(); c.lotSize = 0; _expectInvalidListing(c, "lotSize");
        c = _solConfig(); c.imRate = 0; _expectInvalidListing(c, "imRate");
        c = _solConfig(); c.imRate = 1e18 + 1; _expectInvalidListing(c, "imRate");
        c = _solConfig(); c.mmRate = 0; _expectInvalidListing(c, "mmRate");
        c = _solConfig(); c.mmRate = c.imRate; _expectInvalidListing(c, "mmRate");
        c = _solConfig(); c.mmRate = c.imRate + 1; _expectInvalidListing(c, "mmRate");
        c = _solConfig(); c.makerFeeRate = 0.01e18 + 1; _expectInvalidListing(c, "makerFeeRate");
        c = _solConfig(); c.takerFeeRate = 0.01e18 + 1; _expectInvalidListing(c, "takerFeeRate");
        c = _solConfig(); c.keeperFeeShare = 1e18 + 1; _expectInvalidListing(c, "keeperFeeShare");
        c = _solConfig(); c.markBandRate = 1e18; _expectInvalidListing(c, "markBandRate");
        c = _solConfig(); c.fundingInterval = 0; _expectInvalidListing(c, "fundingInterval");
        c = _solConfig(); c.maxIndexAge = 0; _expectInvalidListing(c, "maxIndexAge");
        c = _solConfig(); c.maxOpenInterest = 0; _expectInvalidListing(c, "maxOpenInterest");
        c = _solConfig(); c.oracle = address(0); _expectInvalidListing(c, "oracle");
    }

    function test_listMarket_acceptsTheBoundaryValues() public {
        MarketConfig memory c = _solConfig();
        c.imRate = 1e18;
        c.mmRate = 1e18 - 1;
        c.makerFeeRate = 0.01e18;
        c.takerFeeRate = 0.01e18;
        c.keeperFeeShare = 1e18;
        c.markBandRate = 1e18 - 1;
        registry.listMarket("EDGE", c);
        assertEq(registry.marketCount(), 4, "listed");
    }

    function test_listMarket_revertsBeyond64Markets() public {
        MarketConfig memory cfg = _solConfig();
        for (uint256 i = registry.marketCount(); i < 64; ++i) {
            registry.listMarket("M", cfg);
        }
        assertEq(registry.marketCount(), 64, "64 markets");
        assertEq(registry.MAX_MARKETS(), 64, "MAX_MARKETS");
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryTooManyMarkets.selector, 64));
        registry.listMarket("M", cfg);
        assertEq(registry.marketCount(), 64, "still 64");
    }

    function test_market_revertsOnAnUnknownId() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryUnknownMarket.selector, 3));
        registry.market(3);
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryUnknownMarket.selector, 3));
        registry.symbol(3);
    }

    // ================================================================== published market data

    /// @dev What the clearinghouse reads: a STOP byte, then abi.encode(config, unit, insuranceVault).
    function _expectedData(uint8 id, address vault) internal view returns (bytes memory) {
        (MarketConfig memory cfg, uint256 unit) = registry.market(id);
        return abi.encodePacked(hex"00", abi.encode(cfg, unit, vault));
    }

    function test_marketData_isTheConfigUnitAndVaultOfEveryMarket() public view {
        assertEq(registry.marketData(BTCUSD).code, _expectedData(BTCUSD, address(usdVault)), "BTC-USD");
        assertEq(registry.marketData(XBTUSD).code, _expectedData(XBTUSD, address(xbtVault)), "XBTUSD");
        assertEq(registry.marketData(ETHUSD).code, _expectedData(ETHUSD, address(xbtVault)), "ETHUSD");
    }

    function test_marketData_isRepublishedOnAParameterChange() public {
        address before = registry.marketData(BTCUSD);
        bytes memory beforeCode = before.code;
        (MarketConfig memory cfg,) = registry.market(BTCUSD);
        cfg.imRate = 0.2e18;
        cfg.mmRate = 0.1e18;
        registry.setMarketParameters(BTCUSD, cfg);
        address current = registry.marketData(BTCUSD);
        assertTrue(current != before, "new data contract");
        assertEq(current.code, _expectedData(BTCUSD, address(usdVault)), "new parameters");
        assertEq(before.code, beforeCode, "the old data contract is left as it was");
        assertEq(registry.marketData(XBTUSD).code, _expectedData(XBTUSD, address(xbtVault)), "other markets untouched");
    }

    function test_marketData_isRepublishedWhenTheInsuranceVaultIsSet() public {
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        uint8 c = registry.listCollateral(address(dai));
        uint8 id = registry.listMarket("DAI-PERP", _config(MarketKind.Linear, c, 1e18, 0.01e18, address(btcOracle)));
        assertEq(registry.marketData(id).code, _expectedData(id, address(0)), "no vault yet");
        InsuranceVault vault =
            new InsuranceVault(dai, IClearinghouse(address(clearinghouse)), c, 1 days, "Lucent Insurance DAI", "liDAI");
        registry.setInsuranceVault(c, address(vault));
        assertEq(registry.marketData(id).code, _expectedData(id, address(vault)), "vault published");
        assertEq(registry.marketData(BTCUSD).code, _expectedData(BTCUSD, address(usdVault)), "other collateral untouched");
    }

    function test_marketData_revertsOnAnUnknownId() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryUnknownMarket.selector, 3));
        registry.marketData(3);
    }

    function test_marketData_isInertWhenCalled() public {
        (bool ok, bytes memory ret) = registry.marketData(BTCUSD).call(abi.encodeWithSignature("anything()"));
        assertTrue(ok, "a STOP byte: the call does nothing");
        assertEq(ret.length, 0, "and returns nothing");
    }

    function test_clearinghouse_rejectsMarketDataOfTheWrongSize() public {
        address data = registry.marketData(BTCUSD);
        bytes memory code = data.code;
        vm.etch(data, abi.encodePacked(code, hex"00")); // one byte too many: not what the registry writes
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseMarketDataInvalid.selector, uint256(BTCUSD), data)
        );
        clearinghouse.marketState(BTCUSD);
        vm.etch(data, code);
        (uint256 index,,,,,) = clearinghouse.marketState(BTCUSD);
        assertEq(index, BTC_PRICE, "read again once the data is whole");
    }

    // ================================================================== parameter changes

    function test_setMarketParameters_updatesMutableFieldsAndEmits() public {
        (MarketConfig memory cfg,) = registry.market(BTCUSD);
        cfg.imRate = 0.2e18;
        cfg.mmRate = 0.1e18;
        cfg.takerFeeRate = 0.001e18;
        cfg.active = false;
        cfg.oracle = address(ethOracle);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IMarketRegistry.MarketParametersChanged(BTCUSD, cfg);
        registry.setMarketParameters(BTCUSD, cfg);
        (MarketConfig memory stored,) = registry.market(BTCUSD);
        assertTrue(_configsEqual(stored, cfg), "stored");
    }

    function test_setMarketParameters_revertsOnImmutableFields() public {
        (MarketConfig memory original,) = registry.market(XBTUSD);
        (MarketConfig memory c,) = registry.market(XBTUSD); // a separate copy

        c.kind = MarketKind.Linear;
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryImmutableField.selector, "kind"));
        registry.setMarketParameters(XBTUSD, c);

        (c,) = registry.market(XBTUSD);
        c.collateral = USD;
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryImmutableField.selector, "collateral"));
        registry.setMarketParameters(XBTUSD, c);

        (c,) = registry.market(XBTUSD);
        c.multiplier = 2e18;
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryImmutableField.selector, "multiplier"));
        registry.setMarketParameters(XBTUSD, c);

        (MarketConfig memory stored,) = registry.market(XBTUSD);
        assertTrue(_configsEqual(stored, original), "unchanged");
    }

    function test_setMarketParameters_validatesTheNewValues() public {
        (MarketConfig memory original,) = registry.market(BTCUSD);
        (MarketConfig memory c,) = registry.market(BTCUSD); // a separate copy
        c.mmRate = c.imRate;
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryInvalidParameter.selector, "mmRate"));
        registry.setMarketParameters(BTCUSD, c);
        (c,) = registry.market(BTCUSD);
        c.oracle = address(0);
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryInvalidParameter.selector, "oracle"));
        registry.setMarketParameters(BTCUSD, c);
        (MarketConfig memory stored,) = registry.market(BTCUSD);
        assertTrue(_configsEqual(stored, original), "unchanged");
    }

    function test_setMarketParameters_revertsOnAnUnknownMarket() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketRegistry.MarketRegistryUnknownMarket.selector, 3));
        registry.setMarketParameters(3, _solConfig());
    }

    // ================================================================== access control

    function test_accessControl_strangersAreRejectedEverywhere() public {
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        MarketConfig memory cfg = _solConfig();
        (MarketConfig memory btc,) = registry.market(BTCUSD);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        registry.listCollateral(address(dai));

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        registry.listMarket("SOL-USD", cfg);

        btc.active = false;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, alice));
        registry.setMarketParameters(BTCUSD, btc);

        assertEq(registry.collateralCount(), 2, "no collateral added");
        assertEq(registry.marketCount(), 3, "no market added");
        (MarketConfig memory stored,) = registry.market(BTCUSD);
        assertTrue(stored.active, "BTCUSD still active");
    }

    function _delayedLister(uint32 delay) internal returns (address lister) {
        lister = vm.addr(0x1157E4);
        bytes4[] memory selectors = new bytes4[](2);
        selectors[0] = registry.setMarketParameters.selector;
        selectors[1] = registry.listMarket.selector;
        manager.setTargetFunctionRole(address(registry), selectors, LISTER_ROLE);
        manager.grantRole(LISTER_ROLE, lister, delay);
    }

    /// A role with an execution delay must schedule, and can execute only once the delay has passed.
    function test_accessControl_delayedRoleMustScheduleAndWait() public {
        address lister = _delayedLister(1 days);
        (MarketConfig memory cfg,) = registry.market(BTCUSD);
        cfg.imRate = 0.2e18;
        bytes memory data = abi.encodeCall(registry.setMarketParameters, (BTCUSD, cfg));
        bytes32 opId = manager.hashOperation(lister, address(registry), data);

        // Calling directly without a schedule fails.
        vm.prank(lister);
        vm.expectRevert(abi.encodeWithSelector(IAccessManager.AccessManagerNotScheduled.selector, opId));
        registry.setMarketParameters(BTCUSD, cfg);

        vm.prank(lister);
        (bytes32 scheduled,) = manager.schedule(address(registry), data, 0);
        assertEq(scheduled, opId, "operation id");
        assertEq(uint256(manager.getSchedule(opId)), T0 + 1 days, "ready after the delay");

        // Before the delay: not ready, through the manager or directly.
        vm.warp(T0 + 1 days - 1);
        vm.prank(lister);
        vm.expectRevert(abi.encodeWithSelector(IAccessManager.AccessManagerNotReady.selector, opId));
        manager.execute(address(registry), data);
        vm.prank(lister);
        vm.expectRevert(abi.encodeWithSelector(IAccessManager.AccessManagerNotReady.selector, opId));
        registry.setMarketParameters(BTCUSD, cfg);
        (MarketConfig memory stored,) = registry.market(BTCUSD);
        assertEq(uint256(stored.imRate), 0.1e18, "not applied yet");

        // After the delay it executes once.
        vm.warp(T0 + 1 days);
        vm.prank(lister);
        manager.execute(address(registry), data);
        (stored,) = registry.market(BTCUSD);
        assertEq(uint256(stored.imRate), 0.2e18, "applied");

        // The schedule is consumed: executing again needs a new one.
        vm.prank(lister);
        vm.expectRevert(abi.encodeWithSelector(IAccessManager.AccessManagerNotScheduled.selector, opId));
        manager.execute(address(registry), data);
    }

    function test_accessControl_scheduledCallCanAlsoBeMadeDirectlyAfterTheDelay() public {
        address lister = _delayedLister(1 hours);
        MarketConfig memory cfg = _solConfig();
        bytes memory data = abi.encodeCall(registry.listMarket, ("SOL-USD", cfg));
        vm.prank(lister);
        manager.schedule(address(registry), data, 0);
        vm.warp(T0 + 1 hours);
        vm.prank(lister);
        registry.listMarket("SOL-USD", cfg);
        assertEq(registry.marketCount(), 4, "listed");
    }

    function test_accessControl_aRoleWithoutDelayIsImmediateAndOthersStayOut() public {
        address lister = _delayedLister(0);
        (MarketConfig memory cfg,) = registry.market(BTCUSD);
        cfg.active = false;
        vm.prank(lister);
        registry.setMarketParameters(BTCUSD, cfg);
        (MarketConfig memory stored,) = registry.market(BTCUSD);
        assertFalse(stored.active, "applied at once");

        // The role does not extend to listCollateral.
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        vm.prank(lister);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, lister));
        registry.listCollateral(address(dai));
    }
}
