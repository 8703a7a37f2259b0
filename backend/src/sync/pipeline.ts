/**
 * The durable sync pipeline on pg-boss: one job per registry operation in queue `sync-attest`.
 * A worker takes up to `batchSize` jobs at once and asks M of the N oracle nodes (others only when
 * one falls short or is slow: `collectQuorums`) for an attestation of each (each node reads the
 * registry itself) until M valid signatures agree; every quorum
 * reached in the batch goes on-chain through the submitter — many per transaction — and each job's
 * outcome lands in `sync_operations`:
 * - applied / already-done (the effect was on-chain already) / refused (the nodes' verdict is
 *   final: nothing to attest) → the job completes;
 * - anything transient (registry 503, node down, operation still pending, transaction not mined)
 *   → the job fails and pg-boss retries it with exponential backoff.
 */
import type { Logger } from "pino";
import PgBoss from "pg-boss";
import type pg from "pg";
import type { Address, PublicClient } from "viem";
import { oracleQuorumAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import { collectQuorums, type CollectedQuorum } from "../oracle/aggregator";
import type { AttestationSubmitter, SubmissionOutcome } from "../oracle/submitter";
import type { SyncMetrics } from "./metrics";
import { operationKey, touchOperations, updateOperations, type OperationRef, type OperationUpdate } from "./operations";

export const ATTEST_QUEUE = "sync-attest";

/** Node refusals that are a final verdict: asking again will not change it. */
const FINAL_REFUSALS = new Set([
  "UNKNOWN_REGISTRY",
  "OPERATION_NOT_FOUND",
  "LOCK_REJECTED",
  "WRONG_CUSTODY_ACCOUNT",
  "MISSING_OWNER",
  "MALFORMED_SERIAL",
  "QUANTITY_MISMATCH",
  "NOT_ATTESTABLE",
  "WRONG_CHAIN",
  "RANGE_MISMATCH",
  "TRANSFER_REJECTED",
  // The transfer's accounts are not the trade parties' as the chain commits to them. (Not
  // ACCOUNTS_UNVERIFIED: an identity write confirmed later, or a node given its directory, changes it.)
  "WRONG_ACCOUNT",
  "REGISTRY_ERROR",
]);

export interface SyncPipelineOptions {
  readonly boss: PgBoss;
  readonly pool: pg.Pool;
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
  readonly submitter: AttestationSubmitter;
  /** Oracle node base URLs. */
  readonly nodeUrls: readonly string[];
  readonly logger: Logger;
  readonly metrics?: SyncMetrics;
  /** Jobs taken at once (and so attestations per round of transactions). Default 100. */
  readonly batchSize?: number;
  /** How long a signature stays valid. Default 600 s. */
  readonly attestationTtlSeconds?: number;
  /** How long a node has for a batch: this (default 10 000 ms) plus 100 ms per operation. */
  readonly nodeTimeoutMs?: number;
  /** pg-boss retries of a job. Default 12 (first delay `retryDelaySeconds`, doubling). */
  readonly retryLimit?: number;
  readonly retryDelaySeconds?: number;
  /** Worker polling interval (pg-boss minimum 0.5; workers are also woken on every enqueue). Default 0.5. */
  readonly pollingIntervalSeconds?: number;
  /** Batches in flight at once (pg-boss workers). Default 2. */
  readonly workers?: number;
  /** pg-boss schema (to find live jobs). Default `pgboss`. */
  readonly queueSchema?: string;
}

export interface SyncPipeline {
  /** Queues jobs for these operations (after they are recorded) and wakes the workers. */
  enqueue(operations: readonly OperationRef[]): Promise<void>;
  /**
   * Queues jobs again for those of `operations` that have no live job (waiting, retrying or
   * running) — the reconciler's sweep of operations queued for long. @returns the re-queued ones.
   */
  requeueLost(operations: readonly OperationRef[]): Promise<OperationRef[]>;
  /** Jobs waiting or being retried. */
  queueDepth(): Promise<number>;
  stop(): Promise<void>;
}

/** Creates the queue and starts the worker on an already started `boss`. */
export async function startSyncPipeline(options: SyncPipelineOptions): Promise<SyncPipeline> {
  const { boss } = options;
  await boss.createQueue(ATTEST_QUEUE, {
    name: ATTEST_QUEUE,
    retryLimit: options.retryLimit ?? 12,
    retryDelay: options.retryDelaySeconds ?? 1,
    retryBackoff: true,
    expireInSeconds: 300,
  });
  const schema = options.queueSchema ?? "pgboss";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`queue schema ${JSON.stringify(schema)} is not a plain lower-case SQL identifier`);
  const batchSize = options.batchSize ?? 100;
  // Several workers, so one batch collects signatures while another is on its way on-chain (the
  // submitter keeps the submitting key's transactions in order).
  const workerIds: string[] = [];
  for (let i = 0; i < Math.max(1, options.workers ?? 2); i++) {
    const id: string = await boss.work<OperationRef>(
      ATTEST_QUEUE,
      { batchSize, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5 },
      async (jobs) => {
        // A full batch means more are waiting: fetch again right away instead of after the interval.
        if (jobs.length === batchSize) boss.notifyWorker(id);
        await processBatch(options, jobs);
      },
    );
    workerIds.push(id);
  }
  const wake = () => {
    for (const id of workerIds) boss.notifyWorker(id);
  };
  const enqueue = async (operations: readonly OperationRef[]): Promise<void> => {
    if (operations.length === 0) return;
    await boss.insert(operations.map((op) => ({ name: ATTEST_QUEUE, data: { registry: op.registry, operationId: op.operationId } })));
    await touchOperations(options.pool, operations);
    wake();
  };
  options.metrics?.setQueueDepthSource(() => boss.getQueueSize(ATTEST_QUEUE));
  return {
    enqueue,
    async requeueLost(operations) {
      if (operations.length === 0) return [];
      // An operation whose job is still waiting, retrying or running is not lost: leave it alone.
      const live = await options.pool.query<{ registry: string; operation_id: string }>(
        `SELECT DISTINCT data->>'registry' AS registry, data->>'operationId' AS operation_id FROM ${schema}.job
         WHERE name = $1 AND state < 'completed' AND data->>'operationId' = ANY($2::text[])`,
        [ATTEST_QUEUE, operations.map((op) => op.operationId)],
      );
      const alive = new Set(live.rows.map((row) => operationKey(row.registry, row.operation_id)));
      const lost = operations.filter((op) => !alive.has(operationKey(op.registry, op.operationId)));
      await touchOperations(options.pool, operations.filter((op) => alive.has(operationKey(op.registry, op.operationId))));
      await enqueue(lost);
      return lost;
    },
    queueDepth: () => boss.getQueueSize(ATTEST_QUEUE),
    async stop() {
      await boss.offWork(ATTEST_QUEUE);
    },
  };
}

interface Job {
  readonly id: string;
  readonly data: OperationRef;
}

async function processBatch(options: SyncPipelineOptions, jobs: readonly Job[]): Promise<void> {
  const { publicClient, deployment, logger } = options;
  const quorum = deployment.contracts.quorum;
  const started = Date.now();
  const [signers, threshold] = await Promise.all([
    publicClient.readContract({ address: quorum, abi: oracleQuorumAbi, functionName: "signers" }),
    publicClient.readContract({ address: quorum, abi: oracleQuorumAbi, functionName: "threshold" }),
  ]);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + (options.attestationTtlSeconds ?? 600));
  // One job per operation in this batch (a re-enqueued duplicate rides along and shares the outcome).
  const byKey = new Map<string, Job[]>();
  for (const job of jobs) {
    const key = operationKey(job.data.registry, job.data.operationId);
    byKey.set(key, [...(byKey.get(key) ?? []), job]);
  }
  const updates: OperationUpdate[] = [];
  const retry: { job: Job; reason: string }[] = [];
  const ready: { key: string; quorum: CollectedQuorum; ref: OperationRef }[] = [];

  // M nodes get the whole batch in one request each (a further node the requests they leave short);
  // each request settles as soon as a quorum agrees.
  const groups = [...byKey.entries()];
  const collected = await collectQuorums({
    nodeUrls: options.nodeUrls,
    requests: groups.map(([, group]) => ({ registry: group[0].data.registry, operationId: group[0].data.operationId, deadline })),
    threshold,
    signers: signers as readonly Address[],
    chainId: deployment.chainId,
    quorumAddress: quorum,
    // A node answers the whole batch at once: give it time in proportion.
    timeoutMs: (options.nodeTimeoutMs ?? 10_000) + 100 * groups.length,
  });
  const quorumsAt = Date.now();
  groups.forEach(([key, group], index) => {
    const ref = group[0].data;
    const outcome = collected[index];
    if (outcome.ok) {
      ready.push({ key, quorum: outcome.quorum, ref });
      return;
    }
    const error = outcome.error;
    const codes = error.failures.map((f) => f.code);
    const settled = codes.filter((c) => c === "ALREADY_SETTLED").length;
    const final = codes.filter((c) => c !== undefined && FINAL_REFUSALS.has(c)).length;
    if (settled >= threshold) {
      updates.push({ ...ref, state: "already-done" });
    } else if (final >= threshold) {
      updates.push({ ...ref, state: "refused", error: error.message });
    } else {
      updates.push({ ...ref, state: "queued", error: error.message });
      for (const job of group) retry.push({ job, reason: error.message });
    }
  });

  const outcomes: SubmissionOutcome[] = ready.length === 0 ? [] : await options.submitter.submit(ready.map(({ key, quorum: q }) => ({ key, quorum: q })));
  const submittedAt = Date.now();
  const kinds = new Map(ready.map((r) => [r.key, { kind: r.quorum.attestation.kind, ref: r.ref }]));
  const applied: string[] = [];
  for (const outcome of outcomes) {
    const { kind, ref } = kinds.get(outcome.key) as { kind: string; ref: OperationRef };
    if (outcome.status === "applied") {
      updates.push({ ...ref, state: "applied", kind, transactionHash: outcome.transactionHash });
      applied.push(outcome.key);
    } else if (outcome.status === "already-done") {
      updates.push({ ...ref, state: "already-done", kind, error: outcome.reason });
    } else {
      updates.push({ ...ref, state: "queued", kind, error: outcome.reason });
      for (const job of byKey.get(outcome.key) ?? []) retry.push({ job, reason: outcome.reason });
    }
  }

  const recorded = await updateOperations(options.pool, updates);
  const metrics = options.metrics;
  if (metrics !== undefined) {
    // The receipts are in hand: the on-chain confirmation is now.
    const confirmedOnChain = Date.now();
    for (const key of applied) {
      const row = recorded.get(key);
      if (row !== undefined) metrics.confirmationLatency.observe({ kind: row.kind ?? "unknown" }, Math.max(0, (confirmedOnChain - row.confirmedAt.getTime()) / 1000));
    }
    for (const update of updates) if (update.state !== "queued") metrics.attestations.inc({ outcome: update.state });
  }
  if (retry.length > 0) {
    // The reasons are in sync_operations.last_error.
    await options.boss.fail(ATTEST_QUEUE, retry.map(({ job }) => job.id));
    logger.warn({ retrying: retry.length, example: retry[0].reason }, "sync: operations will be retried");
  }
  logger.debug(
    { jobs: jobs.length, quorums: ready.length, collectMs: quorumsAt - started, submitMs: submittedAt - quorumsAt, recordMs: Date.now() - submittedAt },
    "sync: batch processed",
  );
}
