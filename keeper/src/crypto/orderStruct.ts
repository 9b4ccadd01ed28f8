import { domainSeparator as viemDomainSeparator, keccak256 as viemKeccak256, toBytes, type Hex } from "viem";
import { CANCEL_TYPE, ORDER_TYPE, type LucentDomain, type Order } from "../../../sdk/src/index.js";

/** `OrderCodec.ORDER_TYPEHASH`. */
export const ORDER_TYPEHASH: Buffer = Buffer.from(toBytes(viemKeccak256(toBytes(ORDER_TYPE))));

/** The keeper's off-chain cancel message (the SDK's `signCancel` signs it). */
export const CANCEL_TYPEHASH: Buffer = Buffer.from(toBytes(viemKeccak256(toBytes(CANCEL_TYPE))));

/** Bytes of an order's EIP-712 struct encoding: the typehash and ten 32-byte words. */
export const ORDER_STRUCT_BYTES = 352;
/** Bytes of a cancel's struct encoding: the typehash and the order hash. */
export const CANCEL_STRUCT_BYTES = 64;

/** The EIP-712 domain separator of `domain` (computed once per server, not per order). */
export function domainSeparatorOf(domain: LucentDomain): Buffer {
  return Buffer.from(toBytes(viemDomainSeparator({ domain })));
}

/**
 * Writes `encodeData(order)` (EIP-712: typehash ‖ each field as a 32-byte word) at `offset` of `out`.
 * The caller has checked the field ranges (the intake schema does); its keccak256 is
 * `OrderCodec.structHash(order)`.
 */
export function encodeOrderStruct(order: Order, out: Buffer, offset = 0): void {
  out.fill(0, offset, offset + ORDER_STRUCT_BYTES);
  ORDER_TYPEHASH.copy(out, offset);
  out.write(order.trader.slice(2), offset + 44, 20, "hex");
  out[offset + 95] = order.subaccount;
  out[offset + 127] = order.market;
  out[offset + 159] = order.isBuy ? 1 : 0;
  out.writeBigUInt64BE(order.size, offset + 184);
  out.writeBigUInt64BE(order.limitPrice >> 64n, offset + 208);
  out.writeBigUInt64BE(order.limitPrice & 0xffffffffffffffffn, offset + 216);
  out[offset + 255] = order.flags;
  out.writeBigUInt64BE(order.nonce, offset + 280);
  out.writeUIntBE(order.expiry, offset + 315, 5);
  out.write(order.keeper.slice(2), offset + 332, 20, "hex");
}

/** Writes the struct encoding of a cancel of `orderHash` (32 bytes) at `offset` of `out`. */
export function encodeCancelStruct(orderHash: Uint8Array, out: Buffer, offset = 0): void {
  CANCEL_TYPEHASH.copy(out, offset);
  out.set(orderHash, offset + 32);
}

/** `0x`-prefixed lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}
