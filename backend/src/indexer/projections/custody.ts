/**
 * The two projections every custody change goes through: per-wallet balances by state, and the
 * `custody_events` log (one row per custody change, annotated within its transaction by the
 * events that explain it: the attestation that allowed it, the registry reference, the reason).
 */
import type { Hash, Hex } from "viem";
import type { ProjectionContext } from "../contractModule";
import { numericParam, pgText, storedHex, type StoredHex } from "../encoding";
import { rememberRow } from "../store/undo";

export const CUSTODY_EVENT_KINDS = [
  "tokenized",
  "transferred",
  "reserved",
  "released",
  "custody_returned",
  "forced_transfer",
  "retired",
  "retirement_confirmed",
  "retirement_rejected",
  "redemption_requested",
  "redemption_confirmed",
  "redemption_rejected",
] as const;
export type CustodyEventKind = (typeof CUSTODY_EVENT_KINDS)[number];

/** A projection met a log sequence the ledger contracts cannot produce: the read model would be wrong, so indexing stops. */
export class ProjectionError extends Error {
  constructor(ctx: Pick<ProjectionContext, "txHash" | "logIndex" | "blockNumber">, message: string) {
    super(`${message} (tx ${ctx.txHash}, log ${ctx.logIndex}, block ${ctx.blockNumber})`);
    this.name = "ProjectionError";
  }
}

export function isCustodyAddress(ctx: ProjectionContext, wallet: string): boolean {
  return ctx.sources.custody.has(storedHex(wallet));
}

export interface BalanceDelta {
  readonly available?: bigint;
  readonly reserved?: bigint;
  readonly retired?: bigint;
  readonly redeemedPending?: bigint;
  readonly redeemedConfirmed?: bigint;
}

/**
 * Adds `delta` to `wallet`'s balances of `batchId`. Changes of final blocks are summed in the
 * write buffer; a reversible block's change is written at once after its undo snapshot.
 */
export async function addToBalance(ctx: ProjectionContext, wallet: string, batchId: bigint, delta: BalanceDelta): Promise<void> {
  const holder = storedHex(wallet);
  if (!ctx.reversible) {
    ctx.buffer.addToBalance(holder, batchId, delta, ctx.blockNumber, storedHex(ctx.blockHash));
    return;
  }
  await rememberRow(ctx, "balances", [holder, batchId]);
  // Update first, insert only a new row: a debit row never reaches the CHECK (>= 0) on its own.
  await ctx.db.query(
    `WITH updated AS (
       UPDATE balances SET
         available = available + $4, reserved = reserved + $5, retired = retired + $6,
         redeemed_pending = redeemed_pending + $7, redeemed_confirmed = redeemed_confirmed + $8,
         block_number = $9, block_hash = $10
       WHERE chain_id = $1 AND wallet = $2 AND batch_id = $3
       RETURNING 1)
     INSERT INTO balances (chain_id, wallet, batch_id, available, reserved, retired, redeemed_pending, redeemed_confirmed, block_number, block_hash)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE NOT EXISTS (SELECT 1 FROM updated)`,
    [
      ctx.chainId,
      holder,
      numericParam(batchId),
      numericParam(delta.available ?? 0n),
      numericParam(delta.reserved ?? 0n),
      numericParam(delta.retired ?? 0n),
      numericParam(delta.redeemedPending ?? 0n),
      numericParam(delta.redeemedConfirmed ?? 0n),
      numericParam(ctx.blockNumber),
      storedHex(ctx.blockHash),
    ],
  );
}

/** Moves `amount` held units between wallets (or from/to the zero address: mint/burn sides are skipped). */
export async function moveHeldUnits(ctx: ProjectionContext, from: string | null, to: string | null, batchId: bigint, amount: bigint): Promise<void> {
  const held = (wallet: string, sign: bigint): BalanceDelta =>
    isCustodyAddress(ctx, wallet) ? { reserved: sign * amount } : { available: sign * amount };
  if (from !== null) await addToBalance(ctx, from, batchId, held(from, -1n));
  if (to !== null) await addToBalance(ctx, to, batchId, held(to, 1n));
}

export interface CustodyEventInput {
  readonly kind: CustodyEventKind;
  readonly batchId: bigint;
  readonly from?: string | null;
  readonly to?: string | null;
  readonly amount: bigint;
  readonly firstSerial?: bigint;
  readonly lastSerial?: bigint;
  readonly attestation?: Hash;
  readonly registryRef?: Hex;
  readonly certificateId?: bigint;
  readonly redemptionId?: bigint;
  readonly registryAccount?: string;
  readonly reason?: string;
  /** Position of the id in an ERC-1155 TransferBatch. */
  readonly seq?: number;
}

const optionalHex = (value: string | null | undefined): StoredHex | null => (value === undefined || value === null ? null : storedHex(value));
const optionalNumeric = (value: bigint | undefined): string | null => (value === undefined ? null : numericParam(value));
const optionalText = (value: string | undefined): string | null => (value === undefined ? null : pgText(value));

/** Queues the `custody_events` row of `event` (written with the transaction's other rows, before any direct SQL). */
export function recordCustodyEvent(ctx: ProjectionContext, event: CustodyEventInput): void {
  ctx.buffer.addCustodyEvent({
    tx_hash: storedHex(ctx.txHash),
    log_index: ctx.logIndex,
    seq: event.seq ?? 0,
    kind: event.kind,
    batch_id: numericParam(event.batchId),
    from_address: optionalHex(event.from),
    to_address: optionalHex(event.to),
    amount: numericParam(event.amount),
    first_serial: optionalNumeric(event.firstSerial),
    last_serial: optionalNumeric(event.lastSerial),
    attestation_digest: optionalHex(event.attestation),
    registry_ref: optionalHex(event.registryRef),
    certificate_id: optionalNumeric(event.certificateId),
    redemption_id: optionalNumeric(event.redemptionId),
    registry_account: optionalText(event.registryAccount),
    reason: optionalText(event.reason),
    block_number: numericParam(ctx.blockNumber),
    block_hash: storedHex(ctx.blockHash),
    block_time: ctx.blockTime,
  });
}

export interface CustodyEventMatch {
  readonly kinds: readonly CustodyEventKind[];
  readonly batchId: bigint;
  readonly from?: string;
  readonly to?: string;
  readonly amount?: bigint;
}

export interface CustodyEventAnnotation {
  readonly kind?: CustodyEventKind;
  readonly attestation?: Hash;
  readonly registryRef?: Hex;
  readonly redemptionId?: bigint;
  readonly registryAccount?: string;
  readonly reason?: string;
}

/**
 * Completes the latest custody event of the current transaction that precedes this log and
 * matches `match` (e.g. `Tokenized` adds its attestation to the `tokenized` row of `BatchCreated`).
 * @throws ProjectionError when the transaction has no such event.
 */
export async function annotateCustodyEvent(ctx: ProjectionContext, match: CustodyEventMatch, annotation: CustodyEventAnnotation): Promise<void> {
  const result = await ctx.db.query(
    `UPDATE custody_events c SET
       kind = COALESCE($9, c.kind),
       attestation_digest = COALESCE($10, c.attestation_digest),
       registry_ref = COALESCE($11, c.registry_ref),
       redemption_id = COALESCE($12::numeric, c.redemption_id),
       registry_account = COALESCE($13, c.registry_account),
       reason = COALESCE($14, c.reason)
     WHERE (c.chain_id, c.tx_hash, c.log_index, c.seq) = (
       SELECT m.chain_id, m.tx_hash, m.log_index, m.seq FROM custody_events m
        WHERE m.chain_id = $1 AND m.tx_hash = $2 AND m.log_index < $3 AND m.kind = ANY($4::text[]) AND m.batch_id = $5
          AND ($6::text IS NULL OR m.from_address = $6) AND ($7::text IS NULL OR m.to_address = $7)
          AND ($8::numeric IS NULL OR m.amount = $8)
        ORDER BY m.log_index DESC, m.seq DESC LIMIT 1)`,
    [
      ctx.chainId,
      storedHex(ctx.txHash),
      ctx.logIndex,
      match.kinds,
      numericParam(match.batchId),
      optionalHex(match.from),
      optionalHex(match.to),
      optionalNumeric(match.amount),
      annotation.kind ?? null,
      optionalHex(annotation.attestation),
      optionalHex(annotation.registryRef),
      optionalNumeric(annotation.redemptionId),
      optionalText(annotation.registryAccount),
      optionalText(annotation.reason),
    ],
  );
  if (result.rowCount !== 1) {
    throw new ProjectionError(ctx, `no ${match.kinds.join("/")} custody event of batch ${match.batchId} precedes this log in its transaction`);
  }
}
