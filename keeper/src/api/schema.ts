import { z } from "zod/v4";
import type { Address, Hex } from "viem";
import type { Order } from "../../../sdk/src/index.js";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address");
const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes of hex");
// A length check and a plain character class: an alternation of two long counted groups is slow in V8.
const signature = z
  .string()
  .refine((s) => s.length === 130 || s.length === 132, "expected a 64- or 65-byte hex signature")
  .refine((s) => /^0x[0-9a-fA-F]*$/.test(s), "expected a 64- or 65-byte hex signature");

const uintSmall = (bits: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(2 ** bits - 1);

/** A uint of `bits` bits, as a decimal string (or a safe-integer number) on the wire. */
const uintBig = (bits: number) =>
  z
    .union([
      z.string().regex(/^(0|[1-9][0-9]{0,38})$/, "expected a decimal integer string"),
      z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    ])
    .transform((v) => BigInt(v))
    .refine((v) => v >> BigInt(bits) === 0n, `expected a uint${bits}`);

/** The wire form of an {@link Order}: 64- and 128-bit fields as decimal strings. */
export const wireOrder = z.strictObject({
  trader: address,
  subaccount: uintSmall(8),
  market: uintSmall(8),
  isBuy: z.boolean(),
  size: uintBig(64),
  limitPrice: uintBig(128),
  flags: uintSmall(8),
  nonce: uintBig(64),
  expiry: uintSmall(40),
  keeper: address,
});

const domain = z.strictObject({ chainId: z.number().int().min(0), verifyingContract: address }).optional();

export const submitOrderMessage = z.strictObject({
  op: z.literal("order").optional(),
  id: z.unknown().optional(),
  order: wireOrder,
  signature,
  /** Optional: the domain the client signed for, so a mismatch reports `wrong_domain` rather than `bad_signature`. */
  domain,
});

export const cancelOrderMessage = z.strictObject({
  op: z.literal("cancel").optional(),
  id: z.unknown().optional(),
  orderHash: hex32,
  signature,
  domain,
});

export const subscribeMessage = z.strictObject({
  op: z.enum(["subscribe", "unsubscribe"]),
  id: z.unknown().optional(),
  channels: z.array(z.string().max(64)).min(1).max(64),
});

export type SubmitOrderMessage = {
  order: Order;
  signature: Hex;
  domain?: { chainId: number; verifyingContract: Address };
};
export type CancelOrderMessage = {
  orderHash: Hex;
  signature: Hex;
  domain?: { chainId: number; verifyingContract: Address };
};

/** Zod issues, flattened to what a client needs: where, and what was wrong. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 10).map((i) => ({ path: i.path.join("."), message: i.message }));
}

/** The wire form of an order, as clients send it (bigints as decimal strings). */
export function orderToWire(order: Order): Record<string, unknown> {
  return {
    ...order,
    size: order.size.toString(),
    limitPrice: order.limitPrice.toString(),
    nonce: order.nonce.toString(),
  };
}
