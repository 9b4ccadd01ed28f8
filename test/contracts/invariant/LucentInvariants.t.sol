// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LucentFixture} from "../utils/LucentFixture.sol";
import {LucentHandler} from "./LucentHandler.sol";
import {Clearinghouse} from "../../../contracts/core/Clearinghouse.sol";
import {KeeperRegistry} from "../../../contracts/core/KeeperRegistry.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {SubaccountId} from "../../../contracts/types/Ids.sol";
import {Order} from "../../../contracts/types/Order.sol";
import {FundingMath} from "../../../contracts/libraries/FundingMath.sol";

/// @dev The fuzz target. Declared in this test file because the runner only identifies (and so only
/// fuzzes) contracts whose artifacts belong to the test file being run.
contract LucentHandlerTarget is LucentHandler {}

/// @title LucentInvariantTest
/// @notice SPEC §10 invariants over random sequences of deposits, withdrawals, transfers, valid and
/// invalid fills, replays, cancellations, nonce floors, index moves and time (see LucentHandler).
/// INV-4, INV-5 and INV-6 (liquidation and ADL) are RiskInvariants.t.sol's.
contract LucentInvariantTest is LucentFixture {
    uint8 internal constant N_MARKETS = 3;

    LucentHandler internal handler;
    Clearinghouse internal ch;

    /// @dev Per collateral, over every subaccount that can hold money (actors' and the keeper's).
    struct Totals {
        int256 balances; // Σ realized balances
        int256 basis; // Σ position cost bases
        int256 pendingScaled; // Σ size × (cumulative funding − snapshot): funding owed × precision, exact
        int256 equity; // Σ equity at the mark
        uint256 withdrawable; // Σ withdrawable
        uint256 badDebt; // Σ max(−equity, 0)
        bool flat; // no open positions
    }

    function setUp() public override {
        super.setUp();
        ch = clearinghouse;
        handler = _newHandler();
        handler.init(clearinghouse, registry, usd, xbt, btcOracle, ethOracle, reporters, keeper);
        targetContract(address(handler));
        targetSelector(FuzzSelector(address(handler), handler.actions()));
    }

    /// @dev The handler to fuzz; a derived suite may supply another (its class must be declared in
    /// that suite's own test file, see LucentHandlerTarget).
    function _newHandler() internal virtual returns (LucentHandler) {
        return new LucentHandlerTarget();
    }

    // ================================================================ INV-1

    /// @notice INV-1 Solvency. The vault holds exactly Σ deposits − Σ withdrawals; it covers Σ equity
    /// plus the insurance fund at the mark; and when nobody holds a position, Σ balances + insurance.
    /// @dev The literal "balanceOf ≥ Σ balances + insurance" only holds when every position is flat:
    /// a trader who closes against a new counterparty realizes a gain into its balance while the loser
    /// still carries the loss as unrealized PnL, so Σ balances can exceed the vault by the losers'
    /// unrealized losses (see Findings.t.sol). Σ equity is the quantity that must be covered.
    function invariant_INV1_solvency() public view {
        assertEq(handler.violationCount(handler.V_INV1()), 0, handler.violationReason(handler.V_INV1()));
        for (uint8 c; c < 2; ++c) {
            uint256 held = (c == 0 ? usd : xbt).balanceOf(address(ch));
            assertEq(int256(held), handler.netDeposits(c), "INV-1: vault == deposits - withdrawals");
            Totals memory t = _totals(c);
            uint256 insurance = ch.insuranceFund(c);
            assertLe(t.equity + int256(insurance), int256(held), "INV-1: sum equity + insurance <= vault");
            assertLe(t.withdrawable + insurance, held + t.badDebt, "INV-1: sum withdrawable + insurance <= vault");
            if (t.flat) assertLe(t.balances + int256(insurance), int256(held), "INV-1: flat: sum balances + insurance <= vault");
        }
    }

    // ================================================================ INV-2

    /// @notice INV-2 Open interest: per market Σ long contracts = Σ short contracts = openInterest.
    function invariant_INV2_openInterest() public view {
        uint256 n = handler.subCount();
        for (uint8 m; m < N_MARKETS; ++m) {
            uint256 longs;
            uint256 shorts;
            for (uint256 i; i < n; ++i) {
                (int256 size,,) = ch.position(handler.subAt(i), m);
                if (size > 0) longs += uint256(size);
                else shorts += uint256(-size);
            }
            (,,,,, uint256 oi) = ch.marketState(m);
            assertEq(longs, shorts, "INV-2: longs == shorts");
            assertEq(longs, oi, "INV-2: longs == openInterest");
        }
    }

    // ================================================================ INV-3

    /// @notice INV-3 Zero-sum: realized PnL, funding and fees move money between accounts, the keeper
    /// and the insurance fund, never create it; dust only favours the protocol.
    /// @dev Exact accounting identity: marking every position at any common price P, the exact values
    /// Σ q·value(P) cancel (Σ long = Σ short, value linear in q), so
    ///   D = Σ balances + insurance − Σ basis − (deposits − withdrawals)
    /// is the fills' rounding dust (≤ 0) minus the funding settled so far (≥ its exact value, which
    /// is −Σ pending funding since funding nets to zero across positions). With p the collateral's
    /// funding precision (FundingMath.fundingPrecision):
    ///   D·p ≤ Σ size·(cumFunding − snapshot)   and   ≥ that − (4 + 2)·p per settled fill
    /// (≤ 4 units of PnL rounding for two flipping sides, ≤ 1 unit of funding rounding per side).
    function invariant_INV3_zeroSum() public view {
        for (uint8 c; c < 2; ++c) {
            Totals memory t = _totals(c);
            int256 p = int256(FundingMath.fundingPrecision(10 ** registry.collateral(c).decimals));
            int256 d = t.balances + int256(ch.insuranceFund(c)) - t.basis - handler.netDeposits(c);
            assertLe(d * p, t.pendingScaled, "INV-3: dust only in the protocol's favour");
            int256 slack = 6 * p * int256(handler.fillsSettledIn(c));
            assertGe(d * p, t.pendingScaled - slack, "INV-3: dust bounded by a few units per fill");
            if (t.flat) {
                assertLe(t.balances + int256(ch.insuranceFund(c)), handler.netDeposits(c), "INV-3: flat books");
            }
        }
    }

    // ================================================================ INV-7

    /// @notice INV-7 Once only: batch indices advance by one per settled batch and a used index is
    /// refused; each order's filled size equals the sum of its settled fills, never exceeds its size,
    /// and a filled, cancelled or replayed order never fills again.
    /// @dev The contract stores a partially filled order's size in `filledAmount` and, once it is
    /// complete, deletes it and sets the order's nonce bit instead; so the monotone quantity is
    /// "isNonceUsed ? size : filledAmount", which the model comparison below pins down.
    function invariant_INV7_onceOnly() public view {
        assertEq(handler.violationCount(handler.V_INV7()), 0, handler.violationReason(handler.V_INV7()));
        assertEq(ch.nextBatchIndex(keeper), handler.batchesSettled(), "INV-7: nextBatchIndex == batches settled");
        uint256 subs = handler.subCount();
        for (uint256 i; i < subs; ++i) {
            SubaccountId id = handler.subAt(i);
            (,, uint64 floor) = ch.account(id);
            assertEq(uint256(floor), uint256(handler.modelFloor(id)), "INV-7: nonce floors only rise: as raised, or past an order filled whole at the floor");
        }
        uint256 n = handler.orderCount();
        for (uint256 i; i < n; ++i) {
            LucentHandler.OrderRec memory r = handler.orderAt(i);
            assertLe(uint256(r.filled), uint256(r.o.size), "INV-7: filled <= size");
            uint256 onChain = ch.filledAmount(r.o.trader, r.hash);
            if (r.cancelledByHash) assertEq(onChain, type(uint256).max, "INV-7: cancelled by hash");
            else if (r.filled == r.o.size) assertEq(onChain, 0, "INV-7: complete: slot freed");
            else assertEq(onChain, uint256(r.filled), "INV-7: filledAmount == sum of settled fills");
            assertEq(
                ch.isNonceUsed(r.sub, r.o.nonce), handler.modelNonceUsed(r.sub, r.o.nonce), "INV-7: nonce used"
            );
        }
    }

    // ================================================================ INV-8

    /// @notice INV-8 Consent: every position is exactly what the fills the handler submitted, both
    /// traders signed, within their limits, and that the model accepted, add up to. The handler also
    /// records every fill the contract settled although it had to be skipped (bad signature, expired,
    /// cancelled, over-filled, wrong keeper, limit, self-trade, flags, reduce-only), every skip for an
    /// unexpected reason, and every settled fill whose event disagrees with the orders (size, price =
    /// maker's limit, sides, fees).
    function invariant_INV8_consent() public view {
        assertEq(handler.violationCount(handler.V_INV8()), 0, handler.violationReason(handler.V_INV8()));
        uint256 n = handler.subCount();
        for (uint256 i; i < n; ++i) {
            SubaccountId id = handler.subAt(i);
            for (uint8 m; m < N_MARKETS; ++m) {
                (int256 size,,) = ch.position(id, m);
                assertEq(size, handler.modelSize(id, m), "INV-8: position == consented fills");
            }
        }
    }

    // ================================================================ INV-9

    /// @notice INV-9 Exit: without any keeper (the keeper has left and the index is a day stale),
    /// every owner can withdraw exactly its reported withdrawable amount, cancel orders and raise its
    /// nonce floor. Checked on a snapshot; the state is restored afterwards.
    function invariant_INV9_exit() public {
        assertEq(handler.violationCount(handler.V_INV9()), 0, handler.violationReason(handler.V_INV9()));
        uint256 outer = vm.snapshotState();
        KeeperRegistry registry = KeeperRegistry(address(ch.keeperRegistry()));
        vm.prank(keeper);
        registry.requestExit();
        assertFalse(registry.isActiveKeeper(keeper), "keeper gone");
        vm.warp(block.timestamp + 1 days);
        uint256 n = handler.subCount();
        for (uint256 i; i < n; ++i) {
            SubaccountId id = handler.subAt(i);
            _exitOne(id);
        }
        vm.revertToStateAndDelete(outer);
    }

    function _exitOne(SubaccountId id) internal {
        address owner = id.owner();
        uint8 c = id.collateral();
        uint8 s = id.index();
        (,,, uint256 free) = ch.accountHealth(id);
        if (free != 0) {
            MockERC20 token = c == 0 ? usd : xbt;
            uint256 before = token.balanceOf(owner);
            uint256 snap = vm.snapshotState();
            vm.prank(owner);
            ch.withdraw(c, s, free, owner);
            assertEq(token.balanceOf(owner), before + free, "INV-9: withdrew the reported amount");
            (,,, uint256 left) = ch.accountHealth(id);
            assertEq(left, 0, "INV-9: nothing left to withdraw");
            vm.revertToStateAndDelete(snap);
        }
        // Cancels an order of the subaccount (any order: it needs no keeper and no prior fill).
        Order[] memory orders = new Order[](1);
        orders[0] = Order({
            trader: owner,
            subaccount: s,
            market: c == 0 ? 0 : 1,
            isBuy: true,
            size: 1,
            limitPrice: 1e18,
            flags: 0,
            nonce: uint64(uint256(keccak256(abi.encode(id))) >> 200),
            expiry: type(uint40).max,
            keeper: address(0)
        });
        vm.prank(owner);
        ch.cancelOrders(orders);
        (,, uint64 floor) = ch.account(id);
        vm.prank(owner);
        ch.raiseNonceFloor(c, s, floor + 1);
    }

    // ================================================================ helpers

    function _totals(uint8 c) internal view returns (Totals memory t) {
        int256[N_MARKETS] memory cum;
        for (uint8 m; m < N_MARKETS; ++m) {
            (,,,, cum[m],) = ch.marketState(m);
        }
        t.flat = true;
        uint256 n = handler.subCount();
        for (uint256 i; i < n; ++i) {
            SubaccountId id = handler.subAt(i);
            if (id.collateral() != c) continue;
            (int256 balance,,) = ch.account(id);
            t.balances += balance;
            (int256 equity,,, uint256 free) = ch.accountHealth(id);
            t.equity += equity;
            t.withdrawable += free;
            if (equity < 0) t.badDebt += uint256(-equity);
            for (uint8 m; m < N_MARKETS; ++m) {
                if (handler.collateralOf(m) != c) continue;
                (int256 size, int256 basis, int256 snapshot) = ch.position(id, m);
                t.basis += basis;
                t.pendingScaled += size * (cum[m] - snapshot);
                if (size != 0) t.flat = false;
            }
        }
    }
}
