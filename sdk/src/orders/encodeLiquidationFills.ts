import { bytesToHex } from "viem";
import { BatchLayout } from "./batchLayout.js";
import { encodeSignedOrder, type EncodeBatchErrorType, type SignedOrder } from "./encodeBatch.js";
import { assertUint } from "./validateOrder.js";

/** One resting order a liquidation fills: `size` contracts at the maker's limit price. */
export type LiquidationFill = {
  size: bigint;
  maker: SignedOrder;
};

export type EncodeLiquidationFillsParameters = {
  fills: readonly LiquidationFill[];
};

/** The `bookFills` calldata argument of `ILiquidation.liquidate`. */
export type EncodeLiquidationFillsReturnType = `0x${string}`;

export type EncodeLiquidationFillsErrorType = EncodeBatchErrorType;

/**
 * Encodes the book fills of a liquidation (SPEC §6 step 1) as `LiquidationModule` decodes them:
 * `size:uint64 | maker order` repeated, each order in the `OrderCodec` layout of {@link BatchLayout}
 * (a batch fill without its taker: the liquidated account takes and signs nothing).
 */
export function encodeLiquidationFills({ fills }: EncodeLiquidationFillsParameters): EncodeLiquidationFillsReturnType {
  const parts: Uint8Array[] = [];
  let length = 0;
  for (const [index, fill] of fills.entries()) {
    const size = assertUint(`fills[${index}].size`, fill.size, 64);
    const sizeBytes = new Uint8Array(BatchLayout.FILL_SIZE_BYTES);
    new DataView(sizeBytes.buffer).setBigUint64(0, size);
    const maker = encodeSignedOrder(fill.maker);
    parts.push(sizeBytes, maker);
    length += sizeBytes.length + maker.length;
  }
  const out = new Uint8Array(length);
  let cursor = 0;
  for (const part of parts) {
    out.set(part, cursor);
    cursor += part.length;
  }
  return bytesToHex(out);
}
