// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "../utils/Test.sol";
import {LucentFixture} from "../utils/LucentFixture.sol";
import {ILiquidation} from "../../../contracts/interfaces/ILiquidation.sol";
import {Clearinghouse} from "../../../contracts/core/Clearinghouse.sol";
import {MarketRegistry} from "../../../contracts/core/MarketRegistry.sol";
import {InsuranceVault} from "../../../contracts/core/InsuranceVault.sol";
import {MedianOracle} from "../../../contracts/oracles/MedianOracle.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {Order} from "../../../contracts/types/Order.sol";
import {SubaccountId, SubaccountIdLib} from "../../../contracts/types/Ids.sol";
import {MarketConfig, AdlPolicy} from "../../../contracts/types/Market.sol";
import {ContractMath} from "../../../contracts/libraries/ContractMath.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {LiquidationMath} from "../../../contracts/libraries/LiquidationMath.sol";
import {AdlMath} from "../../../contracts/libraries/AdlMath.sol";
import {FixedPoint} from "../../../contracts/libraries/FixedPoint.sol";

/// @title RiskHandler
/// @notice Drives BTC-USD through fuzzed price paths, trades between traders of very different
/// leverage, insurance deposits, ADL policy switches and liquidations, and checks each liquidation
/// against an independent model of SPEC §6–7:
/// - the target size and bankruptcy price from the views and the pure libraries;
/// - the ADL side: every holder of the opposite side, ranked by this handler from the views;
/// - the cut: exactly the shortfall (INV-6), a prefix of the handler's ranking (RANKED) or the
///   cumulative-floor shares (PRO_RATA), nobody without a position touched (INV-5);
/// - after every action, no tracked subaccount without positions has a negative balance (INV-4).
/// A keeper's mutated submission (a holder left out, two entries swapped) must revert.
/// @dev The runner ignores reverts (failOnRevert = false): failures are recorded, the invariants assert.
contract RiskHandler is LucentFixture {
    uint256 internal constant N_TRADERS = 6;
    uint8 internal constant MARKET = 0; // BTCUSD, linear, USD
    uint256 public constant V_INV4 = 4;
    uint256 public constant V_INV5 = 5;
    uint256 public constant V_INV6 = 6;
    uint256 public constant V_MODEL = 99; // the contract disagreed with the model's target/price/order

    bool private _initialized;
    InsuranceVault internal vault;
    address[N_TRADERS] internal _traders;
    uint256[N_TRADERS] internal _pks;
    SubaccountId[] internal _tracked; // traders', the keeper's and the vault's
    uint64 internal _nonce = 1;
    uint256 public price;

    mapping(uint256 => uint256) public violationCount;
    mapping(uint256 => string) public violationReason;
    uint256 public liquidations;
    uint256 public deleveragings;
    uint256 public mutationsRejected;

    function setUp() public pure override {
        revert("RiskHandler: use init");
    }

    function init(
        Clearinghouse clearinghouse_,
        MarketRegistry registry_,
        MockERC20 usd_,
        MedianOracle btcOracle_,
        address[3] memory reporters_,
        address keeper_,
        InsuranceVault vault_
    ) external {
        require(!_initialized, "initialized");
        _initialized = true;
        clearinghouse = clearinghouse_;
        liquidation = ILiquidation(address(clearinghouse_));
        registry = registry_;
        usd = usd_;
        btcOracle = btcOracle_;
        reporters = reporters_;
        keeper = keeper_;
        vault = vault_;
        price = BTC_PRICE;
        // Deposits from $2,000 (10x on $20k) to $200,000: leverage differs by two orders of magnitude.
        uint256[N_TRADERS] memory deposits = [uint256(2_000e6), 5_000e6, 10_000e6, 30_000e6, 60_000e6, 200_000e6];
        for (uint256 i; i < N_TRADERS; ++i) {
            _pks[i] = 0x7000 + i;
            _traders[i] = vm.addr(_pks[i]);
            usd.mint(_traders[i], deposits[i]);
            vm.startPrank(_traders[i]);
            usd.approve(address(clearinghouse), type(uint256).max);
            clearinghouse.deposit(USD, 0, deposits[i]);
            vm.stopPrank();
            _tracked.push(SubaccountIdLib.from(_traders[i], USD, 0));
        }
        _tracked.push(SubaccountIdLib.from(keeper, USD, 0));
        _tracked.push(vault.subaccount());
    }

    function actions() external pure returns (bytes4[] memory s) {
        s = new bytes4[](7);
        s[0] = this.trade.selector;
        s[1] = this.trade2.selector;
        s[2] = this.movePrice.selector;
        s[3] = this.liquidateOne.selector;
        s[4] = this.fundInsurance.selector;
        s[5] = this.switchPolicy.selector;
        s[6] = this.liquidateMutated.selector;
    }

    // ================================================================ actions

    /// @dev A fill between two traders at the index (margin may skip it; that is fine).
    function trade(uint256 seed) public {
        uint256 a = seed % N_TRADERS;
        uint256 b = (a + 1 + (seed >> 8) % (N_TRADERS - 1)) % N_TRADERS;
        bool makerBuys = (seed >> 16) & 1 == 1;
        uint64 size = uint64(bound(seed >> 24, 1, 300));
        uint128 p = uint128(price - price % 0.5e18);
        Order memory maker = _order(_traders[a], MARKET, makerBuys, size, p, _nonce++);
        Order memory taker = _order(_traders[b], MARKET, !makerBuys, size, p, _nonce++);
        bytes memory fill = abi.encodePacked(size, _encodeOrder(maker, _pks[a]), _encodeOrder(taker, _pks[b]));
        _settle(fill);
        _checkInv4();
    }

    function trade2(uint256 seed) external {
        trade(uint256(keccak256(abi.encode(seed))));
    }

    /// @dev A price path: up to ±8% a step, within $40k–$250k; the index stays fresh.
    function movePrice(uint256 seed) external {
        uint256 bps = bound(seed, 0, 800);
        uint256 move = price * bps / 10_000;
        price = (seed >> 128) & 1 == 1 ? price + move : price - move;
        if (price < 40_000e18) price = 40_000e18;
        if (price > 250_000e18) price = 250_000e18;
        _report(btcOracle, price);
        _checkInv4();
    }

    function fundInsurance(uint256 amountSeed) external {
        uint256 amount = bound(amountSeed, 1e6, 50_000e6);
        usd.mint(address(this), amount);
        usd.approve(address(vault), amount);
        try vault.deposit(amount, address(this)) {} catch {}
        _checkInv4();
    }

    function switchPolicy(bool proRata) external {
        MarketConfig memory cfg = _cfg();
        cfg.adlPolicy = proRata ? AdlPolicy.ProRata : AdlPolicy.Ranked;
        registry.setMarketParameters(MARKET, cfg);
    }

    /// @dev Liquidates the first liquidatable tracked subaccount with the model's plan.
    function liquidateOne(uint256 seed) external {
        (bool found, SubaccountId victim) = _findLiquidatable(seed);
        if (!found) return;
        (SubaccountId[] memory side, uint64[] memory sizes, uint256[] memory shares, uint256 target, uint256 backstop) =
            _plan(victim);
        _execute(victim, side, sizes, shares, target, backstop);
        _checkInv4();
    }

    /// @dev A keeper that leaves a holder out or swaps two entries must be refused.
    function liquidateMutated(uint256 seed, bool drop) external {
        (bool found, SubaccountId victim) = _findLiquidatable(seed);
        if (!found) return;
        (SubaccountId[] memory side, uint64[] memory sizes,,,) = _plan(victim);
        if (sizes.length == 0 || side.length < 2) return; // no ADL: nothing to mutate
        SubaccountId[] memory bad;
        if (drop) {
            bad = new SubaccountId[](side.length - 1);
            uint256 skip = seed % side.length;
            for (uint256 i; i < bad.length; ++i) bad[i] = side[i < skip ? i : i + 1];
        } else {
            bad = side;
            uint256 i = seed % (side.length - 1);
            (bad[i], bad[i + 1]) = (bad[i + 1], bad[i]);
        }
        vm.prank(keeper);
        try liquidation.liquidate(victim, MARKET, "", bad, sizes) {
            _violate(V_INV5, "a mutated ADL side was accepted");
        } catch {
            ++mutationsRejected;
        }
    }

    // ================================================================ the model

    function _findLiquidatable(uint256 seed) internal view returns (bool, SubaccountId) {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            SubaccountId id = _tracked[(seed + k) % n];
            (int256 size,,) = clearinghouse.position(id, MARKET);
            if (size == 0) continue;
            (int256 equity,, uint256 mm,) = clearinghouse.accountHealth(id);
            if (equity < int256(mm)) return (true, id);
        }
        return (false, SubaccountId.wrap(0));
    }

    /// @dev The vault's position and equity as the ADL step will see them (after its backstop).
    struct VaultView {
        bool computed; // false when the victim is the vault itself (no backstop)
        bool onSide;
        int256 size;
        int256 basis;
        int256 equity;
    }

    /// @dev Target, backstop share, and the ADL side with its cuts, from the views alone.
    function _plan(SubaccountId victim)
        internal
        view
        returns (SubaccountId[] memory side, uint64[] memory sizes, uint256[] memory shares, uint256 target, uint256 backstop)
    {
        (int256 size,,) = clearinghouse.position(victim, MARKET);
        uint256 bankruptcy = _bankruptcyPrice(victim, size);
        // No book fills here: the whole position goes to the backstop and ADL (see `liquidate`).
        target = FixedPoint.abs(size);
        VaultView memory vv;
        if (!victim.eq(vault.subaccount())) (backstop, vv) = _vaultShare(size, target, bankruptcy);
        side = _side(size < 0, vv);
        if (_cfg().adlPolicy == AdlPolicy.Ranked) _rank(side, vv);
        (sizes, shares) = _cuts(side, target - backstop, vv);
    }

    function _bankruptcyPrice(SubaccountId victim, int256 size) internal view returns (uint256) {
        (int256 equity,,,) = clearinghouse.accountHealth(victim);
        MarketConfig memory cfg = _cfg();
        return LiquidationMath.bankruptcyPrice(cfg.kind, cfg.multiplier, 1e6, size, _mark(), equity);
    }

    /// @dev The most lots the vault can take at `bankruptcy` under its own margin (the contract's
    /// rule: IM when the trade adds risk, else MM or no worse than before), and its state after.
    function _vaultShare(int256 victimSize, uint256 target, uint256 bankruptcy)
        internal
        view
        returns (uint256 best, VaultView memory after_)
    {
        SubaccountId v = vault.subaccount();
        VaultView memory before;
        (before.size, before.basis,) = clearinghouse.position(v, MARKET);
        (before.equity,,,) = clearinghouse.accountHealth(v);
        int256 dir = victimSize > 0 ? int256(1) : -1; // the vault trades the victim's way round
        uint256 low;
        uint256 high = target + 1;
        while (high - low > 1) {
            uint256 mid = (low + high) / 2;
            (bool ok,) = _vaultAfter(before, dir * int256(mid), bankruptcy);
            if (ok) low = mid;
            else high = mid;
        }
        best = low;
        (, after_) = _vaultAfter(before, dir * int256(best), bankruptcy);
        after_.computed = true;
        // On the ADL side (opposite the victim) only if it still holds a position against the victim.
        after_.onSide = after_.size != 0 && (after_.size > 0) != (victimSize > 0);
    }

    function _vaultAfter(VaultView memory v, int256 delta, uint256 atPrice)
        internal
        view
        returns (bool fits, VaultView memory a)
    {
        MarketConfig memory cfg = _cfg();
        uint256 mark = _mark();
        int256 realized;
        (a.size, a.basis, realized) = _applied(v.size, v.basis, delta, atPrice);
        a.equity = v.equity - _unrealized(v.size, v.basis, mark) + realized + _unrealized(a.size, a.basis, mark);
        if (delta == 0) return (true, a);
        uint256 newValue = a.size == 0 ? 0 : ContractMath.notional(cfg.kind, cfg.multiplier, a.size, mark, 1e6);
        bool increases =
            a.size != 0 && (v.size == 0 || (v.size > 0) != (a.size > 0) || FixedPoint.abs(a.size) > FixedPoint.abs(v.size));
        if (increases) return (a.equity >= int256(FixedPoint.mulRateUp(newValue, cfg.imRate)), a);
        int256 mmAfter = int256(FixedPoint.mulRateUp(newValue, cfg.mmRate));
        if (a.equity >= mmAfter) return (true, a);
        uint256 oldValue = v.size == 0 ? 0 : ContractMath.notional(cfg.kind, cfg.multiplier, v.size, mark, 1e6);
        return (a.equity - mmAfter >= v.equity - int256(FixedPoint.mulRateUp(oldValue, cfg.mmRate)), a);
    }

    function _unrealized(int256 size, int256 basis, uint256 mark) internal view returns (int256) {
        if (size == 0) return 0;
        MarketConfig memory cfg = _cfg();
        return ContractMath.signedValue(cfg.kind, cfg.multiplier, size, mark, 1e6, false) - basis;
    }

    function _applied(int256 size, int256 basis, int256 delta, uint256 atPrice)
        internal
        view
        returns (int256, int256, int256)
    {
        MarketConfig memory cfg = _cfg();
        return PositionMath.applyTrade(cfg.kind, cfg.multiplier, 1e6, size, basis, delta, atPrice);
    }

    /// @dev Every tracked subaccount holding a position on the side (long if `longs`) once the
    /// backstop has run, id ascending (PRO_RATA order; RANKED re-sorts).
    function _side(bool longs, VaultView memory vv) internal view returns (SubaccountId[] memory side) {
        uint256 n;
        SubaccountId[] memory all = new SubaccountId[](_tracked.length);
        SubaccountId v = vault.subaccount();
        for (uint256 i; i < _tracked.length; ++i) {
            SubaccountId id = _tracked[i];
            (int256 size,,) = clearinghouse.position(id, MARKET);
            if (id.eq(v) && vv.computed) size = vv.size; // after its backstop
            if (size != 0 && (size > 0) == longs) all[n++] = id;
        }
        side = new SubaccountId[](n);
        for (uint256 i; i < n; ++i) side[i] = all[i];
        for (uint256 i = 1; i < n; ++i) {
            for (uint256 j = i; j > 0 && _key(side[j]) < _key(side[j - 1]); --j) {
                (side[j], side[j - 1]) = (side[j - 1], side[j]);
            }
        }
    }

    function _rank(SubaccountId[] memory side, VaultView memory vv) internal view {
        int256[] memory scores = new int256[](side.length);
        MarketConfig memory cfg = _cfg();
        for (uint256 i; i < side.length; ++i) {
            (int256 size, int256 basis,) = clearinghouse.position(side[i], MARKET);
            (int256 equity,,,) = clearinghouse.accountHealth(side[i]);
            if (side[i].eq(vault.subaccount()) && vv.computed) (size, basis, equity) = (vv.size, vv.basis, vv.equity);
            scores[i] = AdlMath.score(
                ContractMath.signedValue(cfg.kind, cfg.multiplier, size, _mark(), 1e6, false), basis, equity
            );
        }
        for (uint256 i = 1; i < side.length; ++i) {
            for (uint256 j = i; j > 0; --j) {
                if (!AdlMath.ranksBefore(scores[j], _key(side[j]), scores[j - 1], _key(side[j - 1]))) break;
                (scores[j], scores[j - 1]) = (scores[j - 1], scores[j]);
                (side[j], side[j - 1]) = (side[j - 1], side[j]);
            }
        }
    }

    /// @dev The cuts the policy makes on `side` for `shortfall` (nonzero ones, in side order).
    function _cuts(SubaccountId[] memory side, uint256 shortfall, VaultView memory vv)
        internal
        view
        returns (uint64[] memory sizes, uint256[] memory shares)
    {
        uint256[] memory all = new uint256[](side.length);
        shares = new uint256[](side.length);
        uint256 n;
        bool ranked = _cfg().adlPolicy == AdlPolicy.Ranked;
        uint256 total;
        for (uint256 i; i < side.length; ++i) total += _absAfter(side[i], vv);
        uint256 left = shortfall;
        uint256 cumulative;
        for (uint256 i; i < side.length && shortfall != 0; ++i) {
            uint256 s = _absAfter(side[i], vv);
            uint256 cut;
            if (ranked) {
                cut = s < left ? s : left;
                left -= cut;
            } else {
                cut = AdlMath.proRataShare(shortfall, cumulative, cumulative + s, total);
                cumulative += s;
            }
            shares[i] = cut;
            if (cut != 0) all[n++] = cut;
        }
        sizes = new uint64[](n);
        for (uint256 i; i < n; ++i) sizes[i] = uint64(all[i]);
    }

    function _absAfter(SubaccountId id, VaultView memory vv) internal view returns (uint256) {
        if (id.eq(vault.subaccount()) && vv.computed) return FixedPoint.abs(vv.size);
        return _abs(id);
    }

    /// @dev Runs the model's plan and checks every tracked position moved exactly as planned: the
    /// victim by the target, the vault by its backstop share, each side entry by its cut, nobody
    /// else at all (INV-5), the cuts summing to the shortfall (INV-6).
    function _execute(
        SubaccountId victim,
        SubaccountId[] memory side,
        uint64[] memory sizes,
        uint256[] memory shares,
        uint256 target,
        uint256 backstop
    ) internal {
        uint256 n = _tracked.length;
        int256[] memory before = new int256[](n);
        int256[] memory balances = new int256[](n);
        for (uint256 i; i < n; ++i) {
            (before[i],,) = clearinghouse.position(_tracked[i], MARKET);
            (balances[i],,) = clearinghouse.account(_tracked[i]);
        }
        vm.prank(keeper);
        try liquidation.liquidate(victim, MARKET, "", side, sizes) {
            ++liquidations;
            if (sizes.length != 0) ++deleveragings;
        } catch (bytes memory err) {
            _violate(V_MODEL, string(abi.encodePacked("the model's plan was refused: ", _hex(err))));
            return;
        }
        uint256 totalCut;
        for (uint256 i; i < sizes.length; ++i) totalCut += sizes[i];
        if (totalCut != target - backstop) _violate(V_INV6, "planned cuts do not sum to the shortfall");
        uint256 moved;
        for (uint256 i; i < n; ++i) {
            SubaccountId id = _tracked[i];
            (int256 size,,) = clearinghouse.position(id, MARKET);
            uint256 change = FixedPoint.abs(size - before[i]);
            uint256 expected = id.eq(victim) ? target : _plannedCut(id, side, shares);
            if (id.eq(vault.subaccount())) expected += backstop;
            if (change != expected) {
                _violate(id.eq(victim) ? V_MODEL : V_INV5, "a position moved other than planned");
            }
            if (!id.eq(victim) && !id.eq(vault.subaccount())) moved += change;
            if (before[i] == 0 && size == 0 && !id.eq(victim)) {
                (int256 balance,,) = clearinghouse.account(id);
                bool feeTaker = id.eq(SubaccountIdLib.from(keeper, USD, 0)) || id.eq(vault.subaccount());
                if (balance != balances[i] && !feeTaker) _violate(V_INV5, "a positionless account was touched");
            }
        }
        uint256 vaultCut = _plannedCut(vault.subaccount(), side, shares);
        if (moved + vaultCut != target - backstop) _violate(V_INV6, "ADL did not close exactly the shortfall");
    }

    function _plannedCut(SubaccountId id, SubaccountId[] memory side, uint256[] memory shares)
        internal
        pure
        returns (uint256)
    {
        for (uint256 i; i < side.length; ++i) {
            if (side[i].eq(id)) return shares[i];
        }
        return 0;
    }

    /// @dev INV-4: no tracked subaccount ends a transaction without positions and with a negative balance.
    function _checkInv4() internal {
        for (uint256 i; i < _tracked.length; ++i) {
            (int256 balance, uint64 openMarkets,) = clearinghouse.account(_tracked[i]);
            if (openMarkets == 0 && balance < 0) _violate(V_INV4, "negative equity left without positions");
        }
    }

    // ================================================================ helpers

    function _cfg() internal view returns (MarketConfig memory cfg) {
        (cfg,) = registry.market(MARKET);
    }

    function _mark() internal view returns (uint256 mark) {
        (,, mark,,,) = clearinghouse.marketState(MARKET);
    }

    function _abs(SubaccountId id) internal view returns (uint256) {
        (int256 size,,) = clearinghouse.position(id, MARKET);
        return FixedPoint.abs(size);
    }

    function _key(SubaccountId id) internal pure returns (uint256) {
        return uint256(SubaccountId.unwrap(id));
    }

    function _violate(uint256 category, string memory why) internal {
        if (violationCount[category]++ == 0) violationReason[category] = why;
    }

    function _hex(bytes memory err) internal pure returns (string memory) {
        bytes memory out = new bytes(2 + 2 * (err.length < 36 ? err.length : 36));
        bytes16 digits = "0123456789abcdef";
        out[0] = "0";
        out[1] = "x";
        for (uint256 i; i < (out.length - 2) / 2; ++i) {
            out[2 + 2 * i] = digits[uint8(err[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(err[i]) & 15];
        }
        return string(out);
    }

    function trackedCount() external view returns (uint256) {
        return _tracked.length;
    }

    function trackedAt(uint256 i) external view returns (SubaccountId) {
        return _tracked[i];
    }
}
