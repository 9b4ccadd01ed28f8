/** The keeper's chain access: viem clients with RPC failover, nonce and transaction tracking, event reading. */
export {
  createChainClients,
  type ChainClients,
  type CreateChainClientsOptions,
  type KeeperPublicClient,
} from "./clients.js";
export {
  createFailoverTransport,
  sleep,
  type FailoverEvent,
  type FailoverTransport,
  type FailoverTransportOptions,
  type FailoverTransportStats,
} from "./failoverTransport.js";
export {
  NonceManager,
  NonceConsumedError,
  TransactionTimeoutError,
  type NonceManagerEvent,
  type NonceManagerOptions,
  type TrackedTx,
  type TxAttempt,
  type TxRequest,
} from "./nonceManager.js";
export {
  batchOutcome,
  findBatchOutcome,
  receiptEvents,
  type BatchOutcome,
  type BatchSettledEvent,
  type FillSettledEvent,
  type FillSkippedEvent,
} from "./events.js";
