import type { Hex, LocalAccount } from "viem";
import type { LucentDomain } from "../../../sdk/src/index.js";
import { cancelTypes } from "../crypto/orderStruct.js";

/** Signs the keeper's off-chain `CancelOrder(bytes32 orderHash)` message (see orderStruct.ts). */
export function signCancel({
  signer,
  domain,
  orderHash,
}: {
  signer: LocalAccount;
  domain: LucentDomain;
  orderHash: Hex;
}): Promise<Hex> {
  return signer.signTypedData({ domain, types: cancelTypes, primaryType: "CancelOrder", message: { orderHash } });
}
