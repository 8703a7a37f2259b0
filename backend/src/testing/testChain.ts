/**
 * A throw-away chain for backend tests: a new in-process Hardhat network served over JSON-RPC on
 * 127.0.0.1 (random port) with the ledger deployed by `scripts/deploy/ledger.ts`, so code under
 * test reaches it over HTTP exactly as it reaches a real node.
 *
 * ```ts
 * const chain = await startTestChain();            // ~1-2 s; once per test file (beforeAll)
 * const ledger = ledgerActions(chain);             // viem helpers: kyc, tokenize, transfer, ...
 * const alice = chain.users[0];
 * await ledger.kyc(alice.address);
 * const { batchId } = await ledger.tokenize(testBatchInfo(1n, 100n), alice.address);
 * const snap = await chain.snapshot(); ...; await chain.revert(snap);
 * await chain.close();                             // afterAll
 * ```
 *
 * The deployment includes the SettlementEscrow (a registered Custody identity) and a
 * TestStablecoin as its payment token (`deployment.contracts.escrow` / `.stablecoin`).
 *
 * Accounts (Hardhat's test mnemonic, 10,000 ETH each): `accounts[0]` deploys and is admin,
 * `accounts[1]` is compliance, `accounts[2]` the pauser, `accounts[3]` the settlement fee
 * treasury, `accounts[4..]` are `users`. Oracle
 * signers are separate deterministic keys (`keccak256("oracle-<i>")`, the same as the contract
 * tests' `oracleWallets`), sorted by address; the default quorum is 2 of 3.
 */
import { BrowserProvider } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { keccak256, toBytes, type Chain, type Hex, type PrivateKeyAccount, type PublicClient, type Transport } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployLedger, describeDeployment } from "../../../scripts/deploy/ledger";
import { serveEmbeddedChain } from "../../../scripts/platform/chain";
import { publicClientFor } from "../chain/clients";
import { deploymentSchema, type Deployment } from "../chain/deployment";
import { createInProcessNetwork } from "./hardhat";

export interface StartTestChainOptions {
  /** Number of oracle signers (default 3). */
  readonly oracles?: number;
  /** Quorum threshold M (default 2). */
  readonly threshold?: number;
  /** Settlement fee in basis points (default 0). */
  readonly feeBps?: number;
}

/** Id of an `evm_snapshot`; a snapshot can be reverted to once. */
export type SnapshotId = Hex;

export interface TestChain {
  readonly rpcUrl: string;
  readonly chainId: number;
  /** The deployment record, as `readDeployment` would return it. */
  readonly deployment: Deployment;
  /** Private keys of the funded dev accounts (Hardhat's test mnemonic), in derivation order. */
  readonly accounts: readonly Hex[];
  readonly admin: PrivateKeyAccount;
  readonly compliance: PrivateKeyAccount;
  readonly pauser: PrivateKeyAccount;
  /** Receives the settlement fees. */
  readonly treasury: PrivateKeyAccount;
  /** Funded accounts without any role (accounts[4..]). */
  readonly users: readonly PrivateKeyAccount[];
  /** Private keys of the oracle signer set of epoch 1, ascending by address. */
  readonly oracleKeys: readonly Hex[];
  readonly threshold: number;
  /** A viem public client on `rpcUrl`. */
  readonly publicClient: PublicClient<Transport, Chain>;
  /** Block number after the deployment. */
  readonly deploymentBlock: bigint;
  /** Saves the chain state; pass the id to {@link revert}. */
  snapshot(): Promise<SnapshotId>;
  /** Returns the chain to a snapshot (blocks mined after it are dropped: a reorg for whoever indexed them). */
  revert(id: SnapshotId): Promise<void>;
  /** Mines `blocks` empty blocks (default 1). */
  mine(blocks?: number): Promise<void>;
  /** Moves the clock forward by `seconds` and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  /** Current block number. */
  blockNumber(): Promise<bigint>;
  /** Timestamp of the latest block (unix seconds). */
  latestTimestamp(): Promise<bigint>;
  /** Raw JSON-RPC on the in-process provider (e.g. `evm_setAutomine`). */
  request(method: string, params?: unknown[]): Promise<unknown>;
  /** Stops the JSON-RPC server. */
  close(): Promise<void>;
}

/** The clock, mining and snapshot controls of a test chain, over its raw JSON-RPC `request`. */
export function chainControls(request: (method: string, params?: unknown[]) => Promise<unknown>) {
  return {
    request,
    snapshot: async (): Promise<SnapshotId> => (await request("evm_snapshot")) as SnapshotId,
    revert: async (id: SnapshotId): Promise<void> => {
      const reverted = await request("evm_revert", [id]);
      if (reverted !== true) throw new Error(`evm_revert(${id}) failed: unknown or already used snapshot`);
    },
    mine: async (blocks = 1): Promise<void> => {
      await request("hardhat_mine", [`0x${blocks.toString(16)}`]);
    },
    increaseTime: async (seconds: number): Promise<void> => {
      await request("evm_increaseTime", [seconds]);
      await request("evm_mine");
    },
    blockNumber: async (): Promise<bigint> => BigInt((await request("eth_blockNumber")) as string),
    latestTimestamp: async (): Promise<bigint> => {
      const block = (await request("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
      return BigInt(block.timestamp);
    },
  };
}

/** Deterministic oracle keys (`keccak256("oracle-<i>")`), ascending by signer address. */
export function testOracleKeys(count: number, tag = "oracle"): Hex[] {
  return Array.from({ length: count }, (_, i) => keccak256(toBytes(`${tag}-${i}`)))
    .map((key) => ({ key, address: BigInt(privateKeyToAccount(key).address) }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
    .map(({ key }) => key);
}

/** Starts a fresh chain with the ledger deployed (see the module comment). */
export async function startTestChain(options: StartTestChainOptions = {}): Promise<TestChain> {
  const oracleCount = options.oracles ?? 3;
  const threshold = options.threshold ?? 2;
  const network = await createInProcessNetwork();
  const { provider, accountKeys } = network;
  if (accountKeys.length < 5) throw new Error(`the hardhat network config funds ${accountKeys.length} accounts; the test chain needs at least 5`);
  const [admin, compliance, pauser, treasury, ...users] = accountKeys.map((key) => privateKeyToAccount(key));
  const oracleKeys = testOracleKeys(oracleCount);

  // serveEmbeddedChain serves `hre.network.provider`: hand it this chain's provider instead of the process-wide one.
  const hreOnThisNetwork = { ...network.hre, network: { ...network.hre.network, provider } } as HardhatRuntimeEnvironment;
  const served = await serveEmbeddedChain(hreOnThisNetwork, 0);
  try {
    // cacheTimeout -1: describeDeployment must read the block number after the last grant, not a cached one.
    const deployer = await new BrowserProvider(provider, undefined, { cacheTimeout: -1 }).getSigner(admin.address);
    const ledgerOptions = {
      admin: admin.address,
      compliance: compliance.address,
      pauser: pauser.address,
      oracleSigners: oracleKeys.map((key) => privateKeyToAccount(key).address),
      threshold,
      settlement: { treasury: treasury.address, feeBps: options.feeBps ?? 0 },
    };
    const ledger = await deployLedger(deployer, ledgerOptions);
    const deployment = deploymentSchema.parse(await describeDeployment(ledger, ledgerOptions, deployer));
    const request = (method: string, params: unknown[] = []) => provider.request({ method, params });
    const publicClient = publicClientFor(served.rpcUrl, served.chainId);

    return {
      rpcUrl: served.rpcUrl,
      chainId: served.chainId,
      deployment,
      accounts: accountKeys,
      admin,
      compliance,
      pauser,
      treasury,
      users,
      oracleKeys,
      threshold,
      publicClient,
      deploymentBlock: BigInt(deployment.blockNumber),
      ...chainControls(request),
      close: () => served.close(),
    };
  } catch (error) {
    await served.close();
    throw error;
  }
}
