// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IMarketRegistry} from "../interfaces/IMarketRegistry.sol";
import {MarketConfig, Collateral} from "../types/Market.sol";

/// @title MarketRegistry
/// @notice Collateral tokens and market parameters. Every mutating function is `restricted`: the
/// AccessManager decides who may call it and after what delay (the deployment gives the listing
/// role an execution delay, so users see a change coming before it applies).
contract MarketRegistry is IMarketRegistry, AccessManaged {
    uint256 public constant MAX_MARKETS = 64;
    uint256 private constant MAX_COLLATERALS = 256;
    uint256 private constant WAD = 1e18;
    /// @dev Fee rates above 1% per fill are a typo, not a policy.
    uint256 private constant MAX_FEE_RATE = 0.01e18;

    MarketConfig[] private _markets;
    string[] private _symbols;
    Collateral[] private _collaterals;
    /// @dev A fixed array: reading an entry costs one storage read, with no length to check first.
    address[MAX_MARKETS] private _marketData;

    constructor(address authority) AccessManaged(authority) {}

    /// @inheritdoc IMarketRegistry
    function listCollateral(address token) external restricted returns (uint8 index) {
        uint256 n = _collaterals.length;
        if (n == MAX_COLLATERALS) revert MarketRegistryTooManyCollaterals(MAX_COLLATERALS);
        for (uint256 i; i < n; ++i) {
            if (_collaterals[i].token == token) revert MarketRegistryCollateralListed(token);
        }
        uint8 decimals = IERC20Metadata(token).decimals();
        if (decimals > 18) revert MarketRegistryBadDecimals(token, decimals);
        index = uint8(n);
        _collaterals.push(Collateral(token, decimals, address(0)));
        emit CollateralListed(index, token, decimals);
    }

    /// @inheritdoc IMarketRegistry
    function setInsuranceVault(uint8 collateral_, address vault) external restricted {
        if (collateral_ >= _collaterals.length) revert MarketRegistryUnknownCollateral(collateral_);
        Collateral storage c = _collaterals[collateral_];
        // Set once: the vault's subaccount holds insurance money, so moving it would move balances.
        if (c.insuranceVault != address(0)) revert MarketRegistryInsuranceVaultSet(collateral_, c.insuranceVault);
        if (vault == address(0) || IERC4626(vault).asset() != c.token) {
            revert MarketRegistryInvalidParameter("insuranceVault");
        }
        c.insuranceVault = vault;
        emit InsuranceVaultSet(collateral_, vault);
        for (uint256 id; id < _markets.length; ++id) {
            if (_markets[id].collateral == collateral_) _publish(id);
        }
    }

    /// @inheritdoc IMarketRegistry
    function listMarket(string calldata symbol_, MarketConfig calldata config) external restricted returns (uint8 id) {
        if (_markets.length == MAX_MARKETS) revert MarketRegistryTooManyMarkets(MAX_MARKETS);
        if (config.collateral >= _collaterals.length) revert MarketRegistryUnknownCollateral(config.collateral);
        if (config.multiplier == 0) revert MarketRegistryInvalidParameter("multiplier");
        _validate(config);
        id = uint8(_markets.length);
        _markets.push(config);
        _symbols.push(symbol_);
        emit MarketListed(id, symbol_, config);
        _publish(id);
    }

    /// @inheritdoc IMarketRegistry
    function setMarketParameters(uint8 id, MarketConfig calldata config) external restricted {
        if (id >= _markets.length) revert MarketRegistryUnknownMarket(id);
        MarketConfig storage current = _markets[id];
        if (config.kind != current.kind) revert MarketRegistryImmutableField("kind");
        if (config.collateral != current.collateral) revert MarketRegistryImmutableField("collateral");
        if (config.multiplier != current.multiplier) revert MarketRegistryImmutableField("multiplier");
        _validate(config);
        _markets[id] = config;
        emit MarketParametersChanged(id, config);
        _publish(id);
    }

    function marketCount() external view returns (uint256) {
        return _markets.length;
    }

    function collateralCount() external view returns (uint256) {
        return _collaterals.length;
    }

    /// @inheritdoc IMarketRegistry
    function market(uint256 id) external view returns (MarketConfig memory config, uint256 unit) {
        if (id >= _markets.length) revert MarketRegistryUnknownMarket(id);
        config = _markets[id];
        unit = 10 ** _collaterals[config.collateral].decimals;
    }

    /// @inheritdoc IMarketRegistry
    function marketData(uint256 id) external view returns (address data) {
        if (id < MAX_MARKETS) data = _marketData[id];
        if (data == address(0)) revert MarketRegistryUnknownMarket(id);
    }

    function symbol(uint256 id) external view returns (string memory) {
        if (id >= _markets.length) revert MarketRegistryUnknownMarket(id);
        return _symbols[id];
    }

    function collateral(uint256 index) external view returns (Collateral memory) {
        if (index >= _collaterals.length) revert MarketRegistryUnknownCollateral(index);
        return _collaterals[index];
    }

    /// @dev Deploys a contract whose code is a STOP byte (so calling it does nothing) followed by
    /// `abi.encode(config, unit, insuranceVault)`: the init code copies that payload and returns it.
    function _publish(uint256 id) private {
        MarketConfig memory config = _markets[id];
        Collateral storage c = _collaterals[config.collateral];
        bytes memory code = abi.encodePacked(hex"00", abi.encode(config, 10 ** uint256(c.decimals), c.insuranceVault));
        // PUSH2 len, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN: returns the
        // `len` bytes that follow this 10-byte header.
        bytes memory initCode = abi.encodePacked(hex"61", uint16(code.length), hex"80600a3d393df3", code);
        address data;
        assembly ("memory-safe") {
            data := create(0, add(initCode, 0x20), mload(initCode))
        }
        if (data == address(0)) revert MarketRegistryInvalidParameter("marketData");
        _marketData[id] = data;
        emit MarketDataPublished(uint8(id), data);
    }

    function _validate(MarketConfig calldata c) private pure {
        if (c.tickSize == 0) revert MarketRegistryInvalidParameter("tickSize");
        if (c.lotSize == 0) revert MarketRegistryInvalidParameter("lotSize");
        if (c.imRate == 0 || c.imRate > WAD) revert MarketRegistryInvalidParameter("imRate");
        if (c.mmRate == 0 || c.mmRate >= c.imRate) revert MarketRegistryInvalidParameter("mmRate");
        if (c.makerFeeRate > MAX_FEE_RATE) revert MarketRegistryInvalidParameter("makerFeeRate");
        if (c.takerFeeRate > MAX_FEE_RATE) revert MarketRegistryInvalidParameter("takerFeeRate");
        if (c.keeperFeeShare > WAD) revert MarketRegistryInvalidParameter("keeperFeeShare");
        if (c.markBandRate >= WAD) revert MarketRegistryInvalidParameter("markBandRate");
        if (c.fundingInterval == 0) revert MarketRegistryInvalidParameter("fundingInterval");
        if (c.maxIndexAge == 0) revert MarketRegistryInvalidParameter("maxIndexAge");
        if (c.maxOpenInterest == 0) revert MarketRegistryInvalidParameter("maxOpenInterest");
        if (c.oracle == address(0)) revert MarketRegistryInvalidParameter("oracle");
    }
}
