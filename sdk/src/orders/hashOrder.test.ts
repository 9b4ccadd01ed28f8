import { readFileSync } from "node:fs";
import { encodeAbiParameters, keccak256, concatHex, toHex, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { LucentError } from "../errors.js";
import { hashOrder } from "./hashOrder.js";
import { domain, makerOrder, takerOrder } from "./testVectors.js";
import { ORDER_TYPE, lucentDomain, orderTypes, type Order } from "./types.js";
import { InvalidOrderFieldError } from "./validateOrder.js";

/** EIP-712 by hand, as OrderCodec.typedDataHash and OpenZeppelin's EIP712 compute it. */
function referenceHash(order: Order): `0x${string}` {
  const typeHash = keccak256(toHex(ORDER_TYPE));
  const structHash = keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "address" },
        { type: "uint8" },
        { type: "uint8" },
        { type: "bool" },
        { type: "uint64" },
        { type: "uint128" },
        { type: "uint8" },
        { type: "uint64" },
        { type: "uint40" },
        { type: "address" },
      ],
      [
        typeHash,
        order.trader,
        order.subaccount,
        order.market,
        order.isBuy,
        order.size,
        order.limitPrice,
        order.flags,
        order.nonce,
        order.expiry,
        order.keeper,
      ],
    ),
  );
  const domainSeparator = keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }, { type: "address" }],
      [
        keccak256(toHex("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")),
        keccak256(toHex("Lucent")),
        keccak256(toHex("1")),
        BigInt(domain.chainId),
        domain.verifyingContract,
      ],
    ),
  );
  return keccak256(concatHex(["0x1901", domainSeparator, structHash]));
}

describe("orderTypes", () => {
  it("spells the Solidity ORDER_TYPEHASH string field for field", () => {
    const encoded = `Order(${orderTypes.Order.map((f) => `${f.type} ${f.name}`).join(",")})`;
    expect(encoded).toBe(ORDER_TYPE);
    const codec = readFileSync(new URL("../../../contracts/libraries/OrderCodec.sol", import.meta.url), "utf8");
    const solidityType = /ORDER_TYPEHASH = keccak256\(\s*"([^"]+)"/.exec(codec)?.[1];
    expect(solidityType).toBe(ORDER_TYPE);
  });
});

describe("lucentDomain", () => {
  it('builds the EIP712("Lucent", "1") domain', () => {
    expect(lucentDomain({ chainId: 1n, clearinghouse: zeroAddress })).toEqual({
      name: "Lucent",
      version: "1",
      chainId: 1,
      verifyingContract: zeroAddress,
    });
  });
});

describe("hashOrder", () => {
  it("equals the EIP-712 digest computed by hand", () => {
    expect(hashOrder({ domain, order: makerOrder })).toBe(referenceHash(makerOrder));
    expect(hashOrder({ domain, order: takerOrder })).toBe(referenceHash(takerOrder));
  });

  it("matches a golden vector", () => {
    expect(hashOrder({ domain, order: makerOrder })).toBe(
      "0xb783361e4b150dbdab2f890ee90c885464d6e0898fa51a2aecec1094f7e0117c",
    );
  });

  it("changes with every field and with the domain", () => {
    const base = hashOrder({ domain, order: makerOrder });
    const variants: Order[] = [
      { ...makerOrder, subaccount: 1 },
      { ...makerOrder, market: 1 },
      { ...makerOrder, isBuy: true },
      { ...makerOrder, size: 11n },
      { ...makerOrder, limitPrice: makerOrder.limitPrice + 1n },
      { ...makerOrder, flags: 1 },
      { ...makerOrder, nonce: 2n },
      { ...makerOrder, expiry: 1 },
      { ...makerOrder, keeper: takerOrder.keeper },
    ];
    const hashes = new Set(variants.map((order) => hashOrder({ domain, order })));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(base)).toBe(false);
    expect(hashOrder({ domain: { ...domain, chainId: 1 }, order: makerOrder })).not.toBe(base);
  });

  it("rejects fields that do not fit their Solidity types", () => {
    const bad: [Partial<Order>, string][] = [
      [{ size: 1n << 64n }, "size"],
      [{ limitPrice: -1n }, "limitPrice"],
      [{ subaccount: 256 }, "subaccount"],
      [{ expiry: 2 ** 40 }, "expiry"],
      [{ nonce: 1n << 64n }, "nonce"],
      [{ flags: 1.5 }, "flags"],
      [{ trader: "0x1234" }, "trader"],
    ];
    for (const [patch, field] of bad) {
      const call = () => hashOrder({ domain, order: { ...makerOrder, ...patch } });
      expect(call).toThrow(InvalidOrderFieldError);
      try {
        call();
      } catch (error) {
        expect(error).toBeInstanceOf(LucentError);
        expect((error as InvalidOrderFieldError).details["field"]).toBe(field);
      }
    }
  });
});
