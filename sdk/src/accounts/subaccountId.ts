import { isAddress, numberToHex, type Address, type Hex } from "viem";
import { LucentError } from "../errors.js";

export type SubaccountIdParameters = {
  owner: Address;
  /** Collateral index in the market registry (uint8). */
  collateral: number;
  /** Subaccount index (uint8). */
  index: number;
};

/** `SubaccountId` (contracts/types/Ids.sol): `owner (160 bits) | collateral (8) | index (8)` as bytes32. */
export type SubaccountIdReturnType = Hex;

export type SubaccountIdErrorType = InvalidSubaccountError;

export class InvalidSubaccountError extends LucentError {
  override name = "InvalidSubaccountError";
  constructor(details: { field: string; value: unknown }) {
    super(`Invalid subaccount ${details.field}.`, { details });
  }
}

/** The id the clearinghouse keys balances and positions by (`SubaccountIdLib.from`). */
export function subaccountId({ owner, collateral, index }: SubaccountIdParameters): SubaccountIdReturnType {
  if (!isAddress(owner, { strict: false })) throw new InvalidSubaccountError({ field: "owner", value: owner });
  for (const [field, value] of [
    ["collateral", collateral],
    ["index", index],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new InvalidSubaccountError({ field, value });
  }
  const id = (BigInt(owner) << 16n) | (BigInt(collateral) << 8n) | BigInt(index);
  return numberToHex(id, { size: 32 });
}
