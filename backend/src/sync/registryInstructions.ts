/**
 * Carries the chain's registry-bound instructions to the registry: every `Retired` event of
 * CarbonCredit becomes the retirement of that exact serial range from the platform custody
 * account (the certificate id as the memo), and every `RedemptionRequested` event of RegistryBridge
 * becomes the release of the burned range from custody to the holder's registry account. The
 * registry's verdict then comes back through the sync pipeline (webhook → oracle quorum →
 * `confirmRetirement` / `finalizeRedemption`), so on-chain state follows the registry's real one.
 *
 * Exactly-once at the registry: the registry request id is derived from the certificate or
 * redemption id (`retire-<id>`, `redeem-<id>`) and registries treat it as the idempotency key, so
 * a pass that failed half-way, or a restart from an older block, re-submits nothing new. A pass
 * only moves its cursor once every instruction of its range was accepted.
 */
import { hexToString, type Address, type Hex, type PublicClient } from "viem";
import type { Logger } from "pino";
import { carbonCreditAbi, registryBridgeAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import { REGISTRY_IDS, type RegistryId } from "../domain";
import { createRegistryAdapter, registryApiBaseUrl, type RegistryAdapter } from "../registry";

/** A right-padded bytesN as text ("VERRA\0\0…" → "VERRA"). */
const paddedText = (value: Hex): string => hexToString(value).replace(/\0+$/, "");

/** 20240131 → "2024-01-31". */
const isoDay = (yyyymmdd: number): string => {
  const s = String(yyyymmdd).padStart(8, "0");
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
};

export interface RegistryInstructionForwarderOptions {
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
  /** The registry API root (per-registry base URLs are derived from it). */
  readonly registryUrl: string;
  /** The platform's custody account in each registry. */
  readonly custodyAccounts: Partial<Record<RegistryId, string>>;
  readonly logger?: Logger;
  /** First block to read (default: the deployment's block). */
  readonly fromBlock?: bigint;
  /** Registry request timeout (default 5 s). */
  readonly registryTimeoutMs?: number;
}

/** An instruction the registry accepted. */
export interface SubmittedInstruction {
  /** Certificate id (retirement) or redemption id (redemption). */
  readonly id: bigint;
  readonly registry: RegistryId;
  /** The idempotency key (`retire-<id>` / `redeem-<id>`). */
  readonly requestId: string;
  /** The registry's operation, to follow its verdict. */
  readonly operationId: string;
}

export interface ForwardedInstructions {
  readonly retirements: readonly SubmittedInstruction[];
  readonly redemptions: readonly SubmittedInstruction[];
  /** Last block read. */
  readonly throughBlock: bigint;
}

export interface RegistryInstructionForwarder {
  /** One pass over the blocks since the last successful pass. Concurrent calls share one pass. */
  runOnce(): Promise<ForwardedInstructions>;
}

interface BatchOrigin {
  readonly registry: RegistryId;
  readonly serialNumber: string;
}

/** A forwarder without a timer (see {@link startRegistryInstructionForwarder} for the running one). */
export function createRegistryInstructionForwarder(options: RegistryInstructionForwarderOptions): RegistryInstructionForwarder {
  const { publicClient, deployment, logger } = options;
  const credit: Address = deployment.contracts.credit;
  const bridge: Address = deployment.contracts.bridge;
  const adapters = new Map<RegistryId, RegistryAdapter>();
  const origins = new Map<bigint, BatchOrigin>();
  let fromBlock = options.fromBlock ?? BigInt(deployment.blockNumber);
  let running: Promise<ForwardedInstructions> | undefined;

  const adapterFor = (registry: RegistryId): RegistryAdapter => {
    let adapter = adapters.get(registry);
    if (adapter === undefined) {
      adapter = createRegistryAdapter(registry, { baseUrl: registryApiBaseUrl(options.registryUrl, registry), timeoutMs: options.registryTimeoutMs ?? 5_000 });
      adapters.set(registry, adapter);
    }
    return adapter;
  };

  const custodyAccountIn = (registry: RegistryId): string => {
    const account = options.custodyAccounts[registry];
    if (account === undefined) throw new Error(`the platform has no custody account in ${registry}`);
    return account;
  };

  /** The registry and full serial number of a batch, from its `BatchCreated` event (cached). */
  async function originOf(batchId: bigint): Promise<BatchOrigin> {
    const known = origins.get(batchId);
    if (known !== undefined) return known;
    const [created] = await publicClient.getContractEvents({
      address: credit,
      abi: carbonCreditAbi,
      eventName: "BatchCreated",
      args: { batchId },
      fromBlock: BigInt(deployment.blockNumber),
    });
    if (created === undefined) throw new Error(`batch ${batchId} has no BatchCreated event`);
    const info = created.args.info!;
    const registry = paddedText(info.registry) as RegistryId;
    if (!REGISTRY_IDS.includes(registry)) throw new Error(`batch ${batchId} is in registry ${registry}, which the platform has no adapter for`);
    const origin = { registry, serialNumber: info.serialNumber };
    origins.set(batchId, origin);
    return origin;
  }

  async function pass(): Promise<ForwardedInstructions> {
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    if (head < fromBlock) return { retirements: [], redemptions: [], throughBlock: fromBlock - 1n };
    const range = { fromBlock, toBlock: head };
    const [retirements, redemptions] = await Promise.all([
      publicClient.getContractEvents({ address: credit, abi: carbonCreditAbi, eventName: "Retired", ...range }),
      publicClient.getContractEvents({ address: bridge, abi: registryBridgeAbi, eventName: "RedemptionRequested", ...range }),
    ]);

    const submitted: ForwardedInstructions = { retirements: [], redemptions: [], throughBlock: head };
    for (const event of retirements) {
      const { certificateId, batchId, firstSerial, lastSerial, claim } = event.args;
      const { registry, serialNumber } = await originOf(batchId!);
      const adapter = adapterFor(registry);
      const named = claim!.beneficiaryName !== "";
      const requestId = `retire-${certificateId}`;
      const operation = await adapter.submitRetirement({
        requestId,
        serial: serialNumber,
        range: { first: String(firstSerial), last: String(lastSerial) },
        custodyAccount: custodyAccountIn(registry),
        beneficiaryName: named ? claim!.beneficiaryName : null,
        beneficiaryCommitment: named ? null : claim!.beneficiaryCommitment,
        reason: claim!.reason,
        periodStart: isoDay(claim!.periodStart),
        periodEnd: isoDay(claim!.periodEnd),
        consumptionCountry: paddedText(claim!.consumptionCountry) as Parameters<typeof adapter.submitRetirement>[0]["consumptionCountry"],
        certificateId: String(certificateId),
        chainId: deployment.chainId,
      });
      logger?.info({ certificateId: String(certificateId), operationId: operation.operationId, registry }, "retirement submitted to the registry");
      (submitted.retirements as SubmittedInstruction[]).push({ id: certificateId!, registry, requestId, operationId: operation.operationId });
    }

    for (const event of redemptions) {
      const { redemptionId, batchId, firstSerial, lastSerial, registryAccount } = event.args;
      const { registry, serialNumber } = await originOf(batchId!);
      const requestId = `redeem-${redemptionId}`;
      const operation = await adapterFor(registry).submitRedemption({
        requestId,
        serial: serialNumber,
        range: { first: String(firstSerial), last: String(lastSerial) },
        custodyAccount: custodyAccountIn(registry),
        toAccount: registryAccount!,
        redemptionId: String(redemptionId),
        chainId: deployment.chainId,
      });
      logger?.info({ redemptionId: String(redemptionId), operationId: operation.operationId, registry }, "redemption submitted to the registry");
      (submitted.redemptions as SubmittedInstruction[]).push({ id: redemptionId!, registry, requestId, operationId: operation.operationId });
    }

    fromBlock = head + 1n;
    return submitted;
  }

  return {
    runOnce: () => {
      running ??= pass().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}

export interface RunningRegistryInstructionForwarder extends RegistryInstructionForwarder {
  stop(): Promise<void>;
}

/** Runs {@link createRegistryInstructionForwarder}'s pass every `intervalMs` (default 1 s); a failed pass is logged and retried. */
export function startRegistryInstructionForwarder(options: RegistryInstructionForwarderOptions & { readonly intervalMs?: number }): RunningRegistryInstructionForwarder {
  const forwarder = createRegistryInstructionForwarder(options);
  let stopped = false;
  let last: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped) return;
    last = forwarder.runOnce().catch((error: unknown) => options.logger?.warn({ err: error }, "forwarding registry instructions failed; retrying"));
  }, options.intervalMs ?? 1_000);
  return {
    runOnce: () => forwarder.runOnce(),
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await last;
    },
  };
}
