import { describe, expect, it } from "vitest";
import { MAX_INT256, MAX_UINT256, MIN_INT256, MathError } from "./checked.js";
import { MarketKind, signedValue } from "./contractMath.js";
import { MAX_PRICE, bankruptcyPrice, partialCloseSize } from "./liquidationMath.js";

const WAD = 10n ** 18n;
const USD = 10n ** 6n;
const XBT = 10n ** 8n;
const BTC_M = WAD / 1000n; // BTC-USD: 0.001 BTC per contract
const ETH_M = 10n ** 12n; // ETHUSD quanto: 0.000001 XBT per USD

function mathError(call: () => unknown): { errorName: string; args: readonly bigint[] } {
  try {
    call();
  } catch (error) {
    if (error instanceof MathError) return { errorName: error.errorName, args: error.args };
    throw error;
  }
  throw new Error("expected a MathError");
}

describe("bankruptcyPrice: linear and quanto", () => {
  it("a long's price falls by equity / exposure, a short's rises", () => {
    // 10 BTC-USD contracts at $100,000 are worth $1,000; $500 of equity is lost at $50,000.
    expect(bankruptcyPrice(MarketKind.Linear, BTC_M, USD, 10n, 100_000n * WAD, 500n * USD)).toBe(50_000n * WAD);
    expect(bankruptcyPrice(MarketKind.Linear, BTC_M, USD, -10n, 100_000n * WAD, 500n * USD)).toBe(150_000n * WAD);
  });

  it("SPEC §2 quanto vector: 10,000 ETHUSD at $500 lose 1 XBT per $100", () => {
    expect(bankruptcyPrice(MarketKind.Quanto, ETH_M, XBT, 10_000n, 500n * WAD, XBT)).toBe(400n * WAD);
    expect(bankruptcyPrice(MarketKind.Quanto, ETH_M, XBT, -10_000n, 500n * WAD, XBT)).toBe(600n * WAD);
  });

  it("closing at the price leaves the account at zero or above (rounded in its favour)", () => {
    const mark = 100_000n * WAD;
    for (const size of [3n, -3n, 7n, -7n]) {
      for (const equity of [1n, 2n, 333n, -1n, -250n]) {
        const p = bankruptcyPrice(MarketKind.Linear, BTC_M, USD, size, mark, equity);
        // equity after closing at p: equity + value(p) − value(mark), with the exit rounded down
        const after =
          equity +
          signedValue(MarketKind.Linear, BTC_M, size, p, USD, false) -
          signedValue(MarketKind.Linear, BTC_M, size, mark, USD, false);
        expect(after).toBeGreaterThanOrEqual(0n);
      }
    }
  });

  it("rounds a long's price up and a short's down", () => {
    // 30 contracts: exposure 3e22, one unit of equity moves the price by 1e36 / 3e22 = 33,333,333,333,333.3…
    const mark = 100_000n * WAD;
    expect(bankruptcyPrice(MarketKind.Linear, BTC_M, USD, 30n, mark, 1n)).toBe(mark - 33_333_333_333_333n);
    expect(bankruptcyPrice(MarketKind.Linear, BTC_M, USD, -30n, mark, 1n)).toBe(mark + 33_333_333_333_333n);
    // Negative equity: the long's price is above mark (rounded up), the short's below (rounded down).
    expect(bankruptcyPrice(MarketKind.Linear, BTC_M, USD, 30n, mark, -1n)).toBe(mark + 33_333_333_333_334n);
    expect(bankruptcyPrice(MarketKind.Linear, BTC_M, USD, -30n, mark, -1n)).toBe(mark - 33_333_333_333_334n);
  });

  it("zero equity is bankrupt at mark", () => {
    expect(bankruptcyPrice(MarketKind.Linear, BTC_M, USD, 10n, 12_345n * WAD, 0n)).toBe(12_345n * WAD);
    expect(bankruptcyPrice(MarketKind.Quanto, ETH_M, XBT, -10n, 12_345n * WAD, 0n)).toBe(12_345n * WAD);
  });

  it("clamps to 1 and MAX_PRICE", () => {
    // Equity above the long's whole value: no positive price.
    expect(bankruptcyPrice(MarketKind.Linear, BTC_M, USD, 10n, 100_000n * WAD, 1_000n * USD)).toBe(1n);
    expect(bankruptcyPrice(MarketKind.Linear, BTC_M, USD, 10n, 100_000n * WAD, 2_000n * USD)).toBe(1n);
    expect(bankruptcyPrice(MarketKind.Linear, 1n, 1n, 1n, MAX_PRICE, -1n)).toBe(MAX_PRICE);
    expect(bankruptcyPrice(MarketKind.Linear, 1n, 1n, -1n, MAX_PRICE - 5n, 1n)).toBe(MAX_PRICE);
  });
});

describe("bankruptcyPrice: inverse", () => {
  const mark = 10_000n * WAD;

  it("a long's value A/P grows by its equity: P = A·mark / (A + e·mark), rounded up", () => {
    // 10,000 XBTUSD at $10,000 are worth 1 XBT; with 0.5 XBT of equity, bankrupt where A/P = 1.5 XBT.
    expect(bankruptcyPrice(MarketKind.Inverse, WAD, XBT, 10_000n, mark, XBT / 2n)).toBe(6_666_666_666_666_666_666_667n);
    // A short with 0.5 XBT: A/P = 0.5 XBT, P = $20,000.
    expect(bankruptcyPrice(MarketKind.Inverse, WAD, XBT, -10_000n, mark, XBT / 2n)).toBe(20_000n * WAD);
  });

  it("has no bankruptcy price when the equity term reaches the exposure (MAX_PRICE)", () => {
    // Short with equity ≥ its value: the price can rise forever without bankrupting it.
    expect(bankruptcyPrice(MarketKind.Inverse, WAD, XBT, -10_000n, mark, XBT)).toBe(MAX_PRICE);
    expect(bankruptcyPrice(MarketKind.Inverse, WAD, XBT, -10_000n, mark, 2n * XBT)).toBe(MAX_PRICE);
    // Long under water by at least its value: no price brings it back to zero.
    expect(bankruptcyPrice(MarketKind.Inverse, WAD, XBT, 10_000n, mark, -XBT)).toBe(MAX_PRICE);
    expect(bankruptcyPrice(MarketKind.Inverse, WAD, XBT, 10_000n, mark, -XBT + 1n)).toBe(10n ** 12n * WAD);
  });

  it("negative equity: a long's price above mark, a short's below", () => {
    expect(bankruptcyPrice(MarketKind.Inverse, WAD, XBT, 10_000n, mark, -XBT / 2n)).toBe(20_000n * WAD);
    expect(bankruptcyPrice(MarketKind.Inverse, WAD, XBT, -10_000n, mark, -XBT / 2n)).toBe(
      6_666_666_666_666_666_666_666n,
    );
  });
});

describe("bankruptcyPrice: reverts as on chain", () => {
  it("Panic(0x11) for |MIN_INT256| and overflowing products", () => {
    expect(mathError(() => bankruptcyPrice(MarketKind.Linear, 1n, 1n, 1n, WAD, MIN_INT256))).toEqual({
      errorName: "Panic",
      args: [0x11n],
    });
    expect(mathError(() => bankruptcyPrice(MarketKind.Linear, MAX_UINT256, 2n, 1n, WAD, 1n))).toEqual({
      errorName: "Panic",
      args: [0x11n],
    });
    expect(mathError(() => bankruptcyPrice(MarketKind.Inverse, 1n, 1n, 1n, MAX_UINT256, 2n))).toEqual({
      errorName: "Panic",
      args: [0x11n],
    });
  });

  it("Panic(0x12) for a zero exposure with equity", () => {
    expect(mathError(() => bankruptcyPrice(MarketKind.Linear, 0n, 1n, 1n, WAD, 1n))).toEqual({
      errorName: "Panic",
      args: [0x12n],
    });
  });

  it("InvalidInput outside the Solidity types", () => {
    expect(mathError(() => bankruptcyPrice(3 as MarketKind, 1n, 1n, 1n, WAD, 1n)).errorName).toBe("InvalidInput");
    expect(mathError(() => bankruptcyPrice(MarketKind.Linear, -1n, 1n, 1n, WAD, 1n)).errorName).toBe("InvalidInput");
    expect(mathError(() => bankruptcyPrice(MarketKind.Linear, 1n, 1n, MAX_INT256 + 1n, WAD, 1n)).errorName).toBe(
      "InvalidInput",
    );
  });
});

describe("partialCloseSize", () => {
  const imRate = WAD / 10n;
  const feeRate = WAD / 100n;

  it("closes the least size whose released margin net of fee covers the deficit", () => {
    // $1,000 position, 10 contracts: each closed contract releases $100 × (10% − 1%) = $9 ⇒ ceil(20 / 9) = 3.
    expect(partialCloseSize(10n, 1n, 20n * USD, 1_000n * USD, imRate, feeRate)).toBe(3n);
    // Exactly divisible: $18 needs 2, one unit more needs 3.
    expect(partialCloseSize(10n, 1n, 18n * USD, 1_000n * USD, imRate, feeRate)).toBe(2n);
    expect(partialCloseSize(10n, 1n, 18n * USD + 1n, 1_000n * USD, imRate, feeRate)).toBe(3n);
  });

  it("rounds up to the lot and never beyond the position", () => {
    expect(partialCloseSize(10n, 2n, 20n * USD, 1_000n * USD, imRate, feeRate)).toBe(4n);
    expect(partialCloseSize(10n, 4n, 20n * USD, 1_000n * USD, imRate, feeRate)).toBe(4n);
    expect(partialCloseSize(10n, 1n, 100n * USD, 1_000n * USD, imRate, feeRate)).toBe(10n);
    // ceil(82 / 9) = 10 contracts, rounded up to 12 in lots of 3, capped at the 10 held.
    expect(partialCloseSize(10n, 3n, 82n * USD, 1_000n * USD, imRate, feeRate)).toBe(10n);
  });

  it("closes everything when closing cannot help", () => {
    expect(partialCloseSize(10n, 1n, 1n, 1_000n * USD, feeRate, feeRate)).toBe(10n);
    expect(partialCloseSize(10n, 1n, 1n, 1_000n * USD, feeRate, imRate)).toBe(10n);
    expect(partialCloseSize(10n, 1n, 1n, 0n, imRate, feeRate)).toBe(10n);
    expect(partialCloseSize(10n, 1n, 1n, 11n, imRate, feeRate)).toBe(10n); // relief rounds to 0
  });

  it("reverts as on chain for a zero lot", () => {
    expect(mathError(() => partialCloseSize(10n, 0n, 0n, 1_000n, imRate, feeRate))).toEqual({
      errorName: "Panic",
      args: [0x11n],
    });
    expect(mathError(() => partialCloseSize(10n, 0n, 1n, 1_000n, imRate, feeRate))).toEqual({
      errorName: "Panic",
      args: [0x12n],
    });
  });
});

describe("MAX_PRICE", () => {
  it("is type(uint128).max", () => {
    expect(MAX_PRICE).toBe(2n ** 128n - 1n);
  });
});
