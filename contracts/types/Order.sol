// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev SPEC §5: the EIP-712 order every fill must carry for both sides.
struct Order {
    address trader;
    uint8 subaccount;
    uint8 market;
    bool isBuy;
    uint64 size;
    uint128 limitPrice;
    uint8 flags; // OrderFlags
    uint64 nonce;
    uint40 expiry;
    address keeper; // zero: any keeper may fill it
}

library OrderFlags {
    uint8 internal constant POST_ONLY = 1;
    uint8 internal constant REDUCE_ONLY = 2;
    uint8 internal constant IOC = 4;
    uint8 internal constant ALL = 7;
}

/// @dev Why a fill was skipped (SPEC §5). Emitted with the hash of the order at fault.
enum SkipReason {
    None,
    BadSignature,
    Expired,
    Cancelled,
    Overfilled,
    LimitViolated,
    ReduceOnlyViolated,
    InsufficientMargin,
    StaleIndex,
    MarketMismatch,
    MarketInactive,
    KeeperNotAllowed,
    SameSide,
    InvalidFlags,
    TickOrLot,
    SelfTrade,
    OpenInterestCap,
    Overflow
}
