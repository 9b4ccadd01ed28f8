export { LucentError, type LucentErrorDetails, type LucentErrorOptions } from "./errors.js";

export {
  lucentDomain,
  orderTypes,
  OrderFlags,
  SkipReason,
  ORDER_TYPE,
  LUCENT_DOMAIN_NAME,
  LUCENT_DOMAIN_VERSION,
  type Order,
  type OrderFlag,
  type LucentDomain,
  type LucentDomainParameters,
} from "./orders/types.js";
export {
  validateOrder,
  InvalidOrderFieldError,
  ORDER_FIELD_BITS,
  type ValidateOrderErrorType,
} from "./orders/validateOrder.js";
export {
  hashOrder,
  type HashOrderParameters,
  type HashOrderReturnType,
  type HashOrderErrorType,
} from "./orders/hashOrder.js";
export {
  signOrder,
  SignerAccountMissingError,
  type OrderSigner,
  type SignOrderParameters,
  type SignOrderReturnType,
  type SignOrderErrorType,
} from "./orders/signOrder.js";
export { signCancel, cancelTypes, CANCEL_TYPE, type SignCancelParameters } from "./orders/signCancel.js";
export {
  toCompactSignature,
  tryToCompactSignature,
  InvalidSignatureError,
  type ToCompactSignatureErrorType,
} from "./orders/signature.js";
export { BatchLayout } from "./orders/batchLayout.js";
export {
  encodeBatch,
  encodeSignedOrder,
  SignatureTooLongError,
  type Fill,
  type SignedOrder,
  type EncodeBatchParameters,
  type EncodeBatchReturnType,
  type EncodeBatchErrorType,
} from "./orders/encodeBatch.js";
export {
  decodeBatch,
  BatchTruncatedError,
  type DecodedFill,
  type DecodedSignedOrder,
  type DecodeBatchParameters,
  type DecodeBatchReturnType,
  type DecodeBatchErrorType,
} from "./orders/decodeBatch.js";
export {
  subaccountId,
  InvalidSubaccountError,
  type SubaccountIdParameters,
  type SubaccountIdReturnType,
  type SubaccountIdErrorType,
} from "./accounts/subaccountId.js";
export { MathError, PanicCode, MAX_UINT256, MAX_INT256, MIN_INT256, type MathErrorType } from "./math/checked.js";
export { WAD, mulDiv, mulDivBoth, abs, signedMulDiv, mulRateUp, mulRateDown, divUp } from "./math/fixedPoint.js";
export {
  MarketKind,
  signedValue,
  notional,
  valueAndNotional,
  magnitudes,
  pnl,
  margin,
  contractsForExposure,
} from "./math/contractMath.js";
export {
  applyTrade,
  applyFill,
  MAX_FILL_VALUE,
  unrealizedPnl,
  increasesRisk,
  type Trade,
} from "./math/positionMath.js";
export {
  markPrice,
  clampPremium,
  premiumSample,
  updatePremiumEma,
  fundingRate,
  fundingPrecision,
  fundingIndexDelta,
  fundingOwed,
} from "./math/fundingMath.js";
export * from "./abi/index.js";
export * from "./clients/index.js";
export * from "./actions/index.js";
// A namespace: the root already exports the account-level `bankruptcyPrice` of actions/subaccountHealth.ts.
export * as liquidationMath from "./math/liquidationMath.js";
export {
  adlScore,
  createAdlScorer,
  type AdlScorer,
  type AdlScoreParameters,
  type AdlScoreReturnType,
  type AdlScoreErrorType,
} from "./adl/adlScore.js";
export {
  rankAdlSide,
  adlIndicator,
  type AdlPosition,
  type AdlMarket,
  type AdlIndicator,
  type AdlSubaccountId,
  type RankedAdlPosition,
  type RankAdlSideParameters,
  type RankAdlSideReturnType,
  type RankAdlSideErrorType,
} from "./adl/rankAdlSide.js";
// AdlPolicy itself is exported by actions/getMarkets.ts (the same enum values).
export {
  allocateAdl,
  type AdlAllocation,
  type AllocateAdlParameters,
  type AllocateAdlReturnType,
  type AllocateAdlErrorType,
} from "./adl/allocateAdl.js";
export {
  InvalidAdlInputError,
  AdlEmptyPositionError,
  AdlMixedSidesError,
  AdlDuplicateSubaccountError,
  AdlShortfallExceedsSideError,
  AdlLotMismatchError,
} from "./adl/errors.js";
export {
  quantoExposure,
  InvalidQuantoInputError,
  type QuantoExposureParameters,
  type QuantoExposureReturnType,
  type QuantoExposureErrorType,
} from "./quanto/quantoExposure.js";
export {
  quantoHedgePnl,
  type QuantoHedgePnlParameters,
  type QuantoHedgePnlReturnType,
  type QuantoHedgePnlErrorType,
} from "./quanto/quantoHedgePnl.js";
export {
  encodeLiquidationFills,
  type LiquidationFill,
  type EncodeLiquidationFillsParameters,
  type EncodeLiquidationFillsReturnType,
  type EncodeLiquidationFillsErrorType,
} from "./orders/encodeLiquidationFills.js";
export {
  getAdlRanking,
  rankSide,
  AdlSideCountMismatchError,
  type AdlSideName,
  type AdlRankingEntry,
  type GetAdlRankingParameters,
  type GetAdlRankingReturnType,
  type GetAdlRankingErrorType,
} from "./adl/getAdlRanking.js";
export {
  auditAdl,
  type AdlAuditResult,
  type AdlDiscrepancy,
  type AdlCounterpartyClaim,
  type AuditAdlParameters,
  type AuditAdlReturnType,
  type AuditAdlErrorType,
} from "./adl/auditAdl.js";
export {
  getInsuranceVault,
  summarizeFlows,
  InsuranceFlowReason,
  INSURANCE_FLOW_REASON_NAMES,
  type InsuranceFlowReasonName,
  type InsuranceFlowSummary,
  type InsuranceVaultState,
  type GetInsuranceVaultParameters,
  type GetInsuranceVaultReturnType,
  type GetInsuranceVaultErrorType,
} from "./actions/getInsuranceVault.js";
