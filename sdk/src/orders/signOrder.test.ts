import {
  createWalletClient,
  custom,
  recoverTypedDataAddress,
  serializeSignature,
  parseSignature,
  hexToBigInt,
  numberToHex,
  size,
  type Hex,
} from "viem";
import { describe, expect, it } from "vitest";
import { hashOrder } from "./hashOrder.js";
import { SECP256K1_N, toCompactSignature, tryToCompactSignature, InvalidSignatureError } from "./signature.js";
import { signOrder, SignerAccountMissingError } from "./signOrder.js";
import { domain, makerAccount, makerOrder, recoverFromCompact, takerAccount, takerOrder } from "./testVectors.js";
import { orderTypes } from "./types.js";

const noTransport = custom({
  request: () => {
    throw new Error("no RPC expected: the account signs locally");
  },
});

describe("signOrder", () => {
  it("signs with a local account: 65-byte signature recovering the trader", async () => {
    const { hash, signature, compactSignature } = await signOrder({ signer: makerAccount, domain, order: makerOrder });
    expect(hash).toBe(hashOrder({ domain, order: makerOrder }));
    expect(size(signature)).toBe(65);
    expect(size(compactSignature)).toBe(64);
    const recovered = await recoverTypedDataAddress({
      domain,
      types: orderTypes,
      primaryType: "Order",
      message: makerOrder,
      signature,
    });
    expect(recovered).toBe(makerOrder.trader);
  });

  it("compact signature round-trips: recoverAddress(hash, compact) is the trader", async () => {
    for (const [account, order] of [
      [makerAccount, makerOrder],
      [takerAccount, takerOrder],
    ] as const) {
      const { hash, compactSignature } = await signOrder({ signer: account, domain, order });
      expect(await recoverFromCompact({ hash, compact: compactSignature })).toBe(order.trader);
    }
  });

  it("signs with a wallet client, hoisted account or explicit one", async () => {
    const expected = await signOrder({ signer: takerAccount, domain, order: takerOrder });
    const hoisted = createWalletClient({ account: takerAccount, transport: noTransport });
    expect(await signOrder({ signer: hoisted, domain, order: takerOrder })).toEqual(expected);
    const bare = createWalletClient({ transport: noTransport });
    expect(await signOrder({ signer: bare, account: takerAccount, domain, order: takerOrder })).toEqual(expected);
    await expect(signOrder({ signer: bare, domain, order: takerOrder })).rejects.toThrow(SignerAccountMissingError);
  });
});

describe("toCompactSignature", () => {
  it("maps a high-s signature to the same compact form as its low-s twin", async () => {
    const { signature, compactSignature, hash } = await signOrder({ signer: makerAccount, domain, order: makerOrder });
    const { r, s, yParity } = parseSignature(signature);
    const twin = serializeSignature({
      r,
      s: numberToHex(SECP256K1_N - hexToBigInt(s), { size: 32 }),
      yParity: yParity === 0 ? 1 : 0,
    });
    expect(twin).not.toBe(signature);
    expect(toCompactSignature(twin)).toBe(compactSignature);
    expect(await recoverFromCompact({ hash, compact: toCompactSignature(twin) })).toBe(makerOrder.trader);
  });

  it("accepts v in {0, 1} as well as {27, 28}", async () => {
    const { signature, compactSignature } = await signOrder({ signer: makerAccount, domain, order: makerOrder });
    const v = Number(hexToBigInt(`0x${signature.slice(-2)}`));
    const zeroBased: Hex = `${signature.slice(0, -2)}${numberToHex(v - 27, { size: 1 }).slice(2)}` as Hex;
    expect(toCompactSignature(zeroBased)).toBe(compactSignature);
  });

  it("refuses what is not a 65-byte ECDSA signature", () => {
    expect(tryToCompactSignature(`0x${"11".repeat(64)}`)).toBeUndefined();
    expect(tryToCompactSignature(`0x${"11".repeat(64)}1d`)).toBeUndefined(); // v = 29
    expect(tryToCompactSignature(`0x${"00".repeat(64)}1b`)).toBeUndefined(); // r = s = 0
    expect(() => toCompactSignature("0x1234")).toThrow(InvalidSignatureError);
  });
});
