import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { getAddress, type Hex } from "viem";
import { hashOrder, lucentDomain, signOrder, toCompactSignature, type Order } from "../../../sdk/src/index.js";
import { SignatureVerifier } from "./verifierPool.js";
import { parseSignature, compactSignature } from "./signature.js";
import { toHex } from "./orderStruct.js";
import { nativeKeccak, nativeSecp256k1 } from "./verifyCore.js";

const domain = lucentDomain({ chainId: 31337, clearinghouse: "0x5FbDB2315678afecb367f032d93F642f64180aa3" });

function randomUint(bits: number): bigint {
  const bytes = randomBytes(Math.ceil(bits / 8));
  return BigInt(`0x${bytes.toString("hex")}`) >> BigInt(bytes.length * 8 - bits);
}

function randomOrder(trader: Hex): Order {
  const pick = Math.random();
  return {
    trader,
    subaccount: Number(randomUint(8)),
    market: Number(randomUint(8)),
    isBuy: Math.random() < 0.5,
    // Edge values as well as random ones.
    size: pick < 0.1 ? 0n : pick < 0.2 ? 2n ** 64n - 1n : randomUint(64),
    limitPrice: pick < 0.1 ? 2n ** 128n - 1n : randomUint(1 + Math.floor(Math.random() * 128)),
    flags: Number(randomUint(8)),
    nonce: randomUint(64),
    expiry: Number(randomUint(40)),
    keeper: Math.random() < 0.5 ? "0x0000000000000000000000000000000000000000" : toHex(randomBytes(20)),
  };
}

describe("fast order hashing and recovery", () => {
  let threaded: SignatureVerifier;
  let inline: SignatureVerifier;
  beforeAll(async () => {
    threaded = await SignatureVerifier.create({ domain, threads: 2 });
    inline = await SignatureVerifier.create({ domain, threads: 0 });
  });
  afterAll(async () => {
    await threaded.close();
    await inline.close();
  });

  it("loads the native secp256k1 and keccak builds", () => {
    expect(nativeSecp256k1).toBe(true);
    expect(nativeKeccak).toBe(true);
  });

  it("hashes 300 random orders exactly like the SDK's hashOrder and recovers their signers", async () => {
    const accounts = Array.from({ length: 5 }, () => privateKeyToAccount(toHex(randomBytes(32))));
    const cases = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const account = accounts[i % accounts.length]!;
        const order = randomOrder(i % 3 === 0 ? (account.address.toLowerCase() as Hex) : account.address);
        const signed = await signOrder({ signer: account, domain, order });
        return { account, order, signed };
      }),
    );
    for (const v of [threaded, inline]) {
      const results = await Promise.all(
        cases.map(({ order, signed }, i) =>
          // Alternate the 65-byte and the compact form.
          v.verifyOrder(order, parseSignature(i % 2 ? signed.signature : signed.compactSignature)!),
        ),
      );
      results.forEach((r, i) => {
        const c = cases[i]!;
        expect(toHex(r.digest)).toBe(hashOrder({ domain, order: c.order }));
        expect(getAddress(toHex(r.signer!))).toBe(c.account.address);
      });
    }
  });

  it("normalizes signatures to the SDK's low-s compact form, and rejects invalid ones", async () => {
    const account = privateKeyToAccount(toHex(randomBytes(32)));
    const order = randomOrder(account.address);
    const { signature } = await signOrder({ signer: account, domain, order });
    const parsed = parseSignature(signature)!;
    expect(toHex(compactSignature(parsed))).toBe(toCompactSignature(signature));
    // The high-s twin (s' = n - s, v flipped) is accepted and normalized to the same compact form.
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = parseInt(signature.slice(130), 16);
    const twin = `${signature.slice(0, 66)}${(n - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`;
    expect(toHex(compactSignature(parseSignature(twin)!))).toBe(toCompactSignature(signature));
    expect(parseSignature(`${signature.slice(0, 130)}1d`)).toBeUndefined(); // v = 29
    expect(parseSignature(signature.slice(0, 120))).toBeUndefined();
    expect(parseSignature(`0x${"zz".repeat(65)}`)).toBeUndefined();
    expect(parseSignature(`0x${"00".repeat(65)}`)).toBeUndefined();
    expect(parseSignature(`0x${"ff".repeat(64)}1b`)).toBeUndefined(); // r ≥ n
    // A valid-looking signature over another order recovers someone else.
    const other = await inline.verifyOrder({ ...order, nonce: order.nonce ^ 1n }, parsed);
    expect(other.signer === undefined || getAddress(toHex(other.signer)) !== account.address).toBe(true);
  });
});
