/** Turns the simulator's state into its JSON wire documents (bigints as decimal strings). */
import type { Account, Issuance, IssuanceRange, Lot, Project, RegistryLedger } from "./ledger";
import { rangeQuantity, totalQuantity } from "./ranges";
import type { RegistryRequest } from "./requestProcessor";
import type {
  AccountDocument,
  HoldingsDocument,
  IssuanceDocument,
  ProjectDocument,
  RequestDocument,
  SerialRangeDocument,
  SerialStatusDocument,
} from "./wire";

export function toAccountDocument(account: Account): AccountDocument {
  return { ...account };
}

export function toProjectDocument(project: Project): ProjectDocument {
  return { ...project, sdgs: [...project.sdgs] };
}

export function toIssuanceDocument(issuance: Issuance, ledger: RegistryLedger): IssuanceDocument {
  return {
    id: issuance.id,
    registry: issuance.registry,
    projectId: issuance.projectId,
    batchId: issuance.batchId,
    serialNumber: ledger.serialNumberOf(issuance, { start: issuance.serialStart, end: issuance.serialEnd }),
    serialScope: String(issuance.serialScope),
    serialStart: String(issuance.serialStart),
    serialEnd: String(issuance.serialEnd),
    quantity: String(issuance.serialEnd - issuance.serialStart + 1n),
    vintageStart: issuance.vintageStart,
    vintageEnd: issuance.vintageEnd,
    issuanceDate: issuance.issuanceDate,
    monitoringPeriodStart: issuance.monitoringPeriodStart,
    monitoringPeriodEnd: issuance.monitoringPeriodEnd,
    certifications: [...issuance.certifications],
    article6Authorization: issuance.article6Authorization,
    productType: issuance.productType,
    accountId: issuance.accountId,
    createdAt: issuance.createdAt,
  };
}

export function toSerialRangeDocument(range: IssuanceRange): SerialRangeDocument {
  return {
    issuanceId: range.issuance.id,
    serialNumber: range.serialNumber,
    serialScope: String(range.issuance.serialScope),
    serialStart: String(range.start),
    serialEnd: String(range.end),
    quantity: String(rangeQuantity(range)),
  };
}

function lotRange(lot: Lot, ledger: RegistryLedger): IssuanceRange {
  const issuance = ledger.getIssuance(lot.issuanceId);
  return { issuance, start: lot.start, end: lot.end, serialNumber: ledger.serialNumberOf(issuance, lot) };
}

export function toHoldingsDocument(account: Account, ledger: RegistryLedger): HoldingsDocument {
  const lots = ledger.holdingsOf(account.id);
  return {
    accountId: account.id,
    registry: account.registry,
    total: String(totalQuantity(lots)),
    holdings: lots.map((lot) => {
      const range = lotRange(lot, ledger);
      return {
        ...toSerialRangeDocument(range),
        registry: range.issuance.registry,
        projectId: range.issuance.projectId,
        vintageStart: range.issuance.vintageStart,
        vintageEnd: range.issuance.vintageEnd,
        since: lot.since,
      };
    }),
  };
}

/** Status and holder of the serials a serial string names, part by part. */
export function toSerialStatusDocument(
  serialNumber: string,
  located: { issuance: Issuance; range: { start: bigint; end: bigint } },
  ledger: RegistryLedger,
): SerialStatusDocument {
  const parts = ledger.lotsWithin(located.issuance, located.range);
  const states = new Set(parts.map((part) => part.state));
  const holders = new Set(parts.map((part) => part.accountId));
  return {
    serialNumber,
    registry: located.issuance.registry,
    issuanceId: located.issuance.id,
    serialScope: String(located.issuance.serialScope),
    serialStart: String(located.range.start),
    serialEnd: String(located.range.end),
    quantity: String(rangeQuantity(located.range)),
    status: states.size === 1 ? parts[0].state : "mixed",
    holderAccountId: holders.size === 1 ? parts[0].accountId : null,
    parts: parts.map((part) => ({
      ...toSerialRangeDocument(lotRange(part, ledger)),
      status: part.state,
      accountId: part.accountId,
      registryRef: part.disposal?.registryRef ?? null,
    })),
  };
}

export function toRequestDocument(request: RegistryRequest): RequestDocument {
  const outcome = request.outcome;
  return {
    id: request.id,
    kind: request.kind,
    status: request.status,
    idempotencyKey: request.idempotencyKey,
    submittedAt: request.submittedAt,
    processedAt: request.processedAt,
    input: toWireJson(request.input) as Record<string, unknown>,
    registry: outcome?.registry ?? request.registry,
    fromAccountId: outcome?.fromAccountId ?? null,
    toAccountId: outcome?.toAccountId ?? null,
    memo: outcome?.memo ?? null,
    quantity: outcome === null ? null : String(outcome.quantity),
    ranges: (outcome?.ranges ?? []).map(toSerialRangeDocument),
    registryRef: outcome?.registryRef ?? null,
    rejectionCode: request.rejection?.code ?? null,
    rejectionReason: request.rejection?.reason ?? null,
  };
}

/** `value` with every bigint replaced by its decimal string (what JSON.stringify cannot do). */
export function toWireJson(value: unknown): unknown {
  if (typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.map(toWireJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toWireJson(v)]),
    );
  }
  return value;
}
