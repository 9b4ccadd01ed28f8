/**
 * The packed batch layout of contracts/libraries/OrderCodec.sol, big-endian:
 *
 *   fill      := size:uint64 | maker:order | taker:order
 *   order     := trader:address | subaccount:uint8 | market:uint8 | flags:uint8 | encoding:uint8
 *                | size:uint64 | limitPrice:uint128 | nonce:uint64 | expiry:uint40 | [keeper:address]
 *                | signature
 *   signature := r:bytes32 | yParityAndS:bytes32          (EIP-2098; encoding bit 1 clear)
 *              | length:uint16 | bytes[length]            (encoding bit 1 set: EIP-1271 or 65-byte ECDSA)
 *   encoding bit 0 = isBuy; bit 2 = no keeper field (the order's keeper is zero: any keeper).
 */
export const BatchLayout = {
  FILL_SIZE_BYTES: 8,
  /** Bytes of an order before its signature, with and without the keeper field. */
  ORDER_FIXED_BYTES: 81,
  ORDER_FIXED_BYTES_NO_KEEPER: 61,
  COMPACT_SIGNATURE_BYTES: 64,
  EXTENDED_LENGTH_BYTES: 2,
  MAX_EXTENDED_SIGNATURE_BYTES: 0xffff,
  ENCODING_BUY: 1,
  ENCODING_EXTENDED_SIGNATURE: 2,
  ENCODING_NO_KEEPER: 4,
  /** Offsets of the fixed order fields, relative to the order's first byte. */
  offsets: {
    trader: 0,
    subaccount: 20,
    market: 21,
    flags: 22,
    encoding: 23,
    size: 24,
    limitPrice: 32,
    nonce: 48,
    expiry: 56,
    /** Absent (and the signature at 61) when the encoding says so. */
    keeper: 61,
    signature: 81,
  },
} as const;
