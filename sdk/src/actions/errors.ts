import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Address,
  type DecodeErrorResultReturnType,
  type Hash,
  type Hex,
} from "viem";
import { lucentErrorsAbi } from "../abi/errors.js";
import { clearinghouseAbi } from "../abi/clearinghouse.js";
import { marketRegistryAbi } from "../abi/marketRegistry.js";
import { LucentError } from "../errors.js";

/** Every error ABI the SDK decodes reverts with. */
export const revertAbi = [...clearinghouseAbi, ...marketRegistryAbi, ...lucentErrorsAbi] as const;

/** A custom error of the Lucent contracts (or of a collateral token), decoded. */
export type LucentRevert = DecodeErrorResultReturnType<typeof lucentErrorsAbi>;
/** The name of any custom error the deployment can revert with. */
export type LucentRevertName = LucentRevert["errorName"];

/** An argument is not a valid address. */
export class InvalidAddressError extends LucentError {
  override name = "InvalidAddressError";
  constructor({ field, value }: { field: string; value: unknown }) {
    super(`"${field}" is not a valid address.`, { details: { field, value } });
  }
}

/** A numeric argument does not fit its Solidity type or range. */
export class InvalidParameterError extends LucentError {
  override name = "InvalidParameterError";
  constructor({ field, value, expected }: { field: string; value: unknown; expected: string }) {
    super(`"${field}" must be ${expected}.`, { details: { field, value, expected } });
  }
}

/** No market with this id is listed. */
export class UnknownMarketError extends LucentError {
  override name = "UnknownMarketError";
  readonly marketId: number;
  constructor({ marketId, marketCount }: { marketId: number; marketCount: number }) {
    super(`Market ${marketId} is not listed (markets 0..${marketCount - 1}).`, { details: { marketId, marketCount } });
    this.marketId = marketId;
  }
}

/** No collateral with this index is listed. */
export class UnknownCollateralError extends LucentError {
  override name = "UnknownCollateralError";
  readonly collateral: number;
  constructor({ collateral, collateralCount }: { collateral: number; collateralCount: number }) {
    super(`Collateral ${collateral} is not listed (collaterals 0..${collateralCount - 1}).`, {
      details: { collateral, collateralCount },
    });
    this.collateral = collateral;
  }
}

/** A write action was called on a client without a wallet. */
export class WalletRequiredError extends LucentError {
  override name = "WalletRequiredError";
  constructor({ action }: { action: string }) {
    super(`${action} sends a transaction: create the client with a wallet client or an ethers signer.`, {
      details: { action },
    });
  }
}

/**
 * A contract call reverted (in simulation, before anything was sent) with a custom error of the
 * deployment. `errorName` and `args` are the decoded error.
 */
export class LucentContractError extends LucentError {
  override name: string = "LucentContractError";
  readonly errorName: string;
  readonly args: readonly unknown[];
  readonly data: Hex | undefined;
  constructor(
    {
      errorName,
      args,
      data,
      functionName,
    }: { errorName: string; args: readonly unknown[]; data?: Hex; functionName: string },
    cause?: unknown,
  ) {
    super(`${functionName} reverted with ${errorName}.`, { details: { functionName, errorName, args }, cause });
    this.errorName = errorName;
    this.args = args;
    this.data = data;
  }
}

/** `ClearinghouseInsufficientFreeCollateral`: more than min(balance, equity − IM) was asked for. */
export class InsufficientFreeCollateralError extends LucentContractError {
  override name = "InsufficientFreeCollateralError";
  readonly subaccount: Hex;
  readonly requested: bigint;
  readonly available: bigint;
  constructor(
    {
      subaccount,
      requested,
      available,
      functionName,
    }: { subaccount: Hex; requested: bigint; available: bigint; functionName: string },
    cause?: unknown,
  ) {
    super(
      { errorName: "ClearinghouseInsufficientFreeCollateral", args: [subaccount, requested, available], functionName },
      cause,
    );
    this.subaccount = subaccount;
    this.requested = requested;
    this.available = available;
  }
}

/** A transaction was mined but reverted (the simulation before it passed: the state changed in between). */
export class TransactionRevertedError extends LucentError {
  override name = "TransactionRevertedError";
  readonly hash: Hash;
  constructor({ hash, functionName }: { hash: Hash; functionName: string }) {
    super(`The ${functionName} transaction reverted.`, { details: { hash, functionName } });
    this.hash = hash;
  }
}

/** A read or write failed for a reason other than a decoded revert (RPC down, wrong address...). */
export class LucentRpcError extends LucentError {
  override name = "LucentRpcError";
  constructor({ functionName, address }: { functionName: string; address?: Address }, cause: unknown) {
    const reason =
      cause instanceof BaseError ? cause.shortMessage : cause instanceof Error ? cause.message : String(cause);
    super(`${functionName} failed: ${reason}`, { details: { functionName, address }, cause });
  }
}

/**
 * Maps an error from a viem contract call to a typed SDK error: a decoded custom error becomes a
 * {@link LucentContractError} (or its specific subclass), anything else a {@link LucentRpcError}.
 */
export function toLucentError(error: unknown, functionName: string, address?: Address): LucentError {
  if (error instanceof LucentError) return error;
  const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
  if (reverted instanceof ContractFunctionRevertedError) {
    let errorName = reverted.data?.errorName;
    let args: readonly unknown[] = reverted.data?.args ?? [];
    if (errorName === undefined && reverted.raw !== undefined) {
      try {
        const decoded = decodeErrorResult({ abi: revertAbi, data: reverted.raw });
        errorName = decoded.errorName;
        args = decoded.args ?? [];
      } catch {
        // not one of ours: fall through with the raw data
      }
    }
    if (errorName === "ClearinghouseInsufficientFreeCollateral") {
      const [subaccount, requested, available] = args as [Hex, bigint, bigint];
      return new InsufficientFreeCollateralError({ subaccount, requested, available, functionName }, error);
    }
    return new LucentContractError(
      {
        errorName: errorName ?? reverted.reason ?? reverted.signature ?? "unknown error",
        args,
        ...(reverted.raw === undefined ? {} : { data: reverted.raw }),
        functionName,
      },
      error,
    );
  }
  return new LucentRpcError({ functionName, ...(address === undefined ? {} : { address }) }, error);
}
