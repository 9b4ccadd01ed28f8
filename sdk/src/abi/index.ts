// `as const` ABIs of the Lucent contracts, generated from the compiled interfaces (see generate.ts).
export { clearinghouseAbi } from "./clearinghouse.js";
export { marketRegistryAbi } from "./marketRegistry.js";
export { keeperRegistryAbi } from "./keeperRegistry.js";
export { indexOracleAbi } from "./indexOracle.js";
export { insuranceVaultAbi } from "./insuranceVault.js";
export { lucentErrorsAbi } from "./errors.js";
