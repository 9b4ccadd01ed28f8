// Drift guard: the committed `as const` ABIs must equal what the compiler emits for the contracts
// now. When this fails after a contract change, run `npx hardhat build && npx tsx sdk/src/abi/generate.ts`.
import { toEventSelector, toFunctionSelector, type Abi } from "viem";
import { describe, expect, it } from "vitest";
import { ABI_SOURCES, abiFromArtifacts, itemSignature } from "./sources.js";
import {
  clearinghouseAbi,
  indexOracleAbi,
  insuranceVaultAbi,
  keeperRegistryAbi,
  lucentErrorsAbi,
  marketRegistryAbi,
} from "./index.js";

const committed: Record<string, Abi> = {
  clearinghouseAbi,
  marketRegistryAbi,
  keeperRegistryAbi,
  indexOracleAbi,
  insuranceVaultAbi,
  lucentErrorsAbi,
};

describe("generated ABIs", () => {
  for (const source of ABI_SOURCES) {
    it(`${source.name} equals the compiled ABI of ${source.artifacts.map((a) => a.contract).join(", ")}`, async () => {
      const compiled = await abiFromArtifacts(source);
      expect(committed[source.name], "regenerate: npx tsx sdk/src/abi/generate.ts").toEqual(compiled);
    });
  }

  it("the clearinghouse ABI has the selectors the SDK relies on", () => {
    const signatures = (clearinghouseAbi as Abi).map((item) => itemSignature(item));
    expect(signatures).toContain("function withdraw(uint8,uint8,uint256,address)");
    expect(toFunctionSelector("withdraw(uint8,uint8,uint256,address)")).toBe(
      toFunctionSelector(clearinghouseAbi.find((i) => i.type === "function" && i.name === "withdraw")!),
    );
    const fill = clearinghouseAbi.find((i) => i.type === "event" && i.name === "FillSettled");
    expect(toEventSelector(fill!)).toBe(
      toEventSelector("FillSettled(bytes32,bytes32,bytes32,bytes32,uint256,uint256)"),
    );
  });

  it("the error ABI has each error once", () => {
    const signatures = lucentErrorsAbi.map((item) => itemSignature(item));
    expect(new Set(signatures).size).toBe(signatures.length);
    expect(signatures).toContain("error ClearinghouseInsufficientFreeCollateral(bytes32,uint256,uint256)");
    expect(signatures).toContain("error ERC20InsufficientAllowance(address,uint256,uint256)");
  });
});
