// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
import {LucentFixture} from "./utils/LucentFixture.sol";
import {Order} from "../../contracts/types/Order.sol";
contract SmokeTest is LucentFixture {
    function test_settlesOneFill() public {
        Order memory m = _order(alice, BTCUSD, false, 10, uint128(BTC_PRICE), 1);
        Order memory t = _order(bob, BTCUSD, true, 10, uint128(BTC_PRICE), 1);
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        assertEq(_size(alice, USD, BTCUSD), -10, "alice short");
        assertEq(_size(bob, USD, BTCUSD), 10, "bob long");
        // 10 contracts × 0.001 BTC × 100k = 1,000 USD notional; maker 2 bps, taker 5 bps.
        assertEq(_balance(alice, USD), int256(1_000_000e6 - 0.2e6), "maker fee");
        assertEq(_balance(bob, USD), int256(1_000_000e6 - 0.5e6), "taker fee");
    }
}
