import { erc20Abi, type Hash } from "viem";
import type { LucentClient } from "../clients/types.js";
import type {
  InvalidParameterError,
  LucentContractError,
  LucentRpcError,
  TransactionRevertedError,
  UnknownCollateralError,
  WalletRequiredError,
} from "./errors.js";
import { read, readCollateral } from "./internal/read.js";
import { checkSmallUint, checkUint } from "./internal/validate.js";
import { requireWallet, sendCall, writeClearinghouse, type WriteReturnType } from "./internal/write.js";

export type DepositParameters = {
  collateral: number;
  /** Subaccount index (default 0). */
  subaccount?: number | undefined;
  /** Collateral units (the token's smallest unit). */
  amount: bigint;
  /** Approve the clearinghouse for `amount` first when its allowance is short (default true). */
  approve?: boolean | undefined;
};

export type DepositReturnType = WriteReturnType & {
  /** The approval sent first, if one was needed. */
  approvalHash: Hash | null;
};

export type DepositErrorType =
  | InvalidParameterError
  | UnknownCollateralError
  | WalletRequiredError
  | LucentContractError
  | TransactionRevertedError
  | LucentRpcError;

/** Deposits collateral from the wallet into its subaccount (`Clearinghouse.deposit`). */
export async function deposit(
  client: LucentClient,
  { collateral, subaccount = 0, amount, approve = true }: DepositParameters,
): Promise<DepositReturnType> {
  checkSmallUint("collateral", collateral, 8);
  checkSmallUint("subaccount", subaccount, 8);
  checkUint("amount", amount, 256, true);
  const wallet = requireWallet(client, "deposit");
  const { token } = await readCollateral(client, collateral);
  const spender = client.addresses.clearinghouse;
  let approvalHash: Hash | null = null;
  if (approve) {
    const allowance = await read("allowance", token, () =>
      client.publicClient.readContract({
        address: token,
        abi: erc20Abi,
        functionName: "allowance",
        args: [wallet.address, spender],
      }),
    );
    if (allowance < amount) {
      approvalHash = (
        await sendCall(client, { address: token, abi: erc20Abi, functionName: "approve", args: [spender, amount] })
      ).hash;
    }
  }
  const result = await writeClearinghouse(client, "deposit", [collateral, subaccount, amount]);
  return { ...result, approvalHash };
}
