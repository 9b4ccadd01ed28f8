// Where each generated ABI constant comes from. Shared by the generator and by the drift test
// (sdk/src/abi/abi.test.ts), which requires every constant to equal what the compiler emits now.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Repository root, from this file's location (sdk/src/abi/). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

type ArtifactRef = { contract: string; path: string };

/** One generated module: a constant, the artifact(s) it is taken from, and which ABI items it keeps. */
export type AbiSource = {
  /** File name in sdk/src/abi/ (without `.ts`). */
  file: string;
  /** Exported constant. */
  name: string;
  /** What the constant is, for its doc comment. */
  description: string;
  artifacts: readonly ArtifactRef[];
  /** Only `error` items (deduplicated by signature), for decoding any revert the deployment can raise. */
  errorsOnly?: boolean;
};

const artifact = (path: string): ArtifactRef => ({
  contract: path.slice(path.lastIndexOf(":") + 1),
  path: path.slice(0, path.lastIndexOf(":")),
});

export const ABI_SOURCES: readonly AbiSource[] = [
  {
    file: "clearinghouse",
    name: "clearinghouseAbi",
    description:
      "Everything callable at the clearinghouse's address: IClearinghouse (deposits, withdrawals, cancels, " +
      "batch settlement, reads, every event) and ILiquidation (the liquidation module its fallback runs).",
    artifacts: [
      artifact("contracts/interfaces/IClearinghouse.sol:IClearinghouse"),
      artifact("contracts/interfaces/ILiquidation.sol:ILiquidation"),
    ],
  },
  {
    file: "marketRegistry",
    name: "marketRegistryAbi",
    description: "IMarketRegistry: listed collaterals and markets.",
    artifacts: [artifact("contracts/interfaces/IMarketRegistry.sol:IMarketRegistry")],
  },
  {
    file: "keeperRegistry",
    name: "keeperRegistryAbi",
    description: "IKeeperRegistry: keeper bonds.",
    artifacts: [artifact("contracts/interfaces/IKeeperRegistry.sol:IKeeperRegistry")],
  },
  {
    file: "indexOracle",
    name: "indexOracleAbi",
    description: "IIndexOracle: a market's index price adapter.",
    artifacts: [artifact("contracts/interfaces/IIndexOracle.sol:IIndexOracle")],
  },
  {
    file: "insuranceVault",
    name: "insuranceVaultAbi",
    description: "InsuranceVault: a collateral's ERC-4626 insurance vault (SPEC §8); it has no interface file.",
    artifacts: [artifact("contracts/core/InsuranceVault.sol:InsuranceVault")],
  },
  {
    file: "errors",
    name: "lucentErrorsAbi",
    description:
      "Every custom error the deployed contracts can revert with (the core contracts' own, their libraries', " +
      "OpenZeppelin's AccessManaged/SafeERC20, and the OpenZeppelin ERC-20 errors a collateral token raises).",
    artifacts: [
      artifact("contracts/core/Clearinghouse.sol:Clearinghouse"),
      artifact("contracts/core/MarketRegistry.sol:MarketRegistry"),
      artifact("contracts/core/KeeperRegistry.sol:KeeperRegistry"),
      artifact("contracts/core/LiquidationModule.sol:LiquidationModule"),
      artifact("contracts/core/InsuranceVault.sol:InsuranceVault"),
      artifact("contracts/mocks/MockERC20.sol:MockERC20"),
    ],
    errorsOnly: true,
  },
];

export type AbiItemJson = { type: string; name?: string; inputs?: readonly AbiParamJson[] } & Record<string, unknown>;
type AbiParamJson = { type: string; components?: readonly AbiParamJson[] } & Record<string, unknown>;

/** `name(type,...)` with tuples expanded, as in a selector. */
export function itemSignature(item: AbiItemJson): string {
  const param = (p: AbiParamJson): string =>
    p.type.startsWith("tuple") ? `(${(p.components ?? []).map(param).join(",")})${p.type.slice(5)}` : p.type;
  return `${item.type} ${item.name ?? ""}(${(item.inputs ?? []).map(param).join(",")})`;
}

/** The ABI a source should contain, read from the Hardhat artifacts (`npx hardhat build`). */
export async function abiFromArtifacts(source: AbiSource, root = REPO_ROOT): Promise<AbiItemJson[]> {
  const items: AbiItemJson[] = [];
  for (const ref of source.artifacts) {
    const file = `${root}/artifacts/${ref.path}/${ref.contract}.json`;
    let json: { abi: AbiItemJson[] };
    try {
      json = JSON.parse(await readFile(file, "utf8")) as { abi: AbiItemJson[] };
    } catch (error) {
      throw new Error(`cannot read ${file}: run \`npx hardhat build\` first`, { cause: error });
    }
    items.push(...json.abi);
  }
  if (!source.errorsOnly) return items;
  const errors = new Map<string, AbiItemJson>();
  for (const item of items) if (item.type === "error") errors.set(itemSignature(item), item);
  return [...errors.values()].sort((a, b) => itemSignature(a).localeCompare(itemSignature(b)));
}
