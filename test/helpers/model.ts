/**
 * Reference model of the on-chain ledger (IdentityRegistry + OracleQuorum + CarbonCredit +
 * RetirementCertificate + RegistryBridge) used by the property tests in `test/properties.test.ts`.
 *
 * Pure TypeScript, no chain access: the property test drives the contracts and this model side by
 * side and compares them after every step. The model is written from the Core rules of
 * /work/shared/DESIGN.md, not from the contracts' code.
 */

/** IIdentityRegistry.Status / EntityType / Ineligibility, as the shared fixture defines them. */
export { Status, EntityType as Entity, Ineligibility as Inelig } from "./fixtures";
import { Status, EntityType as Entity, Ineligibility as Inelig } from "./fixtures";

/** Static part of a wallet's identity record (frozen is dynamic, see `Model.frozen`). */
export interface WalletProfile {
  label: string;
  status: number;
  entity: number;
  country: string; // two upper-case letters
  sanctionsCleared: boolean;
  /** KYC expiry already in the past when the sequences start. */
  expired: boolean;
}

export interface SerialRange {
  first: bigint;
  last: bigint;
}

export interface BatchModel {
  id: bigint;
  ns: string;
  registry: string;
  scope: bigint;
  start: bigint;
  end: bigint;
  jurisdiction: string; // "" = anywhere
  nextRetire: bigint;
  redeemFloor: bigint;
  minted: bigint;
  retired: bigint;
  /** Burned for redemption, pending or confirmed (restored on rejection). */
  redeemed: bigint;
  pendingRedemption: bigint | null;
  /** Retired sub-ranges in the order of the Retired events. */
  retiredRanges: SerialRange[];
  /** Redeemed sub-ranges (pending or confirmed), in the order of the RedemptionBurned events. */
  redeemedRanges: SerialRange[];
}

export interface RedemptionModel {
  id: bigint;
  batchId: bigint;
  holder: number; // wallet index
  first: bigint;
  last: bigint;
  status: "Pending" | "Confirmed" | "Rejected";
}

export interface CertificateModel {
  id: bigint;
  batchId: bigint;
  owner: string;
  first: bigint;
  last: bigint;
  status: "Pending" | "Confirmed" | "Rejected";
}

export interface SerialBlock {
  start: bigint;
  end: bigint;
  batchId: bigint;
}

export interface QuorumState {
  epoch: bigint;
  signers: string[]; // lower-case addresses, in the order given to setSignerSet
  threshold: number;
}

export const nsKey = (registry: string, scope: bigint): string => `${registry}:${scope}`;

/** Whether the closed ranges [a0, a1] and [b0, b1] share a serial. */
export const overlaps = (a0: bigint, a1: bigint, b0: bigint, b1: bigint): boolean => a0 <= b1 && b0 <= a1;

export class Model {
  readonly wallets: string[]; // lower-case addresses
  readonly profiles: WalletProfile[];
  frozen: boolean[];
  paused = false;
  batches: BatchModel[] = [];
  /** balances.get(batchId)[walletIndex] */
  balances = new Map<bigint, bigint[]>();
  /** Accepted serial blocks per registry namespace, sorted by start. */
  blocks = new Map<string, SerialBlock[]>();
  redemptions: RedemptionModel[] = [];
  certificates: CertificateModel[] = [];
  quorum: QuorumState;
  /** Signer set and threshold of every epoch seen so far. */
  quorumHistory = new Map<bigint, QuorumState>();
  consumedDigests = new Set<string>();
  /** Wallets that ever held or were sent (or tried to send) credits of a batch. */
  private involved = new Map<bigint, Set<number>>();

  constructor(wallets: string[], profiles: WalletProfile[], quorum: QuorumState) {
    this.wallets = wallets.map((w) => w.toLowerCase());
    this.profiles = profiles;
    this.frozen = wallets.map(() => false);
    this.quorum = { ...quorum, signers: quorum.signers.map((s) => s.toLowerCase()) };
    this.quorumHistory.set(this.quorum.epoch, this.quorum);
  }

  walletIndex(address: string): number {
    return this.wallets.indexOf(address.toLowerCase());
  }

  batch(id: bigint): BatchModel {
    const b = this.batches[Number(id) - 1];
    if (!b) throw new Error(`model: unknown batch ${id}`);
    return b;
  }

  balance(wallet: number, batchId: bigint): bigint {
    return this.balances.get(batchId)?.[wallet] ?? 0n;
  }

  /** First reason `wallet` may not hold `jurisdiction`-restricted credits (IIdentityRegistry order). */
  ineligibility(wallet: number, jurisdiction: string): number {
    const p = this.profiles[wallet];
    if (p.status !== Status.Verified) return Inelig.NotVerified;
    if (this.frozen[wallet]) return Inelig.Frozen;
    if (!p.sanctionsCleared) return Inelig.SanctionsNotCleared;
    if (p.expired) return Inelig.KycExpired;
    if (p.entity === Entity.Custody) return Inelig.None;
    if (jurisdiction !== "" && p.country !== jurisdiction) return Inelig.WrongJurisdiction;
    return Inelig.None;
  }

  eligible(wallet: number, batchId: bigint): boolean {
    return this.ineligibility(wallet, this.batch(batchId).jurisdiction) === Inelig.None;
  }

  supply(batchId: bigint): bigint {
    const b = this.batch(batchId);
    return b.minted - b.retired - b.redeemed;
  }

  holders(batchId: bigint): number[] {
    const bal = this.balances.get(batchId) ?? [];
    return bal.flatMap((v, i) => (v > 0n ? [i] : []));
  }

  involve(wallet: number, batchId: bigint): void {
    let set = this.involved.get(batchId);
    if (!set) {
      set = new Set();
      this.involved.set(batchId, set);
    }
    set.add(wallet);
  }

  /** Wallets ever involved with `batchId`, ascending. Every wallet with a balance is among them. */
  involvedWith(batchId: bigint): number[] {
    return [...(this.involved.get(batchId) ?? [])].sort((a, b) => a - b);
  }

  // ------------------------------------------------------------ serial blocks

  nsBlocks(ns: string): SerialBlock[] {
    let list = this.blocks.get(ns);
    if (!list) {
      list = [];
      this.blocks.set(ns, list);
    }
    return list;
  }

  /** Accepted blocks of `ns` that share a serial with [start, end]. */
  overlapping(ns: string, start: bigint, end: bigint): SerialBlock[] {
    return this.nsBlocks(ns).filter((b) => overlaps(b.start, b.end, start, end));
  }

  /** What `CarbonCredit.serialPredecessor` returns: start of the last block starting before `start`. */
  predecessor(ns: string, start: bigint): bigint {
    let hint = 0n;
    for (const b of this.nsBlocks(ns)) {
      if (b.start < start) hint = b.start;
      else break;
    }
    return hint;
  }

  // ------------------------------------------------------------ transitions (successful operations only)

  addBatch(b: Omit<BatchModel, "nextRetire" | "redeemFloor" | "minted" | "retired" | "redeemed" | "pendingRedemption" | "retiredRanges" | "redeemedRanges">, owner: number): BatchModel {
    const batch: BatchModel = {
      ...b,
      nextRetire: b.start,
      redeemFloor: b.end + 1n,
      minted: b.end - b.start + 1n,
      retired: 0n,
      redeemed: 0n,
      pendingRedemption: null,
      retiredRanges: [],
      redeemedRanges: [],
    };
    if (BigInt(this.batches.length + 1) !== b.id) throw new Error(`model: batch id ${b.id} out of sequence`);
    this.batches.push(batch);
    const bal = this.wallets.map(() => 0n);
    bal[owner] = batch.minted;
    this.balances.set(b.id, bal);
    const list = this.nsBlocks(b.ns);
    list.push({ start: b.start, end: b.end, batchId: b.id });
    list.sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
    return batch;
  }

  move(from: number, to: number, batchId: bigint, amount: bigint): void {
    const bal = this.balances.get(batchId)!;
    if (bal[from] < amount) throw new Error("model: move exceeds balance");
    bal[from] -= amount;
    bal[to] += amount;
  }

  retire(holder: number, batchId: bigint, amount: bigint): SerialRange {
    const b = this.batch(batchId);
    const bal = this.balances.get(batchId)!;
    bal[holder] -= amount;
    const range = { first: b.nextRetire, last: b.nextRetire + amount - 1n };
    b.nextRetire += amount;
    b.retired += amount;
    b.retiredRanges.push(range);
    return range;
  }

  redeem(holder: number, batchId: bigint, amount: bigint): RedemptionModel {
    const b = this.batch(batchId);
    this.balances.get(batchId)![holder] -= amount;
    const r: RedemptionModel = {
      id: BigInt(this.redemptions.length + 1),
      batchId,
      holder,
      first: b.redeemFloor - amount,
      last: b.redeemFloor - 1n,
      status: "Pending",
    };
    b.redeemFloor = r.first;
    b.redeemed += amount;
    b.pendingRedemption = r.id;
    b.redeemedRanges.push({ first: r.first, last: r.last });
    this.redemptions.push(r);
    return r;
  }

  finalizeRedemption(id: bigint, accepted: boolean): void {
    const r = this.redemptions[Number(id) - 1];
    const b = this.batch(r.batchId);
    b.pendingRedemption = null;
    if (accepted) {
      r.status = "Confirmed";
      return;
    }
    r.status = "Rejected";
    const amount = r.last - r.first + 1n;
    b.redeemFloor = r.last + 1n;
    b.redeemed -= amount;
    b.redeemedRanges = b.redeemedRanges.filter((x) => !(x.first === r.first && x.last === r.last));
    this.balances.get(r.batchId)![r.holder] += amount;
  }

  rotate(signers: string[], threshold: number): void {
    this.quorum = { epoch: this.quorum.epoch + 1n, signers: signers.map((s) => s.toLowerCase()), threshold };
    this.quorumHistory.set(this.quorum.epoch, this.quorum);
  }

  // ------------------------------------------------------------ invariants on the model itself

  /**
   * Model-side invariants (the chain is compared against the model separately):
   * - accepted blocks of a namespace are disjoint;
   * - per batch: supply = minted - retired - redeemed = redeemFloor - nextRetire, balances sum to it;
   * - retired ranges are contiguous FIFO from serialStart, disjoint, inside the batch and below the
   *   redeemed ranges, which are contiguous from the top; together with the held range they
   *   partition the batch's block exactly.
   * Returns a list of violations (empty when all hold).
   */
  violations(): string[] {
    const out: string[] = [];
    for (const [ns, list] of this.blocks) {
      for (let i = 1; i < list.length; i++) {
        if (list[i - 1].end >= list[i].start) out.push(`${ns}: blocks [${list[i - 1].start},${list[i - 1].end}] and [${list[i].start},${list[i].end}] overlap`);
      }
    }
    for (const b of this.batches) {
      const supply = b.minted - b.retired - b.redeemed;
      if (supply !== b.redeemFloor - b.nextRetire) out.push(`batch ${b.id}: supply ${supply} != redeemFloor - nextRetire`);
      const bal = this.balances.get(b.id) ?? [];
      const sum = bal.reduce((a, x) => a + x, 0n);
      if (sum !== supply) out.push(`batch ${b.id}: balances sum ${sum} != supply ${supply}`);
      const involved = this.involved.get(b.id);
      bal.forEach((x, w) => {
        if (x !== 0n && !involved?.has(w)) out.push(`batch ${b.id}: wallet ${w} holds credits but was never involved`);
      });
      let cursor = b.start;
      for (const r of b.retiredRanges) {
        if (r.first !== cursor) out.push(`batch ${b.id}: retired range [${r.first},${r.last}] not contiguous FIFO (expected first ${cursor})`);
        if (r.last < r.first || r.last > b.end) out.push(`batch ${b.id}: retired range [${r.first},${r.last}] outside [${b.start},${b.end}]`);
        cursor = r.last + 1n;
      }
      if (cursor !== b.nextRetire) out.push(`batch ${b.id}: retire cursor ${b.nextRetire} != end of retired ranges ${cursor}`);
      let top = b.end + 1n;
      for (const r of b.redeemedRanges) {
        if (r.last !== top - 1n) out.push(`batch ${b.id}: redeemed range [${r.first},${r.last}] not contiguous from the top`);
        top = r.first;
      }
      if (top !== b.redeemFloor) out.push(`batch ${b.id}: redeem floor ${b.redeemFloor} != bottom of redeemed ranges ${top}`);
      if (b.nextRetire > b.redeemFloor) out.push(`batch ${b.id}: retired and redeemed ranges cross`);
    }
    return out;
  }
}
