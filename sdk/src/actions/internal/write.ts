import {
  encodeFunctionData,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type EncodeFunctionDataParameters,
  type Hash,
  type SimulateContractParameters,
} from "viem";
import { clearinghouseAbi } from "../../abi/clearinghouse.js";
import { lucentErrorsAbi } from "../../abi/errors.js";
import type { LucentClient, LucentWallet } from "../../clients/types.js";
import { decodeLucentLogs, type LucentEvent } from "../decodeLucentLogs.js";
import { LucentRpcError, TransactionRevertedError, WalletRequiredError, toLucentError } from "../errors.js";

/** What every write action returns once its transaction is mined. */
export type WriteReturnType = {
  hash: Hash;
  blockNumber: bigint;
  /** The clearinghouse's events of the transaction, decoded. */
  events: LucentEvent[];
};

export function requireWallet(client: LucentClient, action: string): LucentWallet {
  if (client.wallet === undefined) throw new WalletRequiredError({ action });
  return client.wallet;
}

/**
 * Simulates the call from the wallet's address (a revert becomes a typed error and nothing is sent),
 * sends it through the wallet, waits for the receipt and decodes the clearinghouse's events.
 */
export async function sendCall(
  client: LucentClient,
  { address, abi, functionName, args }: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] },
): Promise<WriteReturnType> {
  const wallet = requireWallet(client, functionName);
  try {
    // With every error ABI, so that viem decodes the revert for toLucentError.
    await client.publicClient.simulateContract({
      address,
      abi: [...abi, ...lucentErrorsAbi],
      functionName,
      args,
      account: wallet.address,
    } as unknown as SimulateContractParameters);
  } catch (error) {
    throw toLucentError(error, functionName, address);
  }
  const data = encodeFunctionData({ abi, functionName, args } as EncodeFunctionDataParameters);
  let hash: Hash;
  try {
    hash = await wallet.sendTransaction({ to: address, data });
  } catch (error) {
    throw new LucentRpcError({ functionName, address }, error);
  }
  const receipt = await client.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new TransactionRevertedError({ hash, functionName });
  const events = decodeLucentLogs({ logs: receipt.logs, address: client.addresses.clearinghouse });
  return { hash, blockNumber: receipt.blockNumber, events };
}

type ClearinghouseWrite = ContractFunctionName<typeof clearinghouseAbi, "nonpayable">;

/** {@link sendCall} to the clearinghouse, with the arguments typed by its ABI. */
export function writeClearinghouse<const functionName extends ClearinghouseWrite>(
  client: LucentClient,
  functionName: functionName,
  args: ContractFunctionArgs<typeof clearinghouseAbi, "nonpayable", functionName>,
): Promise<WriteReturnType> {
  return sendCall(client, {
    address: client.addresses.clearinghouse,
    abi: clearinghouseAbi,
    functionName,
    args: args as readonly unknown[],
  });
}
