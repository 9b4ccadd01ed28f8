import { describe, expect, it } from "vitest";
import { InvalidSubaccountError, subaccountId } from "./subaccountId.js";

describe("subaccountId", () => {
  it("packs owner | collateral | index like SubaccountIdLib.from", () => {
    expect(subaccountId({ owner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", collateral: 1, index: 2 })).toBe(
      "0x0000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c80102",
    );
  });

  it("rejects out-of-range parts", () => {
    const owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    expect(() => subaccountId({ owner, collateral: 256, index: 0 })).toThrow(InvalidSubaccountError);
    expect(() => subaccountId({ owner, collateral: 0, index: -1 })).toThrow(InvalidSubaccountError);
    expect(() => subaccountId({ owner: "0x12", collateral: 0, index: 0 })).toThrow(InvalidSubaccountError);
  });
});
