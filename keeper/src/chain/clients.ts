import { createPublicClient, defineChain, type Chain, type PublicClient, type Transport } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Hex } from "viem";
import {
  createFailoverTransport,
  type FailoverTransportOptions,
  type FailoverTransportStats,
} from "./failoverTransport.js";

export type KeeperPublicClient = PublicClient<Transport, Chain>;

export type ChainClients = {
  publicClient: KeeperPublicClient;
  /** Signs transactions locally: the nodes only ever see raw signed transactions. */
  account: PrivateKeyAccount;
  chain: Chain;
  rpc: { urls: readonly string[]; stats: FailoverTransportStats };
};

export type CreateChainClientsOptions = Omit<FailoverTransportOptions, "urls"> & {
  rpcUrls: readonly string[];
  privateKey: Hex;
  /** Checked against the node's `eth_chainId` when given; read from it otherwise. */
  chainId?: number | undefined;
  /** Receipt and block polling. Default 250 ms. */
  pollingIntervalMs?: number;
};

/** The keeper's viem clients: one public client over every RPC URL with failover, and its key. */
export async function createChainClients(options: CreateChainClientsOptions): Promise<ChainClients> {
  const { transport, stats, urls } = createFailoverTransport({ ...options, urls: options.rpcUrls });
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId();
  if (options.chainId !== undefined && options.chainId !== chainId) {
    throw new Error(`the RPC nodes serve chain ${chainId}, the configuration expects ${options.chainId}`);
  }
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [...urls] } },
  });
  const publicClient = createPublicClient({
    chain,
    transport,
    pollingInterval: options.pollingIntervalMs ?? 250,
  }) as KeeperPublicClient;
  return { publicClient, account: privateKeyToAccount(options.privateKey), chain, rpc: { urls, stats } };
}
