import type { Address, Chain, Hash, Hex, PublicClient, Transport } from "viem";
import type { OrderSigner } from "../orders/signOrder.js";

/** The deployed contracts an SDK client talks to. */
export type LucentAddresses = {
  clearinghouse: Address;
  marketRegistry: Address;
  keeperRegistry?: Address | undefined;
  accessManager?: Address | undefined;
};

/** Any viem public client. */
export type LucentPublicClient = PublicClient<Transport, Chain | undefined>;

/** A transaction to a Lucent contract: the calldata is built by the action. */
export type LucentTransactionRequest = { to: Address; data: Hex };

/**
 * What write actions need from a wallet, whichever library holds the key: the sender, a way to send
 * calldata, and an order signer for `signOrder`.
 */
export type LucentWallet = {
  readonly address: Address;
  sendTransaction(request: LucentTransactionRequest): Promise<Hash>;
  /** Pass to `signOrder({ signer })`. */
  readonly orderSigner: OrderSigner;
};

/** The client every action takes first (viem style: `getMarkets(client)`). */
export type LucentClient = {
  readonly publicClient: LucentPublicClient;
  /** Present when the client can send transactions (deposit, withdraw, cancel...). */
  readonly wallet: LucentWallet | undefined;
  readonly addresses: LucentAddresses;
};
