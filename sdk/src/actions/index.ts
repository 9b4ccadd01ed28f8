// Chain actions, viem style: `action(client, parameters)`, each with its Parameters, ReturnType and ErrorType.
export {
  InvalidAddressError,
  InvalidParameterError,
  UnknownMarketError,
  UnknownCollateralError,
  WalletRequiredError,
  LucentContractError,
  InsufficientFreeCollateralError,
  TransactionRevertedError,
  LucentRpcError,
  toLucentError,
  type LucentRevert,
  type LucentRevertName,
} from "./errors.js";
export type { CollateralInfo } from "./internal/read.js";
export type { WriteReturnType } from "./internal/write.js";
export {
  getMarkets,
  AdlPolicy,
  MARKET_KIND_NAMES,
  ADL_POLICY_NAMES,
  type Market,
  type MarketKindName,
  type AdlPolicyName,
  type GetMarketsParameters,
  type GetMarketsReturnType,
  type GetMarketsErrorType,
} from "./getMarkets.js";
export {
  getCollaterals,
  type GetCollateralsParameters,
  type GetCollateralsReturnType,
  type GetCollateralsErrorType,
} from "./getCollaterals.js";
export {
  getMarketState,
  type GetMarketStateParameters,
  type GetMarketStateReturnType,
  type GetMarketStateErrorType,
} from "./getMarketState.js";
export {
  getSubaccount,
  type SubaccountPosition,
  type GetSubaccountParameters,
  type GetSubaccountReturnType,
  type GetSubaccountErrorType,
} from "./getSubaccount.js";
export {
  subaccountHealth,
  riskPrice,
  liquidationPrice,
  bankruptcyPrice,
  type HealthPosition,
  type PositionHealth,
  type SubaccountHealthParameters,
  type SubaccountHealthReturnType,
  type RiskPriceParameters,
  type RiskPriceReturnType,
  type RiskPriceErrorType,
} from "./subaccountHealth.js";
export { deposit, type DepositParameters, type DepositReturnType, type DepositErrorType } from "./deposit.js";
export { withdraw, type WithdrawParameters, type WithdrawReturnType, type WithdrawErrorType } from "./withdraw.js";
export { transfer, type TransferParameters, type TransferReturnType, type TransferErrorType } from "./transfer.js";
export {
  cancelOrders,
  type CancelOrdersParameters,
  type CancelOrdersReturnType,
  type CancelOrdersErrorType,
} from "./cancelOrders.js";
export {
  cancelNonces,
  type CancelNoncesParameters,
  type CancelNoncesReturnType,
  type CancelNoncesErrorType,
} from "./cancelNonces.js";
export {
  raiseNonceFloor,
  type RaiseNonceFloorParameters,
  type RaiseNonceFloorReturnType,
  type RaiseNonceFloorErrorType,
} from "./raiseNonceFloor.js";
export {
  decodeLucentLogs,
  unpackFill,
  unpackSettledFills,
  SETTLED_FILL_BYTES,
  parseSubaccountId,
  type LucentEvent,
  type LucentEventName,
  type LucentLogMeta,
  type SettledFill,
  type SubaccountParts,
  type DecodeLucentLogsParameters,
  type DecodeLucentLogsReturnType,
  type DecodeLucentLogsErrorType,
} from "./decodeLucentLogs.js";
export { getEvents, type GetEventsParameters, type GetEventsReturnType, type GetEventsErrorType } from "./getEvents.js";
