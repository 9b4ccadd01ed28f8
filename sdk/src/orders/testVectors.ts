// Shared fixtures of the order unit tests: fixed keys, a fixed domain and two orders that exercise
// every field of the layout (not part of the SDK's public surface).
import { compactSignatureToSignature, parseCompactSignature, recoverAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { lucentDomain, type Order } from "./types.js";

export const makerAccount = privateKeyToAccount("0x00000000000000000000000000000000000000000000000000000000000a11ce");
export const takerAccount = privateKeyToAccount("0x0000000000000000000000000000000000000000000000000000000000000b0b");

export const domain = lucentDomain({ chainId: 31337, clearinghouse: "0x5FbDB2315678afecb367f032d93F642f64180aa3" });

export const makerOrder: Order = {
  trader: makerAccount.address,
  subaccount: 0,
  market: 0,
  isBuy: false,
  size: 10n,
  limitPrice: 100_000n * 10n ** 18n,
  flags: 0,
  nonce: 1n,
  expiry: 2 ** 40 - 1,
  keeper: "0x0000000000000000000000000000000000000000",
};

export const takerOrder: Order = {
  trader: takerAccount.address,
  subaccount: 3,
  market: 0,
  isBuy: true,
  size: 10n,
  limitPrice: 100_000n * 10n ** 18n,
  flags: 4,
  nonce: 0x0102030405060708n,
  expiry: 1_700_000_000,
  keeper: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
};

/** Recovers the signer of an EIP-2098 signature through viem's own compact parser (an independent decoder). */
export async function recoverFromCompact({ hash, compact }: { hash: Hex; compact: Hex }): Promise<Address> {
  return recoverAddress({ hash, signature: compactSignatureToSignature(parseCompactSignature(compact)) });
}
