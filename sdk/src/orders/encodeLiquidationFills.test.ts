import { bytesToHex, concatHex, numberToHex, size } from "viem";
import { describe, expect, it } from "vitest";
import { BatchLayout } from "./batchLayout.js";
import { encodeBatch, encodeSignedOrder } from "./encodeBatch.js";
import { encodeLiquidationFills } from "./encodeLiquidationFills.js";
import { signOrder } from "./signOrder.js";
import { domain, makerAccount, makerOrder, takerAccount, takerOrder } from "./testVectors.js";
import { InvalidOrderFieldError } from "./validateOrder.js";

const maker = await signOrder({ signer: makerAccount, domain, order: makerOrder });
const other = await signOrder({ signer: takerAccount, domain, order: takerOrder });

describe("encodeLiquidationFills", () => {
  it("is a batch fill without its taker: size:uint64 | maker order", () => {
    const signed = { order: makerOrder, signature: maker.signature };
    const encoded = encodeLiquidationFills({ fills: [{ size: 7n, maker: signed }] });
    expect(encoded).toBe(concatHex([numberToHex(7n, { size: 8 }), bytesToHex(encodeSignedOrder(signed))]));
    expect(size(encoded)).toBe(BatchLayout.FILL_SIZE_BYTES + BatchLayout.ORDER_FIXED_BYTES_NO_KEEPER + 64); // any keeper
    // The same bytes a batch fill starts with.
    const batch = encodeBatch({
      fills: [{ size: 7n, maker: signed, taker: { order: takerOrder, signature: other.signature } }],
    });
    expect(batch.startsWith(encoded)).toBe(true);
  });

  it("concatenates fills, compact and extended signatures alike", () => {
    const a = { order: makerOrder, signature: maker.signature };
    const b = { order: takerOrder, signature: other.signature, extendedSignature: true };
    const encoded = encodeLiquidationFills({
      fills: [
        { size: 1n, maker: a },
        { size: 2n ** 64n - 1n, maker: b },
      ],
    });
    expect(encoded).toBe(
      concatHex([
        numberToHex(1n, { size: 8 }),
        bytesToHex(encodeSignedOrder(a)),
        "0xffffffffffffffff",
        bytesToHex(encodeSignedOrder(b)),
      ]),
    );
    expect(size(encoded)).toBe(8 + 61 + 64 + (8 + 81 + 2 + 65)); // a: any keeper; b: its keeper
  });

  it("encodes no fills as empty calldata", () => {
    expect(encodeLiquidationFills({ fills: [] })).toBe("0x");
  });

  it("rejects a size outside uint64", () => {
    const signed = { order: makerOrder, signature: maker.signature };
    expect(() => encodeLiquidationFills({ fills: [{ size: 2n ** 64n, maker: signed }] })).toThrow(
      InvalidOrderFieldError,
    );
    expect(() => encodeLiquidationFills({ fills: [{ size: -1n, maker: signed }] })).toThrow(InvalidOrderFieldError);
  });
});
