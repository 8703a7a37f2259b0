import type pg from "pg";
import { appendAuditEntry } from "../db/audit";
import { type Queryable, withTransaction } from "../db/transaction";
import { canonicalDecimalString } from "./decimal";
import { type Dataset, type DatasetMethodology, DatasetIdSchema, MrvError, getDataset, parseOrThrow } from "./dataset";
import type { FactorLibrary } from "./factors";
import { type Hex, type RecordLeaf, recordLeafHash, verifyProof } from "./merkle";
import { type Keccak256, loadKeccak256 } from "./keccak";
import { type FlatMerkleTree, LeafHashCollector, RecordLeafEncoder, buildFlatTree, hexToBytes32, merkleRootOfSorted, sortLeafHashes } from "./merkleTree";
import { ParallelLeafHasher } from "./parallelLeafHasher";
import { CHUNK_RECORDS, type RecordColumns, type StoredRecord, compareText, datasetChunks, decodeChunk, emptyColumns, insertChunk, pushRecord, recordAt, recordByIndex } from "./recordStore";
import { ScaledSum, formatScaledDecimal } from "./scaledDecimal";
import { type FuelConsumption, type QuantificationInputDraft, type QuantificationResult, quantify } from "./quantification";

/**
 * Sealing a dataset: the leaf hash of every record in canonical order (merkle.ts; verifiable with
 * OpenZeppelin's MerkleProof), the tree over the sorted leaf hashes (32 bytes a leaf), the totals
 * of the parameters the methodology names (exact, from the uploads' totals) quantified with the
 * dataset's pinned library version. Root and quantification are written in one transaction with
 * the leaf hashes of every record (mrv_leaf_chunks, in index order); a sealed dataset never
 * changes. Proofs are served from the stored leaf hashes.
 *
 * Leaf hashes: when the uploads arrived in canonical order (mrv_datasets.records_canonical, see
 * ingest.ts) the stored record sequence is the canonical order and most leaves were hashed while
 * ingesting (mrv_leaf_chunks, one row per record chunk): only chunks without them are read and
 * hashed now. (Datasets sealed before migration 102 keep their sorted leaves in mrv_dataset_leaves.) Otherwise every record is read, sorted into canonical order, hashed on a worker
 * thread, and the record chunks are rewritten in that order (so that record i of a sealed dataset
 * is found by its position).
 *
 * Root: when the dataset's first upload arrived in canonical order, the leaf-hash worker built the
 * tree of those records while they were ingested and the root was written with them (migration
 * 103, ingest.ts); while it covers every record (no later upload added any) sealing uses it and
 * reads no leaf back. Otherwise the root is built from the leaf hashes as above.
 */

async function insertLeafChunk(db: Queryable, datasetId: Hex, firstIndex: number, hashes: Uint8Array): Promise<void> {
  await db.query(`INSERT INTO mrv_leaf_chunks (dataset_id, first_index, hashes) VALUES ($1, $2, $3)`, [datasetId, firstIndex, hashes]);
}

function leafOf(datasetId: Hex, index: number, record: StoredRecord): RecordLeaf {
  return [datasetId, String(index), record.sensorId, record.parameter, String(record.timeMs), record.quantity, record.unit];
}

/** Leaf hashes of a dataset whose stored sequence is canonical: those hashed at ingestion, the rest now. */
async function canonicalLeafHashes(db: Queryable, datasetId: Hex, expected: number): Promise<LeafHashCollector> {
  const collector = new LeafHashCollector(expected);
  const { rows: chunks } = await db.query<{ first_index: string; record_count: number; hashed: boolean }>(
    `SELECT c.first_index::text AS first_index, c.record_count, l.first_index IS NOT NULL AS hashed
     FROM mrv_record_chunks c LEFT JOIN mrv_leaf_chunks l ON l.dataset_id = c.dataset_id AND l.first_index = c.first_index
     WHERE c.dataset_id = $1 ORDER BY c.first_index`,
    [datasetId],
  );
  const keccak = await loadKeccak256();
  const encoder = new RecordLeafEncoder(hexToBytes32(datasetId));
  let index = 0;
  for (const chunk of chunks) {
    if (Number(chunk.first_index) !== index) throw new Error(`internal: dataset ${datasetId} has no records ${index} to ${Number(chunk.first_index) - 1}`);
    if (chunk.hashed) {
      const { rows } = await db.query<{ hashes: Buffer }>(`SELECT hashes FROM mrv_leaf_chunks WHERE dataset_id = $1 AND first_index = $2`, [datasetId, chunk.first_index]);
      if (rows[0].hashes.length !== chunk.record_count * 32) throw new Error(`internal: leaf hashes of records ${index}.. do not match their chunk`);
      collector.addAll(rows[0].hashes);
    } else {
      const { rows } = await db.query<{ records: string }>(`SELECT records FROM mrv_record_chunks WHERE dataset_id = $1 AND first_index = $2`, [datasetId, chunk.first_index]);
      const columns = decodeChunk(rows[0].records, chunk.record_count);
      const hashes = Buffer.alloc(chunk.record_count * 32);
      for (let i = 0; i < chunk.record_count; i++) {
        hashes.set(encoder.hash(keccak, index + i, columns.sensorId[i], columns.parameter[i], columns.timeMs[i], columns.quantity[i], columns.unit[i]), i * 32);
      }
      await insertLeafChunk(db, datasetId, index, hashes);
      collector.addAll(hashes);
    }
    index += chunk.record_count;
  }
  return collector;
}

/** Concatenated columns of every record of the dataset. */
async function allRecords(db: Queryable, datasetId: Hex): Promise<RecordColumns> {
  const all = emptyColumns();
  for await (const { columns } of datasetChunks(db, datasetId)) {
    for (const key of Object.keys(all) as (keyof RecordColumns)[]) {
      const into = all[key] as unknown[];
      for (const value of columns[key]) into.push(value);
    }
  }
  return all;
}

/** Sorts the dataset's records into canonical order, rewrites its chunks in that order and hashes the leaves. */
async function sortAndHash(db: Queryable, datasetId: Hex, expected: number): Promise<LeafHashCollector> {
  const all = await allRecords(db, datasetId);
  const n = all.timeMs.length;
  if (n !== expected) throw new Error(`internal: ${expected} records counted, ${n} stored`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort(
    (a, b) =>
      all.timeMs[a] - all.timeMs[b] ||
      compareText(all.sensorId[a], all.sensorId[b]) ||
      compareText(all.parameter[a], all.parameter[b]) ||
      compareText(all.unit[a], all.unit[b]) ||
      compareText(all.quantity[a], all.quantity[b]),
  );
  for (let i = 1; i < n; i++) {
    const a = order[i - 1];
    const b = order[i];
    if (all.timeMs[a] === all.timeMs[b] && all.sensorId[a] === all.sensorId[b] && all.parameter[a] === all.parameter[b]) {
      throw new Error(`internal: two records of dataset ${datasetId} for sensor ${all.sensorId[a]}, ${all.parameter[a]} at ${all.timeMs[a]}`);
    }
  }
  await db.query(`DELETE FROM mrv_leaf_chunks WHERE dataset_id = $1`, [datasetId]);
  await db.query(`DELETE FROM mrv_record_chunks WHERE dataset_id = $1`, [datasetId]);
  const hasher = new ParallelLeafHasher(hexToBytes32(datasetId), n);
  try {
    for (let start = 0; start < n; start += CHUNK_RECORDS) {
      const chunk = emptyColumns();
      for (let i = start; i < Math.min(n, start + CHUNK_RECORDS); i++) {
        const record = recordAt(all, order[i]);
        pushRecord(chunk, record);
        const wait = hasher.add(i, record.sensorId, record.parameter, record.timeMs, record.quantity, record.unit);
        if (wait !== undefined) await wait;
      }
      await insertChunk(db, datasetId, start, chunk);
    }
    const collector = await hasher.finish();
    const hashes = collector.hashes();
    for (let start = 0; start < n; start += CHUNK_RECORDS) await insertLeafChunk(db, datasetId, start, hashes.subarray(start * 32, Math.min(n, start + CHUNK_RECORDS) * 32));
    return collector;
  } finally {
    await hasher.close();
  }
}

/** The leaf hashes sorted (the collector is left for the garbage collector: a million leaves are 32 MB). */
function sortedLeafHashes(collector: LeafHashCollector, expected: number): Buffer {
  if (collector.length !== expected) throw new Error(`internal: ${expected} records counted, ${collector.length} read`);
  return collector.sorted();
}

/**
 * The root the leaf-hash worker computed while the dataset's records were ingested (migration 103),
 * when it covers the whole record sequence and every record chunk has its leaf hashes (which
 * proofs are served from); undefined otherwise.
 */
async function rootFromIngestion(db: Queryable, datasetId: Hex, expected: number): Promise<Hex | undefined> {
  const { rows } = await db.query<{ records_canonical: boolean; leaf_root: Hex | null; leaf_root_count: string | null; unhashed: string }>(
    `SELECT d.records_canonical, d.leaf_root, d.leaf_root_count::text AS leaf_root_count,
       (SELECT count(*) FROM mrv_record_chunks c WHERE c.dataset_id = d.id
          AND NOT EXISTS (SELECT 1 FROM mrv_leaf_chunks l WHERE l.dataset_id = c.dataset_id AND l.first_index = c.first_index))::text AS unhashed
     FROM mrv_datasets d WHERE d.id = $1`,
    [datasetId],
  );
  const row = rows[0];
  if (!row.records_canonical || row.leaf_root === null || Number(row.leaf_root_count) !== expected || row.unhashed !== "0") return undefined;
  return row.leaf_root;
}

/** The root from the leaf hashes: read back (those missing hashed now), or, for a sequence not in canonical order, sorted, rewritten and hashed. */
async function rootFromLeaves(db: Queryable, datasetId: Hex, expected: number, keccak: Keccak256): Promise<Hex> {
  const { rows: sequence } = await db.query<{ records_canonical: boolean }>(`SELECT records_canonical FROM mrv_datasets WHERE id = $1`, [datasetId]);
  const sorted = sortedLeafHashes(sequence[0].records_canonical ? await canonicalLeafHashes(db, datasetId, expected) : await sortAndHash(db, datasetId, expected), expected);
  return merkleRootOfSorted(sorted, keccak);
}

interface ParameterTotal {
  readonly value: string;
  readonly unit: string;
  readonly count: number;
}

/** Exact totals per parameter and unit: the sum of the uploads' totals (each over exactly the records it stored). */
async function parameterTotals(db: Queryable, datasetId: string): Promise<Map<string, ParameterTotal[]>> {
  const { rows } = await db.query<{ totals: { parameter: string; unit: string; quantity: string; count: number }[] | null }>(
    `SELECT summary->'totals' AS totals FROM mrv_uploads WHERE dataset_id = $1 ORDER BY id`,
    [datasetId],
  );
  const sums = new Map<string, { parameter: string; unit: string; sum: ScaledSum; count: number }>();
  for (const row of rows) {
    for (const total of row.totals ?? []) {
      const key = `${total.parameter}\u0000${total.unit}`;
      let entry = sums.get(key);
      if (entry === undefined) {
        entry = { parameter: total.parameter, unit: total.unit, sum: new ScaledSum(), count: 0 };
        sums.set(key, entry);
      }
      entry.sum.addText(total.quantity);
      entry.count += total.count;
    }
  }
  const totals = new Map<string, ParameterTotal[]>();
  for (const entry of sums.values()) {
    const list = totals.get(entry.parameter) ?? [];
    list.push({ value: canonicalDecimalString(formatScaledDecimal(entry.sum.value)), unit: entry.unit, count: entry.count });
    totals.set(entry.parameter, list);
  }
  return totals;
}

function single(totals: Map<string, ParameterTotal[]>, parameter: string, what: string): ParameterTotal | undefined {
  const list = totals.get(parameter);
  if (list === undefined) return undefined;
  if (list.length > 1) {
    throw new MrvError("QUANTIFICATION_FAILED", `${what}: parameter ${JSON.stringify(parameter)} has readings in ${list.map((t) => t.unit).join(" and ")}; one quantity cannot mix dimensions`);
  }
  return list[0];
}

/** The quantification input the methodology and the dataset's totals give. */
export function quantificationInputOf(
  dataset: Pick<Dataset, "period" | "libraryVersion">,
  methodology: DatasetMethodology,
  totals: Map<string, ParameterTotal[]>,
): { input: QuantificationInputDraft; notes: string[] } {
  const notes: string[] = [];
  const fuels = (list: DatasetMethodology["projectFuels"], required: boolean, term: string): FuelConsumption[] =>
    list.flatMap((fuel) => {
      const total = single(totals, fuel.parameter, `${term} fuel ${fuel.label}`);
      if (total === undefined) {
        if (required) throw new MrvError("QUANTIFICATION_FAILED", `${term} fuel ${JSON.stringify(fuel.label)}: the dataset has no readings of parameter ${JSON.stringify(fuel.parameter)}`);
        notes.push(`${term} fuel ${JSON.stringify(fuel.label)}: no readings of parameter ${JSON.stringify(fuel.parameter)}, counted as zero`);
        return [];
      }
      return [
        {
          label: fuel.label,
          quantity: { value: total.value, unit: total.unit },
          emissionFactorIds: fuel.emissionFactorIds,
          ...(fuel.netCalorificValue === undefined ? {} : { netCalorificValue: fuel.netCalorificValue }),
          ...(fuel.density === undefined ? {} : { density: fuel.density }),
        } as FuelConsumption,
      ];
    });
  const common = {
    methodology: methodology.methodology,
    monitoringPeriod: dataset.period,
    libraryVersion: dataset.libraryVersion,
    gwpSet: methodology.gwpSet,
    ...(methodology.methaneGwp === undefined ? {} : { methaneGwp: methodology.methaneGwp }),
    ...(methodology.leakage === undefined ? {} : { leakage: methodology.leakage }),
    ...(methodology.otherProjectEmissions === undefined ? {} : { otherProjectEmissions: methodology.otherProjectEmissions }),
  };
  if (methodology.kind === "grid-renewable-electricity") {
    const exported = single(totals, methodology.exportParameter, "electricity exported");
    if (exported === undefined) throw new MrvError("QUANTIFICATION_FAILED", `the dataset has no readings of the export parameter ${JSON.stringify(methodology.exportParameter)}`);
    const imported = methodology.importParameter === undefined ? undefined : single(totals, methodology.importParameter, "electricity imported");
    if (methodology.importParameter !== undefined && imported === undefined) notes.push(`no readings of the import parameter ${JSON.stringify(methodology.importParameter)}, counted as zero`);
    return {
      notes,
      input: {
        kind: "grid-renewable-electricity",
        ...common,
        electricityExported: { value: exported.value, unit: exported.unit },
        ...(imported === undefined ? {} : { electricityImported: { value: imported.value, unit: imported.unit } }),
        gridEmissionFactorId: methodology.gridEmissionFactorId,
        projectFuelCombustion: fuels(methodology.projectFuels, false, "project"),
      },
    };
  }
  return {
    notes,
    input: { kind: "fuel-switch", ...common, baselineFuels: fuels(methodology.baselineFuels, true, "baseline"), projectFuels: fuels(methodology.projectFuels, false, "project") },
  };
}

export interface SealedDataset {
  readonly dataset: Dataset;
  readonly merkleRoot: Hex;
  readonly recordCount: number;
  readonly quantification: QuantificationResult & { notes: string[] };
}

/** Seals an open dataset (see the module comment). */
export async function sealDataset(pool: pg.Pool, input: { datasetId: string; library: FactorLibrary; actor: string }): Promise<SealedDataset> {
  const datasetId = parseOrThrow(DatasetIdSchema, input.datasetId, "dataset id");
  return withTransaction(pool, async (db) => {
    const dataset = await getDataset(db, datasetId, { forUpdate: true });
    if (dataset.status !== "open") throw new MrvError("DATASET_SEALED", `dataset ${datasetId} is already sealed (root ${dataset.merkleRoot})`);
    if (dataset.recordCount === 0) throw new MrvError("NO_RECORDS", `dataset ${datasetId} has no accepted records; upload data before sealing`);

    const { input: quantificationInput, notes } = quantificationInputOf(dataset, dataset.methodology, await parameterTotals(db, datasetId));
    let result: QuantificationResult;
    try {
      result = quantify(quantificationInput, input.library);
    } catch (error) {
      throw new MrvError("QUANTIFICATION_FAILED", `dataset ${datasetId} cannot be quantified: ${(error as Error).message}`);
    }
    const keccak = await loadKeccak256();
    const root = (await rootFromIngestion(db, datasetId, dataset.recordCount)) ?? (await rootFromLeaves(db, datasetId, dataset.recordCount, keccak));
    const tree = { root, length: dataset.recordCount };
    const quantification = { ...result, notes };
    await db.query(
      `UPDATE mrv_datasets SET status = 'sealed', records_canonical = true, merkle_root = $2, quantification = $3::jsonb, net_reductions_tco2e = $4, sealed_at = now() WHERE id = $1`,
      [datasetId, tree.root, JSON.stringify(quantification), result.netReductions],
    );
    await appendAuditEntry(db, {
      actor: input.actor,
      action: "mrv.dataset.sealed",
      subject: `mrv-dataset:${datasetId}`,
      details: { merkleRoot: tree.root, records: tree.length, netReductionsTco2e: result.netReductions, libraryVersion: dataset.libraryVersion },
    });
    return { dataset: await getDataset(db, datasetId), merkleRoot: tree.root, recordCount: tree.length, quantification };
  });
}

/** The sealed tree: from the sorted leaves of datasets sealed before migration 102, else from the leaf hashes in index order. */
async function loadTree(db: Queryable, datasetId: string): Promise<FlatMerkleTree> {
  const { rows } = await db.query<{ hashes: Buffer }>(`SELECT hashes FROM mrv_dataset_leaves WHERE dataset_id = $1 ORDER BY chunk`, [datasetId]);
  if (rows.length > 0) return buildFlatTree(Buffer.concat(rows.map((r) => r.hashes)), await loadKeccak256());
  const { rows: chunks } = await db.query<{ hashes: Buffer }>(`SELECT hashes FROM mrv_leaf_chunks WHERE dataset_id = $1 ORDER BY first_index`, [datasetId]);
  return buildFlatTree(sortLeafHashes(Buffer.concat(chunks.map((r) => r.hashes))), await loadKeccak256());
}

export interface RecordProof {
  readonly datasetId: Hex;
  readonly merkleRoot: Hex;
  readonly index: number;
  /** [datasetId, index, sensorId, parameter, timestampMs, quantity, unit] (the leaf encoding of merkle.ts). */
  readonly leaf: RecordLeaf;
  readonly leafHash: Hex;
  readonly proof: Hex[];
  readonly record: { sensorId: string; parameter: string; timestamp: string; quantity: string; unit: string; measured: { value: string; unit: string }; source: { file: string; row: number; page?: number; sha256: string } };
}

/** The proof that record `index` (canonical order) belongs to the sealed dataset. */
export async function recordProof(db: Queryable, input: { datasetId: string; index: number }): Promise<RecordProof> {
  const datasetId = parseOrThrow(DatasetIdSchema, input.datasetId, "dataset id");
  const dataset = await getDataset(db, datasetId);
  if (dataset.status !== "sealed" || dataset.merkleRoot === null) throw new MrvError("DATASET_NOT_SEALED", `dataset ${datasetId} is not sealed yet: it has no Merkle root`);
  if (!Number.isSafeInteger(input.index) || input.index < 0 || input.index >= dataset.recordCount) {
    throw new MrvError("UNKNOWN_RECORD", `no record ${input.index}: dataset ${datasetId} has ${dataset.recordCount} record(s), indexes 0 to ${dataset.recordCount - 1}`);
  }
  const row = await recordByIndex(db, datasetId, input.index);
  if (row === undefined) throw new Error(`internal: dataset ${datasetId} has no stored record ${input.index}`);
  const { rows: uploads } = await db.query<{ file_name: string; sha256: string }>(`SELECT file_name, sha256 FROM mrv_uploads WHERE id = $1`, [row.uploadId]);
  const upload = uploads[0];
  const leaf = leafOf(datasetId, input.index, row);
  const leafHash = recordLeafHash(leaf);
  const tree = await loadTree(db, datasetId);
  const proof = tree.proofFor(hexToBytes32(leafHash));
  return {
    datasetId,
    merkleRoot: dataset.merkleRoot,
    index: input.index,
    leaf,
    leafHash,
    proof,
    record: {
      sensorId: row.sensorId,
      parameter: row.parameter,
      timestamp: new Date(row.timeMs).toISOString(),
      quantity: row.quantity,
      unit: row.unit,
      measured: { value: row.measuredValue, unit: row.measuredUnit },
      source: { file: upload.file_name, row: row.sourceRow, ...(row.sourcePage === null ? {} : { page: row.sourcePage }), sha256: upload.sha256 },
    },
  };
}

/** Whether the leaf and proof hash up to the sealed dataset's root; malformed input is an INVALID_INPUT error. */
export async function verifyRecordProof(db: Queryable, input: { datasetId: string; leaf: unknown; proof: unknown }): Promise<{ valid: boolean; merkleRoot: Hex; leafHash?: Hex }> {
  const datasetId = parseOrThrow(DatasetIdSchema, input.datasetId, "dataset id");
  const dataset = await getDataset(db, datasetId);
  if (dataset.merkleRoot === null) throw new MrvError("DATASET_NOT_SEALED", `dataset ${datasetId} is not sealed yet: it has no Merkle root`);
  let valid: boolean;
  let leafHash: Hex | undefined;
  try {
    valid = verifyProof(dataset.merkleRoot, input.leaf as RecordLeaf, input.proof as string[]);
    leafHash = recordLeafHash(input.leaf as RecordLeaf);
  } catch (error) {
    throw new MrvError("INVALID_INPUT", `malformed leaf or proof: ${(error as Error).message.split("\n")[0]}`);
  }
  // A leaf of another dataset can never verify here: the dataset id is inside the leaf.
  if (valid && (input.leaf as RecordLeaf)[0].toLowerCase() !== datasetId) valid = false;
  return { valid, merkleRoot: dataset.merkleRoot, ...(leafHash === undefined ? {} : { leafHash }) };
}
