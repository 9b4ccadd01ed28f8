import { concatHex, encodePacked, numberToHex, size, sliceHex, zeroAddress, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { BatchLayout } from "./batchLayout.js";
import { BatchTruncatedError, decodeBatch } from "./decodeBatch.js";
import { encodeBatch, SignatureTooLongError, type Fill } from "./encodeBatch.js";
import { InvalidSignatureError } from "./signature.js";
import { signOrder } from "./signOrder.js";
import { domain, makerAccount, makerOrder, recoverFromCompact, takerAccount, takerOrder } from "./testVectors.js";
import type { Order } from "./types.js";
import { InvalidOrderFieldError } from "./validateOrder.js";

const maker = await signOrder({ signer: makerAccount, domain, order: makerOrder });
const taker = await signOrder({ signer: takerAccount, domain, order: takerOrder });
const fill: Fill = {
  size: 10n,
  maker: { order: makerOrder, signature: maker.signature },
  taker: { order: takerOrder, signature: taker.signature },
};

/**
 * The fixed part of an order as LucentFixture._encodeOrderFields builds it (abi.encodePacked), with
 * the keeper left out (encoding bit 2) when it is zero.
 */
function packedFields(o: Order, extended: boolean): Hex {
  const anyKeeper = o.keeper === zeroAddress;
  const fields = encodePacked(
    ["address", "uint8", "uint8", "uint8", "uint8", "uint64", "uint128", "uint64", "uint40"],
    [
      o.trader,
      o.subaccount,
      o.market,
      o.flags,
      (anyKeeper ? 4 : 0) | (extended ? 2 : 0) | (o.isBuy ? 1 : 0),
      o.size,
      o.limitPrice,
      o.nonce,
      o.expiry,
    ],
  );
  return anyKeeper ? fields : concatHex([fields, o.keeper.toLowerCase() as Hex]);
}

/** The golden vector: one fill, compact signatures (maker v = 28, taker v = 27). */
const GOLDEN =
  "0x000000000000000ae05fcc23807536bee418f142d19fa0d21bb0cff700000004000000000000000a000000000000152d02c7e14af68000" +
  "000000000000000001ffffffffff7557cbdfd0c91742000a5198075817e5e62b68f67d9ff4dd669fd51f1b501ec9a67631a3a946e5701621" +
  "35e9ac75994f2d3c1a413d7d80e9a59aa4a03575ca430376aac07ad725e01357b1725b5cec61ae10473c03000401000000000000000a0000" +
  "00000000152d02c7e14af68000000102030405060708006553f10070997970c51812dc3a010c7d01b50e0d17dc79c8986192e83067e5e690" +
  "119e1b607eb7f8019f94e3b8620de6b798631e5812bbed2ff0c9a3d711f56d547a018c36b50ec635b3d778678c7281b229c11cddf1003b";

describe("encodeBatch", () => {
  it("matches the golden vector", () => {
    expect(encodeBatch({ fills: [fill] })).toBe(GOLDEN);
  });

  it("lays a compact fill out as size | maker (61 + 64, any keeper) | taker (81 + 64, its keeper)", () => {
    const data = encodeBatch({ fills: [fill] });
    expect(makerOrder.keeper).toBe(zeroAddress);
    expect(size(data)).toBe(8 + (61 + 64) + (81 + 64));
    expect(sliceHex(data, 0, 8)).toBe(numberToHex(10n, { size: 8 }));
    const makerAt = 8;
    const takerAt = 8 + 61 + 64;
    expect(sliceHex(data, makerAt, makerAt + 61)).toBe(packedFields(makerOrder, false));
    expect(sliceHex(data, makerAt + 23, makerAt + 24)).toBe("0x04"); // sell, compact, no keeper field
    expect(sliceHex(data, makerAt + 61, takerAt)).toBe(maker.compactSignature);
    expect(sliceHex(data, takerAt, takerAt + 81)).toBe(packedFields(takerOrder, false));
    expect(sliceHex(data, takerAt + 81)).toBe(taker.compactSignature);
    // Field offsets inside an order (the taker exercises every byte).
    const o = BatchLayout.offsets;
    const at = (from: number, len: number) => sliceHex(data, takerAt + from, takerAt + from + len);
    expect(at(o.trader, 20)).toBe(takerOrder.trader.toLowerCase());
    expect(at(o.subaccount, 1)).toBe("0x03");
    expect(at(o.market, 1)).toBe("0x00");
    expect(at(o.flags, 1)).toBe("0x04");
    expect(at(o.encoding, 1)).toBe("0x01"); // buy, compact
    expect(at(o.size, 8)).toBe(numberToHex(10n, { size: 8 }));
    expect(at(o.limitPrice, 16)).toBe(numberToHex(takerOrder.limitPrice, { size: 16 }));
    expect(at(o.nonce, 8)).toBe("0x0102030405060708");
    expect(at(o.expiry, 5)).toBe(numberToHex(1_700_000_000, { size: 5 }));
    expect(at(o.keeper, 20)).toBe(takerOrder.keeper.toLowerCase());
  });

  it("the compact signature in calldata recovers the trader", async () => {
    const [decoded] = decodeBatch({ data: encodeBatch({ fills: [fill] }) });
    expect(decoded).toBeDefined();
    expect(await recoverFromCompact({ hash: maker.hash, compact: decoded!.maker.signature })).toBe(makerOrder.trader);
    expect(await recoverFromCompact({ hash: taker.hash, compact: decoded!.taker.signature })).toBe(takerOrder.trader);
  });

  it("sends a 64-byte EIP-2098 signature as is", () => {
    const compactFill: Fill = { ...fill, maker: { order: makerOrder, signature: maker.compactSignature } };
    expect(encodeBatch({ fills: [compactFill] })).toBe(GOLDEN);
  });

  it("uses the extended form when asked: uint16 length then the 65 bytes verbatim", () => {
    const data = encodeBatch({
      fills: [{ ...fill, maker: { order: makerOrder, signature: maker.signature, extendedSignature: true } }],
    });
    expect(size(data)).toBe(8 + (61 + 2 + 65) + (81 + 64));
    expect(sliceHex(data, 8, 8 + 61)).toBe(packedFields(makerOrder, true));
    expect(sliceHex(data, 8 + 23, 8 + 24)).toBe("0x06"); // sell, extended, no keeper field
    expect(sliceHex(data, 8 + 61, 8 + 63)).toBe("0x0041");
    expect(sliceHex(data, 8 + 63, 8 + 63 + 65)).toBe(maker.signature);
  });

  it("sends any signature that is not ECDSA-shaped extended (EIP-1271)", () => {
    const walletSig = concatHex([maker.signature, "0xdeadbeef"]); // 69 bytes
    const data = encodeBatch({ fills: [{ ...fill, taker: { order: takerOrder, signature: walletSig } }] });
    const takerAt = 8 + 61 + 64;
    expect(sliceHex(data, takerAt + 23, takerAt + 24)).toBe("0x03"); // buy, extended
    expect(sliceHex(data, takerAt + 81, takerAt + 83)).toBe("0x0045");
    expect(sliceHex(data, takerAt + 83)).toBe(walletSig);
    const [decoded] = decodeBatch({ data });
    expect(decoded?.taker).toMatchObject({
      signature: walletSig,
      extendedSignature: true,
      signatureOffset: takerAt + 83,
    });
  });

  it("concatenates fills and round-trips through decodeBatch", () => {
    const second: Fill = {
      size: 3n,
      maker: { order: { ...takerOrder, isBuy: false }, signature: taker.signature, extendedSignature: true },
      taker: { order: { ...makerOrder, isBuy: true }, signature: `0x${"ab".repeat(200)}` },
    };
    const data = encodeBatch({ fills: [fill, second] });
    const first = 8 + (61 + 64) + (81 + 64);
    expect(size(data)).toBe(first + 8 + (81 + 2 + 65) + (61 + 2 + 200));
    const decoded = decodeBatch({ data });
    expect(decoded.map((f) => f.offset)).toEqual([0, first]);
    expect(decoded[0]).toMatchObject({
      size: 10n,
      maker: { order: makerOrder, signature: maker.compactSignature, extendedSignature: false, offset: 8 },
      taker: { order: takerOrder, signature: taker.compactSignature, extendedSignature: false, offset: 8 + 125 },
    });
    expect(decoded[1]).toMatchObject({
      size: 3n,
      maker: { order: second.maker.order, signature: taker.signature, extendedSignature: true },
      taker: { order: second.taker.order, signature: second.taker.signature, extendedSignature: true },
    });
    expect(encodeBatch({ fills: [] })).toBe("0x");
  });

  it("rejects values that do not fit the layout", () => {
    expect(() => encodeBatch({ fills: [{ ...fill, size: 1n << 64n }] })).toThrow(InvalidOrderFieldError);
    expect(() =>
      encodeBatch({ fills: [{ ...fill, maker: { ...fill.maker, order: { ...makerOrder, limitPrice: 1n << 128n } } }] }),
    ).toThrow(InvalidOrderFieldError);
    expect(() =>
      encodeBatch({ fills: [{ ...fill, maker: { order: makerOrder, signature: `0x${"00".repeat(65_536)}` } }] }),
    ).toThrow(SignatureTooLongError);
    expect(() => encodeBatch({ fills: [{ ...fill, maker: { order: makerOrder, signature: "0xzz" as Hex } }] })).toThrow(
      InvalidSignatureError,
    );
    const highS = `0x${"11".repeat(32)}${"ff".repeat(32)}` as const;
    expect(() => encodeBatch({ fills: [{ ...fill, maker: { order: makerOrder, signature: highS } }] })).toThrow(
      InvalidSignatureError,
    );
  });
});

describe("decodeBatch", () => {
  it("reports truncation where OrderCodec would revert", () => {
    const data = encodeBatch({ fills: [fill] });
    for (const cut of [4, 8 + 50, 8 + 81 + 10, size(data) - 1]) {
      expect(() => decodeBatch({ data: sliceHex(data, 0, cut) })).toThrow(BatchTruncatedError);
    }
    const extended = encodeBatch({ fills: [{ ...fill, maker: { ...fill.maker, extendedSignature: true } }] });
    expect(() => decodeBatch({ data: sliceHex(extended, 0, 8 + 82) })).toThrow(BatchTruncatedError);
  });
});
