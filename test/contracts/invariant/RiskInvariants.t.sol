// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LucentFixture} from "../utils/LucentFixture.sol";
import {RiskHandler} from "./RiskHandler.sol";
import {SubaccountId} from "../../../contracts/types/Ids.sol";

/// @dev The fuzz target, declared here so the runner fuzzes it (see LucentInvariants.t.sol).
contract RiskHandlerTarget is RiskHandler {}

/// @title RiskInvariantTest
/// @notice SPEC §10 INV-4, INV-5, INV-6 (and INV-2 with the side holder counts the ADL check relies
/// on) over fuzzed price paths, trades, insurance deposits, policy switches and liquidations, each
/// checked against RiskHandler's independent model of the waterfall and the ranking.
contract RiskInvariantTest is LucentFixture {
    RiskHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new RiskHandlerTarget();
        // The handler lists markets and changes the ADL policy: give it the admin role's powers.
        manager.grantRole(0, address(handler), 0);
        handler.init(clearinghouse, registry, usd, btcOracle, reporters, keeper, usdVault);
        targetContract(address(handler));
        targetSelector(FuzzSelector(address(handler), handler.actions()));
    }

    /// @notice INV-4 No silent bad debt: no subaccount ends a transaction with negative equity and
    /// no positions — the victim, the counterparties and the insurance vault included.
    function invariant_INV4_noSilentBadDebt() public view {
        assertEq(handler.violationCount(handler.V_INV4()), 0, handler.violationReason(handler.V_INV4()));
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            (int256 balance, uint64 openMarkets,) = clearinghouse.account(handler.trackedAt(i));
            if (openMarkets == 0) assertGe(balance, 0, "INV-4: negative balance without positions");
        }
    }

    /// @notice INV-5 No exemptions: every liquidation moved exactly the positions the model's ranking
    /// selected — the vault's and the keeper's included — and no positionless account; a keeper that
    /// drops a holder or reorders the side is refused. The model's own plan is never refused.
    function invariant_INV5_noExemptions() public view {
        assertEq(handler.violationCount(handler.V_INV5()), 0, handler.violationReason(handler.V_INV5()));
        assertEq(handler.violationCount(handler.V_MODEL()), 0, handler.violationReason(handler.V_MODEL()));
        // The side counts the check relies on equal the positions actually held.
        (uint256 longs, uint256 shorts) = liquidation.sideHolders(0);
        uint256 l;
        uint256 s;
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            (int256 size,,) = clearinghouse.position(handler.trackedAt(i), 0);
            if (size > 0) ++l;
            if (size < 0) ++s;
        }
        assertEq(longs, l, "long holders counted");
        assertEq(shorts, s, "short holders counted");
    }

    /// @notice INV-6 Minimal haircut: every ADL closed exactly the shortfall left by the book and the backstop.
    function invariant_INV6_minimalHaircut() public view {
        assertEq(handler.violationCount(handler.V_INV6()), 0, handler.violationReason(handler.V_INV6()));
    }

    /// @dev The handler's paths are reachable: a fixed sequence liquidates through the backstop and
    /// ADL under both policies, and mutated submissions are refused. (Guards against a suite that
    /// passes because nothing ever gets liquidated.)
    function test_handler_reachesBackstopAndAdlUnderBothPolicies() public {
        for (uint256 round; round < 2; ++round) {
            handler.switchPolicy(round == 1);
            for (uint256 i; i < 12; ++i) handler.trade(uint256(keccak256(abi.encode(round, i))));
            handler.fundInsurance(round == 0 ? 1_500e6 : 1e6);
            handler.movePrice(round == 0 ? 700 : (uint256(1) << 128) | 700); // −7%, then +7%
            handler.movePrice(round == 0 ? 600 : (uint256(1) << 128) | 600);
            for (uint256 i; i < 6; ++i) handler.liquidateMutated(i, i % 2 == 0);
            for (uint256 i; i < 8; ++i) handler.liquidateOne(i);
        }
        assertGt(handler.liquidations(), 0, "liquidations happened");
        assertGt(handler.deleveragings(), 0, "some reached ADL");
        assertGt(handler.mutationsRejected(), 0, "mutated sides were refused");
        invariant_INV4_noSilentBadDebt();
        invariant_INV5_noExemptions();
        invariant_INV6_minimalHaircut();
    }
}
