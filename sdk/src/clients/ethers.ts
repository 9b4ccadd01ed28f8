// ethers v6 adapter: an ethers Provider becomes a viem transport, an ethers Signer a Lucent wallet
// and an order signer. The types are structural, so the SDK does not import ethers at runtime.
import {
  createPublicClient,
  custom,
  getAddress,
  hexToBytes,
  isHex,
  type Address,
  type Chain,
  type CustomTransport,
  type Hash,
  type Hex,
  type LocalAccount,
} from "viem";
import { toAccount } from "viem/accounts";
import { LucentError } from "../errors.js";
import { checkAddresses } from "./createLucentClient.js";
import type { LucentAddresses, LucentClient, LucentWallet } from "./types.js";

/** What the adapter uses of an ethers `JsonRpcApiProvider` (`JsonRpcProvider`, `BrowserProvider`, Hardhat's). */
export type EthersProviderLike = {
  send(method: string, params: unknown[]): Promise<unknown>;
};

type EthersTypedDataField = { name: string; type: string };

/** What the adapter uses of an ethers `Signer` (`Wallet`, `JsonRpcSigner`, Hardhat's signers). */
export type EthersSignerLike = {
  getAddress(): Promise<string>;
  signMessage(message: string | Uint8Array): Promise<string>;
  signTypedData(
    domain: Record<string, unknown>,
    types: Record<string, EthersTypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
  sendTransaction(transaction: { to: string; data: string }): Promise<{ hash: string }>;
};

/** The ethers signer was asked to do something only viem-held keys do here. */
export class EthersSignerUnsupportedError extends LucentError {
  override name = "EthersSignerUnsupportedError";
  constructor({ operation }: { operation: string }) {
    super(`An ethers signer cannot ${operation} through this adapter; send through the Lucent client's actions.`, {
      details: { operation },
    });
  }
}

/**
 * A viem transport that sends every JSON-RPC request through `provider.send`. ethers turns JSON-RPC
 * errors into its own (`CALL_EXCEPTION` with the revert data); they are handed back to viem in
 * JSON-RPC form, so reverts decode the same through either library.
 */
export function ethersTransport(provider: EthersProviderLike): CustomTransport {
  return custom({
    request: async ({ method, params }: { method: string; params?: unknown }) => {
      try {
        return await provider.send(method, Array.isArray(params) ? params : params === undefined ? [] : [params]);
      } catch (error) {
        throw toJsonRpcError(error);
      }
    },
  });
}

type EthersErrorShape = {
  code?: unknown;
  data?: unknown;
  message?: unknown;
  shortMessage?: unknown;
  info?: { error?: unknown } | undefined;
};

/** An ethers provider error as the JSON-RPC error it came from (`{ code, message, data }`). */
function toJsonRpcError(error: unknown): unknown {
  if (typeof error !== "object" || error === null) return error;
  const e = error as EthersErrorShape;
  if (typeof e.code === "number") return error; // already JSON-RPC shaped (e.g. Hardhat's provider)
  const inner = e.info?.error as EthersErrorShape | undefined;
  if (typeof inner === "object" && inner !== null && typeof inner.code === "number") {
    const message = typeof inner.message === "string" ? inner.message : "JSON-RPC error";
    return Object.assign(new Error(message, { cause: error }), { code: inner.code, data: inner.data });
  }
  if (e.code === "CALL_EXCEPTION" && typeof e.data === "string") {
    return Object.assign(new Error("execution reverted", { cause: error }), { code: 3, data: e.data });
  }
  return error;
}

/**
 * A viem account backed by an ethers signer: signs orders (`signOrder({ signer })`) and messages with
 * `signer.signTypedData` / `signer.signMessage`. Raw transaction signing is not supported.
 */
export function ethersAccount(signer: EthersSignerLike, address: Address): LocalAccount {
  return toAccount({
    address: getAddress(address),
    signMessage: async ({ message }) => {
      const payload =
        typeof message === "string" ? message : isHex(message.raw) ? hexToBytes(message.raw) : message.raw;
      return (await signer.signMessage(payload)) as Hex;
    },
    signTypedData: async (typedData) => {
      // ethers derives EIP712Domain itself and rejects it among the types.
      const { EIP712Domain: _domainType, ...types } = typedData.types as Record<string, EthersTypedDataField[]>;
      const domain = (typedData.domain ?? {}) as Record<string, unknown>;
      return (await signer.signTypedData(domain, types, typedData.message as Record<string, unknown>)) as Hex;
    },
    signTransaction: async () => {
      throw new EthersSignerUnsupportedError({ operation: "sign a raw transaction" });
    },
  });
}

/** A Lucent wallet whose transactions the ethers signer sends (and signs, and nonces). */
export async function ethersWallet(signer: EthersSignerLike): Promise<LucentWallet> {
  const address = getAddress(await signer.getAddress());
  return {
    address,
    orderSigner: ethersAccount(signer, address),
    sendTransaction: async ({ to, data }) => (await signer.sendTransaction({ to, data })).hash as Hash,
  };
}

export type CreateLucentClientFromEthersParameters = {
  provider: EthersProviderLike;
  /** Needed for write actions and order signing. */
  signer?: EthersSignerLike | undefined;
  addresses: LucentAddresses;
  chain?: Chain | undefined;
  /** How often viem polls for receipts, ms (default 1000). */
  pollingInterval?: number | undefined;
};

/** A Lucent client on an ethers v6 provider and, optionally, signer. */
export async function createLucentClientFromEthers({
  provider,
  signer,
  addresses,
  chain,
  pollingInterval = 1_000,
}: CreateLucentClientFromEthersParameters): Promise<LucentClient> {
  const publicClient = createPublicClient({ transport: ethersTransport(provider), chain, pollingInterval });
  return {
    publicClient,
    addresses: checkAddresses(addresses),
    wallet: signer === undefined ? undefined : await ethersWallet(signer),
  };
}
