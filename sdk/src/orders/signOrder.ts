import type { Account, Chain, Hex, LocalAccount, Transport, WalletClient } from "viem";
import { LucentError } from "../errors.js";
import { hashOrder, type HashOrderErrorType } from "./hashOrder.js";
import { toCompactSignature, type ToCompactSignatureErrorType } from "./signature.js";
import { orderTypes, type LucentDomain, type Order } from "./types.js";

/** Anything that can produce an EIP-712 signature: a viem local account, or a wallet client. */
export type OrderSigner = LocalAccount | WalletClient<Transport, Chain | undefined, Account | undefined>;

export type SignOrderParameters = {
  /** A local account, or a wallet client; a wallet client without a hoisted account needs `account`. */
  signer: OrderSigner;
  /** For wallet clients: the account to sign with, if the client has none hoisted. */
  account?: Account;
  domain: LucentDomain;
  order: Order;
};

export type SignOrderReturnType = {
  /** The EIP-712 order hash (= `Clearinghouse.hashOrder`). */
  hash: Hex;
  /** The signature as the signer produced it: 65 bytes `r ‖ s ‖ v`. */
  signature: Hex;
  /** Its EIP-2098 compact form (64 bytes, low s), as `encodeBatch` puts it in calldata. */
  compactSignature: Hex;
};

export type SignOrderErrorType = HashOrderErrorType | ToCompactSignatureErrorType | SignerAccountMissingError;

/** A wallet client was given without an account to sign with. */
export class SignerAccountMissingError extends LucentError {
  override name = "SignerAccountMissingError";
  constructor() {
    super("The wallet client has no account: hoist one on the client or pass `account`.");
  }
}

/**
 * Signs an order with EIP-712 (`eth_signTypedData_v4` for JSON-RPC accounts). The signer is the
 * order's trader for an EOA, or the key the trader's EIP-1271 wallet accepts.
 */
export async function signOrder({ signer, account, domain, order }: SignOrderParameters): Promise<SignOrderReturnType> {
  const hash = hashOrder({ domain, order });
  const typedData = { domain, types: orderTypes, primaryType: "Order", message: order } as const;
  let signature: Hex;
  if ("transport" in signer) {
    // A wallet client: JSON-RPC (eth_signTypedData_v4) or local account behind a client.
    const signingAccount = account ?? signer.account;
    if (signingAccount === undefined) throw new SignerAccountMissingError();
    signature = await signer.signTypedData({ ...typedData, account: signingAccount });
  } else {
    signature = await signer.signTypedData(typedData);
  }
  return { hash, signature, compactSignature: toCompactSignature(signature) };
}
