// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "./utils/Test.sol";
import {ClearinghouseTestBase} from "./utils/ClearinghouseTestBase.sol";
import {ILiquidation} from "../../contracts/interfaces/ILiquidation.sol";
import {IClearinghouseEvents} from "../../contracts/interfaces/IClearinghouseEvents.sol";
import {LiquidationModule} from "../../contracts/core/LiquidationModule.sol";
import {Clearinghouse} from "../../contracts/core/Clearinghouse.sol";
import {MarketRegistry} from "../../contracts/core/MarketRegistry.sol";
import {Order, SkipReason} from "../../contracts/types/Order.sol";
import {SubaccountId, SubaccountIdLib} from "../../contracts/types/Ids.sol";
import {MarketConfig, MarketKind, AdlPolicy} from "../../contracts/types/Market.sol";
import {LiquidationParameters} from "../../contracts/types/Risk.sol";
import {ContractMath} from "../../contracts/libraries/ContractMath.sol";
import {LiquidationMath} from "../../contracts/libraries/LiquidationMath.sol";
import {AdlMath} from "../../contracts/libraries/AdlMath.sol";
import {FixedPoint} from "../../contracts/libraries/FixedPoint.sol";

/// @dev SPEC §6–8 in the linear market: a victim long 900 BTC-USD contracts (0.9 BTC) at $100,000
/// with $10,000, against three shorts of 300: bob and carol (subaccount 0, $1m each) and dave's
/// subaccount 1 ($5,000: the most levered). The index then falls.
contract LiquidationTest is ClearinghouseTestBase {
    uint256 internal constant VICTIM_PK = 0x71C7;
    address internal victim;
    SubaccountId internal victimId;
    SubaccountId internal daveLevered;
    uint64 internal nonce = 1;

    function setUp() public override {
        super.setUp();
        victim = vm.addr(VICTIM_PK);
        victimId = _id(victim, USD, 0);
        daveLevered = _id(dave, USD, 1);
        _fund(victim, 10_000e6, 0);
        vm.prank(dave);
        clearinghouse.transfer(USD, 0, 1, 5_000e6);

        bytes memory fills = abi.encodePacked(
            _fill(300, _ask(bob, 0, 300), BOB_PK, _bid(victim, 0, 300), VICTIM_PK),
            _fill(300, _ask(carol, 0, 300), CAROL_PK, _bid(victim, 0, 300), VICTIM_PK),
            _fill(300, _ask(dave, 1, 300), DAVE_PK, _bid(victim, 0, 300), VICTIM_PK)
        );
        _settle(fills);
        assertEq(_sizeOf(victimId), 900, "victim long");
    }

    // ------------------------------------------------------------------ helpers

    function _ask(address who, uint8 sub, uint64 size) internal returns (Order memory o) {
        o = _order(who, BTCUSD, false, size, uint128(BTC_PRICE), nonce++);
        o.subaccount = sub;
    }

    function _bid(address who, uint8 sub, uint64 size) internal returns (Order memory o) {
        o = _order(who, BTCUSD, true, size, uint128(BTC_PRICE), nonce++);
        o.subaccount = sub;
    }

    function _sizeOf(SubaccountId id) internal view returns (int256 size) {
        (size,,) = clearinghouse.position(id, BTCUSD);
    }

    function _balanceOf(SubaccountId id) internal view returns (int256 balance) {
        (balance,,) = clearinghouse.account(id);
    }

    function _equity(SubaccountId id) internal view returns (int256 equity) {
        (equity,,,) = clearinghouse.accountHealth(id);
    }

    function _mark(uint8 market) internal view returns (uint256 mark) {
        (,, mark,,,) = clearinghouse.marketState(market);
    }

    function _crash(uint256 price) internal {
        _report(btcOracle, price);
    }

    /// @dev A resting buy of carol's (the book side that absorbs a long's liquidation).
    function _restingBid(uint64 size, uint128 price) internal returns (Order memory o, bytes memory fill) {
        o = _order(carol, BTCUSD, true, size, price, nonce++);
        fill = abi.encodePacked(size, _encodeOrder(o, CAROL_PK));
    }

    function _liquidate(SubaccountId account, bytes memory book, SubaccountId[] memory side, uint64[] memory sizes)
        internal
    {
        vm.prank(keeper);
        liquidation.liquidate(account, BTCUSD, book, side, sizes);
    }

    function _none() internal pure returns (SubaccountId[] memory) {
        return new SubaccountId[](0);
    }

    function _noSizes() internal pure returns (uint64[] memory) {
        return new uint64[](0);
    }

    /// @dev What the module will close and at what price, from the clearinghouse's views.
    function _expected(SubaccountId id) internal view returns (uint256 target, uint256 bankruptcy) {
        (int256 equity, uint256 im, uint256 mm,) = clearinghouse.accountHealth(id);
        int256 size = _sizeOf(id);
        uint256 mark = _mark(BTCUSD);
        MarketConfig memory cfg = _marketConfig(BTCUSD);
        bankruptcy = LiquidationMath.bankruptcyPrice(cfg.kind, cfg.multiplier, 1e6, size, mark, equity);
        LiquidationParameters memory p = liquidation.liquidationParameters();
        if (equity < int256(FixedPoint.mulRateDown(mm, p.fullLiquidationRatio))) {
            return (FixedPoint.abs(size), bankruptcy);
        }
        uint256 notional = ContractMath.notional(cfg.kind, cfg.multiplier, size, mark, 1e6);
        target = LiquidationMath.partialCloseSize(
            FixedPoint.abs(size), cfg.lotSize, uint256(int256(im) - equity), notional, cfg.imRate, p.feeRate
        );
    }

    /// @dev The three shorts in RANKED order, computed independently from the views.
    function _rankedShorts() internal view returns (SubaccountId[] memory side) {
        side = new SubaccountId[](3);
        side[0] = _id(bob, USD, 0);
        side[1] = _id(carol, USD, 0);
        side[2] = daveLevered;
        _rank(side);
    }

    function _score(SubaccountId id) internal view returns (int256) {
        (int256 size, int256 basis,) = clearinghouse.position(id, BTCUSD);
        MarketConfig memory cfg = _marketConfig(BTCUSD);
        int256 value = ContractMath.signedValue(cfg.kind, cfg.multiplier, size, _mark(BTCUSD), 1e6, false);
        return AdlMath.score(value, basis, _equity(id));
    }

    function _u(SubaccountId id) internal pure returns (uint256) {
        return uint256(SubaccountId.unwrap(id));
    }

    function _fundVault(uint256 amount) internal {
        usd.mint(erin, amount);
        vm.startPrank(erin);
        usd.approve(address(usdVault), amount);
        usdVault.deposit(amount, erin);
        vm.stopPrank();
    }

    function _sum(SubaccountId[] memory ids) internal view returns (int256 total) {
        for (uint256 i; i < ids.length; ++i) total += _sizeOf(ids[i]);
    }

    // ------------------------------------------------------------------ eligibility

    function test_liquidate_revertsForAHealthyAccount() public {
        (int256 equity,, uint256 mm,) = clearinghouse.accountHealth(victimId);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationNotLiquidatable.selector, victimId, equity, mm));
        _liquidate(victimId, "", _none(), _noSizes());
    }

    function test_liquidate_revertsForAPositionlessAccount() public {
        _crash(93_500e18);
        SubaccountId erinId = _id(erin, USD, 0);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationNoPosition.selector, erinId, BTCUSD));
        _liquidate(erinId, "", _none(), _noSizes());
    }

    function test_liquidate_revertsOnAStaleIndex() public {
        _crash(93_500e18);
        vm.warp(block.timestamp + 3 minutes);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationStaleIndex.selector, BTCUSD));
        _liquidate(victimId, "", _none(), _noSizes());
    }

    function test_liquidate_revertsForAnUnlistedMarket() public {
        _crash(93_500e18);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationNoPosition.selector, victimId, uint8(3)));
        vm.prank(keeper);
        liquidation.liquidate(victimId, 3, "", _none(), _noSizes());
        // Past the 64 market ids a subaccount can hold: the same clear error, not an index panic.
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationNoPosition.selector, victimId, uint8(64)));
        vm.prank(keeper);
        liquidation.liquidate(victimId, 64, "", _none(), _noSizes());
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationNoPosition.selector, victimId, uint8(255)));
        vm.prank(keeper);
        liquidation.liquidate(victimId, 255, "", _none(), _noSizes());
    }

    function test_module_rejectsOutOfRangeParameters() public {
        LiquidationParameters memory p = _liquidationParameters();
        p.feeRate = 1e18; // a fee of the whole notional
        vm.expectRevert(LiquidationModule.LiquidationInvalidParameters.selector);
        new LiquidationModule(registry, keepers, p);
    }

    /// @dev The module runs with the clearinghouse's storage but its own immutables: they must agree.
    function test_clearinghouse_refusesAModuleBuiltForOtherRegistries() public {
        LiquidationModule other = new LiquidationModule(MarketRegistry(address(0xbeef)), keepers, _liquidationParameters());
        vm.expectRevert(abi.encodeWithSelector(Clearinghouse.ClearinghouseModuleMismatch.selector, address(other)));
        new Clearinghouse(registry, keepers, address(other));
    }

    function test_module_cannotBeCalledDirectly() public {
        LiquidationModule module = LiquidationModule(clearinghouse.liquidationModule());
        vm.expectRevert(ILiquidation.LiquidationDirectCall.selector);
        module.liquidate(victimId, BTCUSD, "", _none(), _noSizes());
    }

    // ------------------------------------------------------------------ 1. the book

    function test_liquidate_partiallyAgainstTheBookAndSplitsTheFee() public {
        _crash(93_500e18);
        (uint256 target, uint256 bankruptcy) = _expected(victimId);
        assertGt(target, 0, "partial");
        assertLt(target, 900, "partial, not full");
        uint128 price = 93_000e18;
        (Order memory bid, bytes memory book) = _restingBid(uint64(target), price);
        SubaccountId keeperId = _id(keeper, USD, 0);
        SubaccountId insurance = usdVault.subaccount();
        int256 keeperBefore = _balanceOf(keeperId);
        int256 insuranceBefore = _balanceOf(insurance);
        int256 carolBefore = _sizeOf(_id(carol, USD, 0));
        uint256 oiBefore = _openInterest(BTCUSD);

        vm.recordLogs();
        _liquidate(victimId, book, _none(), _noSizes());
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertEq(_sizeOf(victimId), int256(900 - target), "victim keeps the rest");
        assertEq(_sizeOf(_id(carol, USD, 0)), carolBefore + int256(target), "maker took it");
        // Carol was short 300: buying `target` closes that and opens the rest long.
        assertEq(
            _openInterest(BTCUSD), oiBefore - target + uint256(carolBefore + int256(target)), "INV-2 after the fill"
        );
        assertTrue(clearinghouse.isNonceUsed(_id(carol, USD, 0), bid.nonce), "the bid was filled in full");
        // The Liquidated event, with the fee split half to the keeper.
        (uint256 fee, uint256 liquidatorFee) = _liquidatedFees(logs, target, bankruptcy);
        assertEq(liquidatorFee, fee / 2, "liquidator share");
        assertEq(_balanceOf(keeperId), keeperBefore + int256(liquidatorFee), "keeper paid");
        uint256 makerFee = FixedPoint.mulRateUp(
            ContractMath.notional(MarketKind.Linear, 0.001e18, int256(target), price, 1e6), 0.0002e18
        );
        assertEq(
            _balanceOf(insurance), insuranceBefore + int256(fee - liquidatorFee + makerFee), "insurance: fee share + maker fee"
        );
        // Partial: the least size that restores initial margin at mark; the fill's distance below
        // mark is what keeps it short of IM. One lot less would not have restored it.
        (int256 equity, uint256 im,,) = clearinghouse.accountHealth(victimId);
        int256 slippage = int256(target) * (int256(_mark(BTCUSD)) - int256(uint256(price))) / 1e18 * 0.001e6;
        assertGe(equity + slippage + 1, int256(im), "IM restored at mark");
    }

    function _liquidatedFees(Vm.Log[] memory logs, uint256 target, uint256 bankruptcy)
        internal
        view
        returns (uint256 fee, uint256 liquidatorFee)
    {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != ILiquidation.Liquidated.selector) continue;
            assertEq(logs[i].topics[1], SubaccountId.unwrap(victimId), "account");
            (
                int256 before,
                uint256 mark,
                uint256 price,
                uint256 closed,
                uint256 bookSize,
                uint256 backstopSize,
                uint256 adlSize,
                uint256 fee_,
                uint256 liquidatorFee_
            ) = abi.decode(
                logs[i].data, (int256, uint256, uint256, uint256, uint256, uint256, uint256, uint256, uint256)
            );
            assertEq(before, 900, "position before");
            assertEq(mark, _mark(BTCUSD), "mark");
            assertEq(price, bankruptcy, "bankruptcy price");
            assertEq(closed, target, "closed");
            assertEq(bookSize + backstopSize + adlSize, closed, "waterfall sums to the target");
            return (fee_, liquidatorFee_);
        }
        fail("no Liquidated event");
    }

    function test_liquidate_bookFillOutsideTheBandReverts() public {
        _crash(93_500e18);
        (uint256 target,) = _expected(victimId);
        (, bytes memory book) = _restingBid(uint64(target), 91_000e18); // band: 93,500 ± 2%
        bytes32 before = _accountState(victim);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILiquidation.LiquidationPriceOutsideBand.selector, 0, 91_000e18, 91_630e18, 95_370e18
            )
        );
        _liquidate(victimId, book, _none(), _noSizes());
        assertEq(_accountState(victim), before, "unchanged");
    }

    function test_liquidate_bookFillBeyondTheBankruptcyPriceReverts() public {
        _crash(88_500e18); // equity < 0: the bankruptcy price is above mark
        (uint256 target, uint256 bankruptcy) = _expected(victimId);
        assertGt(bankruptcy, 88_500e18, "bankruptcy above mark");
        (, bytes memory book) = _restingBid(uint64(target), 88_500e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILiquidation.LiquidationPriceBeyondBankruptcy.selector, 0, 88_500e18, bankruptcy
            )
        );
        _liquidate(victimId, book, _none(), _noSizes());
    }

    function test_liquidate_bookFillLargerThanTheTargetReverts() public {
        _crash(93_500e18);
        (uint256 target,) = _expected(victimId);
        (, bytes memory book) = _restingBid(uint64(target + 1), 93_000e18);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationBookOverfill.selector, 0, target, target + 1));
        _liquidate(victimId, book, _none(), _noSizes());
    }

    function test_liquidate_bookFillOnTheWrongSideReverts() public {
        _crash(93_500e18);
        Order memory ask = _order(carol, BTCUSD, false, 10, 93_000e18, nonce++);
        bytes memory book = abi.encodePacked(uint64(10), _encodeOrder(ask, CAROL_PK));
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationInvalidBookFill.selector, 0));
        _liquidate(victimId, book, _none(), _noSizes());
    }

    function test_liquidate_makerFailuresAreSkippedAndTheRestGoesToTheBackstop() public {
        _fundVault(100_000e6);
        _crash(93_500e18);
        (, uint256 bankruptcy) = _expected(victimId);
        uint256 target = 900; // the book took none of the partial target: the backstop takes it all
        Order memory bid = _order(carol, BTCUSD, true, 10, 93_000e18, nonce++);
        // Signed by bob, not carol: a bad signature is the maker's failure, not the keeper's.
        bytes memory book = abi.encodePacked(uint64(10), _encodeOrder(bid, BOB_PK));
        vm.expectEmit(address(clearinghouse));
        emit IClearinghouseEvents.FillSkipped(_hash(bid), 0, SkipReason.BadSignature);
        vm.expectEmit(address(clearinghouse));
        emit ILiquidation.BackstopTakeover(victimId, BTCUSD, usdVault.subaccount(), int256(target), bankruptcy);
        _liquidate(victimId, book, _none(), _noSizes());
        assertEq(_sizeOf(usdVault.subaccount()), int256(target), "vault took it all");
    }

    function test_liquidate_byAnyoneOnlyAfterTheGracePeriodAndWithoutTheBook() public {
        _fundVault(100_000e6);
        _crash(93_500e18);
        vm.prank(erin);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationGracePeriod.selector, victimId, 0));
        liquidation.liquidate(victimId, BTCUSD, "", _none(), _noSizes());

        vm.prank(erin);
        liquidation.flagLiquidatable(victimId);
        uint256 readyAt = block.timestamp + 60;
        assertEq(liquidation.liquidatableSince(victimId), block.timestamp, "flagged");
        vm.prank(erin);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationGracePeriod.selector, victimId, readyAt));
        liquidation.liquidate(victimId, BTCUSD, "", _none(), _noSizes());

        vm.warp(readyAt);
        _report(btcOracle, 93_500e18); // keep the index fresh
        (, bytes memory book) = _restingBid(10, 93_000e18);
        vm.prank(erin);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationNotKeeper.selector, erin));
        liquidation.liquidate(victimId, BTCUSD, book, _none(), _noSizes());

        vm.prank(erin);
        liquidation.liquidate(victimId, BTCUSD, "", _none(), _noSizes());
        assertEq(_sizeOf(victimId), 0, "liquidated through the backstop, in full");
        assertEq(liquidation.liquidatableSince(victimId), 0, "flag cleared");
    }

    function test_flagLiquidatable_revertsForAHealthyAccount() public {
        (int256 equity,, uint256 mm,) = clearinghouse.accountHealth(victimId);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationNotLiquidatable.selector, victimId, equity, mm));
        liquidation.flagLiquidatable(victimId);
    }

    // ------------------------------------------------------------------ the grace period ends

    /// @dev Flags the victim below maintenance at `price`; returns what restores its maintenance margin.
    function _flagVictimAt(uint256 price) internal returns (uint256 shortfall) {
        _crash(price);
        vm.prank(erin);
        liquidation.flagLiquidatable(victimId);
        (int256 equity,, uint256 mm,) = clearinghouse.accountHealth(victimId);
        shortfall = uint256(int256(mm) - equity);
    }

    function test_deposit_thatRestoresMaintenanceEndsTheGracePeriod() public {
        uint256 shortfall = _flagVictimAt(93_500e18);
        usd.mint(victim, shortfall + 1e6);
        vm.expectEmit(true, false, false, false, address(clearinghouse));
        emit IClearinghouseEvents.LiquidatableCleared(victimId);
        vm.prank(victim);
        clearinghouse.deposit(USD, 0, shortfall + 1e6);
        assertEq(liquidation.liquidatableSince(victimId), 0, "grace period over");

        // A later fall below maintenance gives keepers a new grace period: nobody else may act at once.
        _crash(85_000e18);
        (int256 equity,, uint256 mm,) = clearinghouse.accountHealth(victimId);
        assertLt(equity, int256(mm), "below maintenance again");
        vm.prank(erin);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationGracePeriod.selector, victimId, 0));
        liquidation.liquidate(victimId, BTCUSD, "", _none(), _noSizes());
    }

    function test_deposit_thatLeavesItBelowMaintenanceKeepsTheFlag() public {
        uint256 shortfall = _flagVictimAt(93_500e18);
        uint256 since = liquidation.liquidatableSince(victimId);
        usd.mint(victim, shortfall - 1);
        vm.prank(victim);
        clearinghouse.deposit(USD, 0, shortfall - 1);
        assertEq(liquidation.liquidatableSince(victimId), since, "still flagged");
        vm.prank(erin);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.LiquidationGracePeriod.selector, victimId, since + 60));
        liquidation.liquidate(victimId, BTCUSD, "", _none(), _noSizes());
    }

    function test_transfer_intoAFlaggedSubaccountThatRestoresItEndsTheGracePeriod() public {
        uint256 shortfall = _flagVictimAt(93_500e18);
        usd.mint(victim, shortfall + 1e6);
        vm.startPrank(victim);
        clearinghouse.deposit(USD, 1, shortfall + 1e6);
        vm.expectEmit(true, false, false, false, address(clearinghouse));
        emit IClearinghouseEvents.LiquidatableCleared(victimId);
        clearinghouse.transfer(USD, 1, 0, shortfall + 1e6);
        vm.stopPrank();
        assertEq(liquidation.liquidatableSince(victimId), 0, "grace period over");
    }

    function test_clearLiquidatable_byAnyoneOnceThePriceRecovers() public {
        _flagVictimAt(93_500e18);
        _crash(BTC_PRICE);
        vm.expectEmit(true, false, false, false, address(clearinghouse));
        emit IClearinghouseEvents.LiquidatableCleared(victimId);
        vm.prank(erin);
        liquidation.clearLiquidatable(victimId);
        assertEq(liquidation.liquidatableSince(victimId), 0, "grace period over");
    }

    /// Nothing to end without a flag: no revert even below maintenance, no event, nothing written.
    function test_clearLiquidatable_ofAnUnflaggedAccountIsANoOp() public {
        _crash(93_500e18);
        (int256 equity,, uint256 mm,) = clearinghouse.accountHealth(victimId);
        assertLt(equity, int256(mm), "below maintenance, but never flagged");
        vm.recordLogs();
        vm.prank(erin);
        liquidation.clearLiquidatable(victimId);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        assertEq(liquidation.liquidatableSince(victimId), 0, "still unflagged");
        // And it can still be flagged afterwards.
        vm.prank(erin);
        liquidation.flagLiquidatable(victimId);
        assertEq(liquidation.liquidatableSince(victimId), block.timestamp, "flagged");
    }

    function test_clearLiquidatable_revertsWhileBelowMaintenance() public {
        _flagVictimAt(93_500e18);
        uint256 since = liquidation.liquidatableSince(victimId);
        (int256 equity,, uint256 mm,) = clearinghouse.accountHealth(victimId);
        vm.prank(victim);
        vm.expectRevert(
            abi.encodeWithSelector(ILiquidation.LiquidationStillLiquidatable.selector, victimId, equity, mm)
        );
        liquidation.clearLiquidatable(victimId);
        assertEq(liquidation.liquidatableSince(victimId), since, "still flagged");
    }

    // ------------------------------------------------------------------ 2. the backstop

    /// @dev Without the book, a partial liquidation becomes a full one: a close at the bankruptcy
    /// price takes its share of the equity along and would leave the rest just as under-margined.
    function test_backstop_takesOverAtTheBankruptcyPrice() public {
        _fundVault(100_000e6);
        _crash(93_500e18);
        (uint256 partialTarget, uint256 bankruptcy) = _expected(victimId);
        assertLt(partialTarget, 900, "the book alone would have closed part");
        uint256 target = 900;
        SubaccountId insurance = usdVault.subaccount();
        vm.expectEmit(address(clearinghouse));
        emit ILiquidation.BackstopTakeover(victimId, BTCUSD, insurance, int256(target), bankruptcy);
        _liquidate(victimId, "", _none(), _noSizes());
        (int256 size, int256 basis,) = clearinghouse.position(insurance, BTCUSD);
        assertEq(size, int256(target), "vault position");
        assertEq(
            basis,
            ContractMath.signedValue(MarketKind.Linear, 0.001e18, int256(target), bankruptcy, 1e6, true),
            "at the bankruptcy price"
        );
        // The vault bought below mark: its equity (and share price) rose by more than the fees.
        assertGt(usdVault.totalAssets(), 100_000e6, "vault gained");
        assertEq(_sizeOf(victimId), 0, "closed in full");
        (int256 equity,,,) = clearinghouse.accountHealth(victimId);
        assertGe(equity, 0, "no bad debt");
    }

    function test_backstop_takesWhatItsMarginAllowsAndAdlTakesTheRest() public {
        _fundVault(1_000e6); // 10% IM: room for roughly 0.1 BTC of the 0.9 BTC closed
        _crash(93_500e18);
        (, uint256 bankruptcy) = _expected(victimId);
        uint256 target = 900;
        uint256 taken = _mostTheVaultFits(bankruptcy, target);
        assertGt(taken, 0, "the vault takes some");
        assertLt(taken, target, "but not all");
        SubaccountId[] memory side = _rankedShorts();
        int256 shortsBefore = _sum(side);
        _liquidate(victimId, "", side, _adlSizes(side, target - taken));
        assertEq(_sizeOf(usdVault.subaccount()), int256(taken), "backstop share");
        assertEq(_sum(side), shortsBefore + int256(target - taken), "INV-6: ADL took exactly the rest");
        assertEq(_sizeOf(victimId), 0, "victim");
    }

    /// @dev The most lots an empty-but-funded vault can take at `price` under 10% IM at mark.
    function _mostTheVaultFits(uint256 price, uint256 upTo) internal view returns (uint256 best) {
        int256 balance = _balanceOf(usdVault.subaccount());
        uint256 mark = _mark(BTCUSD);
        for (uint256 b = 1; b <= upTo; ++b) {
            int256 equity = balance + ContractMath.signedValue(MarketKind.Linear, 0.001e18, int256(b), mark, 1e6, false)
                - ContractMath.signedValue(MarketKind.Linear, 0.001e18, int256(b), price, 1e6, true);
            uint256 im = FixedPoint.mulRateUp(ContractMath.notional(MarketKind.Linear, 0.001e18, int256(b), mark, 1e6), 0.1e18);
            if (equity < int256(im)) break;
            best = b;
        }
    }

    // ------------------------------------------------------------------ 3. ADL

    function test_adl_ranked_deleveragesTheTopRankedByExactlyTheShortfall() public {
        _crash(93_500e18); // the vault holds only fee income: almost all goes to ADL
        (, uint256 bankruptcy) = _expected(victimId);
        uint256 closed = 900;
        uint256 target = _shortfall(victimId);
        SubaccountId[] memory side = _rankedShorts();
        assertEq(_u(side[0]), _u(daveLevered), "the most levered winner ranks first");
        uint64[] memory sizes = _adlSizes(side, target);
        int256[] memory before = new int256[](3);
        for (uint256 i; i < 3; ++i) before[i] = _sizeOf(side[i]);
        bytes32 erinBefore = _accountState(erin);

        vm.expectEmit(address(clearinghouse));
        emit ILiquidation.Deleveraged(victimId, BTCUSD, AdlPolicy.Ranked, _mark(BTCUSD), bankruptcy, target, 3);
        vm.expectEmit(address(clearinghouse));
        emit ILiquidation.AdlCounterparty(victimId, side[0], BTCUSD, 0, int256(uint256(sizes[0])), bankruptcy, _score(side[0]));
        _liquidate(victimId, "", side, sizes);

        uint256 total;
        for (uint256 i; i < 3; ++i) {
            uint256 cut = uint256(_sizeOf(side[i]) - before[i]);
            if (i < sizes.length) assertEq(cut, sizes[i], "ranked cut");
            else assertEq(cut, 0, "below the cut: untouched");
            total += cut;
        }
        assertEq(total, target, "INV-6: exactly the shortfall");
        assertEq(_sizeOf(victimId), int256(900 - closed), "victim");
        assertEq(_accountState(erin), erinBefore, "INV-5: a positionless account is never touched");
        assertEq(_openInterest(BTCUSD), 900 - target, "INV-2: the vault's long and the victim's rest");
    }

    /// @dev A counterparty's other markets count in its score. Bob also trades a second USD market,
    /// listed here; the liquidation's market cache, which starts empty and grows to the markets it
    /// meets, has to grow to reach it in the middle of the side check.
    function test_adl_scoresIncludeACounterpartysOtherMarkets() public {
        uint8 ethUsd = registry.listMarket(
            "ETH-USD", _config(MarketKind.Linear, USD, 0.01e18, 0.01e18, address(ethOracle))
        );
        _settle(
            _fill(
                1_000,
                _order(bob, ethUsd, false, 1_000, uint128(ETH_PRICE), nonce++),
                BOB_PK,
                _order(carol, ethUsd, true, 1_000, uint128(ETH_PRICE), nonce++),
                CAROL_PK
            )
        );
        SubaccountId bobId = _id(bob, USD, 0);
        int256 equityBefore = _equity(bobId);
        _report(ethOracle, 4_400e18); // bob's short ETH loses ~$4,000
        assertLt(_equity(bobId), equityBefore - 3_900e6, "the other market moves bob's equity");

        _crash(93_500e18);
        uint256 target = _shortfall(victimId);
        SubaccountId[] memory side = _rankedShorts(); // scored on each holder's whole equity
        uint64[] memory sizes = _adlSizes(side, target);
        int256[] memory before = new int256[](3);
        for (uint256 i; i < 3; ++i) before[i] = _sizeOf(side[i]);
        int256[] memory scores = new int256[](3);
        for (uint256 i; i < 3; ++i) scores[i] = _score(side[i]);
        assertEq(sizes.length, 3, "the shortfall reaches every short, bob included");
        vm.recordLogs();
        _liquidate(victimId, "", side, sizes);

        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 seen;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != ILiquidation.AdlCounterparty.selector) continue;
            (uint256 rank,,, int256 score) = abi.decode(logs[i].data, (uint256, int256, uint256, int256));
            assertEq(logs[i].topics[2], SubaccountId.unwrap(side[rank]), "in ranked order");
            assertEq(score, scores[rank], "the score the module used is the one on the whole equity");
            ++seen;
        }
        assertEq(seen, 3, "one event per counterparty");
        uint256 total;
        for (uint256 i; i < 3; ++i) {
            uint256 cut = uint256(_sizeOf(side[i]) - before[i]);
            assertEq(cut, sizes[i], "ranked cut");
            total += cut;
        }
        assertEq(total, target, "INV-6: exactly the shortfall");
        (int256 ethSize,,) = clearinghouse.position(bobId, ethUsd);
        assertEq(ethSize, -1_000, "ADL in BTC-USD leaves bob's ETH-USD position alone");
    }

    function test_adl_revertsWhenTheTopRankedIsSkipped() public {
        _crash(93_500e18);
        uint256 target = _shortfall(victimId);
        SubaccountId[] memory full = _rankedShorts();
        SubaccountId[] memory side = new SubaccountId[](2);
        (side[0], side[1]) = (full[1], full[2]);
        uint64[] memory plan = _adlSizes(side, target);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.AdlSideIncomplete.selector, 3, 2));
        _liquidate(victimId, "", side, plan);
    }

    function test_adl_revertsWhenReordered() public {
        _crash(93_500e18);
        uint256 target = _shortfall(victimId);
        SubaccountId[] memory side = _rankedShorts();
        (side[0], side[1]) = (side[1], side[0]);
        uint64[] memory plan = _adlSizes(side, target);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.AdlOrderViolated.selector, 1, side[1]));
        _liquidate(victimId, "", side, plan);
    }

    function test_adl_revertsOnADuplicatedEntry() public {
        _crash(93_500e18);
        uint256 target = _shortfall(victimId);
        SubaccountId[] memory side = _rankedShorts();
        side[2] = side[1];
        uint64[] memory plan = _adlSizes(side, target);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.AdlOrderViolated.selector, 2, side[2]));
        _liquidate(victimId, "", side, plan);
    }

    function test_adl_revertsWhenDeleveragingMoreThanTheShortfall() public {
        _crash(93_500e18);
        uint256 target = _shortfall(victimId);
        SubaccountId[] memory side = _rankedShorts();
        uint64[] memory sizes = _adlSizes(side, target);
        uint256 last = sizes.length - 1;
        uint64 right = sizes[last];
        sizes[last] = right + 1;
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.AdlSizeMismatch.selector, last, right, right + 1));
        _liquidate(victimId, "", side, sizes);

        uint64[] memory extra = new uint64[](sizes.length + 1);
        for (uint256 i; i < sizes.length; ++i) extra[i] = sizes[i];
        extra[last] = right;
        extra[sizes.length] = 1;
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.AdlOverDeleveraged.selector, extra.length, sizes.length));
        _liquidate(victimId, "", side, extra);
    }

    function test_adl_revertsForAPositionlessEntry() public {
        _crash(93_500e18);
        uint256 target = _shortfall(victimId);
        SubaccountId[] memory side = _rankedShorts();
        SubaccountId erinId = _id(erin, USD, 0);
        side[2] = erinId;
        uint64[] memory plan = _adlSizes(side, target);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.AdlNotOnSide.selector, 2, erinId));
        _liquidate(victimId, "", side, plan);
    }

    function test_adl_revertsForAnEntryOnTheWrongSide() public {
        _crash(93_500e18);
        uint256 target = _shortfall(victimId);
        SubaccountId[] memory side = _rankedShorts();
        side[2] = victimId;
        uint64[] memory plan = _adlSizes(side, target);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.AdlNotOnSide.selector, 2, victimId));
        _liquidate(victimId, "", side, plan);
    }

    /// @dev INV-5: the protocol's own subaccounts rank like anyone's. The keeper's fee subaccount
    /// holds a short; leaving it out of the side reverts, and with it in, it is cut if it ranks.
    /// (The insurance vault never sits on the ADL side at that point: its opposite position is the
    /// first thing its backstop takeover reduces — a risk-reducing trade below mark it always passes.)
    function test_adl_theProtocolsOwnSubaccountRanksLikeAnyone() public {
        SubaccountId keeperId = _id(keeper, USD, 0);
        _fund(keeper, 450e6, 0);
        Order memory bid = _order(erin, BTCUSD, true, 40, uint128(BTC_PRICE), nonce++);
        Order memory ask = _order(keeper, BTCUSD, false, 40, uint128(BTC_PRICE), nonce++);
        _settle(_fill(40, bid, ERIN_PK, ask, 0xC0FFEE));
        assertEq(_sizeOf(keeperId), -40, "the keeper's own subaccount is short");

        _crash(93_500e18);
        uint256 shortfall = _shortfall(victimId);
        SubaccountId[] memory three = _rankedShorts();
        uint64[] memory plan = _adlSizes(three, shortfall);
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.AdlSideIncomplete.selector, 4, 3));
        _liquidate(victimId, "", three, plan);

        SubaccountId[] memory side = new SubaccountId[](4);
        for (uint256 i; i < 3; ++i) side[i] = three[i];
        side[3] = keeperId;
        _rank(side);
        assertEq(_u(side[0]), _u(keeperId), "the keeper's short is the most levered: it ranks first");
        int256 shortsBefore = _sum(side);
        _liquidate(victimId, "", side, _adlSizes(side, shortfall));
        assertEq(_sum(side), shortsBefore + int256(shortfall), "INV-6");
        assertEq(_sizeOf(keeperId), 0, "and it was cut first");
    }

    /// @dev What ADL must take: the target less what the vault's fee income lets it backstop.
    function _shortfall(SubaccountId id) internal view returns (uint256) {
        (, uint256 bankruptcy) = _expected(id);
        uint256 whole = FixedPoint.abs(_sizeOf(id)); // no book: the whole position goes
        return whole - _mostTheVaultFits(bankruptcy, whole);
    }

    /// @dev Sorts `side` into RANKED order (insertion sort on the views' scores).
    function _rank(SubaccountId[] memory side) internal view {
        int256[] memory scores = new int256[](side.length);
        for (uint256 i; i < side.length; ++i) scores[i] = _score(side[i]);
        for (uint256 i = 1; i < side.length; ++i) {
            for (uint256 j = i; j > 0; --j) {
                if (!AdlMath.ranksBefore(scores[j], _u(side[j]), scores[j - 1], _u(side[j - 1]))) break;
                (scores[j], scores[j - 1]) = (scores[j - 1], scores[j]);
                (side[j], side[j - 1]) = (side[j - 1], side[j]);
            }
        }
    }

    function test_adl_proRata_cutsEveryPositionByTheSameFraction() public {
        MarketConfig memory cfg = _marketConfig(BTCUSD);
        cfg.adlPolicy = AdlPolicy.ProRata;
        registry.setMarketParameters(BTCUSD, cfg);
        _crash(93_500e18);
        (, uint256 bankruptcy) = _expected(victimId);
        uint256 target = _shortfall(victimId);
        SubaccountId[] memory side = _rankedShorts();
        _sortById(side);
        uint64[] memory sizes = new uint64[](3);
        uint256 cumulative;
        for (uint256 i; i < 3; ++i) {
            uint256 lots = FixedPoint.abs(_sizeOf(side[i]));
            sizes[i] = uint64(AdlMath.proRataShare(target, cumulative, cumulative + lots, 900));
            cumulative += lots;
        }
        assertEq(uint256(sizes[0]) + sizes[1] + sizes[2], target, "shares sum to the shortfall");
        vm.expectEmit(address(clearinghouse));
        emit ILiquidation.Deleveraged(victimId, BTCUSD, AdlPolicy.ProRata, _mark(BTCUSD), bankruptcy, target, 3);
        _liquidate(victimId, "", side, sizes);
        for (uint256 i; i < 3; ++i) {
            assertEq(_sizeOf(side[i]), -300 + int256(uint256(sizes[i])), "pro-rata cut");
        }

    }

    function test_adl_proRata_revertsWhenNotInIdOrder() public {
        MarketConfig memory cfg = _marketConfig(BTCUSD);
        cfg.adlPolicy = AdlPolicy.ProRata;
        registry.setMarketParameters(BTCUSD, cfg);
        _crash(93_500e18);
        SubaccountId[] memory side = _rankedShorts();
        _sortById(side);
        (side[0], side[2]) = (side[2], side[0]);
        uint64[] memory plan = new uint64[](1);
        plan[0] = uint64(AdlMath.proRataShare(_shortfall(victimId), 0, 300, 900));
        vm.expectRevert(abi.encodeWithSelector(ILiquidation.AdlOrderViolated.selector, 1, side[1]));
        _liquidate(victimId, "", side, plan);
    }

    function _sortById(SubaccountId[] memory side) internal pure {
        for (uint256 i = 1; i < side.length; ++i) {
            for (uint256 j = i; j > 0 && _u(side[j]) < _u(side[j - 1]); --j) {
                (side[j], side[j - 1]) = (side[j - 1], side[j]);
            }
        }
    }

    // ------------------------------------------------------------------ bad debt (INV-4)

    function test_gap_backstopAtTheBankruptcyPriceLeavesNoBadDebt() public {
        _fundVault(100_000e6);
        _crash(88_000e18); // equity < 0 at mark: a gap through the bankruptcy price
        assertLt(_equity(victimId), 0, "under water");
        (uint256 target, uint256 bankruptcy) = _expected(victimId);
        assertEq(target, 900, "full liquidation");
        _liquidate(victimId, "", _none(), _noSizes());
        (int256 balance, uint64 openMarkets,) = clearinghouse.account(victimId);
        assertEq(uint256(openMarkets), 0, "no positions");
        assertGe(balance, 0, "INV-4: no negative equity left behind");
        assertLt(balance, 1e6, "and not more than rounding dust above zero");
        assertGt(bankruptcy, _mark(BTCUSD), "taken over above mark: the vault paid the gap");
        assertLt(usdVault.totalAssets(), 100_000e6, "the LPs bore the loss");
    }

    function test_gap_adlAtTheBankruptcyPriceLeavesNoBadDebt() public {
        _crash(88_000e18);
        SubaccountId[] memory side = _rankedShorts();
        uint256 shortfall = _shortfall(victimId);
        _liquidate(victimId, "", side, _adlSizes(side, shortfall));
        (int256 balance, uint64 openMarkets,) = clearinghouse.account(victimId);
        assertEq(uint256(openMarkets), 0, "closed");
        assertGe(balance, 0, "INV-4");
        assertEq(_openInterest(BTCUSD), 900 - shortfall, "only the vault's takeover is open");
    }

    // ------------------------------------------------------------------ solvency after all of it

    function test_liquidation_keepsTheTokensCovered() public {
        _fundVault(1_000e6);
        _crash(88_000e18);
        SubaccountId[] memory side = _rankedShorts();
        uint256 shortfall = _shortfall(victimId);
        _liquidate(victimId, "", side, _adlSizes(side, shortfall));
        address[8] memory owners = [alice, bob, carol, dave, erin, frank, victim, keeper];
        int256 sum;
        for (uint256 i; i < owners.length; ++i) {
            sum += _balanceOf(_id(owners[i], USD, 0)) + _balanceOf(_id(owners[i], USD, 1));
        }
        sum += _balanceOf(usdVault.subaccount());
        assertGe(int256(usd.balanceOf(address(clearinghouse))), sum, "INV-1");
    }
    /// @dev RANKED sizes for a shortfall, walking `side` in order.
    function _adlSizes(SubaccountId[] memory side, uint256 shortfall) internal view returns (uint64[] memory sizes) {
        uint256 n;
        uint256 left = shortfall;
        for (uint256 i; i < side.length && left != 0; ++i) {
            uint256 s = FixedPoint.abs(_sizeOf(side[i]));
            left -= s < left ? s : left;
            ++n;
        }
        sizes = new uint64[](n);
        left = shortfall;
        for (uint256 i; i < n; ++i) {
            uint256 s = FixedPoint.abs(_sizeOf(side[i]));
            sizes[i] = uint64(s < left ? s : left);
            left -= sizes[i];
        }
    }
}
