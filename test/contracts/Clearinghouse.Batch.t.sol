// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "./utils/Test.sol";
import {ClearinghouseTestBase} from "./utils/ClearinghouseTestBase.sol";
import {IClearinghouse} from "../../contracts/interfaces/IClearinghouse.sol";
import {IClearinghouseEvents} from "../../contracts/interfaces/IClearinghouseEvents.sol";
import {OrderCodec} from "../../contracts/libraries/OrderCodec.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {Order, SkipReason} from "../../contracts/types/Order.sol";
import {MarketConfig, MarketKind} from "../../contracts/types/Market.sol";
import {SubaccountId} from "../../contracts/types/Ids.sol";

/// @notice settleBatch: access, sequencing, decoding, fees, funding and realized PnL (SPEC §2, §4, §5).
contract ClearinghouseBatchTest is ClearinghouseTestBase {
    uint128 internal constant P = uint128(BTC_PRICE);
    uint256 internal constant T0 = 1_700_000_000; // the fixture's start time

    function _oneFill(uint64 nonce) internal view returns (bytes memory) {
        Order memory m = _order(alice, BTCUSD, false, 10, P, nonce);
        Order memory t = _order(bob, BTCUSD, true, 10, P, nonce);
        return _fill(10, m, ALICE_PK, t, BOB_PK);
    }

    // ================================================================== access and sequencing

    function test_settleBatch_revertsForANonKeeper() public {
        bytes memory fill = _oneFill(1);
        bytes32 aliceBefore = _accountState(alice);
        bytes32 bobBefore = _accountState(bob);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseNotKeeper.selector, carol));
        clearinghouse.settleBatch(0, fill);
        assertEq(_accountState(alice), aliceBefore, "alice unchanged");
        assertEq(_accountState(bob), bobBefore, "bob unchanged");
        assertEq(uint256(clearinghouse.nextBatchIndex(carol)), 0, "no index for carol");
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 0, "keeper index unchanged");
    }

    function test_settleBatch_revertsWhenTheIndexIsAhead() public {
        bytes memory fill = _oneFill(1);
        bytes32 aliceBefore = _accountState(alice);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseBatchOutOfSequence.selector, keeper, 0, 1));
        clearinghouse.settleBatch(1, fill);
        assertEq(_accountState(alice), aliceBefore, "alice unchanged");
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 0, "index unchanged");
    }

    function test_settleBatch_revertsOnAReplayedIndex() public {
        _settle(_oneFill(1));
        _settle(_oneFill(2));
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 2, "two batches");
        bytes memory fill = _oneFill(3);
        bytes32 aliceBefore = _accountState(alice);
        bytes32 bobBefore = _accountState(bob);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseBatchOutOfSequence.selector, keeper, 2, 0));
        clearinghouse.settleBatch(0, fill);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseBatchOutOfSequence.selector, keeper, 2, 1));
        clearinghouse.settleBatch(1, fill);
        assertEq(_accountState(alice), aliceBefore, "alice unchanged");
        assertEq(_accountState(bob), bobBefore, "bob unchanged");
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 2, "index unchanged");
    }

    function test_settleBatch_incrementsTheKeepersIndexAndEmitsBatchSettled() public {
        vm.expectEmit(true, true, false, true, address(clearinghouse));
        emit IClearinghouseEvents.BatchSettled(keeper, 0, 0, 0);
        vm.prank(keeper);
        clearinghouse.settleBatch(0, "");
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 1, "after an empty batch");

        bytes memory fills = abi.encodePacked(_oneFill(1), _oneFill(1));
        vm.expectEmit(true, true, false, true, address(clearinghouse));
        emit IClearinghouseEvents.BatchSettled(keeper, 1, 1, 1);
        vm.prank(keeper);
        clearinghouse.settleBatch(1, fills);
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 2, "after a batch with a skipped fill");
    }

    function test_settleBatch_keepsASeparateSequencePerKeeper() public {
        address other = vm.addr(0x0C0FFEE2);
        vm.deal(other, 1 ether);
        vm.prank(other);
        keepers.register{value: 1 ether}();
        _settle("");
        _settle("");
        assertEq(uint256(clearinghouse.nextBatchIndex(other)), 0, "other starts at 0");
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouseEvents.ClearinghouseBatchOutOfSequence.selector, other, 0, 2));
        clearinghouse.settleBatch(2, "");
        vm.prank(other);
        clearinghouse.settleBatch(0, "");
        assertEq(uint256(clearinghouse.nextBatchIndex(other)), 1, "other advanced");
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 2, "keeper unaffected");
    }

    // ================================================================== decoding

    function _expectTruncated(bytes memory fills, uint256 offset) internal {
        bytes32 aliceBefore = _accountState(alice);
        bytes32 bobBefore = _accountState(bob);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(OrderCodec.OrderCodecTruncated.selector, offset, fills.length));
        clearinghouse.settleBatch(0, fills);
        assertEq(_accountState(alice), aliceBefore, "alice unchanged");
        assertEq(_accountState(bob), bobBefore, "bob unchanged");
        assertEq(uint256(clearinghouse.nextBatchIndex(keeper)), 0, "index unchanged");
    }

    function _truncate(bytes memory b, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i; i < length; ++i) out[i] = b[i];
    }

    /// A fill is 8 + 2 × (81 + 64) = 298 bytes with compact signatures.
    function test_settleBatch_revertsOnATruncatedTakerSignature() public {
        bytes memory fill = _oneFill(1);
        assertEq(fill.length, 298, "fill length");
        _expectTruncated(_truncate(fill, 297), 8 + 145 + 81); // the taker's signature starts at 234
    }

    function test_settleBatch_revertsOnATruncatedMakerOrder() public {
        _expectTruncated(_truncate(_oneFill(1), 60), 8); // the maker's fixed part starts at 8
    }

    function test_settleBatch_revertsOnATruncatedFillSize() public {
        _expectTruncated(hex"00000001", 0);
    }

    /// The whole batch reverts, including the complete fill before the garbage.
    function test_settleBatch_revertsOnTrailingBytesAfterAValidFill() public {
        _expectTruncated(abi.encodePacked(_oneFill(1), hex"0000000005"), 298);
    }

    function test_settleBatch_revertsOnAnExtendedSignatureLongerThanTheData() public {
        Order memory m = _order(alice, BTCUSD, false, 10, P, 1);
        Order memory t = _order(bob, BTCUSD, true, 10, P, 1);
        // The taker claims a 65-byte signature but only 10 bytes follow.
        bytes memory fills = abi.encodePacked(
            uint64(10), _encodeOrder(m, ALICE_PK), _encodeOrderFields(t, 2), uint16(65), new bytes(10)
        );
        _expectTruncated(fills, 8 + 145 + 81);
    }

    /// @dev `o` signed, sent without its keeper field (encoding bit 2): 61 + 64 bytes.
    function _encodeWithoutKeeper(Order memory signed, Order memory sent, uint256 pk) internal view returns (bytes memory) {
        (bytes32 r, bytes32 vs) = _signCompact(signed, pk);
        return abi.encodePacked(
            sent.trader,
            sent.subaccount,
            sent.market,
            sent.flags,
            uint8(OrderCodec.ENCODING_NO_KEEPER | (sent.isBuy ? 1 : 0)),
            sent.size,
            sent.limitPrice,
            sent.nonce,
            sent.expiry,
            r,
            vs
        );
    }

    /// An order any keeper may fill can leave out its zero keeper (20 bytes of calldata): it decodes
    /// with keeper zero, so its hash and signature are the signed order's.
    function test_settleBatch_settlesOrdersSentWithoutTheirZeroKeeper() public {
        Order memory m = _order(alice, BTCUSD, false, 10, P, 1);
        Order memory t = _order(bob, BTCUSD, true, 10, P, 1);
        bytes memory fill = abi.encodePacked(uint64(10), _encodeWithoutKeeper(m, m, ALICE_PK), _encodeOrder(t, BOB_PK));
        assertEq(fill.length, 8 + (61 + 64) + (81 + 64), "fill length");
        _expectFillsSettled(
            _fillRecord(
                _sub(alice, USD),
                _sub(bob, USD),
                _hash(m),
                _hash(t),
                (uint256(BTCUSD) << 248) | (uint256(10) << 184) | (uint256(P) << 56) | 1,
                (uint256(0.2e6) << 128) | 0.5e6
            )
        );
        _settle(fill);
        (int256 size,,) = clearinghouse.position(_sub(bob, USD), BTCUSD);
        assertEq(size, 10, "bob long 10");
    }

    /// Leaving out a keeper the trader named does not drop the restriction: the order decodes with
    /// keeper zero, which is not what was signed.
    function test_settleBatch_anOrderWithAKeeperSentWithoutItHasABadSignature() public {
        Order memory m = _order(alice, BTCUSD, false, 10, P, 1);
        m.keeper = keeper;
        Order memory sent = _order(alice, BTCUSD, false, 10, P, 1); // keeper zero
        Order memory t = _order(bob, BTCUSD, true, 10, P, 1);
        BatchResult memory r = _settleRecorded(
            abi.encodePacked(uint64(10), _encodeWithoutKeeper(m, sent, ALICE_PK), _encodeOrder(t, BOB_PK))
        );
        _assertCounts(r, 0, 1);
        _assertSkip(r, 0, _hash(sent), 0, SkipReason.BadSignature);
    }

    function test_settleBatch_revertsOnATruncatedOrderWithoutKeeper() public {
        Order memory m = _order(alice, BTCUSD, false, 10, P, 1);
        bytes memory fills = abi.encodePacked(uint64(10), _encodeWithoutKeeper(m, m, ALICE_PK));
        _expectTruncated(_truncate(fills, 8 + 61 + 63), 8 + 61); // its signature starts at 69
        _expectTruncated(_truncate(fills, 8 + 60), 8); // its fixed part is 61 bytes
    }

    // ================================================================== storage

    /// A subaccount's account, positions and nonce words share one mapping key (`SubaccountStorage`):
    /// the fill path computes their slots from one hash, the views read them through Solidity's own
    /// layout, so a settled fill must show up in the views exactly where it belongs and nowhere else.
    function test_settleBatch_writesWhereTheViewsRead() public {
        uint128 price = uint128(BTC_PRICE);
        (int256 aliceBefore,,) = clearinghouse.account(_sub(alice, USD));
        _settle(_fill(2, _order(alice, BTCUSD, false, 2, price, 7), ALICE_PK, _order(bob, BTCUSD, true, 2, price, 9), BOB_PK));

        (int256 size,,) = clearinghouse.position(_sub(bob, USD), BTCUSD);
        assertEq(size, 2, "bob long");
        (size,,) = clearinghouse.position(_sub(alice, USD), BTCUSD);
        assertEq(size, -2, "alice short");
        (int256 aliceAfter, uint64 openMarkets,) = clearinghouse.account(_sub(alice, USD));
        assertLt(aliceAfter, aliceBefore, "alice paid her fee");
        assertEq(openMarkets, 1 << BTCUSD, "alice's open markets");
        assertTrue(clearinghouse.isNonceUsed(_sub(alice, USD), 7), "alice's nonce");
        assertTrue(clearinghouse.isNonceUsed(_sub(bob, USD), 9), "bob's nonce");
        assertFalse(clearinghouse.isNonceUsed(_sub(bob, USD), 7), "bob's other nonce");
        // The neighbours: the next market's slot, another subaccount, another collateral.
        (size,,) = clearinghouse.position(_sub(bob, USD), BTCUSD + 1);
        assertEq(size, 0, "next market");
        (size,,) = clearinghouse.position(_id(bob, USD, 1), BTCUSD);
        assertEq(size, 0, "bob's subaccount 1");
        (size,,) = clearinghouse.position(_sub(bob, XBT), BTCUSD);
        assertEq(size, 0, "bob's XBT subaccount");
        // Market ids stop at 63 (the open-markets mask is 64 bits): beyond that there is no position.
        (size,,) = clearinghouse.position(_sub(bob, USD), 64);
        assertEq(size, 0, "market 64");
        (size,,) = clearinghouse.position(_sub(bob, USD), 255);
        assertEq(size, 0, "market 255");
    }

    // ================================================================== events and fees

    function test_settleBatch_logsEveryFillInOneFillsSettledWithPackedTradeAndFees() public {
        uint128 price = uint128(ETH_PRICE);
        Order memory m = _order(alice, ETHUSD, true, 100, price, 1); // maker buys
        Order memory t = _order(bob, ETHUSD, false, 100, price, 1);
        Order memory m2 = _order(carol, BTCUSD, false, 10, uint128(P), 1);
        Order memory t2 = _order(dave, BTCUSD, true, 10, uint128(P), 1);
        Order memory bad = _order(alice, BTCUSD, true, 10, uint128(P), 7);
        // 100 × 0.000001 XBT/USD × 4,000 = 0.4 XBT: maker fee 8,000 sat, taker fee 20,000 sat.
        // 10 × 100,000 USD × 0.001 = 1,000 USD: 0.2 and 0.5 USD. The skipped fill between them
        // (bob signs alice's order) leaves no record.
        _expectFillsSettled(
            abi.encodePacked(
                _fillRecord(
                    _sub(alice, XBT),
                    _sub(bob, XBT),
                    _hash(m),
                    _hash(t),
                    (uint256(ETHUSD) << 248) | (uint256(100) << 184) | (uint256(price) << 56),
                    (uint256(8_000) << 128) | 20_000
                ),
                _fillRecord(
                    _sub(carol, USD),
                    _sub(dave, USD),
                    _hash(m2),
                    _hash(t2),
                    (uint256(BTCUSD) << 248) | (uint256(10) << 184) | (uint256(P) << 56) | 1,
                    (uint256(0.2e6) << 128) | 0.5e6
                )
            )
        );
        _settle(
            abi.encodePacked(
                _fill(100, m, ALICE_PK, t, BOB_PK),
                _fill(10, bad, BOB_PK, _order(dave, BTCUSD, false, 10, uint128(P), 7), DAVE_PK),
                _fill(10, m2, CAROL_PK, t2, DAVE_PK)
            )
        );
    }

    function test_settleBatch_allSkippedLogsNoFillsSettled() public {
        Order memory m = _order(alice, BTCUSD, true, 10, uint128(P), 1);
        vm.recordLogs();
        _settle(_fill(10, m, BOB_PK, _order(bob, BTCUSD, false, 10, uint128(P), 1), BOB_PK));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IClearinghouseEvents.FillsSettled.selector, "no FillsSettled");
        }
    }

    function test_settleBatch_paysTheKeeperShareToItsSubaccountAndTheRestToInsurance() public {
        uint128 ethPrice = uint128(ETH_PRICE);
        bytes memory fills = abi.encodePacked(
            _oneFill(1),
            _fill(
                100,
                _order(carol, ETHUSD, false, 100, ethPrice, 1),
                CAROL_PK,
                _order(dave, ETHUSD, true, 100, ethPrice, 1),
                DAVE_PK
            )
        );
        // USD: 1,000 USD notional → 0.2 + 0.5 = 0.7 USD, 20% = 0.14 to the keeper.
        // XBT: 0.4 XBT notional → 8,000 + 20,000 sat, 20% = 5,600 to the keeper.
        vm.expectEmit(true, true, false, true, address(clearinghouse));
        emit IClearinghouseEvents.FeesDistributed(keeper, USD, 0.14e6, 0.56e6);
        vm.expectEmit(true, true, false, true, address(clearinghouse));
        emit IClearinghouseEvents.FeesDistributed(keeper, XBT, 5_600, 22_400);
        _settle(fills);

        assertEq(_balance(keeper, USD), int256(0.14e6), "keeper USD");
        assertEq(_balance(keeper, XBT), int256(5_600), "keeper XBT");
        assertEq(clearinghouse.insuranceFund(USD), 0.56e6, "insurance USD");
        assertEq(clearinghouse.insuranceFund(XBT), 22_400, "insurance XBT");
        assertEq(_balance(alice, USD), int256(1_000_000e6 - 0.2e6), "maker fee");
        assertEq(_balance(bob, USD), int256(1_000_000e6 - 0.5e6), "taker fee");
        assertEq(_balance(carol, XBT), int256(100e8 - 8_000), "maker fee XBT");
        assertEq(_balance(dave, XBT), int256(100e8 - 20_000), "taker fee XBT");

        // INV-1: the tokens held equal the balances plus insurance (no PnL realized yet).
        address[7] memory everyone = [alice, bob, carol, dave, erin, frank, keeper];
        int256 usdSum;
        int256 xbtSum;
        for (uint256 i; i < everyone.length; ++i) {
            usdSum += _balance(everyone[i], USD);
            xbtSum += _balance(everyone[i], XBT);
        }
        assertEq(usd.balanceOf(address(clearinghouse)), uint256(usdSum) + clearinghouse.insuranceFund(USD), "USD held");
        assertEq(xbt.balanceOf(address(clearinghouse)), uint256(xbtSum) + clearinghouse.insuranceFund(XBT), "XBT held");

        // The keeper's share is ordinary free collateral.
        vm.prank(keeper);
        clearinghouse.withdraw(USD, 0, 0.14e6, keeper);
        assertEq(usd.balanceOf(keeper), 0.14e6, "keeper withdrew its fees");
    }

    function test_settleBatch_skippedFillsPayNoFees() public {
        Order memory m = _order(alice, BTCUSD, false, 10, P, 1);
        Order memory t = _order(bob, BTCUSD, true, 10, P, 1);
        t.limitPrice = P - 1e18;
        BatchResult memory r = _settleRecorded(_fill(10, m, ALICE_PK, t, BOB_PK));
        _assertCounts(r, 0, 1);
        assertEq(_balance(keeper, USD), 0, "no keeper fee");
        assertEq(clearinghouse.insuranceFund(USD), 0, "no insurance fee");
    }

    // ================================================================== funding

    /// bob long 10 BTCUSD, alice short 10, at the index (premium 0). Over 1,001 s at an interest rate
    /// of 0.01% per 8 h, one contract (100 USD = 1e17 units × 1e9) accrues
    /// 1e17 × 1e14 × 1001 / (28,800 × 1e18) = 347,569,444,444 (× 1e-9 units).
    function test_settleBatch_accruesFundingThatLongsPayAndShortsReceive() public {
        _settle(_oneFill(1)); // alice maker short, bob taker long
        (,,, int256 ema, int256 cumulative,) = clearinghouse.marketState(BTCUSD);
        assertEq(ema, 0, "fill at the index: no premium");
        assertEq(cumulative, 0, "nothing accrued yet");

        vm.warp(T0 + 1001);
        _report(btcOracle, BTC_PRICE);
        int256 expected = 347_569_444_444;
        (,,,, cumulative,) = clearinghouse.marketState(BTCUSD);
        assertEq(cumulative, expected, "accrued to now");

        // Health reflects the funding before anything settles it: 10 × 347.57 = 3,475.69 units.
        (int256 bobEquity,,,) = clearinghouse.accountHealth(_sub(bob, USD));
        (int256 aliceEquity,,,) = clearinghouse.accountHealth(_sub(alice, USD));
        assertEq(bobEquity, int256(1_000_000e6 - 0.5e6 - 3_476), "long owes, rounded up");
        assertEq(aliceEquity, int256(1_000_000e6 - 0.2e6 + 3_475), "short is owed, rounded down");

        // Close: alice buys back from bob at the index.
        Order memory m = _order(alice, BTCUSD, true, 10, P, 2);
        Order memory t = _order(bob, BTCUSD, false, 10, P, 2);
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        (,,,, cumulative,) = clearinghouse.marketState(BTCUSD);
        assertEq(cumulative, expected, "stored by the batch");

        int256 bobPaid = int256(1_000_000e6) - 0.5e6 - 0.5e6 - _balance(bob, USD);
        int256 aliceReceived = _balance(alice, USD) - (int256(1_000_000e6) - 0.2e6 - 0.2e6);
        assertEq(bobPaid, 3_476, "long paid");
        assertEq(aliceReceived, 3_475, "short received");
        assertGe(bobPaid, aliceReceived, "longs pay at least what shorts receive");
        assertLe(bobPaid - aliceReceived, 1, "dust at most one unit, kept by the protocol");
        (,, int256 snapshot) = clearinghouse.position(_sub(bob, USD), BTCUSD);
        assertEq(snapshot, expected, "funding snapshot taken at the close");
    }

    function test_settleBatch_negativeFundingIsPaidByShorts() public {
        MarketConfig memory cfg = _marketConfig(BTCUSD);
        cfg.interestRate = -0.0001e18;
        registry.setMarketParameters(BTCUSD, cfg);
        _settle(_oneFill(1)); // alice short, bob long
        vm.warp(T0 + 1001);
        _report(btcOracle, BTC_PRICE);
        (,,,, int256 cumulative,) = clearinghouse.marketState(BTCUSD);
        assertEq(cumulative, -347_569_444_445, "index falls, rounded away from zero");

        Order memory m = _order(alice, BTCUSD, true, 10, P, 2);
        Order memory t = _order(bob, BTCUSD, false, 10, P, 2);
        _settle(_fill(10, m, ALICE_PK, t, BOB_PK));
        int256 alicePaid = int256(1_000_000e6) - 0.2e6 - 0.2e6 - _balance(alice, USD);
        int256 bobReceived = _balance(bob, USD) - (int256(1_000_000e6) - 0.5e6 - 0.5e6);
        assertEq(alicePaid, 3_476, "short paid");
        assertEq(bobReceived, 3_475, "long received");
    }

    function test_settleBatch_fundingAccruesIntoPositionsOfEveryLongAndShort() public {
        // Two longs, one short of the same total: Σ paid ≥ Σ received, dust ≤ one unit per position.
        Order memory m = _order(alice, BTCUSD, false, 30, P, 1);
        bytes memory open = abi.encodePacked(
            _fill(10, m, ALICE_PK, _order(bob, BTCUSD, true, 10, P, 1), BOB_PK),
            _fill(20, m, ALICE_PK, _order(carol, BTCUSD, true, 20, P, 1), CAROL_PK)
        );
        _settle(open);
        vm.warp(T0 + 7 hours + 13);
        _report(btcOracle, BTC_PRICE);
        (,,,, int256 cumulative,) = clearinghouse.marketState(BTCUSD);
        assertGt(cumulative, 0, "funding moved");

        (int256 bobEq,,,) = clearinghouse.accountHealth(_sub(bob, USD));
        (int256 carolEq,,,) = clearinghouse.accountHealth(_sub(carol, USD));
        (int256 aliceEq,,,) = clearinghouse.accountHealth(_sub(alice, USD));
        int256 longsPaid = (_balance(bob, USD) - bobEq) + (_balance(carol, USD) - carolEq);
        int256 shortsReceived = aliceEq - _balance(alice, USD);
        assertGt(shortsReceived, 0, "shorts receive");
        assertGe(longsPaid, shortsReceived, "rounding favours the protocol");
        assertLe(longsPaid - shortsReceived, 2, "dust");
    }

    // ================================================================== realized PnL

    function _openAndClose(uint8 market, uint64 size, uint128 entry, uint128 exit) internal {
        // alice (taker) goes long against bob (maker), then sells back to him at `exit`.
        _settle(
            _fill(
                size,
                _order(bob, market, false, size, entry, 1),
                BOB_PK,
                _order(alice, market, true, size, entry, 1),
                ALICE_PK
            )
        );
        assertEq(_size(alice, _collateralOf(market), market), int256(uint256(size)), "alice long");
        if (market == ETHUSD) _report(ethOracle, exit);
        else _report(btcOracle, exit);
        _settle(
            _fill(
                size,
                _order(bob, market, true, size, exit, 2),
                BOB_PK,
                _order(alice, market, false, size, exit, 2),
                ALICE_PK
            )
        );
        assertEq(_size(alice, _collateralOf(market), market), 0, "alice flat");
        assertEq(_size(bob, _collateralOf(market), market), 0, "bob flat");
        (, uint64 openMarkets,) = clearinghouse.account(_sub(alice, _collateralOf(market)));
        assertEq(uint256(openMarkets), 0, "no open market");
    }

    /// Linear BTCUSD, M = 0.001 BTC: 10 contracts 100,000 → 110,000 = +100 USD.
    function test_settleBatch_realizesLinearPnlOnClose() public {
        _openAndClose(BTCUSD, 10, P, 110_000e18);
        // Taker fees 5 bps of 1,000 and 1,100 USD; maker fees 2 bps.
        assertEq(_balance(alice, USD), int256(1_000_000e6 + 100e6 - 0.5e6 - 0.55e6), "alice");
        assertEq(_balance(bob, USD), int256(1_000_000e6 - 100e6 - 0.2e6 - 0.22e6), "bob");
    }

    /// SPEC §2 vector: inverse XBTUSD, M = 1 USD, long 10,000 at 10,000, exit 12,500 = +0.2 XBT.
    function test_settleBatch_realizesInversePnlOnClose() public {
        _report(btcOracle, 10_000e18);
        _openAndClose(XBTUSD, 10_000, 10_000e18, 12_500e18);
        // Notional 1 XBT then 0.8 XBT: taker 50,000 + 40,000 sat, maker 20,000 + 16,000 sat.
        assertEq(_balance(alice, XBT), int256(100e8 + 0.2e8 - 50_000 - 40_000), "alice");
        assertEq(_balance(bob, XBT), int256(100e8 - 0.2e8 - 20_000 - 16_000), "bob");
    }

    /// SPEC §2 vector: quanto ETHUSD, M = 0.000001 XBT/USD, 10,000 contracts 500 → 600 = +1 XBT.
    function test_settleBatch_realizesQuantoPnlOnClose() public {
        _report(ethOracle, 500e18);
        _openAndClose(ETHUSD, 10_000, 500e18, 600e18);
        // Notional 5 XBT then 6 XBT: taker 250,000 + 300,000 sat, maker 100,000 + 120,000 sat.
        assertEq(_balance(alice, XBT), int256(100e8 + 1e8 - 250_000 - 300_000), "alice");
        assertEq(_balance(bob, XBT), int256(100e8 - 1e8 - 100_000 - 120_000), "bob");
    }

    function test_settleBatch_inversePositionBasisAndValueMatchTheSpecVector() public {
        _report(btcOracle, 10_000e18);
        _settle(
            _fill(
                10_000,
                _order(bob, XBTUSD, false, 10_000, 10_000e18, 1),
                BOB_PK,
                _order(alice, XBTUSD, true, 10_000, 10_000e18, 1),
                ALICE_PK
            )
        );
        (int256 size, int256 basis,) = clearinghouse.position(_sub(alice, XBT), XBTUSD);
        assertEq(size, 10_000, "size");
        assertEq(basis, -1e8, "inverse basis: -M x q / P = -1 XBT");
        (,, uint256 mm,) = clearinghouse.accountHealth(_sub(alice, XBT));
        assertEq(mm, 0.05e8, "MM = 5% of 1 XBT");
        _report(btcOracle, 12_500e18);
        (int256 equity,,,) = clearinghouse.accountHealth(_sub(alice, XBT));
        assertEq(equity, int256(100e8 - 50_000 + 0.2e8), "unrealized +0.2 XBT at 12,500");
    }

    /// Inverse PnL is not exact at 12,345.5: each side is rounded against itself (SPEC §0.1).
    function test_settleBatch_inverseRoundingFavoursTheProtocol() public {
        _report(btcOracle, 10_000e18);
        _openAndClose(XBTUSD, 10_000, 10_000e18, 12_345.5e18);
        int256 aliceFees = 50_000 + 40_501; // 5 bps of 1 XBT and of 0.81001174... XBT, rounded up
        int256 bobFees = 20_000 + 16_201;
        int256 alicePnl = _balance(alice, XBT) - int256(100e8) + aliceFees;
        int256 bobPnl = _balance(bob, XBT) - int256(100e8) + bobFees;
        assertEq(alicePnl, 18_998_825, "long: exit value rounded against the long");
        assertEq(bobPnl, -18_998_826, "short: exit value rounded against the short");
        assertEq(alicePnl + bobPnl, -1, "one unit of dust stays with the protocol");
    }

    function test_settleBatch_flipRealizesTheClosedPartAndOpensTheRest() public {
        _settle(
            _fill(10, _order(bob, BTCUSD, false, 10, P, 1), BOB_PK, _order(alice, BTCUSD, true, 10, P, 1), ALICE_PK)
        );
        _report(btcOracle, 110_000e18);
        uint128 exit = 110_000e18;
        _settle(
            _fill(
                15,
                _order(bob, BTCUSD, true, 15, exit, 2),
                BOB_PK,
                _order(alice, BTCUSD, false, 15, exit, 2),
                ALICE_PK
            )
        );
        (int256 size, int256 basis,) = clearinghouse.position(_sub(alice, USD), BTCUSD);
        assertEq(size, -5, "flipped short 5");
        assertEq(basis, -550e6, "basis of 5 short at 110k");
        // +100 USD on the 10 closed; taker fees 0.5 + 0.825 USD.
        assertEq(_balance(alice, USD), int256(1_000_000e6 + 100e6 - 0.5e6 - 0.825e6), "alice");
    }

    // ================================================================== regressions

    /// A fill at 11× the index once wrapped the stored int64 premium EMA negative, sending the mark to
    /// the bottom of the band. Samples are now clamped to the mark band before entering the EMA.
    function test_settleBatch_premiumEmaDoesNotWrapOnAnExtremeFillPrice() public {
        uint128 price = 1_100_000e18; // 11× the index: sample = +10e18
        _settle(
            _fill(1, _order(alice, BTCUSD, false, 1, price, 1), ALICE_PK, _order(bob, BTCUSD, true, 1, price, 1), BOB_PK)
        );
        (uint256 index,, uint256 mark, int256 ema,,) = clearinghouse.marketState(BTCUSD);
        assertEq(index, BTC_PRICE, "index");
        assertGt(ema, 0, "a fill above the index gives a positive premium");
        // The clamped sample (+1%) dominates the first EMA step: the mark ends just under the band's top.
        assertLe(mark, 101_000e18, "mark within the 1% band");
        assertGe(mark, 100_990e18, "mark near the top of the band");
    }

    /// With an 18-decimal collateral the funding index (then at a fixed 1e9 sub-unit precision)
    /// outgrew its int96 slot within weeks and every fill in the market reverted the whole batch. The
    /// precision now scales with the token's decimals (FundingMath.fundingPrecision).
    function test_settleBatch_fundingIndexOf18DecimalCollateralDoesNotFreezeTheMarket() public {
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        uint8 c = registry.listCollateral(address(dai));
        uint8 id = registry.listMarket("ETH-DAI", _config(MarketKind.Linear, c, 1e18, 0.01e18, address(ethOracle)));
        address[2] memory who = [alice, bob];
        for (uint256 i; i < 2; ++i) {
            dai.mint(who[i], 1_000_000e18);
            vm.startPrank(who[i]);
            dai.approve(address(clearinghouse), type(uint256).max);
            clearinghouse.deposit(c, 0, 1_000_000e18);
            vm.stopPrank();
        }
        uint128 price = uint128(ETH_PRICE);
        _settle(_fill(5, _order(alice, id, false, 5, price, 1), ALICE_PK, _order(bob, id, true, 5, price, 1), BOB_PK));

        vm.warp(T0 + 40 days);
        _report(ethOracle, ETH_PRICE);
        // Close both positions.
        _settle(_fill(5, _order(alice, id, true, 5, price, 2), ALICE_PK, _order(bob, id, false, 5, price, 2), BOB_PK));
        (int256 size,,) = clearinghouse.position(_id(bob, c, 0), id);
        assertEq(size, 0, "bob closed");
    }
}
