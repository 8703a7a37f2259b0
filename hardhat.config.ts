import { HardhatUserConfig, subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import { configureEdrAllocator } from "./backend/src/testing/edrTuning";

// EDR's allocator settings, before its native module loads (edrTuning.ts): the contract tests'
// ledger property test runs in 45 s instead of 74 s.
configureEdrAllocator();

// Serve the compiler from the `solc` npm package: this machine cannot download solc builds.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SOLC_VERSION: string = require("solc/package.json").version;
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }) => {
  if (args.solcVersion !== SOLC_VERSION) {
    throw new Error(`only solc ${SOLC_VERSION} is available offline (asked for ${args.solcVersion})`);
  }
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: args.solcVersion,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    longVersion: require("solc").version(),
  };
});

const config: HardhatUserConfig = {
  // viaIR with high runs: ~1-2k less gas per settlement path (bench/results/gas.json). CarbonCredit
  // stays on the legacy pipeline: its transfer path is ~1k cheaper there, and it is close to the
  // 24 KB code-size limit.
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 1_000_000 }, viaIR: true },
      },
    ],
    overrides: {
      "contracts/token/CarbonCredit.sol": {
        version: SOLC_VERSION,
        settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 10_000 } },
      },
    },
  },
  networks: {
    hardhat: { chainId: 31337 },
  },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  mocha: { timeout: 600_000 },
  gasReporter: { enabled: false },
};

export default config;
