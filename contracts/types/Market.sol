// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev SPEC §2: the value of one contract is M × P (linear, quanto) or M / P (inverse).
enum MarketKind {
    Linear,
    Inverse,
    Quanto
}

/// @dev SPEC §7: how the opposite side of a market is selected for auto-deleveraging.
enum AdlPolicy {
    Ranked,
    ProRata
}

/// @dev Listing parameters of a market. Rates are 18-decimal fixed point; prices are 18-decimal.
struct MarketConfig {
    MarketKind kind;
    AdlPolicy adlPolicy;
    uint8 collateral; // index in the registry's collateral list
    bool active;
    uint32 fundingInterval; // seconds over which `rate` is paid (e.g. 8 hours)
    uint32 premiumEmaPeriod; // seconds: time constant of the premium EMA
    uint32 maxIndexAge; // seconds after which the index is stale
    uint128 multiplier; // M, 18 decimals (base units, quote units or collateral per quote unit)
    uint128 tickSize; // price increment, 18 decimals
    uint64 lotSize; // size increment, contracts
    uint64 maxOpenInterest; // contracts per side
    uint64 imRate;
    uint64 mmRate;
    uint64 makerFeeRate;
    uint64 takerFeeRate;
    uint64 keeperFeeShare; // share of fees paid to the settling keeper; the rest goes to insurance
    uint64 fundingCapRate; // |interest − premium| clamp per funding interval
    int64 interestRate; // per funding interval
    uint64 markBandRate; // mark stays within index × (1 ± band)
    address oracle;
}

/// @dev A collateral token, the power of ten of its smallest unit, and its insurance vault (SPEC §8),
/// whose subaccount 0 in the clearinghouse holds the insurance money and backstop positions.
struct Collateral {
    address token;
    uint8 decimals;
    address insuranceVault; // zero until set, once, by `setInsuranceVault`
}
