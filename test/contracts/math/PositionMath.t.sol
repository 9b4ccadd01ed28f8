// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MathBase} from "./MathBase.t.sol";
import {MarketKind} from "../../../contracts/types/Market.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";

/// @dev SPEC §2–3: how fills change size and cost basis, and what they realize. The basis is kept in
/// collateral units, so PnL must be additive across fills and rounding dust must favour the protocol.
contract PositionMathTest is MathBase {
    struct Market {
        MarketKind kind;
        uint256 mult;
        uint256 unit;
    }

    function _market(uint256 k, uint256 ms, uint256 us) internal pure returns (Market memory m) {
        m = Market(_kind(k), _mult(ms), _unit(us));
    }

    function _apply(Market memory m, int256 size, int256 basis, int256 delta, uint256 price)
        internal
        view
        returns (PositionMath.Trade memory)
    {
        return h.applyTrade(m.kind, m.mult, m.unit, size, basis, delta, price);
    }

    function _sv(Market memory m, int256 size, uint256 price, bool up) internal view returns (int256) {
        return h.signedValue(m.kind, m.mult, size, price, m.unit, up);
    }

    /// @dev floor(num · mul / den) for a signed numerator.
    function _floorSigned(int256 num, uint256 mul, uint256 den) internal pure returns (int256) {
        if (num >= 0) return int256(Math.mulDiv(uint256(num), mul, den));
        return -int256(Math.mulDiv(uint256(-num), mul, den, Math.Rounding.Ceil));
    }

    /// @dev floor of the exact PnL of `d1` opened at `p1` plus `d2` opened at `p2`, all closed at `p3`:
    /// Σ dᵢ·M·(p3 − pᵢ) (linear, quanto) or Σ dᵢ·M·(1/pᵢ − 1/p3) (inverse), as one rational.
    function _exactTwoOpens(Market memory m, int256 d1, uint256 p1, int256 d2, uint256 p2, uint256 p3)
        internal
        pure
        returns (int256)
    {
        if (m.kind == MarketKind.Inverse) {
            // (d1·p2·p3 + d2·p1·p3 − (d1 + d2)·p1·p2) / (p1·p2·p3)
            int256 num = d1 * int256(p2 * p3) + d2 * int256(p1 * p3) - (d1 + d2) * int256(p1 * p2);
            return _floorSigned(num, m.mult * m.unit, p1 * p2 * p3);
        }
        int256 num2 = d1 * (int256(p3) - int256(p1)) + d2 * (int256(p3) - int256(p2));
        return _floorSigned(num2, m.mult * m.unit, WAD2);
    }

    /// @dev floor of the exact PnL of `c1` + `c2` contracts opened at `entry`, closed at `p1` and `p2`.
    function _exactSameEntry(Market memory m, int256 c1, int256 c2, uint256 entry, uint256 p1, uint256 p2)
        internal
        pure
        returns (int256)
    {
        if (m.kind == MarketKind.Inverse) {
            // (c1 + c2)/E − c1/p1 − c2/p2 = ((c1 + c2)·p1·p2 − c1·E·p2 − c2·E·p1) / (E·p1·p2)
            int256 num = (c1 + c2) * int256(p1 * p2) - c1 * int256(entry * p2) - c2 * int256(entry * p1);
            return _floorSigned(num, m.mult * m.unit, entry * p1 * p2);
        }
        int256 num2 = c1 * (int256(p1) - int256(entry)) + c2 * (int256(p2) - int256(entry));
        return _floorSigned(num2, m.mult * m.unit, WAD2);
    }

    /// @dev A price in [1e12, 1e24] (1e-6..1e6 quote units), small enough for the three-price rationals.
    function _price3(uint256 seed) internal pure returns (uint256) {
        return _logUniform(seed, 12, 24);
    }

    // ================================================================ open / close

    function testFuzz_applyTrade_openThenCloseSamePrice(uint256 k, uint256 ms, uint256 us, uint256 ss, uint256 ps)
        public
        view
    {
        Market memory m = _market(k, ms, us);
        (int256 d, uint256 p) = (_size(ss), _price(ps));
        PositionMath.Trade memory open = _apply(m, 0, 0, d, p);
        assertEq(open.size, d, "opened size");
        assertEq(open.basis, _sv(m, d, p, true), "basis = value rounded up");
        assertEq(open.realizedPnl, 0, "opening realizes nothing");
        PositionMath.Trade memory close = _apply(m, open.size, open.basis, -d, p);
        assertEq(close.size, 0, "closed");
        assertEq(close.basis, 0, "no basis left");
        assertLe(close.realizedPnl, int256(0), "round trip at one price realizes <= 0");
        assertGe(close.realizedPnl, int256(-1), "and >= -1");
    }

    /// Closing a position opened in one fill realizes exactly ContractMath.pnl.
    function testFuzz_applyTrade_closeRealizesPnl(uint256 k, uint256 ms, uint256 us, uint256 ss, uint256 e, uint256 x)
        public
        view
    {
        Market memory m = _market(k, ms, us);
        (int256 d, uint256 entry, uint256 exit) = (_size(ss), _price(e), _price(x));
        PositionMath.Trade memory open = _apply(m, 0, 0, d, entry);
        PositionMath.Trade memory close = _apply(m, open.size, open.basis, -d, exit);
        assertEq(close.realizedPnl, h.pnl(m.kind, m.mult, d, entry, exit, m.unit), "realized == pnl");
        assertEq(
            h.unrealizedPnl(m.kind, m.mult, m.unit, open.size, open.basis, exit),
            close.realizedPnl,
            "unrealized before closing == realized by closing"
        );
    }

    /// Opening in two fills then closing = the two fills' PnLs, within one unit, never above exact.
    function testFuzz_applyTrade_twoFillsAdditive(
        uint256 k,
        uint256 ms,
        uint256 us,
        uint256 ss,
        uint256 split,
        uint256 p1s,
        uint256 p2s,
        uint256 p3s
    ) public view {
        Market memory m = _market(k, ms, us);
        int256 total = _size(ss);
        vm.assume(_abs(total) >= 2);
        int256 d1 = (total > 0 ? int256(1) : int256(-1)) * int256(bound(split, 1, _abs(total) - 1));
        int256 d2 = total - d1;
        (uint256 p1, uint256 p2, uint256 p3) = (_price3(p1s), _price3(p2s), _price3(p3s));

        PositionMath.Trade memory a = _apply(m, 0, 0, d1, p1);
        PositionMath.Trade memory b = _apply(m, a.size, a.basis, d2, p2);
        assertEq(b.size, total, "size adds");
        assertEq(b.basis, _sv(m, d1, p1, true) + _sv(m, d2, p2, true), "basis adds");
        assertEq(b.realizedPnl, 0, "increasing realizes nothing");
        PositionMath.Trade memory c = _apply(m, b.size, b.basis, -total, p3);
        assertEq(c.basis, 0, "closed");

        int256 separate = h.pnl(m.kind, m.mult, d1, p1, p3, m.unit) + h.pnl(m.kind, m.mult, d2, p2, p3, m.unit);
        assertGe(c.realizedPnl, separate, "one close >= two closes");
        assertLe(c.realizedPnl - separate, int256(1), "differ by at most 1");
        int256 exact = _exactTwoOpens(m, d1, p1, d2, p2, p3);
        assertLe(c.realizedPnl, exact, "realized <= floor(exact)");
        assertGe(c.realizedPnl, exact - 2, "realized >= floor(exact) - 2");

        // Against one fill of the whole size at p1: splitting the entry never gains more than dust.
        if (p1 == p2) {
            int256 single = h.pnl(m.kind, m.mult, total, p1, p3, m.unit);
            assertLe(c.realizedPnl, single, "split entry <= single entry");
            assertLe(single - c.realizedPnl, int256(1), "within 1");
        }
    }

    /// Closing in two parts releases the basis pro rata, rounded towards +∞, and releases all of it.
    function testFuzz_applyTrade_partialCloses(
        uint256 k,
        uint256 ms,
        uint256 us,
        uint256 ss,
        uint256 split,
        uint256 es,
        uint256 p1s,
        uint256 p2s
    ) public view {
        Market memory m = _market(k, ms, us);
        int256 n = _size(ss);
        vm.assume(_abs(n) >= 2);
        int256 sign = n > 0 ? int256(1) : int256(-1);
        int256 closed1 = sign * int256(bound(split, 1, _abs(n) - 1));
        (uint256 entry, uint256 p1, uint256 p2) = (_price3(es), _price3(p1s), _price3(p2s));

        PositionMath.Trade memory open = _apply(m, 0, 0, n, entry);
        PositionMath.Trade memory r1 = _apply(m, n, open.basis, -closed1, p1);
        assertEq(r1.size, n - closed1, "remaining size");
        int256 released = open.basis - r1.basis;
        // released ≥ basis·closed/size > released − 1 (magnitudes of closed and size).
        int256 share = open.basis * int256(_abs(closed1));
        assertGe(released * int256(_abs(n)), share, "released rounded towards +inf");
        assertLt((released - 1) * int256(_abs(n)), share, "by less than 1");
        assertEq(r1.realizedPnl, _sv(m, closed1, p1, false) - released, "realized = exit value down - released");

        PositionMath.Trade memory r2 = _apply(m, r1.size, r1.basis, -r1.size, p2);
        assertEq(r2.size, 0, "flat");
        assertEq(r2.basis, 0, "all basis released");
        int256 total = r1.realizedPnl + r2.realizedPnl;
        assertEq(
            total, _sv(m, closed1, p1, false) + _sv(m, n - closed1, p2, false) - open.basis, "basis released exactly once"
        );
        // Never more than the exact PnL of the two parts, and at most 2 units less.
        int256 exact = _exactSameEntry(m, closed1, n - closed1, entry, p1, p2);
        assertLe(total, exact, "realized <= floor(exact)");
        assertGe(total, exact - 2, "realized >= floor(exact) - 2");
    }

    /// A reduction moves value from unrealized to realized without creating any (≤ 1 unit of dust).
    function testFuzz_applyTrade_reduceConservesValue(
        uint256 k,
        uint256 ms,
        uint256 us,
        uint256 ss,
        uint256 split,
        uint256 es,
        uint256 ps
    ) public view {
        Market memory m = _market(k, ms, us);
        int256 n = _size(ss);
        int256 sign = n > 0 ? int256(1) : int256(-1);
        int256 closed = sign * int256(bound(split, 1, _abs(n)));
        (uint256 entry, uint256 p) = (_price(es), _price(ps));
        PositionMath.Trade memory open = _apply(m, 0, 0, n, entry);
        int256 before = h.unrealizedPnl(m.kind, m.mult, m.unit, n, open.basis, p);
        PositionMath.Trade memory r = _apply(m, n, open.basis, -closed, p);
        int256 afterwards = r.realizedPnl + h.unrealizedPnl(m.kind, m.mult, m.unit, r.size, r.basis, p);
        assertLe(afterwards, before, "realizing never creates value");
        assertGe(afterwards, before - 1, "and loses at most 1 unit of dust");
    }

    /// A flip is exactly a full close followed by an open of the remainder at the same price.
    function testFuzz_applyTrade_flipEqualsCloseThenOpen(
        uint256 k,
        uint256 ms,
        uint256 us,
        uint256 ss,
        uint256 ds,
        uint256 es,
        uint256 ps
    ) public view {
        Market memory m = _market(k, ms, us);
        int256 size = _size(ss);
        int256 beyond = int256(_logUniform(ds, 0, MAX_SIZE_EXP)); // remainder on the other side
        int256 delta = size > 0 ? -size - beyond : -size + beyond;
        (uint256 entry, uint256 p) = (_price(es), _price(ps));
        PositionMath.Trade memory open = _apply(m, 0, 0, size, entry);

        PositionMath.Trade memory flip = _apply(m, size, open.basis, delta, p);
        PositionMath.Trade memory close = _apply(m, size, open.basis, -size, p);
        PositionMath.Trade memory reopen = _apply(m, 0, 0, size + delta, p);
        assertEq(flip.size, size + delta, "flipped size");
        assertTrue((flip.size > 0) != (size > 0), "side changed");
        assertEq(flip.realizedPnl, close.realizedPnl + reopen.realizedPnl, "realized = close");
        assertEq(flip.basis, reopen.basis, "basis = fresh open");
        assertEq(flip.realizedPnl, h.pnl(m.kind, m.mult, size, entry, p, m.unit), "realized = pnl of the old size");
    }

    function testFuzz_applyTrade_zeroDeltaIsNoop(uint256 k, uint256 ms, uint256 us, uint256 ss, uint256 es, uint256 ps)
        public
        view
    {
        Market memory m = _market(k, ms, us);
        int256 size = _size(ss);
        PositionMath.Trade memory open = _apply(m, 0, 0, size, _price(es));
        PositionMath.Trade memory t = _apply(m, size, open.basis, 0, _price(ps));
        assertEq(t.size, size, "size");
        assertEq(t.basis, open.basis, "basis");
        assertEq(t.realizedPnl, 0, "realized");
    }

    function test_applyTrade_overflowReverts() public {
        // basis + value overflows int256.
        vm.expectRevert();
        h.applyTrade(MarketKind.Linear, 1e18, 1e18, 1, type(int256).max, 1, 1e18);
        // size + delta overflows int256.
        vm.expectRevert();
        h.applyTrade(MarketKind.Linear, 1, 1, type(int256).max, 0, 1, 1);
    }

    // ================================================================ applyFill

    /// The settlement path's `applyFill` (one valuation shared by both sides) equals `applyTrade` on
    /// every branch: open, increase, reduce, close, flip, and a zero delta; its risk flag equals
    /// `increasesRisk`.
    function testFuzz_applyFill_equalsApplyTrade(
        uint256 k,
        uint256 ms,
        uint256 us,
        uint256 ss,
        uint256 ds,
        uint256 es,
        uint256 ps,
        uint8 shape
    ) public view {
        Market memory m = _market(k, ms, us);
        int256 size = shape % 5 == 0 ? int256(0) : _size(ss);
        int256 delta = _size(ds);
        if (shape % 5 == 1) delta = -size; // close exactly
        if (shape % 5 == 2 && size != 0) delta = size > 0 ? -int256(_abs(delta) % _abs(size)) : int256(_abs(delta) % _abs(size));
        int256 basis = size == 0 ? int256(0) : _apply(m, 0, 0, size, _price(es)).basis;
        uint256 p = _price(ps);
        PositionMath.Trade memory expected = _apply(m, size, basis, delta, p);
        (PositionMath.Trade memory actual, bool addsRisk) = h.applyFill(m.kind, m.mult, m.unit, size, basis, delta, p);
        assertEq(actual.size, expected.size, "size");
        assertEq(actual.basis, expected.basis, "basis");
        assertEq(actual.realizedPnl, expected.realizedPnl, "realized");
        assertEq(addsRisk, h.increasesRisk(size, expected.size), "addsRisk == increasesRisk");
    }

    /// `magnitudes` is the notional (rounded up) and, signed, every `signedValue` of that many contracts.
    function testFuzz_magnitudes_matchSignedValue(uint256 k, uint256 ms, uint256 us, uint256 ss, uint256 ps)
        public
        view
    {
        Market memory m = _market(k, ms, us);
        int256 q = _size(ss);
        uint256 p = _price(ps);
        (uint256 down, uint256 up) = h.magnitudes(m.kind, m.mult, _abs(q), p, m.unit);
        assertEq(up, h.notional(m.kind, m.mult, q, p, m.unit), "up = notional");
        assertLe(up - down, 1, "one division apart");
        bool negative = (q < 0) != (m.kind == MarketKind.Inverse);
        assertEq(_sv(m, q, p, true), negative ? -int256(down) : int256(up), "rounded up");
        assertEq(_sv(m, q, p, false), negative ? -int256(up) : int256(down), "rounded down");
    }

    // ================================================================ unrealizedPnl

    function testFuzz_unrealizedPnl(uint256 k, uint256 ms, uint256 us, uint256 ss, uint256 es, uint256 ps) public view {
        Market memory m = _market(k, ms, us);
        (int256 size, uint256 entry, uint256 p) = (_size(ss), _price(es), _price(ps));
        PositionMath.Trade memory open = _apply(m, 0, 0, size, entry);
        assertEq(
            h.unrealizedPnl(m.kind, m.mult, m.unit, size, open.basis, p),
            h.pnl(m.kind, m.mult, size, entry, p, m.unit),
            "uPnL of a one-fill position = pnl"
        );
        assertEq(h.unrealizedPnl(m.kind, m.mult, m.unit, 0, open.basis, p), 0, "flat: 0");
    }

    // ================================================================ increasesRisk

    function test_increasesRisk_truthTable() public view {
        int256[2][14] memory cases = [
            [int256(0), int256(0)],
            [int256(0), int256(5)],
            [int256(0), int256(-5)],
            [int256(5), int256(0)],
            [int256(5), int256(3)],
            [int256(5), int256(5)],
            [int256(5), int256(7)],
            [int256(5), int256(-1)],
            [int256(-5), int256(0)],
            [int256(-5), int256(-3)],
            [int256(-5), int256(-5)],
            [int256(-5), int256(-7)],
            [int256(-5), int256(2)],
            [int256(-5), int256(-5)]
        ];
        bool[14] memory expected =
            [false, true, true, false, false, false, true, true, false, false, false, true, true, false];
        for (uint256 i; i < cases.length; ++i) {
            assertEq(h.increasesRisk(cases[i][0], cases[i][1]), expected[i], string.concat("case ", _str(i)));
        }
    }

    function testFuzz_increasesRisk_definition(int256 size, int256 newSize) public view {
        size = boundInt(size, -1e18, 1e18);
        newSize = boundInt(newSize, -1e18, 1e18);
        bool grows = _abs(newSize) > _abs(size);
        bool flips = size != 0 && newSize != 0 && (size > 0) != (newSize > 0);
        bool expected = newSize != 0 && (flips || grows);
        assertEq(h.increasesRisk(size, newSize), expected, "grow or flip, never a close");
    }

    function _str(uint256 i) private pure returns (string memory) {
        return i < 10 ? string(abi.encodePacked(bytes1(uint8(48 + i)))) : string(abi.encodePacked("1", bytes1(uint8(38 + i))));
    }
}
