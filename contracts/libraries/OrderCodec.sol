// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Order} from "../types/Order.sol";

/// @title OrderCodec
/// @notice The compact calldata encoding of a batch (SPEC §5), and the EIP-712 struct hash of an order.
/// @dev Calldata is the second-largest cost of a fill after storage, so a batch is tightly packed
/// rather than ABI-encoded (~300 bytes a fill instead of ~900). Layout, big-endian:
///
///   fill  := size:uint64 | maker:order | taker:order
///   order := trader:address | subaccount:uint8 | market:uint8 | flags:uint8 | encoding:uint8
///            | size:uint64 | limitPrice:uint128 | nonce:uint64 | expiry:uint40 | [keeper:address]
///            | signature
///   signature := r:bytes32 | yParityAndS:bytes32                   (EIP-2098, encoding bit 1 clear)
///              | length:uint16 | bytes[length]                     (encoding bit 1 set: EIP-1271
///                                                                    or 65-byte ECDSA)
///   encoding bit 0 = isBuy; bit 2 = the keeper field is left out because it is zero (any keeper),
///   which saves its 20 zero bytes (80 gas) in most orders.
///
/// `sdk/src/orders/encodeBatch.ts` is the encoder; the SDK and the keeper never build this by hand.
library OrderCodec {
    bytes32 internal constant ORDER_TYPEHASH = keccak256(
        "Order(address trader,uint8 subaccount,uint8 market,bool isBuy,uint64 size,uint128 limitPrice,uint8 flags,uint64 nonce,uint40 expiry,address keeper)"
    );

    /// @dev An order's bytes before its signature, with and without the keeper field.
    uint256 internal constant ORDER_FIXED_BYTES = 81;
    uint256 internal constant ORDER_FIXED_BYTES_NO_KEEPER = 61;
    uint256 internal constant FILL_SIZE_BYTES = 8;
    /// @dev The smallest encoded fill: size and two orders without keepers, with compact signatures.
    uint256 internal constant MIN_FILL_BYTES = FILL_SIZE_BYTES + 2 * (ORDER_FIXED_BYTES_NO_KEEPER + 64);
    uint8 internal constant ENCODING_BUY = 1;
    uint8 internal constant ENCODING_EXTENDED_SIGNATURE = 2;
    uint8 internal constant ENCODING_NO_KEEPER = 4;

    /// @dev Where an order's signature sits in calldata.
    struct Signature {
        uint256 offset; // absolute calldata offset
        uint256 length;
        bool compact;
    }

    error OrderCodecTruncated(uint256 offset, uint256 length);

    /// @notice Reads the fill size at `cursor` of `data`.
    function decodeFillSize(bytes calldata data, uint256 cursor) internal pure returns (uint64 size, uint256 next) {
        // Offsets are bounded by the calldata size: the sum cannot overflow.
        unchecked {
            next = cursor + FILL_SIZE_BYTES;
        }
        if (next > data.length) revert OrderCodecTruncated(cursor, data.length);
        assembly ("memory-safe") {
            size := shr(192, calldataload(add(data.offset, cursor)))
        }
    }

    /// @notice Decodes one order starting at `cursor` of `data` into `o` and `sig`, which the caller
    /// allocates (once per batch: returning memory structs would allocate two per order).
    function decodeOrder(bytes calldata data, uint256 cursor, Order memory o, Signature memory sig)
        internal
        pure
        returns (uint256 next)
    {
        // Offsets are bounded by the calldata size: none of these sums can overflow.
        unchecked {
            if (cursor + ORDER_FIXED_BYTES_NO_KEEPER > data.length) revert OrderCodecTruncated(cursor, data.length);
            uint256 encoding;
            uint256 p;
            assembly ("memory-safe") {
                p := add(data.offset, cursor)
                let w := calldataload(p)
                mstore(o, shr(96, w)) // trader
                mstore(add(o, 0x20), byte(20, w)) // subaccount
                mstore(add(o, 0x40), byte(21, w)) // market
                mstore(add(o, 0xc0), byte(22, w)) // flags
                encoding := byte(23, w)
                mstore(add(o, 0x60), and(encoding, 1)) // isBuy
                mstore(add(o, 0x80), and(w, 0xffffffffffffffff)) // size
                let w2 := calldataload(add(p, 32))
                mstore(add(o, 0xa0), shr(128, w2)) // limitPrice
                mstore(add(o, 0xe0), and(shr(64, w2), 0xffffffffffffffff)) // nonce
                mstore(add(o, 0x100), and(shr(24, w2), 0xffffffffff)) // expiry
            }
            uint256 fixedBytes;
            if (encoding & ENCODING_NO_KEEPER != 0) {
                fixedBytes = ORDER_FIXED_BYTES_NO_KEEPER;
                o.keeper = address(0);
            } else {
                fixedBytes = ORDER_FIXED_BYTES;
                if (cursor + fixedBytes > data.length) revert OrderCodecTruncated(cursor, data.length);
                assembly ("memory-safe") {
                    mstore(add(o, 0x120), shr(96, calldataload(add(p, 61)))) // keeper
                }
            }
            uint256 sigStart = cursor + fixedBytes;
            uint256 sigOffset = p + fixedBytes; // in calldata
            if (encoding & ENCODING_EXTENDED_SIGNATURE == 0) {
                next = sigStart + 64;
                (sig.offset, sig.length, sig.compact) = (sigOffset, 64, true);
            } else {
                if (sigStart + 2 > data.length) revert OrderCodecTruncated(sigStart, data.length);
                uint256 len;
                assembly ("memory-safe") {
                    len := shr(240, calldataload(sigOffset))
                }
                next = sigStart + 2 + len;
                (sig.offset, sig.length, sig.compact) = (sigOffset + 2, len, false);
            }
            if (next > data.length) revert OrderCodecTruncated(sigStart, data.length);
        }
    }

    /// @notice The EIP-712 digest an order's signer signs: keccak256(0x1901 ‖ domain ‖ structHash(o)),
    /// where structHash(o) = keccak256(ORDER_TYPEHASH ‖ the ten fields, one word each).
    /// @dev The one way the contracts hash an order. The settlement loop passes the domain separator
    /// it read once for the batch (EIP712's `_hashTypedDataV4` re-checks the chain id on every call).
    function typedDataHash(Order memory o, bytes32 domainSeparator) internal pure returns (bytes32 digest) {
        bytes32 typeHash = ORDER_TYPEHASH;
        assembly ("memory-safe") {
            // Both preimages are assembled above the free memory pointer (not allocated): the struct
            // hash's, then the digest's. An `Order` in memory is its ten fields, one word each.
            let buf := mload(0x40)
            mstore(buf, typeHash)
            mcopy(add(buf, 0x20), o, 0x140)
            let h := keccak256(buf, 0x160)
            mstore(buf, hex"1901")
            mstore(add(buf, 0x02), domainSeparator)
            mstore(add(buf, 0x22), h)
            digest := keccak256(buf, 0x42)
        }
    }
}
