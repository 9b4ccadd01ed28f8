// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev Why money moved into or out of an insurance vault's subaccount (SPEC §8).
enum InsuranceFlowReason {
    TradingFee, // the insurance share of maker/taker fees
    LiquidationFee, // the insurance share of a liquidation fee
    BadDebt, // negative equity of a liquidated account, covered (amount < 0)
    Takeover // a backstop takeover: `amount` is the position's value taken at the bankruptcy price
}

/// @dev The liquidation engine's parameters (SPEC §6), fixed at deployment. 18-decimal rates.
struct LiquidationParameters {
    uint64 feeRate; // liquidation fee: share of the closed notional at mark, capped by remaining equity
    uint64 liquidatorShare; // share of the liquidation fee paid to the liquidator; the rest to insurance
    uint64 fullLiquidationRatio; // equity < MM × ratio: close the whole position instead of partially
    uint64 bandRate; // book fills must lie within mark × (1 ± band)
    uint32 gracePeriod; // seconds after `flagLiquidatable` before anyone may liquidate without a keeper
}
