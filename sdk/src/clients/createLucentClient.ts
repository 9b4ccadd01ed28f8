import { getAddress, isAddress, type Account, type Address, type Chain, type Transport, type WalletClient } from "viem";
import { InvalidAddressError } from "../actions/errors.js";
import { SignerAccountMissingError } from "../orders/signOrder.js";
import type { LucentAddresses, LucentClient, LucentPublicClient, LucentWallet } from "./types.js";

export type CreateLucentClientParameters = {
  publicClient: LucentPublicClient;
  /** Needed for write actions; its hoisted account (or `account`) sends the transactions. */
  walletClient?: WalletClient<Transport, Chain | undefined, Account | undefined> | undefined;
  /** The account to send with when the wallet client has none hoisted. */
  account?: Account | Address | undefined;
  addresses: LucentAddresses;
};

export type CreateLucentClientReturnType = LucentClient;

export type CreateLucentClientErrorType = InvalidAddressError | SignerAccountMissingError;

/** A Lucent client on viem clients. */
export function createLucentClient({
  publicClient,
  walletClient,
  account,
  addresses,
}: CreateLucentClientParameters): CreateLucentClientReturnType {
  return {
    publicClient,
    addresses: checkAddresses(addresses),
    wallet: walletClient === undefined ? undefined : viemWallet(walletClient, account),
  };
}

const ADDRESS_FIELDS = ["clearinghouse", "marketRegistry", "keeperRegistry", "accessManager"] as const;

/** Validates and checksums every address (a typo fails here, not at the first call); drops other fields. */
export function checkAddresses(addresses: LucentAddresses): LucentAddresses {
  const out: Partial<Record<(typeof ADDRESS_FIELDS)[number], Address>> = {};
  for (const field of ADDRESS_FIELDS) {
    const value: unknown = addresses[field];
    if (value === undefined && (field === "keeperRegistry" || field === "accessManager")) continue;
    if (typeof value !== "string" || !isAddress(value, { strict: false }))
      throw new InvalidAddressError({ field, value });
    out[field] = getAddress(value);
  }
  return out as LucentAddresses;
}

function viemWallet(
  walletClient: WalletClient<Transport, Chain | undefined, Account | undefined>,
  account: Account | Address | undefined,
): LucentWallet {
  const sender = account ?? walletClient.account;
  if (sender === undefined) throw new SignerAccountMissingError();
  const address = getAddress(typeof sender === "string" ? sender : sender.address);
  return {
    address,
    orderSigner: walletClient,
    sendTransaction: ({ to, data }) =>
      walletClient.sendTransaction({ account: sender, to, data, chain: walletClient.chain ?? null }),
  };
}
