import { describe, expect, it } from "vitest";
import { MAX_INT256, MAX_UINT256, MIN_INT256, MathError } from "./checked.js";
import { abs, divUp, mulDiv, mulDivBoth, mulRateDown, mulRateUp, signedMulDiv } from "./fixedPoint.js";

const WAD = 10n ** 18n;

function errorOf(fn: () => unknown): MathError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MathError) return error;
    throw error;
  }
  throw new Error("did not throw");
}

describe("FixedPoint", () => {
  it("mulDiv rounds down or up", () => {
    expect(mulDiv(7n, 3n, 2n, false)).toBe(10n);
    expect(mulDiv(7n, 3n, 2n, true)).toBe(11n);
    expect(mulDiv(6n, 3n, 2n, true)).toBe(9n);
  });

  it("mulDiv handles 512-bit products and reverts like OpenZeppelin", () => {
    expect(mulDiv(MAX_UINT256, MAX_UINT256, MAX_UINT256, true)).toBe(MAX_UINT256);
    expect(errorOf(() => mulDiv(1n, 1n, 0n, false)).args).toEqual([0x12n]);
    expect(errorOf(() => mulDiv(MAX_UINT256, 2n, 1n, false)).args).toEqual([0x11n]);
    expect(errorOf(() => mulDiv(MAX_UINT256, 3n, 2n, true)).args).toEqual([0x11n]);
  });

  it("mulDivBoth", () => {
    expect(mulDivBoth(7n, 3n, 2n)).toEqual({ down: 10n, up: 11n });
    expect(mulDivBoth(6n, 3n, 2n)).toEqual({ down: 9n, up: 9n });
  });

  it("signedMulDiv rounds towards ±∞", () => {
    expect(signedMulDiv(7n, 1n, 2n, false, false)).toBe(3n);
    expect(signedMulDiv(7n, 1n, 2n, false, true)).toBe(4n);
    expect(signedMulDiv(7n, 1n, 2n, true, false)).toBe(-4n);
    expect(signedMulDiv(7n, 1n, 2n, true, true)).toBe(-3n);
    expect(errorOf(() => signedMulDiv(MAX_INT256 + 1n, 1n, 1n, true, false)).errorName).toBe("FixedPointOverflow");
  });

  it("rates", () => {
    expect(mulRateUp(3n, WAD / 2n)).toBe(2n);
    expect(mulRateDown(3n, WAD / 2n)).toBe(1n);
  });

  it("divUp rounds towards +∞", () => {
    expect(divUp(7n, 2n)).toBe(4n);
    expect(divUp(-7n, 2n)).toBe(-3n);
    expect(divUp(6n, 2n)).toBe(3n);
  });

  it("abs", () => {
    expect(abs(-5n)).toBe(5n);
    expect(abs(MAX_INT256)).toBe(MAX_INT256);
    expect(errorOf(() => abs(MIN_INT256)).args).toEqual([0x11n]);
  });
});
