/**
 * CarbonCredit, the custody ledger: batches and their serial cursors, balances per state, and the
 * custody events of tokenization, transfers, retirements and redemptions.
 *
 * ERC-1155 TransferSingle/TransferBatch move held units (`available`, or `reserved` for custody
 * addresses); mints and burns are explained by the ledger's own events (BatchCreated, Retired,
 * RedemptionBurned/Restored/Settled), which carry the serial ranges. ForcedTransfer and
 * CustodyReturned re-label the transfer they follow in the same transaction.
 */
import { encodeAbiParameters, getAbiItem, keccak256, type Address } from "viem";
import { carbonCreditAbi } from "../../chain/abis";
import { defineContractModule, type EventArgs, type ProjectionContext } from "../contractModule";
import { countryText, numericParam, optionalBytes32, paddedAsciiText, pgText, storedHex, ZERO_ADDRESS } from "../encoding";
import { rememberRow } from "../store/undo";
import { accessControlHandlers, pausableHandlers } from "./common";
import {
  addToBalance,
  annotateCustodyEvent,
  isCustodyAddress,
  moveHeldUnits,
  ProjectionError,
  recordCustodyEvent,
  type CustodyEventKind,
} from "./custody";

type Abi = typeof carbonCreditAbi;

const TRANSFER_KINDS: readonly CustodyEventKind[] = ["transferred", "reserved", "released"];

/** The ABI type of `RetirementClaim`, to recompute the certificate's details hash. */
const RETIREMENT_CLAIM_PARAMETER = getAbiItem({ abi: carbonCreditAbi, name: "Retired" }).inputs[5];

function transferKind(ctx: ProjectionContext, from: Address, to: Address): CustodyEventKind {
  const fromCustody = isCustodyAddress(ctx, from);
  const toCustody = isCustodyAddress(ctx, to);
  if (toCustody && !fromCustody) return "reserved";
  if (fromCustody && !toCustody) return "released";
  return "transferred";
}

/** Applies one ERC-1155 movement of `amount` units of `batchId`. */
async function applyTransfer(ctx: ProjectionContext, from: Address, to: Address, batchId: bigint, amount: bigint, seq: number): Promise<void> {
  if (amount === 0n) return;
  const sender = storedHex(from) === ZERO_ADDRESS ? null : from;
  const receiver = storedHex(to) === ZERO_ADDRESS ? null : to;
  await moveHeldUnits(ctx, sender, receiver, batchId, amount);
  if (sender !== null && receiver !== null) {
    recordCustodyEvent(ctx, { kind: transferKind(ctx, sender, receiver), batchId, from: sender, to: receiver, amount, seq });
  }
}

interface PendingRedemption {
  readonly holder: string;
  readonly first: bigint;
  readonly last: bigint;
}

async function pendingRedemptionOf(ctx: ProjectionContext, batchId: bigint): Promise<PendingRedemption> {
  const { rows } = await ctx.db.query<{ holder: string | null; first: string | null; last: string | null }>(
    `SELECT pending_redemption_holder AS holder, pending_redemption_first AS first, pending_redemption_last AS last
       FROM batches WHERE chain_id = $1 AND batch_id = $2`,
    [ctx.chainId, numericParam(batchId)],
  );
  const row = rows[0];
  if (row === undefined || row.holder === null || row.first === null || row.last === null) {
    throw new ProjectionError(ctx, `batch ${batchId} has no redemption in flight`);
  }
  return { holder: row.holder, first: BigInt(row.first), last: BigInt(row.last) };
}

const UPDATE_BATCH_RETIRED = `UPDATE batches SET next_retire_serial = $3, block_number = $4, block_hash = $5
  WHERE chain_id = $1 AND batch_id = $2`;
const UPDATE_BATCH_REDEMPTION_BURNED = `UPDATE batches SET redeem_floor = $3, pending_redemption_holder = $4,
  pending_redemption_first = $3, pending_redemption_last = $5, block_number = $6, block_hash = $7
  WHERE chain_id = $1 AND batch_id = $2`;
const UPDATE_BATCH_REDEMPTION_RESTORED = `UPDATE batches SET redeem_floor = $3, pending_redemption_holder = NULL,
  pending_redemption_first = NULL, pending_redemption_last = NULL, block_number = $4, block_hash = $5
  WHERE chain_id = $1 AND batch_id = $2`;
const UPDATE_BATCH_REDEMPTION_SETTLED = `UPDATE batches SET redeemed_confirmed = redeemed_confirmed + $3, pending_redemption_holder = NULL,
  pending_redemption_first = NULL, pending_redemption_last = NULL, block_number = $4, block_hash = $5
  WHERE chain_id = $1 AND batch_id = $2`;
const UPDATE_BATCH_LABELS = `UPDATE batches SET labels = $3, corresponding_adjustment = $4, block_number = $5, block_hash = $6
  WHERE chain_id = $1 AND batch_id = $2`;

type BatchUpdate =
  | typeof UPDATE_BATCH_RETIRED
  | typeof UPDATE_BATCH_REDEMPTION_BURNED
  | typeof UPDATE_BATCH_REDEMPTION_RESTORED
  | typeof UPDATE_BATCH_REDEMPTION_SETTLED
  | typeof UPDATE_BATCH_LABELS;

/** Runs `statement` on batch `batchId` with `values` as $3.. and the block as the last two parameters. */
async function updateBatch(ctx: ProjectionContext, batchId: bigint, statement: BatchUpdate, values: readonly unknown[]): Promise<void> {
  await rememberRow(ctx, "batches", [batchId]);
  const result = await ctx.db.query(statement, [ctx.chainId, numericParam(batchId), ...values, numericParam(ctx.blockNumber), storedHex(ctx.blockHash)]);
  if (result.rowCount !== 1) throw new ProjectionError(ctx, `event for unknown batch ${batchId}`);
}

async function recordBatch(ctx: ProjectionContext, { batchId, owner, lockRef, info }: EventArgs<Abi, "BatchCreated">): Promise<void> {
  await rememberRow(ctx, "batches", [batchId]);
  await ctx.db.query(
    `INSERT INTO batches (chain_id, batch_id, registry, project_id, methodology, serial_scope, serial_start, serial_end,
       vintage_start, vintage_end, country, jurisdiction, labels, corresponding_adjustment, mrv_dataset_id, serial_number,
       initial_owner, lock_ref, next_retire_serial, redeem_floor, created_tx, created_block, created_at, block_number, block_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $7, $19, $20, $21, $22, $21, $23)`,
    [
      ctx.chainId,
      numericParam(batchId),
      paddedAsciiText(info.registry),
      paddedAsciiText(info.projectId),
      paddedAsciiText(info.methodology),
      numericParam(info.serialScope),
      numericParam(info.serialStart),
      numericParam(info.serialEnd),
      info.vintageStart,
      info.vintageEnd,
      paddedAsciiText(info.country),
      countryText(info.jurisdiction),
      info.labels,
      info.correspondingAdjustment,
      optionalBytes32(info.mrvDatasetId),
      pgText(info.serialNumber),
      storedHex(owner),
      storedHex(lockRef),
      numericParam(info.serialEnd + 1n),
      storedHex(ctx.txHash),
      numericParam(ctx.blockNumber),
      ctx.blockTime,
      storedHex(ctx.blockHash),
    ],
  );
  recordCustodyEvent(ctx, {
    kind: "tokenized",
    batchId,
    to: owner,
    amount: info.serialEnd - info.serialStart + 1n,
    firstSerial: info.serialStart,
    lastSerial: info.serialEnd,
    registryRef: lockRef,
  });
}

async function recordRetirement(ctx: ProjectionContext, args: EventArgs<Abi, "Retired">): Promise<void> {
  const { certificateId, batchId, holder, firstSerial, lastSerial, claim } = args;
  const quantity = lastSerial - firstSerial + 1n;
  await addToBalance(ctx, holder, batchId, { retired: quantity });
  await updateBatch(ctx, batchId, UPDATE_BATCH_RETIRED, [numericParam(lastSerial + 1n)]);
  const beneficiary = storedHex(claim.beneficiary) === ZERO_ADDRESS ? holder : claim.beneficiary;
  await ctx.db.query(
    `INSERT INTO retirements (chain_id, certificate_id, batch_id, holder, beneficiary, beneficiary_name, beneficiary_commitment,
       reason, period_start, period_end, consumption_country, first_serial, last_serial, quantity, details_hash,
       tx_hash, log_index, block_number, block_hash, block_time)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
    [
      ctx.chainId,
      numericParam(certificateId),
      numericParam(batchId),
      storedHex(holder),
      storedHex(beneficiary),
      claim.beneficiaryName === "" ? null : pgText(claim.beneficiaryName),
      optionalBytes32(claim.beneficiaryCommitment),
      pgText(claim.reason),
      claim.periodStart,
      claim.periodEnd,
      paddedAsciiText(claim.consumptionCountry),
      numericParam(firstSerial),
      numericParam(lastSerial),
      numericParam(quantity),
      keccak256(encodeAbiParameters([RETIREMENT_CLAIM_PARAMETER], [claim])),
      storedHex(ctx.txHash),
      ctx.logIndex,
      numericParam(ctx.blockNumber),
      storedHex(ctx.blockHash),
      ctx.blockTime,
    ],
  );
  await rememberRow(ctx, "certificates", [certificateId]);
  const certificate = await ctx.db.query(
    "UPDATE certificates SET last_serial = $3, block_number = $4, block_hash = $5 WHERE chain_id = $1 AND certificate_id = $2",
    [ctx.chainId, numericParam(certificateId), numericParam(lastSerial), numericParam(ctx.blockNumber), storedHex(ctx.blockHash)],
  );
  if (certificate.rowCount !== 1) throw new ProjectionError(ctx, `retirement without the mint of certificate ${certificateId}`);
  recordCustodyEvent(ctx, { kind: "retired", batchId, from: holder, amount: quantity, firstSerial, lastSerial, certificateId });
}

export const carbonCreditModule = defineContractModule({
  name: "CarbonCredit",
  abi: carbonCreditAbi,
  addressIn: (deployment) => deployment.contracts.credit,
  handlers: {
    ...accessControlHandlers,
    ...pausableHandlers,
    BatchCreated: (args, ctx) => recordBatch(ctx, args),
    TransferSingle: ({ from, to, id, value }, ctx) => applyTransfer(ctx, from, to, id, value, 0),
    TransferBatch: async ({ from, to, ids, values }, ctx) => {
      for (let i = 0; i < ids.length; i++) await applyTransfer(ctx, from, to, ids[i], values[i], i);
    },
    Retired: (args, ctx) => recordRetirement(ctx, args),
    RedemptionBurned: async ({ batchId, holder, firstSerial, lastSerial }, ctx) => {
      const quantity = lastSerial - firstSerial + 1n;
      await addToBalance(ctx, holder, batchId, { redeemedPending: quantity });
      await updateBatch(ctx, batchId, UPDATE_BATCH_REDEMPTION_BURNED, [numericParam(firstSerial), storedHex(holder), numericParam(lastSerial)]);
      recordCustodyEvent(ctx, { kind: "redemption_requested", batchId, from: holder, amount: quantity, firstSerial, lastSerial });
    },
    RedemptionRestored: async ({ batchId, holder, firstSerial, lastSerial }, ctx) => {
      const quantity = lastSerial - firstSerial + 1n;
      await addToBalance(ctx, holder, batchId, { redeemedPending: -quantity });
      await updateBatch(ctx, batchId, UPDATE_BATCH_REDEMPTION_RESTORED, [numericParam(lastSerial + 1n)]);
      recordCustodyEvent(ctx, { kind: "redemption_rejected", batchId, to: holder, amount: quantity, firstSerial, lastSerial });
    },
    RedemptionSettled: async ({ batchId }, ctx) => {
      const pending = await pendingRedemptionOf(ctx, batchId);
      const quantity = pending.last - pending.first + 1n;
      await addToBalance(ctx, pending.holder, batchId, { redeemedPending: -quantity, redeemedConfirmed: quantity });
      await updateBatch(ctx, batchId, UPDATE_BATCH_REDEMPTION_SETTLED, [numericParam(quantity)]);
      recordCustodyEvent(ctx, {
        kind: "redemption_confirmed",
        batchId,
        from: pending.holder,
        amount: quantity,
        firstSerial: pending.first,
        lastSerial: pending.last,
      });
    },
    CustodyReturned: ({ custodian, to, batchId, amount }, ctx) =>
      annotateCustodyEvent(ctx, { kinds: TRANSFER_KINDS, batchId, from: custodian, to, amount }, { kind: "custody_returned" }),
    ForcedTransfer: ({ from, to, batchId, amount, reason }, ctx) =>
      annotateCustodyEvent(ctx, { kinds: TRANSFER_KINDS, batchId, from, to, amount }, { kind: "forced_transfer", reason }),
    BatchLabelsUpdated: ({ batchId, labels, correspondingAdjustment }, ctx) =>
      updateBatch(ctx, batchId, UPDATE_BATCH_LABELS, [labels, correspondingAdjustment]),
  },
});
