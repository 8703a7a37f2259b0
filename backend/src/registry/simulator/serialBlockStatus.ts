/**
 * Serial blocks as the adapter API (`../api.ts`) sees them: ACTIVE (held, free to move), LOCKED
 * (held in custody under a lock), RETIRED, CANCELLED, or SPLIT when the named block no longer
 * exists as one piece (its successors do). A serial string that cuts through a current block
 * never named a block, so the registry does not know it.
 */
import type { SerialBlockStatus, SerialBlockStatusValue } from "../api";
import type { RegistryId } from "../../domain";
import type { Lot, RegistryLedger } from "./ledger";
import { rangeQuantity } from "./ranges";
import type { RequestKind } from "./wire";

export function lotBlockStatus(lot: Lot): SerialBlockStatusValue {
  switch (lot.state) {
    case "held":
      return lot.lock === null ? "ACTIVE" : "LOCKED";
    case "retired":
      return "RETIRED";
    case "cancelled":
      return "CANCELLED";
  }
}

/** Status of the pieces a completed request of `kind` produced. */
export function resultBlockStatus(kind: RequestKind): SerialBlockStatusValue {
  return { transfer: "ACTIVE", redemption: "ACTIVE", lock: "LOCKED", retirement: "RETIRED", cancellation: "CANCELLED" }[kind] as SerialBlockStatusValue;
}

/**
 * The status of the block `serialNumber` names in `registry`, or undefined when the registry has
 * no such block (unknown serial, another registry's serial, or a range cutting through a block).
 */
export function serialBlockStatusOf(ledger: RegistryLedger, registry: RegistryId, serialNumber: string): SerialBlockStatus | undefined {
  const location = ledger.locateSerialNumber(serialNumber);
  if (!location.found || location.issuance.registry !== registry) return undefined;
  const { issuance, range } = location;
  const lots = ledger.lotsOfIssuance(issuance.id).filter((lot) => lot.end >= range.start && lot.start <= range.end);
  if (lots.some((lot) => lot.start < range.start || lot.end > range.end)) return undefined;
  const updatedAt = lots.map((lot) => lot.since).reduce((latest, since) => (since > latest ? since : latest));
  const first = lots[0];
  const status = lotBlockStatus(first);
  const uniform = lots.every(
    (lot) => lotBlockStatus(lot) === status && lot.accountId === first.accountId && lot.lock?.lockRef === first.lock?.lockRef,
  );
  if (uniform) {
    return {
      registry,
      serial: serialNumber,
      status,
      holderAccount: first.accountId,
      quantity: String(rangeQuantity(range)),
      lockRef: first.lock?.lockRef ?? null,
      successors: [],
      updatedAt,
    };
  }
  return {
    registry,
    serial: serialNumber,
    status: "SPLIT",
    holderAccount: first.accountId,
    quantity: String(rangeQuantity(range)),
    lockRef: null,
    successors: lots.map((lot) => ledger.serialNumberOf(issuance, lot)),
    updatedAt,
  };
}
