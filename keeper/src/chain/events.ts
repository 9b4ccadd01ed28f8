import { getAbiItem, type Address, type Hex, type Log, type TransactionReceipt } from "viem";
import { clearinghouseAbi } from "../../../sdk/src/abi/clearinghouse.js";
import { decodeLucentLogs, type LucentEvent } from "../../../sdk/src/actions/decodeLucentLogs.js";
import type { KeeperPublicClient } from "./clients.js";

export type FillSkippedEvent = Extract<LucentEvent, { eventName: "FillSkipped" }>;
export type FillSettledEvent = Extract<LucentEvent, { eventName: "FillSettled" }>;
export type BatchSettledEvent = Extract<LucentEvent, { eventName: "BatchSettled" }>;

/** What a `settleBatch` transaction did, from its receipt's logs. */
export type BatchOutcome = {
  batchIndex: bigint;
  transactionHash: Hex;
  blockNumber: bigint;
  settled: FillSettledEvent[];
  skipped: { fillIndex: number; orderHash: Hex; reason: number }[];
  batch: BatchSettledEvent | undefined;
};

/** The clearinghouse events of a receipt, decoded by the SDK. */
export function receiptEvents(receipt: TransactionReceipt, clearinghouse: Address): LucentEvent[] {
  return decodeLucentLogs({ logs: receipt.logs as Log[], address: clearinghouse });
}

/** Splits a `settleBatch` receipt into settled and skipped fills. */
export function batchOutcome(receipt: TransactionReceipt, clearinghouse: Address, batchIndex: bigint): BatchOutcome {
  const events = receiptEvents(receipt, clearinghouse);
  const batch = events.find(
    (e): e is BatchSettledEvent => e.eventName === "BatchSettled" && e.args.batchIndex === batchIndex,
  );
  return {
    batchIndex,
    transactionHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber,
    settled: events.filter((e): e is FillSettledEvent => e.eventName === "FillSettled"),
    skipped: events
      .filter((e): e is FillSkippedEvent => e.eventName === "FillSkipped")
      .map((e) => ({
        fillIndex: Number(e.args.fillIndex),
        orderHash: e.args.orderHash,
        reason: Number(e.args.reason),
      })),
    batch,
  };
}

/**
 * Finds the transaction that settled `keeper`'s batch `batchIndex` (its `BatchSettled` log; both are
 * indexed) and returns what it did; undefined when the chain has no such batch in the range.
 */
export async function findBatchOutcome(
  client: KeeperPublicClient,
  {
    clearinghouse,
    keeper,
    batchIndex,
    fromBlock = 0n,
  }: {
    clearinghouse: Address;
    keeper: Address;
    batchIndex: bigint;
    fromBlock?: bigint;
  },
): Promise<BatchOutcome | undefined> {
  const logs = await client.getLogs({
    address: clearinghouse,
    event: getAbiItem({ abi: clearinghouseAbi, name: "BatchSettled" }),
    args: { keeper, batchIndex },
    fromBlock,
    toBlock: "latest",
  });
  const log = logs.at(-1);
  if (log === undefined || log.transactionHash === null) return undefined;
  const receipt = await client.getTransactionReceipt({ hash: log.transactionHash });
  return batchOutcome(receipt, clearinghouse, batchIndex);
}
