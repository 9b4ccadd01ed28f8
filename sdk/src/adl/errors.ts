import { LucentError } from "../errors.js";

/** An argument of an ADL computation is outside its type or range (the contract would refuse it). */
export class InvalidAdlInputError extends LucentError {
  override name = "InvalidAdlInputError";
  constructor(details: { field: string; value: unknown; index?: number; reason: string }) {
    super(`Invalid ADL input ${details.field}: ${details.reason}.`, { details });
  }
}

/** A position with size 0 was given: a subaccount without a position is never on an ADL side (SPEC §7). */
export class AdlEmptyPositionError extends LucentError {
  override name = "AdlEmptyPositionError";
  constructor(details: { index: number; subaccountId: unknown }) {
    super("A position of size 0 is not on any ADL side.", { details });
  }
}

/** The positions given as one side hold both longs and shorts. */
export class AdlMixedSidesError extends LucentError {
  override name = "AdlMixedSidesError";
  constructor(details: { index: number; subaccountId: unknown; size: bigint; side: "long" | "short" }) {
    super(`Positions of both sides given as one ADL side (first ${details.side}s, then size ${details.size}).`, {
      details,
    });
  }
}

/** The same subaccount appears twice on one side. */
export class AdlDuplicateSubaccountError extends LucentError {
  override name = "AdlDuplicateSubaccountError";
  constructor(details: { subaccountId: bigint }) {
    super("A subaccount appears twice on one ADL side.", { details });
  }
}

/** The shortfall to deleverage exceeds the total size of the opposite side. */
export class AdlShortfallExceedsSideError extends LucentError {
  override name = "AdlShortfallExceedsSideError";
  constructor(details: { shortfall: bigint; sideSize: bigint }) {
    super(`Shortfall of ${details.shortfall} contracts exceeds the side's ${details.sideSize}.`, { details });
  }
}

/** A size or the shortfall is not a whole number of lots. */
export class AdlLotMismatchError extends LucentError {
  override name = "AdlLotMismatchError";
  constructor(details: { field: string; value: bigint; lotSize: bigint; index?: number }) {
    super(`${details.field} ${details.value} is not a multiple of the lot size ${details.lotSize}.`, { details });
  }
}
