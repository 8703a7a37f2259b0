/**
 * The simulated registries' state: accounts, projects, issuances (serial blocks with their serial
 * strings) and lots — the contiguous serial ranges of an issuance, each held (or retired, or
 * cancelled) by one account. Moving part of a lot splits it exactly at the serial boundaries; the
 * lots of an issuance always partition its serial block.
 *
 * Synchronous calls (account, project, issuance management) throw {@link SimulatorApiError};
 * selections made while processing a queued request throw {@link OperationRejection}.
 */
import { REGISTRY_IDS, type CountryCode, type Hex, type IsoDate, type RegistryId } from "../../domain";
import { SerialFormatError } from "../serial";
import { conflict, invalidField, notFound, OperationRejection } from "./errors";
import {
  compareRanges,
  takeExactSerials,
  takeFirstSerials,
  totalQuantity,
  uncoveredParts,
  type SerialRange,
} from "./ranges";
import { GOLD_STANDARD_PROJECT_TYPES, REGISTRY_CODES, SECTORAL_SCOPE_NAMES } from "./registryNames";
import type { SeededRandom } from "./rng";
import { formatSerialNumber, parseSerialNumber, SerialNumberError, serialScopeOf, type SerialDescriptor } from "./serialNumbers";
import type {
  AccountKind,
  CreateAccountBody,
  CreateProjectBody,
  IssueBody,
  LotState,
  ProductType,
  ProjectStatus,
  RetirementReason,
  UseCase,
} from "./wire";

export interface Account {
  readonly id: string;
  readonly registry: RegistryId;
  readonly name: string;
  readonly kind: AccountKind;
  readonly country: string;
  closed: boolean;
  note: string;
  /** The registry's designated platform custody account (where locks go). */
  readonly platformCustody: boolean;
  readonly createdAt: string;
  updatedAt: string;
}

export interface Project {
  readonly registry: RegistryId;
  readonly id: string;
  readonly name: string;
  readonly country: string;
  readonly methodology: string;
  readonly sectoralScope: number;
  readonly projectType: string;
  readonly projectTypeCode: number | null;
  readonly status: ProjectStatus;
  readonly developer: string;
  readonly sdgs: readonly number[];
  readonly poaGsid: string | null;
  readonly createdAt: string;
}

export interface Issuance {
  readonly id: string;
  readonly registry: RegistryId;
  readonly projectId: string;
  readonly batchId: string;
  readonly serialScope: bigint;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
  readonly vintageStart: IsoDate;
  readonly vintageEnd: IsoDate;
  readonly issuanceDate: IsoDate;
  readonly monitoringPeriodStart: IsoDate;
  readonly monitoringPeriodEnd: IsoDate;
  readonly certifications: readonly string[];
  readonly article6Authorization: string;
  readonly productType: ProductType;
  readonly accountId: string;
  readonly createdAt: string;
  /** Everything a serial string of this issuance carries besides the range. */
  readonly descriptor: SerialDescriptor;
}

/** How a lot left circulation. */
export interface Disposal {
  readonly kind: "retirement" | "cancellation";
  readonly requestId: string;
  readonly registryRef: string;
  readonly at: string;
  /** Retirements only (empty for cancellations). */
  readonly beneficiary: string;
  readonly reason: RetirementReason | "";
  readonly details: string;
  readonly useCase: UseCase | null;
  readonly platformReference: string | null;
}

/** Why a lot sits in a custody account: the lock that put it there. */
export interface LockRecord {
  readonly requestId: string;
  /** The platform's lock reference (bytes32). */
  readonly lockRef: Hex;
  /** Wallet the tokens are to be minted to (the lock memo). */
  readonly wallet: string;
  readonly chainId: number | null;
}

/** A contiguous serial range of one issuance in one state, with one account. */
export interface Lot extends SerialRange {
  readonly id: number;
  readonly issuanceId: string;
  readonly state: LotState;
  /** Holder (held), or the account that retired or cancelled it. */
  readonly accountId: string;
  /** When the lot got its current holder and state. */
  readonly since: string;
  readonly disposal: Disposal | null;
  /** Set while the lot is held in custody because of a lock. */
  readonly lock: LockRecord | null;
}

/** Which serials an operation takes from its source account (validated wire fields). */
export interface UnitSelection {
  readonly issuanceId?: string;
  readonly serialNumber?: string;
  readonly quantity?: bigint;
  readonly serialStart?: bigint;
  readonly serialEnd?: bigint;
}

/** Serials chosen for an operation: exact pieces of the source account's lots. */
export interface SelectionPlan {
  readonly issuance: Issuance;
  readonly pieces: readonly { readonly lot: Lot; readonly start: bigint; readonly end: bigint }[];
}

/** A serial range of an issuance as it appears in results, with its serial string. */
export interface IssuanceRange extends SerialRange {
  readonly issuance: Issuance;
  readonly serialNumber: string;
}

/** What an operation did to the lots: the pieces it produced and the blocks it had to split. */
export interface CarveResult {
  readonly ranges: readonly IssuanceRange[];
  /** Serial strings of the lots that were split (only part of them was taken). */
  readonly splitSerials: readonly string[];
}

/** Where a serial string points: an issuance and the exact range, or why it points nowhere. */
export type SerialLocation =
  | { readonly found: true; readonly issuance: Issuance; readonly range: SerialRange }
  | { readonly found: false; readonly reason: string };

export interface LedgerOptions {
  /** Draws starting numbers (Verra block numbers, batch ids, project ids) and Verra codes. */
  readonly random: SeededRandom;
  readonly now: () => Date;
  /** Ids of the platform custody accounts; {@link DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS} by default. */
  readonly platformCustodyAccountIds?: Partial<Record<RegistryId, string>>;
}

/** Default id of the platform custody account created for each registry. */
export const DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS: Readonly<Record<RegistryId, string>> = {
  VERRA: "VCS-CARBONCLEAR-CUSTODY",
  GOLD_STANDARD: "GS-CARBONCLEAR-CUSTODY",
  CCTS: "CCTS-CARBONCLEAR-CUSTODY",
};

export class RegistryLedger {
  readonly #accounts = new Map<string, Account>();
  readonly #projects = new Map<string, Project>();
  readonly #issuances = new Map<string, Issuance>();
  /** Issuances by registry and serial scope, to find the one a serial string points into. */
  readonly #issuancesByScope = new Map<string, Issuance[]>();
  readonly #lots = new Map<number, Lot>();
  /** Ids of each issuance's lots (an index over #lots: an issuance's lots without a scan of all). */
  readonly #lotIdsByIssuance = new Map<string, Set<number>>();
  readonly #random: SeededRandom;
  readonly #now: () => Date;
  #nextLotId = 1;
  readonly #nextAccountNumber: Record<RegistryId, number>;
  readonly #nextProjectNumber: Record<RegistryId, number>;
  readonly #nextBatchNumber: Record<RegistryId, number>;
  /** Next free Verra block number (Verra numbers serials registry-wide). */
  #nextVerraSerial: bigint;
  /** Next free CCTS certificate number of each compliance year. */
  readonly #nextCctsSerial = new Map<string, bigint>();
  readonly #nextReference = new Map<string, number>();
  readonly #custodyAccountIds: Readonly<Record<RegistryId, string>>;

  constructor(options: LedgerOptions) {
    this.#random = options.random;
    this.#now = options.now;
    const r = this.#random;
    this.#nextAccountNumber = { VERRA: 10001, GOLD_STANDARD: 10001, CCTS: 10001 };
    this.#nextProjectNumber = { VERRA: r.integerBetween(4000, 4999), GOLD_STANDARD: r.integerBetween(12000, 12999), CCTS: 1001 };
    this.#nextBatchNumber = { VERRA: r.integerBetween(19000, 19999), GOLD_STANDARD: r.integerBetween(30000, 30999), CCTS: 1001 };
    this.#nextVerraSerial = BigInt(r.integerBetween(900_000_000, 949_999_999));
    this.#custodyAccountIds = { ...DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS, ...options.platformCustodyAccountIds };
    for (const registry of REGISTRY_IDS) {
      this.createAccount(
        {
          registry,
          id: this.#custodyAccountIds[registry],
          name: "CarbonClear Platform Custody",
          kind: "custody",
          country: "IN",
          closed: false,
          note: "",
        },
        { platformCustody: true },
      );
    }
  }

  // -- accounts ---------------------------------------------------------------------------------

  createAccount(body: CreateAccountBody, options: { platformCustody?: boolean } = {}): Account {
    const id = body.id ?? this.#freshAccountId(body.registry);
    if (this.#accounts.has(id)) throw conflict(`account ${JSON.stringify(id)} already exists`);
    const at = this.#instant();
    const account: Account = {
      id,
      registry: body.registry,
      name: body.name,
      kind: body.kind,
      country: body.country,
      closed: body.closed,
      note: body.note,
      platformCustody: options.platformCustody ?? false,
      createdAt: at,
      updatedAt: at,
    };
    this.#accounts.set(id, account);
    return account;
  }

  #freshAccountId(registry: RegistryId): string {
    for (;;) {
      const id = `${REGISTRY_CODES[registry]}-${this.#nextAccountNumber[registry]++}`;
      if (!this.#accounts.has(id)) return id;
    }
  }

  findAccount(id: string): Account | undefined {
    return this.#accounts.get(id);
  }

  getAccount(id: string): Account {
    return this.#accounts.get(id) ?? raise(notFound("account", id));
  }

  listAccounts(registry?: RegistryId): Account[] {
    return [...this.#accounts.values()].filter((a) => registry === undefined || a.registry === registry);
  }

  platformCustodyAccount(registry: RegistryId): Account {
    return this.getAccount(this.#custodyAccountIds[registry]);
  }

  setAccountNote(id: string, note: string): Account {
    const account = this.getAccount(id);
    account.note = note;
    account.updatedAt = this.#instant();
    return account;
  }

  /** Closes an account; it must hold nothing. */
  closeAccount(id: string): Account {
    const account = this.getAccount(id);
    if (account.platformCustody) throw conflict(`the platform custody account ${id} cannot be closed`);
    const held = totalQuantity(this.holdingsOf(id));
    if (held > 0n) throw conflict(`account ${id} still holds ${held} credits`);
    if (!account.closed) {
      account.closed = true;
      account.updatedAt = this.#instant();
    }
    return account;
  }

  // -- projects ---------------------------------------------------------------------------------

  createProject(body: CreateProjectBody): Project {
    const id = body.id ?? this.#freshProjectId(body.registry);
    const key = projectKey(body.registry, id);
    if (this.#projects.has(key)) throw conflict(`project ${body.registry} ${id} already exists`);
    const projectType =
      body.projectType ??
      (body.registry === "GOLD_STANDARD"
        ? (GOLD_STANDARD_PROJECT_TYPES[body.projectTypeCode ?? 21] ?? "Other")
        : SECTORAL_SCOPE_NAMES[body.sectoralScope]);
    const project: Project = {
      registry: body.registry,
      id,
      name: body.name,
      country: body.country,
      methodology: body.methodology,
      sectoralScope: body.sectoralScope,
      projectType,
      projectTypeCode: body.projectTypeCode ?? null,
      status: body.status,
      developer: body.developer,
      sdgs: [...body.sdgs],
      poaGsid: body.poaGsid ?? null,
      createdAt: this.#instant(),
    };
    this.#projects.set(key, project);
    return project;
  }

  #freshProjectId(registry: RegistryId): string {
    for (;;) {
      const n = this.#nextProjectNumber[registry]++;
      const id = registry === "VERRA" ? String(n) : registry === "GOLD_STANDARD" ? `GS${n}` : `P${n}`;
      if (!this.#projects.has(projectKey(registry, id))) return id;
    }
  }

  getProject(registry: RegistryId, id: string): Project {
    return this.#projects.get(projectKey(registry, id)) ?? raise(notFound(`${registry} project`, id));
  }

  listProjects(registry?: RegistryId): Project[] {
    return [...this.#projects.values()].filter((p) => registry === undefined || p.registry === registry);
  }

  // -- issuances --------------------------------------------------------------------------------

  /** Issues a new serial block of `body.quantity` credits to `body.accountId`. */
  issue(body: IssueBody): Issuance {
    const project = this.#projects.get(projectKey(body.registry, body.projectId));
    if (project === undefined) throw invalidField("projectId", `no ${body.registry} project ${JSON.stringify(body.projectId)}`);
    const account = this.#accounts.get(body.accountId);
    if (account === undefined) throw invalidField("accountId", `no account ${JSON.stringify(body.accountId)}`);
    if (account.registry !== body.registry) {
      throw invalidField("accountId", `account ${account.id} is in ${account.registry}, not ${body.registry}`);
    }
    if (account.closed) throw invalidField("accountId", `account ${account.id} is closed`);
    const batchId = String(this.#nextBatchNumber[body.registry]);
    const serialScope = serialScopeOf(body.registry, batchId, body.vintageStart);
    const serialStart = this.#nextFreeSerial(body.registry, serialScope);
    const serialEnd = serialStart + body.quantity - 1n;
    const descriptor: SerialDescriptor = {
      registry: body.registry,
      batchId,
      projectId: project.id,
      country: project.country as CountryCode,
      sectoralScope: project.sectoralScope,
      projectTypeCode: project.projectTypeCode,
      vintageStart: body.vintageStart,
      vintageEnd: body.vintageEnd,
      verraCode: body.verraCode ?? "0",
      hasCertifications: body.certifications.length > 0,
    };
    try {
      formatSerialNumber(descriptor, { start: serialStart, end: serialEnd });
    } catch (error) {
      if (error instanceof SerialFormatError) throw invalidField("quantity", `the issued block would not have a valid serial: ${error.message}`);
      throw error;
    }
    // Valid: commit the numbering.
    this.#nextBatchNumber[body.registry]++;
    this.#claimSerials(body.registry, serialScope, serialEnd + 1n);
    const at = this.#instant();
    const issuance: Issuance = {
      id: `${REGISTRY_CODES[body.registry]}-${batchId}`,
      registry: body.registry,
      projectId: project.id,
      batchId,
      serialScope,
      serialStart,
      serialEnd,
      vintageStart: body.vintageStart,
      vintageEnd: body.vintageEnd,
      issuanceDate: body.issuanceDate ?? (at.slice(0, 10) as IsoDate),
      monitoringPeriodStart: body.monitoringPeriodStart ?? body.vintageStart,
      monitoringPeriodEnd: body.monitoringPeriodEnd ?? body.vintageEnd,
      certifications: [...body.certifications],
      article6Authorization: body.article6Authorization,
      productType: body.productType ?? ({ VERRA: "VCU", GOLD_STANDARD: "VER", CCTS: "CCC" } as const)[body.registry],
      accountId: account.id,
      createdAt: at,
      descriptor: { ...descriptor, verraCode: body.verraCode ?? String(this.#random.integerBetween(100, 1599)) },
    };
    this.#issuances.set(issuance.id, issuance);
    const scopeKey = scopeKeyOf(body.registry, serialScope);
    // In serial order: a scope's serials are handed out upwards (#nextFreeSerial).
    const inScope = this.#issuancesByScope.get(scopeKey);
    if (inScope === undefined) this.#issuancesByScope.set(scopeKey, [issuance]);
    else inScope.push(issuance);
    this.#addLot({
      issuanceId: issuance.id,
      start: serialStart,
      end: serialEnd,
      state: "held",
      accountId: account.id,
      since: at,
      disposal: null,
      lock: null,
    });
    return issuance;
  }

  /** First unused serial of a numbering namespace: Verra registry-wide, CCTS per compliance year, Gold Standard per batch. */
  #nextFreeSerial(registry: RegistryId, serialScope: bigint): bigint {
    if (registry === "VERRA") return this.#nextVerraSerial;
    if (registry === "CCTS") return this.#nextCctsSerial.get(String(serialScope)) ?? 1n;
    return 1n;
  }

  #claimSerials(registry: RegistryId, serialScope: bigint, nextFree: bigint): void {
    if (registry === "VERRA") this.#nextVerraSerial = nextFree;
    if (registry === "CCTS") this.#nextCctsSerial.set(String(serialScope), nextFree);
  }

  getIssuance(id: string): Issuance {
    return this.#issuances.get(id) ?? raise(notFound("issuance", id));
  }

  listIssuances(filter: { registry?: RegistryId; projectId?: string } = {}): Issuance[] {
    return [...this.#issuances.values()].filter(
      (i) => (filter.registry === undefined || i.registry === filter.registry) && (filter.projectId === undefined || i.projectId === filter.projectId),
    );
  }

  projectOf(issuance: Issuance): Project {
    return this.getProject(issuance.registry, issuance.projectId);
  }

  serialNumberOf(issuance: Issuance, range: SerialRange): string {
    return formatSerialNumber(issuance.descriptor, range);
  }

  // -- lots -------------------------------------------------------------------------------------

  /** Lots held by `accountId`, by issuance then serial. */
  holdingsOf(accountId: string): Lot[] {
    return this.#sortedLots((lot) => lot.state === "held" && lot.accountId === accountId);
  }

  /** The lots of an issuance, ascending: they partition its serial block. */
  lotsOfIssuance(issuanceId: string): Lot[] {
    const ids = this.#lotIdsByIssuance.get(issuanceId) ?? [];
    return [...ids].map((id) => this.#lots.get(id) as Lot).sort(compareRanges);
  }

  /** Every lot, by issuance (in issue order) then serial. */
  allLots(): Lot[] {
    return this.#sortedLots(() => true);
  }

  #sortedLots(predicate: (lot: Lot) => boolean): Lot[] {
    const issueOrder = new Map([...this.#issuances.keys()].map((id, index) => [id, index]));
    return [...this.#lots.values()]
      .filter(predicate)
      .sort((a, b) => (issueOrder.get(a.issuanceId) ?? 0) - (issueOrder.get(b.issuanceId) ?? 0) || compareRanges(a, b));
  }

  /**
   * The issuance and exact range a serial string names: the issuance of its registry and scope
   * whose block contains the range and which prints exactly this string for it.
   */
  locateSerialNumber(serialNumber: string): SerialLocation {
    let parsed: ReturnType<typeof parseSerialNumber>;
    try {
      parsed = parseSerialNumber(serialNumber);
    } catch (error) {
      if (error instanceof SerialNumberError) return { found: false, reason: error.message };
      throw error;
    }
    const range = { start: parsed.start, end: parsed.end };
    const issuance = issuanceContaining(this.#issuancesByScope.get(scopeKeyOf(parsed.registry, parsed.serialScope)) ?? [], range);
    if (issuance === undefined) {
      return { found: false, reason: `no ${parsed.registry} issuance contains serials ${range.start}-${range.end} of ${JSON.stringify(serialNumber)}` };
    }
    const expected = this.serialNumberOf(issuance, range);
    if (expected !== serialNumber) {
      return { found: false, reason: `serials ${range.start}-${range.end} of issuance ${issuance.id} are written ${JSON.stringify(expected)}, not ${JSON.stringify(serialNumber)}` };
    }
    return { found: true, issuance, range };
  }

  /** The lots covering a named range, clipped to it. */
  lotsWithin(issuance: Issuance, range: SerialRange): Lot[] {
    return this.lotsOfIssuance(issuance.id)
      .filter((lot) => lot.end >= range.start && lot.start <= range.end)
      .map((lot) => ({ ...lot, start: max(lot.start, range.start), end: min(lot.end, range.end) }));
  }

  /** The issuance a selection refers to. @throws OperationRejection */
  resolveIssuance(selection: UnitSelection): Issuance {
    if (selection.serialNumber !== undefined) return this.#locateOrReject(selection.serialNumber).issuance;
    const issuance = this.#issuances.get(selection.issuanceId ?? "");
    if (issuance === undefined) throw new OperationRejection("ISSUANCE_NOT_FOUND", `issuance ${JSON.stringify(selection.issuanceId)} does not exist`);
    return issuance;
  }

  #locateOrReject(serialNumber: string): { issuance: Issuance; range: SerialRange } {
    const location = this.locateSerialNumber(serialNumber);
    if (!location.found) throw new OperationRejection("SERIAL_NOT_FOUND", location.reason);
    return location;
  }

  /**
   * The exact serials `selection` takes from `accountId`'s holdings: first-in first-out for a
   * quantity, else exactly the named range.
   * @throws OperationRejection when the account does not hold them.
   */
  selectUnits(accountId: string, selection: UnitSelection): SelectionPlan {
    const issuance = this.resolveIssuance(selection);
    const named = selection.serialNumber !== undefined ? this.#locateOrReject(selection.serialNumber).range : undefined;
    const bounds = named ?? { start: issuance.serialStart, end: issuance.serialEnd };
    if (selection.serialStart !== undefined && selection.serialEnd !== undefined) {
      if (selection.serialStart < bounds.start || selection.serialEnd > bounds.end) {
        throw new OperationRejection(
          "SERIAL_NOT_FOUND",
          `serials ${selection.serialStart}-${selection.serialEnd} are outside ${named === undefined ? `issuance ${issuance.id}` : `block ${selection.serialNumber}`} (${bounds.start}-${bounds.end})`,
        );
      }
    }
    const candidates = this.lotsWithin(issuance, bounds).filter((lot) => lot.state === "held" && lot.accountId === accountId);
    const sources = candidates.map((clipped) => this.#lots.get(clipped.id) as Lot);
    if (selection.quantity !== undefined) {
      const available = totalQuantity(candidates);
      if (available < selection.quantity) {
        throw new OperationRejection(
          "INSUFFICIENT_HOLDINGS",
          `account ${accountId} holds ${available} credits of ${named === undefined ? `issuance ${issuance.id}` : `block ${selection.serialNumber}`}, fewer than ${selection.quantity}`,
        );
      }
      const cut = takeFirstSerials(candidates, selection.quantity);
      return { issuance, pieces: cut.taken.map((piece) => ({ lot: sources[piece.sourceIndex], start: piece.start, end: piece.end })) };
    }
    const wanted =
      selection.serialStart !== undefined && selection.serialEnd !== undefined
        ? { start: selection.serialStart, end: selection.serialEnd }
        : bounds;
    const cut = takeExactSerials(candidates, wanted);
    if (cut === undefined) {
      const missing = uncoveredParts(wanted, candidates)
        .map((gap) => `${gap.start}-${gap.end}`)
        .join(", ");
      throw new OperationRejection("SERIALS_NOT_HELD", `account ${accountId} does not hold serials ${missing} of issuance ${issuance.id}`);
    }
    return { issuance, pieces: cut.taken.map((piece) => ({ lot: sources[piece.sourceIndex], start: piece.start, end: piece.end })) };
  }

  /** Moves the planned serials to `toAccountId` (still held; `lock` when they go into custody by a lock). */
  transferUnits(plan: SelectionPlan, toAccountId: string, lock: LockRecord | null = null): CarveResult {
    return this.#carve(plan, { state: "held", accountId: toAccountId, disposal: null, lock });
  }

  /** Retires or cancels the planned serials for their current holder. */
  disposeUnits(plan: SelectionPlan, disposal: Disposal): CarveResult {
    const state: LotState = disposal.kind === "retirement" ? "retired" : "cancelled";
    return this.#carve(plan, { state, disposal, lock: null });
  }

  /** Splits each planned piece out of its lot and gives it `change`; the rest of the lot stays as it was. */
  #carve(plan: SelectionPlan, change: { state: LotState; accountId?: string; disposal: Disposal | null; lock: LockRecord | null }): CarveResult {
    const at = this.#instant();
    const moved: IssuanceRange[] = [];
    const splitSerials: string[] = [];
    for (const piece of plan.pieces) {
      const lot = this.#lots.get(piece.lot.id);
      if (lot === undefined || piece.start < lot.start || piece.end > lot.end) {
        throw new Error(`internal: piece ${piece.start}-${piece.end} is not inside lot ${piece.lot.id}`);
      }
      this.#lots.delete(lot.id);
      this.#lotIdsByIssuance.get(lot.issuanceId)?.delete(lot.id);
      if (lot.start < piece.start || piece.end < lot.end) splitSerials.push(this.serialNumberOf(plan.issuance, lot));
      if (lot.start < piece.start) this.#addLot({ ...lot, end: piece.start - 1n });
      this.#addLot({
        issuanceId: lot.issuanceId,
        start: piece.start,
        end: piece.end,
        state: change.state,
        accountId: change.accountId ?? lot.accountId,
        since: at,
        disposal: change.disposal,
        lock: change.lock,
      });
      if (piece.end < lot.end) this.#addLot({ ...lot, start: piece.end + 1n });
      moved.push({ issuance: plan.issuance, start: piece.start, end: piece.end, serialNumber: this.serialNumberOf(plan.issuance, piece) });
    }
    return { ranges: moved, splitSerials };
  }

  #addLot(lot: Omit<Lot, "id">): Lot {
    const added: Lot = { ...lot, id: this.#nextLotId++ };
    this.#lots.set(added.id, added);
    const ids = this.#lotIdsByIssuance.get(added.issuanceId) ?? new Set<number>();
    ids.add(added.id);
    this.#lotIdsByIssuance.set(added.issuanceId, ids);
    return added;
  }

  /** A fresh registry reference such as `VCS-RET-000001`. */
  nextReference(registry: RegistryId, kind: "TRF" | "RET" | "CAN"): string {
    const key = `${REGISTRY_CODES[registry]}-${kind}`;
    const n = (this.#nextReference.get(key) ?? 0) + 1;
    this.#nextReference.set(key, n);
    return `${key}-${String(n).padStart(6, "0")}`;
  }

  #instant(): string {
    return this.#now().toISOString();
  }
}

function projectKey(registry: RegistryId, id: string): string {
  return `${registry}:${id}`;
}

/** The issuance of `inSerialOrder` (one scope's, disjoint, ascending) whose serials contain `range`, by binary search. */
function issuanceContaining(inSerialOrder: readonly Issuance[], range: SerialRange): Issuance | undefined {
  let low = 0;
  let high = inSerialOrder.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const candidate = inSerialOrder[middle];
    if (range.start < candidate.serialStart) high = middle - 1;
    else if (range.start > candidate.serialEnd) low = middle + 1;
    else return range.end <= candidate.serialEnd ? candidate : undefined;
  }
  return undefined;
}

function scopeKeyOf(registry: RegistryId, serialScope: bigint): string {
  return `${registry}:${serialScope}`;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function raise(error: Error): never {
  throw error;
}
