// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SubaccountId} from "../../../contracts/types/Ids.sol";

/// @dev Reads `FillsSettled.fills` (IClearinghouseEvents): 166-byte records, one a settled fill.
/// `trade` is returned in `FillSettled`'s layout (market 8 | size 64 | price 128 | takerIsBuy 56 bits).
library SettledFills {
    uint256 internal constant RECORD_BYTES = 166;

    struct Record {
        SubaccountId maker;
        SubaccountId taker;
        bytes32 makerOrderHash;
        bytes32 takerOrderHash;
        uint256 trade;
        uint256 fees;
    }

    function count(bytes memory fills) internal pure returns (uint256) {
        require(fills.length % RECORD_BYTES == 0, "FillsSettled: partial record");
        return fills.length / RECORD_BYTES;
    }

    function at(bytes memory fills, uint256 i) internal pure returns (Record memory r) {
        require(i < count(fills), "FillsSettled: no such record");
        uint256 maker;
        uint256 taker;
        bytes32 makerHash;
        bytes32 takerHash;
        uint256 trade;
        uint256 fees;
        assembly ("memory-safe") {
            let p := add(add(fills, 0x20), mul(i, RECORD_BYTES))
            maker := shr(80, mload(p))
            taker := shr(80, mload(add(p, 22)))
            makerHash := mload(add(p, 44))
            takerHash := mload(add(p, 76))
            let packed := shr(48, mload(add(p, 108))) // market 8 | size 64 | price 128 | takerIsBuy 8
            trade := or(shl(48, and(packed, not(0xff))), and(packed, 0xff))
            fees := mload(add(p, 134))
        }
        r = Record(SubaccountId.wrap(bytes32(maker)), SubaccountId.wrap(bytes32(taker)), makerHash, takerHash, trade, fees);
    }
}
