/**
 * The indexer: reads every event of the ledger contracts and keeps the read model in step with
 * the chain.
 *
 * A pass ({@link indexOnce}) takes the lease, checks the stored unfinalized headers against the
 * chain (rolling back above a fork), then indexes from the checkpoint to the head in batches of
 * `batchSize` blocks. Each batch is read over RPC first, then applied in ONE short transaction
 * that also fences the lease and moves the checkpoint, so a crash leaves either the whole batch
 * or none of it, and a restart continues from the checkpoint. Blocks deeper than `confirmations`
 * are final; the others keep their headers and undo snapshots until they are.
 *
 * {@link runIndexer} repeats passes every `pollIntervalMs` until its signal aborts, standing by
 * while another process holds the lease and taking over when that lease expires.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import type { Logger } from "pino";
import type { Address, Chain, Hash, PublicClient, Transport } from "viem";
import type { Deployment } from "../chain/deployment";
import { withTransaction } from "../db";
import type { IndexedContract, ProjectionContext, ProjectionSources } from "./contractModule";
import { storedHex, type StoredHex } from "./encoding";
import { acquireLease, fenceLease, LeaseLostError, leaseHolder, releaseLease, type Lease } from "./lease";
import { ChainChangedError, ledgerLogSource, type BlockHeader, type FetchedRange, type LedgerLog, type LogSource } from "./logSource";
import { LEDGER_CONTRACTS, ProjectionError } from "./projections";
import { DeepReorgError, findForkPoint, rollBackFrom } from "./reorg";
import { recordChainLog } from "./store/readModel";
import {
  advanceCheckpoint,
  createCheckpoint,
  pruneHeaders,
  readCheckpoint,
  saveHeaders,
  storedHeaders,
  type Checkpoint,
  type IndexedSources,
} from "./store/progress";
import { pruneUndo } from "./store/undo";
import { WriteBuffer } from "./store/writeBuffer";

export const DEFAULT_CONFIRMATIONS = 12;
export const DEFAULT_BATCH_SIZE = 1_000;
export const DEFAULT_MAX_LOGS_PER_TRANSACTION = 500;
export const DEFAULT_POLL_INTERVAL_MS = 2_000;
export const DEFAULT_LEASE_TTL_MS = 15_000;

/** How often a pass restarts after the chain changed under it before giving up. */
const MAX_CHAIN_CHANGES_PER_PASS = 3;

export interface IndexerOptions {
  readonly pool: pg.Pool;
  readonly publicClient: PublicClient<Transport, Chain | undefined>;
  readonly deployment: Deployment;
  /** Blocks below the head that are final (default 12). 0 takes every block as final: no reorg handling. */
  readonly confirmations?: number;
  /** Blocks per `eth_getLogs` call (default 1000). */
  readonly batchSize?: number;
  /**
   * Logs applied per write transaction (default 500; whole blocks, so a block with more logs is
   * applied alone): keeps transactions short, which an embedded PGlite needs.
   */
  readonly maxLogsPerTransaction?: number;
  /** First block to index into an empty read model (default 0: backfill everything). */
  readonly fromBlock?: bigint;
  /** Addresses whose holdings count as `reserved` (default: the deployment's escrow, if it has one). */
  readonly custodyAddresses?: readonly Address[];
  /** Contract modules to index (default {@link LEDGER_CONTRACTS}); contracts absent from the deployment are skipped. */
  readonly contracts?: readonly IndexedContract[];
  /** This indexer's name in the lease (default: host, pid and a random suffix). */
  readonly holderId?: string;
  /** How long the lease lasts without renewal (default 15 s). */
  readonly leaseTtlMs?: number;
  readonly logger?: Logger;
  /** Stops between batches when aborted. */
  readonly signal?: AbortSignal;
}

export interface IndexOnceOptions extends IndexerOptions {
  /** Stop after this many batches (default: when caught up with the head). */
  readonly maxBatches?: number;
  /** Keep the lease after the pass (default false: release it so another run can start at once). */
  readonly keepLease?: boolean;
}

export interface RunIndexerOptions extends IndexerOptions {
  /** Pause between passes once caught up (default 2 s; must be under half the lease TTL). */
  readonly pollIntervalMs?: number;
  /** Called after every pass. */
  readonly onPass?: (result: IndexPassResult) => void;
}

export interface IndexPassResult {
  /** `standby`: another indexer holds the lease; nothing was written. */
  readonly status: "indexed" | "standby";
  readonly holder: string;
  /** The lease holder when standing by. */
  readonly activeHolder?: string;
  readonly head?: bigint;
  readonly indexedBlock?: bigint;
  readonly finalizedBlock?: bigint;
  readonly batches: number;
  readonly logs: number;
  readonly reorg?: { readonly forkBlock: bigint; readonly restoredRows: number };
}

/** The read model was built from other contracts or custody addresses than this indexer reads. */
export class IndexerSourcesChangedError extends Error {
  constructor(chainId: number, stored: IndexedSources, current: IndexedSources) {
    super(
      `the read model of chain ${chainId} was built from ${JSON.stringify(stored)}, this indexer reads ${JSON.stringify(current)}: ` +
        "rebuild it (resetReadModel) to switch",
    );
    this.name = "IndexerSourcesChangedError";
  }
}

/** The checkpoint moved under this pass (another writer): the batch is abandoned. */
class CheckpointMovedError extends Error {
  constructor(chainId: number) {
    super(`the checkpoint of chain ${chainId} moved during the pass`);
    this.name = "CheckpointMovedError";
  }
}

interface Settings {
  readonly chainId: number;
  readonly confirmations: bigint;
  readonly batchSize: bigint;
  readonly maxLogsPerTransaction: number;
  readonly fromBlock: bigint;
  readonly lease: Lease;
  readonly contractsByAddress: ReadonlyMap<StoredHex, IndexedContract>;
  readonly sources: IndexedSources;
  readonly projectionSources: ProjectionSources;
}

function positiveInteger(name: string, value: number, minimum: number): number {
  if (!Number.isSafeInteger(value) || value < minimum) throw new RangeError(`${name} must be an integer >= ${minimum} (got ${value})`);
  return value;
}

function defaultHolderId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function resolveSettings(options: IndexerOptions, holder: string): Settings {
  const { deployment } = options;
  const contractsByAddress = new Map<StoredHex, IndexedContract>();
  const contractAddresses: Record<string, StoredHex> = {};
  for (const contract of options.contracts ?? LEDGER_CONTRACTS) {
    const address = contract.addressIn(deployment);
    if (address === undefined) continue;
    const key = storedHex(address);
    if (contractsByAddress.has(key)) throw new Error(`contracts ${contractsByAddress.get(key)!.name} and ${contract.name} share address ${address}`);
    contractsByAddress.set(key, contract);
    contractAddresses[contract.name] = key;
  }
  const custodyDefault = deployment.contracts.escrow === undefined ? [] : [deployment.contracts.escrow];
  const custody = [...new Set((options.custodyAddresses ?? custodyDefault).map(storedHex))].sort();
  const fromBlock = options.fromBlock ?? 0n;
  if (fromBlock < 0n) throw new RangeError(`fromBlock must be >= 0 (got ${fromBlock})`);
  return {
    chainId: deployment.chainId,
    confirmations: BigInt(positiveInteger("confirmations", options.confirmations ?? DEFAULT_CONFIRMATIONS, 0)),
    batchSize: BigInt(positiveInteger("batchSize", options.batchSize ?? DEFAULT_BATCH_SIZE, 1)),
    maxLogsPerTransaction: positiveInteger("maxLogsPerTransaction", options.maxLogsPerTransaction ?? DEFAULT_MAX_LOGS_PER_TRANSACTION, 1),
    fromBlock,
    lease: { name: `indexer:${deployment.chainId}`, holder, ttlMs: positiveInteger("leaseTtlMs", options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS, 1) },
    contractsByAddress,
    sources: { contracts: contractAddresses, custody },
    projectionSources: { contracts: contractAddresses, custody: new Set(custody) },
  };
}

const sameSources = (a: IndexedSources, b: IndexedSources): boolean =>
  JSON.stringify(Object.entries(a.contracts).sort()) === JSON.stringify(Object.entries(b.contracts).sort()) &&
  JSON.stringify([...a.custody].sort()) === JSON.stringify([...b.custody].sort());

const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minOf = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * One indexing pass (see the module comment): catches up with the head, or stops after
 * `maxBatches` batches.
 * @throws DeepReorgError, IndexerSourcesChangedError, ProjectionError: the read model cannot follow this chain as configured.
 * @throws LeaseLostError when another indexer took the lease mid-pass (nothing of the batch is written).
 */
export async function indexOnce(options: IndexOnceOptions): Promise<IndexPassResult> {
  const holder = options.holderId ?? defaultHolderId();
  const settings = resolveSettings(options, holder);
  const { pool, logger } = options;
  const chainId = await options.publicClient.getChainId();
  if (chainId !== settings.chainId) throw new Error(`the RPC endpoint serves chain ${chainId}, the deployment is on chain ${settings.chainId}`);

  if (!(await acquireLease(pool, settings.lease))) {
    const active = await leaseHolder(pool, settings.lease.name);
    return { status: "standby", holder, activeHolder: active?.holder, batches: 0, logs: 0 };
  }
  const source = ledgerLogSource(options.publicClient, settings.contractsByAddress, {
    onUnknownEvent: (log) => logger?.warn({ address: log.address, tx: log.transactionHash, topic: log.topics[0] }, "event not in the contract's ABI: stored undecoded"),
  });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await catchUp(options, settings, source, holder);
      } catch (error) {
        if (!(error instanceof ChainChangedError) || attempt >= MAX_CHAIN_CHANGES_PER_PASS) throw error;
        logger?.info({ chainId, reason: error.message }, "chain changed while reading: checking for a reorg again");
      }
    }
  } finally {
    if (options.keepLease !== true) await releaseQuietly(pool, settings.lease, logger);
  }
}

async function catchUp(options: IndexOnceOptions, settings: Settings, source: LogSource, holder: string): Promise<IndexPassResult> {
  const { pool, logger, signal } = options;
  const { chainId, lease } = settings;

  let checkpoint: Checkpoint = (await readCheckpoint(pool, chainId)) ?? (await startReadModel(pool, settings, holder));
  if (!sameSources(checkpoint.sources, settings.sources)) throw new IndexerSourcesChangedError(chainId, checkpoint.sources, settings.sources);

  let reorg: IndexPassResult["reorg"];
  const fork = await findForkPoint(source, await storedHeaders(pool, chainId), checkpoint);
  if (fork !== undefined) {
    const before: Checkpoint = checkpoint;
    const { restoredRows } = await withTransaction(pool, async (tx) => {
      await fenceLease(tx, lease);
      await expectCheckpoint(tx, before);
      const undone = await rollBackFrom(tx, chainId, fork.forkBlock);
      await advanceCheckpoint(tx, {
        chainId,
        indexedBlock: fork.commonAncestor.number,
        indexedBlockHash: fork.commonAncestor.hash,
        finalizedBlock: before.finalizedBlock,
        updatedBy: holder,
      });
      return undone;
    });
    reorg = { forkBlock: fork.forkBlock, restoredRows };
    logger?.warn({ chainId, forkBlock: fork.forkBlock, droppedTo: before.indexedBlock, restoredRows }, "reorg: rolled back above the fork point");
    checkpoint = { ...before, indexedBlock: fork.commonAncestor.number, indexedBlockHash: fork.commonAncestor.hash, updatedBy: holder };
  }

  const head = await source.head();
  const finalizedHeight = head - settings.confirmations;
  let batches = 0;
  let logCount = 0;
  const maxBatches = options.maxBatches ?? Infinity;
  const planBatch = (fromBlock: bigint): PlannedBatch => {
    const toBlock = minOf(head, fromBlock + settings.batchSize - 1n);
    const firstReversible = maxOf(fromBlock, finalizedHeight + 1n);
    const reversibleBlocks: bigint[] = [];
    for (let n = firstReversible; n <= toBlock; n++) reversibleBlocks.push(n);
    // Headers kept for reorg detection: the unfinalized blocks, the batch's last block (the new
    // checkpoint) and the last final block before them (the anchor a fork search can stop at).
    const keptBlocks = new Set([toBlock, ...reversibleBlocks]);
    if (firstReversible - 1n >= fromBlock) keptBlocks.add(firstReversible - 1n);
    const fetched = source.fetchRange(fromBlock, toBlock, keptBlocks);
    fetched.catch(() => undefined); // awaited below; a prefetch abandoned by an error must not go unhandled
    return { fromBlock, toBlock, reversibleBlocks, keptBlocks, fetched };
  };
  // The next batch is read over RPC while the current one is written (each still checked against
  // the checkpoint it lands on, so a reorg in between is caught as before).
  let next: PlannedBatch | undefined = checkpoint.indexedBlock < head && maxBatches > 0 ? planBatch(checkpoint.indexedBlock + 1n) : undefined;
  while (next !== undefined && signal?.aborted !== true) {
    const { fromBlock, toBlock, reversibleBlocks, keptBlocks } = next;
    const { logs, headers } = await next.fetched;
    next = toBlock < head && batches + 1 < maxBatches ? planBatch(toBlock + 1n) : undefined;
    expectLinkedHeaders(checkpoint, reversibleBlocks, headers);

    const finalizedBlock = maxOf(checkpoint.finalizedBlock, finalizedHeight);
    for (const chunk of splitAtBlocks(logs, settings.maxLogsPerTransaction)) {
      // Each chunk commits alone, with the checkpoint at its last block (the batch's last for the last chunk).
      const chunkEnd = chunk.last ? toBlock : chunk.logs[chunk.logs.length - 1].blockNumber;
      const chunkEndHash = headers.get(chunkEnd)!.hash;
      const before: Checkpoint = checkpoint;
      const headersToKeep = [...new Set([...keptBlocks, chunkEnd])]
        .filter((n) => n > before.indexedBlock && n <= chunkEnd)
        .map((n) => headers.get(n)!);
      await withTransaction(pool, async (tx) => {
        // The read model is derived from the chain and the checkpoint commits with the rows: a
        // commit lost to a server crash before its WAL flush rolls both back together and the
        // batch is indexed again. So these commits need not wait for the flush to disk.
        await tx.query("SET LOCAL synchronous_commit = off");
        await fenceLease(tx, lease);
        await expectCheckpoint(tx, before);
        await applyLogs(tx, settings, chunk.logs, finalizedHeight);
        await saveHeaders(tx, chainId, headersToKeep);
        await pruneUndo(tx, chainId, finalizedBlock);
        await pruneHeaders(tx, chainId, finalizedBlock);
        await advanceCheckpoint(tx, { chainId, indexedBlock: chunkEnd, indexedBlockHash: chunkEndHash, finalizedBlock, updatedBy: holder });
      });
      checkpoint = { ...before, indexedBlock: chunkEnd, indexedBlockHash: chunkEndHash, finalizedBlock, updatedBy: holder };
    }
    batches += 1;
    logCount += logs.length;
    logger?.debug({ chainId, fromBlock, toBlock, logs: logs.length }, "indexed batch");
  }
  return {
    status: "indexed",
    holder,
    head,
    indexedBlock: checkpoint.indexedBlock,
    finalizedBlock: checkpoint.finalizedBlock,
    batches,
    logs: logCount,
    reorg,
  };
}

/** A batch's block range and its logs being read. */
interface PlannedBatch {
  readonly fromBlock: bigint;
  readonly toBlock: bigint;
  readonly reversibleBlocks: readonly bigint[];
  readonly keptBlocks: ReadonlySet<bigint>;
  readonly fetched: Promise<FetchedRange>;
}

/**
 * Records and projects `logs` inside the caller's transaction, through one write buffer (set-based
 * writes, see store/writeBuffer.ts); logs already recorded are skipped (replay).
 */
async function applyLogs(tx: pg.PoolClient, settings: Settings, logs: readonly LedgerLog[], finalizedHeight: bigint): Promise<void> {
  const buffer = new WriteBuffer(tx, settings.chainId);
  const recorded = await buffer.recordedLogs(logs);
  for (const log of logs) {
    if (recorded.has(`${storedHex(log.txHash)}:${log.logIndex}`)) continue;
    recordChainLog(buffer, log);
    if (log.event === undefined) continue;
    const context: ProjectionContext = {
      db: buffer.db,
      buffer,
      chainId: settings.chainId,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      blockTime: log.blockTime,
      txHash: log.txHash,
      logIndex: log.logIndex,
      address: log.address,
      reversible: log.blockNumber > finalizedHeight,
      sources: settings.projectionSources,
    };
    await settings.contractsByAddress.get(log.address)!.project(log.event, context);
  }
  await buffer.flush();
}

/**
 * Splits a batch's logs into runs of whole blocks of at most `maxLogs` logs (a block with more
 * logs is a run of its own), so that each write transaction stays short. Always at least one run.
 */
export function splitAtBlocks(logs: readonly LedgerLog[], maxLogs: number): { logs: LedgerLog[]; last: boolean }[] {
  const runs: LedgerLog[][] = [[]];
  let index = 0;
  while (index < logs.length) {
    let blockEnd = index;
    while (blockEnd < logs.length && logs[blockEnd].blockNumber === logs[index].blockNumber) blockEnd++;
    const current = runs[runs.length - 1];
    if (current.length > 0 && current.length + (blockEnd - index) > maxLogs) runs.push([]);
    runs[runs.length - 1].push(...logs.slice(index, blockEnd));
    index = blockEnd;
  }
  return runs.map((run, i) => ({ logs: run, last: i === runs.length - 1 }));
}

/** Creates the checkpoint of an empty read model (unless a concurrent pass just did). */
async function startReadModel(pool: pg.Pool, settings: Settings, holder: string): Promise<Checkpoint> {
  const { chainId } = settings;
  await withTransaction(pool, async (tx) => {
    await fenceLease(tx, settings.lease);
    if ((await readCheckpoint(tx, chainId, { forUpdate: true })) === undefined) {
      await createCheckpoint(tx, { chainId, startBlock: settings.fromBlock, sources: settings.sources, updatedBy: holder });
    }
  });
  const created = await readCheckpoint(pool, chainId);
  if (created === undefined) throw new Error(`the checkpoint of chain ${chainId} vanished right after its creation`);
  return created;
}

/** Inside a write transaction: the checkpoint is still the one the batch was read for (locks it). */
async function expectCheckpoint(tx: pg.PoolClient, expected: Checkpoint): Promise<void> {
  const current = await readCheckpoint(tx, expected.chainId, { forUpdate: true });
  if (current === undefined || current.indexedBlock !== expected.indexedBlock || current.indexedBlockHash !== expected.indexedBlockHash) {
    throw new CheckpointMovedError(expected.chainId);
  }
}

/** The unfinalized blocks of a batch must chain onto each other and onto the checkpoint. */
function expectLinkedHeaders(checkpoint: Checkpoint, reversibleBlocks: readonly bigint[], headers: ReadonlyMap<bigint, BlockHeader>): void {
  for (const number of reversibleBlocks) {
    const parentHash =
      number - 1n === checkpoint.indexedBlock ? checkpoint.indexedBlockHash : (headers.get(number - 1n)?.hash ?? null);
    const header = headers.get(number)!;
    if (parentHash !== null && storedHex(header.parentHash) !== storedHex(parentHash as Hash)) {
      throw new ChainChangedError(`block ${number} (parent ${header.parentHash}) does not follow ${parentHash}`);
    }
  }
}

/** Errors a retry cannot fix: the loop stops on them. */
function isFatal(error: unknown): boolean {
  return error instanceof DeepReorgError || error instanceof IndexerSourcesChangedError || error instanceof ProjectionError || error instanceof RangeError;
}

/**
 * Indexes until `options.signal` aborts (see the module comment). Transient failures (RPC,
 * database, lost lease) are logged and retried with backoff; the lease is released on exit.
 * @throws the fatal errors of {@link indexOnce}.
 */
export async function runIndexer(options: RunIndexerOptions): Promise<void> {
  const holder = options.holderId ?? defaultHolderId();
  const pollIntervalMs = positiveInteger("pollIntervalMs", options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, 1);
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  if (pollIntervalMs * 2 > leaseTtlMs) {
    throw new RangeError(`pollIntervalMs (${pollIntervalMs}) must be at most half of leaseTtlMs (${leaseTtlMs}) so the lease is renewed in time`);
  }
  const { logger, signal } = options;
  let failures = 0;
  try {
    while (signal?.aborted !== true) {
      let pause = pollIntervalMs;
      try {
        const result = await indexOnce({ ...options, holderId: holder, leaseTtlMs, keepLease: true });
        failures = 0;
        options.onPass?.(result);
      } catch (error) {
        if (isFatal(error)) throw error;
        failures += 1;
        pause = Math.min(pollIntervalMs * 2 ** Math.min(failures, 5), leaseTtlMs);
        const level = error instanceof LeaseLostError ? "info" : "warn";
        logger?.[level]({ err: error, failures, retryInMs: pause }, "indexer pass failed");
      }
      await sleep(pause, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await releaseQuietly(options.pool, { name: `indexer:${options.deployment.chainId}`, holder }, logger);
  }
}

/** Releases a lease without masking the error that ended the run (an unreleased lease just expires). */
async function releaseQuietly(pool: pg.Pool, lease: Pick<Lease, "name" | "holder">, logger: Logger | undefined): Promise<void> {
  try {
    await releaseLease(pool, lease);
  } catch (error) {
    logger?.warn({ err: error, lease: lease.name }, "could not release the lease; it will expire");
  }
}
