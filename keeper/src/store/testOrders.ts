import { randomBytes } from "node:crypto";
import type { Address, Hex } from "viem";
import type { Order } from "../../../sdk/src/index.js";
import type { NewOrder } from "./journal.js";

/** Test helper: a journal-ready order with random fields (not signed: the journal does not verify). */
export function randomNewOrder(overrides: Partial<Order> = {}): NewOrder {
  const order: Order = {
    trader: `0x${randomBytes(20).toString("hex")}` as Address,
    subaccount: randomBytes(1)[0]!,
    market: randomBytes(1)[0]! % 4,
    isBuy: randomBytes(1)[0]! % 2 === 0,
    size: randomBytes(8).readBigUInt64BE() | 1n,
    limitPrice: BigInt(`0x${randomBytes(16).toString("hex")}`),
    flags: randomBytes(1)[0]! % 8,
    nonce: randomBytes(8).readBigUInt64BE(),
    expiry: 2_000_000_000,
    keeper: "0x0000000000000000000000000000000000000000",
    ...overrides,
  };
  return {
    hash: `0x${randomBytes(32).toString("hex")}` as Hex,
    order,
    signature: `0x${randomBytes(64).toString("hex")}` as Hex,
    receivedAt: Date.now(),
  };
}
