// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarketConfig, Collateral} from "../types/Market.sol";

/// @title IMarketRegistry
/// @notice The listed collateral tokens and markets (SPEC §2). Listing and parameter changes are
/// restricted by an OpenZeppelin AccessManager whose roles carry an execution delay; no role here
/// can touch a balance or a position.
interface IMarketRegistry {
    error MarketRegistryTooManyMarkets(uint256 max);
    error MarketRegistryTooManyCollaterals(uint256 max);
    error MarketRegistryUnknownMarket(uint256 marketId);
    error MarketRegistryUnknownCollateral(uint256 collateral);
    error MarketRegistryCollateralListed(address token);
    error MarketRegistryBadDecimals(address token, uint8 decimals);
    /// @notice A parameter is outside its allowed range; `field` names it.
    error MarketRegistryInvalidParameter(string field);
    /// @notice `kind`, `collateral` and `multiplier` define what open positions mean and never change.
    error MarketRegistryImmutableField(string field);

    error MarketRegistryInsuranceVaultSet(uint8 collateral, address vault);

    event InsuranceVaultSet(uint8 indexed collateral, address indexed vault);
    event CollateralListed(uint8 indexed collateral, address indexed token, uint8 decimals);
    event MarketListed(uint8 indexed marketId, string symbol, MarketConfig config);
    event MarketParametersChanged(uint8 indexed marketId, MarketConfig config);
    /// @notice A market's parameters were (re)published as the code of `data` (see `marketData`).
    event MarketDataPublished(uint8 indexed marketId, address data);

    /// @notice Markets are numbered 0..63 so that a subaccount's open markets fit in one 64-bit mask.
    function MAX_MARKETS() external view returns (uint256);

    function listCollateral(address token) external returns (uint8 collateral);
    /// @notice Sets a collateral's ERC-4626 insurance vault, once (its asset must be the collateral).
    function setInsuranceVault(uint8 collateral, address vault) external;
    function listMarket(string calldata symbol, MarketConfig calldata config) external returns (uint8 marketId);
    function setMarketParameters(uint8 marketId, MarketConfig calldata config) external;

    function marketCount() external view returns (uint256);
    function collateralCount() external view returns (uint256);
    /// @return config The market's parameters. @return unit 10^decimals of its collateral token.
    function market(uint256 marketId) external view returns (MarketConfig memory config, uint256 unit);
    /// @notice The contract whose code, after a leading STOP byte, is `abi.encode(config, unit,
    /// insuranceVault)` for the market's current parameters; republished on every change. The
    /// clearinghouse reads a market on every batch and liquidation, and one EXTCODECOPY is far cheaper
    /// than the nine cold storage reads behind `market`.
    function marketData(uint256 marketId) external view returns (address);
    function symbol(uint256 marketId) external view returns (string memory);
    function collateral(uint256 collateralIndex) external view returns (Collateral memory);
}
