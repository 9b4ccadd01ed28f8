import { bytesToHex, hexToBigInt, hexToBytes, isHex, size as hexSize, type Hex } from "viem";
import { LucentError } from "../errors.js";
import { BatchLayout } from "./batchLayout.js";
import {
  InvalidSignatureError,
  SECP256K1_HALF_N,
  tryToCompactSignature,
  type ToCompactSignatureErrorType,
} from "./signature.js";
import type { Order } from "./types.js";
import { assertUint, validateOrder, type ValidateOrderErrorType } from "./validateOrder.js";

/** An order with its trader's signature. */
export type SignedOrder = {
  order: Order;
  /**
   * A 65-byte ECDSA signature (sent in the 64-byte EIP-2098 form), a 64-byte EIP-2098 signature
   * (sent as is), or any other signature an EIP-1271 wallet accepts (sent extended).
   */
  signature: Hex;
  /**
   * Send the signature verbatim with a length prefix instead of compacting it. Needed for EIP-1271
   * wallets whose signatures happen to be ECDSA-shaped (e.g. the owner's 65-byte signature).
   */
  extendedSignature?: boolean;
};

/** One fill of a batch: `size` contracts at the maker's limit price. */
export type Fill = {
  size: bigint;
  maker: SignedOrder;
  taker: SignedOrder;
};

export type EncodeBatchParameters = {
  fills: readonly Fill[];
};

/** The `fills` calldata argument of `Clearinghouse.settleBatch`. */
export type EncodeBatchReturnType = Hex;

export type EncodeBatchErrorType = ValidateOrderErrorType | ToCompactSignatureErrorType | SignatureTooLongError;

/** An extended signature does not fit its uint16 length prefix. */
export class SignatureTooLongError extends LucentError {
  override name = "SignatureTooLongError";
  constructor({ length }: { length: number }) {
    super("Signature is too long for the batch encoding.", {
      details: { length, max: BatchLayout.MAX_EXTENDED_SIGNATURE_BYTES },
    });
  }
}

/** Encodes fills in the packed layout `OrderCodec` decodes (see {@link BatchLayout}). */
export function encodeBatch({ fills }: EncodeBatchParameters): EncodeBatchReturnType {
  const parts: Uint8Array[] = [];
  let length = 0;
  for (const [index, fill] of fills.entries()) {
    const sizeBytes = new Uint8Array(BatchLayout.FILL_SIZE_BYTES);
    writeUint(sizeBytes, 0, assertUint(`fills[${index}].size`, fill.size, 64), BatchLayout.FILL_SIZE_BYTES);
    const maker = encodeSignedOrder(fill.maker);
    const taker = encodeSignedOrder(fill.taker);
    parts.push(sizeBytes, maker, taker);
    length += sizeBytes.length + maker.length + taker.length;
  }
  const out = new Uint8Array(length);
  let cursor = 0;
  for (const part of parts) {
    out.set(part, cursor);
    cursor += part.length;
  }
  return bytesToHex(out);
}

/** One order and its signature, as `OrderCodec.decodeOrder` reads it. */
export function encodeSignedOrder({ order, signature, extendedSignature = false }: SignedOrder): Uint8Array {
  validateOrder(order);
  if (!isHex(signature, { strict: true })) {
    throw new InvalidSignatureError({ signature, reason: "not a hex string" });
  }
  const compact = extendedSignature ? undefined : compactFormOf(signature);
  const sigBytes = hexToBytes(compact ?? signature);
  if (compact === undefined && sigBytes.length > BatchLayout.MAX_EXTENDED_SIGNATURE_BYTES) {
    throw new SignatureTooLongError({ length: sigBytes.length });
  }
  const o = BatchLayout.offsets;
  const sigPrefix = compact === undefined ? BatchLayout.EXTENDED_LENGTH_BYTES : 0;
  // Most orders let any keeper fill them: their zero keeper is left out of the calldata.
  const anyKeeper = hexToBigInt(order.keeper) === 0n;
  const fixedBytes = anyKeeper ? BatchLayout.ORDER_FIXED_BYTES_NO_KEEPER : BatchLayout.ORDER_FIXED_BYTES;
  const out = new Uint8Array(fixedBytes + sigPrefix + sigBytes.length);
  out.set(hexToBytes(order.trader), o.trader);
  out[o.subaccount] = order.subaccount;
  out[o.market] = order.market;
  out[o.flags] = order.flags;
  out[o.encoding] =
    (order.isBuy ? BatchLayout.ENCODING_BUY : 0) |
    (compact === undefined ? BatchLayout.ENCODING_EXTENDED_SIGNATURE : 0) |
    (anyKeeper ? BatchLayout.ENCODING_NO_KEEPER : 0);
  writeUint(out, o.size, order.size, 8);
  writeUint(out, o.limitPrice, order.limitPrice, 16);
  writeUint(out, o.nonce, order.nonce, 8);
  writeUint(out, o.expiry, BigInt(order.expiry), 5);
  if (!anyKeeper) out.set(hexToBytes(order.keeper), o.keeper);
  if (compact === undefined) writeUint(out, fixedBytes, BigInt(sigBytes.length), BatchLayout.EXTENDED_LENGTH_BYTES);
  out.set(sigBytes, fixedBytes + sigPrefix);
  return out;
}

/** The compact form to send, or `undefined` if the signature must go extended. */
function compactFormOf(signature: Hex): Hex | undefined {
  const length = hexSize(signature);
  if (length === 65) return tryToCompactSignature(signature);
  if (length === BatchLayout.COMPACT_SIGNATURE_BYTES) {
    // Already EIP-2098. The contract's compact path rejects high s; say so here rather than as a skipped fill.
    const s = hexToBigInt(signature) & ((1n << 255n) - 1n);
    if (s > SECP256K1_HALF_N) {
      throw new InvalidSignatureError({ signature, reason: "compact signature with a high s value" });
    }
    return signature;
  }
  return undefined;
}

function writeUint(out: Uint8Array, offset: number, value: bigint, bytes: number): void {
  let v = value;
  for (let i = bytes - 1; i >= 0; --i) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}
