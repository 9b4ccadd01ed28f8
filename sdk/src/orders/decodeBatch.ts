import { bytesToHex, getAddress, hexToBytes, isHex, zeroAddress, type Hex } from "viem";
import { LucentError } from "../errors.js";
import { BatchLayout } from "./batchLayout.js";
import type { Order } from "./types.js";

export type DecodedSignedOrder = {
  order: Order;
  /** The signature bytes as they sit in calldata (64-byte EIP-2098 form when compact). */
  signature: Hex;
  extendedSignature: boolean;
  /** Byte offset of the order within the batch. */
  offset: number;
  /** Byte offset of the signature bytes (after the length prefix when extended). */
  signatureOffset: number;
};

export type DecodedFill = {
  size: bigint;
  maker: DecodedSignedOrder;
  taker: DecodedSignedOrder;
  /** Byte offset of the fill within the batch. */
  offset: number;
};

export type DecodeBatchParameters = {
  /** The `fills` argument of `settleBatch`. */
  data: Hex;
};

export type DecodeBatchReturnType = DecodedFill[];

export type DecodeBatchErrorType = BatchTruncatedError;

/** The batch ends inside a fill: `OrderCodecTruncated(offset, length)` on-chain. */
export class BatchTruncatedError extends LucentError {
  override name = "BatchTruncatedError";
  constructor({ offset, length }: { offset: number; length: number }) {
    super("Batch data is truncated.", { details: { offset, length } });
  }
}

/** Decodes a batch exactly as `OrderCodec` does (the inverse of `encodeBatch`). */
export function decodeBatch({ data }: DecodeBatchParameters): DecodeBatchReturnType {
  if (!isHex(data, { strict: true })) throw new BatchTruncatedError({ offset: 0, length: 0 });
  const bytes = hexToBytes(data);
  const fills: DecodedFill[] = [];
  let cursor = 0;
  while (cursor < bytes.length) {
    const offset = cursor;
    if (cursor + BatchLayout.FILL_SIZE_BYTES > bytes.length) {
      throw new BatchTruncatedError({ offset: cursor, length: bytes.length });
    }
    const size = readUint(bytes, cursor, BatchLayout.FILL_SIZE_BYTES);
    cursor += BatchLayout.FILL_SIZE_BYTES;
    const maker = decodeSignedOrder(bytes, cursor);
    cursor = maker.next;
    const taker = decodeSignedOrder(bytes, cursor);
    cursor = taker.next;
    fills.push({ size, maker: maker.decoded, taker: taker.decoded, offset });
  }
  return fills;
}

function decodeSignedOrder(bytes: Uint8Array, cursor: number): { decoded: DecodedSignedOrder; next: number } {
  const o = BatchLayout.offsets;
  if (cursor + BatchLayout.ORDER_FIXED_BYTES_NO_KEEPER > bytes.length) {
    throw new BatchTruncatedError({ offset: cursor, length: bytes.length });
  }
  const encoding = bytes[cursor + o.encoding] ?? 0;
  const anyKeeper = (encoding & BatchLayout.ENCODING_NO_KEEPER) !== 0;
  const sigStart = cursor + (anyKeeper ? BatchLayout.ORDER_FIXED_BYTES_NO_KEEPER : BatchLayout.ORDER_FIXED_BYTES);
  if (sigStart > bytes.length) throw new BatchTruncatedError({ offset: cursor, length: bytes.length });
  const order: Order = {
    trader: getAddress(bytesToHex(bytes.subarray(cursor + o.trader, cursor + o.trader + 20))),
    subaccount: bytes[cursor + o.subaccount] ?? 0,
    market: bytes[cursor + o.market] ?? 0,
    isBuy: (encoding & BatchLayout.ENCODING_BUY) !== 0,
    size: readUint(bytes, cursor + o.size, 8),
    limitPrice: readUint(bytes, cursor + o.limitPrice, 16),
    flags: bytes[cursor + o.flags] ?? 0,
    nonce: readUint(bytes, cursor + o.nonce, 8),
    expiry: Number(readUint(bytes, cursor + o.expiry, 5)),
    keeper: anyKeeper ? zeroAddress : getAddress(bytesToHex(bytes.subarray(cursor + o.keeper, cursor + o.keeper + 20))),
  };
  const extendedSignature = (encoding & BatchLayout.ENCODING_EXTENDED_SIGNATURE) !== 0;
  let signatureOffset = sigStart;
  let length: number = BatchLayout.COMPACT_SIGNATURE_BYTES;
  if (extendedSignature) {
    if (sigStart + BatchLayout.EXTENDED_LENGTH_BYTES > bytes.length) {
      throw new BatchTruncatedError({ offset: sigStart, length: bytes.length });
    }
    length = Number(readUint(bytes, sigStart, BatchLayout.EXTENDED_LENGTH_BYTES));
    signatureOffset += BatchLayout.EXTENDED_LENGTH_BYTES;
  }
  const next = signatureOffset + length;
  if (next > bytes.length) throw new BatchTruncatedError({ offset: sigStart, length: bytes.length });
  const signature = bytesToHex(bytes.subarray(signatureOffset, next));
  return { decoded: { order, signature, extendedSignature, offset: cursor, signatureOffset }, next };
}

function readUint(bytes: Uint8Array, offset: number, length: number): bigint {
  let v = 0n;
  for (let i = 0; i < length; ++i) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  return v;
}
