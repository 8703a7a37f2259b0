/**
 * The custody chain of a batch, a wallet or one registry serial: every custody change from the
 * registry lock through tokenization, transfers, escrow staging and release, to retirement or
 * redemption and the registry's verdict, each with its block time, transaction, the quorum
 * attestation that allowed it (digest, signer-set epoch, signers) and the registry reference.
 *
 * On-chain steps come from the indexer's read model (`custody_events`, `attestations`); the
 * registry side (the block as the registry holds it now) is asked through the registry adapter.
 */
import { getAddress, type Address, type Hash, type Hex } from "viem";
import type { Queryable } from "../db";
import { queries, type CustodyEventKind } from "../indexer";
import { numericParam, storedHex } from "../indexer/encoding";
import type { CustodyEvent } from "../indexer/queries";
import { registryBlockView, type RegistryAdapters, type RegistryBlockView } from "./registryView";

export type CustodySubject =
  | { readonly kind: "batch"; readonly batchId: bigint }
  | { readonly kind: "wallet"; readonly wallet: string }
  | { readonly kind: "serial"; readonly registry: string; readonly serialScope: bigint; readonly serial: bigint };

export interface StepAttestation {
  readonly digest: Hash;
  /** Signer-set epoch the attestation was signed for (null when the quorum event was not indexed). */
  readonly epoch: bigint | null;
  readonly signers: readonly Address[];
  readonly purpose: string | null;
}

/** A custody event of the read model, with the attestation that allowed it resolved (epoch, signers). */
export interface CustodyStep extends Omit<CustodyEvent, "attestationDigest"> {
  readonly attestation: StepAttestation | null;
}

/** The registry side of a batch: the lock the chain recorded, and the block as the registry holds it now. */
export interface RegistrySide {
  readonly batchId: bigint;
  readonly registry: string;
  readonly serialNumber: string;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
  /** The registry lock reference recorded on-chain at tokenization. */
  readonly lockRef: Hex;
  /** The registry's answer, or why there is none (not connected, unreachable). */
  readonly view: RegistryBlockView | { readonly found: false; readonly registry: string; readonly serial: string; readonly reason: string };
}

export interface CustodyChain {
  readonly subject: CustodySubject;
  readonly batches: readonly queries.BatchView[];
  readonly registry: readonly RegistrySide[];
  readonly steps: readonly CustodyStep[];
  /** Cursor for the next page (`after`), when `limit` steps were returned. */
  readonly next: string | null;
  readonly notes: readonly string[];
}

export interface CustodyDeps {
  readonly db: Queryable;
  readonly chainId: number;
  /** Registry adapters; without them the registry side says "not connected". */
  readonly registries?: RegistryAdapters;
}

export interface CustodyPage {
  /** Cursor from a previous page (`<block>:<logIndex>:<seq>`). */
  readonly after?: string;
  /** Default 500, at most 5000. */
  readonly limit?: number;
}

/** A cursor that is not `<block>:<logIndex>:<seq>`. */
export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`invalid cursor ${JSON.stringify(cursor)}: expected <block>:<logIndex>:<seq> from a previous page's "next"`);
    this.name = "InvalidCursorError";
  }
}

export function parseCursor(cursor: string): { blockNumber: bigint; logIndex: number; seq: number } {
  const match = /^(\d{1,20}):(\d{1,9}):(\d{1,9})$/.exec(cursor);
  if (match === null) throw new InvalidCursorError(cursor);
  return { blockNumber: BigInt(match[1]), logIndex: Number(match[2]), seq: Number(match[3]) };
}

type Row = Record<string, unknown>;

const SUBJECT_FILTER: Record<CustodySubject["kind"], string> = {
  batch: "c.batch_id = $2::numeric",
  wallet: "(c.from_address = $2 OR c.to_address = $2)",
  serial: `c.batch_id = $2::numeric AND c.first_serial <= $7::numeric AND c.last_serial >= $7::numeric`,
};

async function stepsOf(db: Queryable, chainId: number, filter: string, key: string, page: CustodyPage, serial: bigint | null): Promise<CustodyStep[]> {
  const limit = page.limit ?? 500;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 5000) throw new RangeError(`limit must be an integer in 1..5000 (got ${limit})`);
  const after = page.after === undefined ? null : parseCursor(page.after);
  const { rows } = await db.query<Row>(
    `SELECT c.*, a.epoch AS a_epoch, a.signers AS a_signers, a.purpose AS a_purpose
       FROM custody_events c
       LEFT JOIN attestations a ON a.chain_id = c.chain_id AND a.digest = c.attestation_digest
      WHERE c.chain_id = $1 AND ${filter}
        AND ($3::bigint IS NULL OR (c.block_number, c.log_index, c.seq) > ($3::bigint, $4::integer, $5::integer))
      ORDER BY c.block_number, c.log_index, c.seq LIMIT $6`,
    [
      chainId,
      key,
      after === null ? null : numericParam(after.blockNumber),
      after?.logIndex ?? null,
      after?.seq ?? null,
      limit,
      ...(serial === null ? [] : [numericParam(serial)]),
    ],
  );
  return rows.map((r) => ({
    kind: r.kind as CustodyEventKind,
    batchId: BigInt(r.batch_id as string),
    from: r.from_address === null ? null : getAddress(r.from_address as string),
    to: r.to_address === null ? null : getAddress(r.to_address as string),
    amount: BigInt(r.amount as string),
    firstSerial: r.first_serial === null ? null : BigInt(r.first_serial as string),
    lastSerial: r.last_serial === null ? null : BigInt(r.last_serial as string),
    attestation:
      r.attestation_digest === null
        ? null
        : {
            digest: r.attestation_digest as Hash,
            epoch: r.a_epoch === null ? null : BigInt(r.a_epoch as string),
            signers: ((r.a_signers as string[] | null) ?? []).map((s) => getAddress(s)),
            purpose: (r.a_purpose as string | null) ?? null,
          },
    registryRef: r.registry_ref as Hex | null,
    certificateId: r.certificate_id === null ? null : BigInt(r.certificate_id as string),
    redemptionId: r.redemption_id === null ? null : BigInt(r.redemption_id as string),
    registryAccount: r.registry_account as string | null,
    reason: r.reason as string | null,
    blockNumber: BigInt(r.block_number as string),
    blockTime: r.block_time as Date,
    txHash: r.tx_hash as Hash,
    logIndex: r.log_index as number,
    seq: r.seq as number,
  }));
}

async function registrySide(deps: CustodyDeps, batch: queries.BatchView): Promise<RegistrySide> {
  const base = {
    batchId: batch.batchId,
    registry: batch.registry,
    serialNumber: batch.serialNumber,
    serialStart: batch.serialStart,
    serialEnd: batch.serialEnd,
    lockRef: batch.lockRef,
  };
  if (deps.registries === undefined) {
    return { ...base, view: { found: false, registry: batch.registry, serial: batch.serialNumber, reason: "the platform is not connected to a registry" } };
  }
  try {
    return { ...base, view: await registryBlockView(deps.registries, batch.registry, batch.serialNumber) };
  } catch (error) {
    return { ...base, view: { found: false, registry: batch.registry, serial: batch.serialNumber, reason: `registry unavailable: ${(error as Error).message}` } };
  }
}

/** The batch of the read model holding serial `serial` of namespace (`registry`, `serialScope`). */
export async function batchOfSerial(db: Queryable, chainId: number, registry: string, serialScope: bigint, serial: bigint): Promise<bigint | undefined> {
  const { rows } = await db.query<{ batch_id: string }>(
    `SELECT batch_id FROM batches WHERE chain_id = $1 AND registry = $2 AND serial_scope = $3 AND serial_start <= $4 AND serial_end >= $4`,
    [chainId, registry, numericParam(serialScope), numericParam(serial)],
  );
  return rows[0] === undefined ? undefined : BigInt(rows[0].batch_id);
}

const cursorOf = (steps: readonly CustodyStep[], limit: number): string | null => {
  const last = steps.at(-1);
  return last === undefined || steps.length < limit ? null : `${last.blockNumber}:${last.logIndex}:${last.seq}`;
};

/**
 * The custody chain of `subject`; undefined when the batch (or the batch holding the serial) is
 * not in the read model. A wallet always has a chain (possibly empty).
 */
export async function custodyChain(deps: CustodyDeps, subject: CustodySubject, page: CustodyPage = {}): Promise<CustodyChain | undefined> {
  const limit = page.limit ?? 500;
  if (subject.kind === "wallet") {
    const wallet = storedHex(getAddress(subject.wallet));
    const steps = await stepsOf(deps.db, deps.chainId, SUBJECT_FILTER.wallet, wallet, page, null);
    return { subject, batches: [], registry: [], steps, next: cursorOf(steps, limit), notes: [] };
  }
  const batchId =
    subject.kind === "batch" ? subject.batchId : await batchOfSerial(deps.db, deps.chainId, subject.registry, subject.serialScope, subject.serial);
  if (batchId === undefined) return undefined;
  const batch = await queries.batchById(deps.db, deps.chainId, batchId);
  if (batch === undefined) return undefined;
  const steps =
    subject.kind === "batch"
      ? await stepsOf(deps.db, deps.chainId, SUBJECT_FILTER.batch, numericParam(batchId), page, null)
      : await stepsOf(deps.db, deps.chainId, SUBJECT_FILTER.serial, numericParam(batchId), page, subject.serial);
  const notes =
    subject.kind === "serial"
      ? [
          "Units of a batch are interchangeable on-chain until retired or redeemed: a serial's holder is fixed only when a retirement (first-in first-out) or a redemption (from the top) assigns it. Transfers of the batch are in its own custody chain.",
        ]
      : [];
  return { subject, batches: [batch], registry: [await registrySide(deps, batch)], steps, next: cursorOf(steps, limit), notes };
}
