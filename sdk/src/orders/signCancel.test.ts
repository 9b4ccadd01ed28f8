import { createWalletClient, custom, keccak256, recoverTypedDataAddress, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { hashOrder } from "./hashOrder.js";
import { cancelTypes, signCancel } from "./signCancel.js";
import { SignerAccountMissingError } from "./signOrder.js";
import { domain, makerAccount, makerOrder, takerAccount } from "./testVectors.js";

const noTransport = custom({
  request: () => {
    throw new Error("no RPC expected: the account signs locally");
  },
});

/** Who signed `CancelOrder(orderHash)` under `d`, by `signature`. */
function signerOf(signature: Hex, orderHash: Hex, d: typeof domain = domain): Promise<Address> {
  return recoverTypedDataAddress({
    domain: d,
    types: cancelTypes,
    primaryType: "CancelOrder",
    message: { orderHash },
    signature,
  });
}

describe("signCancel", () => {
  const orderHash = hashOrder({ domain, order: makerOrder });

  it("signs CancelOrder(bytes32 orderHash) so that it recovers the trader", async () => {
    const signature = await signCancel({ signer: makerAccount, domain, orderHash });
    expect(await signerOf(signature, orderHash)).toBe(makerOrder.trader);
  });

  it("binds the order and the domain: another order or chain recovers someone else", async () => {
    const signature = await signCancel({ signer: makerAccount, domain, orderHash });
    expect(await signerOf(signature, keccak256(orderHash))).not.toBe(makerOrder.trader);
    expect(await signerOf(signature, orderHash, { ...domain, chainId: domain.chainId + 1 })).not.toBe(
      makerOrder.trader,
    );
  });

  it("signs with a wallet client, hoisted account or explicit one", async () => {
    const expected = await signCancel({ signer: takerAccount, domain, orderHash });
    const hoisted = createWalletClient({ account: takerAccount, transport: noTransport });
    expect(await signCancel({ signer: hoisted, domain, orderHash })).toBe(expected);
    const bare = createWalletClient({ transport: noTransport });
    expect(await signCancel({ signer: bare, account: takerAccount, domain, orderHash })).toBe(expected);
    await expect(signCancel({ signer: bare, domain, orderHash })).rejects.toThrow(SignerAccountMissingError);
  });
});
