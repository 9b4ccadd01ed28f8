import { concatHex, isHex, numberToHex, size, sliceHex, hexToBigInt, type Hex } from "viem";
import { LucentError } from "../errors.js";

/** secp256k1 group order and half of it: signatures with s above the half are malleable twins. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

export type ToCompactSignatureErrorType = InvalidSignatureError;

/** A signature is not a valid 65-byte (r, s, v) ECDSA signature. */
export class InvalidSignatureError extends LucentError {
  override name = "InvalidSignatureError";
  constructor({ signature, reason }: { signature: string; reason: string }) {
    super(`Invalid ECDSA signature: ${reason}.`, { details: { signature, reason } });
  }
}

/**
 * The EIP-2098 form (`r ‖ yParity·2²⁵⁵ + s`, 64 bytes) of a 65-byte ECDSA signature, or `undefined`
 * when `signature` is not one (wrong length, `v` not in {0, 1, 27, 28}, `r` or `s` out of range).
 * A high-s signature is replaced by its low-s twin, which recovers the same signer and is the
 * only form the clearinghouse's compact path accepts.
 */
export function tryToCompactSignature(signature: Hex): Hex | undefined {
  if (!isHex(signature, { strict: true }) || size(signature) !== 65) return undefined;
  const r = hexToBigInt(sliceHex(signature, 0, 32));
  let s = hexToBigInt(sliceHex(signature, 32, 64));
  const v = Number(hexToBigInt(sliceHex(signature, 64, 65)));
  let yParity: bigint;
  if (v === 27 || v === 28) yParity = BigInt(v - 27);
  else if (v === 0 || v === 1) yParity = BigInt(v);
  else return undefined;
  if (r === 0n || r >= SECP256K1_N || s === 0n || s >= SECP256K1_N) return undefined;
  if (s > SECP256K1_HALF_N) {
    s = SECP256K1_N - s;
    yParity ^= 1n;
  }
  return concatHex([numberToHex(r, { size: 32 }), numberToHex((yParity << 255n) | s, { size: 32 })]);
}

/** Like {@link tryToCompactSignature}, but throws {@link InvalidSignatureError} instead of `undefined`. */
export function toCompactSignature(signature: Hex): Hex {
  const compact = tryToCompactSignature(signature);
  if (compact === undefined) {
    throw new InvalidSignatureError({ signature, reason: "not a 65-byte (r, s, v) secp256k1 signature" });
  }
  return compact;
}
