import { getAddress, isAddress, type Address } from "viem";
import { InvalidAddressError, InvalidParameterError } from "../errors.js";

export function checkAddress(field: string, value: unknown): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false }))
    throw new InvalidAddressError({ field, value });
  return getAddress(value);
}

/** A `uint<bits>` given as a JS number (uint8 ids and indices). */
export function checkSmallUint(field: string, value: unknown, bits: 8 | 32 | 40): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new InvalidParameterError({ field, value, expected: `an integer in [0, 2^${bits})` });
  }
  return value;
}

/** A `uint<bits>` bigint; `positive` also rejects zero. */
export function checkUint(field: string, value: unknown, bits: number, positive = false): bigint {
  if (typeof value !== "bigint" || value < (positive ? 1n : 0n) || value >> BigInt(bits) !== 0n) {
    throw new InvalidParameterError({
      field,
      value,
      expected: `a bigint in [${positive ? 1 : 0}, 2^${bits})`,
    });
  }
  return value;
}
