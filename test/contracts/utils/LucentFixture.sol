// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {Test} from "./Test.sol";
import {Clearinghouse} from "../../../contracts/core/Clearinghouse.sol";
import {LiquidationModule} from "../../../contracts/core/LiquidationModule.sol";
import {InsuranceVault} from "../../../contracts/core/InsuranceVault.sol";
import {ILiquidation} from "../../../contracts/interfaces/ILiquidation.sol";
import {IClearinghouse} from "../../../contracts/interfaces/IClearinghouse.sol";
import {LiquidationParameters} from "../../../contracts/types/Risk.sol";
import {MarketRegistry} from "../../../contracts/core/MarketRegistry.sol";
import {KeeperRegistry} from "../../../contracts/core/KeeperRegistry.sol";
import {MedianOracle} from "../../../contracts/oracles/MedianOracle.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {MarketConfig, MarketKind, AdlPolicy} from "../../../contracts/types/Market.sol";
import {Order, OrderFlags} from "../../../contracts/types/Order.sol";
import {SubaccountId, SubaccountIdLib} from "../../../contracts/types/Ids.sol";

/// @dev The devnet deployment in Solidity: three markets, a keeper, funded traders, and helpers to
/// sign and encode orders exactly as the SDK does (OrderCodec layout).
abstract contract LucentFixture is Test {
    uint8 internal constant USD = 0; // 6-decimal USD token
    uint8 internal constant XBT = 1; // 8-decimal XBT token
    uint8 internal constant BTCUSD = 0; // linear, M = 0.001 BTC, USD
    uint8 internal constant XBTUSD = 1; // inverse, M = 1 USD, XBT
    uint8 internal constant ETHUSD = 2; // quanto, M = 0.000001 XBT per USD, XBT

    uint256 internal constant BTC_PRICE = 100_000e18;
    uint256 internal constant ETH_PRICE = 4_000e18;
    uint64 internal constant FAR_EXPIRY = type(uint40).max;

    AccessManager internal manager;
    MarketRegistry internal registry;
    KeeperRegistry internal keepers;
    Clearinghouse internal clearinghouse;
    /// @dev The clearinghouse's liquidation entry points (its fallback runs the module).
    ILiquidation internal liquidation;
    InsuranceVault internal usdVault;
    InsuranceVault internal xbtVault;
    MockERC20 internal usd;
    MockERC20 internal xbt;
    MedianOracle internal btcOracle;
    MedianOracle internal ethOracle;
    address[3] internal reporters;

    address internal keeper;
    uint256 internal constant ALICE_PK = 0xA11CE;
    uint256 internal constant BOB_PK = 0xB0B;
    uint256 internal constant CAROL_PK = 0xCA801;
    address internal alice;
    address internal bob;
    address internal carol;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        keeper = vm.addr(0xC0FFEE);
        alice = vm.addr(ALICE_PK);
        bob = vm.addr(BOB_PK);
        carol = vm.addr(CAROL_PK);

        manager = new AccessManager(address(this));
        registry = new MarketRegistry(address(manager));
        keepers = new KeeperRegistry(address(manager), 1 ether, 1 days);
        clearinghouse = _newClearinghouse();
        liquidation = ILiquidation(address(clearinghouse));
        usd = new MockERC20("Lucent USD", "USD", 6);
        xbt = new MockERC20("Lucent XBT", "XBT", 8);
        registry.listCollateral(address(usd));
        registry.listCollateral(address(xbt));
        usdVault = new InsuranceVault(usd, IClearinghouse(address(clearinghouse)), USD, 1 days, "Lucent Insurance USD", "liUSD");
        xbtVault = new InsuranceVault(xbt, IClearinghouse(address(clearinghouse)), XBT, 1 days, "Lucent Insurance XBT", "liXBT");
        registry.setInsuranceVault(USD, address(usdVault));
        registry.setInsuranceVault(XBT, address(xbtVault));

        btcOracle = _medianOracle("BTC/USD");
        ethOracle = _medianOracle("ETH/USD");
        _report(btcOracle, BTC_PRICE);
        _report(ethOracle, ETH_PRICE);

        registry.listMarket("BTC-USD", _config(MarketKind.Linear, USD, 0.001e18, 0.5e18, address(btcOracle)));
        registry.listMarket("XBTUSD", _config(MarketKind.Inverse, XBT, 1e18, 0.5e18, address(btcOracle)));
        registry.listMarket("ETHUSD", _config(MarketKind.Quanto, XBT, 0.000001e18, 0.05e18, address(ethOracle)));

        vm.deal(keeper, 10 ether);
        vm.prank(keeper);
        keepers.register{value: 1 ether}();

        _fund(alice, 1_000_000e6, 100e8);
        _fund(bob, 1_000_000e6, 100e8);
        _fund(carol, 1_000_000e6, 100e8);
    }

    /// @dev The devnet's liquidation parameters (ignition/modules/Lucent.ts `LIQUIDATION_PARAMETERS`).
    function _liquidationParameters() internal pure returns (LiquidationParameters memory) {
        return LiquidationParameters({
            feeRate: 0.01e18, // 1% of the closed notional, capped by remaining equity
            liquidatorShare: 0.5e18,
            fullLiquidationRatio: 0.5e18, // equity below half of MM: close everything
            bandRate: 0.02e18,
            gracePeriod: 60
        });
    }

    function _newClearinghouse() internal returns (Clearinghouse) {
        LiquidationModule module = new LiquidationModule(registry, keepers, _liquidationParameters());
        return new Clearinghouse(registry, keepers, address(module));
    }

    function _config(MarketKind kind, uint8 collateral, uint128 multiplier, uint128 tick, address oracle)
        internal
        pure
        returns (MarketConfig memory c)
    {
        c.kind = kind;
        c.adlPolicy = AdlPolicy.Ranked;
        c.collateral = collateral;
        c.active = true;
        c.fundingInterval = 8 hours;
        c.premiumEmaPeriod = 10 minutes;
        c.maxIndexAge = 2 minutes;
        c.multiplier = multiplier;
        c.tickSize = tick;
        c.lotSize = 1;
        c.maxOpenInterest = 1e15;
        c.imRate = 0.1e18;
        c.mmRate = 0.05e18;
        c.makerFeeRate = 0.0002e18;
        c.takerFeeRate = 0.0005e18;
        c.keeperFeeShare = 0.2e18;
        c.fundingCapRate = 0.0005e18;
        c.interestRate = 0.0001e18;
        c.markBandRate = 0.01e18;
        c.oracle = oracle;
    }

    function _medianOracle(string memory description) internal returns (MedianOracle o) {
        o = new MedianOracle(address(manager), description, 2, 5 minutes);
        for (uint256 i; i < 3; ++i) {
            reporters[i] = vm.addr(0x5000 + i);
            o.addReporter(reporters[i]);
        }
    }

    /// @dev All three reporters report `price`, so the median is `price` and fresh now.
    function _report(MedianOracle o, uint256 price) internal {
        for (uint256 i; i < 3; ++i) {
            vm.prank(reporters[i]);
            o.report(price);
        }
    }

    function _fund(address who, uint256 usdAmount, uint256 xbtAmount) internal {
        usd.mint(who, usdAmount);
        xbt.mint(who, xbtAmount);
        vm.startPrank(who);
        usd.approve(address(clearinghouse), type(uint256).max);
        xbt.approve(address(clearinghouse), type(uint256).max);
        if (usdAmount != 0) clearinghouse.deposit(USD, 0, usdAmount);
        if (xbtAmount != 0) clearinghouse.deposit(XBT, 0, xbtAmount);
        vm.stopPrank();
    }

    function _sub(address who, uint8 collateral) internal pure returns (SubaccountId) {
        return SubaccountIdLib.from(who, collateral, 0);
    }

    function _order(address trader, uint8 market, bool isBuy, uint64 size, uint128 price, uint64 nonce)
        internal
        pure
        returns (Order memory o)
    {
        o.trader = trader;
        o.subaccount = 0;
        o.market = market;
        o.isBuy = isBuy;
        o.size = size;
        o.limitPrice = price;
        o.flags = 0;
        o.nonce = nonce;
        o.expiry = uint40(FAR_EXPIRY);
        o.keeper = address(0);
    }

    /// @dev EIP-2098 compact signature by `pk` over the order's EIP-712 digest.
    function _signCompact(Order memory o, uint256 pk) internal view returns (bytes32 r, bytes32 vs) {
        (uint8 v, bytes32 r_, bytes32 s) = vm.sign(pk, clearinghouse.hashOrder(o));
        r = r_;
        vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
    }

    function _encodeOrderFields(Order memory o, uint8 encoding) internal pure returns (bytes memory) {
        return abi.encodePacked(
            o.trader,
            o.subaccount,
            o.market,
            o.flags,
            encoding | (o.isBuy ? 1 : 0),
            o.size,
            o.limitPrice,
            o.nonce,
            o.expiry,
            o.keeper
        );
    }

    function _encodeOrder(Order memory o, uint256 pk) internal view returns (bytes memory) {
        (bytes32 r, bytes32 vs) = _signCompact(o, pk);
        return abi.encodePacked(_encodeOrderFields(o, 0), r, vs);
    }

    /// @dev An order carrying an arbitrary-length signature (EIP-1271 wallets, 65-byte ECDSA).
    function _encodeOrderExtended(Order memory o, bytes memory signature) internal pure returns (bytes memory) {
        return abi.encodePacked(_encodeOrderFields(o, 2), uint16(signature.length), signature);
    }

    function _fill(uint64 size, Order memory maker, uint256 makerPk, Order memory taker, uint256 takerPk)
        internal
        view
        returns (bytes memory)
    {
        return abi.encodePacked(size, _encodeOrder(maker, makerPk), _encodeOrder(taker, takerPk));
    }

    /// @dev Posts `fills` as the fixture keeper with its next batch index.
    function _settle(bytes memory fills) internal {
        uint64 index = clearinghouse.nextBatchIndex(keeper);
        vm.prank(keeper);
        clearinghouse.settleBatch(index, fills);
    }

    function _balance(address who, uint8 collateral) internal view returns (int256 balance) {
        (balance,,) = clearinghouse.account(_sub(who, collateral));
    }

    function _size(address who, uint8 collateral, uint8 market) internal view returns (int256 size) {
        (size,,) = clearinghouse.position(_sub(who, collateral), market);
    }
}
