/**
 * Claims report of a beneficiary for a reporting period, from the indexer's read model: every
 * retirement whose claim period overlaps the reporting period, with quantity, serial range,
 * project, vintage, labels, certificate id and registry-confirmation status. Totals count only
 * registry-confirmed retirements; pending ones are listed separately, and so are rejected ones
 * (which support no claim).
 */
import type { Address, Hash, Hex } from "viem";
import type { Queryable } from "../db";
import { fromYyyymmdd, labelsFromBitmask, toYyyymmdd, type IsoDate, type Label } from "../domain";
import { queries } from "../indexer";

export interface ClaimsQuery {
  /** A wallet address (the certificate's owner) or the exact beneficiary name of the claims. */
  readonly beneficiary: string;
  readonly from: IsoDate;
  readonly to: IsoDate;
}

export interface ClaimLine {
  readonly certificateId: bigint;
  readonly batchId: bigint;
  readonly registry: string;
  readonly projectId: string;
  readonly vintageStart: IsoDate;
  readonly vintageEnd: IsoDate;
  readonly labels: readonly Label[];
  readonly quantity: bigint;
  readonly firstSerial: bigint;
  readonly lastSerial: bigint;
  /** The batch's registry serial block (the retired range is [firstSerial, lastSerial] inside it). */
  readonly serialBlock: string;
  readonly beneficiary: Address;
  readonly beneficiaryName: string | null;
  readonly reason: string;
  readonly claimPeriodStart: IsoDate;
  readonly claimPeriodEnd: IsoDate;
  readonly consumptionCountry: string;
  readonly registryStatus: queries.RegistryVerdict;
  readonly registryRef: Hex | null;
  readonly retiredAt: Date;
  readonly txHash: Hash;
}

export interface ClaimsReport {
  readonly chainId: number;
  readonly beneficiary: string;
  readonly period: { readonly from: IsoDate; readonly to: IsoDate };
  readonly generatedAt: Date;
  /** The read model's last indexed block: retirements after it are not in the report. */
  readonly indexedBlock: bigint | null;
  readonly confirmed: readonly ClaimLine[];
  readonly pending: readonly ClaimLine[];
  readonly rejected: readonly ClaimLine[];
  readonly totals: {
    /** Tonnes backed by registry-confirmed retirements: the only figure a claim may rest on. */
    readonly confirmedQuantity: bigint;
    readonly confirmedCount: number;
    readonly pendingQuantity: bigint;
    readonly pendingCount: number;
    readonly rejectedQuantity: bigint;
    readonly rejectedCount: number;
  };
}

export class InvalidReportQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidReportQueryError";
  }
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const isoOf = (yyyymmdd: number): IsoDate => fromYyyymmdd(yyyymmdd) ?? (String(yyyymmdd) as IsoDate);

export async function claimsReport(db: Queryable, chainId: number, query: ClaimsQuery, now: Date = new Date()): Promise<ClaimsReport> {
  if (query.beneficiary.trim() === "") throw new InvalidReportQueryError("beneficiary must be a wallet address or a beneficiary name");
  if (query.to < query.from) throw new InvalidReportQueryError(`to (${query.to}) must not be before from (${query.from})`);
  const period = { from: toYyyymmdd(query.from), to: toYyyymmdd(query.to) };
  const retirements = await queries.retirementsOf(
    db,
    chainId,
    ADDRESS.test(query.beneficiary) ? { beneficiary: query.beneficiary, period } : { beneficiaryName: query.beneficiary, period },
  );
  const batches = new Map<bigint, queries.BatchView | undefined>();
  const lines: ClaimLine[] = [];
  for (const r of retirements) {
    if (!batches.has(r.batchId)) batches.set(r.batchId, await queries.batchById(db, chainId, r.batchId));
    const batch = batches.get(r.batchId);
    lines.push({
      certificateId: r.certificateId,
      batchId: r.batchId,
      registry: r.registry,
      projectId: r.projectId,
      vintageStart: isoOf(r.vintageStart),
      vintageEnd: isoOf(r.vintageEnd),
      labels: batch === undefined ? [] : labelsFromBitmask(batch.labels),
      quantity: r.quantity,
      firstSerial: r.firstSerial,
      lastSerial: r.lastSerial,
      serialBlock: batch?.serialNumber ?? "",
      beneficiary: r.beneficiary,
      beneficiaryName: r.beneficiaryName,
      reason: r.reason,
      claimPeriodStart: isoOf(r.periodStart),
      claimPeriodEnd: isoOf(r.periodEnd),
      consumptionCountry: r.consumptionCountry,
      registryStatus: r.registryStatus,
      registryRef: r.registryRef,
      retiredAt: r.blockTime,
      txHash: r.txHash,
    });
  }
  const of = (status: queries.RegistryVerdict) => lines.filter((l) => l.registryStatus === status);
  const sum = (ls: readonly ClaimLine[]) => ls.reduce((n, l) => n + l.quantity, 0n);
  const confirmed = of("registry-confirmed");
  const pending = of("pending");
  const rejected = of("registry-rejected");
  const progress = await queries.indexerProgress(db, chainId);
  return {
    chainId,
    beneficiary: query.beneficiary,
    period: { from: query.from, to: query.to },
    generatedAt: now,
    indexedBlock: progress?.indexedBlock ?? null,
    confirmed,
    pending,
    rejected,
    totals: {
      confirmedQuantity: sum(confirmed),
      confirmedCount: confirmed.length,
      pendingQuantity: sum(pending),
      pendingCount: pending.length,
      rejectedQuantity: sum(rejected),
      rejectedCount: rejected.length,
    },
  };
}

/** The report as JSON-safe data (bigints as decimal strings, dates as ISO strings). */
export function claimsReportJson(report: ClaimsReport): unknown {
  return JSON.parse(JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}
