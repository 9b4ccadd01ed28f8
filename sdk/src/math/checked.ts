import { LucentError } from "../errors.js";

/** 2^256, the EVM word modulus. */
export const UINT256_MODULUS = 1n << 256n;
export const MAX_UINT256 = UINT256_MODULUS - 1n;
export const MAX_INT256 = (1n << 255n) - 1n;
export const MIN_INT256 = -(1n << 255n);

/** Solidity `Panic(uint256)` codes the math can raise. */
export const PanicCode = {
  /** Checked arithmetic under- or overflow. */
  Overflow: 0x11,
  /** Division or modulo by zero. */
  DivisionByZero: 0x12,
} as const;
export type PanicCode = (typeof PanicCode)[keyof typeof PanicCode];

/**
 * Where the Solidity libraries revert, their mirrors throw a `MathError` naming the same Solidity error
 * (`ZeroPrice`, `FixedPointOverflow`, or the compiler's `Panic` with its code) with the same arguments,
 * so a revert on chain and a throw here can be compared one for one. `InvalidInput` is the SDK's own:
 * an argument outside its Solidity type (the ABI encoder would refuse it before any call).
 */
export class MathError extends LucentError {
  override name = "MathError";
  readonly errorName: "ZeroPrice" | "FixedPointOverflow" | "Panic" | "InvalidInput";
  readonly args: readonly bigint[];

  constructor(
    errorName: MathError["errorName"],
    args: readonly bigint[] = [],
    extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(`Math error: ${errorName}${args.length > 0 ? `(${args.join(", ")})` : ""}.`, {
      details: { error: errorName, args, ...extra },
    });
    this.errorName = errorName;
    this.args = args;
  }
}

export type MathErrorType = MathError;

export function panic(code: PanicCode): never {
  throw new MathError("Panic", [BigInt(code)]);
}

/** Asserts a value fits `uint256`, as the ABI encoder would. */
export function assertUint(name: string, x: bigint): bigint {
  if (typeof x !== "bigint" || x < 0n || x > MAX_UINT256) {
    throw new MathError("InvalidInput", [], { field: name, value: x, type: "uint256" });
  }
  return x;
}

/** Asserts a value fits `int256`, as the ABI encoder would. */
export function assertInt(name: string, x: bigint): bigint {
  return assertIntN(name, x, 256);
}

/** Asserts a value fits a signed integer of `bits` bits (`int64`, `int96`...). */
export function assertIntN(name: string, x: bigint, bits: number): bigint {
  const limit = 1n << BigInt(bits - 1);
  if (typeof x !== "bigint" || x < -limit || x >= limit) {
    throw new MathError("InvalidInput", [], { field: name, value: x, type: `int${bits}` });
  }
  return x;
}

// Checked uint256 arithmetic (Solidity ≥ 0.8 default).
export function uadd(a: bigint, b: bigint): bigint {
  const r = a + b;
  if (r > MAX_UINT256) panic(PanicCode.Overflow);
  return r;
}
export function usub(a: bigint, b: bigint): bigint {
  const r = a - b;
  if (r < 0n) panic(PanicCode.Overflow);
  return r;
}
export function umul(a: bigint, b: bigint): bigint {
  const r = a * b;
  if (r > MAX_UINT256) panic(PanicCode.Overflow);
  return r;
}
export function udiv(a: bigint, b: bigint): bigint {
  if (b === 0n) panic(PanicCode.DivisionByZero);
  return a / b;
}

// Checked int256 arithmetic. BigInt division truncates towards zero, like Solidity's.
function checkInt(r: bigint): bigint {
  if (r > MAX_INT256 || r < MIN_INT256) panic(PanicCode.Overflow);
  return r;
}
export function sadd(a: bigint, b: bigint): bigint {
  return checkInt(a + b);
}
export function ssub(a: bigint, b: bigint): bigint {
  return checkInt(a - b);
}
export function smul(a: bigint, b: bigint): bigint {
  return checkInt(a * b);
}
export function sdiv(a: bigint, b: bigint): bigint {
  if (b === 0n) panic(PanicCode.DivisionByZero);
  return checkInt(a / b);
}
export function sneg(a: bigint): bigint {
  return checkInt(-a);
}

/** `int256(x)` for a uint256: reinterprets the bits (never reverts). */
export function toInt256(x: bigint): bigint {
  return x > MAX_INT256 ? x - UINT256_MODULUS : x;
}

/** `uint256(x)` for an int256: reinterprets the bits (never reverts). */
export function toUint256(x: bigint): bigint {
  return x < 0n ? x + UINT256_MODULUS : x;
}
