/**
 * The demo world of `npm start`, built through the platform's real paths: real-format registry
 * issuances in the simulator, locked into the platform's custody account, tokenized only on a 2-of-3
 * oracle quorum (the nodes read the registry themselves), KYC-verified traders funded with the test
 * stablecoin, and open sell orders signed by a trader.
 */
import { keccak256, stringToHex, type Address, type Hex, type PublicClient } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { carbonCreditAbi, identityRegistryAbi, testStablecoinAbi } from "../../backend/src/chain/abis";
import { walletClientFor } from "../../backend/src/chain/clients";
import type { Deployment } from "../../backend/src/chain/deployment";
import type { RegistryId } from "../../backend/src/domain";
import { createRegistryAdapter, registryApiBaseUrl } from "../../backend/src/registry";
import { DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS, type RunningRegistrySimulator } from "../../backend/src/registry/simulator";
import { seedHolding, SimulatorClient } from "../../backend/src/registry/simulator/testing";
import { ORDER_TYPES } from "../../backend/src/chain/eip712";

export interface DemoBatch {
  registry: RegistryId;
  owner: Address;
  quantity: number;
  batchId: bigint;
  serialNumber: string;
}

export interface SeedOptions {
  rpcUrl: string;
  publicClient: PublicClient;
  deployment: Deployment;
  registry: RunningRegistrySimulator;
  admin: PrivateKeyAccount;
  compliance: PrivateKeyAccount;
  traders: readonly PrivateKeyAccount[];
  log: (line: string) => void;
}

const ONE_YEAR = 365n * 24n * 3600n;
/** Test stablecoin each trader starts with: 1,000,000 tUSDC (6 decimals). */
export const DEMO_STABLECOIN = 1_000_000n * 10n ** 6n;

/** The issuances the demo tokenizes: [registry, trader index, tonnes, project]. */
const DEMO_ISSUANCES: ReadonlyArray<[RegistryId, number, number, Record<string, unknown>]> = [
  ["VERRA", 0, 1000, { methodology: "VM0015", sectoralScope: 14, country: "ET" }],
  ["VERRA", 0, 400, { methodology: "VM0042", sectoralScope: 14, country: "BR" }],
  ["GOLD_STANDARD", 1, 600, { projectTypeCode: 16, sectoralScope: 3, country: "KE" }],
];

async function confirm(publicClient: PublicClient, hash: Hex): Promise<void> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== "success") throw new Error(`seed transaction ${hash} reverted`);
}

/** KYC-verifies the traders (compliance key), funds them with the test stablecoin. */
export async function onboardTraders(o: SeedOptions): Promise<void> {
  const compliance = walletClientFor(o.rpcUrl, o.deployment.chainId, o.compliance);
  const admin = walletClientFor(o.rpcUrl, o.deployment.chainId, o.admin);
  const latest = await o.publicClient.getBlock();
  for (const trader of o.traders) {
    await confirm(
      o.publicClient,
      await compliance.writeContract({
        address: o.deployment.contracts.identity,
        abi: identityRegistryAbi,
        functionName: "setIdentity",
        args: [
          trader.address,
          {
            status: 2, // Verified
            entityType: 2, // Company
            country: stringToHex("US", { size: 2 }),
            kycExpiry: latest.timestamp + ONE_YEAR,
            sanctionsCleared: true,
            registryAccountsHash: keccak256(stringToHex(`demo-registry-accounts-${trader.address}`)),
          },
        ],
      }),
    );
    if (o.deployment.contracts.stablecoin !== undefined) {
      await confirm(
        o.publicClient,
        await admin.writeContract({
          address: o.deployment.contracts.stablecoin,
          abi: testStablecoinAbi,
          functionName: "mint",
          args: [trader.address, DEMO_STABLECOIN],
        }),
      );
    }
  }
}

/**
 * Issues each demo block at the registry and locks it into the platform custody account with the
 * trader's wallet as memo. Nothing here mints: the registry's webhook reaches the sync pipeline,
 * the oracle nodes read the lock from the registry themselves and the batch is tokenized on their
 * 2-of-3 attestation; this waits until it is on-chain.
 */
export async function tokenizeDemoBatches(o: SeedOptions, timeoutMs = 90_000): Promise<DemoBatch[]> {
  const client = new SimulatorClient(o.registry.url);
  const pending: { registry: RegistryId; owner: Address; quantity: number; serialNumber: string; lockRef: Hex }[] = [];
  for (const [registry, traderIndex, quantity, project] of DEMO_ISSUANCES) {
    const owner = o.traders[traderIndex].address;
    const adapter = createRegistryAdapter(registry, { baseUrl: registryApiBaseUrl(o.registry.url, registry), timeoutMs: 5_000 });
    const { account, issuance } = await seedHolding(client, registry, quantity, project);
    const lockRef = keccak256(stringToHex(`demo-lock-${issuance.id}`));
    await adapter.submitLock({
      requestId: `demo-lock-${issuance.id}`,
      serial: issuance.serialNumber,
      fromAccount: account.id,
      custodyAccount: DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS[registry],
      lockRef,
      owner,
      chainId: o.deployment.chainId,
    });
    pending.push({ registry, owner, quantity, serialNumber: issuance.serialNumber, lockRef });
  }
  o.registry.control.tick(); // the registry processes the locks now instead of at its next cycle
  const batches: DemoBatch[] = [];
  const deadline = Date.now() + timeoutMs;
  for (const p of pending) {
    for (;;) {
      const [created] = await o.publicClient.getContractEvents({
        address: o.deployment.contracts.credit,
        abi: carbonCreditAbi,
        eventName: "BatchCreated",
        args: { lockRef: p.lockRef },
        fromBlock: 0n,
      });
      if (created !== undefined) {
        batches.push({ registry: p.registry, owner: p.owner, quantity: p.quantity, batchId: created.args.batchId!, serialNumber: p.serialNumber });
        o.log(`tokenized ${p.registry} ${p.serialNumber} (${p.quantity} t) as batch ${created.args.batchId} for ${p.owner} on the oracle quorum's attestation`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the registry lock of ${p.serialNumber} was not tokenized within ${timeoutMs} ms (is the sync pipeline running?)`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return batches;
}

/**
 * Records the integrity labels of the demo batches (compliance's call, with its reason on-chain):
 * the first Verra batch is ICVCM CCP-approved and CORSIA-eligible, the Gold Standard batch CCP.
 */
export async function labelDemoBatches(o: SeedOptions, batches: readonly DemoBatch[]): Promise<void> {
  const compliance = walletClientFor(o.rpcUrl, o.deployment.chainId, o.compliance);
  const plan: Array<[DemoBatch | undefined, number, string]> = [
    [batches.find((b) => b.registry === "VERRA"), 1 | 2, "ICVCM CCP-approved methodology; CORSIA eligible unit (demo)"],
    [batches.find((b) => b.registry === "GOLD_STANDARD"), 1, "ICVCM CCP-approved methodology (demo)"],
  ];
  for (const [batch, labels, reason] of plan) {
    if (batch === undefined) continue;
    await confirm(
      o.publicClient,
      await compliance.writeContract({
        address: o.deployment.contracts.credit,
        abi: carbonCreditAbi,
        functionName: "setBatchLabels",
        args: [batch.batchId, labels, 1 /* corresponding adjustment not required */, reason],
      }),
    );
  }
}

/** Lets the escrow deliver a seller's credits when their orders are filled. */
export async function approveEscrow(o: SeedOptions, seller: PrivateKeyAccount): Promise<void> {
  const wallet = walletClientFor(o.rpcUrl, o.deployment.chainId, seller);
  await confirm(
    o.publicClient,
    await wallet.writeContract({
      address: o.deployment.contracts.credit,
      abi: carbonCreditAbi,
      functionName: "setApprovalForAll",
      args: [o.deployment.contracts.escrow!, true],
    }),
  );
}

/** Open demo orders: [tonnes, price in whole dollars per tonne, minimum fill]. */
const DEMO_ORDERS: ReadonlyArray<[bigint, bigint, bigint]> = [
  [100n, 12n, 5n],
  [250n, 14n, 10n],
];

/**
 * Signs sell orders for each of the seller's demo batches (EIP-712, the escrow's domain) and posts
 * them to the platform's order book with the seller's session. Returns the posted order hashes.
 */
export async function postDemoOrders(
  o: SeedOptions & { apiUrl: string; token: string },
  seller: PrivateKeyAccount,
  batches: readonly DemoBatch[],
): Promise<Hex[]> {
  const escrow = o.deployment.contracts.escrow!;
  const latest = await o.publicClient.getBlock();
  const hashes: Hex[] = [];
  let salt = 1n;
  for (const batch of batches.filter((b) => b.owner === seller.address)) {
    for (const [quantity, dollars, minFill] of DEMO_ORDERS) {
      const order = {
        seller: seller.address,
        batchId: batch.batchId,
        quantity,
        pricePerTonne: dollars * 10n ** 6n,
        minFill,
        expiry: latest.timestamp + 30n * 86_400n,
        salt: salt++,
        counter: 0n,
        buyer: "0x0000000000000000000000000000000000000000" as Address,
        mode: 0,
      };
      const signature = await seller.signTypedData({
        domain: { name: "CarbonClear Settlement", version: "1", chainId: o.deployment.chainId, verifyingContract: escrow },
        types: ORDER_TYPES,
        primaryType: "Order",
        message: order,
      });
      const body = {
        order: {
          ...order,
          batchId: order.batchId.toString(),
          quantity: order.quantity.toString(),
          pricePerTonne: order.pricePerTonne.toString(),
          minFill: order.minFill.toString(),
          expiry: order.expiry.toString(),
          salt: order.salt.toString(),
          counter: "0",
          buyer: undefined, // anyone may fill
          mode: "atomic",
        },
        signature,
      };
      const response = await fetch(`${o.apiUrl}/v1/orders`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${o.token}` },
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { orderHash?: Hex; order?: { orderHash?: Hex }; error?: { message: string } };
      if (!response.ok) throw new Error(`posting a demo order answered ${response.status}: ${answer.error?.message ?? JSON.stringify(answer)}`);
      const hash = answer.orderHash ?? answer.order?.orderHash;
      if (hash !== undefined) hashes.push(hash);
      o.log(`open order: ${quantity} t of batch ${batch.batchId} at $${dollars}/t (min fill ${minFill} t) by ${seller.address}`);
    }
  }
  return hashes;
}
