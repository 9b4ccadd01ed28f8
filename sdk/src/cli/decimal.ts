// Decimal strings in and out of the CLI: exact conversion to and from fixed point, never through floats.
import { LucentError } from "../errors.js";

/** A command-line value the CLI cannot use. Exit code 2. */
export class CliInputError extends LucentError {
  override name = "CliInputError";
}

const UNSIGNED = /^[0-9]+(?:\.[0-9]+)?$/;
const SIGNED = /^-?[0-9]+(?:\.[0-9]+)?$/;

/**
 * `"0.000001"` → 10^12 for `decimals = 18`. Plain decimal notation only (no exponent, no separators); more
 * fractional digits than `decimals` is an error rather than a silent rounding.
 */
export function parseDecimal(text: string, decimals: number, options: { signed?: boolean } = {}): bigint {
  if (!(options.signed === true ? SIGNED : UNSIGNED).test(text)) {
    throw new CliInputError(`'${text}' is not a ${options.signed === true ? "" : "non-negative "}decimal number`);
  }
  const negative = text.startsWith("-");
  const [whole = "", fraction = ""] = (negative ? text.slice(1) : text).split(".");
  if (fraction.length > decimals) {
    throw new CliInputError(`'${text}' has more than ${decimals} decimal places`);
  }
  const value = BigInt(whole + fraction.padEnd(decimals, "0"));
  return negative ? -value : value;
}

/** A whole number of contracts, signed. */
export function parseInteger(text: string, options: { signed?: boolean } = {}): bigint {
  if (!(options.signed === true ? /^-?[0-9]+$/ : /^[0-9]+$/).test(text)) {
    throw new CliInputError(`'${text}' is not ${options.signed === true ? "an integer" : "a non-negative integer"}`);
  }
  return BigInt(text);
}

/** 5 × 10^18 → `"5"`, −2 × 10^17 → `"-0.2"`: exact, trailing zeros dropped. */
export function formatDecimal(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}
