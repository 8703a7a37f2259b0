/**
 * The comparisons themselves, as pure functions over what was read: registry pieces against the
 * chain's serial accounting, and the read model against contract state at its indexed block.
 */
import { rangesNotCovered, type RegistryBlockView, type RegistryPiece } from "../custody/registryView";
import { differenceOf, type Difference, type ReconciliationPolicy } from "./differences";

export interface ChainBatchState {
  readonly batchId: bigint;
  readonly registry: string;
  readonly serialNumber: string;
  readonly lockRef: string;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
  /** Serials [nextRetireSerial, redeemFloor) are held on-chain. */
  readonly nextRetireSerial: bigint;
  readonly redeemFloor: bigint;
  readonly tokenizedAt: Date;
  readonly retirements: readonly { certificateId: bigint; firstSerial: bigint; lastSerial: bigint; at: Date; status: string }[];
  /** Redeemed ranges the registry confirmed (released from custody). */
  readonly redeemedConfirmed: readonly { firstSerial: bigint; lastSerial: bigint; at: Date }[];
}

const count = (ranges: readonly { first: bigint; last: bigint }[]): bigint => ranges.reduce((n, r) => n + r.last - r.first + 1n, 0n);
const describe = (ranges: readonly { first: bigint; last: bigint }[]): string => ranges.map((r) => (r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`)).join(", ");

/** Registry ↔ chain differences of one batch. */
export function compareBatchWithRegistry(batch: ChainBatchState, view: RegistryBlockView, now: Date, policy: ReconciliationPolicy): Difference[] {
  const differences: Difference[] = [];
  const lockedByUs = (p: RegistryPiece) => p.status === "LOCKED" && p.lockRef === batch.lockRef.toLowerCase();
  const subject = { batchId: batch.batchId.toString(), registry: batch.registry, serialNumber: batch.serialNumber };

  // Orphan tokens: units held on-chain whose serials are not locked in registry custody under the batch's lock.
  const liveLast = batch.redeemFloor - 1n;
  const orphans = rangesNotCovered(view, batch.nextRetireSerial, liveLast, lockedByUs);
  if (orphans.length > 0) {
    const registryStatus = view.found ? "not locked under the batch's lock reference" : view.reason;
    differences.push(
      differenceOf(
        {
          key: `orphan_token:${batch.batchId}`,
          kind: "orphan_token",
          message: `batch ${batch.batchId}: ${count(orphans)} on-chain units (serials ${describe(orphans)}) have no registry lock behind them: ${registryStatus}`,
          details: { ...subject, quantity: count(orphans).toString(), serials: describe(orphans), lockRef: batch.lockRef },
          since: batch.tokenizedAt,
        },
        now,
        policy,
      ),
    );
  }

  // Ghost credits: retired on-chain, not retired at the registry past the allowed lag.
  for (const retirement of batch.retirements) {
    const lagging = now.getTime() - retirement.at.getTime() > policy.registryLagMs;
    if (!lagging) continue;
    const active = rangesNotCovered(view, retirement.firstSerial, retirement.lastSerial, (p) => p.status === "RETIRED");
    if (active.length === 0) continue;
    differences.push(
      differenceOf(
        {
          key: `ghost_credit:${batch.batchId}:${retirement.certificateId}`,
          kind: "ghost_credit",
          message: `certificate ${retirement.certificateId}: ${count(active)} serials (${describe(active)}) retired on-chain are still not retired in the ${batch.registry} registry`,
          details: {
            ...subject,
            certificateId: retirement.certificateId.toString(),
            quantity: count(active).toString(),
            serials: describe(active),
            certificateStatus: retirement.status,
          },
          since: retirement.at,
        },
        now,
        policy,
      ),
    );
  }

  // Registry custody still locking serials the chain redeemed and the registry confirmed releasing.
  for (const redeemed of batch.redeemedConfirmed) {
    const stillLocked = rangesNotCovered(view, redeemed.firstSerial, redeemed.lastSerial, (p) => !lockedByUs(p));
    if (stillLocked.length === 0) continue;
    differences.push(
      differenceOf(
        {
          key: `balance_mismatch:${batch.batchId}:redeemed:${redeemed.firstSerial}`,
          kind: "balance_mismatch",
          message: `batch ${batch.batchId}: the registry still locks ${count(stillLocked)} serials (${describe(stillLocked)}) in custody that the chain redeemed`,
          details: { ...subject, quantity: count(stillLocked).toString(), serials: describe(stillLocked), side: "registry" },
          since: redeemed.at,
        },
        now,
        policy,
      ),
    );
  }
  return differences;
}

export interface HeldBalance {
  readonly wallet: string;
  readonly batchId: bigint;
  readonly readModel: bigint;
  readonly chain: bigint;
}

/** Read model ↔ chain balance differences at the read model's indexed block. */
export function compareHeldBalances(
  input: {
    readonly indexedBlock: bigint;
    readonly balances: readonly HeldBalance[];
    readonly supplies: readonly { batchId: bigint; readModel: bigint; chain: bigint }[];
    readonly batchCount: { readModel: bigint; chain: bigint };
  },
  firstSeen: (key: string) => Date,
  now: Date,
  policy: ReconciliationPolicy,
): Difference[] {
  const differences: Difference[] = [];
  const at = input.indexedBlock.toString();
  for (const b of input.balances) {
    if (b.readModel === b.chain) continue;
    const key = `balance_mismatch:${b.batchId}:${b.wallet.toLowerCase()}`;
    differences.push(
      differenceOf(
        {
          key,
          kind: "balance_mismatch",
          message: `read model says ${b.wallet} holds ${b.readModel} of batch ${b.batchId}, the chain says ${b.chain} (block ${at})`,
          details: { batchId: b.batchId.toString(), wallet: b.wallet, readModel: b.readModel.toString(), chain: b.chain.toString(), block: at, side: "read_model" },
          since: firstSeen(key),
        },
        now,
        policy,
      ),
    );
  }
  for (const s of input.supplies) {
    if (s.readModel === s.chain) continue;
    const key = `balance_mismatch:${s.batchId}:supply`;
    differences.push(
      differenceOf(
        {
          key,
          kind: "balance_mismatch",
          message: `read model holdings of batch ${s.batchId} add up to ${s.readModel}, its on-chain supply is ${s.chain} (block ${at})`,
          details: { batchId: s.batchId.toString(), readModel: s.readModel.toString(), chain: s.chain.toString(), block: at, side: "read_model" },
          since: firstSeen(key),
        },
        now,
        policy,
      ),
    );
  }
  if (input.batchCount.readModel !== input.batchCount.chain) {
    const key = "balance_mismatch:batch_count";
    differences.push(
      differenceOf(
        {
          key,
          kind: "balance_mismatch",
          message: `read model has ${input.batchCount.readModel} batches, the chain ${input.batchCount.chain} (block ${at})`,
          details: { readModel: input.batchCount.readModel.toString(), chain: input.batchCount.chain.toString(), block: at, side: "read_model" },
          since: firstSeen(key),
        },
        now,
        policy,
      ),
    );
  }
  return differences;
}
