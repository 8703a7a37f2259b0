/**
 * Hardhat 2 as a library, inside any runner (vitest, tsx, plain node).
 *
 * `require("hardhat")` loads `hardhat.config.ts`, which needs a TypeScript loader. The hardhat CLI
 * registers ts-node itself, the library entry point does not: under tsx a `.ts` loader is already
 * there, under vitest there is none (vitest transforms only the modules it imports itself), so
 * this module registers Hardhat's own ts-node set-up first when no `.ts` loader exists.
 *
 * Each {@link createInProcessNetwork} call makes a NEW in-process Hardhat network (its own EDR
 * provider, chain and accounts) from the project's `hardhat` network config, instead of using the
 * process-wide `hre.network.provider`: two chains in one process never see each other.
 */
import { createRequire } from "node:module";
import type { EthereumProvider, HardhatRuntimeEnvironment } from "hardhat/types";
import type { Hex } from "viem";
import { configureEdrAllocator, tuneEdrProvider } from "./edrTuning";

const requireHere = createRequire(__filename);

let runtime: HardhatRuntimeEnvironment | undefined;

/** The Hardhat runtime environment of this process (loaded once; Hardhat keeps it process-wide). */
export function loadHardhatRuntime(): HardhatRuntimeEnvironment {
  if (runtime === undefined) {
    configureEdrAllocator();
    if (!(".ts" in requireHere.extensions)) {
      const typescriptSupport = requireHere("hardhat/internal/core/typescript-support") as {
        loadTsNode(tsConfigPath?: string, shouldTypecheck?: boolean): void;
      };
      typescriptSupport.loadTsNode(undefined, false);
    }
    runtime = requireHere("hardhat") as HardhatRuntimeEnvironment;
  }
  return runtime;
}

/**
 * Loads EDR's native module (with {@link configureEdrAllocator}'s settings) the way Hardhat does,
 * without the rest of Hardhat: its allocator reserves its arena as it loads, so
 * `edrArenaPages` (edrTuning.ts) can tell right after this what the arena got.
 */
export function loadEdr(): void {
  configureEdrAllocator();
  const { requireNapiRsModule } = requireHere("hardhat/common/napi-rs") as { requireNapiRsModule(id: string): unknown };
  requireNapiRsModule("@nomicfoundation/edr");
}

/** A fresh in-process Hardhat network and the private keys of its funded accounts. */
export interface InProcessNetwork {
  readonly hre: HardhatRuntimeEnvironment;
  readonly provider: EthereumProvider;
  /** Private keys of the accounts the `hardhat` network config funds (by default the 20 accounts of Hardhat's test mnemonic). */
  readonly accountKeys: readonly Hex[];
}

/** Starts a new in-process Hardhat network with the project's `hardhat` network settings. */
export async function createInProcessNetwork(): Promise<InProcessNetwork> {
  const hre = loadHardhatRuntime();
  const { createProvider } = requireHere("hardhat/internal/core/providers/construction") as {
    createProvider(config: HardhatRuntimeEnvironment["config"], networkName: string, artifacts?: HardhatRuntimeEnvironment["artifacts"]): Promise<EthereumProvider>;
  };
  const { normalizeHardhatNetworkAccountsConfig } = requireHere("hardhat/internal/core/providers/util") as {
    normalizeHardhatNetworkAccountsConfig(accounts: unknown): Array<{ privateKey: string }>;
  };
  // With the artifacts (build info for Solidity stack traces, ~0.4 s per chain) EDR executes
  // heavy transactions several times faster; requests go to EDR one at a time and their traces
  // are freed at once (see edrTuning.ts).
  const provider = tuneEdrProvider(await createProvider(hre.config, "hardhat", hre.artifacts));
  const accountKeys = normalizeHardhatNetworkAccountsConfig(hre.config.networks.hardhat.accounts).map(
    (account) => account.privateKey.toLowerCase() as Hex,
  );
  return { hre, provider, accountKeys };
}
