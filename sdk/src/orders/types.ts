import type { Address, TypedDataDomain } from "viem";

/**
 * A Lucent order (SPEC §5), field for field the Solidity `Order` struct in contracts/types/Order.sol.
 *
 * Integer fields follow viem's ABI mapping so that the type is exactly what `signTypedData` expects:
 * 64- and 128-bit fields (`size`, `limitPrice`, `nonce`) are `bigint`; fields of at most 48 bits
 * (`subaccount`, `market`, `flags`: uint8; `expiry`: uint40, seconds) are `number`.
 */
export type Order = {
  /** The account whose subaccount trades; signs the order (EOA or EIP-1271 wallet). */
  trader: Address;
  /** Subaccount index (uint8) within the market's collateral. */
  subaccount: number;
  /** Market id (uint8). */
  market: number;
  isBuy: boolean;
  /** Contracts (uint64). */
  size: bigint;
  /** 18-decimal price (uint128). */
  limitPrice: bigint;
  /** Bitwise OR of {@link OrderFlags} (uint8). */
  flags: number;
  /**
   * uint64, single use per subaccount; cancel with `cancelNonces` or `raiseNonceFloor`. Cheapest to
   * settle when a subaccount's orders take nonces in sequence from its floor (`getSubaccount(...)
   * .nonceFloor`) and fill in that order: the clearinghouse then records each by raising the floor and
   * writes no nonce-bitmap slot (any other nonce costs one, 22.1k gas for each new word of 127 nonces).
   */
  nonce: bigint;
  /** Unix seconds (uint40) after which the order can no longer be filled. */
  expiry: number;
  /** The only keeper allowed to fill the order, or the zero address for any keeper. */
  keeper: Address;
};

/** Order flags, as in `library OrderFlags` (contracts/types/Order.sol). */
export const OrderFlags = {
  NONE: 0,
  /** Maker only: the order may never be the taker of a fill. */
  POST_ONLY: 1,
  /** The fill may only reduce the trader's position. */
  REDUCE_ONLY: 2,
  /** Taker only: immediate-or-cancel. */
  IOC: 4,
  ALL: 7,
} as const;
export type OrderFlag = (typeof OrderFlags)[keyof typeof OrderFlags];

/** Why a fill was skipped: `enum SkipReason` (contracts/types/Order.sol), by value. */
export const SkipReason = {
  None: 0,
  BadSignature: 1,
  Expired: 2,
  Cancelled: 3,
  Overfilled: 4,
  LimitViolated: 5,
  ReduceOnlyViolated: 6,
  InsufficientMargin: 7,
  StaleIndex: 8,
  MarketMismatch: 9,
  MarketInactive: 10,
  KeeperNotAllowed: 11,
  SameSide: 12,
  InvalidFlags: 13,
  TickOrLot: 14,
  SelfTrade: 15,
  OpenInterestCap: 16,
  Overflow: 17,
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

/** The canonical type string of `OrderCodec.ORDER_TYPEHASH`. */
export const ORDER_TYPE =
  "Order(address trader,uint8 subaccount,uint8 market,bool isBuy,uint64 size,uint128 limitPrice,uint8 flags,uint64 nonce,uint40 expiry,address keeper)";

/** EIP-712 types of an order; the field order and types are the Solidity typehash's. */
export const orderTypes = {
  Order: [
    { name: "trader", type: "address" },
    { name: "subaccount", type: "uint8" },
    { name: "market", type: "uint8" },
    { name: "isBuy", type: "bool" },
    { name: "size", type: "uint64" },
    { name: "limitPrice", type: "uint128" },
    { name: "flags", type: "uint8" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint40" },
    { name: "keeper", type: "address" },
  ],
} as const;

export const LUCENT_DOMAIN_NAME = "Lucent";
export const LUCENT_DOMAIN_VERSION = "1";

/** The EIP-712 domain of a clearinghouse deployment. */
export type LucentDomain = {
  name: typeof LUCENT_DOMAIN_NAME;
  version: typeof LUCENT_DOMAIN_VERSION;
  chainId: number;
  verifyingContract: Address;
} & TypedDataDomain;

export type LucentDomainParameters = {
  chainId: number | bigint;
  /** The Clearinghouse address (the EIP-712 verifying contract). */
  clearinghouse: Address;
};

/** The domain `EIP712("Lucent", "1")` of the Clearinghouse at `clearinghouse` on `chainId`. */
export function lucentDomain({ chainId, clearinghouse }: LucentDomainParameters): LucentDomain {
  return {
    name: LUCENT_DOMAIN_NAME,
    version: LUCENT_DOMAIN_VERSION,
    chainId: Number(chainId),
    verifyingContract: clearinghouse,
  };
}
