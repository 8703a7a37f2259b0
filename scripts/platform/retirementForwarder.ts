/**
 * Carries each on-chain retirement to the registry: for every `Retired` event it submits the
 * retirement of the exact serial range from the platform custody account, with the certificate id
 * as the registry request's memo. The registry's verdict then comes back through the sync pipeline
 * (webhook → oracle quorum → `RetirementCertificate.confirmRetirement`). Idempotent: the registry
 * request id is derived from the certificate id, so a restart re-submits nothing new.
 */
import { hexToString, type Hex, type PublicClient } from "viem";
import type { Logger } from "pino";
import { carbonCreditAbi } from "../../backend/src/chain/abis";
import type { Deployment } from "../../backend/src/chain/deployment";
import { REGISTRY_IDS, type RegistryId } from "../../backend/src/domain";
import { createRegistryAdapter, registryApiBaseUrl } from "../../backend/src/registry";

const text = (value: Hex): string => hexToString(value).replace(/\0+$/, "");
const isoDay = (yyyymmdd: number): string => {
  const s = String(yyyymmdd).padStart(8, "0");
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
};

export interface RetirementForwarder {
  /** One pass over the new `Retired` events (also run every `intervalMs`). */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startRetirementForwarder(options: {
  publicClient: PublicClient;
  deployment: Deployment;
  registryUrl: string;
  custodyAccounts: Partial<Record<RegistryId, string>>;
  logger: Logger;
  intervalMs?: number;
}): RetirementForwarder {
  const { publicClient, deployment, logger } = options;
  const credit = deployment.contracts.credit;
  let fromBlock = BigInt(deployment.blockNumber);
  let running: Promise<number> | undefined;
  let stopped = false;

  async function pass(): Promise<number> {
    const head = await publicClient.getBlockNumber();
    if (head < fromBlock) return 0;
    const retirements = await publicClient.getContractEvents({ address: credit, abi: carbonCreditAbi, eventName: "Retired", fromBlock, toBlock: head });
    for (const r of retirements) {
      const { certificateId, batchId, firstSerial, lastSerial, claim } = r.args;
      const [created] = await publicClient.getContractEvents({ address: credit, abi: carbonCreditAbi, eventName: "BatchCreated", args: { batchId }, fromBlock: 0n });
      if (created === undefined) throw new Error(`retirement of certificate ${certificateId}: batch ${batchId} has no BatchCreated event`);
      const info = created.args.info!;
      const registry = text(info.registry) as RegistryId;
      if (!REGISTRY_IDS.includes(registry)) throw new Error(`batch ${batchId} is in registry ${registry}, which the platform has no adapter for`);
      const custodyAccount = options.custodyAccounts[registry];
      if (custodyAccount === undefined) throw new Error(`no platform custody account in ${registry}`);
      const adapter = createRegistryAdapter(registry, { baseUrl: registryApiBaseUrl(options.registryUrl, registry), timeoutMs: 5_000 });
      const named = claim!.beneficiaryName !== "";
      const operation = await adapter.submitRetirement({
        requestId: `retire-${certificateId}`,
        serial: info.serialNumber,
        range: { first: String(firstSerial), last: String(lastSerial) },
        custodyAccount,
        beneficiaryName: named ? claim!.beneficiaryName : null,
        beneficiaryCommitment: named ? null : claim!.beneficiaryCommitment,
        reason: claim!.reason,
        periodStart: isoDay(claim!.periodStart),
        periodEnd: isoDay(claim!.periodEnd),
        consumptionCountry: text(claim!.consumptionCountry) as Parameters<typeof adapter.submitRetirement>[0]["consumptionCountry"],
        certificateId: String(certificateId),
        chainId: deployment.chainId,
      });
      logger.info({ certificateId: String(certificateId), operationId: operation.operationId, registry }, "retirement submitted to the registry");
    }
    fromBlock = head + 1n;
    return retirements.length;
  }

  const runOnce = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) runOnce().catch((error: unknown) => logger.warn({ err: error }, "retirement forwarding failed; retrying"));
  }, options.intervalMs ?? 1_000);
  return {
    runOnce,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
