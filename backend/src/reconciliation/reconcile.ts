/**
 * One three-way reconciliation run: registry state (through the adapters), chain state (events
 * and contract reads over JSON-RPC) and the indexer's read model, compared pairwise:
 *
 * - registry ↔ chain: ghost credits (retired on-chain, not retired at the registry past the
 *   allowed lag), orphan tokens (held on-chain with no registry lock under the batch's lock
 *   reference), serials the registry still locks although the chain redeemed them;
 * - read model ↔ chain: balances and supplies compared at the read model's indexed block (so a
 *   read model that is merely behind is not "wrong"), the batch count, and staleness against the
 *   head.
 *
 * Differences past their SLA raise an incident: a persisted row, a pino error and a metric.
 */
import type pg from "pg";
import type { Logger } from "pino";
import { type Address, type Chain, type PublicClient, type Transport } from "viem";
import { carbonCreditAbi, retirementCertificateAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import { registryBlockView, type RegistryAdapters } from "../custody/registryView";
import { queries } from "../indexer";
import { blockTimes, chainRetirements, readLedgerEvents, tokenizedBatches } from "../audit/chainReader";
import { compareBatchWithRegistry, compareHeldBalances, type ChainBatchState, type HeldBalance } from "./compare";
import { DEFAULT_POLICY, differenceOf, type Difference, type ReconciliationPolicy } from "./differences";
import type { ReconciliationMetrics } from "./metrics";
import { openDifferenceTimes, recordRun, type Incident } from "./store";

export interface ReconcileDeps {
  readonly pool: pg.Pool;
  readonly publicClient: PublicClient<Transport, Chain | undefined>;
  readonly deployment: Deployment;
  readonly registries: RegistryAdapters;
  readonly policy?: Partial<ReconciliationPolicy>;
  readonly log?: Logger;
  readonly metrics?: ReconciliationMetrics;
  /** Clock (tests move it forward). */
  readonly now?: () => Date;
}

export interface ReconciliationReport {
  readonly chainId: number;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly headBlock: bigint;
  readonly indexedBlock: bigint | null;
  readonly batches: number;
  readonly differences: readonly Difference[];
  /** Incidents this run raised (differences already under an open incident raise none). */
  readonly incidentsRaised: readonly Incident[];
  /** What could not be compared (e.g. a registry that did not answer). */
  readonly errors: readonly string[];
}

const CERTIFICATE_STATUS = ["none", "pending", "registry-confirmed", "registry-rejected"] as const;

const BALANCE_CHUNK = 200;

export async function reconcile(deps: ReconcileDeps): Promise<ReconciliationReport> {
  const policy: ReconciliationPolicy = { ...DEFAULT_POLICY, ...deps.policy, slaMs: { ...DEFAULT_POLICY.slaMs, ...deps.policy?.slaMs } };
  const clock = deps.now ?? (() => new Date());
  const startedAt = clock();
  const client = deps.publicClient;
  const chainId = deps.deployment.chainId;
  const credit = deps.deployment.contracts.credit;
  const errors: string[] = [];

  // ---------------------------------------------------------------- chain
  const headBlock = await client.getBlockNumber({ cacheTime: 0 });
  const events = await readLedgerEvents(client, deps.deployment, { toBlock: headBlock });
  const timeOf = blockTimes(client);
  const batches = tokenizedBatches(events);
  const retirements = chainRetirements(events);
  const redeemedConfirmed = new Map<bigint, { firstSerial: bigint; lastSerial: bigint; at: Date }[]>();
  const pendingRedemption = new Map<bigint, { firstSerial: bigint; lastSerial: bigint }>();
  for (const e of events) {
    if (e.contract !== "CarbonCredit") continue;
    const batchId = e.args.batchId as bigint;
    if (e.eventName === "RedemptionBurned") pendingRedemption.set(batchId, { firstSerial: e.args.firstSerial as bigint, lastSerial: e.args.lastSerial as bigint });
    if (e.eventName === "RedemptionRestored") pendingRedemption.delete(batchId);
    if (e.eventName === "RedemptionSettled") {
      const pending = pendingRedemption.get(batchId);
      if (pending !== undefined) {
        redeemedConfirmed.set(batchId, [...(redeemedConfirmed.get(batchId) ?? []), { ...pending, at: await timeOf(e.blockNumber) }]);
        pendingRedemption.delete(batchId);
      }
    }
  }

  const chainStates: ChainBatchState[] = [];
  for (const batch of batches) {
    const state = await client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "serialState", args: [batch.batchId], blockNumber: headBlock });
    const own = retirements.filter((r) => r.batchId === batch.batchId);
    chainStates.push({
      batchId: batch.batchId,
      registry: batch.registry,
      serialNumber: batch.serialNumber,
      lockRef: batch.lockRef,
      serialStart: state.serialStart,
      serialEnd: state.serialEnd,
      nextRetireSerial: state.nextRetireSerial,
      redeemFloor: state.redeemFloor,
      tokenizedAt: await timeOf(batch.blockNumber),
      retirements: await Promise.all(
        own.map(async (r) => {
          const certificate = await client.readContract({
            address: deps.deployment.contracts.certificate,
            abi: retirementCertificateAbi,
            functionName: "certificate",
            args: [r.certificateId],
            blockNumber: headBlock,
          });
          return { certificateId: r.certificateId, firstSerial: r.firstSerial, lastSerial: r.lastSerial, at: await timeOf(r.blockNumber), status: CERTIFICATE_STATUS[certificate.status] ?? "unknown" };
        }),
      ),
      redeemedConfirmed: redeemedConfirmed.get(batch.batchId) ?? [],
    });
  }

  const now = clock();
  const differences: Difference[] = [];

  // ---------------------------------------------------------------- registry ↔ chain
  for (const state of chainStates) {
    let view;
    try {
      view = await registryBlockView(deps.registries, state.registry, state.serialNumber);
    } catch (error) {
      errors.push(`batch ${state.batchId}: the ${state.registry} registry could not be compared: ${(error as Error).message}`);
      continue;
    }
    if (!view.found && view.reason.startsWith("no adapter")) {
      errors.push(`batch ${state.batchId}: ${view.reason}`);
      continue;
    }
    differences.push(...compareBatchWithRegistry(state, view, now, policy));
  }

  // ---------------------------------------------------------------- read model ↔ chain
  const firstSeenTimes = await openDifferenceTimes(deps.pool, chainId);
  const firstSeen = (key: string) => firstSeenTimes.get(key) ?? now;
  const progress = await queries.indexerProgress(deps.pool, chainId);
  const indexedBlock = progress?.indexedBlock ?? null;
  const behind = indexedBlock === null ? headBlock - BigInt(deps.deployment.blockNumber) + 1n : headBlock - indexedBlock;
  if (indexedBlock === null || behind > BigInt(policy.staleReadModelBlocks)) {
    const firstMissing = indexedBlock === null ? BigInt(deps.deployment.blockNumber) : indexedBlock + 1n;
    differences.push(
      differenceOf(
        {
          key: "stale_read_model",
          kind: "stale_read_model",
          message:
            indexedBlock === null
              ? `the read model has never indexed chain ${chainId} (head ${headBlock})`
              : `the read model is ${behind} blocks behind the chain (indexed ${indexedBlock}, head ${headBlock}; allowed ${policy.staleReadModelBlocks})`,
          details: { indexedBlock: indexedBlock?.toString() ?? null, headBlock: headBlock.toString(), blocksBehind: behind.toString() },
          since: await timeOf(firstMissing <= headBlock ? firstMissing : headBlock),
        },
        now,
        policy,
      ),
    );
  }
  if (indexedBlock !== null && indexedBlock >= BigInt(deps.deployment.blockNumber)) {
    differences.push(...(await compareReadModel(deps, indexedBlock, firstSeen, now, policy)));
  }

  // ---------------------------------------------------------------- record, then report
  const finishedAt = clock();
  const raised = await recordRun(deps.pool, { chainId, startedAt, finishedAt, headBlock, indexedBlock, batches: batches.length, errors }, differences, policy);
  deps.metrics?.observe(differences, raised, finishedAt);
  for (const incident of raised) {
    deps.log?.error(
      { incident: incident.id, kind: incident.kind, severity: incident.severity, key: incident.differenceKey, ageMs: incident.ageMs, slaMs: incident.slaMs },
      `reconciliation incident: ${incident.message}`,
    );
  }
  for (const error of errors) deps.log?.warn({ chainId }, `reconciliation could not compare: ${error}`);
  deps.log?.info({ chainId, headBlock: headBlock.toString(), differences: differences.length, incidents: raised.length }, "reconciliation run finished");
  return { chainId, startedAt, finishedAt, headBlock, indexedBlock, batches: batches.length, differences, incidentsRaised: raised, errors };
}

async function compareReadModel(
  deps: ReconcileDeps,
  indexedBlock: bigint,
  firstSeen: (key: string) => Date,
  now: Date,
  policy: ReconciliationPolicy,
): Promise<Difference[]> {
  const chainId = deps.deployment.chainId;
  const credit = deps.deployment.contracts.credit;
  const client = deps.publicClient;
  const { rows } = await deps.pool.query<{ wallet: string; batch_id: string; held: string }>(
    `SELECT wallet, batch_id, (available + reserved)::text AS held FROM balances
      WHERE chain_id = $1 AND (available > 0 OR reserved > 0) ORDER BY batch_id, wallet`,
    [chainId],
  );
  const balances: HeldBalance[] = [];
  for (let i = 0; i < rows.length; i += BALANCE_CHUNK) {
    const chunk = rows.slice(i, i + BALANCE_CHUNK);
    const onChain = await client.readContract({
      address: credit,
      abi: carbonCreditAbi,
      functionName: "balanceOfBatch",
      args: [chunk.map((r) => r.wallet as Address), chunk.map((r) => BigInt(r.batch_id))],
      blockNumber: indexedBlock,
    });
    chunk.forEach((r, j) => balances.push({ wallet: r.wallet, batchId: BigInt(r.batch_id), readModel: BigInt(r.held), chain: onChain[j] }));
  }
  const chainCount = await client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "batchCount", blockNumber: indexedBlock });
  const { rows: supplyRows } = await deps.pool.query<{ batch_id: string; held: string }>(
    `SELECT b.batch_id, COALESCE(SUM(h.available + h.reserved), 0)::text AS held
       FROM batches b LEFT JOIN balances h ON h.chain_id = b.chain_id AND h.batch_id = b.batch_id
      WHERE b.chain_id = $1 GROUP BY b.batch_id ORDER BY b.batch_id`,
    [chainId],
  );
  const supplies = [];
  for (const r of supplyRows) {
    const batchId = BigInt(r.batch_id);
    if (batchId > chainCount) continue; // counted as a batch-count difference below
    const supply = await client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "totalSupply", args: [batchId], blockNumber: indexedBlock });
    supplies.push({ batchId, readModel: BigInt(r.held), chain: supply });
  }
  return compareHeldBalances(
    { indexedBlock, balances, supplies, batchCount: { readModel: BigInt(supplyRows.length), chain: chainCount } },
    firstSeen,
    now,
    policy,
  );
}
