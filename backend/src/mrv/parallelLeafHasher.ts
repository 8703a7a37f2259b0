import path from "node:path";
import { Worker } from "node:worker_threads";
import { MerkleDatasetError } from "./merkle";
import { LeafHashCollector, RecordLeafEncoder } from "./merkleTree";

/**
 * Record leaf hashing on a second thread: the caller's thread encodes each leaf (cheap) into a
 * batch, a worker (leafHashWorker.cjs) hashes the batch (two keccak256 per leaf, the expensive
 * part), so parsing and hashing a large dataset use two cores. The leaf hashes are exactly
 * RecordLeafEncoder.hash's (the tests compare them); they arrive in batch order into a
 * LeafHashCollector.
 *
 * Memory stays bounded: at most MAX_IN_FLIGHT batches wait for the worker; `add` returns a
 * promise to await only when that many are outstanding (undefined otherwise, so the common case
 * costs no await).
 */

/** Leaves of records given column by column (see addColumns). */
export interface LeafColumns {
  readonly sensorId: readonly string[];
  readonly parameter: readonly string[];
  readonly timeMs: readonly number[];
  readonly quantity: readonly string[];
  readonly unit: readonly string[];
}

/** Codes of the distinct strings of some columns (a handful of sensors, parameters, units). */
class WordCodes {
  readonly words: string[] = [];
  private readonly index = new Map<string, number>();

  codes(values: readonly string[], count: number): Uint32Array<ArrayBuffer> {
    const out = new Uint32Array(count);
    let last: string | undefined;
    let lastCode = 0;
    for (let i = 0; i < count; i++) {
      const word = values[i];
      if (word !== last) {
        let code = this.index.get(word);
        if (code === undefined) {
          code = this.words.length;
          this.words.push(word);
          this.index.set(word, code);
        }
        last = word;
        lastCode = code;
      }
      out[i] = lastCode;
    }
    return out;
  }
}

/** The Merkle root of the leaves a worker kept, and how many there were. */
export interface KeptRoot {
  readonly root: Uint8Array | null;
  readonly count: number;
}

const BATCH_LEAVES = 4096;
const BATCH_BYTES = 2 * 1024 * 1024;
const MAX_IN_FLIGHT = 8;
const WORKER_FILE = path.join(__dirname, "leafHashWorker.cjs");
const WORKER_YOUNG_GENERATION_MB = 4;

export class ParallelLeafHasher {
  private readonly encoder: RecordLeafEncoder;
  private readonly collector: LeafHashCollector;
  private readonly worker: Worker;
  private data = new Uint8Array(BATCH_BYTES);
  private offsets = new Uint32Array(BATCH_LEAVES + 1);
  private count = 0;
  private inFlight = 0;
  private expectedBack = 0;
  private failure: Error | undefined;
  /** The one caller waiting for the worker to catch up. */
  private waiter: { limit: number; resolve: () => void; reject: (error: Error) => void } | undefined;

  private readonly datasetId: Uint8Array;

  /** Hashes handed out by takeHashes instead of collected (keep: false). */
  private readonly taken: Uint8Array[] | undefined;
  private handedOut = 0;
  /** The worker keeps the hashes of addColumns for rootOfKept (option rootOnWorker). */
  readonly rootOnWorker: boolean;
  /** Callers of rootOfKept, answered in order. */
  private readonly rootWaiters: { resolve: (root: KeptRoot) => void; reject: (error: Error) => void }[] = [];

  /**
   * `options.keep` false: the hashes are not collected (finish returns an empty collector); the
   * caller takes each batch as it arrives with takeHashes, so memory stays bounded by the batches
   * in flight whatever the number of leaves. `options.rootOnWorker`: the worker also keeps the
   * hashes of the leaves queued with addColumns (32 bytes a leaf, on its thread) and computes
   * their Merkle root when asked (rootOfKept), so this thread does not sort or build a tree.
   */
  constructor(datasetId: Uint8Array, expectedLeaves = 1024, options: { keep?: boolean; rootOnWorker?: boolean } = {}) {
    this.taken = options.keep === false ? [] : undefined;
    this.rootOnWorker = options.rootOnWorker === true;
    this.encoder = new RecordLeafEncoder(datasetId);
    this.datasetId = Uint8Array.from(datasetId);
    this.collector = new LeafHashCollector(expectedLeaves);
    // the worker allocates little that outlives a batch (its big buffers are off the heap): a small
    // young generation keeps its memory down (about 35 MB less than the default at a million
    // leaves) at no measurable cost in time
    this.worker = new Worker(WORKER_FILE, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    this.worker.on("message", (message: { hashes: ArrayBuffer } | { error: string } | { root: ArrayBuffer | null; count: number }) => {
      if ("error" in message) {
        this.fail(new MerkleDatasetError(message.error));
        return;
      }
      if ("root" in message) {
        this.inFlight -= 1;
        this.rootWaiters.shift()?.resolve({ root: message.root === null ? null : new Uint8Array(message.root), count: message.count });
        this.wake();
        return;
      }
      if (this.taken !== undefined) this.taken.push(new Uint8Array(message.hashes));
      else this.collector.addAll(new Uint8Array(message.hashes));
      this.inFlight -= 1;
      this.wake();
    });
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => {
      if (this.inFlight > 0) this.fail(new Error(`the leaf hashing worker exited (code ${code}) with ${this.inFlight} batch(es) unhashed`));
    });
  }

  /** Encodes and queues one leaf; when too many batches are outstanding, returns a promise to await first. */
  add(index: number, sensorId: string, parameter: string, timestampMs: number, quantity: string, unit: string): Promise<void> | undefined {
    if (this.failure !== undefined) throw this.failure;
    const leaf = this.encoder.encode(index, sensorId, parameter, timestampMs, quantity, unit);
    if (this.count > 0 && (this.count === BATCH_LEAVES || this.offsets[this.count] + leaf.length > this.data.length)) this.dispatch();
    if (leaf.length > this.data.length) this.data = new Uint8Array(leaf.length);
    const at = this.offsets[this.count];
    this.data.set(leaf, at);
    this.count += 1;
    this.offsets[this.count] = at + leaf.length;
    return this.inFlight >= MAX_IN_FLIGHT ? this.whenBelow(MAX_IN_FLIGHT) : undefined;
  }

  /**
   * Queues the leaves of records firstIndex, firstIndex + 1, ... given as columns: the worker
   * encodes them too (no encoding on this thread). Leaves queued with `add` before are sent first.
   * When too many batches are outstanding, returns a promise to await first.
   */
  addColumns(firstIndex: number, columns: LeafColumns): Promise<void> | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.count > 0) this.dispatch();
    const count = columns.timeMs.length;
    if (count === 0) return undefined;
    // sent compactly (structured cloning thousands of strings costs both threads more than the
    // hashing saves): the repeating columns as dictionary codes, the quantities as one string
    // with their lengths, the times as doubles; the typed arrays are transferred, not copied
    const words = new WordCodes();
    const sensorId = words.codes(columns.sensorId, count);
    const parameter = words.codes(columns.parameter, count);
    const unit = words.codes(columns.unit, count);
    const quantityLengths = new Uint32Array(count);
    for (let i = 0; i < count; i++) quantityLengths[i] = columns.quantity[i].length;
    const timeMs = Float64Array.from(columns.timeMs.length === count ? columns.timeMs : columns.timeMs.slice(0, count));
    const records = {
      datasetId: this.datasetId,
      firstIndex,
      count,
      words: words.words,
      sensorId,
      parameter,
      unit,
      timeMs,
      quantities: (columns.quantity.length === count ? columns.quantity : columns.quantity.slice(0, count)).join(""),
      quantityLengths,
    };
    this.worker.postMessage({ records, keep: this.rootOnWorker }, [sensorId.buffer, parameter.buffer, unit.buffer, timeMs.buffer, quantityLengths.buffer]);
    this.expectedBack += count;
    this.inFlight += 1;
    return this.inFlight >= MAX_IN_FLIGHT ? this.whenBelow(MAX_IN_FLIGHT) : undefined;
  }

  /** With keep: false, the batches of hashes that arrived since the last call, in order (one per addColumns call). */
  takeHashes(): Uint8Array[] {
    if (this.taken === undefined) throw new Error("internal: this hasher keeps its hashes");
    const batches = this.taken.splice(0);
    for (const batch of batches) this.handedOut += batch.length / 32;
    return batches;
  }

  /** With rootOnWorker: hands the worker leaf hashes computed elsewhere (32 bytes each), kept for rootOfKept with those of addColumns. */
  keepHashes(hashes: Uint8Array): void {
    if (!this.rootOnWorker) throw new Error("internal: this hasher does not keep hashes for a root");
    if (hashes.length % 32 !== 0) throw new MerkleDatasetError("leaf hashes are 32 bytes each");
    if (this.failure !== undefined) throw this.failure;
    const copy = Uint8Array.from(hashes);
    this.worker.postMessage({ keep: copy.buffer }, [copy.buffer]);
  }

  /**
   * With rootOnWorker: the Merkle root (merkleTree.ts's merkleRootOfSorted over the sorted hashes)
   * of every leaf queued with addColumns since the last call, computed on the worker after the
   * leaves queued before; null when there were none. The worker then forgets those hashes.
   */
  rootOfKept(): Promise<KeptRoot> {
    if (!this.rootOnWorker) throw new Error("internal: this hasher does not keep hashes for a root");
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.count > 0) this.dispatch();
    return new Promise((resolve, reject) => {
      this.rootWaiters.push({ resolve, reject });
      this.worker.postMessage({ root: true });
      this.inFlight += 1;
    });
  }

  /** Hands a batch of hashes from takeHashes back to the worker, which reuses its memory (the array is detached). */
  recycle(hashes: Uint8Array): void {
    if (this.failure !== undefined || hashes.byteOffset !== 0 || hashes.byteLength !== hashes.buffer.byteLength || !(hashes.buffer instanceof ArrayBuffer)) return;
    this.worker.postMessage({ recycle: hashes.buffer }, [hashes.buffer]);
  }

  /** Waits until every queued leaf is hashed (the worker keeps running). */
  async drain(): Promise<void> {
    if (this.count > 0) this.dispatch();
    await this.whenBelow(1);
  }

  /** Waits for every queued leaf, stops the worker and returns the hashes. */
  async finish(): Promise<LeafHashCollector> {
    try {
      if (this.count > 0) this.dispatch();
      await this.whenBelow(1);
      const hashed = this.taken === undefined ? this.collector.length : this.handedOut + this.taken.reduce((n, batch) => n + batch.length / 32, 0);
      if (hashed !== this.expectedBack) throw new Error(`internal: ${this.expectedBack} leaves queued, ${hashed} hashed`);
      return this.collector;
    } finally {
      await this.close();
    }
  }

  /** Stops the worker (also after a failure: call it in a finally). */
  async close(): Promise<void> {
    this.inFlight = 0;
    for (const waiter of this.rootWaiters.splice(0)) waiter.reject(new Error("the leaf hashing worker was stopped before it gave the root"));
    await this.worker.terminate();
  }

  private dispatch(): void {
    const data = this.data.slice(0, this.offsets[this.count]).buffer;
    const offsets = this.offsets.slice(0, this.count + 1).buffer;
    this.worker.postMessage({ data, offsets, count: this.count }, [data, offsets]);
    this.expectedBack += this.count;
    this.inFlight += 1;
    this.count = 0;
    this.offsets[0] = 0;
  }

  private whenBelow(limit: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.inFlight < limit) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiter = { limit, resolve, reject };
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    if (waiter !== undefined && this.inFlight < waiter.limit) {
      this.waiter = undefined;
      waiter.resolve();
    }
  }

  private fail(error: Error): void {
    this.failure ??= error instanceof MerkleDatasetError ? error : new Error(`leaf hashing failed: ${error.message}`);
    this.waiter?.reject(this.failure);
    this.waiter = undefined;
    for (const waiter of this.rootWaiters.splice(0)) waiter.reject(this.failure);
  }
}
