/**
 * What the registry does with each kind of queued request when its processing cycle reaches it:
 * the checks a real registry makes (accounts exist, are open, are in the credits' registry; the
 * source holds the serials) and the exact ledger change. A failed check rejects the request and
 * changes nothing.
 */
import { keccak256, stringToHex } from "viem";
import type { RegistryId } from "../../domain";
import { OperationRejection } from "./errors";
import type { Account, CarveResult, IssuanceRange, LockRecord, RegistryLedger, SelectionPlan } from "./ledger";
import { totalQuantity } from "./ranges";
import type { RequestBodies, RequestKind } from "./wire";

/** The result of a completed request. */
export interface OperationOutcome {
  readonly registry: RegistryId;
  readonly fromAccountId: string;
  readonly toAccountId: string | null;
  readonly memo: string | null;
  readonly quantity: bigint;
  /** The exact pieces moved, retired or cancelled. */
  readonly ranges: readonly IssuanceRange[];
  /** Serial strings of the blocks that had to be split to take those pieces. */
  readonly splitSerials: readonly string[];
  /** The lock the pieces are held under (locks only). */
  readonly lock: LockRecord | null;
  readonly registryRef: string;
}

export interface OperationContext {
  readonly ledger: RegistryLedger;
  readonly requestId: string;
  readonly at: string;
}

type Executor<K extends RequestKind> = (context: OperationContext, body: RequestBodies[K]) => OperationOutcome;

const executors: { readonly [K in RequestKind]: Executor<K> } = {
  transfer({ ledger }, body) {
    const from = openAccount(ledger, body.fromAccountId, "source");
    const to = openAccount(ledger, body.toAccountId, "destination");
    const plan = selectFrom(ledger, from, body);
    requireRegistry(to, plan, "destination");
    return moved(ledger, plan, from, to, body.memo ?? null, null);
  },

  lock({ ledger, requestId }, body) {
    const from = openAccount(ledger, body.fromAccountId, "source");
    if (from.kind === "custody") {
      throw new OperationRejection("NOT_A_HOLDING_ACCOUNT", `source account ${from.id} is a custody account; locks come from holding accounts`);
    }
    const issuance = ledger.resolveIssuance(body);
    const custody = openAccount(ledger, body.custodyAccountId ?? ledger.platformCustodyAccount(issuance.registry).id, "custody");
    if (custody.kind !== "custody") {
      throw new OperationRejection("NOT_A_CUSTODY_ACCOUNT", `account ${custody.id} is a ${custody.kind} account, not a custody account`);
    }
    const plan = selectFrom(ledger, from, body);
    requireRegistry(custody, plan, "custody");
    const registryRef = ledger.nextReference(plan.issuance.registry, "TRF");
    const lock: LockRecord = {
      requestId,
      lockRef: body.lockRef ?? keccak256(stringToHex(`registry-lock:${registryRef}`)),
      wallet: body.destinationWallet,
      chainId: body.chainId ?? null,
    };
    return outcome(plan, from, custody, body.destinationWallet, ledger.transferUnits(plan, custody.id, lock), lock, registryRef);
  },

  retirement({ ledger, requestId, at }, body) {
    const from = openAccount(ledger, body.fromAccountId, "source");
    const plan = selectFrom(ledger, from, body);
    const registryRef = ledger.nextReference(plan.issuance.registry, "RET");
    const ranges = ledger.disposeUnits(plan, {
      kind: "retirement",
      requestId,
      registryRef,
      at,
      beneficiary: body.beneficiary,
      reason: body.reason,
      details: body.details,
      useCase: body.useCase,
      platformReference: body.platformReference ?? null,
    });
    return outcome(plan, from, null, null, ranges, null, registryRef);
  },

  redemption({ ledger }, body) {
    const issuance = ledger.resolveIssuance(body);
    const from = openAccount(ledger, body.fromAccountId ?? ledger.platformCustodyAccount(issuance.registry).id, "source");
    const to = openAccount(ledger, body.toAccountId, "destination");
    if (to.registry !== issuance.registry) {
      throw new OperationRejection(
        "REGISTRY_MISMATCH",
        `destination account ${to.id} is in ${to.registry}; the credits are in ${issuance.registry}`,
      );
    }
    if (to.kind !== "holding") {
      throw new OperationRejection("NOT_A_HOLDING_ACCOUNT", `destination account ${to.id} is a ${to.kind} account, not a holding account`);
    }
    const plan = selectFrom(ledger, from, body);
    return moved(ledger, plan, from, to, body.platformReference ?? null, null);
  },

  cancellation({ ledger, requestId, at }, body) {
    const from = openAccount(ledger, body.fromAccountId, "source");
    const plan = selectFrom(ledger, from, body);
    const registryRef = ledger.nextReference(plan.issuance.registry, "CAN");
    const ranges = ledger.disposeUnits(plan, {
      kind: "cancellation",
      requestId,
      registryRef,
      at,
      beneficiary: "",
      reason: "",
      details: body.reason,
      useCase: null,
      platformReference: null,
    });
    return outcome(plan, from, null, null, ranges, null, registryRef);
  },
};

/**
 * Applies a request to the ledger.
 * @throws OperationRejection when the registry refuses it (nothing changed).
 */
export function executeOperation<K extends RequestKind>(context: OperationContext, kind: K, body: RequestBodies[K]): OperationOutcome {
  return (executors[kind] as Executor<K>)(context, body);
}

function openAccount(ledger: RegistryLedger, id: string, role: "source" | "destination" | "custody"): Account {
  const account = ledger.findAccount(id);
  if (account === undefined) throw new OperationRejection("ACCOUNT_NOT_FOUND", `${role} account ${JSON.stringify(id)} does not exist`);
  if (account.closed) throw new OperationRejection("ACCOUNT_CLOSED", `${role} account ${id} is closed`);
  return account;
}

function selectFrom(ledger: RegistryLedger, from: Account, body: RequestBodies[RequestKind]): SelectionPlan {
  const issuance = ledger.resolveIssuance(body);
  if (issuance.registry !== from.registry) {
    throw new OperationRejection("REGISTRY_MISMATCH", `source account ${from.id} is in ${from.registry}; the credits are in ${issuance.registry}`);
  }
  return ledger.selectUnits(from.id, body);
}

function requireRegistry(account: Account, plan: SelectionPlan, role: string): void {
  if (account.registry !== plan.issuance.registry) {
    throw new OperationRejection(
      "REGISTRY_MISMATCH",
      `${role} account ${account.id} is in ${account.registry}; the credits are in ${plan.issuance.registry}`,
    );
  }
}

function moved(ledger: RegistryLedger, plan: SelectionPlan, from: Account, to: Account, memo: string | null, lock: LockRecord | null): OperationOutcome {
  const registryRef = ledger.nextReference(plan.issuance.registry, "TRF");
  return outcome(plan, from, to, memo, ledger.transferUnits(plan, to.id, lock), lock, registryRef);
}

function outcome(
  plan: SelectionPlan,
  from: Account,
  to: Account | null,
  memo: string | null,
  carved: CarveResult,
  lock: LockRecord | null,
  registryRef: string,
): OperationOutcome {
  return {
    registry: plan.issuance.registry,
    fromAccountId: from.id,
    toAccountId: to?.id ?? null,
    memo,
    quantity: totalQuantity(carved.ranges),
    ranges: carved.ranges,
    splitSerials: carved.splitSerials,
    lock,
    registryRef,
  };
}
