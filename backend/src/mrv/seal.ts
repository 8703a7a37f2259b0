import type pg from "pg";
import { appendAuditEntry } from "../db/audit";
import { type Queryable, withTransaction } from "../db/transaction";
import { canonicalDecimalString } from "./decimal";
import { type Dataset, type DatasetMethodology, DatasetIdSchema, MrvError, getDataset, parseOrThrow } from "./dataset";
import type { FactorLibrary } from "./factors";
import { type Hex, type RecordLeaf, recordLeafHash, verifyProof } from "./merkle";
import { loadKeccak256 } from "./keccak";
import { type FlatMerkleTree, type LeafHashCollector, buildFlatTree, hexToBytes32 } from "./merkleTree";
import { ParallelLeafHasher } from "./parallelLeafHasher";
import { type FuelConsumption, type QuantificationInputDraft, type QuantificationResult, quantify } from "./quantification";

/**
 * Sealing a dataset: its records, read back from the database in the canonical order of
 * merkle.ts page by page, are hashed into leaves (the leaf encoding of merkle.ts, verifiable with
 * OpenZeppelin's MerkleProof), the tree is built over the sorted leaf hashes (32 bytes a leaf),
 * the parameters the methodology names are summed exactly (PostgreSQL numeric) and quantified
 * with the dataset's pinned library version. Root, quantification and leaf hashes are written in
 * one transaction; a sealed dataset never changes. Proofs are served from the stored leaf hashes.
 */

const PAGE = 10_000;
const LEAF_CHUNK = 32_768;

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface CanonicalRow {
  sensor_id: string;
  parameter: string;
  ts_ms: string;
  quantity: string;
  unit: string;
}

/** Streams a dataset's records in canonical order (time, sensor, parameter), page by page. */
async function* canonicalRecords(db: Queryable, datasetId: string): AsyncGenerator<CanonicalRow> {
  let after: CanonicalRow | undefined;
  for (;;) {
    const { rows } = await db.query<CanonicalRow>(
      `SELECT sensor_id, parameter, ts_ms::text AS ts_ms, quantity, unit FROM mrv_records
       WHERE dataset_id = $1 AND ($2::bigint IS NULL OR (ts_ms, sensor_id COLLATE "C", parameter COLLATE "C") > ($2::bigint, $3::text COLLATE "C", $4::text COLLATE "C"))
       ORDER BY ts_ms, sensor_id COLLATE "C", parameter COLLATE "C" LIMIT ${PAGE}`,
      [datasetId, after?.ts_ms ?? null, after?.sensor_id ?? null, after?.parameter ?? null],
    );
    for (const row of rows) {
      // merkle.ts orders by UTF-16 code units, PostgreSQL's "C" collation by UTF-8 bytes: they differ
      // only between supplementary characters and U+E000..U+FFFF. Refuse rather than root a wrong order.
      if (after !== undefined && after.ts_ms === row.ts_ms && (compareText(after.sensor_id, row.sensor_id) || compareText(after.parameter, row.parameter)) > 0) {
        throw new MrvError("INVALID_INPUT", `sensor ids ${JSON.stringify(after.sensor_id)} and ${JSON.stringify(row.sensor_id)} sort differently in UTF-8 and UTF-16; rename one`);
      }
      yield row;
      after = row;
    }
    if (rows.length < PAGE) return;
  }
}

function leafOf(datasetId: Hex, index: number, row: CanonicalRow): RecordLeaf {
  return [datasetId, String(index), row.sensor_id, row.parameter, row.ts_ms, row.quantity, row.unit];
}

/** Leaf hashes of the dataset's records (hashed on a worker thread while the next page is read). */
async function collectLeafHashes(db: Queryable, datasetId: Hex, expected: number): Promise<LeafHashCollector> {
  const hasher = new ParallelLeafHasher(hexToBytes32(datasetId), expected);
  try {
    let index = 0;
    for await (const row of canonicalRecords(db, datasetId)) {
      const wait = hasher.add(index, row.sensor_id, row.parameter, Number(row.ts_ms), row.quantity, row.unit);
      if (wait !== undefined) await wait;
      index += 1;
    }
    return await hasher.finish();
  } finally {
    await hasher.close();
  }
}

interface ParameterTotal {
  readonly value: string;
  readonly unit: string;
  readonly count: number;
}

async function parameterTotals(db: Queryable, datasetId: string): Promise<Map<string, ParameterTotal[]>> {
  const { rows } = await db.query<{ parameter: string; unit: string; total: string; count: string }>(
    `SELECT parameter, unit, sum(quantity::numeric)::text AS total, count(*)::text AS count FROM mrv_records WHERE dataset_id = $1 GROUP BY parameter, unit`,
    [datasetId],
  );
  const totals = new Map<string, ParameterTotal[]>();
  for (const row of rows) {
    const list = totals.get(row.parameter) ?? [];
    list.push({ value: canonicalDecimalString(row.total), unit: row.unit, count: Number(row.count) });
    totals.set(row.parameter, list);
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
    const collector = await collectLeafHashes(db, datasetId, dataset.recordCount);
    if (collector.length !== dataset.recordCount) throw new Error(`internal: ${dataset.recordCount} records counted, ${collector.length} read`);
    const tree = buildFlatTree(collector.sorted(), keccak);
    for (let chunk = 0; chunk * LEAF_CHUNK < tree.length; chunk++) {
      await db.query(`INSERT INTO mrv_dataset_leaves (dataset_id, chunk, hashes) VALUES ($1, $2, $3)`, [
        datasetId,
        chunk,
        tree.sortedLeaves.subarray(chunk * LEAF_CHUNK * 32, Math.min(tree.length, (chunk + 1) * LEAF_CHUNK) * 32),
      ]);
    }
    const quantification = { ...result, notes };
    await db.query(
      `UPDATE mrv_datasets SET status = 'sealed', merkle_root = $2, quantification = $3::jsonb, net_reductions_tco2e = $4, sealed_at = now() WHERE id = $1`,
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

async function loadTree(db: Queryable, datasetId: string): Promise<FlatMerkleTree> {
  const { rows } = await db.query<{ hashes: Buffer }>(`SELECT hashes FROM mrv_dataset_leaves WHERE dataset_id = $1 ORDER BY chunk`, [datasetId]);
  return buildFlatTree(Buffer.concat(rows.map((r) => r.hashes)), await loadKeccak256());
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
  const { rows } = await db.query<CanonicalRow & { measured_value: string; measured_unit: string; source_row: number; source_page: number | null; file_name: string; sha256: string }>(
    `SELECT r.sensor_id, r.parameter, r.ts_ms::text AS ts_ms, r.quantity, r.unit, r.measured_value, r.measured_unit, r.source_row, r.source_page, u.file_name, u.sha256
     FROM mrv_records r JOIN mrv_uploads u ON u.id = r.upload_id
     WHERE r.dataset_id = $1 ORDER BY r.ts_ms, r.sensor_id COLLATE "C", r.parameter COLLATE "C" OFFSET $2 LIMIT 1`,
    [datasetId, input.index],
  );
  const row = rows[0];
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
      sensorId: row.sensor_id,
      parameter: row.parameter,
      timestamp: new Date(Number(row.ts_ms)).toISOString(),
      quantity: row.quantity,
      unit: row.unit,
      measured: { value: row.measured_value, unit: row.measured_unit },
      source: { file: row.file_name, row: row.source_row, ...(row.source_page === null ? {} : { page: row.source_page }), sha256: row.sha256 },
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
