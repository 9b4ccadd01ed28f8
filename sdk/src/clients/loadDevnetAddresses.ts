import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getAddress, isAddress, type Address } from "viem";
import { LucentError } from "../errors.js";
import type { LucentAddresses } from "./types.js";

/** `deployed_addresses.json` of the devnet (`npm run devnet`), from the repository root. */
export const DEVNET_DEPLOYMENT_FILE = fileURLToPath(
  new URL("../../../ignition/deployments/chain-31337/deployed_addresses.json", import.meta.url),
);

export type LoadDevnetAddressesParameters = {
  /** An Ignition `deployed_addresses.json`; defaults to {@link DEVNET_DEPLOYMENT_FILE}. */
  file?: string | undefined;
};

export type LoadDevnetAddressesReturnType = LucentAddresses & {
  /** Every contract of the deployment by its Ignition future id (`Lucent#USD`, `Lucent#BtcUsdOracle`...). */
  contracts: Readonly<Record<string, Address>>;
};

export type LoadDevnetAddressesErrorType = DeploymentNotFoundError;

/** The deployment file is missing, unreadable, or lacks a contract the SDK needs. */
export class DeploymentNotFoundError extends LucentError {
  override name = "DeploymentNotFoundError";
  constructor({ file, reason }: { file: string; reason: string }, cause?: unknown) {
    super(`No Lucent deployment in ${file}: ${reason}. Is \`npm run devnet\` running?`, {
      details: { file, reason },
      cause,
    });
  }
}

/**
 * Reads the addresses Ignition recorded for `ignition/modules/Lucent.ts` (or the existing-collateral
 * module: future ids are matched by contract name, `<module>#Clearinghouse`).
 */
export function loadDevnetAddresses({
  file = DEVNET_DEPLOYMENT_FILE,
}: LoadDevnetAddressesParameters = {}): LoadDevnetAddressesReturnType {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new DeploymentNotFoundError({ file, reason: "cannot read the file" }, error);
  }
  if (typeof json !== "object" || json === null)
    throw new DeploymentNotFoundError({ file, reason: "not a JSON object" });
  const contracts: Record<string, Address> = {};
  for (const [id, value] of Object.entries(json)) {
    if (typeof value === "string" && isAddress(value, { strict: false })) contracts[id] = getAddress(value);
  }
  const find = (name: string): Address | undefined =>
    Object.entries(contracts).find(([id]) => id.slice(id.indexOf("#") + 1) === name)?.[1];
  const clearinghouse = find("Clearinghouse");
  const marketRegistry = find("MarketRegistry");
  if (clearinghouse === undefined || marketRegistry === undefined) {
    throw new DeploymentNotFoundError({ file, reason: "it has no Clearinghouse or MarketRegistry" });
  }
  return {
    clearinghouse,
    marketRegistry,
    keeperRegistry: find("KeeperRegistry"),
    accessManager: find("AccessManager"),
    contracts,
  };
}
