/**
 * Read API over the indexer's read model. Every statement is a constant with bound parameters;
 * addresses are accepted in any case (invalid ones throw viem's InvalidAddressError) and returned
 * checksummed; integers come back as bigints.
 */
import { getAddress, type Address, type Hash, type Hex } from "viem";
import type { Queryable } from "../db";
import type { CustodyEventKind } from "./projections";
import { numericParam, storedHex } from "./encoding";

export type RegistryVerdict = "pending" | "registry-confirmed" | "registry-rejected";

export interface WalletBalance {
  readonly batchId: bigint;
  readonly available: bigint;
  readonly reserved: bigint;
  readonly retired: bigint;
  readonly redeemedPending: bigint;
  readonly redeemedConfirmed: bigint;
}

export interface BatchView {
  readonly batchId: bigint;
  readonly registry: string;
  readonly projectId: string;
  readonly methodology: string;
  readonly serialScope: bigint;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
  /** YYYYMMDD. */
  readonly vintageStart: number;
  readonly vintageEnd: number;
  readonly country: string;
  /** Holders must be registered here; null = anywhere. */
  readonly jurisdiction: string | null;
  readonly labels: number;
  readonly correspondingAdjustment: number;
  readonly mrvDatasetId: Hex | null;
  readonly serialNumber: string;
  readonly initialOwner: Address;
  readonly lockRef: Hex;
  readonly tokenizeAttestation: Hash | null;
  /** Transfer rule as last set in the IdentityRegistry (null when none was indexed). */
  readonly transferRule: { readonly jurisdiction: string | null; readonly entityTypeMask: number } | null;
  readonly minted: bigint;
  readonly retired: bigint;
  readonly redeemedPending: bigint;
  readonly redeemedConfirmed: bigint;
  /** minted − retired − redeemed (pending and confirmed). */
  readonly onChainSupply: bigint;
  readonly nextRetireSerial: bigint;
  readonly redeemFloor: bigint;
  readonly createdTx: Hash;
  readonly createdBlock: bigint;
  readonly createdAt: Date;
}

export interface RetirementView {
  readonly certificateId: bigint;
  readonly batchId: bigint;
  readonly registry: string;
  readonly projectId: string;
  readonly vintageStart: number;
  readonly vintageEnd: number;
  readonly holder: Address;
  readonly beneficiary: Address;
  readonly beneficiaryName: string | null;
  readonly beneficiaryCommitment: Hash | null;
  readonly reason: string;
  /** YYYYMMDD. */
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly consumptionCountry: string;
  readonly firstSerial: bigint;
  readonly lastSerial: bigint;
  readonly quantity: bigint;
  readonly detailsHash: Hash;
  readonly registryStatus: RegistryVerdict;
  readonly registryRef: Hex | null;
  readonly statusAttestation: Hash | null;
  readonly txHash: Hash;
  readonly blockNumber: bigint;
  readonly blockTime: Date;
}

export interface RedemptionView {
  readonly redemptionId: bigint;
  readonly batchId: bigint;
  readonly holder: Address;
  readonly firstSerial: bigint;
  readonly lastSerial: bigint;
  readonly quantity: bigint;
  readonly registryAccount: string;
  readonly status: RegistryVerdict;
  readonly registryRef: Hex | null;
  readonly resultAttestation: Hash | null;
  readonly requestedTx: Hash;
  readonly finalizedTx: Hash | null;
}

export interface CustodyEvent {
  readonly kind: CustodyEventKind;
  readonly batchId: bigint;
  readonly from: Address | null;
  readonly to: Address | null;
  readonly amount: bigint;
  readonly firstSerial: bigint | null;
  readonly lastSerial: bigint | null;
  /** The quorum attestation that allowed the change, when one did. */
  readonly attestationDigest: Hash | null;
  /** Registry lock reference (tokenization) or the registry's retirement / redemption reference. */
  readonly registryRef: Hex | null;
  readonly certificateId: bigint | null;
  readonly redemptionId: bigint | null;
  readonly registryAccount: string | null;
  readonly reason: string | null;
  readonly blockNumber: bigint;
  readonly blockTime: Date;
  readonly txHash: Hash;
  readonly logIndex: number;
  readonly seq: number;
}

/** Keyset paging over events in chain order. */
export interface EventPage {
  /** Return events strictly after this one (the last of the previous page). */
  readonly after?: Pick<CustodyEvent, "blockNumber" | "logIndex" | "seq">;
  /** Default 500, at most 5000. */
  readonly limit?: number;
}

export interface IdentityView {
  readonly wallet: Address;
  readonly status: string;
  readonly entityType: string;
  readonly country: string | null;
  /** Unix seconds. */
  readonly kycExpiry: bigint;
  readonly sanctionsCleared: boolean;
  readonly frozen: boolean;
  readonly lastChange: string;
  readonly lastReason: string | null;
}

export interface IndexerProgress {
  readonly startBlock: bigint;
  readonly indexedBlock: bigint;
  readonly finalizedBlock: bigint;
  readonly updatedBy: string;
  readonly updatedAt: Date;
}

type Row = Record<string, unknown>;

const big = (value: unknown): bigint => BigInt(value as string);
const bigOrNull = (value: unknown): bigint | null => (value === null ? null : BigInt(value as string));
const address = (value: unknown): Address => getAddress(value as string);
const addressOrNull = (value: unknown): Address | null => (value === null ? null : getAddress(value as string));
const walletParam = (wallet: string): string => storedHex(getAddress(wallet));

function pageParams(page: EventPage = {}): [string | null, number | null, number | null, number] {
  const limit = page.limit ?? 500;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 5000) throw new RangeError(`limit must be an integer in 1..5000 (got ${limit})`);
  const after = page.after;
  return after === undefined ? [null, null, null, limit] : [numericParam(after.blockNumber), after.logIndex, after.seq, limit];
}

const CUSTODY_COLUMNS = `c.kind, c.batch_id, c.from_address, c.to_address, c.amount, c.first_serial, c.last_serial, c.attestation_digest,
  c.registry_ref, c.certificate_id, c.redemption_id, c.registry_account, c.reason, c.block_number, c.block_time, c.tx_hash, c.log_index, c.seq`;
const PAGE_FILTER = "($3::bigint IS NULL OR (c.block_number, c.log_index, c.seq) > ($3::bigint, $4::integer, $5::integer))";
const PAGE_ORDER = "ORDER BY c.block_number, c.log_index, c.seq LIMIT $6";

function toCustodyEvent(row: Row): CustodyEvent {
  return {
    kind: row.kind as CustodyEventKind,
    batchId: big(row.batch_id),
    from: addressOrNull(row.from_address),
    to: addressOrNull(row.to_address),
    amount: big(row.amount),
    firstSerial: bigOrNull(row.first_serial),
    lastSerial: bigOrNull(row.last_serial),
    attestationDigest: row.attestation_digest as Hash | null,
    registryRef: row.registry_ref as Hex | null,
    certificateId: bigOrNull(row.certificate_id),
    redemptionId: bigOrNull(row.redemption_id),
    registryAccount: row.registry_account as string | null,
    reason: row.reason as string | null,
    blockNumber: big(row.block_number),
    blockTime: row.block_time as Date,
    txHash: row.tx_hash as Hash,
    logIndex: row.log_index as number,
    seq: row.seq as number,
  };
}

/** Balances of `wallet` per batch and state (batches where every state is zero are left out). */
export async function walletBalances(db: Queryable, chainId: number, wallet: string): Promise<WalletBalance[]> {
  const { rows } = await db.query<Row>(
    `SELECT batch_id, available, reserved, retired, redeemed_pending, redeemed_confirmed FROM balances
      WHERE chain_id = $1 AND wallet = $2
        AND (available > 0 OR reserved > 0 OR retired > 0 OR redeemed_pending > 0 OR redeemed_confirmed > 0)
      ORDER BY batch_id`,
    [chainId, walletParam(wallet)],
  );
  return rows.map((r) => ({
    batchId: big(r.batch_id),
    available: big(r.available),
    reserved: big(r.reserved),
    retired: big(r.retired),
    redeemedPending: big(r.redeemed_pending),
    redeemedConfirmed: big(r.redeemed_confirmed),
  }));
}

export async function batchById(db: Queryable, chainId: number, batchId: bigint): Promise<BatchView | undefined> {
  const { rows } = await db.query<Row>(
    `SELECT b.*, r.jurisdiction AS rule_jurisdiction, r.entity_type_mask AS rule_entity_type_mask
       FROM batches b LEFT JOIN transfer_rules r ON r.chain_id = b.chain_id AND r.batch_id = b.batch_id
      WHERE b.chain_id = $1 AND b.batch_id = $2`,
    [chainId, numericParam(batchId)],
  );
  const r = rows[0];
  if (r === undefined) return undefined;
  const serialStart = big(r.serial_start);
  const serialEnd = big(r.serial_end);
  const nextRetireSerial = big(r.next_retire_serial);
  const redeemFloor = big(r.redeem_floor);
  const redeemedConfirmed = big(r.redeemed_confirmed);
  const redeemed = serialEnd + 1n - redeemFloor;
  return {
    batchId: big(r.batch_id),
    registry: r.registry as string,
    projectId: r.project_id as string,
    methodology: r.methodology as string,
    serialScope: big(r.serial_scope),
    serialStart,
    serialEnd,
    vintageStart: r.vintage_start as number,
    vintageEnd: r.vintage_end as number,
    country: r.country as string,
    jurisdiction: r.jurisdiction as string | null,
    labels: r.labels as number,
    correspondingAdjustment: r.corresponding_adjustment as number,
    mrvDatasetId: r.mrv_dataset_id as Hex | null,
    serialNumber: r.serial_number as string,
    initialOwner: address(r.initial_owner),
    lockRef: r.lock_ref as Hex,
    tokenizeAttestation: r.tokenize_attestation as Hash | null,
    transferRule:
      r.rule_entity_type_mask === null
        ? null
        : { jurisdiction: r.rule_jurisdiction as string | null, entityTypeMask: r.rule_entity_type_mask as number },
    minted: serialEnd - serialStart + 1n,
    retired: nextRetireSerial - serialStart,
    redeemedPending: redeemed - redeemedConfirmed,
    redeemedConfirmed,
    onChainSupply: redeemFloor - nextRetireSerial,
    nextRetireSerial,
    redeemFloor,
    createdTx: r.created_tx as Hash,
    createdBlock: big(r.created_block),
    createdAt: r.created_at as Date,
  };
}

export interface RetirementFilter {
  /** The certificate owner: the claim's beneficiary address, or the holder when the claim named none. */
  readonly beneficiary?: string;
  /** The claim's beneficiary name (exact). */
  readonly beneficiaryName?: string;
  /** Reporting period, YYYYMMDD inclusive: claims whose period overlaps it. */
  readonly period?: { readonly from: number; readonly to: number };
}

/** Retirements of a beneficiary (address and/or name), optionally for a reporting period, oldest first. */
export async function retirementsOf(db: Queryable, chainId: number, filter: RetirementFilter): Promise<RetirementView[]> {
  if (filter.beneficiary === undefined && filter.beneficiaryName === undefined) {
    throw new RangeError("retirementsOf needs a beneficiary address or a beneficiary name");
  }
  const { rows } = await db.query<Row>(
    `SELECT t.*, b.registry, b.project_id, b.vintage_start, b.vintage_end,
            c.registry_status, c.registry_ref, c.status_attestation
       FROM retirements t
       JOIN batches b ON b.chain_id = t.chain_id AND b.batch_id = t.batch_id
       JOIN certificates c ON c.chain_id = t.chain_id AND c.certificate_id = t.certificate_id
      WHERE t.chain_id = $1
        AND ($2::text IS NULL OR t.beneficiary = $2)
        AND ($3::text IS NULL OR t.beneficiary_name = $3)
        AND ($4::integer IS NULL OR (t.period_start <= $5::integer AND t.period_end >= $4::integer))
      ORDER BY t.block_number, t.log_index`,
    [
      chainId,
      filter.beneficiary === undefined ? null : walletParam(filter.beneficiary),
      filter.beneficiaryName ?? null,
      filter.period?.from ?? null,
      filter.period?.to ?? null,
    ],
  );
  return rows.map((r) => ({
    certificateId: big(r.certificate_id),
    batchId: big(r.batch_id),
    registry: r.registry as string,
    projectId: r.project_id as string,
    vintageStart: r.vintage_start as number,
    vintageEnd: r.vintage_end as number,
    holder: address(r.holder),
    beneficiary: address(r.beneficiary),
    beneficiaryName: r.beneficiary_name as string | null,
    beneficiaryCommitment: r.beneficiary_commitment as Hash | null,
    reason: r.reason as string,
    periodStart: r.period_start as number,
    periodEnd: r.period_end as number,
    consumptionCountry: r.consumption_country as string,
    firstSerial: big(r.first_serial),
    lastSerial: big(r.last_serial),
    quantity: big(r.quantity),
    detailsHash: r.details_hash as Hash,
    registryStatus: r.registry_status as RegistryVerdict,
    registryRef: r.registry_ref as Hex | null,
    statusAttestation: r.status_attestation as Hash | null,
    txHash: r.tx_hash as Hash,
    blockNumber: big(r.block_number),
    blockTime: r.block_time as Date,
  }));
}

export async function redemptionById(db: Queryable, chainId: number, redemptionId: bigint): Promise<RedemptionView | undefined> {
  const { rows } = await db.query<Row>("SELECT * FROM redemptions WHERE chain_id = $1 AND redemption_id = $2", [chainId, numericParam(redemptionId)]);
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    redemptionId: big(r.redemption_id),
    batchId: big(r.batch_id),
    holder: address(r.holder),
    firstSerial: big(r.first_serial),
    lastSerial: big(r.last_serial),
    quantity: big(r.quantity),
    registryAccount: r.registry_account as string,
    status: r.status as RegistryVerdict,
    registryRef: r.registry_ref as Hex | null,
    resultAttestation: r.result_attestation as Hash | null,
    requestedTx: r.requested_tx as Hash,
    finalizedTx: r.finalized_tx as Hash | null,
  };
}

/** Custody events of a batch, in chain order. */
export async function custodyEventsOfBatch(db: Queryable, chainId: number, batchId: bigint, page?: EventPage): Promise<CustodyEvent[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${CUSTODY_COLUMNS} FROM custody_events c WHERE c.chain_id = $1 AND c.batch_id = $2 AND ${PAGE_FILTER} ${PAGE_ORDER}`,
    [chainId, numericParam(batchId), ...pageParams(page)],
  );
  return rows.map(toCustodyEvent);
}

/**
 * Custody events whose serial range contains registry serial `serial` of namespace
 * (`registry`, `serialScope`): tokenization, retirement and redemption steps. ERC-1155 transfers
 * carry no serials (units of a batch are interchangeable until retired), so they are not included.
 */
export async function custodyEventsOfSerial(
  db: Queryable,
  chainId: number,
  serial: { readonly registry: string; readonly serialScope?: bigint; readonly serial: bigint },
  page?: EventPage,
): Promise<CustodyEvent[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${CUSTODY_COLUMNS} FROM custody_events c
       JOIN batches b ON b.chain_id = c.chain_id AND b.batch_id = c.batch_id
      WHERE c.chain_id = $1 AND b.registry = $2 AND b.serial_scope = $7 AND b.serial_start <= $8 AND b.serial_end >= $8
        AND c.first_serial <= $8 AND c.last_serial >= $8 AND ${PAGE_FILTER} ${PAGE_ORDER}`,
    [chainId, serial.registry, ...pageParams(page), numericParam(serial.serialScope ?? 0n), numericParam(serial.serial)],
  );
  return rows.map(toCustodyEvent);
}

/** Custody events where `wallet` is the sender or the receiver, in chain order. */
export async function custodyEventsOfWallet(db: Queryable, chainId: number, wallet: string, page?: EventPage): Promise<CustodyEvent[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${CUSTODY_COLUMNS} FROM custody_events c
      WHERE c.chain_id = $1 AND (c.from_address = $2 OR c.to_address = $2) AND ${PAGE_FILTER} ${PAGE_ORDER}`,
    [chainId, walletParam(wallet), ...pageParams(page)],
  );
  return rows.map(toCustodyEvent);
}

export async function identityOf(db: Queryable, chainId: number, wallet: string): Promise<IdentityView | undefined> {
  const { rows } = await db.query<Row>("SELECT * FROM identities WHERE chain_id = $1 AND wallet = $2", [chainId, walletParam(wallet)]);
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    wallet: address(r.wallet),
    status: r.status as string,
    entityType: r.entity_type as string,
    country: r.country as string | null,
    kycExpiry: big(r.kyc_expiry),
    sanctionsCleared: r.sanctions_cleared as boolean,
    frozen: r.frozen as boolean,
    lastChange: r.last_change as string,
    lastReason: r.last_reason as string | null,
  };
}

/** How far the read model of `chainId` is (undefined before the first run). */
export async function indexerProgress(db: Queryable, chainId: number): Promise<IndexerProgress | undefined> {
  const { rows } = await db.query<Row>(
    "SELECT start_block, indexed_block, finalized_block, updated_by, updated_at FROM indexer_checkpoints WHERE chain_id = $1",
    [chainId],
  );
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    startBlock: big(r.start_block),
    indexedBlock: big(r.indexed_block),
    finalizedBlock: big(r.finalized_block),
    updatedBy: r.updated_by as string,
    updatedAt: r.updated_at as Date,
  };
}
