import type { Account, Hex } from "viem";
import { SignerAccountMissingError, type OrderSigner } from "./signOrder.js";
import type { LucentDomain } from "./types.js";

/**
 * A keeper's off-chain cancel: the trader asks the keeper holding one of its resting orders to stop
 * matching it. EIP-712 under the clearinghouse's domain, like orders. It binds no nonce: replaying it
 * can only cancel the same order again. A keeper is trusted to honour it; to cancel whatever any
 * keeper does, use the on-chain `cancelOrders` or `raiseNonceFloor`.
 */
export const CANCEL_TYPE = "CancelOrder(bytes32 orderHash)";
export const cancelTypes = { CancelOrder: [{ name: "orderHash", type: "bytes32" }] } as const;

export type SignCancelParameters = {
  /** The order's trader (or, for a wallet client, a client whose account is the trader). */
  signer: OrderSigner;
  /** For wallet clients: the account to sign with, if the client has none hoisted. */
  account?: Account;
  domain: LucentDomain;
  /** The EIP-712 hash of the order to cancel (`hashOrder`, `signOrder`'s `hash`). */
  orderHash: Hex;
};

/** Signs the keeper's `CancelOrder(bytes32 orderHash)` message; the keeper's `POST /cancels` takes it. */
export async function signCancel({ signer, account, domain, orderHash }: SignCancelParameters): Promise<Hex> {
  const typedData = { domain, types: cancelTypes, primaryType: "CancelOrder", message: { orderHash } } as const;
  if ("transport" in signer) {
    const signingAccount = account ?? signer.account;
    if (signingAccount === undefined) throw new SignerAccountMissingError();
    return signer.signTypedData({ ...typedData, account: signingAccount });
  }
  return signer.signTypedData(typedData);
}
