import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";
import hardhatIgnitionViem from "@nomicfoundation/hardhat-ignition-viem";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";

// The compiler comes from the pinned npm package `solc`: nothing here may download a compiler.
const require = createRequire(import.meta.url);
const SOLC_VERSION = "0.8.30";
const solcJsPath = require.resolve("solc/soljson.js");

const solcSettings = {
  optimizer: { enabled: true, runs: 10_000 },
  viaIR: true,
  evmVersion: "cancun",
};

const rpcUrl = process.env.LUCENT_RPC_URL;
const deployerKey = process.env.LUCENT_DEPLOYER_KEY;

export default defineConfig({
  plugins: [hardhatViem, hardhatEthers, hardhatTypechain, hardhatIgnitionViem, hardhatNetworkHelpers],
  solidity: {
    // The same compilation for every build profile. Hardhat derives the `production` profile (used by
    // `hardhat ignition deploy`) from a single-version config without its `settings` (and the
    // clearinghouse needs viaIR), and compiles it `isolated`, which writes a build info without
    // `contracts` for contract-less files (types/Market.sol) that EDR then refuses to load.
    profiles: {
      default: { version: SOLC_VERSION, path: solcJsPath, settings: solcSettings },
      production: { version: SOLC_VERSION, path: solcJsPath, settings: solcSettings, isolated: false },
    },
    // Deployed by ignition/modules/Lucent.ts; Hardhat only builds artifacts for npm files listed here.
    npmFilesToBuild: ["@openzeppelin/contracts/access/manager/AccessManager.sol"],
  },
  paths: {
    tests: { solidity: "./test/contracts" },
  },
  test: {
    solidity: {
      fuzz: { runs: Number(process.env.FUZZ_RUNS ?? 256) },
      invariant: { runs: Number(process.env.INVARIANT_RUNS ?? 64), depth: 32, failOnRevert: false },
    },
  },
  networks: {
    // In-process EDR chain used by tests and benchmarks. The per-transaction gas cap
    // of 16,777,216 (EIP-7825) is the limit the batch benchmark measures against.
    default: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: "cancun",
      blockGasLimit: 60_000_000n,
      allowUnlimitedContractSize: false,
    },
    // `npm run devnet` serves this chain on 127.0.0.1:8545.
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    // Any other EVM chain: LUCENT_RPC_URL + LUCENT_DEPLOYER_KEY.
    ...(rpcUrl
      ? {
          remote: {
            type: "http" as const,
            chainType: "l1" as const,
            url: rpcUrl,
            accounts: deployerKey ? [deployerKey] : [],
          },
        }
      : {}),
  },
  typechain: { outDir: "types/ethers-contracts" },
});
