export type {
  LucentAddresses,
  LucentClient,
  LucentPublicClient,
  LucentTransactionRequest,
  LucentWallet,
} from "./types.js";
export {
  createLucentClient,
  checkAddresses,
  type CreateLucentClientParameters,
  type CreateLucentClientReturnType,
  type CreateLucentClientErrorType,
} from "./createLucentClient.js";
export {
  createLucentClientFromEthers,
  ethersTransport,
  ethersAccount,
  ethersWallet,
  EthersSignerUnsupportedError,
  type EthersProviderLike,
  type EthersSignerLike,
  type CreateLucentClientFromEthersParameters,
} from "./ethers.js";
export {
  loadDevnetAddresses,
  DEVNET_DEPLOYMENT_FILE,
  DeploymentNotFoundError,
  type LoadDevnetAddressesParameters,
  type LoadDevnetAddressesReturnType,
  type LoadDevnetAddressesErrorType,
} from "./loadDevnetAddresses.js";
